// How GitOps tools read sealbridge's real status objects. The controller runs as its own process on
// the real control plane (with moto for AWS); each kind is driven to synced, failing, and "spec
// changed, not yet reconciled" (the API server's answer to the spec update, before the controller
// has seen it), and each object as the API server returns it is fed to:
//   - Flux's view: the real kstatus library (sigs.k8s.io/cli-utils status.Compute);
//   - Argo CD's view: the health.lua scripts the chart ships (charts/sealbridge/files/argocd) for
//     AgeSecret, SopsSecret and the stores, and Argo CD's own bundled scripts (taken from its Go
//     module, never copied here) for SealedSecret, ExternalSecret and the stores, run in gopher-lua
//     the way Argo CD runs them (test/health-check, built by scripts/build-tools.sh health-check).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { parse } from "yaml";
import { resources } from "../../src/api/resources.ts";
import { encryptAge } from "../../src/crypto/age.ts";
import { parseSealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import { isConflict, type KubeObject, type Resource } from "../../src/kube/port.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { createAwsStaticKeyStore } from "../support/eso.ts";
import { eventually } from "../support/sealed-controller.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";
import { sopsDocument } from "../support/sops-document.ts";
import { ensureTool } from "../support/tools.ts";

const root = new URL("../../", import.meta.url).pathname;
const shipped = join(root, "charts/sealbridge/files/argocd");

let cluster: TestCluster;
let moto: RunningServer;
let checker = "";
let bundled = "";
let proc: ControllerProcess;
let api = 0;
let ns = "";

interface Health {
  status: string;
  message: string;
}

function check(args: readonly string[], obj: KubeObject): Promise<Health> {
  return new Promise((resolveHealth, reject) => {
    const child = execFile(checker, [...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`health-check ${args.join(" ")}: ${stderr.trim() || err.message}`));
      else resolveHealth(JSON.parse(stdout) as Health);
    });
    child.stdin?.end(JSON.stringify(obj));
  });
}

const kstatus = (obj: KubeObject) => check(["kstatus"], obj);
/** Our shipped script for <group>/<kind>. */
const ours = (path: string, obj: KubeObject) => check(["lua", join(shipped, path, "health.lua")], obj);
/** Argo CD's bundled script for <group>/<kind>. */
const argo = (path: string, obj: KubeObject) => check(["lua", join(bundled, path, "health.lua")], obj);

function condition(obj: KubeObject | undefined, type: string): { status: string; reason?: string; message?: string } | undefined {
  const conditions = (obj?.["status"] as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === type);
}

/** The object once the controller has written status for its current generation with this Ready reason. */
function settled(resource: Resource, namespace: string | undefined, name: string, reason: string): Promise<KubeObject> {
  return eventually(`${resource.kind} ${name} Ready reason ${reason}`, async () => {
    const obj = await cluster.kube.get(resource, namespace, name);
    const status = obj?.["status"] as { observedGeneration?: number } | undefined;
    if (status?.observedGeneration !== obj?.metadata?.generation) return undefined;
    return condition(obj, "Ready")?.reason === reason ? obj : undefined;
  }, 120_000);
}

/** Changes the spec and returns the API server's answer: generation bumped, status as it was. */
async function changeSpec(resource: Resource, obj: KubeObject, change: (spec: Record<string, unknown>) => void): Promise<KubeObject> {
  let current = obj;
  for (let attempt = 0; ; attempt++) {
    const next = structuredClone(current);
    change(next["spec"] as Record<string, unknown>);
    try {
      const updated = await cluster.kube.replace(resource, next);
      assert.equal(updated.metadata?.generation, (current.metadata?.generation ?? 0) + 1, "a spec change bumps the generation");
      return updated;
    } catch (err) {
      // A status write landed since the read: read again (the spec is still the old one).
      if (!isConflict(err) || attempt >= 5) throw err;
      const fresh = await cluster.kube.get(resource, obj.metadata?.namespace, obj.metadata?.name ?? "");
      assert.ok(fresh);
      current = fresh;
    }
  }
}

async function recipient(namespace: string, name: string): Promise<string> {
  const q = new URLSearchParams({ scope: "strict", namespace, name });
  const res = await fetch(`http://127.0.0.1:${api}/v1/age-recipients?${q.toString()}`);
  assert.equal(res.status, 200);
  return (await res.text()).trim().split("\n")[0] ?? "";
}

before(async () => {
  [cluster, moto, checker] = await Promise.all([testCluster(), startMoto(), ensureTool("health-check")]);
  bundled = join(dirname(checker), "argocd");
  const keyNs = await freshNamespace(cluster, "hc-keys");
  ns = await freshNamespace(cluster, "hc");
  proc = startControllerProcess(
    ["--kubeconfig", cluster.kubeconfigPath, "--key-namespace", keyNs, "--listen-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--key-bits", "2048"],
    { AWS_SECRETSMANAGER_ENDPOINT: moto.url, AWS_STS_ENDPOINT: moto.url },
  );
  api = (await proc.ports()).api;
  await proc.waitFor(/"msg":"sealbridge ready"/, 120_000);
});

after(async () => {
  await proc?.stop();
  await moto?.stop();
});

test("the argocd-cm patch holds exactly the shipped health.lua files", async () => {
  const cm = parse(await readFile(join(shipped, "argocd-cm.yaml"), "utf8")) as { kind: string; metadata: { name: string }; data: Record<string, string> };
  assert.equal(cm.kind, "ConfigMap");
  assert.equal(cm.metadata.name, "argocd-cm");
  const paths = ["sealbridge.dev/AgeSecret", "sealbridge.dev/SopsSecret", "external-secrets.io/SecretStore", "external-secrets.io/ClusterSecretStore"];
  assert.deepEqual(Object.keys(cm.data).sort(), paths.map((p) => `resource.customizations.health.${p.replace("/", "_")}`).sort());
  for (const p of paths) assert.equal(cm.data[`resource.customizations.health.${p.replace("/", "_")}`], await readFile(join(shipped, p, "health.lua"), "utf8"), p);
});

describe("sealed kinds: Ready mirrors Synced, Stalled on failure", () => {
  test("SealedSecret", { timeout: 240_000 }, async () => {
    const certPem = await (await fetch(`http://127.0.0.1:${api}/v1/cert.pem`)).text();
    const cert = parseSealingCertificate(certPem, new Date());
    const seal = (name: string, publicKey: typeof cert.publicKey) => ({ password: sealValue({ publicKey, plaintext: Buffer.from("pw"), label: scopeLabel("strict", ns, name) }) });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    await cluster.kube.create(resources.sealedSecret, { apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name: "ok", namespace: ns }, spec: { encryptedData: seal("ok", cert.publicKey) } });
    await cluster.kube.create(resources.sealedSecret, { apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name: "bad", namespace: ns }, spec: { encryptedData: seal("bad", other) } });

    const ok = await settled(resources.sealedSecret, ns, "ok", "Unsealed");
    assert.deepEqual(condition(ok, "Synced"), { ...condition(ok, "Ready"), type: "Synced" });
    assert.equal(condition(ok, "Stalled"), undefined);
    assert.equal((await kstatus(ok)).status, "Current");
    assert.equal((await argo("bitnami.com/SealedSecret", ok)).status, "Healthy");

    const bad = await settled(resources.sealedSecret, ns, "bad", "SealedForUnknownKey");
    assert.equal(condition(bad, "Stalled")?.status, "True");
    const k = await kstatus(bad);
    assert.equal(k.status, "Failed");
    assert.match(k.message, /cannot be opened by any of the 1 key/);
    const a = await argo("bitnami.com/SealedSecret", bad);
    assert.equal(a.status, "Degraded");
    assert.match(a.message, /cannot be opened/);

    const changed = await changeSpec(resources.sealedSecret, ok, (spec) => (spec["template"] = { metadata: { labels: { app: "db" } } }));
    assert.equal((await kstatus(changed)).status, "InProgress");
    assert.equal((await argo("bitnami.com/SealedSecret", changed)).status, "Progressing");
    const again = await eventually("SealedSecret ok observes the new generation", async () => {
      const obj = await cluster.kube.get(resources.sealedSecret, ns, "ok");
      return (obj?.["status"] as { observedGeneration?: number } | undefined)?.observedGeneration === changed.metadata?.generation ? obj : undefined;
    }, 120_000);
    assert.equal((await kstatus(again)).status, "Current");
  });

  test("AgeSecret", { timeout: 240_000 }, async () => {
    const armored = (await encryptAge({ recipients: [await recipient(ns, "age-ok")], plaintext: new Uint8Array(Buffer.from("pw")) })) as string;
    await cluster.kube.create(resources.ageSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "AgeSecret", metadata: { name: "age-ok", namespace: ns }, spec: { encryptedData: { password: armored } } });
    const fresh = await cluster.kube.create(resources.ageSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "AgeSecret", metadata: { name: "age-bad", namespace: ns }, spec: { encryptedData: { password: "not an age file" } } });
    assert.equal((await ours("sealbridge.dev/AgeSecret", fresh)).status, "Progressing", "no status yet");

    const ok = await settled(resources.ageSecret, ns, "age-ok", "Unsealed");
    assert.equal((await kstatus(ok)).status, "Current");
    assert.deepEqual(await ours("sealbridge.dev/AgeSecret", ok), { status: "Healthy", message: "Unsealed" });

    const bad = await settled(resources.ageSecret, ns, "age-bad", "InvalidCiphertext");
    assert.equal((await kstatus(bad)).status, "Failed");
    const a = await ours("sealbridge.dev/AgeSecret", bad);
    assert.equal(a.status, "Degraded");
    assert.match(a.message, /^InvalidCiphertext: encryptedData password: /);

    const changed = await changeSpec(resources.ageSecret, ok, (spec) => (spec["template"] = { type: "Opaque" }));
    assert.equal((await kstatus(changed)).status, "InProgress");
    assert.deepEqual(await ours("sealbridge.dev/AgeSecret", changed), { status: "Progressing", message: `Waiting for the controller to observe generation ${changed.metadata?.generation ?? 0}` });
    assert.equal((await ours("sealbridge.dev/AgeSecret", await settled(resources.ageSecret, ns, "age-ok", "Unsealed"))).status, "Healthy");
  });

  test("SopsSecret", { timeout: 240_000 }, async () => {
    const document = await sopsDocument({ values: { password: "pw" }, recipients: [await recipient(ns, "sops-ok")], format: "yaml" });
    await cluster.kube.create(resources.sopsSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name: "sops-ok", namespace: ns }, spec: { document } });
    await cluster.kube.create(resources.sopsSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name: "sops-bad", namespace: ns }, spec: { document: "password: not encrypted\n" } });

    const ok = await settled(resources.sopsSecret, ns, "sops-ok", "Unsealed");
    assert.equal((await kstatus(ok)).status, "Current");
    assert.equal((await ours("sealbridge.dev/SopsSecret", ok)).status, "Healthy");

    const bad = await eventually("SopsSecret sops-bad fails", async () => {
      const obj = await cluster.kube.get(resources.sopsSecret, ns, "sops-bad");
      return condition(obj, "Ready")?.status === "False" ? obj : undefined;
    }, 120_000);
    assert.equal(condition(bad, "Stalled")?.reason, condition(bad, "Synced")?.reason);
    assert.equal((await kstatus(bad)).status, "Failed");
    assert.equal((await ours("sealbridge.dev/SopsSecret", bad)).status, "Degraded");

    const changed = await changeSpec(resources.sopsSecret, ok, (spec) => (spec["template"] = { type: "Opaque" }));
    assert.equal((await kstatus(changed)).status, "InProgress");
    assert.equal((await ours("sealbridge.dev/SopsSecret", changed)).status, "Progressing");
  });
});

describe("external-secrets.io: observedGeneration", () => {
  test("ExternalSecret, SecretStore and ClusterSecretStore", { timeout: 240_000 }, async () => {
    const remoteName = `hc-${ns}/db`;
    const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    try {
      await sm.send(new CreateSecretCommand({ Name: remoteName, SecretString: JSON.stringify({ password: "pw" }) }));
    } finally {
      sm.destroy();
    }
    await createAwsStaticKeyStore(cluster.kube, ns, "test");
    const es = (name: string, key: string): KubeObject => ({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name, namespace: ns },
      spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, data: [{ secretKey: "password", remoteRef: { key, property: "password" } }] },
    });
    await cluster.kube.create(resources.externalSecret, es("es-ok", remoteName));
    await cluster.kube.create(resources.externalSecret, es("es-bad", `${remoteName}-missing`));
    await cluster.kube.create(resources.secretStore, { apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: "gcp", namespace: ns }, spec: { provider: { gcpsm: { projectID: "p" } } } });
    const cssName = `hc-gcp-${ns}`;
    await cluster.kube.create(resources.clusterSecretStore, { apiVersion: "external-secrets.io/v1", kind: "ClusterSecretStore", metadata: { name: cssName }, spec: { provider: { gcpsm: { projectID: "p" } } } });
    try {
      const ok = await settled(resources.externalSecret, ns, "es-ok", "SecretSynced");
      assert.equal((ok["status"] as { observedGeneration?: number }).observedGeneration, ok.metadata?.generation);
      assert.equal((await kstatus(ok)).status, "Current");
      assert.equal((await argo("external-secrets.io/ExternalSecret", ok)).status, "Healthy");

      const bad = await settled(resources.externalSecret, ns, "es-bad", "SecretSyncedError");
      // ESO's Ready=False: kstatus reads it as InProgress (a provider error may go away), never Current.
      assert.equal((await kstatus(bad)).status, "InProgress");
      assert.equal((await argo("external-secrets.io/ExternalSecret", bad)).status, "Degraded");

      const changed = await changeSpec(resources.externalSecret, ok, (spec) => (spec["refreshInterval"] = "2h"));
      const k = await kstatus(changed);
      assert.equal(k.status, "InProgress");
      assert.match(k.message, /generation is 2, but latest observed generation is 1/);
      // Argo CD's bundled ExternalSecret check reads Ready alone, so for it a stale Ready is still Healthy.
      assert.equal((await argo("external-secrets.io/ExternalSecret", changed)).status, "Healthy");
      assert.equal((await kstatus(await settled(resources.externalSecret, ns, "es-ok", "SecretSynced"))).status, "Current");

      const store = await settled(resources.secretStore, ns, "aws", "Valid");
      assert.equal((await kstatus(store)).status, "Current");
      for (const script of [ours, argo]) assert.equal((await script("external-secrets.io/SecretStore", store)).status, "Healthy");
      const storeChanged = await changeSpec(resources.secretStore, store, (spec) => (spec["refreshInterval"] = 3600));
      assert.equal((await kstatus(storeChanged)).status, "InProgress");
      assert.equal((await ours("external-secrets.io/SecretStore", storeChanged)).status, "Progressing");
      assert.equal((await argo("external-secrets.io/SecretStore", storeChanged)).status, "Healthy", "the bundled check does not compare generations");

      const gcp = await settled(resources.secretStore, ns, "gcp", "InvalidProviderConfig");
      assert.equal((await kstatus(gcp)).status, "InProgress");
      for (const script of [ours, argo]) {
        const h = await script("external-secrets.io/SecretStore", gcp);
        assert.equal(h.status, "Degraded");
        assert.match(h.message, /"gcpsm" is not supported/);
      }
      const css = await settled(resources.clusterSecretStore, undefined, cssName, "InvalidProviderConfig");
      assert.equal((await kstatus(css)).status, "InProgress");
      for (const script of [ours, argo]) assert.equal((await script("external-secrets.io/ClusterSecretStore", css)).status, "Degraded");
    } finally {
      await cluster.kube.delete(resources.clusterSecretStore, undefined, cssName);
    }
  });
});
