// Side by side: sealbridge and the real External Secrets Operator controller (Go, v0.16.2, built from
// its module by `scripts/build-tools.sh eso-controller`), one after the other, each as its own
// process alone on a fresh sandbox control plane and a fresh moto holding the same N secrets.
// Both read one namespaced SecretStore (AWS Secrets Manager, static credentials from a Secret) and N
// ExternalSecrets, one remote key each (a JSON property), refreshInterval BENCH_REFRESH.
// Per run: the controller starts with the store only (idle RSS); (a) N ExternalSecrets applied in
// bulk → wall time until all N Secrets exist, every one checked against its remote value,
// controller CPU-seconds, AWS calls; (b) a refresh window of BENCH_CYCLES refresh intervals → AWS
// calls and CPU per refreshed ExternalSecret (a refresh = one write of an ExternalSecret's status,
// counted by kube-apiserver), peak RSS (VmHWM) and RSS at the end.
// AWS calls are counted on the wire by a proxy in front of moto (bench/aws-call-counter.ts) that is
// both controllers' endpoint (ESO's and sealbridge's AWS_SECRETSMANAGER_ENDPOINT / AWS_STS_ENDPOINT /
// AWS_SSM_ENDPOINT); CPU and memory are the controller PID's own (/proc/PID/stat, /proc/PID/status).
// Prints one table with issue 11's targets and the ratios sealbridge ÷ ESO; asserts nothing.
// Run: npm run bench:external-secrets
//   BENCH_N (2000) BENCH_REFRESH (150s; every ExternalSecret's refreshInterval) BENCH_CYCLES (2)
//   BENCH_RUNS (sealbridge,eso) BENCH_DIST=1 (dist/main.js, built first) BENCH_WORKERS (sealbridge
//   --workers; default its own 4) BENCH_ESO_CONCURRENT (ESO --concurrent; default = sealbridge's workers)
//   ESO_CONTROLLER_VERSION (v0.16.2, as scripts/build-tools.sh)
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { parseGoDuration } from "../src/api/go-duration.ts";
import { ClientNodeKube } from "../src/kube/client-node-adapter.ts";
import { installCrds } from "../src/kube/install-crds.ts";
import { startControlPlane } from "../src/sandbox/control-plane.ts";
import { startMoto } from "../test/support/servers.ts";
import { startCallCounter } from "./aws-call-counter.ts";
import { startEsoController } from "./eso-controller.ts";
import { sampleProc, untilQuiet } from "./proc-stats.ts";
import { apiserverWrites, createAll, diffCounts, sandboxClient, watchSecretCount, type SandboxClient } from "./sandbox-client.ts";
import { startSealbridge, type ControllerUnderTest, type SandboxTarget } from "./sealed-controllers.ts";
import { runEach } from "./run-each.ts";

const root = new URL("../", import.meta.url).pathname;
const N = Number(process.env["BENCH_N"] ?? "2000");
// Long enough that ESO's first sync of 2,000 (~2 min at load ≈ 9 on 2 cores) ends before its first
// refreshes are due, so the phases do not overlap; it stands in for 1h (sealbridge's refresh
// schedule scales with the interval).
const REFRESH = process.env["BENCH_REFRESH"] ?? "150s";
const refreshMs = parseGoDuration(REFRESH);
const CYCLES = Number(process.env["BENCH_CYCLES"] ?? "2");
const RUNS = (process.env["BENCH_RUNS"] ?? "sealbridge,eso").split(",").map((s) => s.trim()).filter(Boolean);
const DIST = process.env["BENCH_DIST"] === "1";
const WORKERS = process.env["BENCH_WORKERS"] ? Number(process.env["BENCH_WORKERS"]) : undefined;
// ESO's default is 1 concurrent reconcile; it gets as many as sealbridge's workers (default 4) so
// both work on as many ExternalSecrets at once (at 1, ESO needs ~0.1 s per ExternalSecret here and
// its first sync of 2,000 runs into the first refreshes).
const ESO_CONCURRENT = Number(process.env["BENCH_ESO_CONCURRENT"] ?? String(WORKERS ?? 4));
const ESO_VERSION = process.env["ESO_CONTROLLER_VERSION"] ?? "v0.16.2";
const PHASE_TIMEOUT_S = Number(process.env["BENCH_PHASE_TIMEOUT_S"] ?? "1800");
const CORES = availableParallelism();
const NS = "bench";
const REGION = "eu-west-1";
const CALL_TARGET = Math.ceil(N / 20) + 5;

type RunKind = "sealbridge" | "eso";
const KNOWN: readonly RunKind[] = ["sealbridge", "eso"];
for (const r of RUNS) if (!KNOWN.includes(r as RunKind)) throw new Error(`BENCH_RUNS: unknown run "${r}" (known: ${KNOWN.join(", ")})`);

const log = (line: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const total = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const countsText = (m: ReadonlyMap<string, number>) => {
  const parts = [...m].filter(([, v]) => v !== 0).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(", ") : "none";
};
/** Writes the API server makes for itself (identity Leases, the kubernetes Service's endpoints), not a controller's. */
const isApiserverOwn = (key: string) => / (leases|endpoints|endpointslices)(\/|$)/.test(key);
const controllerWrites = (m: ReadonlyMap<string, number>) => new Map([...m].filter(([k]) => !isApiserverOwn(k)));
/** One refresh of an ExternalSecret = one write of its status (both controllers write it only when refreshTime moves). */
const statusWrites = (m: ReadonlyMap<string, number>) => [...m].filter(([k]) => / externalsecrets\/status$/.test(k)).reduce((s, [, v]) => s + v, 0);

// The same remote data for every run: one JSON secret per ExternalSecret, read by property.
const values = Array.from({ length: N }, (_, i) => `bench-value-${i}-${randomBytes(8).toString("hex")}`);
const remoteName = (i: number) => `bench/s${i}`;
const ACCESS_KEY = "AKIABENCHBENCHBENCH0";
const SECRET_KEY = randomBytes(20).toString("hex");

interface RunResult {
  kind: RunKind;
  config: string;
  loadStart: string;
  loadEnd: string;
  readyS: number;
  idleEmptyRss: number;
  startCalls: Map<string, number>;
  applyS: number;
  allSecretsS: number;
  settledS: number;
  settleTimedOut: boolean;
  cpuAllS: number;
  cpuSettledS: number;
  firstCalls: Map<string, number>;
  firstSecretsRead: number;
  firstWrites: Map<string, number>;
  firstHwm: number;
  correct: string;
  windowS: number;
  windowCpuS: number;
  windowCalls: Map<string, number>;
  windowSecretsRead: number;
  windowWrites: Map<string, number>;
  refreshes: number;
  stale: number;
  notReady: number;
  rssEnd: number;
  rssMaxWindow: number;
  peakRss: number;
}

const binaries: { eso?: string } = {};
if (RUNS.includes("sealbridge") && DIST) {
  log("npm run build (BENCH_DIST=1)");
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
  if (!existsSync(join(root, "dist/main.js"))) throw new Error("dist/main.js missing after the build");
}
let esoCrdsDir: string | undefined;
if (RUNS.includes("eso")) {
  log(`locating the ESO controller ${ESO_VERSION} (scripts/build-tools.sh eso-controller; builds on first use, ~20 min on 2 cores)`);
  const out = execFileSync("bash", [join(root, "scripts/build-tools.sh"), "eso-controller"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ESO_CONTROLLER_VERSION: ESO_VERSION } });
  const path = out.trim().split("\n").pop();
  if (path) binaries.eso = path;
  // ESO's CRDs, from the same module.
  const info = JSON.parse(execFileSync("go", ["mod", "download", "-json", `github.com/external-secrets/external-secrets@${ESO_VERSION}`], { encoding: "utf8", cwd: "/" })) as { Dir?: string };
  if (info.Dir) esoCrdsDir = join(info.Dir, "config/crds/bases");
}

/**
 * ESO's own CRDs (its module's config/crds/bases), for the ESO run. Ours carry no schema defaults
 * (see src/api/crds.ts), and ESO relies on the API server filling them: with ours an ExternalSecret
 * without spec.target.creationPolicy reaches none of ESO's creation-policy cases, so ESO reports it
 * Ready ("secret synced") and writes no Secret. Its manager also watches kinds we do not define
 * (GeneratorState, ClusterPushSecret).
 */
async function installEsoCrds(client: SandboxClient): Promise<string[]> {
  if (!esoCrdsDir) throw new Error("ESO's CRD folder was not found in its module");
  type Crd = { metadata?: { name?: string }; spec?: { group?: string; names?: { plural?: string }; versions?: { name?: string; storage?: boolean }[] } };
  const installed: Crd[] = [];
  for (const file of readdirSync(esoCrdsDir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort()) {
    const crd = parse(readFileSync(join(esoCrdsDir, file), "utf8")) as Crd;
    const res = await client.call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    if (res.status >= 300) throw new Error(`CRD ${crd.metadata?.name ?? file}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    installed.push(crd);
  }
  const deadline = Date.now() + 60_000;
  for (const crd of installed) {
    const name = crd.metadata?.name ?? "";
    const version = crd.spec?.versions?.find((v) => v.storage)?.name ?? "";
    for (;;) {
      const res = await client.call("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
      const conditions = (JSON.parse(res.body) as { status?: { conditions?: { type?: string; status?: string }[] } }).status?.conditions ?? [];
      // Established, and its storage ready (until then lists answer 429 "storage is (re)initializing").
      if (conditions.some((c) => c.type === "Established" && c.status === "True")) {
        if ((await client.call("GET", `/apis/${crd.spec?.group ?? ""}/${version}/${crd.spec?.names?.plural ?? ""}?limit=1`)).status === 200) break;
      }
      if (Date.now() > deadline) throw new Error(`CRD ${name} not served after 60 s`);
      await sleep(100);
    }
  }
  return installed.map((c) => c.metadata?.name ?? "");
}

const awsEnv = (endpoint: string) => ({ AWS_SECRETSMANAGER_ENDPOINT: endpoint, AWS_STS_ENDPOINT: endpoint, AWS_SSM_ENDPOINT: endpoint, AWS_REGION: REGION });

function launch(kind: RunKind, target: SandboxTarget, endpoint: string): Promise<ControllerUnderTest> {
  if (kind === "sealbridge") {
    return startSealbridge(target, {
      dist: DIST,
      ...(WORKERS ? { workers: WORKERS } : {}),
      // Only the external-secrets.io kinds, as ESO serves.
      flags: ["--disable-sealed-secrets", "--disable-age-secrets", "--disable-sops-secrets"],
      env: awsEnv(endpoint),
    });
  }
  const binary = binaries.eso;
  if (!binary) throw new Error("the ESO controller was not built");
  return startEsoController(target, { binary, flags: [`--concurrent=${ESO_CONCURRENT}`], env: awsEnv(endpoint) });
}

const configOf = (kind: RunKind) =>
  kind === "sealbridge"
    ? `${DIST ? "dist/main.js" : "src/main.ts"}, --workers ${WORKERS ?? "4 (default)"}, sealed/age/sops off`
    : `${ESO_VERSION}, --concurrent ${ESO_CONCURRENT}, its own CRDs`;

async function seedMoto(url: string): Promise<void> {
  const sm = new SecretsManagerClient({ region: REGION, endpoint: url, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, maxAttempts: 1 });
  // moto's development server answers an HTML error page now and then under concurrent load: retry
  // (a create that went through the first time answers ResourceExistsException, with the same value).
  const create = async (i: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await sm.send(new CreateSecretCommand({ Name: remoteName(i), SecretString: JSON.stringify({ v: values[i] }) }));
        return;
      } catch (err) {
        if (err instanceof Error && err.name === "ResourceExistsException" && attempt > 1) return;
        if (attempt >= 8) throw err;
        await sleep(200 * attempt);
      }
    }
  };
  try {
    for (let i = 0; i < N; i += 16) {
      await Promise.all(Array.from({ length: Math.min(16, N - i) }, (_, j) => create(i + j)));
    }
  } finally {
    sm.destroy();
  }
}

async function post(client: SandboxClient, path: string, body: unknown): Promise<void> {
  const res = await client.call("POST", path, body);
  if (res.status >= 300) throw new Error(`POST ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
}

const externalSecret = (i: number) => ({
  apiVersion: "external-secrets.io/v1",
  kind: "ExternalSecret",
  metadata: { name: `es${i}`, namespace: NS },
  spec: { refreshInterval: REFRESH, secretStoreRef: { kind: "SecretStore", name: "aws" }, target: { name: `es${i}` }, data: [{ secretKey: "v", remoteRef: { key: remoteName(i), property: "v" } }] },
});

/** Every managed Secret against its remote value (never printing one): "ok/N". */
async function checkAll(client: SandboxClient): Promise<string> {
  let ok = 0;
  let cont = "";
  do {
    const res = await client.call("GET", `/api/v1/namespaces/${NS}/secrets?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
    const body = JSON.parse(res.body) as { metadata?: { continue?: string }; items?: { metadata?: { name?: string }; data?: Record<string, string> }[] };
    for (const item of body.items ?? []) {
      const m = /^es(\d+)$/.exec(item.metadata?.name ?? "");
      const want = m ? values[Number(m[1])] : undefined;
      if (want !== undefined && item.data?.["v"] === Buffer.from(want).toString("base64")) ok++;
    }
    cont = body.metadata?.continue ?? "";
  } while (cont);
  return `${ok}/${N}`;
}

/** ExternalSecrets whose last refresh is older than `since`, and those not Ready. */
async function esStates(client: SandboxClient, since: number): Promise<{ stale: number; notReady: number }> {
  let stale = 0;
  let notReady = 0;
  let cont = "";
  do {
    const res = await client.call("GET", `/apis/external-secrets.io/v1/namespaces/${NS}/externalsecrets?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
    const body = JSON.parse(res.body) as { metadata?: { continue?: string }; items?: { status?: { refreshTime?: string; conditions?: { type?: string; status?: string }[] } }[] };
    for (const item of body.items ?? []) {
      if (!(Date.parse(item.status?.refreshTime ?? "") >= since)) stale++;
      if (!(item.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")) notReady++;
    }
    cont = body.metadata?.continue ?? "";
  } while (cont);
  return { stale, notReady };
}

async function runOne(kind: RunKind): Promise<RunResult> {
  const loadStart = load();
  log(`${kind}: fresh sandbox and moto (N=${N}, refreshInterval ${REFRESH}; load ${loadStart})`);
  const cp = await startControlPlane({ onProgress: () => undefined });
  const client = await sandboxClient(cp.kubeconfigPath);
  const moto = await startMoto();
  let counter: Awaited<ReturnType<typeof startCallCounter>> | undefined;
  let controller: ControllerUnderTest | undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    if (kind === "eso") log(`eso: ESO's own CRDs installed (${(await installEsoCrds(client)).length} from its module)`);
    else await installCrds(new ClientNodeKube(kc));
    await seedMoto(moto.url);
    const proxy = await startCallCounter(moto.url);
    counter = proxy;
    const calls = () => proxy.counts();
    await post(client, "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    await post(client, `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "aws-credentials", namespace: NS },
      type: "Opaque",
      data: { "access-key-id": Buffer.from(ACCESS_KEY).toString("base64"), "secret-access-key": Buffer.from(SECRET_KEY).toString("base64") },
    });
    await post(client, `/apis/external-secrets.io/v1/namespaces/${NS}/secretstores`, {
      apiVersion: "external-secrets.io/v1",
      kind: "SecretStore",
      metadata: { name: "aws", namespace: NS },
      spec: {
        provider: {
          aws: {
            service: "SecretsManager",
            region: REGION,
            auth: { secretRef: { accessKeyIDSecretRef: { name: "aws-credentials", key: "access-key-id" }, secretAccessKeySecretRef: { name: "aws-credentials", key: "secret-access-key" } } },
          },
        },
      },
    });
    const target: SandboxTarget = { client, kubeconfigPath: cp.kubeconfigPath, dir: cp.dir, keyNamespace: "kube-system" };
    const writesNow = async () => total(controllerWrites(await apiserverWrites(client)));

    // Start with the store only: the idle footprint.
    const spawnAt = Date.now();
    const c = await launch(kind, target, counter.url);
    controller = c;
    await c.ready();
    const readyS = (Date.now() - spawnAt) / 1000;
    await untilQuiet({ pid: c.pid, writes: writesNow, stepMs: 1000, timeoutMs: 120_000 });
    const idleEmptyRss = sampleProc(c.pid).rss;
    const startCalls = calls();
    const startSecretsRead = proxy.secretsRead();
    log(`${kind}: controller pid ${c.pid} ready after ${readyS.toFixed(1)} s, idle RSS ${mib(idleEmptyRss)} MiB; AWS calls so far ${countsText(startCalls)}`);

    // (a) N ExternalSecrets in bulk. The credentials Secret is in the namespace too: N + 1 Secrets.
    const watch = await watchSecretCount(client, NS);
    const w0 = await apiserverWrites(client);
    const cpu0 = sampleProc(c.pid).cpuS;
    log(`${kind}: applying ${N} ExternalSecrets`);
    const t0 = Date.now();
    await createAll(client, `/apis/external-secrets.io/v1/namespaces/${NS}/externalsecrets`, N, externalSecret);
    const applyS = (Date.now() - t0) / 1000;
    let timer: NodeJS.Timeout | undefined;
    const tAll = await Promise.race([watch.reached(N + 1), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PHASE_TIMEOUT_S * 1000)))]);
    clearTimeout(timer);
    if (tAll === undefined) throw new Error(`only ${watch.seen() - 1} of ${N} Secrets seen by the watch after ${PHASE_TIMEOUT_S} s (a list finds ${await checkAll(client)} with the remote value)`);
    const cpuAll = sampleProc(c.pid).cpuS;
    watch.close();
    log(`${kind}: all ${N} Secrets after ${((tAll - t0) / 1000).toFixed(1)} s; waiting until settled`);
    // Settled: no writes and CPU flat, bounded so the window below begins before the first refresh is due.
    const settled = await untilQuiet({ pid: c.pid, writes: writesNow, stepMs: 1000, timeoutMs: Math.max(5000, t0 + 0.9 * refreshMs - Date.now()) });
    const afterFirst = sampleProc(c.pid);
    const firstCalls = diffCounts(startCalls, calls());
    const firstSecretsRead = proxy.secretsRead() - startSecretsRead;
    const firstWrites = controllerWrites(diffCounts(w0, await apiserverWrites(client)));
    firstWrites.set("POST externalsecrets", (firstWrites.get("POST externalsecrets") ?? 0) - N);
    const correct = await checkAll(client);
    log(`${kind}: settled after ${((settled.quietSince - t0) / 1000).toFixed(1)} s${settled.timedOut ? " (not quiet: bounded)" : ""}; Secrets correct ${correct}; AWS ${countsText(firstCalls)}`);
    if ((tAll - t0) > refreshMs) log(`${kind}: the first sync took longer than refreshInterval ${REFRESH}: refreshes overlap it (raise BENCH_REFRESH)`);

    // (b) The refresh window: CYCLES refresh intervals.
    const w1 = await apiserverWrites(client);
    const calls1 = calls();
    const read1 = proxy.secretsRead();
    const cpu1 = sampleProc(c.pid).cpuS;
    const windowStart = Date.now();
    log(`${kind}: refresh window of ${CYCLES} × ${REFRESH}`);
    let rssMaxWindow = 0;
    while (Date.now() - windowStart < CYCLES * refreshMs) {
      rssMaxWindow = Math.max(rssMaxWindow, sampleProc(c.pid).rss);
      await sleep(Math.min(2000, Math.max(0, CYCLES * refreshMs - (Date.now() - windowStart))));
    }
    const end = sampleProc(c.pid);
    const windowS = (Date.now() - windowStart) / 1000;
    const windowCalls = diffCounts(calls1, calls());
    const windowSecretsRead = proxy.secretsRead() - read1;
    const windowWrites = controllerWrites(diffCounts(w1, await apiserverWrites(client)));
    // Every ExternalSecret should have refreshed within the last interval (plus sealbridge's ≤ 10% jitter and a wave's slack).
    const states = await esStates(client, Date.now() - 1.25 * refreshMs);
    await c.stop();
    controller = undefined;
    log(`${kind}: window done: ${statusWrites(windowWrites)} refreshes, AWS ${countsText(windowCalls)}; CPU ${(end.cpuS - cpu1).toFixed(1)} s; RSS ${mib(end.rss)} MiB, peak ${mib(end.hwm)} MiB`);
    return {
      kind,
      config: configOf(kind),
      loadStart,
      loadEnd: load(),
      readyS,
      idleEmptyRss,
      startCalls,
      applyS,
      allSecretsS: (tAll - t0) / 1000,
      settledS: (settled.quietSince - t0) / 1000,
      settleTimedOut: settled.timedOut,
      cpuAllS: cpuAll - cpu0,
      cpuSettledS: afterFirst.cpuS - cpu0,
      firstCalls,
      firstSecretsRead,
      firstWrites,
      firstHwm: afterFirst.hwm,
      correct,
      windowS,
      windowCpuS: end.cpuS - cpu1,
      windowCalls,
      windowSecretsRead,
      windowWrites,
      refreshes: statusWrites(windowWrites),
      stale: states.stale,
      notReady: states.notReady,
      rssEnd: end.rss,
      rssMaxWindow: Math.max(rssMaxWindow, end.rss),
      peakRss: end.hwm,
    };
  } catch (err) {
    if (controller) log(`${kind}: controller output:\n${controller.tail()}`);
    throw err;
  } finally {
    await controller?.stop();
    await counter?.close();
    await moto.stop();
    client.close();
    await cp.stop();
  }
}

const benchLoadStart = load();
const { results, failed } = await runEach(RUNS as RunKind[], runOne, log);
const benchLoadEnd = load();

// ---- the table -------------------------------------------------------------------------------
const sb = results.find((r) => r.kind === "sealbridge");
const eso = results.find((r) => r.kind === "eso");
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
/** AWS calls of the window scaled to one refresh of every ExternalSecret. */
const callsPerCycle = (r: RunResult) => (total(r.windowCalls) * N) / Math.max(1, r.refreshes);
const cpuPerRefreshMs = (r: RunResult) => (r.windowCpuS * 1000) / Math.max(1, r.refreshes);
const cpuPerFirstSyncMs = (r: RunResult) => (r.cpuSettledS * 1000) / N;

type Row = [label: string, value: (r: RunResult) => string, target: string, compare?: (r: RunResult) => number | undefined];
const rows: Row[] = [
  ["controller", (r) => r.config, ""],
  ["spawn → serving (s)", (r) => f1(r.readyS), ""],
  ["RSS idle, store only (MiB)", (r) => mib(r.idleEmptyRss), "", (r) => r.idleEmptyRss],
  ["AWS calls before any ExternalSecret", (r) => String(total(r.startCalls)), ""],
  ["(a) bulk apply of N ExternalSecrets (s, driver)", (r) => f1(r.applyS), ""],
  ["(a) wall time to all N Secrets (s)", (r) => f1(r.allSecretsS), "", (r) => r.allSecretsS],
  ["(a) wall time to settled: no writes, CPU flat (s)", (r) => `${f1(r.settledS)}${r.settleTimedOut ? " (bounded)" : ""}`, ""],
  ["(a) Secrets with the remote value", (r) => r.correct, "N/N"],
  ["(a) controller CPU-s to all Secrets / to settled", (r) => `${f2(r.cpuAllS)} / ${f2(r.cpuSettledS)}`, "", (r) => r.cpuSettledS],
  ["(a) CPU per ExternalSecret, first sync (ms)", (r) => f2(cpuPerFirstSyncMs(r)), "", cpuPerFirstSyncMs],
  ["(a) AWS calls, first sync / secrets they asked for", (r) => `${total(r.firstCalls)} / ${r.firstSecretsRead}`, "", (r) => total(r.firstCalls)],
  ["(a) controller API writes", (r) => String(total(r.firstWrites)), "", (r) => total(r.firstWrites)],
  ["(a) peak RSS after the first sync, VmHWM (MiB)", (r) => mib(r.firstHwm), "", (r) => r.firstHwm],
  ["(b) refresh window (s) / refreshes (status writes)", (r) => `${f1(r.windowS)} / ${r.refreshes} (${f2(r.refreshes / N)} per ExternalSecret)`, ""],
  ["(b) AWS calls in the window / secrets they asked for", (r) => `${total(r.windowCalls)} / ${r.windowSecretsRead} (${f2(r.windowSecretsRead / Math.max(1, r.refreshes))} per refresh)`, ""],
  ["(b) AWS calls per interval of the window (calls ÷ cycles)", (r) => f1(total(r.windowCalls) / (r.windowS / (refreshMs / 1000))), ""],
  ["(b) AWS calls per refresh cycle (normalised to N refreshes)", (r) => f1(callsPerCycle(r)), `≤ ⌈N/20⌉+5 = ${CALL_TARGET}`, callsPerCycle],
  ["(b) controller CPU-s in the window", (r) => f2(r.windowCpuS), "", (r) => r.windowCpuS],
  ["(b) CPU per refreshed secret (ms)", (r) => f2(cpuPerRefreshMs(r)), "< ESO", cpuPerRefreshMs],
  ["(b) controller API writes in the window", (r) => String(total(r.windowWrites)), "", (r) => total(r.windowWrites)],
  ["(b) not refreshed in the last 1.25 intervals / not Ready", (r) => `${r.stale} / ${r.notReady}`, "0 / 0"],
  ["(b) RSS at the end / max sampled in the window (MiB)", (r) => `${mib(r.rssEnd)} / ${mib(r.rssMaxWindow)}`, "", (r) => r.rssEnd],
  ["peak RSS of the whole run, VmHWM (MiB)", (r) => mib(r.peakRss), "≤ 150", (r) => r.peakRss],
  ["load average at run start → end (1, 5, 15 min)", (r) => `${r.loadStart} → ${r.loadEnd}`, ""],
];

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? "" : `${f2(a / b)}×`);
const headers = ["", ...results.map((r) => r.kind), "target (sealbridge)", ...(sb && eso ? ["sealbridge ÷ eso"] : [])];
const table = rows.map(([label, value, target, compare]) => [label, ...results.map(value), target, ...(sb && eso ? [compare ? ratio(compare(sb), compare(eso)) : ""] : [])]);
const widths = headers.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? "").length)));
const fmt = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" │ ").trimEnd();
const out: string[] = [];
out.push("");
out.push(`ExternalSecret controllers side by side: ${CORES} cores; N=${N} ExternalSecrets on one SecretStore (AWS Secrets Manager on moto, static credentials), one remote key each; refreshInterval ${REFRESH}, window ${CYCLES} intervals`);
out.push("each run: fresh sandbox and moto with the same data; AWS calls counted by a proxy in front of moto (both controllers' endpoint); CPU and RSS from /proc of the controller PID; writes from kube-apiserver's apiserver_request_total");
out.push(fmt(headers));
out.push(widths.map((w) => "─".repeat(w)).join("─┼─"));
for (const row of table) out.push(fmt(row));
out.push("");
out.push("AWS calls by operation (X-Amz-Target):");
for (const r of results) out.push(`  ${r.kind}: first sync ${countsText(r.firstCalls)}; window ${countsText(r.windowCalls)}`);
out.push("API writes by verb and resource (kube-apiserver's count, the driver's creates left out):");
for (const r of results) out.push(`  ${r.kind}: (a) ${countsText(r.firstWrites)}; (b) ${countsText(r.windowWrites)}`);
if (sb) {
  out.push("");
  out.push(`sealbridge targets: peak RSS ${mib(sb.peakRss)} MiB (≤ 150: ${sb.peakRss <= 150 * 2 ** 20 ? "met" : "not met"}); AWS calls per refresh cycle ${f1(callsPerCycle(sb))} (≤ ${CALL_TARGET}: ${callsPerCycle(sb) <= CALL_TARGET ? "met" : "not met"})` +
    (eso ? `; CPU per refreshed secret ${f2(cpuPerRefreshMs(sb))} vs ESO ${f2(cpuPerRefreshMs(eso))} ms (${cpuPerRefreshMs(sb) < cpuPerRefreshMs(eso) ? "met" : "not met"})` : ""));
}
out.push(`load average bench start ${benchLoadStart} → end ${benchLoadEnd} (a shared machine: compare ratios, not absolute times)`);
for (const f of failed) out.push(`run failed, left out of the table: ${f}`);
process.stdout.write(out.join("\n") + "\n");
// Every controller, moto and sandbox is stopped by now; leave without waiting for idle keep-alive sockets.
process.exit(0);
