// Pure pieces of the age and SOPS features: SOPS value formatting and metadata rules, the mapping of
// a decrypted document to Secret data, the AgeSecret diagnosis and the SopsSecret plan's states.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AgeSecret } from "../../src/api/age-secret.ts";
import { parseSopsSecret, secretDataFromSops, type SopsSecret } from "../../src/api/sops-secret.ts";
import { ageLabelsToTry, diagnoseAge } from "../../src/controller/age-secret/plan.ts";
import { planSops } from "../../src/controller/sops-secret/plan.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import { detectSopsFormat, goFormatFloat, parseSopsDocument, type SopsMap } from "../../src/crypto/sops.ts";

const NOW = new Date("2026-01-02T03:04:05Z");
const META = "sops:\n  age:\n    - recipient: age1x\n      enc: x\n  lastmodified: '2026-01-01T00:00:00Z'\n  mac: ENC[AES256_GCM,data:x,iv:x,tag:x,type:str]\n";

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CryptoError);
    return err.reason;
  }
  return "none";
}

describe("SOPS documents", () => {
  it("formats floats as Go's FormatFloat(f, 'f', -1, 64)", () => {
    const cases: [number, string][] = [
      [1.5, "1.5"],
      [1000, "1000"],
      [1e21, "1000000000000000000000"],
      [1.25e-7, "0.000000125"],
      [-0, "-0"],
      [Infinity, "+Inf"],
      [-Infinity, "-Inf"],
      [NaN, "NaN"],
      [0.1 + 0.2, "0.30000000000000004"],
    ];
    for (const [n, text] of cases) assert.equal(goFormatFloat(n), text, String(n));
  });

  it("detects the format and reads dotenv metadata back from its flattened keys", () => {
    assert.equal(detectSopsFormat('{"a": 1}'), "json");
    assert.equal(detectSopsFormat("A=1\nsops_mac=ENC[x]\n"), "dotenv");
    assert.equal(detectSopsFormat("a: 1\n"), "yaml");
    const parsed = parseSopsDocument(
      "A=1\nsops_age__list_0__map_recipient=age1r\nsops_age__list_0__map_enc=-----BEGIN\\nX\nsops_lastmodified=t\nsops_mac=m\nsops_mac_only_encrypted=true\nsops_encrypted_regex=^A$\n",
    );
    assert.equal(parsed.format, "dotenv");
    assert.deepEqual(parsed.metadata.age, [{ recipient: "age1r", enc: "-----BEGIN\nX" }]);
    assert.equal(parsed.metadata.macOnlyEncrypted, true);
    assert.equal(parsed.metadata.encryptedRegex, "^A$");
    assert.deepEqual([...(parsed.branches[0]?.keys() ?? [])], ["A"]);
  });

  it("refuses what it cannot do right, each with its reason", () => {
    assert.equal(reasonOf(() => parseSopsDocument("a: 1\n")), "SopsMetadataMissing");
    assert.equal(reasonOf(() => parseSopsDocument(`a: 1\n${META}  encrypted_comment_regex: x\n`)), "SopsUnsupported");
    assert.equal(reasonOf(() => parseSopsDocument(`a: 1\nsops:\n  shamir_threshold: 2\n  key_groups:\n    - age: []\n    - age: []\n`)), "SopsUnsupported");
    assert.equal(reasonOf(() => parseSopsDocument("a: 1\n".repeat(10), "yaml", 20)), "DocumentTooLarge");
    assert.equal(reasonOf(() => parseSopsDocument(`1: x\n${META}`)), "SopsMalformedDocument");
    assert.equal(reasonOf(() => parseSopsDocument(`- a\n`)), "SopsMalformedDocument");
    // No rule at all means sops' default unencrypted suffix.
    assert.equal(parseSopsDocument(`a: 1\n${META}`).metadata.unencryptedSuffix, "_unencrypted");
  });

  it("maps a decrypted Secret manifest or a flat document to Secret data", () => {
    const secretDoc: SopsMap = new Map<string, never>([
      ["apiVersion", "v1" as never],
      ["kind", "Secret" as never],
      ["type", "kubernetes.io/tls" as never],
      ["data", new Map([["b", "AAE="]]) as never],
      ["stringData", new Map([["s", "text"]]) as never],
    ]);
    const out = secretDataFromSops([secretDoc], false);
    assert.equal(out.type, "kubernetes.io/tls");
    assert.deepEqual(Object.fromEntries(Object.entries(out.data).map(([k, v]) => [k, Buffer.from(v).toString("hex")])), { b: "0001", s: Buffer.from("text").toString("hex") });
    const flat = new Map<string, never>([
      ["port", 5432n as never],
      ["on", true as never],
      ["nested", new Map([["x", 1n]]) as never],
      ["gone", null as never],
    ]);
    const flatOut = secretDataFromSops([flat], false);
    assert.deepEqual(Object.fromEntries(Object.entries(flatOut.data).map(([k, v]) => [k, Buffer.from(v).toString()])), { port: "5432", on: "true", nested: '{"x":"1"}' });
    const bad = new Map<string, never>([["apiVersion", "v1" as never], ["kind", "Secret" as never], ["data", new Map([["b", "not base64!"]]) as never]]);
    assert.equal(reasonOf(() => secretDataFromSops([bad], false)), "SopsMalformedDocument");
  });

  it("parses both SopsSecret forms and refuses an object with neither or both", () => {
    const base = { apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name: "a", namespace: "n" } };
    assert.equal(parseSopsSecret({ ...base, spec: { document: "x: 1" } }).spec.document, "x: 1");
    assert.ok(parseSopsSecret({ ...base, spec: { stringData: { a: "ENC[...]" } }, sops: { mac: "m" }, status: {} }).encryptedObject);
    assert.throws(() => parseSopsSecret({ ...base, spec: {} }), /spec\.document/);
    assert.throws(() => parseSopsSecret({ ...base, spec: { document: "x" }, sops: {} }), /one form/);
    assert.throws(() => parseSopsSecret({ ...base, spec: { document: "x", format: "toml" } }), /format/);
  });
});

describe("AgeSecret diagnosis", () => {
  const age: AgeSecret = {
    apiVersion: "sealbridge.dev/v1alpha1",
    kind: "AgeSecret",
    metadata: { name: "db", namespace: "b", annotations: { "sealbridge.dev/sealed-for-age-recipients": "00112233aabbccdd,ffffffffffffffff" } },
    spec: { encryptedData: { k: "x" }, template: { metadata: { name: "db", namespace: "a" } } },
  };
  const keyring = { keys: [{ fingerprint: "k1", name: "age-key-1", compromised: true }], problems: [] };

  it("tries the template's namespace after the object's own scopes", () => {
    assert.deepEqual(ageLabelsToTry(age).map((l) => l.label), ["b/db", "b", "", "a/db", "a"]);
  });

  it("names the scope a copied value was sealed for", () => {
    const labels = ageLabelsToTry(age);
    const s = diagnoseAge(age, [{ name: "k", ok: false, reason: "AgeNoMatchingIdentity", message: "", openedWithLabel: 3 }], labels, keyring, []);
    assert.equal(s.reason, "ScopeMismatch");
    assert.match(s.message, /^sealed with this cluster's key for another name or namespace: k was sealed \(strict\) for a\/db \(recorded in spec\.template\.metadata\)/);
    assert.match(s.message, /this AgeSecret is b\/db with scope strict/);
  });

  it("tells a recorded recipient of this controller from an unknown one, and malformed values first", () => {
    const labels = ageLabelsToTry(age);
    const held = [{ fingerprint: "00112233aabbccdd", keyName: "age-key-1", compromised: true, scope: "strict" as const }];
    const s = diagnoseAge(age, [{ name: "k", ok: false, reason: "AgeNoMatchingIdentity", message: "" }], labels, keyring, held);
    assert.equal(s.reason, "SealedForUnknownKey");
    assert.match(s.message, /00112233aabbccdd: this controller's key age-key-1 \(compromised\)/);
    assert.match(s.message, /ffffffffffffffff: not a recipient of this controller/);
    const m = diagnoseAge(age, [{ name: "k", ok: false, reason: "AgeScryptOnly", message: "passphrase" }], labels, keyring, held);
    assert.equal(m.reason, "InvalidCiphertext");
    assert.equal(diagnoseAge(age, [], labels, { keys: [], problems: [] }, []).reason, "NoKeyAvailable");
  });
});

describe("SopsSecret plan", () => {
  const sops: SopsSecret = {
    apiVersion: "sealbridge.dev/v1alpha1",
    kind: "SopsSecret",
    metadata: { name: "s", namespace: "n", uid: "u1", generation: 1 },
    spec: { document: "doc", identitySecretRefs: [] },
  };
  const keyring = { keys: [{ fingerprint: "f1", name: "Secret sops-age age.key", compromised: false }], problems: [] };
  const ok = { ok: true as const, data: { a: Buffer.from("1") }, identityFingerprint: "f1" };

  it("creates the Secret, and says when the MAC was not checked or an identity entry is bad", () => {
    const verified = planSops({ sops, secret: undefined, result: { ...ok, mac: { status: "Verified" } }, identityProblems: [], keyring, now: NOW });
    assert.equal(verified.write?.kind, "create");
    assert.equal(verified.state.reason, "Unsealed");
    assert.equal(verified.write?.secret.metadata?.ownerReferences?.[0]?.kind, "SopsSecret");
    const notChecked = planSops({ sops, secret: undefined, result: { ...ok, mac: { status: "NotChecked", why: "re-serialised" } }, identityProblems: [], keyring, now: NOW });
    assert.equal(notChecked.state.reason, "MacNotChecked");
    assert.equal(notChecked.status?.conditions?.[0]?.reason, "MacNotChecked");
    assert.ok(notChecked.events.some((e) => e.reason === "MacNotChecked"));
    const problem = planSops({ sops, secret: undefined, result: { ...ok, mac: { status: "Verified" } }, identityProblems: ["Secret x entry y.agekey: line 1 is not an age identity"], keyring, now: NOW });
    assert.equal(problem.state.reason, "IdentitySecretProblem");
    assert.match(problem.state.message, /y\.agekey/);
  });

  it("a failure writes no Secret and carries the identity problems in its message", () => {
    const p = planSops({ sops, secret: undefined, result: { ok: false, reason: "SopsMacMismatch", message: "MAC mismatch" }, identityProblems: ["Secret gone not found"], keyring, now: NOW });
    assert.equal(p.write, undefined);
    assert.equal(p.state.reason, "SopsMacMismatch");
    assert.match(p.state.message, /MAC mismatch; identity problems: Secret gone not found/);
  });
});
