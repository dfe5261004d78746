// A sealing-key Secret deleted by accident must not cost a key: it stays loaded (SealedSecrets
// sealed to it keep opening, nothing new is minted in its place), a Warning Event and a metric name
// its fingerprint. A key marked retired before its Secret is deleted is dropped on purpose.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { resources } from "../../src/api/resources.ts";
import { parseSealingCertificate, type SealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { eventually, secretData, startController, waitForReason, type Started } from "../support/sealed-controller.ts";

const KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key";

let cluster: TestCluster;

before(async () => {
  cluster = await testCluster();
});

function sealedSecret(cert: SealingCertificate, ns: string, name: string, value: string): KubeObject {
  const label = scopeLabel("strict", ns, name);
  return {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { name, namespace: ns },
    spec: { encryptedData: { password: sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(value), label }) } },
  };
}

describe("sealing key Secret deleted", () => {
  let keyNs = "";
  let ns = "";
  let rt: Started;
  let cert: SealingCertificate;

  before(async () => {
    keyNs = await freshNamespace(cluster, "keys");
    ns = await freshNamespace(cluster, "kd");
    rt = await startController(cluster, { keyNamespace: keyNs, watchNamespace: ns });
    const res = await fetch(`http://127.0.0.1:${rt.api.port}/v1/cert.pem`);
    cert = parseSealingCertificate(await res.text(), new Date());
  });
  after(async () => {
    await rt.stop();
  });

  const keySecrets = () => cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: KEY_LABEL });
  const metrics = async () => (await fetch(`http://127.0.0.1:${rt.metrics.port}/metrics`)).text();

  it("keeps the key loaded, mints none, and says so in an Event and a metric", async () => {
    await cluster.kube.create(resources.sealedSecret, sealedSecret(cert, ns, "before", "pw-before"));
    await waitForReason(cluster, ns, "before", "Unsealed");
    const [key] = await keySecrets();
    const keyName = key?.metadata?.name ?? "";
    assert.ok(keyName);

    await cluster.kube.delete(resources.secret, keyNs, keyName);
    const event = await eventually("SealingKeyDeleted event", async () => {
      const events = await cluster.kube.list(resources.event, { namespace: keyNs });
      return events.find((e) => e["reason"] === "SealingKeyDeleted" && (e["regarding"] as { name?: string } | undefined)?.name === keyName);
    });
    assert.equal(event["type"], "Warning");
    assert.match(String(event["note"]), new RegExp(cert.fingerprint));
    assert.match(await metrics(), new RegExp(`^sealbridge_sealing_key_secret_deleted\\{key="${keyName}",fingerprint="${cert.fingerprint}"\\} 1$`, "m"));
    assert.ok(rt.logs.some((l) => l.includes('"level":40') && l.includes(cert.fingerprint) && l.includes("stays loaded")), "a warning log names the fingerprint");

    // A SealedSecret sealed to the deleted key after the delete still opens; /v1/cert.pem still serves it.
    await cluster.kube.create(resources.sealedSecret, sealedSecret(cert, ns, "after", "pw-after"));
    await waitForReason(cluster, ns, "after", "Unsealed");
    assert.deepEqual(secretData(await cluster.kube.get(resources.secret, ns, "after")), { password: "pw-after" });
    const served = parseSealingCertificate(await (await fetch(`http://127.0.0.1:${rt.api.port}/v1/cert.pem`)).text(), new Date());
    assert.equal(served.fingerprint, cert.fingerprint);
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal((await keySecrets()).length, 0, "no key minted to replace it");
    assert.equal(rt.keys.minted, 1);
  });

  it("a restored key Secret is an ordinary key again", async () => {
    // What `kubectl apply -f backup.yaml` does: the same key under its old name.
    const pem = rt.keys.keyring.keys[0];
    assert.ok(pem);
    await cluster.kube.create(resources.secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: pem.name, namespace: keyNs, labels: { [KEY_LABEL]: "active" } },
      type: "kubernetes.io/tls",
      data: { "tls.key": Buffer.from(pem.privateKeyPem).toString("base64"), "tls.crt": Buffer.from(pem.certificatePem).toString("base64") },
    });
    await eventually("metric cleared", async () => (/^sealbridge_sealing_key_secret_deleted\{/m.test(await metrics()) ? undefined : true));
    assert.deepEqual(rt.keys.deletedKeys(), []);
  });

  it("a key marked retired before the delete is dropped, and a first key is minted only when none is left", async () => {
    const [key] = await keySecrets();
    const keyName = key?.metadata?.name ?? "";
    await cluster.kube.patch(resources.secret, keyNs, keyName, { metadata: { annotations: { "sealbridge.dev/key-status": "retired" } } }, "merge");
    // The watch delivers the annotation before the delete: the key is dropped, not kept.
    await cluster.kube.delete(resources.secret, keyNs, keyName);
    await eventually("a new first key", async () => ((await keySecrets()).length === 1 && rt.keys.minted === 2 ? true : undefined));
    assert.ok(!rt.keys.keyring.keys.some((k) => k.fingerprint === cert.fingerprint), "the retired key is gone from memory");
    assert.deepEqual(rt.keys.deletedKeys(), []);
    const events = await cluster.kube.list(resources.event, { namespace: keyNs });
    assert.equal(events.filter((e) => e["reason"] === "SealingKeyDeleted" && (e["regarding"] as { name?: string }).name === keyName).length, 1, "only the accidental delete warned");
  });
});
