// ExternalSecrets against a real moto server (AWS Secrets Manager + STS API) and the real control
// plane: static keys and web identity auth, versions, gjson properties, binary values, find + rewrite,
// creation/deletion policies, refresh and force-sync, store conditions and class, outages.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import type { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import type { KubePort } from "../../src/kube/port.ts";
import { createAwsClient } from "../../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { createSecret, readyOf, secretData, startEsoController, waitFor, waitReady } from "../support/eso.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

let cluster: TestCluster;
let kube: KubePort;
let moto: RunningServer;
let outageMoto: RunningServer;
let controllers: ExternalSecretsControllers;
let sm: SecretsManagerClient;
const apiCalls: string[] = [];

before(async () => {
  cluster = await testCluster();
  kube = cluster.kube;
  [moto, outageMoto] = await Promise.all([startMoto(), startMoto()]);
  sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  controllers = await startEsoController(kube, {
    // Region "ap-southeast-2" goes to a second moto the outage test stops.
    aws: (input) => {
      const url = input.spec.region === "ap-southeast-2" ? outageMoto.url : moto.url;
      return createAwsClient({ ...input, options: { secretsManagerEndpoint: url, stsEndpoint: url, onApiCall: (op) => apiCalls.push(op) } });
    },
    vault: (input) => createVaultClient({ ...input, options: {} }),
  });
});

after(async () => {
  await controllers?.stop();
  sm?.destroy();
  await Promise.all([moto?.stop(), outageMoto?.stop()]);
});

async function awsStore(ns: string, name = "aws", extra: Record<string, unknown> = {}, region = "eu-west-1"): Promise<void> {
  await createSecret(kube, ns, "aws-creds", { "access-key": "AKIDEXAMPLE", "secret-key": "secret" });
  await kube.create(resources.secretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name, namespace: ns },
    spec: {
      provider: {
        aws: {
          service: "SecretsManager",
          region,
          auth: {
            secretRef: {
              accessKeyIDSecretRef: { name: "aws-creds", key: "access-key" },
              secretAccessKeySecretRef: { name: "aws-creds", key: "secret-key" },
            },
          },
        },
      },
      ...extra,
    },
  });
}

async function externalSecret(ns: string, name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Promise<void> {
  await kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns, ...metadata },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, ...spec },
  });
}

async function remote(name: string, value: string | Uint8Array, tags: Record<string, string> = {}): Promise<string> {
  const out = await sm.send(
    new CreateSecretCommand({
      Name: name,
      ...(typeof value === "string" ? { SecretString: value } : { SecretBinary: value }),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return out.VersionId ?? "";
}

const uniq = () => Math.random().toString(36).slice(2, 8);

describe("ExternalSecret with AWS Secrets Manager (moto)", () => {
  test("static keys: properties with gjson paths and dotted keys, versions, binary, extract; status and owner", async () => {
    const ns = await freshNamespace(cluster, "aws");
    const p = `app-${uniq()}`;
    const v1 = await remote(`${p}/db`, JSON.stringify({ user: "admin", nested: { password: "pw1" }, "dotted.key": "dot", list: [1, 2, 3], port: 5432 }));
    await sm.send(new PutSecretValueCommand({ SecretId: `${p}/db`, SecretString: JSON.stringify({ user: "admin2" }) }));
    await remote(`${p}/bin`, new Uint8Array([0, 1, 2, 255]));
    await awsStore(ns);
    await waitFor("store Ready", async () => (readyOf(await kube.get(resources.secretStore, ns, "aws"))?.reason === "Valid" ? true : undefined));
    await externalSecret(ns, "es", {
      target: { name: "out" },
      data: [
        { secretKey: "user", remoteRef: { key: `${p}/db`, property: "user" } },
        { secretKey: "previous-user", remoteRef: { key: `${p}/db`, property: "user", version: "AWSPREVIOUS" } },
        { secretKey: "by-uuid", remoteRef: { key: `${p}/db`, property: "nested.password", version: `uuid/${v1}` } },
        { secretKey: "dotted", remoteRef: { key: `${p}/db`, property: "dotted.key", version: "AWSPREVIOUS" } },
        { secretKey: "second", remoteRef: { key: `${p}/db`, property: "list.1", version: "AWSPREVIOUS" } },
        { secretKey: "count", remoteRef: { key: `${p}/db`, property: "list.#", version: "AWSPREVIOUS" } },
        { secretKey: "bin", remoteRef: { key: `${p}/bin` } },
      ],
      dataFrom: [{ extract: { key: `${p}/db`, version: "AWSPREVIOUS" } }],
    });
    const es = await waitReady(kube, ns, "es", "SecretSynced");
    const secret = await kube.get(resources.secret, ns, "out");
    const data = secretData(secret);
    assert.equal(data["user"], "admin2");
    assert.equal(data["previous-user"], "admin");
    assert.equal(data["by-uuid"], "pw1");
    assert.equal(data["dotted"], "dot");
    assert.equal(data["second"], "2");
    assert.equal(data["count"], "3");
    assert.deepEqual([...Buffer.from((secret?.["data"] as Record<string, string>)["bin"] ?? "", "base64")], [0, 1, 2, 255]);
    assert.equal(data["port"], "5432");
    assert.equal(data["nested"], '{"password":"pw1"}');
    const status = es["status"] as Record<string, unknown>;
    assert.match(String(status["refreshTime"]), /^\d{4}-\d\d-\d\dT/);
    assert.match(String(status["syncedResourceVersion"]), /^1-/);
    assert.equal(readyOf(es)?.status, "True");
    assert.equal(secret?.metadata?.ownerReferences?.[0]?.kind, "ExternalSecret");
    assert.equal(secret?.metadata?.labels?.["reconcile.external-secrets.io/managed"], "true");
  });

  test("find by name regexp, tags and path, with rewrite; keys converted", async () => {
    const ns = await freshNamespace(cluster, "aws");
    const p = `find-${uniq()}`;
    await remote(`${p}/svc/a`, "va", { team: "blue" });
    await remote(`${p}/svc/b`, "vb", { team: "red" });
    await remote(`${p}/other/c`, "vc", { team: "blue" });
    await awsStore(ns);
    await externalSecret(ns, "find", {
      dataFrom: [
        { find: { name: { regexp: `^${p}/svc/.*` } }, rewrite: [{ regexp: { source: `${p}/svc/(.*)`, target: "name-$1" } }] },
        { find: { tags: { team: "blue" }, path: `${p}/` }, rewrite: [{ regexp: { source: `^${p}/(\\w+)/(\\w+)`, target: "tag-$1-$2" } }] },
        { find: { name: { regexp: `^${p}/other/` } } },
      ],
    });
    await waitReady(kube, ns, "find", "SecretSynced");
    const data = secretData(await kube.get(resources.secret, ns, "find"));
    // without rewrite, find keys are converted (/ becomes _), as ESO does
    assert.deepEqual(data, { "name-a": "va", "name-b": "vb", "tag-svc-a": "va", "tag-other-c": "vc", [`${p}_other_c`]: "vc" });
  });

  test("refresh interval, force-sync annotation, deletionPolicy Delete, Merge policy", async () => {
    const ns = await freshNamespace(cluster, "aws");
    const key = `refresh-${uniq()}`;
    await remote(key, "one");
    await awsStore(ns);
    await externalSecret(ns, "periodic", { refreshInterval: "1s", target: { deletionPolicy: "Delete" }, data: [{ secretKey: "v", remoteRef: { key } }] });
    await externalSecret(ns, "manual", { refreshInterval: "0", data: [{ secretKey: "v", remoteRef: { key } }] });
    await waitReady(kube, ns, "periodic", "SecretSynced");
    await waitReady(kube, ns, "manual", "SecretSynced");
    await sm.send(new PutSecretValueCommand({ SecretId: key, SecretString: "two" }));
    await waitFor("periodic refresh", async () => (secretData(await kube.get(resources.secret, ns, "periodic"))["v"] === "two" ? true : undefined));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(secretData(await kube.get(resources.secret, ns, "manual"))["v"], "one", "refreshInterval 0 does not refresh");
    await kube.patch(resources.externalSecret, ns, "manual", { metadata: { annotations: { "force-sync": String(Date.now()) } } }, "merge");
    await waitFor("force-sync", async () => (secretData(await kube.get(resources.secret, ns, "manual"))["v"] === "two" ? true : undefined));

    // Merge into an existing Secret keeps its other keys.
    await createSecret(kube, ns, "existing", { keep: "me" });
    await externalSecret(ns, "merge", { target: { name: "existing", creationPolicy: "Merge" }, data: [{ secretKey: "v", remoteRef: { key } }] });
    await waitReady(kube, ns, "merge", "SecretSynced");
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "existing")), { keep: "me", v: "two" });

    // The provider secret goes away: Delete removes the target, Retain (manual) keeps it and errors.
    await sm.send(new DeleteSecretCommand({ SecretId: key, ForceDeleteWithoutRecovery: true }));
    await waitReady(kube, ns, "periodic", "SecretDeleted");
    await waitFor("target deleted", async () => ((await kube.get(resources.secret, ns, "periodic")) ? undefined : true));
    await kube.patch(resources.externalSecret, ns, "manual", { metadata: { annotations: { "force-sync": "again" } } }, "merge");
    const failed = await waitReady(kube, ns, "manual", "SecretSyncedError");
    assert.match(readyOf(failed)?.message ?? "", /SecretNotFound/);
    assert.equal(secretData(await kube.get(resources.secret, ns, "manual"))["v"], "two", "Retain keeps the Secret");
  });

  test("a provider outage keeps the Secret and reports why; the deleted target is recreated", async () => {
    const ns = await freshNamespace(cluster, "aws");
    const osm = new SecretsManagerClient({ region: "ap-southeast-2", endpoint: outageMoto.url, credentials: { accessKeyId: "t", secretAccessKey: "t" } });
    await osm.send(new CreateSecretCommand({ Name: "outage", SecretString: "kept" }));
    osm.destroy();
    await awsStore(ns, "aws", {}, "ap-southeast-2");
    await externalSecret(ns, "es", { refreshInterval: "1s", data: [{ secretKey: "v", remoteRef: { key: "outage" } }] });
    await waitReady(kube, ns, "es", "SecretSynced");
    await kube.delete(resources.secret, ns, "es");
    await waitFor("target recreated", async () => (secretData(await kube.get(resources.secret, ns, "es"))["v"] === "kept" ? true : undefined));
    await outageMoto.stop();
    const failed = await waitReady(kube, ns, "es", "SecretSyncedError", 30_000);
    assert.match(readyOf(failed)?.message ?? "", /ProviderUnavailable/);
    assert.equal(secretData(await kube.get(resources.secret, ns, "es"))["v"], "kept");
  });

  test("web identity: TokenRequest JWT + AssumeRoleWithWebIdentity, credentials reused", async () => {
    const ns = await freshNamespace(cluster, "aws");
    const key = `wi-${uniq()}`;
    await remote(key, "from-web-identity");
    await kube.create(resources.serviceAccount, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "eso", namespace: ns, annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/eso" } },
    });
    await kube.create(resources.secretStore, {
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: { name: "aws", namespace: ns },
      spec: { provider: { aws: { service: "SecretsManager", region: "eu-west-1", auth: { jwt: { serviceAccountRef: { name: "eso" } } } } } },
    });
    for (const n of ["a", "b", "c"]) await externalSecret(ns, n, { data: [{ secretKey: "v", remoteRef: { key } }] });
    for (const n of ["a", "b", "c"]) await waitReady(kube, ns, n, "SecretSynced");
    assert.equal(secretData(await kube.get(resources.secret, ns, "a"))["v"], "from-web-identity");
  });

  test("ClusterSecretStore conditions, controller class, unsupported provider", async () => {
    const allowed = await freshNamespace(cluster, "aws");
    const denied = await freshNamespace(cluster, "aws");
    const key = `css-${uniq()}`;
    await remote(key, "cluster");
    await createSecret(kube, allowed, "aws-creds", { "access-key": "AKID", "secret-key": "s" });
    const css = `css-${uniq()}`;
    await kube.create(resources.clusterSecretStore, {
      apiVersion: "external-secrets.io/v1",
      kind: "ClusterSecretStore",
      metadata: { name: css },
      spec: {
        conditions: [{ namespaces: [allowed] }],
        provider: {
          aws: {
            service: "SecretsManager",
            region: "eu-west-1",
            auth: {
              secretRef: {
                accessKeyIDSecretRef: { name: "aws-creds", key: "access-key", namespace: allowed },
                secretAccessKeySecretRef: { name: "aws-creds", key: "secret-key", namespace: allowed },
              },
            },
          },
        },
      },
    });
    for (const ns of [allowed, denied]) {
      await externalSecret(ns, "es", { secretStoreRef: { name: css, kind: "ClusterSecretStore" }, data: [{ secretKey: "v", remoteRef: { key } }] });
    }
    await waitReady(kube, allowed, "es", "SecretSynced");
    const no = await waitReady(kube, denied, "es", "SecretSyncedError");
    assert.match(readyOf(no)?.message ?? "", /not allowed from namespace/);
    assert.equal(await kube.get(resources.secret, denied, "es"), undefined);

    // Another controller class: sealbridge leaves the store and its ExternalSecrets alone.
    const ns = await freshNamespace(cluster, "aws");
    await awsStore(ns, "other", { controller: "eso-legacy" });
    await externalSecret(ns, "theirs", { secretStoreRef: { name: "other" }, data: [{ secretKey: "v", remoteRef: { key } }] });
    // Unsupported provider: clear Ready=False on the store and the ExternalSecret.
    await kube.create(resources.secretStore, {
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: { name: "gcp", namespace: ns },
      spec: { provider: { gcpsm: { projectID: "p" } } },
    });
    await externalSecret(ns, "gcp", { secretStoreRef: { name: "gcp" }, data: [{ secretKey: "v", remoteRef: { key: "x" } }] });
    const store = await waitFor("gcp store status", async () => readyOf(await kube.get(resources.secretStore, ns, "gcp")));
    assert.equal(store.reason, "InvalidProviderConfig");
    assert.match(store.message ?? "", /"gcpsm" is not supported/);
    const es = await waitReady(kube, ns, "gcp", "SecretSyncedError");
    assert.match(readyOf(es)?.message ?? "", /UnsupportedProvider/);
    assert.equal((await kube.get(resources.externalSecret, ns, "theirs"))?.["status"], undefined);
    assert.equal((await kube.get(resources.secretStore, ns, "other"))?.["status"], undefined);
  });

  test("target.template (engineVersion v2): data, templateFrom ConfigMap/Secret/literal, metadata; re-rendered on refresh", async () => {
    const ns = await freshNamespace(cluster, "aws");
    const key = `tpl-${uniq()}`;
    await remote(key, JSON.stringify({ user: "admin", password: "s3cr3t", port: 5432 }));
    await awsStore(ns);
    await kube.create(resources.configMap, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "tpl", namespace: ns },
      data: {
        "app.properties": "db.user={{ .user }}\ndb.port={{ .port }}",
        "more.yaml": "from-configmap: '{{ .user | upper }}'",
        "note": "owned by {{ .user }}",
      },
    });
    await createSecret(kube, ns, "tpl-secret", { "creds.yaml": "pw-sha: '{{ .password | sha256sum | trunc 8 }}'" });
    await externalSecret(ns, "tpl", {
      refreshInterval: "0",
      target: {
        name: "rendered",
        template: {
          engineVersion: "v2",
          type: "sealbridge.dev/rendered",
          metadata: { labels: { app: "{{ .user }}" }, annotations: { "rendered/by": "sealbridge", "rendered/user": "{{ .user | upper }}" } },
          data: { dsn: "postgres://{{ .user }}:{{ .password }}@db:{{ .port }}/app", "app.properties": "overridden by data" },
          templateFrom: [
            { configMap: { name: "tpl", items: [{ key: "app.properties" }, { key: "more.yaml", templateAs: "KeysAndValues" }] } },
            { secret: { name: "tpl-secret", items: [{ key: "creds.yaml", templateAs: "KeysAndValues" }] } },
            { target: "Annotations", configMap: { name: "tpl", items: [{ key: "note" }] } },
            { literal: "literal-key: '{{ .user }}-{{ len .password }}'" },
          ],
        },
      },
      data: [
        { secretKey: "user", remoteRef: { key, property: "user" } },
        { secretKey: "password", remoteRef: { key, property: "password" } },
        { secretKey: "port", remoteRef: { key, property: "port" } },
      ],
    });
    await waitReady(kube, ns, "tpl", "SecretSynced");
    const secret = await kube.get(resources.secret, ns, "rendered");
    const pwSha = (await import("node:crypto")).createHash("sha256").update("s3cr3t").digest("hex").slice(0, 8);
    assert.deepEqual(secretData(secret), {
      dsn: "postgres://admin:s3cr3t@db:5432/app",
      "app.properties": "overridden by data",
      "from-configmap": "ADMIN",
      "pw-sha": pwSha,
      "literal-key": "admin-6",
    }, "template.data wins over templateFrom; provider keys are not copied (mergePolicy Replace)");
    assert.equal(secret?.["type"], "sealbridge.dev/rendered");
    assert.equal(secret?.metadata?.labels?.["app"], "admin");
    assert.equal(secret?.metadata?.labels?.["reconcile.external-secrets.io/managed"], "true");
    assert.equal(secret?.metadata?.annotations?.["rendered/user"], "ADMIN");
    assert.equal(secret?.metadata?.annotations?.["note"], "owned by admin");
    // A new remote value is rendered on the next sync.
    await sm.send(new PutSecretValueCommand({ SecretId: key, SecretString: JSON.stringify({ user: "root", password: "pw2", port: 6432 }) }));
    await kube.patch(resources.externalSecret, ns, "tpl", { metadata: { annotations: { "force-sync": "1" } } }, "merge");
    await waitFor("re-rendered", async () => (secretData(await kube.get(resources.secret, ns, "rendered"))["dsn"] === "postgres://root:pw2@db:6432/app" ? true : undefined));
    assert.equal((await kube.get(resources.secret, ns, "rendered"))?.metadata?.labels?.["app"], "root");
    // A template that fails to render reports TemplateFailed and keeps the Secret.
    await kube.patch(resources.externalSecret, ns, "tpl", { spec: { target: { template: { data: { bad: "{{ .nope | fail }}" } } } } }, "merge");
    const failed = await waitReady(kube, ns, "tpl", "SecretSyncedError");
    assert.match(readyOf(failed)?.message ?? "", /TemplateFailed/);
    assert.equal(secretData(await kube.get(resources.secret, ns, "rendered"))["dsn"], "postgres://root:pw2@db:6432/app");
  });

  test("metadataPolicy Fetch reads the secret's tags (DescribeSecret) as ESO does", async () => {
    const ns = await freshNamespace(cluster, "aws");
    const key = `meta-${uniq()}`;
    await remote(key, "the-value", { team: "blue", "env.name": "prod", owner: "a&b" });
    await awsStore(ns);
    await externalSecret(ns, "meta", {
      data: [
        { secretKey: "tags", remoteRef: { key, metadataPolicy: "Fetch" } },
        { secretKey: "team", remoteRef: { key, property: "team", metadataPolicy: "Fetch" } },
        { secretKey: "env", remoteRef: { key, property: "env.name", metadataPolicy: "Fetch" } },
        { secretKey: "value", remoteRef: { key } },
      ],
      dataFrom: [{ extract: { key, metadataPolicy: "Fetch" }, rewrite: [{ regexp: { source: "^(.*)$", target: "tag-$1" } }] }],
    });
    await waitReady(kube, ns, "meta", "SecretSynced");
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "meta")), {
      // Go's json.Marshal of the tag map: sorted keys, & escaped
      tags: '{"env.name":"prod","owner":"a\\u0026b","team":"blue"}',
      team: "blue",
      env: "prod",
      value: "the-value",
      "tag-env.name": "prod",
      "tag-owner": "a&b",
      "tag-team": "blue",
    });
    await externalSecret(ns, "missing-tag", { data: [{ secretKey: "x", remoteRef: { key, property: "nope", metadataPolicy: "Fetch" } }] });
    const failed = await waitReady(kube, ns, "missing-tag", "SecretSyncedError");
    assert.match(readyOf(failed)?.message ?? "", /PropertyNotFound: .*key nope does not exist in secret/);
  });

  test("many ExternalSecrets on one store: batched reads, a missing secret fails only its ExternalSecret", async () => {
    const ns = await freshNamespace(cluster, "aws");
    const p = `wave-${uniq()}`;
    await Promise.all(Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 13).map((i) => remote(`${p}/s${i}`, JSON.stringify({ v: `value-${i}` }))));
    await awsStore(ns);
    await waitFor("store Ready", async () => (readyOf(await kube.get(resources.secretStore, ns, "aws"))?.reason === "Valid" ? true : undefined));
    const before = apiCalls.length;
    await Promise.all(Array.from({ length: 30 }, (_, i) => externalSecret(ns, `es${i}`, { data: [{ secretKey: "v", remoteRef: { key: `${p}/s${i}`, property: "v" } }] })));
    for (let i = 0; i < 30; i++) {
      if (i === 13) continue;
      await waitReady(kube, ns, `es${i}`, "SecretSynced");
      assert.equal(secretData(await kube.get(resources.secret, ns, `es${i}`))["v"], `value-${i}`);
    }
    const failed = await waitReady(kube, ns, "es13", "SecretSyncedError");
    assert.match(readyOf(failed)?.message ?? "", /SecretNotFound/);
    const reads = apiCalls.slice(before).filter((c) => c === "BatchGetSecretValueCommand" || c === "GetSecretValueCommand");
    assert.ok(reads.length < 30, `30 ExternalSecrets took ${reads.length} read calls`);
  });

  test("AWS reads were batched", () => {
    assert.ok(apiCalls.includes("BatchGetSecretValueCommand"), `calls: ${[...new Set(apiCalls)].join(", ")}`);
  });
});
