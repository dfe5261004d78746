// Keyed change-detection hashes: the data-hash annotation on ExternalSecret targets is an HMAC under
// a per-cluster key kept beside the sealing keys; one written by an earlier version (unkeyed) is
// recognised and rewritten keyed on the next sync.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import { ANNOTATION_DATA_HASH, dataHash, targetState } from "../../src/controller/external-secret/plan.ts";
import { HASH_KEY_SECRET, loadOrCreateHashKey } from "../../src/controller/keys/hash-key.ts";
import { createAwsClient } from "../../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { createAwsStaticKeyStore, quietLogger, waitFor, waitReady } from "../support/eso.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

describe("data hash (pure)", () => {
  const data = { password: Buffer.from("1234").toString("base64") };
  const key = new Uint8Array(32).fill(7);
  it("is keyed: the unkeyed hash of a guess does not match", () => {
    assert.notEqual(dataHash(data, key), dataHash(data));
    assert.notEqual(dataHash(data, key), dataHash(data, new Uint8Array(32).fill(8)));
    assert.equal(dataHash(data, key).length, 32);
  });
  it("an unkeyed annotation from an earlier version is not intact once there is a key", () => {
    const secret = { metadata: { annotations: { [ANNOTATION_DATA_HASH]: dataHash(data) } }, data };
    assert.equal(targetState(secret).intact, true);
    assert.equal(targetState(secret, key).intact, false);
    assert.equal(targetState({ ...secret, metadata: { annotations: { [ANNOTATION_DATA_HASH]: dataHash(data, key) } } }, key).intact, true);
  });
});

describe("hash key on the API server", () => {
  let cluster: TestCluster;
  let moto: RunningServer;
  let controllers: ExternalSecretsControllers | undefined;
  before(async () => {
    [cluster, moto] = await Promise.all([testCluster(), startMoto()]);
  });
  after(async () => {
    await controllers?.stop();
    await moto?.stop();
  });

  it("is made once and reused; concurrent first starts agree on one key", async () => {
    const keyNs = await freshNamespace(cluster, "hk");
    const [a, b] = await Promise.all([loadOrCreateHashKey(cluster.kube, keyNs, quietLogger()), loadOrCreateHashKey(cluster.kube, keyNs, quietLogger())]);
    assert.deepEqual(a, b);
    assert.deepEqual(await loadOrCreateHashKey(cluster.kube, keyNs, quietLogger()), a);
    const secret = await cluster.kube.get(resources.secret, keyNs, HASH_KEY_SECRET);
    assert.equal(secret?.metadata?.labels?.["sealbridge.dev/hash-key"], "true");
  });

  it("ExternalSecret targets carry the keyed hash; an unkeyed one is rewritten once", async () => {
    const keyNs = await freshNamespace(cluster, "hk");
    const ns = await freshNamespace(cluster, "hke");
    const hashKey = await loadOrCreateHashKey(cluster.kube, keyNs, quietLogger());
    const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    try {
      await sm.send(new CreateSecretCommand({ Name: `hk-${ns}`, SecretString: "1234" }));
    } finally {
      sm.destroy();
    }
    await createAwsStaticKeyStore(cluster.kube, ns, "test");
    const data = { pin: Buffer.from("1234").toString("base64") };
    // What an earlier version left: the right data under an unkeyed hash.
    await cluster.kube.create(resources.secret, { apiVersion: "v1", kind: "Secret", metadata: { name: "app", namespace: ns, annotations: { [ANNOTATION_DATA_HASH]: dataHash(data) } }, data });
    controllers = new ExternalSecretsControllers({
      kube: cluster.kube,
      log: quietLogger(),
      controllerClass: "default",
      workers: 2,
      hashKey,
      factories: {
        aws: (input) => createAwsClient({ ...input, options: { secretsManagerEndpoint: moto.url, stsEndpoint: moto.url } }),
        vault: (input) => createVaultClient({ ...input, options: {} }),
      },
    });
    await controllers.start();
    await cluster.kube.create(resources.externalSecret, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "app", namespace: ns },
      spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, target: { name: "app", creationPolicy: "Merge" }, data: [{ secretKey: "pin", remoteRef: { key: `hk-${ns}` } }] },
    });
    await waitReady(cluster.kube, ns, "app", "SecretSynced", 60_000);
    const secret = await waitFor("keyed hash", async () => {
      const s = await cluster.kube.get(resources.secret, ns, "app");
      return s?.metadata?.annotations?.[ANNOTATION_DATA_HASH] === dataHash(data, hashKey) ? s : undefined;
    }, 30_000);
    assert.notEqual(secret.metadata?.annotations?.[ANNOTATION_DATA_HASH], dataHash(data), "no unkeyed hash of the value on the Secret");
  });
});
