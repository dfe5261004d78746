// ExternalSecrets on an AWS Parameter Store store (`service: ParameterStore`) against a real moto
// server and the real control plane: GetParameter with decryption, `:version`, properties,
// metadataPolicy Fetch (tags), dataFrom extract and find (by path and name with GetParametersByPath,
// by tags with DescribeParameters), missing parameters; and batching: reads coalesced into
// GetParameters calls of 10 names, counted at the SDK middleware (⌈N/10⌉ calls), also for a refresh
// wave planned by the ExternalSecret reconciler's own RefreshWaves.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { resources } from "../../src/api/resources.ts";
import type { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import { RefreshWaves, type WaveCandidate } from "../../src/controller/external-secret/refresh-wave.ts";
import type { KubePort } from "../../src/kube/port.ts";
import { createAwsStoreClient } from "../../src/providers/aws/client.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { SecretNotFound, type CredentialSource } from "../../src/providers/provider.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { createSecret, readyOf, secretData, startEsoController, waitFor, waitReady } from "../support/eso.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

let cluster: TestCluster;
let kube: KubePort;
let moto: RunningServer;
let controllers: ExternalSecretsControllers;
let ssm: SSMClient;
/** Every SSM call with the parameter names it asked for (the SDK middleware's view of the request). */
const apiCalls: { op: string; names: string[] }[] = [];

before(async () => {
  cluster = await testCluster();
  kube = cluster.kube;
  moto = await startMoto();
  ssm = new SSMClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  controllers = await startEsoController(kube, {
    aws: (input) => createAwsStoreClient({ ...input, options: { ssmEndpoint: moto.url, secretsManagerEndpoint: moto.url, stsEndpoint: moto.url, onApiCall: (op: string, input?: unknown) => {
      const i = input as { Names?: unknown; Name?: unknown } | undefined;
      const names = Array.isArray(i?.Names) ? i.Names.filter((n): n is string => typeof n === "string") : typeof i?.Name === "string" ? [i.Name] : [];
      apiCalls.push({ op, names });
    } } }),
    vault: (input) => createVaultClient({ ...input, options: {} }),
  });
});

after(async () => {
  await controllers?.stop();
  ssm?.destroy();
  await moto?.stop();
});

const uniq = () => Math.random().toString(36).slice(2, 8);

async function param(name: string, value: string, options: { type?: "String" | "SecureString"; tags?: Record<string, string>; overwrite?: boolean } = {}): Promise<void> {
  await ssm.send(new PutParameterCommand({
    Name: name,
    Value: value,
    Type: options.type ?? "String",
    ...(options.overwrite ? { Overwrite: true } : {}),
    ...(options.tags ? { Tags: Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })) } : {}),
  }));
}

async function store(ns: string): Promise<void> {
  await createSecret(kube, ns, "aws-creds", { "access-key": "AKIDEXAMPLE", "secret-key": "secret" });
  await kube.create(resources.secretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name: "ssm", namespace: ns },
    spec: {
      provider: {
        aws: {
          service: "ParameterStore",
          region: "eu-west-1",
          auth: { secretRef: { accessKeyIDSecretRef: { name: "aws-creds", key: "access-key" }, secretAccessKeySecretRef: { name: "aws-creds", key: "secret-key" } } },
        },
      },
    },
  });
  await waitFor("store Ready", async () => (readyOf(await kube.get(resources.secretStore, ns, "ssm"))?.reason === "Valid" ? true : undefined), 60_000);
}

async function externalSecret(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "ssm", kind: "SecretStore" }, target: { name }, ...spec },
  });
}

describe("ExternalSecret with AWS Parameter Store (moto)", () => {
  test("values (SecureString decrypted), version, property, tags (metadataPolicy Fetch), extract, find by path/name and by tags", async () => {
    const ns = await freshNamespace(cluster, "ssm");
    const p = `/app-${uniq()}`;
    await param(`${p}/db/password`, "pw-1", { type: "SecureString", tags: { team: "payments", env: "prod" } });
    await param(`${p}/db/password`, "pw-2", { type: "SecureString", overwrite: true });
    await param(`${p}/db/config`, JSON.stringify({ host: "db.local", port: 5432, "dotted.key": "dot", nested: { a: "b" } }));
    await param(`${p}/other/token`, "tok", { tags: { team: "payments", env: "dev" } });
    await store(ns);
    await externalSecret(ns, "values", {
      data: [
        { secretKey: "password", remoteRef: { key: `${p}/db/password` } },
        { secretKey: "first", remoteRef: { key: `${p}/db/password`, version: "1" } },
        { secretKey: "host", remoteRef: { key: `${p}/db/config`, property: "host" } },
        { secretKey: "dotted", remoteRef: { key: `${p}/db/config`, property: "dotted.key" } },
        { secretKey: "nested", remoteRef: { key: `${p}/db/config`, property: "nested.a" } },
        { secretKey: "team", remoteRef: { key: `${p}/db/password`, metadataPolicy: "Fetch", property: "team" } },
        { secretKey: "tags", remoteRef: { key: `${p}/db/password`, metadataPolicy: "Fetch" } },
      ],
      dataFrom: [{ extract: { key: `${p}/db/config` } }],
    });
    await waitReady(kube, ns, "values", "SecretSynced", 60_000);
    const values = secretData(await kube.get(resources.secret, ns, "values"));
    assert.equal(values["password"], "pw-2");
    assert.equal(values["first"], "pw-1");
    assert.equal(values["host"], "db.local");
    assert.equal(values["dotted"], "dot");
    assert.equal(values["nested"], "b");
    assert.equal(values["team"], "payments");
    assert.equal(values["tags"], '{"env":"prod","team":"payments"}');
    assert.equal(values["port"], "5432");
    assert.equal(values["nested"], "b", "data[] wins over dataFrom for the same key");

    await externalSecret(ns, "found", {
      dataFrom: [
        { find: { path: `${p}/db`, name: { regexp: "pass" } } },
        { find: { tags: { team: "payments", env: "dev" } } },
      ],
    });
    await waitReady(kube, ns, "found", "SecretSynced", 60_000);
    const found = secretData(await kube.get(resources.secret, ns, "found"));
    // As ESO: keys are the full parameter names, converted to valid Secret keys.
    const slug = p.slice(1);
    assert.deepEqual(found, { [`_${slug}_db_password`]: "pw-2", [`_${slug}_other_token`]: "tok" });
  });

  test("a missing parameter is SecretNotFound and no Secret is made", async () => {
    const ns = await freshNamespace(cluster, "ssm");
    await store(ns);
    await externalSecret(ns, "missing", { data: [{ secretKey: "x", remoteRef: { key: `/nope-${uniq()}` } }] });
    const es = await waitReady(kube, ns, "missing", "SecretSyncedError", 60_000);
    assert.match(readyOf(es)?.message ?? "", /SecretNotFound/);
    assert.equal(await kube.get(resources.secret, ns, "missing"), undefined);
  });

  test("25 values of one ExternalSecret cost ⌈25/10⌉ = 3 GetParameters calls per read", async () => {
    const ns = await freshNamespace(cluster, "ssm");
    const p = `/batch-${uniq()}`;
    for (let i = 0; i < 25; i++) await param(`${p}/k${i}`, `v${i}`);
    await store(ns);
    await externalSecret(ns, "batched", { data: Array.from({ length: 25 }, (_, i) => ({ secretKey: `k${i}`, remoteRef: { key: `${p}/k${i}` } })) });
    await waitReady(kube, ns, "batched", "SecretSynced", 60_000);
    // Only this test's parameters (other files' ExternalSecrets may be retrying meanwhile). A second
    // read (a reconcile woken again on a busy machine) may still be on its way: count once no call
    // has come for a second.
    const ours = () => apiCalls.filter((c) => c.names.some((n) => n.startsWith(`${p}/`)));
    for (let seen = -1, quietSince = Date.now(), end = Date.now() + 15_000; Date.now() < end && (ours().length !== seen || Date.now() - quietSince < 1000); ) {
      if (ours().length !== seen) [seen, quietSince] = [ours().length, Date.now()];
      await new Promise((r) => setTimeout(r, 100));
    }
    const calls = ours();
    const sizes = calls.filter((c) => c.op === "GetParametersCommand").map((c) => c.names.length);
    // One read of the 25 values is 10 + 10 + 5 names; a reconcile retried on a busy machine reads again.
    assert.equal(calls.filter((c) => c.op === "GetParameterCommand").length, 0, "no single-name reads");
    const reads = sizes.reduce((a, b) => a + b, 0) / 25;
    assert.ok(Number.isInteger(reads) && reads >= 1, `names per call: ${sizes.join(",")}`);
    assert.deepEqual([...sizes].sort((a, b) => b - a), Array.from({ length: reads }, () => [10, 10, 5]).flat().sort((a, b) => b - a), `names per call: ${sizes.join(",")}`);
    const data = secretData(await kube.get(resources.secret, ns, "batched"));
    assert.equal(Object.keys(data).length, 25);
    assert.equal(data["k24"], "v24");
  });
});

describe("refresh waves on a Parameter Store client (moto)", () => {
  test("a wave of N due ExternalSecrets reads them in ⌈N/10⌉ GetParameters calls; a missing one fails alone", async () => {
    const p = `/wave-${uniq()}`;
    const n = 37;
    for (let i = 0; i < n; i++) if (i !== 5) await param(`${p}/s${i}`, `value-${i}`);
    const calls: string[] = [];
    const none = () => Promise.reject(new Error("no credentials Secret in this test"));
    const credentials: CredentialSource = { secretValue: none, serviceAccountToken: none, serviceAccountAnnotations: none, configMapValue: none };
    process.env["AWS_ACCESS_KEY_ID"] ??= "test";
    process.env["AWS_SECRET_ACCESS_KEY"] ??= "test";
    const client = await createAwsStoreClient({
      spec: { kind: "aws", service: "ParameterStore", region: "eu-west-1", additionalRoles: [], auth: { kind: "default" } },
      credentials,
      options: { ssmEndpoint: moto.url, batchWindowMs: 5, onApiCall: (op) => calls.push(op) },
    });
    try {
      const batching = client.readBatching;
      assert.ok(batching);
      assert.equal(batching.maxBatch, 10);
      const candidates: WaveCandidate[] = Array.from({ length: n }, (_, i) => {
        const ref = { key: `${p}/s${i}`, metadataPolicy: "None" as const };
        return { key: `ns/es${i}`, uid: `uid-${i}`, syncVersion: "1-x", dueAt: -Infinity, reads: [{ read: { kind: "value", ref }, batchKey: batching.batchKey(ref) ?? "" }] };
      });
      const waves = new RefreshWaves({ now: () => 1_000_000, enqueue: () => undefined });
      const [trigger, ...rest] = candidates;
      assert.ok(trigger);
      waves.start({ client, trigger, candidates: () => rest, horizonMs: 1000 });
      const results = await Promise.allSettled(candidates.map(async (c, i) => {
        const taken = waves.take(client, c.uid, c.syncVersion);
        assert.ok(taken, c.uid);
        return Buffer.from(await taken.client.getSecret({ key: `${p}/s${i}`, metadataPolicy: "None" })).toString("utf8");
      }));
      assert.deepEqual(calls, Array.from({ length: Math.ceil(n / 10) }, () => "GetParametersCommand"));
      results.forEach((r, i) => {
        if (i === 5) assert.ok(r.status === "rejected" && r.reason instanceof SecretNotFound, "only the missing one fails");
        else assert.ok(r.status === "fulfilled" && r.value === `value-${i}`, `member ${i}`);
      });
    } finally {
      client.close();
    }
  });
});
