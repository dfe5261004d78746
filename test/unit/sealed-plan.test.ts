// The SealedSecret plan and the key-renewal decision, as pure functions (no kube, no clock).
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { parseSealedSecret, type SealedSecret } from "../../src/api/sealed-secret.ts";
import { generateSealingKeyPair } from "../../src/crypto/certificate.ts";
import { buildKeyring, renewalDecision, sealingKey, type Keyring, type SealingKey } from "../../src/controller/keys/keyring.ts";
import { nextStatus } from "../../src/controller/decrypted-secret/conditions.ts";
import { withRecord } from "../../src/controller/decrypted-secret/apply.ts";
import { LEGACY_ANNOTATIONS } from "../../src/controller/decrypted-secret/desired-secret.ts";
import { MANAGED_ANNOTATION, PATCH_ANNOTATION, SKIP_OWNER_REFERENCES_ANNOTATION, ownersOf } from "../../src/controller/decrypted-secret/ownership.ts";
import { currentKeys, type KeyringView } from "../../src/controller/decrypted-secret/plan.ts";
import { heldThenReleased, ReleasedNames } from "../../src/controller/decrypted-secret/released-names.ts";
import { labelsToTry } from "../../src/controller/decrypted-secret/scope-labels.ts";
import { diagnose, planSealed } from "../../src/controller/sealed-secret/plan.ts";

const NOW = new Date("2026-01-01T00:00:00Z");
const DAY = 24 * 3600 * 1000;
const FP_A = "a".repeat(64);
const FP_B = "b".repeat(64);

function sealed(extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}): SealedSecret {
  return parseSealedSecret({
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { name: "db", namespace: "prod", uid: "u-1", generation: 3, annotations },
    spec: { encryptedData: { password: "AgA=" }, ...extra },
  });
}

const view: KeyringView = { keys: [{ fingerprint: FP_A, name: "sealed-secrets-keyaaaaa", compromised: false }], problems: [] };
const opened = (name: string, text: string, fingerprint = FP_A) => ({ name, ok: true as const, plaintext: new Uint8Array(Buffer.from(text)), fingerprint });

describe("plan", () => {
  it("creates the Secret with an owner reference, no bookkeeping annotations, and an Unsealed event", () => {
    const ss = sealed();
    const p = planSealed({ sealed: ss, secret: undefined, outcome: { kind: "opened", values: [opened("password", "pw")], labels: labelsToTry(ss) }, keyring: view, now: NOW });
    assert.equal(p.write?.kind, "create");
    const secret = p.write?.secret;
    assert.equal((secret?.["data"] as Record<string, string>)["password"], Buffer.from("pw").toString("base64"));
    assert.equal(secret?.metadata?.ownerReferences?.[0]?.uid, "u-1");
    assert.equal(secret?.["type"], "Opaque");
    assert.deepEqual(p.state, { status: "True", reason: "Unsealed", message: "" });
    assert.equal(p.status?.observedGeneration, 3);
    assert.deepEqual(p.events.map((e) => e.reason), ["Unsealed"]);
    // The Secret looks exactly as Sealed Secrets makes it: the bookkeeping goes to status.secret.
    assert.deepEqual(secret?.metadata?.annotations, {});
    const written = { apiVersion: "v1", kind: "Secret", metadata: { ...secret?.metadata, uid: "s-1", resourceVersion: "41" } };
    const status = withRecord(ss.status, p, written);
    assert.equal(status?.secret?.resourceVersion, "41");
    assert.deepEqual(status?.secret?.keys, [FP_A]);
    assert.equal(status?.conditions?.[0]?.reason, "Unsealed");
    const recorded = { ...ss, status };
    // The cached Secret metadata at that version is recognised as current: nothing to decrypt.
    assert.deepEqual(currentKeys(recorded, written, new Set([FP_A])), [FP_A]);
    assert.equal(currentKeys(recorded, written, new Set([FP_B])), undefined, "not when the key is gone");
    assert.equal(currentKeys(recorded, { ...written, metadata: { ...written.metadata, resourceVersion: "42" } }, new Set([FP_A])), undefined, "not after someone else wrote it");
    assert.equal(currentKeys(recorded, undefined, new Set([FP_A])), undefined, "not when it is gone");
    const respec = { ...recorded, spec: { ...recorded.spec, encryptedData: { password: "AgB=" } } };
    assert.equal(currentKeys(respec, written, new Set([FP_A])), undefined, "not after the ciphertext changed");
    // Nothing changed: no status write.
    const unchanged = { ...p };
    delete unchanged.status;
    assert.equal(withRecord(status, { ...unchanged, record: { sourceHash: status?.secret?.sourceHash ?? "", keys: [FP_A], verifiedVersion: "41" } }, undefined), undefined);
  });

  it("removes the bookkeeping annotations earlier versions put on Secrets, once", () => {
    const ss = sealed();
    const legacy = Object.fromEntries(LEGACY_ANNOTATIONS.map((a) => [a, "x"]));
    const existing = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db", namespace: "prod", resourceVersion: "7", annotations: { ...legacy }, ownerReferences: [{ apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", name: "db", uid: "u-1", controller: true }] },
      type: "Opaque",
      data: { password: Buffer.from("pw").toString("base64") },
    };
    const p = planSealed({ sealed: ss, secret: existing, outcome: { kind: "opened", values: [opened("password", "pw")], labels: labelsToTry(ss) }, keyring: view, now: NOW });
    assert.equal(p.write?.kind, "replace");
    assert.deepEqual(p.write?.secret.metadata?.annotations, {});
    const clean = { ...existing, metadata: { ...existing.metadata, annotations: {} } };
    const q = planSealed({ sealed: ss, secret: clean, outcome: { kind: "opened", values: [opened("password", "pw")], labels: labelsToTry(ss) }, keyring: view, now: NOW });
    assert.equal(q.write, undefined);
    assert.equal(q.record?.verifiedVersion, "7");
  });

  it("writes nothing when the status already says the same", () => {
    const ss = sealed();
    const first = planSealed({ sealed: ss, secret: undefined, outcome: { kind: "current", keys: [FP_A] }, keyring: view, now: NOW });
    assert.ok(first.status);
    const again = planSealed({ sealed: { ...ss, status: first.status }, secret: undefined, outcome: { kind: "current", keys: [FP_A] }, keyring: view, now: new Date(NOW.getTime() + 1000) });
    assert.equal(again.status, undefined);
    assert.deepEqual(again.events, []);
  });

  it("refuses an existing Secret it does not control", () => {
    const ss = sealed();
    const p = planSealed({ sealed: ss, secret: { metadata: { name: "db", namespace: "prod" }, data: {} }, outcome: { kind: "current", keys: [] }, keyring: view, now: NOW });
    assert.equal(p.write, undefined);
    assert.equal(p.state.reason, "SecretNotOwned");
    assert.deepEqual(p.events.map((e) => e.reason), ["ErrUpdateFailed"]);
  });

  it("renders spec.template.data and reports template failures without values", () => {
    const ss = sealed({ template: { data: { url: "u={{ .password }}", bad: "{{ fail .password }}" } } });
    const p = planSealed({ sealed: ss, secret: undefined, outcome: { kind: "opened", values: [opened("password", "hunter2")], labels: labelsToTry(ss) }, keyring: view, now: NOW });
    assert.equal(p.state.reason, "TemplateFailed");
    assert.doesNotMatch(p.state.message, /hunter2/);
    const ok = sealed({ template: { data: { url: "u={{ .password }}" } } });
    const q = planSealed({ sealed: ok, secret: undefined, outcome: { kind: "opened", values: [opened("password", "hunter2")], labels: labelsToTry(ok) }, keyring: view, now: NOW });
    assert.equal(Buffer.from((q.write?.secret["data"] as Record<string, string>)["url"] ?? "", "base64").toString(), "u=hunter2");
  });

  it("marks a SealedSecret opened with a compromised key", () => {
    const ss = sealed();
    const compromised: KeyringView = { keys: [{ fingerprint: FP_A, name: "sealed-secrets-keyaaaaa", compromised: true }], problems: [] };
    const p = planSealed({ sealed: ss, secret: undefined, outcome: { kind: "opened", values: [opened("password", "pw")], labels: labelsToTry(ss) }, keyring: compromised, now: NOW });
    assert.equal(p.state.reason, "SealedWithCompromisedKey");
    assert.equal(p.state.status, "True");
    assert.ok(p.events.some((e) => e.reason === "SealedWithCompromisedKey"));
  });
});

describe("an existing Secret, as Sealed Secrets' controller leaves it", () => {
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  // The upstream integration suite's "Secret already exists" fixtures: template label mylabel, an
  // existing Secret with one more label and two values.
  const ss = sealed({ template: { metadata: { labels: { mylabel: "myvalue" } } } });
  const existing = (annotations: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db", namespace: "prod", resourceVersion: "5", labels: { mylabel: "myvalue", anotherlabel: "anothervalue" }, annotations },
    type: "Opaque",
    data: { password: b64("old"), other: b64("keep") },
  });
  const written = (annotations: Record<string, string>) => {
    const p = planSealed({ sealed: ss, secret: existing(annotations), outcome: { kind: "opened", values: [opened("password", "new")], labels: labelsToTry(ss) }, keyring: view, now: NOW });
    assert.equal(p.write?.kind, "replace");
    return p.write.secret;
  };

  it("managed: the whole Secret is replaced, the managed annotation and extra labels go", () => {
    const s = written({ [MANAGED_ANNOTATION]: "true" });
    assert.deepEqual(s["data"], { password: b64("new") });
    // No annotations at all, as upstream's Unseal leaves them (an empty map is not stored).
    assert.deepEqual(s.metadata?.annotations ?? {}, {});
    assert.deepEqual(s.metadata?.labels, { mylabel: "myvalue" });
    assert.equal(s.metadata?.ownerReferences?.[0]?.uid, "u-1");
  });

  it("managed and patch: data, labels and annotations are merged, and the owner is set", () => {
    const s = written({ [MANAGED_ANNOTATION]: "true", [PATCH_ANNOTATION]: "true" });
    assert.deepEqual(s["data"], { password: b64("new"), other: b64("keep") });
    assert.deepEqual(s.metadata?.annotations, { [MANAGED_ANNOTATION]: "true", [PATCH_ANNOTATION]: "true" });
    assert.deepEqual(s.metadata?.labels, { mylabel: "myvalue", anotherlabel: "anothervalue" });
    assert.equal(s.metadata?.ownerReferences?.[0]?.uid, "u-1");
  });

  it("patch only: merged, and left without an owner", () => {
    const s = written({ [PATCH_ANNOTATION]: "true" });
    assert.deepEqual(s["data"], { password: b64("new"), other: b64("keep") });
    assert.deepEqual(s.metadata?.annotations, { [PATCH_ANNOTATION]: "true" });
    assert.equal(s.metadata?.ownerReferences, undefined);
  });

  it("skip-set-owner-references: the template's annotations only, no owner, and the next pass still writes it", () => {
    const skip = sealed({ template: { metadata: { annotations: { [SKIP_OWNER_REFERENCES_ANNOTATION]: "true", team: "core" } } } });
    const first = planSealed({ sealed: skip, secret: undefined, outcome: { kind: "opened", values: [opened("password", "v1")], labels: labelsToTry(skip) }, keyring: view, now: NOW });
    const made = first.write?.secret;
    assert.deepEqual(made?.metadata?.annotations, { [SKIP_OWNER_REFERENCES_ANNOTATION]: "true", team: "core" });
    assert.equal(made?.metadata?.ownerReferences, undefined);
    const stored = { ...made, metadata: { ...made?.metadata, resourceVersion: "9" } };
    const next = planSealed({ sealed: skip, secret: stored, outcome: { kind: "opened", values: [opened("password", "v2")], labels: labelsToTry(skip) }, keyring: view, now: NOW });
    assert.equal(next.write?.kind, "replace");
    assert.deepEqual(next.write.secret.metadata?.annotations, { [SKIP_OWNER_REFERENCES_ANNOTATION]: "true", team: "core" });
    // A Secret that does not say so is still refused.
    const foreign = { ...stored, metadata: { ...stored.metadata, annotations: {} } };
    assert.equal(planSealed({ sealed: skip, secret: foreign, outcome: { kind: "current", keys: [] }, keyring: view, now: NOW }).state.reason, "SecretNotOwned");
    assert.deepEqual(ownersOf("SealedSecret", "bitnami.com")(stored), ["prod/db"], "its deletion wakes the SealedSecret");
  });

  it("the template's immutable applies when the Secret is created, not to an existing one (as upstream)", () => {
    const imm = sealed({ template: { immutable: true, metadata: { labels: { mylabel: "myvalue" } } } });
    const p = planSealed({ sealed: imm, secret: existing({ [MANAGED_ANNOTATION]: "true" }), outcome: { kind: "opened", values: [opened("password", "new")], labels: labelsToTry(imm) }, keyring: view, now: NOW });
    assert.equal(p.write?.kind, "replace");
    assert.equal(p.write.secret["immutable"], undefined);
    const created = planSealed({ sealed: imm, secret: undefined, outcome: { kind: "opened", values: [opened("password", "new")], labels: labelsToTry(imm) }, keyring: view, now: NOW });
    assert.equal(created.write?.secret["immutable"], true);
  });

  it("an immutable Secret that differs: ErrUpdateFailed in Sealed Secrets' words, no write", () => {
    const immutable = { ...existing({ [MANAGED_ANNOTATION]: "true" }), immutable: true };
    const p = planSealed({ sealed: ss, secret: immutable, outcome: { kind: "opened", values: [opened("password", "new")], labels: labelsToTry(ss) }, keyring: view, now: NOW });
    assert.equal(p.write, undefined);
    assert.equal(p.state.reason, "SecretImmutable");
    const event = p.events.find((e) => e.reason === "ErrUpdateFailed");
    assert.ok(event);
    assert.match(event.message, /Error updating prod\/db: the target Secret is immutable/);
  });

  it("the Secret watch wakes the owner of an owned or managed Secret, not of a patch-only one", () => {
    const keysFor = ownersOf("SealedSecret", "bitnami.com");
    const meta = (m: Record<string, unknown>) => ({ metadata: { name: "db", namespace: "prod", ...m } });
    assert.deepEqual(keysFor(meta({ ownerReferences: [{ apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", name: "db", uid: "u-1", controller: true }] })), ["prod/db"]);
    assert.deepEqual(keysFor(meta({ annotations: { [MANAGED_ANNOTATION]: "true" } })), ["prod/db"]);
    assert.deepEqual(keysFor(meta({ annotations: { [PATCH_ANNOTATION]: "true" } })), []);
    assert.deepEqual(keysFor(meta({})), []);
  });
});

describe("a name held by a foreign Secret, then released", () => {
  const secretMeta = (m: Record<string, unknown>) => ({ metadata: { name: "db", namespace: "prod", resourceVersion: "10", ...m } });
  const deletion = (rv: string) => ({ metadata: { name: "db", namespace: "prod", resourceVersion: rv } });

  it("records deletions of Secrets it may not own, and only those", () => {
    const names = new ReleasedNames({ kind: "SealedSecret", group: "bitnami.com" });
    names.secretDeleted(secretMeta({}), deletion("20"));
    assert.equal(names.deletedAt("prod", "db"), 20n);
    names.secretDeleted(secretMeta({ name: "owned", ownerReferences: [{ apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", name: "owned", uid: "u", controller: true }] }), deletion("21"));
    names.secretDeleted(secretMeta({ name: "managed", annotations: { [MANAGED_ANNOTATION]: "true" } }), deletion("22"));
    names.secretDeleted(secretMeta({ name: "relisted" }), undefined);
    assert.equal(names.deletedAt("prod", "owned"), undefined);
    assert.equal(names.deletedAt("prod", "managed"), undefined);
    assert.equal(names.deletedAt("prod", "relisted"), undefined, "a relist does not say when it went");
  });

  it("applies to a SealedSecret written before the deletion and not reconciled yet, or refused for this generation", () => {
    const fresh = (rv: string) => ({ metadata: { resourceVersion: rv, generation: 1 } });
    assert.equal(heldThenReleased(fresh("15"), 20n), true);
    assert.equal(heldThenReleased(fresh("25"), 20n), false, "applied after the Secret was gone: the name was free");
    assert.equal(heldThenReleased(fresh("15"), undefined), false);
    assert.equal(heldThenReleased(fresh("not-a-number"), 20n), false);
    const refused = (generation: number) => ({ metadata: { resourceVersion: "30", generation: 2 }, status: { observedGeneration: generation, conditions: [{ type: "Synced", reason: "SecretNotOwned" }] } });
    assert.equal(heldThenReleased(refused(2), 20n), true);
    assert.equal(heldThenReleased(refused(1), 20n), false, "a new generation is decided afresh");
  });

  it("plans SecretNotOwned and no write instead of creating the Secret", () => {
    const ss = sealed();
    const p = planSealed({ sealed: ss, secret: undefined, outcome: { kind: "current", keys: [] }, keyring: view, now: NOW, nameReleased: true });
    assert.equal(p.write, undefined);
    assert.equal(p.state.reason, "SecretNotOwned");
    assert.match(p.state.message, /has been deleted since/);
    assert.deepEqual(p.events.map((e) => e.reason), ["ErrUpdateFailed"]);
  });
});

describe("diagnose", () => {
  const fail = (extra: Record<string, unknown> = {}) => ({ name: "password", ok: false as const, reason: "NoKeyCouldDecrypt", message: "no key", ...extra });

  it("no key loaded", () => {
    const d = diagnose(sealed(), [fail()], labelsToTry(sealed()), { keys: [], problems: [{ name: "sealed-secrets-keyx", reason: "EmptyKeyEntry" }] });
    assert.equal(d.reason, "NoKeyAvailable");
    assert.match(d.message, /sealed-secrets-keyx: EmptyKeyEntry/);
  });

  it("scope mismatch names the scope that opens it", () => {
    const ss = sealed();
    const labels = labelsToTry(ss);
    assert.deepEqual(labels.map((l) => l.label), ["prod/db", "prod", ""]);
    const d = diagnose(ss, [fail({ openedWithLabel: 2, openedWithKey: FP_A })], labels, view);
    assert.equal(d.reason, "ScopeMismatch");
    assert.match(d.message, /sealed with scope cluster-wide/);
  });

  it("unknown key names both fingerprints", () => {
    const ss = sealed({}, { "sealbridge.dev/sealed-with-cert-sha256": FP_B });
    const d = diagnose(ss, [fail()], labelsToTry(ss), view);
    assert.equal(d.reason, "SealedForUnknownKey");
    assert.ok(d.message.includes(FP_A) && d.message.includes(FP_B));
  });

  it("malformed ciphertext", () => {
    const d = diagnose(sealed(), [fail({ reason: "InvalidBase64", message: "is not valid standard base64" })], labelsToTry(sealed()), view);
    assert.equal(d.reason, "InvalidCiphertext");
  });
});

describe("nextStatus", () => {
  it("keeps lastTransitionTime while the status stays the same", () => {
    const ss = sealed();
    const a = nextStatus(ss, { status: "False", reason: "ScopeMismatch", message: "m1" }, NOW);
    const b = nextStatus({ ...ss, ...(a ? { status: a } : {}) }, { status: "False", reason: "SealedForUnknownKey", message: "m2" }, new Date(NOW.getTime() + 5000));
    assert.equal(b?.conditions?.[0]?.lastTransitionTime, a?.conditions?.[0]?.lastTransitionTime);
    assert.notEqual(b?.conditions?.[0]?.lastUpdateTime, a?.conditions?.[0]?.lastUpdateTime);
  });

  it("writes Ready mirroring Synced, and Stalled only for a failure (kstatus conventions)", () => {
    const ss = sealed();
    const failing = nextStatus(ss, { status: "False", reason: "SealedForUnknownKey", message: "m1" }, NOW);
    assert.deepEqual(
      failing?.conditions?.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ["Synced", "False", "SealedForUnknownKey", "m1"],
        ["Ready", "False", "SealedForUnknownKey", "m1"],
        ["Stalled", "True", "SealedForUnknownKey", "m1"],
      ],
    );
    assert.equal(failing?.observedGeneration, 3);
    const later = new Date(NOW.getTime() + 5000);
    const fixed = nextStatus({ ...ss, ...(failing ? { status: failing } : {}) }, { status: "True", reason: "Unsealed", message: "" }, later);
    assert.deepEqual(
      fixed?.conditions?.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
      [
        ["Synced", "True", "Unsealed", "2026-01-01T00:00:05Z"],
        ["Ready", "True", "Unsealed", "2026-01-01T00:00:05Z"],
      ],
    );
    // The same state again writes nothing.
    assert.equal(nextStatus({ ...ss, ...(fixed ? { status: fixed } : {}) }, { status: "True", reason: "Unsealed", message: "" }, later), undefined);
  });

  it("adds Ready to a status written before Ready existed, and keeps foreign conditions", () => {
    const ss = sealed();
    const old = {
      observedGeneration: 3,
      conditions: [
        { type: "Synced", status: "True", reason: "Unsealed", message: "", lastTransitionTime: "2025-01-01T00:00:00Z" },
        { type: "Example", status: "True" },
      ],
    };
    const next = nextStatus({ ...ss, status: old }, { status: "True", reason: "Unsealed", message: "" }, NOW);
    assert.deepEqual(next?.conditions?.map((c) => c.type), ["Synced", "Ready", "Example"]);
    assert.equal(next?.conditions?.[0]?.lastTransitionTime, "2025-01-01T00:00:00Z");
    assert.equal(next?.conditions?.[1]?.lastTransitionTime, "2026-01-01T00:00:00Z");
  });
});

function key(name: string, createdAt: Date, compromised = false): SealingKey {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  return { name, fingerprint: name.padEnd(64, "0"), privateKey, privateKeyPem: "", certificatePem: "", createdAt, compromised };
}

describe("renewalDecision", () => {
  const ring = (...keys: SealingKey[]): Keyring => ({ keys: [...keys].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()), problems: [] });
  const period = 30 * DAY;

  it("mints a first key, and when every key is compromised", () => {
    assert.deepEqual(renewalDecision({ keyring: ring(), now: NOW, renewPeriodMs: period, rotateRequested: false }), { mint: true, why: "NoKey" });
    const bad = ring(key("k1", new Date(NOW.getTime() - DAY), true));
    assert.deepEqual(renewalDecision({ keyring: bad, now: NOW, renewPeriodMs: 0, rotateRequested: false }), { mint: true, why: "NoUsableKey" });
  });

  it("decides from the newest usable key's creation time (a restored key counts)", () => {
    const fresh = ring(key("old", new Date(NOW.getTime() - 90 * DAY)), key("restored", new Date(NOW.getTime() - 2 * DAY)));
    assert.deepEqual(renewalDecision({ keyring: fresh, now: NOW, renewPeriodMs: period, rotateRequested: false }), { mint: false, checkAgainInMs: 28 * DAY });
    const stale = ring(key("old", new Date(NOW.getTime() - 31 * DAY)));
    assert.deepEqual(renewalDecision({ keyring: stale, now: NOW, renewPeriodMs: period, rotateRequested: false }), { mint: true, why: "RenewalDue" });
    const newestCompromised = ring(key("old", new Date(NOW.getTime() - 31 * DAY)), key("new", new Date(NOW.getTime() - DAY), true));
    assert.equal(sealingKey(newestCompromised)?.name, "old");
    assert.deepEqual(renewalDecision({ keyring: newestCompromised, now: NOW, renewPeriodMs: period, rotateRequested: false }), { mint: true, why: "RenewalDue" });
  });

  it("renewal 0 disables periodic keys; rotate-now still mints", () => {
    const old = ring(key("old", new Date(NOW.getTime() - 400 * DAY)));
    assert.deepEqual(renewalDecision({ keyring: old, now: NOW, renewPeriodMs: 0, rotateRequested: false }), { mint: false });
    assert.deepEqual(renewalDecision({ keyring: old, now: NOW, renewPeriodMs: 0, rotateRequested: true }), { mint: true, why: "RotationRequested" });
  });

  it("keys created in the same second are ordered by their minted-at annotation (newest seals), then by name", async () => {
    const [a, b] = await Promise.all([generateSealingKeyPair({ now: NOW, bits: 2048 }), generateSealingKeyPair({ now: NOW, bits: 2048 })]);
    const secret = (name: string, pair: typeof a, mintedAt?: string) => ({
      metadata: { name, creationTimestamp: "2026-12-02T08:00:00Z", ...(mintedAt ? { annotations: { "sealbridge.dev/minted-at": mintedAt } } : {}) },
      data: { "tls.key": Buffer.from(pair.privateKeyPem).toString("base64"), "tls.crt": Buffer.from(pair.certificatePem).toString("base64") },
    });
    // "zz" was minted first and "aa" 300 ms later in the same second: "aa" seals, whatever the names.
    const rotated = buildKeyring([secret("zz", a, "2026-12-02T08:00:00.100Z"), secret("aa", b, "2026-12-02T08:00:00.400Z")]);
    assert.deepEqual(rotated.keys.map((k) => k.name), ["aa", "zz"]);
    const other = buildKeyring([secret("aa", a, "2026-12-02T08:00:00.100Z"), secret("zz", b, "2026-12-02T08:00:00.400Z")]);
    assert.deepEqual(other.keys.map((k) => k.name), ["zz", "aa"]);
    // An imported key without the annotation counts as older within its second; a later second wins outright.
    const imported = buildKeyring([secret("imported", a), secret("ours", b, "2026-12-02T07:59:59.900Z")]);
    assert.equal(sealingKey(imported)?.name, "ours");
    const plain = buildKeyring([secret("b-key", a), secret("a-key", b)]);
    assert.deepEqual(plain.keys.map((k) => k.name), ["a-key", "b-key"]);
  });

  it("buildKeyring reports unusable key Secrets by name and reason", () => {
    const ring = buildKeyring([{ metadata: { name: "broken", creationTimestamp: NOW.toISOString() }, data: { "tls.crt": "eA==" } }]);
    assert.deepEqual(ring.keys, []);
    assert.deepEqual(ring.problems.map((p) => [p.name, p.reason]), [["broken", "EmptyKeyEntry"]]);
  });
});
