// Hostile objects of every kind against the running controller (`node src/main.ts`) on the sandbox:
// YAML alias bombs and deep nesting in SOPS documents, thousands of bad values, templates that
// generate keys, indent or repeat without end, a 253-character name, an ExternalSecret template
// bomb, a garbage AgeSecret and 2 MB bodies of brackets on /v1/verify. Throughout, /healthz must
// answer within 1 s; afterwards every object has a condition, the controller's peak RSS is under the
// chart's memory limit, and a valid SealedSecret applied last syncs within 5 s.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import { parseSealingCertificate, type SealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import type { KubeObject, Resource } from "../../src/kube/port.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { createAwsStaticKeyStore } from "../support/eso.ts";
import { eventually } from "../support/sealed-controller.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

/** The chart's memory limit for the controller (charts/sealbridge/values.yaml resources.limits). */
const CHART_MEMORY_LIMIT_MIB = 512;

let cluster: TestCluster;
let moto: RunningServer;
let proc: ControllerProcess | undefined;

before(async () => {
  [cluster, moto] = await Promise.all([testCluster(), startMoto()]);
});

after(async () => {
  await proc?.stop();
  await moto?.stop();
});

function aliasBomb(levels: number): string {
  const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(", ")}]`);
  return `${lines.join("\n")}\nsops:\n  age: []\n`;
}

function sealed(cert: SealingCertificate, ns: string, name: string, values: Record<string, string>, template?: Record<string, string>): KubeObject {
  const label = scopeLabel("strict", ns, name);
  return {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { name, namespace: ns },
    spec: {
      encryptedData: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(v), label })])),
      ...(template ? { template: { data: template } } : {}),
    },
  };
}

async function vmHwmMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? "0");
  return kib / 1024;
}

test("hostile objects: /healthz within 1 s, RSS under the chart's limit, a condition for each, a valid object synced after", { timeout: 600_000 }, async (t) => {
  const keyNs = await freshNamespace(cluster, "ho-keys");
  const ns = await freshNamespace(cluster, "ho");
  proc = startControllerProcess(
    ["--kubeconfig", cluster.kubeconfigPath, "--key-namespace", keyNs, "--listen-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--key-bits", "2048"],
    { AWS_SECRETSMANAGER_ENDPOINT: moto.url, AWS_STS_ENDPOINT: moto.url },
  );
  const ports = await proc.ports();
  await proc.waitFor(/"msg":"sealbridge ready"/, 90_000);
  const pid = proc.child.pid ?? 0;
  const api = `http://127.0.0.1:${ports.api}`;
  const cert = parseSealingCertificate(await (await fetch(`${api}/v1/cert.pem`)).text(), new Date());

  // /healthz, every 200 ms, each with a 1 s budget.
  let worstHealthMs = 0;
  let healthFailures = 0;
  let probes = 0;
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      try {
        const res = await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status !== 200) healthFailures++;
        await res.arrayBuffer();
      } catch {
        healthFailures++;
      }
      worstHealthMs = Math.max(worstHealthMs, performance.now() - started);
      probes++;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  const objects: { resource: Resource; name: string; condition: string }[] = [];
  const apply = async (resource: Resource, obj: KubeObject, condition: string) => {
    await cluster.kube.create(resource, obj);
    objects.push({ resource, name: obj.metadata?.name ?? "", condition });
  };

  // SopsSecrets: a nine-level alias bomb, and a document nested 200,000 levels deep.
  await apply(resources.sopsSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name: "sops-alias-bomb", namespace: ns }, spec: { document: aliasBomb(9) } }, "Synced");
  await apply(resources.sopsSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name: "sops-deep", namespace: ns }, spec: { document: `a: ${"[".repeat(200_000)}${"]".repeat(200_000)}\n` } }, "Synced");
  // SealedSecrets: 1,500 values that are not ciphertexts; templates that generate sixteen RSA keys,
  // indent by 500,000,000, and thirty keys of 4 MiB; a 253-character name with a broken value.
  await apply(resources.sealedSecret, { apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name: "many-bad-values", namespace: ns }, spec: { encryptedData: Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`v${i}`, "AAAAAAAA"])) } }, "Synced");
  await apply(resources.sealedSecret, sealed(cert, ns, "keygen", { seed: "x" }, Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, '{{ genPrivateKey "rsa" }}']))), "Synced");
  await apply(resources.sealedSecret, sealed(cert, ns, "indent", { seed: "x" }, { big: "{{ indent 500000000 .seed }}" }), "Synced");
  await apply(resources.sealedSecret, sealed(cert, ns, "repeat", { seed: "x" }, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, "{{ repeat 4194304 .seed }}"]))), "Synced");
  const longName = `n${"a".repeat(251)}z`;
  await apply(resources.sealedSecret, { apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name: longName, namespace: ns }, spec: { encryptedData: { v: "bm90IGEgY2lwaGVydGV4dA==" } } }, "Synced");
  // An AgeSecret of garbage.
  await apply(resources.ageSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "AgeSecret", metadata: { name: "age-garbage", namespace: ns }, spec: { encryptedData: { v: "-----BEGIN AGE ENCRYPTED FILE-----\nnot age\n-----END AGE ENCRYPTED FILE-----\n" } } }, "Synced");
  // ExternalSecrets whose templates bomb fromYaml and generate keys.
  const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  try {
    await sm.send(new CreateSecretCommand({ Name: `hostile-${ns}`, SecretString: aliasBomb(9) }));
  } finally {
    sm.destroy();
  }
  await createAwsStaticKeyStore(cluster.kube, ns, "test");
  for (const [name, template] of [["es-from-yaml", "{{ .doc | fromYaml | toJson }}"], ["es-keygen", Array.from({ length: 16 }, () => '{{ genPrivateKey "rsa" }}').join("")]] as const) {
    await apply(resources.externalSecret, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name, namespace: ns },
      spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, target: { name, template: { data: { out: template } } }, data: [{ secretKey: "doc", remoteRef: { key: `hostile-${ns}` } }] },
    }, "Ready");
  }
  // The HTTP API: 2 MB of brackets, four at once.
  const brackets = `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`;
  const posts = await Promise.all(Array.from({ length: 4 }, () => fetch(`${api}/v1/verify`, { method: "POST", body: brackets }).then((r) => r.status, () => 0)));
  t.diagnostic(`/v1/verify with 2 MB of brackets answered ${posts.join(", ")}`);
  for (const status of posts) assert.ok(status === 400 || status === 413 || status === 429, `verify answered ${status}`);

  // Every object gets a condition within 60 s.
  const deadline = Date.now() + 60_000;
  for (const o of objects) {
    const c = await eventually(`${o.resource.kind} ${o.name.slice(0, 40)} has ${o.condition}`, async () => {
      const obj = await cluster.kube.get(o.resource, ns, o.name);
      const found = (obj?.["status"] as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions?.find((x) => x.type === o.condition);
      return found;
    }, Math.max(1000, deadline - Date.now()));
    t.diagnostic(`${o.resource.kind} ${o.name.slice(0, 30)}: ${c.status} ${c.reason ?? ""} ${(c.message ?? "").slice(0, 140)}`);
    assert.ok((c.message ?? "").length <= 1100, "messages stay bounded");
  }

  // A valid SealedSecret applied afterwards syncs within 5 s.
  const started = Date.now();
  await cluster.kube.create(resources.sealedSecret, sealed(cert, ns, "after-the-storm", { password: "fine" }));
  await eventually("the valid SealedSecret's Secret", async () => ((await cluster.kube.get(resources.secret, ns, "after-the-storm")) ? true : undefined), 5_000);
  t.diagnostic(`valid SealedSecret synced ${Date.now() - started} ms after apply`);

  probing = false;
  await prober;
  const peak = await vmHwmMiB(pid);
  t.diagnostic(`/healthz: ${probes} probes, worst ${worstHealthMs.toFixed(0)} ms, ${healthFailures} failures; controller peak RSS ${peak.toFixed(0)} MiB`);
  assert.equal(healthFailures, 0, `/healthz failed ${healthFailures} times (worst ${worstHealthMs.toFixed(0)} ms)`);
  assert.ok(worstHealthMs < 1000);
  assert.ok(peak < CHART_MEMORY_LIMIT_MIB, `peak RSS ${peak.toFixed(0)} MiB`);
  const logs = proc.lines.join("\n");
  assert.doesNotMatch(logs, /Maximum call stack/, "no stack overflow reached the logs");
});
