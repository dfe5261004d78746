// creationPolicy Owner never takes over a Secret another controller owns: SecretOwnedByOther, the
// Secret untouched; once that owner is gone, the ExternalSecret owns and writes it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import type { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import { createAwsClient } from "../../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { createAwsStaticKeyStore, readyOf, secretData, startEsoController, waitFor, waitReady } from "../support/eso.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

let cluster: TestCluster;
let moto: RunningServer;
let controllers: ExternalSecretsControllers;

before(async () => {
  [cluster, moto] = await Promise.all([testCluster(), startMoto()]);
  controllers = await startEsoController(cluster.kube, {
    aws: (input) => createAwsClient({ ...input, options: { secretsManagerEndpoint: moto.url, stsEndpoint: moto.url } }),
    vault: (input) => createVaultClient({ ...input, options: {} }),
  });
});

after(async () => {
  await controllers?.stop();
  await moto?.stop();
});

test("Owner refuses a Secret controlled by another owner, with SecretOwnedByOther", { timeout: 120_000 }, async () => {
  const ns = await freshNamespace(cluster, "own");
  const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  try {
    await sm.send(new CreateSecretCommand({ Name: `owned-${ns}`, SecretString: "from-aws" }));
  } finally {
    sm.destroy();
  }
  await createAwsStaticKeyStore(cluster.kube, ns, "test");
  // A Secret some other controller made (a ConfigMap stands in for its owner object).
  const owner = await cluster.kube.create(resources.configMap, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "other-owner", namespace: ns } });
  await cluster.kube.create(resources.secret, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "app", namespace: ns, ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "other-owner", uid: owner.metadata?.uid ?? "", controller: true }] },
    stringData: { value: "theirs" },
  });
  await cluster.kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: "app", namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, target: { name: "app", creationPolicy: "Owner" }, data: [{ secretKey: "value", remoteRef: { key: `owned-${ns}` } }] },
  });
  const c = await waitFor("SecretOwnedByOther", async () => {
    const ready = readyOf(await cluster.kube.get(resources.externalSecret, ns, "app"));
    return ready?.message?.startsWith("SecretOwnedByOther") ? ready : undefined;
  }, 60_000);
  assert.equal(c.status, "False");
  assert.match(c.message ?? "", /controlled by ConfigMap other-owner/);
  const secret = await cluster.kube.get(resources.secret, ns, "app");
  assert.deepEqual(secretData(secret), { value: "theirs" }, "the Secret is untouched");
  assert.equal(secret?.metadata?.ownerReferences?.length, 1);

  // The other owner lets go: the ExternalSecret takes the Secret on its next attempt.
  await cluster.kube.patch(resources.secret, ns, "app", { metadata: { ownerReferences: null } }, "merge");
  await cluster.kube.patch(resources.externalSecret, ns, "app", { metadata: { annotations: { "force-sync": String(Date.now()) } } }, "merge");
  await waitReady(cluster.kube, ns, "app", "SecretSynced", 60_000);
  assert.deepEqual(secretData(await cluster.kube.get(resources.secret, ns, "app")), { value: "from-aws" });
});

test("a Secret over Kubernetes' 1 MiB is refused before it is sent: SecretTooLarge, nothing written", { timeout: 120_000 }, async () => {
  const ns = await freshNamespace(cluster, "big");
  const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  try {
    // Twenty remote secrets of 60,000 bytes each: 1.2 MB together through one dataFrom find.
    for (let i = 0; i < 20; i++) await sm.send(new CreateSecretCommand({ Name: `big-${ns}/part-${i}`, SecretString: "x".repeat(60_000) }));
  } finally {
    sm.destroy();
  }
  await createAwsStaticKeyStore(cluster.kube, ns, "test");
  await cluster.kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: "big", namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, target: { name: "big" }, dataFrom: [{ find: { name: { regexp: `^big-${ns}/` } }, rewrite: [{ regexp: { source: "/", target: "_" } }] }] },
  });
  const c = await waitFor("SecretTooLarge", async () => {
    const ready = readyOf(await cluster.kube.get(resources.externalSecret, ns, "big"));
    return ready?.message?.startsWith("SecretTooLarge") ? ready : undefined;
  }, 60_000);
  assert.match(c.message ?? "", /would hold \d+ bytes of data; Kubernetes allows 1048576/);
  assert.equal(await cluster.kube.get(resources.secret, ns, "big"), undefined, "nothing was written");
});
