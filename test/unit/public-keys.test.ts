// The public-keys ConfigMap, pure: what it holds (public material only) and when it must be written.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateX25519Identity } from "age-encryption";
import { scopeRecipient } from "../../src/crypto/age-scope.ts";
import { generateSealingKeyPair } from "../../src/crypto/certificate.ts";
import { ageRecipientOf } from "../../src/crypto/age.ts";
import { buildKeyring } from "../../src/controller/keys/keyring.ts";
import { publicKeysData, publicKeysWrite, publicMaterial } from "../../src/controller/keys/public-keys.ts";
import type { AgeKeyring } from "../../src/controller/keys/age-keyring.ts";

const target = { namespace: "kube-system", name: "sealbridge-public-keys" };

describe("public-keys ConfigMap", () => {
  it("holds the newest usable certificate and the cluster-wide recipients of usable age keys, nothing private", async () => {
    const [older, newer] = await Promise.all([generateSealingKeyPair({ now: new Date(), bits: 2048 }), generateSealingKeyPair({ now: new Date(), bits: 2048 })]);
    const secret = (name: string, pair: typeof older, created: string, compromised = false) => ({
      metadata: { name, creationTimestamp: created, ...(compromised ? { annotations: { "sealbridge.dev/key-status": "compromised" } } : {}) },
      data: { "tls.key": Buffer.from(pair.privateKeyPem).toString("base64"), "tls.crt": Buffer.from(pair.certificatePem).toString("base64") },
    });
    const rsa = buildKeyring([secret("a", older, "2026-01-01T00:00:00Z"), secret("b", newer, "2026-02-01T00:00:00Z", true)]);
    const [id1, id2] = await Promise.all([generateX25519Identity(), generateX25519Identity()]);
    const ageKey = async (name: string, identity: string, compromised: boolean) => ({ name, identity, compromised, kind: "x25519" as const, createdAt: new Date(), fingerprint: name, recipient: await ageRecipientOf(identity) });
    const age: AgeKeyring = { keys: [await ageKey("new", id1, false), await ageKey("bad", id2, true)], problems: [] };
    const data = publicKeysData(await publicMaterial({ rsa, age }));
    assert.deepEqual(data, {
      "cert.pem": older.certificatePem,
      "cert-sha256": older.fingerprint,
      "age-recipients-cluster-wide": `${await scopeRecipient(id1, { scope: "cluster-wide", namespace: "", name: "" })}\n`,
    }, "the compromised keys are left out");
    assert.doesNotMatch(JSON.stringify(data), /PRIVATE KEY|AGE-SECRET-KEY/);
    assert.deepEqual(publicKeysData(await publicMaterial({})), {});
  });

  it("writes only when the content differs, and never while there is nothing to publish", () => {
    const data = { "cert.pem": "PEM", "cert-sha256": "ab" };
    const create = publicKeysWrite(undefined, target, data);
    assert.equal(create.kind, "create");
    if (create.kind === "create") assert.deepEqual(create.configMap.metadata, { ...target, labels: { "app.kubernetes.io/managed-by": "sealbridge" } });
    const existing = { apiVersion: "v1", kind: "ConfigMap", metadata: { ...target, resourceVersion: "7", labels: { team: "x" } }, data: { "cert-sha256": "ab", "cert.pem": "PEM" } };
    assert.deepEqual(publicKeysWrite(existing, target, data), { kind: "none" }, "same content in another order: no write");
    const replace = publicKeysWrite({ ...existing, binaryData: { x: "eA==" } }, target, { ...data, "cert.pem": "NEW" });
    assert.equal(replace.kind, "replace");
    if (replace.kind === "replace") {
      assert.equal(replace.configMap.metadata?.resourceVersion, "7", "guarded by the version read");
      assert.deepEqual(replace.configMap.metadata?.labels, { team: "x" }, "other metadata kept");
      assert.equal(replace.configMap["binaryData"], undefined);
    }
    assert.deepEqual(publicKeysWrite(existing, target, {}), { kind: "none" }, "keys not loaded: leave it as it is");
  });
});
