// ExternalSecret behaviours where sealbridge once differed from External Secrets Operator, each as
// ESO's externalsecret controller does it, on the real API server with a real moto server:
// a template with only type or metadata keeps the provider data; Merge + deletionPolicy Merge drops
// the keys it wrote when their remote is gone (tracked in managedFields under ESO's field manager);
// Merge without a target is Ready=True SecretMissing and Delete after the remote is gone
// Ready=True SecretDeleted; a JSON null becomes ""; binary values stay bytes through templates.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateSecretCommand, DeleteSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import type { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import type { KubeObject, KubePort } from "../../src/kube/port.ts";
import { createAwsClient } from "../../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { createAwsStaticKeyStore, createSecret, readyOf, secretData, startEsoController, waitFor, waitReady } from "../support/eso.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

let cluster: TestCluster;
let kube: KubePort;
let moto: RunningServer;
let controllers: ExternalSecretsControllers;
let sm: SecretsManagerClient;

before(async () => {
  cluster = await testCluster();
  kube = cluster.kube;
  moto = await startMoto();
  sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
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

const uniq = () => Math.random().toString(36).slice(2, 8);

async function remote(name: string, value: string | Uint8Array): Promise<void> {
  await sm.send(new CreateSecretCommand({ Name: name, ...(typeof value === "string" ? { SecretString: value } : { SecretBinary: value }) }));
}

async function externalSecret(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, ...spec },
  });
}

async function forceSync(ns: string, name: string): Promise<void> {
  await kube.patch(resources.externalSecret, ns, name, { metadata: { annotations: { "force-sync": `${Date.now()}-${uniq()}` } } }, "merge");
}

function rawData(secret: KubeObject | undefined): Record<string, Buffer> {
  return Object.fromEntries(Object.entries((secret?.["data"] as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]));
}

async function store(ns: string): Promise<void> {
  await createAwsStaticKeyStore(kube, ns);
  await waitFor("store Ready", async () => (readyOf(await kube.get(resources.secretStore, ns, "aws"))?.reason === "Valid" ? true : undefined), 30_000);
}

describe("ExternalSecret behaves as ESO", () => {
  test("(a) a template with only type, or only metadata, keeps the fetched keys", async () => {
    const ns = await freshNamespace(cluster, "parity");
    const key = `tpl-${uniq()}`;
    await remote(key, JSON.stringify({ username: "admin", password: "pw" }));
    await store(ns);
    await externalSecret(ns, "type-only", { target: { template: { type: "kubernetes.io/basic-auth" } }, dataFrom: [{ extract: { key } }] });
    await externalSecret(ns, "metadata-only", {
      target: { template: { metadata: { labels: { app: "db" }, annotations: { "team/owner": "blue" } } } },
      dataFrom: [{ extract: { key } }],
    });
    await waitReady(kube, ns, "type-only", "SecretSynced", 30_000);
    await waitReady(kube, ns, "metadata-only", "SecretSynced", 30_000);
    const typed = await kube.get(resources.secret, ns, "type-only");
    assert.deepEqual(secretData(typed), { username: "admin", password: "pw" });
    assert.equal(typed?.["type"], "kubernetes.io/basic-auth");
    const labelled = await kube.get(resources.secret, ns, "metadata-only");
    assert.deepEqual(secretData(labelled), { username: "admin", password: "pw" });
    assert.equal(labelled?.["type"], "Opaque");
    assert.equal(labelled?.metadata?.labels?.["app"], "db");
    assert.equal(labelled?.metadata?.annotations?.["team/owner"], "blue");
  });

  test("(b) creationPolicy Merge + deletionPolicy Merge: a remote key that disappears leaves the target, other keys stay", async () => {
    const ns = await freshNamespace(cluster, "parity");
    const [k1, k2] = [`merge-a-${uniq()}`, `merge-b-${uniq()}`];
    await remote(k1, "one");
    await remote(k2, "two");
    await store(ns);
    await createSecret(kube, ns, "shared", { keep: "mine" });
    await externalSecret(ns, "merger", {
      target: { name: "shared", creationPolicy: "Merge", deletionPolicy: "Merge" },
      data: [
        { secretKey: "a", remoteRef: { key: k1 } },
        { secretKey: "b", remoteRef: { key: k2 } },
      ],
    });
    await waitReady(kube, ns, "merger", "SecretSynced", 30_000);
    const merged = await kube.get(resources.secret, ns, "shared");
    assert.deepEqual(secretData(merged), { keep: "mine", a: "one", b: "two" });
    assert.equal(merged?.metadata?.labels?.["reconcile.external-secrets.io/managed"], "true", "ESO labels a Merge target too");
    assert.equal(merged?.metadata?.ownerReferences, undefined, "and does not own it");
    // The keys it wrote are recorded where ESO records them: managedFields under ESO's field manager.
    const withFields = (await cluster.kube.request("GET", `/api/v1/namespaces/${ns}/secrets/shared`)) as KubeObject;
    const entry = (withFields.metadata?.managedFields as { manager: string; fieldsV1?: { "f:data"?: Record<string, unknown> } }[]).find((m) => m.manager === "externalsecrets.external-secrets.io/merger");
    assert.deepEqual(Object.keys(entry?.fieldsV1?.["f:data"] ?? {}).filter((k) => k.startsWith("f:")).sort(), ["f:a", "f:b"]);

    await sm.send(new DeleteSecretCommand({ SecretId: k2, ForceDeleteWithoutRecovery: true }));
    await forceSync(ns, "merger");
    await waitFor("key b removed", async () => (secretData(await kube.get(resources.secret, ns, "shared"))["b"] === undefined ? true : undefined), 30_000);
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "shared")), { keep: "mine", a: "one" });
    assert.equal(readyOf(await kube.get(resources.externalSecret, ns, "merger"))?.reason, "SecretSynced");
    const notes = await waitFor("MissingProviderSecret event", async () => {
      const events = await kube.list(resources.event, { namespace: ns });
      const found = events.filter((e) => e["reason"] === "MissingProviderSecret" && (e["regarding"] as { name?: string } | undefined)?.name === "merger").map((e) => String(e["note"]));
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual([...new Set(notes)], [`secret does not exist at provider using spec.data[1] (key=${k2})`]);

    // Every remote gone: the keys it wrote go, the Secret and its other keys stay.
    await sm.send(new DeleteSecretCommand({ SecretId: k1, ForceDeleteWithoutRecovery: true }));
    await forceSync(ns, "merger");
    await waitFor("key a removed", async () => (secretData(await kube.get(resources.secret, ns, "shared"))["a"] === undefined ? true : undefined), 30_000);
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "shared")), { keep: "mine" });
  });

  test("(c) Merge into a missing Secret is Ready=True SecretMissing; Delete after the remote is gone is Ready=True SecretDeleted", async () => {
    const ns = await freshNamespace(cluster, "parity");
    const key = `missing-${uniq()}`;
    await remote(key, "value");
    await store(ns);
    await externalSecret(ns, "into-nothing", { target: { name: "not-there", creationPolicy: "Merge" }, data: [{ secretKey: "v", remoteRef: { key } }] });
    const missing = readyOf(await waitReady(kube, ns, "into-nothing", "SecretMissing", 30_000));
    assert.deepEqual(missing, { ...missing, status: "True", message: "secret will not be created due to CreationPolicy=Merge" });
    assert.equal(await kube.get(resources.secret, ns, "not-there"), undefined, "Merge never creates the Secret");
    // Once the Secret exists, the next sync merges into it.
    await createSecret(kube, ns, "not-there", { other: "x" });
    await forceSync(ns, "into-nothing");
    await waitReady(kube, ns, "into-nothing", "SecretSynced", 30_000);
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "not-there")), { other: "x", v: "value" });

    const gone = `gone-${uniq()}`;
    await remote(gone, "soon gone");
    await externalSecret(ns, "deleter", { target: { deletionPolicy: "Delete" }, data: [{ secretKey: "v", remoteRef: { key: gone } }] });
    await waitReady(kube, ns, "deleter", "SecretSynced", 30_000);
    await sm.send(new DeleteSecretCommand({ SecretId: gone, ForceDeleteWithoutRecovery: true }));
    await forceSync(ns, "deleter");
    const deleted = readyOf(await waitReady(kube, ns, "deleter", "SecretDeleted", 30_000));
    assert.deepEqual(deleted, { ...deleted, status: "True", message: "secret deleted due to DeletionPolicy=Delete" });
    await waitFor("target deleted", async () => ((await kube.get(resources.secret, ns, "deleter")) ? undefined : true), 30_000);

    // Delete is only for Secrets it owns: with Orphan the remote going away is an error, the Secret stays.
    const orphaned = `orphaned-${uniq()}`;
    await remote(orphaned, "kept");
    await externalSecret(ns, "orphan", { target: { creationPolicy: "Orphan", deletionPolicy: "Delete" }, data: [{ secretKey: "v", remoteRef: { key: orphaned } }] });
    await waitReady(kube, ns, "orphan", "SecretSynced", 30_000);
    await sm.send(new DeleteSecretCommand({ SecretId: orphaned, ForceDeleteWithoutRecovery: true }));
    await forceSync(ns, "orphan");
    const refused = readyOf(await waitReady(kube, ns, "orphan", "SecretSyncedError", 30_000));
    assert.match(refused?.message ?? "", /could not delete secret: unable to delete secret orphan: creationPolicy=Orphan is not Owner/);
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "orphan")), { v: "kept" });
  });

  test("(d) a JSON null becomes an empty value through dataFrom.extract and data[].property", async () => {
    const ns = await freshNamespace(cluster, "parity");
    const key = `null-${uniq()}`;
    await remote(key, JSON.stringify({ empty: null, text: "t", number: 5, nested: { x: null } }));
    await store(ns);
    await externalSecret(ns, "nulls", {
      data: [{ secretKey: "by-property", remoteRef: { key, property: "empty" } }],
      dataFrom: [{ extract: { key } }],
    });
    await waitReady(kube, ns, "nulls", "SecretSynced", 30_000);
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "nulls")), { empty: "", text: "t", number: "5", nested: '{"x":null}', "by-property": "" });
  });

  test("binary provider values (SecretBinary) reach the Secret byte for byte, with and without a template", async () => {
    const ns = await freshNamespace(cluster, "parity");
    const key = `bin-${uniq()}`;
    // Not UTF-8: a decode to text would replace these bytes.
    const bytes = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x7f, 0xed, 0xa0, 0x80, 0x41]);
    await remote(key, bytes);
    await store(ns);
    await externalSecret(ns, "plain", { data: [{ secretKey: "keystore", remoteRef: { key } }] });
    await externalSecret(ns, "typed", { target: { template: { type: "sealbridge.dev/keystore" } }, data: [{ secretKey: "keystore", remoteRef: { key } }] });
    await externalSecret(ns, "rendered", {
      target: { template: { data: { raw: "{{ .keystore }}", b64: "{{ .keystore | b64enc }}" } } },
      data: [{ secretKey: "keystore", remoteRef: { key } }],
    });
    for (const name of ["plain", "typed", "rendered"]) await waitReady(kube, ns, name, "SecretSynced", 30_000);
    assert.deepEqual(rawData(await kube.get(resources.secret, ns, "plain"))["keystore"], Buffer.from(bytes));
    assert.deepEqual(rawData(await kube.get(resources.secret, ns, "typed"))["keystore"], Buffer.from(bytes));
    const rendered = rawData(await kube.get(resources.secret, ns, "rendered"));
    assert.deepEqual(rendered["raw"], Buffer.from(bytes));
    assert.equal(rendered["b64"]?.toString("latin1"), Buffer.from(bytes).toString("base64"));
  });
});
