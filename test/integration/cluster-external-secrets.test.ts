// ClusterExternalSecret (external-secrets.io/v1) on the real API server with moto as the store: one
// ExternalSecret per selected namespace (namespaceSelectors, the deprecated namespaceSelector,
// namespaces by name), owned by the ClusterExternalSecret, created as namespaces arrive and removed
// as they leave or terminate; a foreign ExternalSecret of the same name is reported in failedNamespaces and left
// alone; an edited ExternalSecret is restored; deleting the ClusterExternalSecret removes them all.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import type { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import type { KubePort } from "../../src/kube/port.ts";
import { createAwsClient } from "../../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { readyOf, secretData, startEsoController, waitFor, waitReady } from "../support/eso.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

let cluster: TestCluster;
let kube: KubePort;
let moto: RunningServer;
let sm: SecretsManagerClient;
let controllers: ExternalSecretsControllers | undefined;
let store = "";
let remoteKey = "";

const uniq = () => Math.random().toString(36).slice(2, 8);
const DEADLINE = 60_000;

before(async () => {
  cluster = await testCluster();
  kube = cluster.kube;
  moto = await startMoto();
  sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  controllers = await startEsoController(kube, {
    aws: (input) => createAwsClient({ ...input, options: { secretsManagerEndpoint: moto.url, stsEndpoint: moto.url } }),
    vault: (input) => createVaultClient({ ...input, options: {} }),
  });
  // One ClusterSecretStore whose credentials live in a namespace of their own.
  const credsNs = await freshNamespace(cluster, "creds");
  await kube.create(resources.secret, { apiVersion: "v1", kind: "Secret", metadata: { name: "aws-creds", namespace: credsNs }, stringData: { id: "AKIDEXAMPLE", secret: "test" } });
  store = `aws-${uniq()}`;
  const ref = (key: string) => ({ name: "aws-creds", key, namespace: credsNs });
  await kube.create(resources.clusterSecretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "ClusterSecretStore",
    metadata: { name: store },
    spec: { provider: { aws: { service: "SecretsManager", region: "eu-west-1", auth: { secretRef: { accessKeyIDSecretRef: ref("id"), secretAccessKeySecretRef: ref("secret") } } } } },
  });
  remoteKey = `ces-${uniq()}/db`;
  await sm.send(new CreateSecretCommand({ Name: remoteKey, SecretString: JSON.stringify({ user: "admin", password: "pw" }) }));
});

after(async () => {
  await controllers?.stop();
  sm?.destroy();
  await moto?.stop();
});

async function namespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = await freshNamespace(cluster, prefix);
  if (Object.keys(labels).length) await kube.patch(resources.namespace, undefined, name, { metadata: { labels } }, "merge");
  return name;
}

function esSpec(): Record<string, unknown> {
  return {
    refreshInterval: "1h",
    secretStoreRef: { name: store, kind: "ClusterSecretStore" },
    target: { name: "db" },
    dataFrom: [{ extract: { key: remoteKey } }],
  };
}

async function ces(name: string, spec: Record<string, unknown>): Promise<void> {
  await kube.create(resources.clusterExternalSecret, { apiVersion: "external-secrets.io/v1", kind: "ClusterExternalSecret", metadata: { name }, spec });
}

interface CesStatus {
  externalSecretName?: string;
  provisionedNamespaces?: string[];
  failedNamespaces?: { namespace: string; reason: string }[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

const statusOf = async (name: string) => ((await kube.get(resources.clusterExternalSecret, undefined, name))?.["status"] ?? {}) as CesStatus;

async function waitProvisioned(name: string, expected: string[], failed: string[] = []): Promise<CesStatus> {
  return await waitFor(`ClusterExternalSecret ${name} provisioned in ${expected.join(",")}`, async () => {
    const s = await statusOf(name);
    const ok = JSON.stringify(s.provisionedNamespaces ?? []) === JSON.stringify([...expected].sort()) &&
      JSON.stringify((s.failedNamespaces ?? []).map((f) => f.namespace)) === JSON.stringify([...failed].sort());
    return ok ? s : undefined;
  }, DEADLINE);
}

const externalSecretIn = (ns: string, name: string) => kube.get(resources.externalSecret, ns, name);

/** Deletes a ClusterExternalSecret and waits until its cleanup finalizer has let it go. */
async function removeCes(name: string): Promise<void> {
  await kube.delete(resources.clusterExternalSecret, undefined, name);
  await waitFor(`ClusterExternalSecret ${name} gone`, async () => ((await kube.get(resources.clusterExternalSecret, undefined, name)) === undefined ? true : undefined), DEADLINE);
}

describe("ClusterExternalSecret", () => {
  test("provisions labelled and named namespaces; follows label changes and new namespaces", { timeout: 180_000 }, async () => {
    const label = `team-${uniq()}`;
    const a = await namespace("ces-a", { team: label });
    const b = await namespace("ces-b", { team: label, tier: "gold" });
    const byName = await namespace("ces-n");
    const other = await namespace("ces-o", { team: "someone-else" });
    const name = `ces-${uniq()}`;
    await ces(name, {
      refreshTime: "1m",
      namespaceSelectors: [{ matchLabels: { team: label } }],
      namespaces: [byName],
      externalSecretMetadata: { labels: { "app.kubernetes.io/part-of": "billing" }, annotations: { note: "from-ces" } },
      externalSecretSpec: esSpec(),
    });
    const status = await waitProvisioned(name, [a, b, byName]);
    assert.equal(status.externalSecretName, name, "the ExternalSecrets are named after the ClusterExternalSecret");
    assert.deepEqual(status.conditions?.map((c) => [c.type, c.status, c.reason]), [["Ready", "True", "Provisioned"]]);
    const cesObj = await kube.get(resources.clusterExternalSecret, undefined, name);
    assert.ok(cesObj?.metadata?.finalizers?.includes("externalsecrets.external-secrets.io/clusterexternalsecret-cleanup"));
    for (const ns of [a, b, byName]) {
      const es = await externalSecretIn(ns, name);
      const owner = es?.metadata?.ownerReferences?.[0];
      assert.deepEqual([owner?.apiVersion, owner?.kind, owner?.name, owner?.uid, owner?.controller], ["external-secrets.io/v1", "ClusterExternalSecret", name, cesObj?.metadata?.uid, true]);
      assert.equal(es?.metadata?.labels?.["app.kubernetes.io/part-of"], "billing");
      assert.equal(es?.metadata?.annotations?.["note"], "from-ces");
      await waitReady(kube, ns, name, "SecretSynced", DEADLINE);
      assert.deepEqual(secretData(await kube.get(resources.secret, ns, "db")), { user: "admin", password: "pw" });
      const nsObj = await kube.get(resources.namespace, undefined, ns);
      assert.ok(nsObj?.metadata?.finalizers?.includes(`externalsecrets.external-secrets.io/ces-${name}`), "namespace finalizer, as ESO");
    }
    assert.equal(await externalSecretIn(other, name), undefined, "an unselected namespace gets nothing");

    // The label goes: the ExternalSecret and our namespace finalizer go.
    await kube.patch(resources.namespace, undefined, b, { metadata: { labels: { team: null } } }, "merge");
    await waitProvisioned(name, [a, byName]);
    await waitFor("ExternalSecret removed from the deselected namespace", async () => ((await externalSecretIn(b, name)) === undefined ? true : undefined), DEADLINE);
    await waitFor("finalizer removed", async () => {
      const nsObj = await kube.get(resources.namespace, undefined, b);
      return nsObj?.metadata?.finalizers?.includes(`externalsecrets.external-secrets.io/ces-${name}`) ? undefined : true;
    }, DEADLINE);

    // A new namespace with the label: provisioned.
    const c = await namespace("ces-c", { team: label });
    await waitProvisioned(name, [a, byName, c]);
    await waitReady(kube, c, name, "SecretSynced", DEADLINE);

    // A namespace being deleted: our finalizer is removed so it can go, and it is no longer provisioned.
    const d = await namespace("ces-d", { team: label });
    await waitProvisioned(name, [a, byName, c, d]);
    await kube.delete(resources.namespace, undefined, d);
    await waitProvisioned(name, [a, byName, c]);
    await waitFor("finalizer removed from the terminating namespace", async () => {
      const nsObj = await kube.get(resources.namespace, undefined, d);
      return nsObj?.metadata?.finalizers?.includes(`externalsecrets.external-secrets.io/ces-${name}`) ? undefined : true;
    }, DEADLINE);

    // An edit of an owned ExternalSecret is reverted.
    await kube.patch(resources.externalSecret, a, name, { metadata: { labels: { "app.kubernetes.io/part-of": "edited" } }, spec: { refreshInterval: "5m" } }, "merge");
    await waitFor("ExternalSecret restored", async () => {
      const es = await externalSecretIn(a, name);
      return es?.metadata?.labels?.["app.kubernetes.io/part-of"] === "billing" && (es["spec"] as { refreshInterval?: string }).refreshInterval === "1h" ? true : undefined;
    }, DEADLINE);

    // Deleting the ClusterExternalSecret removes its ExternalSecrets, then it goes.
    await removeCes(name);
    for (const ns of [a, byName, c]) {
      assert.equal(await externalSecretIn(ns, name), undefined, `${ns}: ExternalSecret removed`);
      const nsObj = await kube.get(resources.namespace, undefined, ns);
      assert.ok(!nsObj?.metadata?.finalizers?.includes(`externalsecrets.external-secrets.io/ces-${name}`), `${ns}: finalizer removed`);
    }
  });

  test("a foreign ExternalSecret of the same name: failedNamespaces with ESO's reason, left untouched; freed when it goes", { timeout: 180_000 }, async () => {
    const label = `team-${uniq()}`;
    const ok = await namespace("ces-ok", { env: label });
    const taken = await namespace("ces-taken", { env: label });
    const foreignSpec = { refreshInterval: "0", secretStoreRef: { name: store, kind: "ClusterSecretStore" }, target: { name: "mine" }, data: [{ secretKey: "u", remoteRef: { key: remoteKey, property: "user" } }] };
    await kube.create(resources.externalSecret, { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name: "shared", namespace: taken, labels: { owner: "me" } }, spec: foreignSpec });
    const name = `ces-${uniq()}`;
    await ces(name, {
      // The deprecated singular selector, with an expression; and a different ExternalSecret name.
      namespaceSelector: { matchExpressions: [{ key: "env", operator: "In", values: [label] }] },
      externalSecretName: "shared",
      externalSecretSpec: esSpec(),
    });
    const status = await waitProvisioned(name, [ok], [taken]);
    assert.deepEqual(status.failedNamespaces, [{ namespace: taken, reason: "external secret already exists in namespace" }]);
    assert.deepEqual(status.conditions?.map((c) => [c.type, c.status, c.reason, c.message]), [["Ready", "False", "NamespacesFailed", "one or more namespaces failed"]]);
    const foreign = await externalSecretIn(taken, "shared");
    assert.equal(foreign?.metadata?.labels?.["owner"], "me");
    assert.equal(foreign?.metadata?.ownerReferences, undefined);
    assert.deepEqual((foreign?.["spec"] as { target?: unknown }).target, { name: "mine" }, "the foreign ExternalSecret is untouched");
    await waitReady(kube, ok, "shared", "SecretSynced", DEADLINE);

    // The foreign one goes: the namespace is provisioned.
    await kube.delete(resources.externalSecret, taken, "shared");
    const after = await waitProvisioned(name, [ok, taken]);
    assert.equal(readyOf({ status: after })?.status, "True");
    await waitReady(kube, taken, "shared", "SecretSynced", DEADLINE);
    await removeCes(name);
  });

  test("with a Password generator: each namespace's ExternalSecret uses that namespace's generator", { timeout: 120_000 }, async () => {
    const label = `gen-${uniq()}`;
    const one = await namespace("ces-g1", { gen: label });
    const two = await namespace("ces-g2", { gen: label });
    for (const ns of [one, two]) {
      await kube.create(resources.password, { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", metadata: { name: "pw", namespace: ns }, spec: { length: 20 } });
    }
    const name = `ces-${uniq()}`;
    await ces(name, {
      namespaceSelectors: [{ matchLabels: { gen: label } }],
      externalSecretSpec: { refreshInterval: "1h", target: { name: "app" }, dataFrom: [{ sourceRef: { generatorRef: { kind: "Password", name: "pw" } } }] },
    });
    await waitProvisioned(name, [one, two]);
    const values = [];
    for (const ns of [one, two]) {
      await waitReady(kube, ns, name, "SecretSynced", DEADLINE);
      values.push(secretData(await kube.get(resources.secret, ns, "app"))["password"]);
    }
    assert.equal(values[0]?.length, 20);
    assert.notEqual(values[0], values[1], "one password per namespace");
    await removeCes(name);
  });

  test("an invalid spec is reported and changes nothing in the namespaces", { timeout: 120_000 }, async () => {
    const label = `team-${uniq()}`;
    const ns = await namespace("ces-inv", { grp: label });
    const name = `ces-${uniq()}`;
    await ces(name, { namespaceSelectors: [{ matchLabels: { grp: label } }], externalSecretSpec: esSpec() });
    await waitProvisioned(name, [ns]);
    await kube.patch(resources.clusterExternalSecret, undefined, name, { spec: { refreshTime: "soon" } }, "merge");
    const bad = await waitFor("InvalidSpec", async () => {
      const s = await statusOf(name);
      const ready = s.conditions?.find((c) => c.type === "Ready");
      return ready?.reason === "InvalidSpec" ? s : undefined;
    }, DEADLINE);
    assert.match(bad.conditions?.[0]?.message ?? "", /spec\.refreshTime: time: invalid duration "soon"/);
    assert.deepEqual(bad.provisionedNamespaces, [ns]);
    assert.ok(await externalSecretIn(ns, name), "the ExternalSecret stays");
    await removeCes(name);
  });
});
