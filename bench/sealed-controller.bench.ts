// Side by side: sealbridge and the real Sealed Secrets controller (Go, v0.36.6, built from its module
// by scripts/build-tools.sh), one after the other, each as its own process alone on a fresh sandbox
// control plane, with the same imported RSA-4096 key and the same pre-sealed SealedSecrets.
// Per run: start on an empty cluster (idle RSS), U unrelated 4 KiB Secrets created alongside, then
// (a) N SealedSecrets applied in bulk → wall time until all N Secrets exist, controller CPU-seconds
// and CPU per object, peak RSS (VmHWM of the controller's PID); (b) a restart with everything synced
// → time to idle, RSA decrypts, API writes; (c) an idle window → API writes, RSS. Writes are counted
// on the API server's side (apiserver_request_total), the same way for both controllers.
// Prints one table with the targets of issue 11 and the ratios; asserts nothing.
// Run: npm run bench:sealed
//   BENCH_N (10000) BENCH_UNRELATED (= N) BENCH_IDLE_S (600) BENCH_RUNS (sealbridge,go-noqps,go-default;
//   also sealbridge-http1: sealbridge with --disable-kube-api-http2)
//   BENCH_GO_DEFAULT_N (min(N, 500): at its default 5 QPS the Go controller needs ~0.6 s per object)
//   BENCH_DIST=1 (run dist/main.js, built first with `npm run build`) BENCH_WORKERS (sealbridge --workers)
import { execFileSync } from "node:child_process";
import { RSA_PKCS1_OAEP_PADDING } from "node:constants";
import { createPrivateKey, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { generateSealingKeyPair, parseSealingCertificate, type SealingKeyPair } from "../src/crypto/certificate.ts";
import { scopeLabel } from "../src/crypto/scope.ts";
import { sealValue } from "../src/crypto/sealed.ts";
import { ClientNodeKube } from "../src/kube/client-node-adapter.ts";
import { installCrds } from "../src/kube/install-crds.ts";
import { startControlPlane } from "../src/sandbox/control-plane.ts";
import { sampleProc, sampleThreads, threadCpuSplit, untilQuiet } from "./proc-stats.ts";
import { apiserverRequests, apiserverWrites, createAll, diffCounts, readsOf, sandboxClient, watchSecretCount, writesOf, type SandboxClient } from "./sandbox-client.ts";
import { startGoController, startSealbridge, type ControllerUnderTest, type SandboxTarget } from "./sealed-controllers.ts";
import { runEach } from "./run-each.ts";

const root = new URL("../", import.meta.url).pathname;
const N = Number(process.env["BENCH_N"] ?? "10000");
const U = Number(process.env["BENCH_UNRELATED"] ?? String(N));
const IDLE_S = Number(process.env["BENCH_IDLE_S"] ?? "600");
const RUNS = (process.env["BENCH_RUNS"] ?? "sealbridge,go-noqps,go-default").split(",").map((s) => s.trim()).filter(Boolean);
const GO_DEFAULT_N = Number(process.env["BENCH_GO_DEFAULT_N"] ?? String(Math.min(N, 500)));
const DIST = process.env["BENCH_DIST"] === "1";
const WORKERS = process.env["BENCH_WORKERS"] ? Number(process.env["BENCH_WORKERS"]) : undefined;
const CORES = availableParallelism();
const PHASE_TIMEOUT_S = Number(process.env["BENCH_PHASE_TIMEOUT_S"] ?? "3600");
const KEY_NAMESPACE = "kube-system";
const NS = "bench";
const UNRELATED_NS = "bench-unrelated";

// sealbridge-http1: sealbridge with --disable-kube-api-http2 (its API requests over HTTP/1.1).
type RunKind = "sealbridge" | "sealbridge-http1" | "go-noqps" | "go-default";
const KNOWN: readonly RunKind[] = ["sealbridge", "sealbridge-http1", "go-noqps", "go-default"];
const isSealbridge = (kind: RunKind) => kind === "sealbridge" || kind === "sealbridge-http1";
for (const r of RUNS) if (!KNOWN.includes(r as RunKind)) throw new Error(`BENCH_RUNS: unknown run "${r}" (known: ${KNOWN.join(", ")})`);

const log = (line: string) => process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

/**
 * RSA-4096 OAEP-SHA256 private decrypt with node:crypto on this one thread, ms per operation: CPU
 * time of the thread (what a core spends; the figure the targets use) and wall time (which, on a
 * shared machine, also holds the time spent waiting for a core).
 */
function rsaDecryptCost(privateKey: KeyObject, publicKey: KeyObject, ops = 200): { cpuMs: number; wallMs: number } {
  const cts = Array.from({ length: 8 }, () => publicEncrypt({ key: publicKey, padding: RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, randomBytes(32)));
  const decrypt = (i: number) => privateDecrypt({ key: privateKey, padding: RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, cts[i % cts.length] ?? Buffer.alloc(0));
  for (let i = 0; i < 10; i++) decrypt(i);
  const cpu0 = process.threadCpuUsage();
  const t = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) decrypt(i);
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6 / ops;
  const cpu = process.threadCpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / ops, wallMs };
}

/** Sum of every sample of the first metric name (of `names`) the exposition has; undefined when none. */
function metricSum(exposition: string, names: readonly (string | RegExp)[]): number | undefined {
  for (const want of names) {
    let total: number | undefined;
    for (const line of exposition.split("\n")) {
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!m?.[1]) continue;
      if (typeof want === "string" ? m[1] !== want : !want.test(m[1])) continue;
      total = (total ?? 0) + Number(m[3]);
    }
    if (total !== undefined) return total;
  }
  return undefined;
}

// The sealbridge counter is read by name first, then by shape (the lead is reworking metrics).
const RSA_METRICS: Record<"sealbridge" | "go", readonly (string | RegExp)[]> = {
  sealbridge: ["sealbridge_rsa_decrypt_operations_total", /^sealbridge_.*rsa.*decrypt.*_total$/],
  // The Go controller has no RSA counter; each unseal request decrypts every value once (one value
  // per SealedSecret here), so its unseal counter stands for the decrypts.
  go: ["sealed_secrets_controller_unseal_requests_total"],
};

/** Writes the API server makes for itself (identity Leases, the kubernetes Service's endpoints), not a controller's. */
const isApiserverOwn = (key: string) => / (leases|endpoints|endpointslices)(\/|$)/.test(key);
const controllerWriteTotal = (writes: ReadonlyMap<string, number>) => [...writes].filter(([k]) => !isApiserverOwn(k)).reduce((s, [, v]) => s + v, 0);
const countsText = (writes: ReadonlyMap<string, number>) => {
  const parts = [...writes].filter(([k, v]) => !isApiserverOwn(k) && v !== 0).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(", ") : "none";
};

interface RunResult {
  kind: RunKind;
  n: number;
  u: number;
  rsaMs: number;
  rsaWallMs: number;
  loadStart: string;
  loadEnd: string;
  readyS: number;
  startupS: number;
  startWrites: Map<string, number>;
  idleEmptyRss: number;
  applyS: number;
  allSecretsS: number;
  settledS: number;
  cpuAllS: number;
  cpuSettledS: number;
  /** (a): CPU seconds by thread name (main, V8 GC helpers, workers), largest first. */
  threadSplit: [string, number][];
  /** (a): CPU seconds of the sandbox's kube-apiserver and etcd (they share the cores). */
  serverCpu: { apiserverS: number; etcdS: number };
  applyWrites: Map<string, number>;
  peakRss: number;
  correct: string;
  restartReadyS: number;
  restartIdleS: number;
  restartTimedOut: boolean;
  restartRsa: number | undefined;
  restartWrites: Map<string, number>;
  restartReads: Map<string, number>;
  restartCpuS: number;
  restartPeakRss: number;
  idleS: number;
  idleWrites: Map<string, number>;
  idleCpuS: number;
  idleRssEnd: number;
  idleRssMax: number;
  idlePeakRss: number;
}

const pair: SealingKeyPair = await generateSealingKeyPair({ now: new Date(), bits: 4096 });
const privateKey = createPrivateKey(pair.privateKeyPem);
const cert = parseSealingCertificate(pair.certificatePem, new Date());
const maxN = Math.max(...RUNS.map((r) => (r === "go-default" ? GO_DEFAULT_N : N)));

// Sealed once, up front, for every run: the same objects for both controllers (strict scope), shaped
// as kubeseal writes them (template.type set: without it the Go controller rewrites every Secret, as
// the API server defaults the type to Opaque and it sees a difference).
log(`sealing ${maxN} values to one RSA-4096 key`);
const plaintexts = Array.from({ length: maxN }, (_, i) => Buffer.from(`bench-value-${i}-${randomBytes(8).toString("hex")}`));
const sealedSecrets = plaintexts.map((plaintext, i) => {
  const name = `s-${i}`;
  return {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { name, namespace: NS },
    spec: { encryptedData: { password: sealValue({ publicKey: cert.publicKey, plaintext, label: scopeLabel("strict", NS, name) }) }, template: { metadata: { name, namespace: NS }, type: "Opaque" } },
  };
});
const unrelated = (i: number) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: `unrelated-${i}`, namespace: UNRELATED_NS },
  type: "Opaque",
  data: { blob: randomBytes(4096).toString("base64") },
});

const binaries: { sealbridge?: string; go?: string } = {};
if (RUNS.some((r) => isSealbridge(r as RunKind)) && DIST) {
  log("npm run build (BENCH_DIST=1)");
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
  if (!existsSync(join(root, "dist/main.js"))) throw new Error("dist/main.js missing after the build");
}
if (RUNS.some((r) => r.startsWith("go-"))) {
  log("locating the Sealed Secrets controller (scripts/build-tools.sh sealed-secrets-controller; builds on first use)");
  const out = execFileSync("bash", [join(root, "scripts/build-tools.sh"), "sealed-secrets-controller"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const path = out.trim().split("\n").pop();
  if (path) binaries.go = path;
}

async function keySecret(client: SandboxClient): Promise<void> {
  const res = await client.call("POST", `/api/v1/namespaces/${KEY_NAMESPACE}/secrets`, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "sealed-secrets-keybench", namespace: KEY_NAMESPACE, labels: { "sealedsecrets.bitnami.com/sealed-secrets-key": "active" } },
    type: "kubernetes.io/tls",
    data: { "tls.crt": Buffer.from(pair.certificatePem).toString("base64"), "tls.key": Buffer.from(pair.privateKeyPem).toString("base64") },
  });
  if (res.status >= 300) throw new Error(`creating the key Secret: HTTP ${res.status}`);
}

/** CPU seconds so far of the sandbox's kube-apiserver and etcd (0 for one that has exited). */
function serverCpuS(cp: { pids(): { etcd: number | undefined; kubeApiserver: number | undefined } }): { apiserverS: number; etcdS: number } {
  const { etcd, kubeApiserver } = cp.pids();
  const cpu = (pid: number | undefined) => (pid === undefined ? 0 : sampleProc(pid).cpuS);
  return { apiserverS: cpu(kubeApiserver), etcdS: cpu(etcd) };
}

function launch(kind: RunKind, target: SandboxTarget): Promise<ControllerUnderTest> {
  if (isSealbridge(kind)) return startSealbridge(target, { dist: DIST, ...(WORKERS ? { workers: WORKERS } : {}), ...(kind === "sealbridge-http1" ? { flags: ["--disable-kube-api-http2"] } : {}) });
  const binary = binaries.go;
  if (!binary) throw new Error("the Sealed Secrets controller was not built");
  return startGoController(target, { binary, flags: kind === "go-noqps" ? ["--kubeclient-qps=-1"] : [] });
}

async function runOne(kind: RunKind): Promise<RunResult> {
  const n = kind === "go-default" ? GO_DEFAULT_N : N;
  const rsa = rsaDecryptCost(privateKey, cert.publicKey);
  const rsaMs = rsa.cpuMs;
  const loadStart = load();
  log(`${kind}: fresh sandbox (N=${n}, U=${U}; RSA-4096 decrypt ${rsaMs.toFixed(2)} ms CPU, ${rsa.wallMs.toFixed(2)} ms wall; load ${loadStart})`);
  const cp = await startControlPlane({ onProgress: () => undefined });
  const client = await sandboxClient(cp.kubeconfigPath);
  let controller: ControllerUnderTest | undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    await installCrds(new ClientNodeKube(kc));
    for (const name of [NS, UNRELATED_NS]) {
      const res = await client.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
      if (res.status >= 300) throw new Error(`namespace ${name}: HTTP ${res.status}`);
    }
    await keySecret(client);
    const target: SandboxTarget = { client, kubeconfigPath: cp.kubeconfigPath, dir: cp.dir, keyNamespace: KEY_NAMESPACE };
    const writesNow = async () => controllerWriteTotal(await apiserverWrites(client));

    // Start on an empty cluster: the idle footprint with nothing to do.
    const wStart = await apiserverWrites(client);
    const spawnAt = Date.now();
    let c = await launch(kind, target);
    await c.ready();
    const readyS = (Date.now() - spawnAt) / 1000;
    const startup = await untilQuiet({ pid: c.pid, writes: writesNow, stepMs: 1000 });
    const startupS = (startup.quietSince - spawnAt) / 1000;
    const idleEmptyRss = sampleProc(c.pid).rss;
    const startWrites = diffCounts(wStart, await apiserverWrites(client));
    log(`${kind}: controller pid ${c.pid} idle after ${startupS.toFixed(1)} s, RSS ${mib(idleEmptyRss)} MiB`);

    // Unrelated Secrets alongside (the controller is running and sees them).
    log(`${kind}: creating ${U} unrelated 4 KiB Secrets`);
    await createAll(client, `/api/v1/namespaces/${UNRELATED_NS}/secrets`, U, unrelated);
    await untilQuiet({ pid: c.pid, writes: writesNow, stepMs: 1000 });

    // (a) N SealedSecrets, bulk.
    const watch = await watchSecretCount(client, NS);
    const w0 = await apiserverWrites(client);
    const cpu0 = sampleProc(c.pid).cpuS;
    const threads0 = sampleThreads(c.pid);
    const servers0 = serverCpuS(cp);
    log(`${kind}: applying ${n} SealedSecrets`);
    const t0 = Date.now();
    await createAll(client, `/apis/bitnami.com/v1alpha1/namespaces/${NS}/sealedsecrets`, n, (i) => sealedSecrets[i]);
    const applyS = (Date.now() - t0) / 1000;
    // A controller that never gets there fails this run, not the others.
    let timer: NodeJS.Timeout | undefined;
    const tAll = await Promise.race([watch.reached(n), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PHASE_TIMEOUT_S * 1000)))]);
    clearTimeout(timer);
    if (tAll === undefined) throw new Error(`only ${watch.seen()} of ${n} Secrets after ${PHASE_TIMEOUT_S} s`);
    const cpuAll = sampleProc(c.pid).cpuS;
    watch.close();
    log(`${kind}: all ${n} Secrets after ${((tAll - t0) / 1000).toFixed(1)} s; waiting until settled`);
    const settled = await untilQuiet({ pid: c.pid, writes: writesNow, stepMs: 1000 });
    const cpuSettled = sampleProc(c.pid).cpuS;
    const threadSplit = threadCpuSplit(threads0, sampleThreads(c.pid), cpuSettled - cpu0);
    const servers1 = serverCpuS(cp);
    const serverCpu = { apiserverS: servers1.apiserverS - servers0.apiserverS, etcdS: servers1.etcdS - servers0.etcdS };
    const peakRss = sampleProc(c.pid).hwm;
    const applyWrites = diffCounts(w0, await apiserverWrites(client));
    // The driver's own creates are not the controller's writes.
    applyWrites.set("POST sealedsecrets", (applyWrites.get("POST sealedsecrets") ?? 0) - n);
    const correct = await spotCheck(client, n);

    // (b) Restart with everything synced: same sandbox, a new process.
    await c.stop();
    const q1 = await apiserverRequests(client);
    const restartAt = Date.now();
    c = await launch(kind, target);
    controller = c;
    await c.ready();
    const restartReadyS = (Date.now() - restartAt) / 1000;
    const restart = await untilQuiet({ pid: c.pid, writes: writesNow, stepMs: 1000, timeoutMs: 20 * 60_000 });
    const restartIdleS = (restart.quietSince - restartAt) / 1000;
    const restartSample = sampleProc(c.pid);
    const restartRsa = metricSum(await c.metrics(), RSA_METRICS[isSealbridge(kind) ? "sealbridge" : "go"]);
    const restartRequests = diffCounts(q1, await apiserverRequests(client));
    const restartWrites = writesOf(restartRequests);
    const restartReads = readsOf(restartRequests);
    log(`${kind}: restart idle after ${restartIdleS.toFixed(1)} s; RSA decrypts ${restartRsa ?? "n/a"}; writes ${countsText(restartWrites)}`);

    // (c) Idle window.
    log(`${kind}: idle for ${IDLE_S} s`);
    const w2 = await apiserverWrites(client);
    const idleCpu0 = sampleProc(c.pid).cpuS;
    const idleStart = Date.now();
    let idleRssMax = 0;
    while (Date.now() - idleStart < IDLE_S * 1000) {
      idleRssMax = Math.max(idleRssMax, sampleProc(c.pid).rss);
      await sleep(Math.min(5000, Math.max(0, IDLE_S * 1000 - (Date.now() - idleStart))));
    }
    const idleEnd = sampleProc(c.pid);
    const idleWrites = diffCounts(w2, await apiserverWrites(client));
    await c.stop();
    controller = undefined;
    return {
      kind,
      n,
      u: U,
      rsaMs,
      rsaWallMs: rsa.wallMs,
      loadStart,
      loadEnd: load(),
      readyS,
      startupS,
      startWrites,
      idleEmptyRss,
      applyS,
      allSecretsS: (tAll - t0) / 1000,
      settledS: (settled.quietSince - t0) / 1000,
      cpuAllS: cpuAll - cpu0,
      cpuSettledS: cpuSettled - cpu0,
      threadSplit,
      serverCpu,
      applyWrites,
      peakRss,
      correct,
      restartReadyS,
      restartIdleS,
      restartTimedOut: restart.timedOut,
      restartRsa,
      restartWrites,
      restartReads,
      restartCpuS: restartSample.cpuS,
      restartPeakRss: restartSample.hwm,
      idleS: (Date.now() - idleStart) / 1000,
      idleWrites,
      idleCpuS: idleEnd.cpuS - idleCpu0,
      idleRssEnd: idleEnd.rss,
      idleRssMax: Math.max(idleRssMax, idleEnd.rss),
      idlePeakRss: idleEnd.hwm,
    };
  } catch (err) {
    if (controller) log(`${kind}: controller output:\n${controller.tail()}`);
    throw err;
  } finally {
    await controller?.stop();
    client.close();
    await cp.stop();
  }
}

/** Compares a few Secrets with what was sealed (never printing a value). */
async function spotCheck(client: SandboxClient, n: number): Promise<string> {
  const picks = [...new Set([0, Math.floor(n / 2), n - 1])];
  let ok = 0;
  for (const i of picks) {
    const res = await client.call("GET", `/api/v1/namespaces/${NS}/secrets/s-${i}`);
    const data = (JSON.parse(res.body) as { data?: Record<string, string> }).data ?? {};
    if (data["password"] === plaintexts[i]?.toString("base64")) ok++;
  }
  return `${ok}/${picks.length}`;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

const benchLoadStart = load();
const { results, failed } = await runEach(RUNS as RunKind[], runOne, log);
const rsaEnd = rsaDecryptCost(privateKey, cert.publicKey);
const benchLoadEnd = load();

// ---- the table -------------------------------------------------------------------------------
const sb = results.find((r) => r.kind === "sealbridge");
const gos = results.filter((r) => !isSealbridge(r.kind));
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const cpuPerObjMs = (r: RunResult) => (r.cpuSettledS * 1000) / r.n;
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? "" : `${f2(a / b)}×`);

type Row = [label: string, value: (r: RunResult) => string, target: string, compare?: (r: RunResult) => number | undefined];
const rows: Row[] = [
  ["SealedSecrets N / unrelated 4 KiB Secrets U", (r) => `${r.n} / ${r.u}`, ""],
  ["RSA-4096 OAEP decrypt, node:crypto, 1 thread: CPU / wall ms per op", (r) => `${f2(r.rsaMs)} / ${f2(r.rsaWallMs)}`, ""],
  ["start on the empty cluster → ready / → idle (s)", (r) => `${f1(r.readyS)} / ${f1(r.startupS)}`, ""],
  ["start: API writes", (r) => String(controllerWriteTotal(r.startWrites)), ""],
  ["RSS idle, nothing to do (MiB)", (r) => mib(r.idleEmptyRss), "≤ 90", (r) => r.idleEmptyRss],
  ["(a) bulk apply of N SealedSecrets (s, driver)", (r) => f1(r.applyS), ""],
  ["(a) wall time to all N Secrets (s)", (r) => f1(r.allSecretsS), "≤ 1.5×N×RSA÷cores, < Go", (r) => r.allSecretsS / r.n],
  ["(a) wall time to settled: no writes, CPU flat (s)", (r) => f1(r.settledS), ""],
  ["(a) controller CPU-s to all Secrets", (r) => f1(r.cpuAllS), ""],
  ["(a) controller CPU-s to settled", (r) => f1(r.cpuSettledS), ""],
  ["(a) kube-apiserver / etcd CPU-s meanwhile (same cores)", (r) => `${f1(r.serverCpu.apiserverS)} / ${f1(r.serverCpu.etcdS)}`, ""],
  ["(a) wall floor: (controller + apiserver + etcd CPU) ÷ cores (s)", (r) => f1((r.cpuSettledS + r.serverCpu.apiserverS + r.serverCpu.etcdS) / CORES), ""],
  ["(a) CPU per object (ms)", (r) => f2(cpuPerObjMs(r)), "≤ 2×RSA, < Go", cpuPerObjMs],
  ["(a) CPU per object ÷ RSA decrypt cost", (r) => f2(cpuPerObjMs(r) / r.rsaMs), "≤ 2"],
  ["(a) wall ÷ (N×RSA÷cores)", (r) => f2(r.allSecretsS / ((r.n * r.rsaMs) / 1000 / CORES)), "≤ 1.5"],
  ["(a) controller API writes (by kind below)", (r) => String(controllerWriteTotal(r.applyWrites)), ""],
  ["(a) peak RSS, VmHWM (MiB)", (r) => mib(r.peakRss), "≤ 150 at 10k+10k; ≤ 2× Go", (r) => r.peakRss],
  ["(a) Secrets checked against the plaintext", (r) => r.correct, ""],
  ["(b) restart, synced: spawn → ready (s)", (r) => f1(r.restartReadyS), ""],
  ["(b) restart, synced: spawn → idle (s)", (r) => `${f1(r.restartIdleS)}${r.restartTimedOut ? " (timed out)" : ""}`, "≤ 10", (r) => r.restartIdleS],
  ["(b) restart: RSA decrypts", (r) => (r.restartRsa === undefined ? "n/a" : String(r.restartRsa)), "0"],
  ["(b) restart: API writes", (r) => String(controllerWriteTotal(r.restartWrites)), "0"],
  ["(b) restart: controller CPU-s (whole process)", (r) => f1(r.restartCpuS), "", (r) => r.restartCpuS],
  ["(b) restart: peak RSS, VmHWM (MiB)", (r) => mib(r.restartPeakRss), "", (r) => r.restartPeakRss],
  ["(c) idle window (s)", (r) => f1(r.idleS), ""],
  ["(c) idle: API writes", (r) => String(controllerWriteTotal(r.idleWrites)), "0"],
  ["(c) idle: controller CPU-s", (r) => f2(r.idleCpuS), ""],
  ["(c) idle: RSS at end / max (MiB)", (r) => `${mib(r.idleRssEnd)} / ${mib(r.idleRssMax)}`, "", (r) => r.idleRssEnd],
  ["(c) peak RSS of the restarted process, VmHWM (MiB)", (r) => mib(r.idlePeakRss), ""],
  ["load average at run start → end (1, 5, 15 min)", (r) => `${r.loadStart} → ${r.loadEnd}`, ""],
];

const headers = ["", ...results.map((r) => r.kind), "target (sealbridge)", ...gos.map((g) => `sealbridge ÷ ${g.kind}`)];
const table = rows.map(([label, value, target, compare]) => [
  label,
  ...results.map(value),
  target,
  ...gos.map((g) => (sb && compare ? ratio(compare(sb), compare(g)) : "")),
]);
const widths = headers.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? "").length)));
const fmt = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" │ ").trimEnd();
const out: string[] = [];
out.push("");
out.push(`Sealed Secrets controllers side by side: ${CORES} cores; sealbridge ${DIST ? "dist/main.js" : "src/main.ts"} (all reconcilers on${WORKERS ? `, --workers ${WORKERS}` : ", default --workers"}); Go controller v0.36.6 (go-noqps: --kubeclient-qps=-1, go-default: 5 QPS / burst 10)`);
out.push(`each run: fresh sandbox, same RSA-4096 key imported in ${KEY_NAMESPACE}, same pre-sealed objects; unrelated Secrets created after the controller started, before (a); writes from kube-apiserver's apiserver_request_total (its own Lease and endpoints writes left out)`);
if (RUNS.includes("go-default") && GO_DEFAULT_N !== N) out.push(`go-default ran with N=${GO_DEFAULT_N} (BENCH_GO_DEFAULT_N), not ${N}: compare its per-object figures, not its totals`);
out.push(fmt(headers));
out.push(widths.map((w) => "─".repeat(w)).join("─┼─"));
for (const row of table) out.push(fmt(row));
out.push("");
out.push("API writes by verb and resource (kube-apiserver's count):");
for (const r of results) {
  out.push(`  ${r.kind}: start ${countsText(r.startWrites)}; (a) ${countsText(r.applyWrites)}; (b) ${countsText(r.restartWrites)}; (c) ${countsText(r.idleWrites)}`);
}
out.push("(a) CPU by thread (s; main = the event loop; V8 GC helpers, decrypt workers, libuv pool by their names):");
for (const r of results) out.push(`  ${r.kind}: ${r.threadSplit.map(([name, s]) => `${name} ${f2(s)}`).join(", ")}`);
out.push("API reads during the restart (b), by verb and resource (the driver reads only /metrics then):");
for (const r of results) out.push(`  ${r.kind}: ${countsText(r.restartReads)}`);
if (sb) {
  const bound = (1.5 * sb.n * sb.rsaMs) / 1000 / CORES;
  out.push("");
  out.push(`sealbridge targets, from this run: wall ≤ 1.5×N×RSA÷cores = ${f1(bound)} s (measured ${f1(sb.allSecretsS)} s); CPU/object ≤ 2×RSA = ${f2(2 * sb.rsaMs)} ms (measured ${f2(cpuPerObjMs(sb))} ms)`);
  for (const g of gos) {
    out.push(`  vs ${g.kind} (N=${g.n}): CPU/object ${f2(cpuPerObjMs(sb))} vs ${f2(cpuPerObjMs(g))} ms; wall to all Secrets ${f1(sb.allSecretsS)} vs ${f1(g.allSecretsS)} s; peak RSS ${mib(sb.peakRss)} vs ${mib(g.peakRss)} MiB (≤ 2× target: ${mib(2 * g.peakRss)})`);
  }
}
out.push(`RSA cost is the CPU time per decrypt measured before each run (the driver alone, nothing else of the bench running); at the end: ${f2(rsaEnd.cpuMs)} ms CPU, ${f2(rsaEnd.wallMs)} ms wall; load average bench start ${benchLoadStart} → end ${benchLoadEnd}`);
for (const f of failed) out.push(`run failed, left out of the table: ${f}`);
process.stdout.write(out.join("\n") + "\n");
// Every controller and sandbox is stopped by now; leave without waiting for idle keep-alive sockets.
process.exit(0);
