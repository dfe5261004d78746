// POST /v1/age-verify and /v1/age-rotate over an in-memory age keyring (real age encryption): what
// is re-encrypted to which recipients, what is kept, and what is refused with a reason.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { ageRotateAnswer, ageVerifyAnswer } from "../../src/controller/age-secret/rotate-api.ts";
import type { AgeKeyring, AgeSealingKey } from "../../src/controller/keys/age-keyring.ts";
import { ageRecipientFingerprint, decryptAge, encryptAge } from "../../src/crypto/age.ts";
import { deriveScopeIdentity, scopeRecipient } from "../../src/crypto/age-scope.ts";

const ref = { scope: "strict" as const, namespace: "team-a", name: "api" };

async function key(name: string, createdAt: string): Promise<AgeSealingKey> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  return { name, identity, recipient, fingerprint: ageRecipientFingerprint(recipient), kind: "x25519", createdAt: new Date(createdAt), compromised: false };
}

function ageSecret(values: Record<string, string>, recorded?: string[]): Uint8Array {
  return Buffer.from(JSON.stringify({
    apiVersion: "sealbridge.dev/v1alpha1",
    kind: "AgeSecret",
    metadata: { name: ref.name, namespace: ref.namespace, ...(recorded ? { annotations: { "sealbridge.dev/sealed-for-age-recipients": recorded.join(",") } } : {}) },
    spec: { encryptedData: values },
  }));
}

describe("age verify and rotate API", async () => {
  const oldKey = await key("old", "2026-01-01T00:00:00Z");
  const newKey = await key("new", "2026-02-01T00:00:00Z");
  const keyring: AgeKeyring = { keys: [newKey, oldKey], problems: [] };
  const oldScope = await scopeRecipient(oldKey.identity, ref);
  const newScope = await scopeRecipient(newKey.identity, ref);
  const seal = async (recipients: string[], text: string) => String(await encryptAge({ recipients, plaintext: Buffer.from(text) }));
  const body = (answer: { body: string | Uint8Array }) => JSON.parse(String(answer.body)) as { reason?: string; message?: string; metadata: { annotations: Record<string, string> }; spec: { encryptedData: Record<string, string> } };

  it("re-encrypts old-key values to the newest key, keeps current ones with keep-current, never returns plaintext", async () => {
    const old = await seal([oldScope], "v-old");
    const current = await seal([newScope], "v-new");
    const answer = await ageRotateAnswer(keyring, ageSecret({ a: old, b: current }, [ageRecipientFingerprint(oldScope)]), new URLSearchParams("keep-current=true"));
    assert.equal(answer.status, 200, String(answer.body));
    assert.doesNotMatch(String(answer.body), /v-old|v-new/);
    const out = body(answer).spec.encryptedData;
    assert.notEqual(out["a"], old);
    assert.equal(Buffer.from((await decryptAge({ file: out["a"] ?? "", identities: [deriveScopeIdentity(newKey.identity, ref)] })).plaintext).toString(), "v-old");
    await assert.rejects(decryptAge({ file: out["a"] ?? "", identities: [deriveScopeIdentity(oldKey.identity, ref)] }));
    assert.notEqual(out["b"], current, "recorded recipients differ from the new ones: re-encrypted");
    assert.equal(body(answer).metadata.annotations["sealbridge.dev/sealed-for-age-recipients"], ageRecipientFingerprint(newScope));
    const again = await ageRotateAnswer(keyring, ageSecret(out, [ageRecipientFingerprint(newScope)]), new URLSearchParams("keep-current=true"));
    assert.deepEqual(body(again).spec.encryptedData, out, "a second rotation keeps everything");
  });

  it("keeps other recipients only when named, and refuses to drop them silently", async () => {
    const dr = await identityToRecipient(await generateX25519Identity());
    const both = await seal([oldScope, dr], "v");
    const recorded = [ageRecipientFingerprint(oldScope), ageRecipientFingerprint(dr)];
    const refused = await ageRotateAnswer(keyring, ageSecret({ a: both }, recorded), new URLSearchParams());
    assert.equal(refused.status, 409);
    assert.equal(body(refused).reason, "OtherRecipientsWouldBeDropped");
    assert.match(body(refused).message ?? "", new RegExp(ageRecipientFingerprint(dr)));
    const kept = await ageRotateAnswer(keyring, ageSecret({ a: both }, recorded), new URLSearchParams({ recipient: dr }));
    assert.equal(kept.status, 200);
    assert.equal(body(kept).metadata.annotations["sealbridge.dev/sealed-for-age-recipients"], [newScope, dr].map(ageRecipientFingerprint).join(","));
  });

  it("bounded, reasoned refusals: bad recipients, too many, values that do not open", async () => {
    const v = await seal([oldScope], "v");
    assert.equal((await ageRotateAnswer(keyring, ageSecret({ a: v }), new URLSearchParams({ recipient: "age1nope" }))).status, 400);
    const many = new URLSearchParams();
    for (let i = 0; i < 17; i++) many.append("recipient", `${newScope}${"x".repeat(i)}`);
    const tooMany = await ageRotateAnswer(keyring, ageSecret({ a: v }), many);
    assert.equal(tooMany.status, 400);
    assert.match(String(tooMany.body), /at most 16/);
    const foreign = await seal([await identityToRecipient(await generateX25519Identity())], "v");
    const notOpen = await ageRotateAnswer(keyring, ageSecret({ a: foreign }), new URLSearchParams());
    assert.equal(notOpen.status, 409);
    assert.equal(body(notOpen).reason, "SealedForUnknownKey");
    assert.equal((await ageVerifyAnswer(keyring, ageSecret({ a: foreign }))).status, 409);
    assert.equal((await ageVerifyAnswer(keyring, ageSecret({ a: v }))).status, 200);
    assert.equal((await ageVerifyAnswer(keyring, Buffer.from("kind: Secret\n"))).status, 400);
    assert.equal((await ageRotateAnswer({ keys: [], problems: [] }, ageSecret({ a: v }), new URLSearchParams())).status, 500);
  });
});
