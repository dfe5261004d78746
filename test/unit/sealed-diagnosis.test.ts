// Telling "sealed with our key for another name or namespace" from "sealed to a key we do not hold"
// by RSA-OAEP's structure: the decode without the label check (known answers from the real
// kubeseal, property tests), the worker's classification through the real RSA pool, the
// sealed-for annotation, and the conditions the plans write.
import assert from "node:assert/strict";
import { constants, createHash, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { formatSealedFor, parseSealedFor, SEALED_FOR_ANNOTATION } from "../../src/api/sealed-for.ts";
import { parseSealedSecret, type SealedSecret } from "../../src/api/sealed-secret.ts";
import { parseAgeSecret } from "../../src/api/age-secret.ts";
import { diagnoseAge } from "../../src/controller/age-secret/plan.ts";
import type { Keyring } from "../../src/controller/keys/keyring.ts";
import { RsaPool } from "../../src/controller/keys/rsa-pool.ts";
import type { OpenedValue } from "../../src/controller/keys/rsa-protocol.ts";
import type { KeyringView } from "../../src/controller/decrypted-secret/plan.ts";
import { labelsToTry } from "../../src/controller/decrypted-secret/scope-labels.ts";
import { diagnose } from "../../src/controller/sealed-secret/plan.ts";
import { parseRsaPrivateKeyPem } from "../../src/crypto/certificate.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import { diagnoseSealedValue, oaepDecodeUnchecked } from "../../src/crypto/sealed-diagnosis.ts";
import { decodeBase64Strict, hybridEncrypt, oaepEncode, sealValue, unsealValue } from "../../src/crypto/sealed.ts";
import { CANARY, fuzz, mutatedFrom } from "../support/fuzz.ts";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/kubeseal/${name}`, import.meta.url), "utf8");
/** The key kubeseal v0.36.6 sealed the fixtures with (RSA-2048), and the fixtures' target. */
const key = parseRsaPrivateKeyPem(fixture("tls.key"));
const TARGET = "payments/db-credentials";
const enc = (s: string) => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();

function rsaPair(): { privateKey: KeyObject; publicKey: KeyObject; privateKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, publicKey, privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString() };
}
const ours = rsaPair();
const stranger = rsaPair();

describe("OAEP decode without the label check", () => {
  it("recovers the label hash and the 32-byte message of a block oaepEncode made", () => {
    const message = randomBytes(32);
    const block = oaepDecodeUnchecked(oaepEncode(message, enc("team-a/db"), 256, randomBytes(32)));
    assert.equal(block.valid, true);
    assert.deepEqual(block.labelHash, sha256(enc("team-a/db")));
    assert.deepEqual(block.message, message);
  });

  it("refuses a message of another length, a non-zero first byte and noise", () => {
    assert.equal(oaepDecodeUnchecked(oaepEncode(randomBytes(31), enc(""), 256, randomBytes(32))).valid, false);
    assert.equal(oaepDecodeUnchecked(oaepEncode(randomBytes(33), enc(""), 256, randomBytes(32))).valid, false);
    const em = oaepEncode(randomBytes(32), enc(""), 256, randomBytes(32));
    em[0] = 1;
    assert.equal(oaepDecodeUnchecked(em).valid, false);
    for (let i = 0; i < 50; i++) assert.equal(oaepDecodeUnchecked(randomBytes(256)).valid, false);
    assert.equal(oaepDecodeUnchecked(new Uint8Array(40)).valid, false, "too short for any message");
  });
});

describe("diagnoseSealedValue on values the real kubeseal sealed", () => {
  const strict = decodeBase64Strict(fixture("raw-strict.txt").trim());
  const nsWide = decodeBase64Strict(fixture("raw-namespace-wide.txt").trim());

  it("right key, wrong label: our key for a label none of the candidates is", () => {
    // As the controller sees it after a rename to payments/db-creds: its own three scopes fail.
    const candidates = ["payments/db-creds", "payments", ""].map(enc);
    assert.deepEqual(diagnoseSealedValue({ privateKeys: [key], ciphertext: strict, candidates }), { kind: "other-label", keyIndex: 0 });
  });

  it("names the candidate whose hash the block carries (the recorded target, the namespace)", () => {
    const candidates = ["payments/db-creds", "payments", "", TARGET].map(enc);
    assert.deepEqual(diagnoseSealedValue({ privateKeys: [stranger.privateKey, key], ciphertext: strict, candidates }), { kind: "label", keyIndex: 1, candidate: 3 });
    assert.deepEqual(diagnoseSealedValue({ privateKeys: [key], ciphertext: nsWide, candidates }), { kind: "label", keyIndex: 0, candidate: 1 });
  });

  it("wrong key: noise, sealed for a key not held", () => {
    assert.deepEqual(diagnoseSealedValue({ privateKeys: [stranger.privateKey, ours.privateKey], ciphertext: strict, candidates: [enc(TARGET)] }), { kind: "foreign" });
  });

  it("right key and label: the normal decrypt opens it, and the diagnosis agrees", () => {
    assert.equal(Buffer.from(unsealValue({ privateKeys: [key], label: enc(TARGET), value: fixture("raw-strict.txt").trim() }).plaintext).toString(), "raw value");
    assert.deepEqual(diagnoseSealedValue({ privateKeys: [key], ciphertext: strict, candidates: [enc(TARGET)] }), { kind: "label", keyIndex: 0, candidate: 0 });
  });

  it("our OAEP block with a damaged AES-GCM part is corrupt, not foreign", () => {
    const damaged = Buffer.from(strict);
    damaged[damaged.length - 20] = (damaged[damaged.length - 20] ?? 0) ^ 0x40;
    assert.deepEqual(diagnoseSealedValue({ privateKeys: [key], ciphertext: damaged, candidates: [enc(TARGET)] }), { kind: "corrupt", keyIndex: 0, candidate: 0 });
    assert.deepEqual(diagnoseSealedValue({ privateKeys: [key], ciphertext: damaged, candidates: [] }), { kind: "corrupt", keyIndex: 0 });
  });

  it("a block derived from ours (Manger's c·sᵉ) is noise, not a structure hit", () => {
    const n = BigInt(`0x${Buffer.from(key.export({ format: "jwk" }).n ?? "", "base64url").toString("hex")}`);
    const rsaBlock = strict.subarray(2, 2 + 256);
    for (const s of [2n, 3n, 1n << 64n]) {
      const se = BigInt(`0x${publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.from(s.toString(16).padStart(512, "0"), "hex")).toString("hex")}`);
      const c = (BigInt(`0x${Buffer.from(rsaBlock).toString("hex")}`) * se) % n;
      const forged = Buffer.concat([strict.subarray(0, 2), Buffer.from(c.toString(16).padStart(512, "0"), "hex"), strict.subarray(2 + 256)]);
      assert.deepEqual(diagnoseSealedValue({ privateKeys: [key], ciphertext: forged, candidates: [enc(TARGET)] }), { kind: "foreign" });
    }
  });
});

describe("properties", () => {
  const label = fc.string({ maxLength: 80 });
  const plaintext = fc.uint8Array({ maxLength: 200 });

  it("sealed for A, our key: other-label without A among the candidates, label with it; foreign with another key", async (t) => {
    const input = fc.tuple(label, label, plaintext).filter(([a, b]) => a !== b);
    await fuzz(
      t,
      "OAEP structure diagnosis",
      input,
      ([a, b, data]) => {
        const ciphertext = hybridEncrypt({ publicKey: ours.publicKey, plaintext: data, label: enc(a) });
        assert.deepEqual(diagnoseSealedValue({ privateKeys: [ours.privateKey], ciphertext, candidates: [enc(b)] }), { kind: "other-label", keyIndex: 0 });
        assert.deepEqual(diagnoseSealedValue({ privateKeys: [stranger.privateKey, ours.privateKey], ciphertext, candidates: [enc(b), enc(a)] }), { kind: "label", keyIndex: 1, candidate: 1 });
        assert.deepEqual(diagnoseSealedValue({ privateKeys: [stranger.privateKey], ciphertext, candidates: [enc(a), enc(b)] }), { kind: "foreign" });
      },
      { runs: 60, allowed: [CryptoError] },
    );
  });

  it("mutated values: a class or a typed framing error, never 'authenticates' for changed bytes", async (t) => {
    const values = ["raw-strict.txt", "raw-namespace-wide.txt", "raw-cluster-wide.txt"].map((f) => decodeBase64Strict(fixture(f).trim()));
    // Byte flips anywhere (length prefix, RSA block, AES-GCM part), and the base64 text mutated.
    const flips = fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 });
    const flipped = fc.tuple(fc.constantFrom(...values), flips).map(([v, ops]) => {
      const out = Buffer.from(v);
      for (const op of ops) out[op.at % out.length] = (out[op.at % out.length] ?? 0) ^ op.xor;
      return out;
    });
    // Base64 text mutated, decoded leniently (the strict decoder's refusals are tested elsewhere).
    const textual = mutatedFrom(values.map((v) => Buffer.from(v).toString("base64")), fc.constantFrom("A", "/", "+", "AAAA", CANARY)).map((text) => Buffer.from(text, "base64"));
    await fuzz(
      t,
      "OAEP structure diagnosis, mutated",
      fc.oneof({ weight: 3, arbitrary: flipped }, { weight: 1, arbitrary: textual }),
      (ciphertext) => {
        const d = diagnoseSealedValue({ privateKeys: [key], ciphertext, candidates: ["payments/x", "payments", "", TARGET].map(enc) });
        if (d.kind === "label" || d.kind === "other-label") {
          assert.ok(values.some((v) => Buffer.from(v).equals(Buffer.from(ciphertext))), `a changed value authenticates: ${d.kind}`);
        }
        return d.kind;
      },
      { runs: 200, allowed: [CryptoError] },
    );
  });
});

describe("sealed-for annotation", () => {
  it("round-trips every scope and refuses what it does not write", () => {
    for (const t of [
      { scope: "strict" as const, namespace: "team-a", name: "db.creds" },
      { scope: "namespace-wide" as const, namespace: "team-a", name: "" },
      { scope: "cluster-wide" as const, namespace: "", name: "" },
    ]) {
      assert.deepEqual(parseSealedFor({ [SEALED_FOR_ANNOTATION]: formatSealedFor(t) }), t);
    }
    assert.equal(formatSealedFor({ scope: "strict", namespace: "a", name: "b" }), "strict:a/b");
    for (const bad of ["", "strict", "strict:a", "strict:/b", "strict:A/b", "namespace-wide:a/b", "bogus:a", "strict:a/b/c", `strict:a/${"x".repeat(400)}`]) {
      assert.equal(parseSealedFor({ [SEALED_FOR_ANNOTATION]: bad }), undefined, bad);
    }
  });
});

describe("the RSA worker's classification (real worker threads)", () => {
  let pool: RsaPool;
  before(() => {
    pool = new RsaPool({ size: 1 });
    const keyring: Keyring = {
      keys: [{ name: "k", fingerprint: "f1", privateKey: ours.privateKey, privateKeyPem: ours.privateKeyPem, certificatePem: "", createdAt: new Date(0), compromised: false }],
      problems: [],
    };
    pool.setKeys(keyring);
  });
  after(() => pool.close());

  it("reports the label index, 'our key, another label', 'corrupt' or nothing, and never a plaintext", async () => {
    const seal = (label: string, text: string) => sealValue({ publicKey: ours.publicKey, plaintext: Buffer.from(text), label: enc(label) });
    const damaged = Buffer.from(decodeBase64Strict(seal("ns/new", "x")));
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
    const result = await pool.open({
      values: [
        ["own", seal("ns/new", "ok")],
        ["recorded", seal("ns/old", CANARY)],
        ["unknown", seal("ns/elsewhere", CANARY)],
        ["corrupt", damaged.toString("base64")],
        ["foreign", sealValue({ publicKey: stranger.publicKey, plaintext: Buffer.from(CANARY), label: enc("ns/new") })],
      ],
      labels: ["ns/new", "ns", "", "ns/old"],
      keys: ["f1"],
    });
    const byName = new Map(result.values.map((v) => [v.name, v]));
    assert.equal(byName.get("own")?.ok, true);
    assert.deepEqual(pick(byName.get("recorded")), { openedWithLabel: 3, openedWithKey: "f1" });
    assert.deepEqual(pick(byName.get("unknown")), { otherLabelWithKey: "f1" });
    assert.deepEqual(pick(byName.get("corrupt")), { corruptWithKey: "f1" });
    assert.deepEqual(pick(byName.get("foreign")), {});
    const failedText = JSON.stringify(result.values.filter((v) => !v.ok));
    assert.ok(!failedText.includes(CANARY) && !failedText.includes(Buffer.from(CANARY).toString("base64")), "no plaintext in a failure");
    // One decrypt per value with the own label, one raw RSA operation for each diagnosed one.
    assert.equal(result.rsaOps, 5 + 4);
  });
});

function pick(v: OpenedValue | undefined): Record<string, unknown> {
  if (v === undefined || v.ok) return { ok: true };
  const out: Record<string, unknown> = {};
  for (const k of ["openedWithLabel", "openedWithKey", "otherLabelWithKey", "corruptWithKey"] as const) if (v[k] !== undefined) out[k] = v[k];
  return out;
}

describe("conditions", () => {
  const FP = "a".repeat(64);
  const view: KeyringView = { keys: [{ fingerprint: FP, name: "sealed-secrets-keyaaaaa", compromised: false }], problems: [] };
  const fail = (extra: Partial<Extract<OpenedValue, { ok: false }>> = {}) => ({ name: "password", ok: false as const, reason: "NoKeyCouldDecrypt", message: "no key", ...extra });
  function moved(annotations: Record<string, string>, template?: Record<string, string>): SealedSecret {
    return parseSealedSecret({
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name: "pre-db", namespace: "prod", annotations },
      spec: { encryptedData: { password: "AgA=" }, ...(template ? { template: { metadata: template } } : {}) },
    });
  }

  it("recorded targets become candidate labels, after the object's own scopes", () => {
    const ss = moved({ [SEALED_FOR_ANNOTATION]: "strict:prod/db" }, { name: "db", namespace: "staging" });
    assert.deepEqual(labelsToTry(ss).map((l) => [l.label, l.recordedIn ?? "own"]), [
      ["prod/pre-db", "own"], ["prod", "own"], ["", "own"], ["prod/db", "annotation"], ["staging/db", "template"], ["staging", "template"],
    ]);
  });

  it("template names Kubernetes could not have given an object are not candidates (messages quote them)", () => {
    const ss = moved({}, { name: "x".repeat(300), namespace: "Not_A_Namespace" });
    assert.deepEqual(labelsToTry(ss).map((l) => l.label), ["prod/pre-db", "prod", ""]);
  });

  it("a value opening with the recorded target: ScopeMismatch naming it", () => {
    const ss = moved({ [SEALED_FOR_ANNOTATION]: "strict:prod/db" });
    const labels = labelsToTry(ss);
    const d = diagnose(ss, [fail({ openedWithLabel: 3, openedWithKey: FP })], labels, view);
    assert.equal(d.reason, "ScopeMismatch");
    assert.match(d.message, /^sealed with this cluster's key for another name or namespace: password was sealed \(strict\) for prod\/db \(recorded in sealbridge\.dev\/sealed-for\)/);
    assert.match(d.message, /this SealedSecret is prod\/pre-db with scope strict \(label "prod\/pre-db"\)/);
  });

  it("values that say the same are named together (the message grows with targets, not values)", () => {
    const ss = moved({ [SEALED_FOR_ANNOTATION]: "strict:prod/db" });
    const values = ["user", "password", "host"].map((name) => fail({ name, openedWithLabel: 3, openedWithKey: FP }));
    const d = diagnose(ss, [...values, fail({ name: "extra", openedWithLabel: 2, openedWithKey: FP })], labelsToTry(ss), view);
    assert.match(d.message, /^sealed with this cluster's key for another name or namespace: host, password, user were sealed \(strict\) for prod\/db/);
    assert.match(d.message, /Also: values do not open with this SealedSecret's scope strict \(label "prod\/pre-db"\), but do with another scope: extra was sealed with scope cluster-wide/);
  });

  it("our key, a label nobody recorded: ScopeMismatch that says what is known", () => {
    const none = moved({});
    const d = diagnose(none, [fail({ otherLabelWithKey: FP })], labelsToTry(none), view);
    assert.equal(d.reason, "ScopeMismatch");
    assert.match(d.message, /^sealed with this cluster's key for another name or namespace: password was sealed with key sealed-secrets-keyaaaaa/);
    assert.match(d.message, /it records no target \(sealbridge seal writes sealbridge\.dev\/sealed-for\)/);
    const copied = moved({}, { name: "someone-else", namespace: "prod" });
    assert.match(diagnose(copied, [fail({ otherLabelWithKey: FP })], labelsToTry(copied), view).message, /not for the target spec\.template\.metadata records \(prod\/someone-else\) either/);
    const stale = moved({ [SEALED_FOR_ANNOTATION]: "namespace-wide:other" });
    assert.match(diagnose(stale, [fail({ otherLabelWithKey: FP })], labelsToTry(stale), view).message, /not for the target sealbridge\.dev\/sealed-for records \(namespace-wide:other\) either/);
  });

  it("a foreign key stays SealedForUnknownKey; a damaged value is InvalidCiphertext", () => {
    const ss = moved({ [SEALED_FOR_ANNOTATION]: "strict:prod/db" });
    assert.equal(diagnose(ss, [fail()], labelsToTry(ss), view).reason, "SealedForUnknownKey");
    const d = diagnose(ss, [fail({ corruptWithKey: FP })], labelsToTry(ss), view);
    assert.equal(d.reason, "InvalidCiphertext");
    assert.match(d.message, /AES-GCM data does not authenticate/);
  });

  it("AgeSecret: the recorded target opens it → ScopeMismatch; nothing recorded → SealedForUnknownKey with the caveat", () => {
    const age = parseAgeSecret({
      apiVersion: "sealbridge.dev/v1alpha1",
      kind: "AgeSecret",
      metadata: { name: "pre-db", namespace: "prod", annotations: { [SEALED_FOR_ANNOTATION]: "strict:prod/db" } },
      spec: { encryptedData: { k: "x" } },
    });
    const labels = labelsToTry(age);
    const s = diagnoseAge(age, [{ name: "k", ok: false, reason: "AgeNoMatchingIdentity", message: "", openedWithLabel: 3 }], labels, view, []);
    assert.equal(s.reason, "ScopeMismatch");
    assert.match(s.message, /^sealed with this cluster's key for another name or namespace: k was sealed \(strict\) for prod\/db \(recorded in sealbridge\.dev\/sealed-for\)/);
    const bare = parseAgeSecret({ apiVersion: "sealbridge.dev/v1alpha1", kind: "AgeSecret", metadata: { name: "pre-db", namespace: "prod" }, spec: { encryptedData: { k: "x" } } });
    const u = diagnoseAge(bare, [{ name: "k", ok: false, reason: "AgeNoMatchingIdentity", message: "" }], labelsToTry(bare), view, []);
    assert.equal(u.reason, "SealedForUnknownKey");
    assert.match(u.message, /age cannot tell without the target recorded at seal time/);
  });
});
