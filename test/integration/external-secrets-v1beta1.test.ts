// external-secrets.io/v1beta1 beside v1 on the real API server, with a real moto server: a GitOps
// guide's v1beta1 ClusterSecretStore + ExternalSecret applied verbatim (kubectl's calls) yield their
// Secret; the objects are stored once and read in either version; what only older v1beta1 releases
// (or v1alpha1) allowed is refused with a condition naming the field.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parseAllDocuments } from "yaml";
import { resources } from "../../src/api/resources.ts";
import type { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import type { KubeObject, KubePort } from "../../src/kube/port.ts";
import { createAwsClient } from "../../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { testCluster, type TestCluster } from "../support/control-plane.ts";
import { createSecret, readyOf, secretData, startEsoController, waitFor, waitReady } from "../support/eso.ts";
import { kubectlApply } from "../support/kubectl-apply.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

const fixture = new URL("../fixtures/eso-v1beta1/aws-secrets-manager.yaml", import.meta.url).pathname;

let cluster: TestCluster;
let kube: KubePort;
let moto: RunningServer;
let controllers: ExternalSecretsControllers;
let sm: SecretsManagerClient;

before(async () => {
  cluster = await testCluster();
  kube = cluster.kube;
  moto = await startMoto();
  // The guide's store is in us-east-1; moto keeps secrets per region.
  sm = new SecretsManagerClient({ region: "us-east-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  controllers = await startEsoController(kube, {
    aws: (input) => createAwsClient({ ...input, options: { secretsManagerEndpoint: moto.url, stsEndpoint: moto.url } }),
    vault: (input) => createVaultClient({ ...input, options: {} }),
  });
});

after(async () => {
  await controllers?.stop();
  sm?.destroy();
  await moto?.stop();
});

async function ensureNamespace(name: string): Promise<void> {
  if (!(await kube.get(resources.namespace, undefined, name))) {
    await kube.create(resources.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  }
}

async function getAs(version: string, namespace: string, name: string): Promise<KubeObject> {
  return (await cluster.kube.request("GET", `/apis/external-secrets.io/${version}/namespaces/${namespace}/externalsecrets/${name}`)) as KubeObject;
}

describe("external-secrets.io/v1beta1", () => {
  test("the guide's v1beta1 ClusterSecretStore and ExternalSecret, applied verbatim, yield their Secret", async () => {
    const text = readFileSync(fixture, "utf8");
    // The guide's own steps before `kubectl apply -f`: namespaces, the credentials Secret, the remote secrets.
    await ensureNamespace("external-secrets");
    await ensureNamespace("my-app");
    await createSecret(kube, "external-secrets", "awssm-secret", { "access-key": "AKIDEXAMPLE", "secret-access-key": "example" });
    await sm.send(new CreateSecretCommand({ Name: "prod/my-app/database", SecretString: JSON.stringify({ username: "app", password: "s3cr3t" }) }));
    await sm.send(new CreateSecretCommand({ Name: "prod/my-app/config", SecretString: JSON.stringify({ DB_HOST: "db.internal", DB_PORT: 5432 }) }));

    const applied = await kubectlApply(cluster.kube, text);
    assert.deepEqual(applied.map((o) => `${o.apiVersion} ${o.kind}`), ["external-secrets.io/v1beta1 ClusterSecretStore", "external-secrets.io/v1beta1 ExternalSecret"]);

    await waitFor("ClusterSecretStore Ready", async () => (readyOf(await kube.get(resources.clusterSecretStore, undefined, "aws-secrets-manager"))?.reason === "Valid" ? true : undefined), 30_000);
    const es = await waitReady(kube, "my-app", "database-credentials", "SecretSynced", 30_000);
    assert.equal(readyOf(es)?.status, "True");
    const secret = await kube.get(resources.secret, "my-app", "database-credentials");
    assert.deepEqual(secretData(secret), { username: "app", password: "s3cr3t", DB_HOST: "db.internal", DB_PORT: "5432" });
    assert.equal(secret?.metadata?.ownerReferences?.[0]?.kind, "ExternalSecret");
    assert.equal(secret?.metadata?.ownerReferences?.[0]?.uid, es.metadata?.uid);

    // One stored object, read in either version; the spec as written (nothing pruned or defaulted).
    const docs = parseAllDocuments(text).map((d) => d.toJSON() as KubeObject);
    const asV1beta1 = await getAs("v1beta1", "my-app", "database-credentials");
    const asV1 = await getAs("v1", "my-app", "database-credentials");
    assert.equal(asV1beta1.apiVersion, "external-secrets.io/v1beta1");
    assert.equal(asV1.apiVersion, "external-secrets.io/v1");
    assert.deepEqual(asV1beta1["spec"], docs[1]?.["spec"]);
    assert.deepEqual(asV1["spec"], docs[1]?.["spec"]);
    assert.deepEqual(asV1beta1["status"], asV1["status"], "the status written through v1 reads the same in v1beta1");
  });

  test("v1beta1 fields that v1 dropped are refused with a condition naming the field; the Secret is untouched", async () => {
    await ensureNamespace("my-app");
    await sm.send(new CreateSecretCommand({ Name: "prod/my-app/legacy", SecretString: JSON.stringify({ a: "1" }) }));
    await kubectlApply(cluster.kube, `
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: legacy-engine, namespace: my-app}
spec:
  secretStoreRef: {name: aws-secrets-manager, kind: ClusterSecretStore}
  target:
    template:
      engineVersion: v1
      data: {a: "{{ .a | toString }}"}
  dataFrom:
    - extract: {key: prod/my-app/legacy}
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: legacy-datafrom, namespace: my-app}
spec:
  secretStoreRef: {name: aws-secrets-manager, kind: ClusterSecretStore}
  dataFrom:
    - key: prod/my-app/legacy
`);
    const engine = await waitReady(kube, "my-app", "legacy-engine", "SecretSyncedError", 30_000);
    assert.equal(readyOf(engine)?.status, "False");
    assert.match(readyOf(engine)?.message ?? "", /^InvalidSpec: spec\.target\.template\.engineVersion v1 is not supported/);
    const dataFrom = await waitReady(kube, "my-app", "legacy-datafrom", "SecretSyncedError", 30_000);
    assert.match(readyOf(dataFrom)?.message ?? "", /^InvalidSpec: spec\.dataFrom\[0\]\.key is the v1alpha1 form of dataFrom.*spec\.dataFrom\[0\]\.extract\.key/);
    assert.equal(await kube.get(resources.secret, "my-app", "legacy-engine"), undefined);
    assert.equal(await kube.get(resources.secret, "my-app", "legacy-datafrom"), undefined);
  });

  test("a namespaced v1beta1 SecretStore with v1beta1's integer refreshInterval serves a v1beta1 ExternalSecret", async () => {
    await ensureNamespace("my-app");
    await createSecret(kube, "my-app", "awssm-secret", { "access-key": "AKIDEXAMPLE", "secret-access-key": "example" });
    await sm.send(new CreateSecretCommand({ Name: "prod/my-app/api-key", SecretString: "k-123" }));
    await kubectlApply(cluster.kube, `
apiVersion: external-secrets.io/v1beta1
kind: SecretStore
metadata: {name: aws-local, namespace: my-app}
spec:
  refreshInterval: 3600
  provider:
    aws:
      service: SecretsManager
      region: us-east-1
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: awssm-secret, key: access-key}
          secretAccessKeySecretRef: {name: awssm-secret, key: secret-access-key}
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: api-key, namespace: my-app}
spec:
  refreshInterval: 15m
  secretStoreRef: {name: aws-local, kind: SecretStore}
  target: {name: api-key}
  data:
    - secretKey: API_KEY
      remoteRef: {key: prod/my-app/api-key}
`);
    await waitReady(kube, "my-app", "api-key", "SecretSynced", 30_000);
    assert.deepEqual(secretData(await kube.get(resources.secret, "my-app", "api-key")), { API_KEY: "k-123" });
  });

  test("a version the CRDs do not serve is refused as kubectl reports it", async () => {
    await assert.rejects(
      kubectlApply(cluster.kube, "apiVersion: external-secrets.io/v1alpha1\nkind: ExternalSecret\nmetadata: {name: x, namespace: my-app}\nspec: {}\n"),
      /no matches for kind "ExternalSecret" in version "external-secrets.io\/v1alpha1"/,
    );
  });
});
