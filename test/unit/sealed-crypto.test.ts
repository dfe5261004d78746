import assert from "node:assert/strict";
import { constants, createHash, privateDecrypt, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  certificateFingerprint,
  generateSealingKeyPair,
  parseRsaPrivateKeyPem,
  parseSealingCertificate,
  selfSignedCertificatePem,
} from "../../src/crypto/certificate.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import {
  decodeBase64Strict,
  hybridDecrypt,
  hybridEncrypt,
  oaepEncode,
  sealValue,
  unsealValue,
  type RandomSource,
} from "../../src/crypto/sealed.ts";
import { parseScope, scopeFromAnnotations, scopeLabel, withScopeAnnotations } from "../../src/crypto/scope.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/kubeseal/${name}`, import.meta.url), "utf8");
const NOW = new Date("2026-01-01T00:00:00Z");
const key = parseRsaPrivateKeyPem(fixture("tls.key"));
const cert = parseSealingCertificate(fixture("tls.crt"), NOW);

/** A deterministic random source (SHA-256 counter stream). */
function seededRandom(seed: string): RandomSource {
  let counter = 0;
  return (length) => {
    const out = Buffer.alloc(length);
    for (let at = 0; at < length; at += 32) {
      createHash("sha256").update(`${seed}:${counter++}`).digest().copy(out, at);
    }
    return out;
  };
}

function rejectsWith(reason: string, fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof CryptoError && err.reason === reason);
}

void describe("known answers from the real kubeseal v0.36.6", () => {
  for (const scope of ["strict", "namespace-wide", "cluster-wide"] as const) {
    void it(`opens values kubeseal sealed with scope ${scope}`, () => {
      const sealed = JSON.parse(fixture(`sealed-${scope}.json`)) as {
        metadata: { annotations?: Record<string, string> };
        spec: { encryptedData: Record<string, string> };
      };
      assert.equal(scopeFromAnnotations(sealed.metadata.annotations), scope);
      const label = scopeLabel(scope, "payments", "db-credentials");
      const open = (k: string): string =>
        Buffer.from(unsealValue({ privateKeys: [key], label, value: sealed.spec.encryptedData[k] ?? "" }).plaintext).toString();
      assert.equal(open("password"), "s3cr3t!");
      assert.equal(open("username"), "admin");
      assert.equal(open("empty"), "");
    });
    void it(`opens a raw value kubeseal sealed with scope ${scope}, and only with that scope's label`, () => {
      const value = fixture(`raw-${scope}.txt`);
      const label = scopeLabel(scope, "payments", "db-credentials");
      assert.equal(Buffer.from(unsealValue({ privateKeys: [key], label, value }).plaintext).toString(), "raw value");
      for (const other of ["strict", "namespace-wide", "cluster-wide"] as const) {
        if (other === scope) continue;
        rejectsWith("NoKeyCouldDecrypt", () =>
          unsealValue({ privateKeys: [key], label: scopeLabel(other, "payments", "db-credentials"), value }),
        );
      }
    });
  }
});

void describe("hybrid encryption", () => {
  void it("is deterministic given the random source (pinned vector)", () => {
    const ct = hybridEncrypt({
      publicKey: cert.publicKey,
      plaintext: Buffer.from("known answer"),
      label: scopeLabel("strict", "payments", "db-credentials"),
      random: seededRandom("kat"),
    });
    const again = hybridEncrypt({
      publicKey: cert.publicKey,
      plaintext: Buffer.from("known answer"),
      label: scopeLabel("strict", "payments", "db-credentials"),
      random: seededRandom("kat"),
    });
    assert.deepEqual(ct, again);
    assert.equal(ct.length, 2 + 256 + 12 + 16);
    assert.equal((ct[0] ?? 0) * 256 + (ct[1] ?? 0), 256);
    assert.equal(
      createHash("sha256").update(ct).digest("hex"),
      "b7eb359a73460dea3478cc0332dbadd15917441018c4f2d700f296bbc9a90582",
    );
  });

  void it("OAEP encoding matches OpenSSL's decoding byte for byte", () => {
    const label = Buffer.from("ns/name");
    const random = seededRandom("oaep");
    const message = random(32);
    const seed = random(32);
    const em = oaepEncode(message, label, 256, seed);
    const rsa = hybridEncrypt({ publicKey: cert.publicKey, plaintext: new Uint8Array(), label, random: seededRandom("oaep") });
    const raw = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, rsa.subarray(2, 258));
    assert.deepEqual(raw, em);
  });

  void it("property: decrypt(encrypt(x)) == x for random sizes, labels and scopes", () => {
    const random = seededRandom("property");
    for (let i = 0; i < 200; i++) {
      const size = (Buffer.from(random(2)).readUInt16BE(0) % 5000) * (i % 3 === 0 ? 0 : 1);
      const plaintext = random(size);
      const scope = (["strict", "namespace-wide", "cluster-wide"] as const)[i % 3] ?? "strict";
      const label = scopeLabel(scope, `ns-${i}`, `name-${i}`);
      const value = sealValue({ publicKey: cert.publicKey, plaintext, label });
      const opened = unsealValue({ privateKeys: [key], label, value });
      assert.deepEqual(Buffer.from(opened.plaintext), Buffer.from(plaintext));
    }
  });

  void it("tries every key and reports which one opened the value", async () => {
    const other = parseRsaPrivateKeyPem((await generateSealingKeyPair({ now: NOW, bits: 2048 })).privateKeyPem);
    const label = scopeLabel("cluster-wide", "", "");
    const ct = hybridEncrypt({ publicKey: cert.publicKey, plaintext: Buffer.from("x"), label });
    assert.equal(hybridDecrypt({ privateKeys: [other, key], ciphertext: ct, label }).keyIndex, 1);
    rejectsWith("NoKeyCouldDecrypt", () => hybridDecrypt({ privateKeys: [other], ciphertext: ct, label }));
  });

  void it("works with RSA-4096 (the controller's default key size)", async () => {
    const pair = await generateSealingKeyPair({ now: NOW });
    const c = parseSealingCertificate(pair.certificatePem, NOW);
    const k: KeyObject = parseRsaPrivateKeyPem(pair.privateKeyPem);
    assert.equal(c.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
    const label = scopeLabel("strict", "a", "b");
    const ct = hybridEncrypt({ publicKey: c.publicKey, plaintext: Buffer.from("four k"), label });
    assert.equal((ct[0] ?? 0) * 256 + (ct[1] ?? 0), 512);
    assert.equal(Buffer.from(hybridDecrypt({ privateKeys: [k], ciphertext: ct, label }).plaintext).toString(), "four k");
    assert.equal(pair.fingerprint, certificateFingerprint(pair.certificatePem));
    assert.equal(pair.fingerprint, c.fingerprint);
  });
});

void describe("bad input", () => {
  const label = scopeLabel("strict", "payments", "db-credentials");
  const good = hybridEncrypt({ publicKey: cert.publicKey, plaintext: Buffer.from("value"), label });

  void it("rejects non-base64 and unpadded base64", () => {
    rejectsWith("InvalidBase64", () => decodeBase64Strict("not base64!"));
    rejectsWith("InvalidBase64", () => decodeBase64Strict("QUJD RA=="));
    rejectsWith("InvalidBase64", () => decodeBase64Strict("QUJDRA"));
    assert.deepEqual(Buffer.from(decodeBase64Strict("QUJD\nRA==")).toString(), "ABCD");
  });
  void it("rejects values too short for the length prefix or the GCM tag", () => {
    rejectsWith("CiphertextTooShort", () => hybridDecrypt({ privateKeys: [key], ciphertext: Buffer.of(1), label }));
    rejectsWith("CiphertextTooShort", () => hybridDecrypt({ privateKeys: [key], ciphertext: good.subarray(0, 258 + 10), label }));
  });
  void it("rejects a length prefix that overruns the value", () => {
    const bad = Buffer.from(good);
    bad.writeUInt16BE(4000, 0);
    assert.throws(
      () => hybridDecrypt({ privateKeys: [key], ciphertext: bad, label }),
      (err: unknown) => err instanceof CryptoError && err.reason === "LengthPrefixOverrun" && /4000/.test(err.message),
    );
  });
  void it("rejects an RSA block of the wrong size for every key", () => {
    const bad = Buffer.concat([Buffer.of(0, 128), good.subarray(2, 130), good.subarray(258)]);
    assert.throws(
      () => hybridDecrypt({ privateKeys: [key], ciphertext: bad, label }),
      (err: unknown) => err instanceof CryptoError && err.reason === "WrongRsaBlockSize" && /128 bytes/.test(err.message),
    );
  });
  void it("rejects tampered AES data", () => {
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    rejectsWith("NoKeyCouldDecrypt", () => hybridDecrypt({ privateKeys: [key], ciphertext: bad, label }));
  });
  void it("rejects an expired certificate and a non-RSA certificate", () => {
    const expired = selfSignedCertificatePem(fixture("tls.key"), {
      now: new Date("2020-01-01T00:00:00Z"),
      commonName: "old",
      validityMs: 24 * 3600 * 1000,
    });
    assert.throws(
      () => parseSealingCertificate(expired, NOW),
      (err: unknown) => err instanceof CryptoError && err.reason === "CertificateExpired" && /2020-01-02/.test(err.message),
    );
    rejectsWith("InvalidCertificate", () => parseSealingCertificate("hello", NOW));
    rejectsWith("CertificateNotRsa", () => parseSealingCertificate(fixture("ec.crt"), NOW));
  });
  void it("rejects unknown scopes", () => {
    rejectsWith("InvalidScope", () => parseScope("global"));
    assert.deepEqual(withScopeAnnotations({ a: "1", "sealedsecrets.bitnami.com/cluster-wide": "true" }, "namespace-wide"), {
      a: "1",
      "sealedsecrets.bitnami.com/namespace-wide": "true",
    });
  });
});
