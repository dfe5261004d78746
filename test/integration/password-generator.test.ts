// ESO's Password generator through dataFrom[].sourceRef.generatorRef on the real API server, beside a
// moto-backed extract and with rewrite: the value is made once and kept across non-refresh
// reconciles (target Secret metadata edits, store and generator edits) and a controller restart (0
// writes), and replaced only on a refresh (refreshInterval elapsed, force-sync annotation). A missing,
// unsupported or invalid generator gives a condition naming it and leaves the Secret as it was.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import type { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import type { KubeObject, KubePort } from "../../src/kube/port.ts";
import { createAwsClient } from "../../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { createAwsStaticKeyStore, readyOf, secretData, startEsoController, waitFor, waitReady } from "../support/eso.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";
import type { ProviderFactories } from "../../src/controller/secret-store/client-cache.ts";

let cluster: TestCluster;
let kube: KubePort;
let moto: RunningServer;
let sm: SecretsManagerClient;
let controllers: ExternalSecretsControllers | undefined;
let factories: ProviderFactories;
const writes: string[] = [];

/** The kube port, recording every write the controller makes ("verb plural namespace/name"). */
function counting(port: KubePort): KubePort {
  const note = (verb: string, plural: string, ns: string | undefined, name: string | undefined) => writes.push(`${verb} ${plural} ${ns ?? ""}/${name ?? ""}`);
  return {
    ...port,
    get: (r, ns, n) => port.get(r, ns, n),
    list: (r, s) => port.list(r, s),
    listPage: (r, o) => port.listPage(r, o),
    watch: (r, o, on) => port.watch(r, o, on),
    create: (r, o) => (note("create", r.plural, o.metadata?.namespace, o.metadata?.name), port.create(r, o)),
    replace: (r, o) => (note("replace", r.plural, o.metadata?.namespace, o.metadata?.name), port.replace(r, o)),
    replaceStatus: (r, o) => (note("status", r.plural, o.metadata?.namespace, o.metadata?.name), port.replaceStatus(r, o)),
    patch: (r, ns, n, p, t) => (note("patch", r.plural, ns, n), port.patch(r, ns, n, p, t)),
    delete: (r, ns, n) => (note("delete", r.plural, ns, n), port.delete(r, ns, n)),
    createSubresource: (r, ns, n, sub, body) => port.createSubresource(r, ns, n, sub, body),
  };
}

before(async () => {
  cluster = await testCluster();
  kube = cluster.kube;
  moto = await startMoto();
  sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  factories = {
    aws: (input) => createAwsClient({ ...input, options: { secretsManagerEndpoint: moto.url, stsEndpoint: moto.url } }),
    vault: (input) => createVaultClient({ ...input, options: {} }),
  };
  controllers = await startEsoController(counting(kube), factories);
});

after(async () => {
  await controllers?.stop();
  sm?.destroy();
  await moto?.stop();
});

async function password(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kube.create(resources.password, { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", metadata: { name, namespace: ns }, spec });
}

async function externalSecret(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kube.create(resources.externalSecret, { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name, namespace: ns }, spec });
}

const value = async (ns: string, name: string, key: string) => secretData(await kube.get(resources.secret, ns, name))[key];

async function settle(ms = 1500): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  await waitFor("controllers idle", async () => (controllers?.externalSecrets.idle ? true : undefined));
}

const uniq = () => Math.random().toString(36).slice(2, 8);

describe("Password generator (generators.external-secrets.io/v1alpha1)", () => {
  test("beside an AWS extract with rewrite: made once, kept across non-refresh reconciles and a restart, new on force-sync", { timeout: 120_000 }, async () => {
    const ns = await freshNamespace(cluster, "pw");
    const key = `gen-${uniq()}/db`;
    await sm.send(new CreateSecretCommand({ Name: key, SecretString: JSON.stringify({ user: "admin" }) }));
    await createAwsStaticKeyStore(kube, ns);
    await password(ns, "pw", { length: 32, digits: 5, symbols: 0, noUpper: true, allowRepeat: true });
    await externalSecret(ns, "db", {
      refreshInterval: "1h",
      secretStoreRef: { name: "aws", kind: "SecretStore" },
      target: { name: "db-creds" },
      dataFrom: [
        { extract: { key } },
        { sourceRef: { generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "pw" } }, rewrite: [{ regexp: { source: "^password$", target: "db-password" } }] },
      ],
    });
    await waitReady(kube, ns, "db", "SecretSynced", 60_000);
    const first = await value(ns, "db-creds", "db-password");
    assert.ok(first);
    assert.equal(first.length, 32);
    assert.equal([...first].filter((c) => /\d/.test(c)).length, 5);
    assert.doesNotMatch(first, /[A-Z]/);
    assert.equal(await value(ns, "db-creds", "user"), "admin");
    assert.equal(await value(ns, "db-creds", "password"), undefined, "rewritten");

    // Not refreshes: a label on the target Secret, a store edit, a generator edit.
    await kube.patch(resources.secret, ns, "db-creds", { metadata: { labels: { team: "blue" } } }, "merge");
    await kube.patch(resources.secretStore, ns, "aws", { spec: { refreshInterval: 60 } }, "merge");
    await kube.patch(resources.password, ns, "pw", { spec: { length: 40 } }, "merge");
    await settle();
    assert.equal(await value(ns, "db-creds", "db-password"), first, "no new value without a refresh");

    // Restart: the Secret is in sync, so nothing is generated or written.
    await controllers?.stop();
    const rv = (await kube.get(resources.secret, ns, "db-creds"))?.metadata?.resourceVersion;
    writes.length = 0;
    controllers = await startEsoController(counting(kube), factories);
    await settle(3000);
    // This namespace's objects only: a shared control plane holds other files' objects too.
    assert.deepEqual(writes.filter((w) => w.split(" ")[2]?.startsWith(`${ns}/`)), [], "no writes in the namespace after the restart");
    assert.equal((await kube.get(resources.secret, ns, "db-creds"))?.metadata?.resourceVersion, rv);
    assert.equal(await value(ns, "db-creds", "db-password"), first);

    // force-sync is a refresh: a new value, with the generator's current spec (length 40).
    await kube.patch(resources.externalSecret, ns, "db", { metadata: { annotations: { "force-sync": String(Date.now()) } } }, "merge");
    const second = await waitFor("a new password", async () => {
      const v = await value(ns, "db-creds", "db-password");
      return v && v !== first ? v : undefined;
    });
    assert.equal(second.length, 40);
    assert.equal(await value(ns, "db-creds", "user"), "admin");
  });

  test("refreshInterval elapsed: a new value each refresh, the same one in between", { timeout: 120_000 }, async () => {
    const ns = await freshNamespace(cluster, "pw");
    await password(ns, "pw", {});
    await externalSecret(ns, "tick", { refreshInterval: "4s", dataFrom: [{ sourceRef: { generatorRef: { kind: "Password", name: "pw" } } }] });
    await waitReady(kube, ns, "tick", "SecretSynced");
    const first = await value(ns, "tick", "password");
    assert.equal(first?.length, 24);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await value(ns, "tick", "password"), first, "stable before the interval");
    const next = await waitFor("the refresh", async () => {
      const v = await value(ns, "tick", "password");
      return v && v !== first ? v : undefined;
    }, 30_000);
    assert.equal(next.length, 24);
    // A 4 s refresh would keep later test files' controllers busy on a shared control plane.
    await kube.delete(resources.externalSecret, ns, "tick");
  });

  test("missing, unsupported or invalid generators: a condition naming it, the Secret untouched; a created generator is picked up", { timeout: 120_000 }, async () => {
    const ns = await freshNamespace(cluster, "pw");
    await password(ns, "ok", { length: 12 });
    await externalSecret(ns, "es", { refreshInterval: "1h", dataFrom: [{ sourceRef: { generatorRef: { kind: "Password", name: "ok" } } }] });
    await waitReady(kube, ns, "es", "SecretSynced");
    const before = await kube.get(resources.secret, ns, "es");
    const readyMessage = async (name: string, re: RegExp) =>
      await waitFor(`ExternalSecret ${name} condition ${re}`, async () => {
        const ready = readyOf(await kube.get(resources.externalSecret, ns, name));
        return ready?.status === "False" && re.test(ready.message ?? "") ? ready : undefined;
      });

    // Point it at a Password that does not exist yet (a spec change is a refresh).
    await kube.patch(resources.externalSecret, ns, "es", { spec: { dataFrom: [{ sourceRef: { generatorRef: { kind: "Password", name: "later" } } }] } }, "merge");
    const missing = await readyMessage("es", /^GeneratorNotFound: .*Password "later" not found/);
    assert.equal(missing.reason, "SecretSyncedError");
    const kept = await kube.get(resources.secret, ns, "es");
    assert.deepEqual(kept?.["data"], before?.["data"], "Secret untouched");
    assert.equal(kept?.metadata?.resourceVersion, before?.metadata?.resourceVersion);
    // Creating it wakes the ExternalSecret (the Password watch) and the pending refresh runs.
    await password(ns, "later", { length: 16, symbols: 0 });
    await waitFor("the late generator used", async () => ((await value(ns, "es", "password"))?.length === 16 ? true : undefined));

    await externalSecret(ns, "uuid", { dataFrom: [{ sourceRef: { generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "UUID", name: "u" } } }] });
    await readyMessage("uuid", /^UnsupportedGenerator: .*generator kind UUID .* supported: Password/);
    await externalSecret(ns, "other-group", { dataFrom: [{ sourceRef: { generatorRef: { apiVersion: "example.com/v1", kind: "Password", name: "ok" } } }] });
    await readyMessage("other-group", /^UnsupportedGenerator: .*generatorRef may only reference the generators group/);
    await password(ns, "bad", { length: 8, digits: 6, symbols: 6 });
    await externalSecret(ns, "bad", { dataFrom: [{ sourceRef: { generatorRef: { kind: "Password", name: "bad" } } }] });
    await readyMessage("bad", /^InvalidGenerator: .*number of digits and symbols must be less than total length/);
    for (const name of ["uuid", "other-group", "bad"]) assert.equal(await kube.get(resources.secret, ns, name), undefined, `${name}: no Secret`);
    const events: KubeObject[] = await kube.list(resources.event, { namespace: ns });
    assert.ok(events.some((e) => e["reason"] === "UpdateFailed"));
  });
});
