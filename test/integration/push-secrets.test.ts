// PushSecret (external-secrets.io/v1alpha1) against the real control plane, a real moto server (AWS
// Secrets Manager and Parameter Store) and a real Vault dev server (KV v2 at secret/, KV v1 at kv1/):
// push, update on a change of the source Secret, IfNotExists never writing over a remote secret,
// a remote secret without the managed-by mark never overwritten nor deleted, property merges,
// deletionPolicy Delete/None on entry removal and on PushSecret deletion (finalizer), and
// status.syncedPushSecrets.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, ListTagsForResourceCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { resources } from "../../src/api/resources.ts";
import { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import type { KubeObject, KubePort } from "../../src/kube/port.ts";
import { createAwsStoreClient } from "../../src/providers/aws/client.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { createSecret, quietLogger, readyOf, waitFor } from "../support/eso.ts";
import { startMoto, startVault, type RunningServer, type VaultServer } from "../support/servers.ts";

let cluster: TestCluster;
let kube: KubePort;
let moto: RunningServer;
let vault: VaultServer;
let controllers: ExternalSecretsControllers;
let sm: SecretsManagerClient;
let ssm: SSMClient;

before(async () => {
  cluster = await testCluster();
  kube = cluster.kube;
  [moto, vault] = await Promise.all([startMoto(), startVault()]);
  await vaultApi("POST", "sys/mounts/kv1", { type: "kv", options: { version: "1" } });
  const aws = { region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  sm = new SecretsManagerClient(aws);
  ssm = new SSMClient(aws);
  controllers = new ExternalSecretsControllers({
    kube,
    log: quietLogger(),
    controllerClass: "default",
    workers: 4,
    pushSecrets: true,
    factories: {
      aws: (input) => createAwsStoreClient({ ...input, options: { secretsManagerEndpoint: moto.url, ssmEndpoint: moto.url, stsEndpoint: moto.url } }),
      vault: (input) => createVaultClient({ ...input, options: {} }),
    },
  });
  await controllers.start();
});

after(async () => {
  await controllers?.stop();
  sm?.destroy();
  ssm?.destroy();
  await Promise.all([moto?.stop(), vault?.stop()]);
});

async function vaultApi(method: string, path: string, body?: unknown): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`${vault.url}/v1/${path}`, {
    method,
    headers: { "X-Vault-Token": vault.rootToken, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`vault ${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

const uniq = () => Math.random().toString(36).slice(2, 8);

async function awsStore(ns: string, name: string, service: "SecretsManager" | "ParameterStore"): Promise<void> {
  await createSecret(kube, ns, `${name}-creds`, { "access-key": "AKIDEXAMPLE", "secret-key": "secret" });
  await kube.create(resources.secretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name, namespace: ns, labels: { push: "yes" } },
    spec: {
      provider: {
        aws: {
          service,
          region: "eu-west-1",
          // Deleted secrets go at once, so a test may reuse a name.
          ...(service === "SecretsManager" ? { secretsManager: { forceDeleteWithoutRecovery: true } } : {}),
          auth: { secretRef: { accessKeyIDSecretRef: { name: `${name}-creds`, key: "access-key" }, secretAccessKeySecretRef: { name: `${name}-creds`, key: "secret-key" } } },
        },
      },
    },
  });
}

async function vaultStore(ns: string, name: string, version: "v1" | "v2"): Promise<void> {
  await createSecret(kube, ns, `${name}-token`, { token: vault.rootToken });
  await kube.create(resources.secretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name, namespace: ns },
    spec: { provider: { vault: { server: vault.url, path: version === "v1" ? "kv1" : "secret", version, auth: { tokenSecretRef: { name: `${name}-token`, key: "token" } } } } },
  });
}

async function pushSecret(ns: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Promise<void> {
  await kube.create(resources.pushSecret, {
    apiVersion: "external-secrets.io/v1alpha1",
    kind: "PushSecret",
    metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
    spec: { refreshInterval: "1h", selector: { secret: { name: "source" } }, ...spec },
  });
}

async function waitPush(ns: string, name: string, reason: string, also: (ps: KubeObject) => boolean = () => true): Promise<KubeObject> {
  return await waitFor(`PushSecret ${ns}/${name} reason ${reason}`, async () => {
    const ps = await kube.get(resources.pushSecret, ns, name);
    return readyOf(ps)?.reason === reason && ps && also(ps) ? ps : undefined;
  }, 60_000);
}

async function smValue(name: string): Promise<string | undefined> {
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: name }));
    return out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString("utf8") : undefined);
  } catch (err) {
    if (err instanceof Error && err.name === "ResourceNotFoundException") return undefined;
    throw err;
  }
}

async function patchSource(ns: string, data: Record<string, string>): Promise<void> {
  const secret = await kube.get(resources.secret, ns, "source");
  assert.ok(secret);
  await kube.replace(resources.secret, { ...secret, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])) });
}

function synced(ps: KubeObject): Record<string, Record<string, unknown>> {
  return ((ps["status"] as Record<string, unknown> | undefined)?.["syncedPushSecrets"] as Record<string, Record<string, unknown>> | undefined) ?? {};
}

describe("PushSecret to AWS Secrets Manager (moto)", () => {
  test("push a key and the whole Secret; a change of the source Secret pushes again; status and managed-by tag", async () => {
    const ns = await freshNamespace(cluster, "psaws");
    const p = `ps-${uniq()}`;
    await awsStore(ns, "aws", "SecretsManager");
    await createSecret(kube, ns, "source", { password: "pw-1", user: "admin" });
    await pushSecret(ns, "push", {
      secretStoreRefs: [{ name: "aws", kind: "SecretStore" }],
      data: [
        { match: { secretKey: "password", remoteRef: { remoteKey: `${p}/password` } } },
        { match: { remoteRef: { remoteKey: `${p}/all` } }, metadata: { apiVersion: "kubernetes.external-secrets.io/v1alpha1", kind: "PushSecretMetadata", spec: { secretPushFormat: "string", tags: { team: "a" } } } },
      ],
    });
    const ps = await waitPush(ns, "push", "Synced");
    assert.equal(readyOf(ps)?.status, "True");
    assert.equal(readyOf(ps)?.message, "PushSecret synced successfully");
    const storeStatus = await waitFor("store status", async () => (await kube.get(resources.secretStore, ns, "aws"))?.["status"] as Record<string, unknown> | undefined);
    assert.equal(storeStatus["capabilities"], "ReadWrite", "as ESO: a store PushSecret can write through");
    assert.deepEqual(Object.keys(synced(ps)["SecretStore/aws"] ?? {}).sort(), [`${p}/all`, `${p}/password`]);
    assert.deepEqual(synced(ps)["SecretStore/aws"]?.[`${p}/password`], { match: { secretKey: "password", remoteRef: { remoteKey: `${p}/password` } }, conversionStrategy: "None" });
    const status = ps["status"] as Record<string, unknown>;
    assert.match(String(status["refreshTime"]), /^\d{4}-\d\d-\d\dT/);
    assert.match(String(status["syncedResourceVersion"]), /^1-/);
    // As ESO: binary by default, the whole Secret as a JSON object of text values.
    const binary = await sm.send(new GetSecretValueCommand({ SecretId: `${p}/password` }));
    assert.equal(Buffer.from(binary.SecretBinary ?? new Uint8Array()).toString("utf8"), "pw-1");
    assert.equal(await smValue(`${p}/all`), '{"password":"pw-1","user":"admin"}');
    const tags = (await sm.send(new DescribeSecretCommand({ SecretId: `${p}/all` }))).Tags ?? [];
    assert.deepEqual(Object.fromEntries(tags.map((t) => [t.Key, t.Value])), { "managed-by": "external-secrets", team: "a" });

    await patchSource(ns, { password: "pw-2", user: "admin" });
    await waitFor("the new password pushed", async () => ((await smValue(`${p}/password`)) === "pw-2" ? true : undefined), 60_000);
    await waitFor("the whole Secret pushed", async () => ((await smValue(`${p}/all`)) === '{"password":"pw-2","user":"admin"}' ? true : undefined), 60_000);
    const source = await kube.get(resources.secret, ns, "source");
    assert.equal(source?.metadata?.ownerReferences, undefined, "the source Secret is only read");
  });

  test("a remote secret without the managed-by tag is never overwritten (Replace: Errored; IfNotExists: left as it is)", async () => {
    const ns = await freshNamespace(cluster, "psaws");
    const p = `foreign-${uniq()}`;
    await awsStore(ns, "aws", "SecretsManager");
    await sm.send(new CreateSecretCommand({ Name: `${p}/theirs`, SecretString: "their-value" }));
    await createSecret(kube, ns, "source", { password: "ours" });
    await pushSecret(ns, "replace", { secretStoreRefs: [{ name: "aws" }], data: [{ match: { secretKey: "password", remoteRef: { remoteKey: `${p}/theirs` } } }] });
    const failed = await waitPush(ns, "replace", "Errored");
    assert.equal(readyOf(failed)?.status, "False");
    assert.match(readyOf(failed)?.message ?? "", /^RemoteSecretNotOwned: .*not managed by external-secrets/);
    assert.doesNotMatch(JSON.stringify(failed["status"]), /ours/, "no value in status");
    assert.equal(await smValue(`${p}/theirs`), "their-value");

    await pushSecret(ns, "ifnotexists", {
      updatePolicy: "IfNotExists",
      deletionPolicy: "Delete",
      secretStoreRefs: [{ name: "aws" }],
      data: [
        { match: { secretKey: "password", remoteRef: { remoteKey: `${p}/theirs` } } },
        { match: { secretKey: "password", remoteRef: { remoteKey: `${p}/new` } } },
      ],
    });
    const ok = await waitPush(ns, "ifnotexists", "Synced");
    assert.equal(readyOf(ok)?.message, "PushSecret synced successfully. Existing secrets in providers unchanged.");
    assert.equal(await smValue(`${p}/theirs`), "their-value");
    assert.equal(await smValue(`${p}/new`), "ours");
    // An IfNotExists push never replaces a remote value, even its own.
    await patchSource(ns, { password: "ours-2" });
    const before = (ok["status"] as Record<string, unknown>)["sourceResourceVersion"];
    await waitPush(ns, "ifnotexists", "Synced", (ps) => (ps["status"] as Record<string, unknown>)["sourceResourceVersion"] !== before);
    assert.equal(await smValue(`${p}/new`), "ours");
    // Deleting it (deletionPolicy Delete) removes what it created, never the foreign secret.
    await kube.delete(resources.pushSecret, ns, "ifnotexists");
    await waitFor("PushSecret gone", async () => ((await kube.get(resources.pushSecret, ns, "ifnotexists")) ? undefined : true), 60_000);
    assert.equal(await smValue(`${p}/new`), undefined);
    assert.equal(await smValue(`${p}/theirs`), "their-value");
  });

  test("property sets one field of a JSON secret and keeps the others", async () => {
    const ns = await freshNamespace(cluster, "psaws");
    const p = `prop-${uniq()}`;
    await awsStore(ns, "aws", "SecretsManager");
    await sm.send(new CreateSecretCommand({ Name: `${p}/db`, SecretString: JSON.stringify({ host: "db.local", user: "old" }), Tags: [{ Key: "managed-by", Value: "external-secrets" }] }));
    await createSecret(kube, ns, "source", { user: "app", password: "s3cret" });
    await pushSecret(ns, "push", {
      secretStoreRefs: [{ name: "aws" }],
      data: [
        { match: { secretKey: "user", remoteRef: { remoteKey: `${p}/db`, property: "user" } } },
        { match: { secretKey: "password", remoteRef: { remoteKey: `${p}/db`, property: "password" } } },
        { match: { secretKey: "user", remoteRef: { remoteKey: `${p}/fresh`, property: "nested.user" } } },
      ],
    });
    const ps = await waitPush(ns, "push", "Synced");
    assert.deepEqual(Object.keys(synced(ps)["SecretStore/aws"] ?? {}).sort(), [`${p}/db/password`, `${p}/db/user`, `${p}/fresh/nested.user`]);
    assert.deepEqual(JSON.parse((await smValue(`${p}/db`)) ?? "{}"), { host: "db.local", user: "app", password: "s3cret" });
    assert.deepEqual(JSON.parse((await smValue(`${p}/fresh`)) ?? "{}"), { nested: { user: "app" } });
  });

  test("deletionPolicy Delete removes a removed entry and everything on deletion; None keeps them", async () => {
    const ns = await freshNamespace(cluster, "psaws");
    const p = `del-${uniq()}`;
    await awsStore(ns, "aws", "SecretsManager");
    await createSecret(kube, ns, "source", { a: "1", b: "2" });
    await pushSecret(ns, "delete", {
      deletionPolicy: "Delete",
      secretStoreRefs: [{ labelSelector: { matchLabels: { push: "yes" } }, kind: "SecretStore" }],
      data: [
        { match: { secretKey: "a", remoteRef: { remoteKey: `${p}/a` } } },
        { match: { secretKey: "b", remoteRef: { remoteKey: `${p}/b` } } },
      ],
    }, { "kubectl.kubernetes.io/last-applied-configuration": '{"kind":"PushSecret"}' });
    const ps = await waitPush(ns, "delete", "Synced");
    assert.deepEqual(ps.metadata?.finalizers, ["pushsecret.externalsecrets.io/finalizer"]);
    assert.equal(ps.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"], '{"kind":"PushSecret"}', "adding the finalizer keeps kubectl's annotation");
    assert.equal(await smValue(`${p}/a`), "1");
    assert.equal(await smValue(`${p}/b`), "2");
    const spec = ps["spec"] as Record<string, unknown>;
    await kube.replace(resources.pushSecret, { ...ps, spec: { ...spec, data: [{ match: { secretKey: "a", remoteRef: { remoteKey: `${p}/a` } } }] } });
    await waitFor("entry b deleted", async () => ((await smValue(`${p}/b`)) === undefined ? true : undefined), 60_000);
    const after1 = await waitPush(ns, "delete", "Synced", (o) => Object.keys(synced(o)["SecretStore/aws"] ?? {}).length === 1);
    assert.deepEqual(Object.keys(synced(after1)["SecretStore/aws"] ?? {}), [`${p}/a`]);
    assert.equal(await smValue(`${p}/a`), "1");
    await kube.delete(resources.pushSecret, ns, "delete");
    await waitFor("PushSecret gone", async () => ((await kube.get(resources.pushSecret, ns, "delete")) ? undefined : true), 60_000);
    assert.equal(await smValue(`${p}/a`), undefined);

    await pushSecret(ns, "keep", {
      deletionPolicy: "None",
      secretStoreRefs: [{ name: "aws" }],
      data: [{ match: { secretKey: "a", remoteRef: { remoteKey: `${p}/kept` } } }, { match: { secretKey: "b", remoteRef: { remoteKey: `${p}/kept-b` } } }],
    });
    const keep = await waitPush(ns, "keep", "Synced");
    assert.equal(keep.metadata?.finalizers, undefined);
    await kube.replace(resources.pushSecret, { ...keep, spec: { ...(keep["spec"] as Record<string, unknown>), data: [{ match: { secretKey: "a", remoteRef: { remoteKey: `${p}/kept` } } }] } });
    await waitPush(ns, "keep", "Synced", (o) => Object.keys(synced(o)["SecretStore/aws"] ?? {}).length === 1);
    await kube.delete(resources.pushSecret, ns, "keep");
    await waitFor("PushSecret gone", async () => ((await kube.get(resources.pushSecret, ns, "keep")) ? undefined : true), 60_000);
    assert.equal(await smValue(`${p}/kept`), "1");
    assert.equal(await smValue(`${p}/kept-b`), "2");
  });

  test("deletionPolicy Delete: deleting the source Secret removes what was pushed (SourceDeleted)", async () => {
    const ns = await freshNamespace(cluster, "psaws");
    const p = `srcdel-${uniq()}`;
    await awsStore(ns, "aws", "SecretsManager");
    await createSecret(kube, ns, "source", { a: "1" });
    await pushSecret(ns, "push", { deletionPolicy: "Delete", secretStoreRefs: [{ name: "aws" }], data: [{ match: { secretKey: "a", remoteRef: { remoteKey: `${p}/a` } } }] });
    await waitPush(ns, "push", "Synced");
    assert.equal(await smValue(`${p}/a`), "1");
    await kube.delete(resources.secret, ns, "source");
    const gone = await waitPush(ns, "push", "SourceDeleted");
    assert.equal(readyOf(gone)?.message, "source secret deleted; provider secrets cleaned up");
    assert.deepEqual(synced(gone), {});
    assert.equal(await smValue(`${p}/a`), undefined);
  });

  test("bad input: a missing key, a missing source Secret and an unsupported selector are conditions; nothing is written", async () => {
    const ns = await freshNamespace(cluster, "psaws");
    const p = `bad-${uniq()}`;
    await awsStore(ns, "aws", "SecretsManager");
    await pushSecret(ns, "nosource", { secretStoreRefs: [{ name: "aws" }], data: [{ match: { secretKey: "x", remoteRef: { remoteKey: `${p}/x` } } }] });
    const nosource = await waitPush(ns, "nosource", "Errored");
    assert.match(readyOf(nosource)?.message ?? "", /^SourceSecretNotFound: .*Secret .*\/source not found/);
    await createSecret(kube, ns, "source", { present: "v" });
    // The new source Secret wakes the PushSecret (the shared Secret watch); the key is still missing.
    const nokey = await waitPush(ns, "nosource", "Errored", (o) => /SecretKeyNotFound/.test(readyOf(o)?.message ?? ""));
    assert.match(readyOf(nokey)?.message ?? "", /secret key x does not exist/);
    assert.equal(await smValue(`${p}/x`), undefined);
    await pushSecret(ns, "generator", { selector: { generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "pw" } }, secretStoreRefs: [{ name: "aws" }] });
    const gen = await waitPush(ns, "generator", "Errored");
    assert.match(readyOf(gen)?.message ?? "", /^InvalidSpec: spec\.selector\.generatorRef is not supported/);
    const source = await kube.get(resources.secret, ns, "source");
    assert.deepEqual(source?.["data"], { present: Buffer.from("v").toString("base64") }, "the source Secret is untouched");
  });
});

describe("PushSecret to Vault (dev server)", () => {
  for (const version of ["v2", "v1"] as const) {
    test(`KV ${version}: push, property merge, foreign secret kept, Delete on entry removal and deletion`, async () => {
      const ns = await freshNamespace(cluster, `psv${version}`);
      const p = `push-${uniq()}`;
      const mount = version === "v1" ? "kv1" : "secret";
      const dataPath = (k: string) => (version === "v1" ? `kv1/${k}` : `secret/data/${k}`);
      const read = async (k: string): Promise<Record<string, unknown> | undefined> => {
        const body = await vaultApi("GET", dataPath(k));
        const data = body?.["data"] as Record<string, unknown> | undefined;
        return version === "v1" ? data : (data?.["data"] as Record<string, unknown> | undefined) ?? undefined;
      };
      await vaultStore(ns, "vault", version);
      // A secret someone else wrote (no managed-by custom metadata).
      await vaultApi("POST", dataPath(`${p}/theirs`), version === "v1" ? { owner: "them" } : { data: { owner: "them" } });
      await createSecret(kube, ns, "source", { user: "app", password: "pw-1", json: '{"a":"b"}' });
      await pushSecret(ns, "push", {
        deletionPolicy: "Delete",
        secretStoreRefs: [{ name: "vault" }],
        data: [
          { match: { remoteRef: { remoteKey: `${p}/all` } } },
          { match: { secretKey: "json", remoteRef: { remoteKey: `${p}/json` } } },
          { match: { secretKey: "user", remoteRef: { remoteKey: `${p}/props`, property: "user" } } },
          { match: { secretKey: "password", remoteRef: { remoteKey: `${p}/props`, property: "password" } } },
        ],
      });
      await waitPush(ns, "push", "Synced");
      const all = await read(`${p}/all`);
      if (version === "v1") assert.deepEqual(all, { user: "app", password: "pw-1", json: '{"a":"b"}', custom_metadata: { "managed-by": "external-secrets" } });
      else {
        assert.deepEqual(all, { user: "app", password: "pw-1", json: '{"a":"b"}' });
        const meta = await vaultApi("GET", `secret/metadata/${p}/all`);
        assert.deepEqual((meta?.["data"] as Record<string, unknown>)["custom_metadata"], { "managed-by": "external-secrets" });
      }
      assert.equal((await read(`${p}/json`))?.["a"], "b");
      const props = await read(`${p}/props`);
      assert.equal(props?.["user"], "app");
      assert.equal(props?.["password"], "pw-1");

      await patchSource(ns, { user: "app", password: "pw-2", json: '{"a":"b"}' });
      await waitFor("password pushed", async () => ((await read(`${p}/props`))?.["password"] === "pw-2" ? true : undefined), 60_000);
      assert.equal((await read(`${p}/props`))?.["user"], "app", "the other field is kept");

      // Replace onto the foreign secret: refused, the secret unchanged.
      await pushSecret(ns, "foreign", { secretStoreRefs: [{ name: "vault" }], data: [{ match: { secretKey: "user", remoteRef: { remoteKey: `${p}/theirs`, property: "user" } } }] });
      const foreign = await waitPush(ns, "foreign", "Errored");
      assert.match(readyOf(foreign)?.message ?? "", /RemoteSecretNotOwned/);
      assert.deepEqual(await read(`${p}/theirs`), { owner: "them" });

      // Removing an entry with a property removes only that field; deleting the PushSecret removes the rest.
      const ps = await kube.get(resources.pushSecret, ns, "push");
      assert.ok(ps);
      const spec = ps["spec"] as { data: unknown[] };
      await kube.replace(resources.pushSecret, { ...ps, spec: { ...spec, data: spec.data.slice(0, 3) } });
      await waitFor("password field removed", async () => {
        const v = await read(`${p}/props`);
        return v && !("password" in v) && v["user"] === "app" ? true : undefined;
      }, 60_000);
      await kube.delete(resources.pushSecret, ns, "push");
      await waitFor("PushSecret gone", async () => ((await kube.get(resources.pushSecret, ns, "push")) ? undefined : true), 60_000);
      for (const k of ["all", "json", "props"]) assert.equal(await read(`${p}/${k}`), undefined, `${k} deleted`);
      assert.deepEqual(await read(`${p}/theirs`), { owner: "them" });
      assert.ok(mount);
    });
  }
});

describe("PushSecret through a ClusterSecretStore (Vault)", () => {
  test("status.syncedPushSecrets is keyed ClusterSecretStore/<name>; spec.conditions may refuse the namespace", async () => {
    const ns = await freshNamespace(cluster, "pscss");
    const p = `css-${uniq()}`;
    const css = `vault-${uniq()}`;
    await createSecret(kube, ns, "vault-token", { token: vault.rootToken });
    const provider = { vault: { server: vault.url, path: "secret", version: "v2", auth: { tokenSecretRef: { name: "vault-token", key: "token", namespace: ns } } } };
    await kube.create(resources.clusterSecretStore, { apiVersion: "external-secrets.io/v1", kind: "ClusterSecretStore", metadata: { name: css }, spec: { provider } });
    await kube.create(resources.clusterSecretStore, { apiVersion: "external-secrets.io/v1", kind: "ClusterSecretStore", metadata: { name: `${css}-closed` }, spec: { provider, conditions: [{ namespaces: ["elsewhere"] }] } });
    await createSecret(kube, ns, "source", { user: "app" });
    await pushSecret(ns, "push", { secretStoreRefs: [{ name: css, kind: "ClusterSecretStore" }], data: [{ match: { secretKey: "user", remoteRef: { remoteKey: `${p}/u`, property: "user" } } }] });
    const ps = await waitPush(ns, "push", "Synced");
    assert.deepEqual(Object.keys(synced(ps)), [`ClusterSecretStore/${css}`]);
    assert.deepEqual(Object.keys(synced(ps)[`ClusterSecretStore/${css}`] ?? {}), [`${p}/u/user`]);
    const data = (await vaultApi("GET", `secret/data/${p}/u`))?.["data"] as Record<string, unknown> | undefined;
    assert.deepEqual(data?.["data"], { user: "app" });
    await pushSecret(ns, "closed", { secretStoreRefs: [{ name: `${css}-closed`, kind: "ClusterSecretStore" }], data: [{ match: { secretKey: "user", remoteRef: { remoteKey: `${p}/closed`, property: "user" } } }] });
    assert.match(readyOf(await waitPush(ns, "closed", "Errored"))?.message ?? "", /^StoreNotFound: .*not allowed from namespace/);
    assert.equal(await vaultApi("GET", `secret/data/${p}/closed`), undefined);
    // Cluster-scoped: removed so other test files sharing the control plane never see them.
    await kube.delete(resources.clusterSecretStore, undefined, css);
    await kube.delete(resources.clusterSecretStore, undefined, `${css}-closed`);
  });
});

describe("PushSecret to AWS Parameter Store (moto)", () => {
  test("PutParameter with the managed-by tag; foreign parameters are not overwritten; Delete on deletion", async () => {
    const ns = await freshNamespace(cluster, "psssm");
    const p = `/ps-${uniq()}`;
    await awsStore(ns, "ssm", "ParameterStore");
    await ssm.send(new PutParameterCommand({ Name: `${p}/theirs`, Value: "their-value", Type: "String" }));
    await createSecret(kube, ns, "source", { token: "t-1" });
    await pushSecret(ns, "push", {
      deletionPolicy: "Delete",
      secretStoreRefs: [{ name: "ssm" }],
      data: [{ match: { secretKey: "token", remoteRef: { remoteKey: `${p}/token` } }, metadata: { apiVersion: "kubernetes.external-secrets.io/v1alpha1", kind: "PushSecretMetadata", spec: { secretType: "SecureString" } } }],
    });
    await waitPush(ns, "push", "Synced");
    const param = await ssm.send(new GetParameterCommand({ Name: `${p}/token`, WithDecryption: true }));
    assert.equal(param.Parameter?.Value, "t-1");
    assert.equal(param.Parameter?.Type, "SecureString");
    const tags = (await ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: `${p}/token` }))).TagList ?? [];
    assert.deepEqual(tags.map((t) => [t.Key, t.Value]), [["managed-by", "external-secrets"]]);
    await patchSource(ns, { token: "t-2" });
    await waitFor("new value pushed", async () => ((await ssm.send(new GetParameterCommand({ Name: `${p}/token`, WithDecryption: true }))).Parameter?.Value === "t-2" ? true : undefined), 60_000);

    await pushSecret(ns, "foreign", { secretStoreRefs: [{ name: "ssm" }], data: [{ match: { secretKey: "token", remoteRef: { remoteKey: `${p}/theirs` } } }] });
    assert.match(readyOf(await waitPush(ns, "foreign", "Errored"))?.message ?? "", /RemoteSecretNotOwned/);
    assert.equal((await ssm.send(new GetParameterCommand({ Name: `${p}/theirs` }))).Parameter?.Value, "their-value");

    await kube.delete(resources.pushSecret, ns, "push");
    await waitFor("PushSecret gone", async () => ((await kube.get(resources.pushSecret, ns, "push")) ? undefined : true), 60_000);
    await assert.rejects(ssm.send(new GetParameterCommand({ Name: `${p}/token` })), (err: Error) => err.name === "ParameterNotFound");
  });
});
