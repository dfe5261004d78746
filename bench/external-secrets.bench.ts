// Benchmark: N ExternalSecrets (default 1,000; BENCH_N) on one AWS SecretsManager store (web identity
// auth) served by a real moto server, against the sandbox control plane. The controller runs alone in
// a child process (bench/external-secrets-controller.ts) so its RSS is its own.
// Prints: time to first sync of all; Secrets Manager API calls for the first sync and for the
// steady-state periodic refresh; credential (STS) fetches; controller RSS.
// The periodic refresh uses refreshInterval BENCH_REFRESH (default 60s, longer than the first sync so the phases do not overlap) to stand in for 1h: the
// refresh schedule (jitter fraction, slot grid, wave horizon) scales with the interval.
// Run: npm run bench:external-secrets
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { KubeConfig } from "@kubernetes/client-node";
import { parseGoDuration } from "../src/api/go-duration.ts";
import { resources } from "../src/api/resources.ts";
import { ClientNodeKube } from "../src/kube/client-node-adapter.ts";
import { installCrds } from "../src/kube/install-crds.ts";
import { startControlPlane } from "../src/sandbox/control-plane.ts";
import { startMoto } from "../test/support/servers.ts";

const N = Number(process.env["BENCH_N"] ?? "1000");
const WORKERS = Number(process.env["BENCH_WORKERS"] ?? "40");
const REFRESH = process.env["BENCH_REFRESH"] ?? "60s";
const refreshMs = parseGoDuration(REFRESH);

interface Stats {
  calls: Record<string, number>;
  credentialFetches: number;
  waves: number;
  waveIds: number;
  statusWrites: number;
  kubeCalls: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  maxRssKiB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cp = await startControlPlane({ onProgress: () => undefined });
const moto = await startMoto();
try {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const kube = new ClientNodeKube(kc);
  await installCrds(kube);
  const ns = "bench";
  await kube.create(resources.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "t", secretAccessKey: "t" } });
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, j) => sm.send(new CreateSecretCommand({ Name: `bench/s${i + j}`, SecretString: JSON.stringify({ v: `value-${i + j}` }) }))));
  }
  sm.destroy();
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
  for (let i = 0; i < N; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, j) =>
        kube.create(resources.externalSecret, {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: `es${i + j}`, namespace: ns },
          spec: { refreshInterval: REFRESH, secretStoreRef: { name: "aws" }, data: [{ secretKey: "v", remoteRef: { key: `bench/s${i + j}`, property: "v" } }] },
        }),
      ),
    );
  }

  const start = Date.now();
  const child = fork(fileURLToPath(new URL("./external-secrets-controller.ts", import.meta.url)), [], {
    env: { ...process.env, BENCH_KUBECONFIG: cp.kubeconfigPath, BENCH_MOTO_URL: moto.url, BENCH_WORKERS: String(WORKERS) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const replies: ((s: Stats) => void)[] = [];
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  child.on("message", (m: { type: string } & Stats) => {
    if (m.type === "ready") ready();
    else if (m.type === "stats") replies.shift()?.(m);
  });
  const stats = (reset: boolean) =>
    new Promise<Stats>((resolve) => {
      replies.push(resolve);
      child.send({ type: "stats", reset });
    });
  try {
    await readyP;
    const syncedCount = async () => (await kube.list(resources.secret, { namespace: ns, labelSelector: "reconcile.external-secrets.io/managed=true" })).length;
    while ((await syncedCount()) < N) await sleep(250);
    const firstSyncMs = Date.now() - start;
    const first = await stats(true);

    // Steady state: count over two refresh intervals; every ExternalSecret refreshes about twice
    // (the interval plus up to 10% jitter). Normalised to one cycle of N refreshes.
    const windowStart = Date.now();
    await sleep(2 * refreshMs);
    const periodic = await stats(true);
    const windowMs = Date.now() - windowStart;
    const ess = await kube.list(resources.externalSecret, { namespace: ns });
    const stale = ess.filter((e) => Date.parse(String((e["status"] as { refreshTime?: string } | undefined)?.refreshTime)) < windowStart + refreshMs - 1000).length;
    const notReady = ess.filter((e) => !((e["status"] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")).length;

    child.send({ type: "stop" });
    await new Promise((r) => child.once("exit", r));

    const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(58)} ${v}\n`);
    const perCycle = (total(periodic.calls) * N) / Math.max(1, periodic.statusWrites);
    line("ExternalSecrets / workers / refreshInterval", `${N} / ${WORKERS} / ${REFRESH} (stands in for 1h; schedule scales with it)`);
    line("time to first sync of all (ms)", String(firstSyncMs));
    line("SM API calls, first sync", `${total(first.calls)} ${JSON.stringify(first.calls)} = ${(N / Math.max(1, total(first.calls))).toFixed(1)} secrets/call`);
    line("refresh waves, first sync (distinct ids read)", `${first.waves} (${first.waveIds})`);
    line(`SM API calls, periodic refresh over ${(windowMs / 1000).toFixed(0)} s`, `${total(periodic.calls)} ${JSON.stringify(periodic.calls)} for ${periodic.statusWrites} refreshes = ${(periodic.statusWrites / Math.max(1, total(periodic.calls))).toFixed(1)} secrets/call`);
    line("SM API calls per periodic refresh cycle (normalised to N)", perCycle.toFixed(1));
    line("refresh waves, periodic (distinct ids read)", `${periodic.waves} (${periodic.waveIds})`);
    line("ExternalSecrets not refreshed in the last interval / not Ready", `${stale} / ${notReady}`);
    line("credential fetches (STS AssumeRoleWithWebIdentity), all phases", String(first.credentialFetches + periodic.credentialFetches));
    line("Kubernetes calls, first sync / periodic window", `${first.kubeCalls} / ${periodic.kubeCalls}`);
    line("controller RSS after first sync / end / peak (MiB)", `${mib(first.rss)} / ${mib(periodic.rss)} / ${(periodic.maxRssKiB / 1024).toFixed(0)} (controller process alone)`);
    line("controller heap used / external after first sync, end (MiB)", `${mib(first.heapUsed)} / ${mib(first.external)}, ${mib(periodic.heapUsed)} / ${mib(periodic.external)}`);
    line("MALLOC_ARENA_MAX", process.env["MALLOC_ARENA_MAX"] ?? "(glibc default)");
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
} finally {
  await moto.stop();
  await cp.stop();
}
