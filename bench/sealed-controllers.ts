// The controllers under test, each started as its own process on a sandbox: sealbridge
// (`node src/main.ts`, or dist/main.js) and the real Sealed Secrets controller (Go, in-cluster config
// only); bench/eso-controller.ts starts the real ESO controller with the helpers exported here. The
// PID handed back is the controller itself: wrappers (setpriv, unshare, sh) exec through.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, existsSync, realpathSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { freePort } from "../src/sandbox/ports.ts";
import { shippedNodeFlags } from "../test/support/shipped-launch.ts";
import { procExe } from "./proc-stats.ts";
import type { SandboxClient } from "./sandbox-client.ts";

const root = new URL("../", import.meta.url).pathname;
// With setpriv the kernel kills the controller if the driver dies, so none is left behind.
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));
export const deathSig = (argv: string[]) => (SETPRIV ? [SETPRIV, "--pdeathsig", "SIGKILL", "--", ...argv] : argv);

export interface ControllerUnderTest {
  pid: number;
  /** Prometheus text from the controller's own /metrics ("" when it cannot be read). */
  metrics(): Promise<string>;
  /** Resolves once the controller answers its health probe. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s; resolves when the process is gone. */
  stop(): Promise<void>;
  /** The last lines of its output, for error messages. */
  tail: () => string;
}

export interface SandboxTarget {
  client: SandboxClient;
  kubeconfigPath: string;
  /** A private folder of the sandbox (mode 0700), removed with it. */
  dir: string;
  keyNamespace: string;
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", () => resolve({ status: 0, body: "" }));
    });
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

export function wrap(child: ChildProcess, probe: { port: number; paths: string[] }, metricsPorts: number[]): ControllerUnderTest {
  const out: string[] = [];
  // BENCH_CONTROLLER_LOG=PATH: every controller's whole output is appended there (for debugging a run).
  const logPath = process.env["BENCH_CONTROLLER_LOG"];
  const keep = (c: Buffer) => {
    if (logPath) appendFileSync(logPath, c);
    out.push(c.toString("utf8"));
    if (out.length > 200) out.splice(0, out.length - 200);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error("controller did not start");
  const tail = () => out.join("").split("\n").slice(-20).join("\n");
  return {
    pid,
    tail,
    metrics: async () => {
      for (const port of metricsPorts) {
        const res = await httpGet(port, "/metrics");
        if (res.status === 200 && res.body.includes("# TYPE")) return res.body;
      }
      return "";
    },
    ready: async (timeoutMs = 300_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`controller exited (${child.exitCode ?? child.signalCode}):\n${tail()}`);
        for (const path of probe.paths) if ((await httpGet(probe.port, path)).status === 200) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`controller not ready after ${timeoutMs} ms:\n${tail()}`);
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `pid` runs the program `file` (the wrappers before it have exec'd through). */
export async function execdInto(pid: number, file: string, tail: () => string): Promise<void> {
  const want = realpathSync(file);
  const deadline = Date.now() + 10_000;
  for (;;) {
    let exe = "";
    try {
      exe = procExe(pid);
    } catch {
      throw new Error(`process ${pid} is gone before it ran ${want}:\n${tail()}`);
    }
    if (exe === want) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs ${exe}, expected ${want}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SealbridgeOptions {
  /** Run dist/main.js (after `npm run build`) instead of src/main.ts. */
  dist: boolean;
  workers?: number;
  /** Extra flags, e.g. --disable-sealed-secrets. */
  flags?: readonly string[];
  /** Extra environment, e.g. AWS_SECRETSMANAGER_ENDPOINT. */
  env?: Readonly<Record<string, string>>;
}

export async function startSealbridge(target: SandboxTarget, opts: SealbridgeOptions): Promise<ControllerUnderTest> {
  const [api, metrics] = [await freePort(), await freePort()];
  const main = join(root, opts.dist ? "dist/main.js" : "src/main.ts");
  // BENCH_NODE_ARGS: extra node flags for the controller, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  // (a profile per controller process, written when it stops).
  const nodeArgs = (process.env["BENCH_NODE_ARGS"] ?? "").split(" ").filter((a) => a !== "");
  const args = [
    // The image's own node flags (Dockerfile ENTRYPOINT), for the source run too.
    ...shippedNodeFlags(),
    ...nodeArgs,
    main,
    "--kubeconfig", target.kubeconfigPath,
    "--key-namespace", target.keyNamespace,
    "--listen-addr", `127.0.0.1:${api}`,
    "--metrics-addr", `127.0.0.1:${metrics}`,
    "--key-renew-period", "0",
    ...(opts.workers ? ["--workers", String(opts.workers)] : []),
    ...(opts.flags ?? []),
  ];
  const [command, ...argv] = deathSig([process.execPath, ...args]);
  const child = spawn(command ?? process.execPath, argv, { cwd: root, env: { ...process.env, ...opts.env, NODE_ENV: "production" }, stdio: ["ignore", "pipe", "pipe"] });
  const c = wrap(child, { port: api, paths: ["/readyz", "/healthz"] }, [metrics, api]);
  await execdInto(c.pid, process.execPath, c.tail);
  return c;
}

export interface GoControllerOptions {
  binary: string;
  /** Extra flags, e.g. --kubeclient-qps=-1. */
  flags: readonly string[];
}

/**
 * The Go controller reads only in-cluster config: a service-account token, CA and namespace under
 * /var/run/secrets/kubernetes.io/serviceaccount (here /var/run is /run), plus KUBERNETES_SERVICE_HOST
 * and _PORT. They are given in a private mount namespace (a tmpfs over /run), so nothing on the host
 * changes; the token is the sandbox's admin token.
 */
export async function startGoController(target: SandboxTarget, opts: GoControllerOptions): Promise<ControllerUnderTest> {
  const [api, metrics] = [await freePort(), await freePort()];
  const sa = join(target.dir, "go-serviceaccount");
  await mkdir(sa, { recursive: true, mode: 0o700 });
  await writeFile(join(sa, "token"), target.client.token, { mode: 0o600 });
  await writeFile(join(sa, "ca.crt"), target.client.caPem);
  await writeFile(join(sa, "namespace"), target.keyNamespace);
  const script = [
    "set -e",
    "mount -t tmpfs -o mode=0755 tmpfs /run",
    "d=/var/run/secrets/kubernetes.io/serviceaccount",
    'mkdir -p "$d"',
    'cp "$SA_SOURCE/token" "$SA_SOURCE/ca.crt" "$SA_SOURCE/namespace" "$d/"',
    'unset SA_SOURCE',
    'exec "$@"',
  ].join("\n");
  const goArgs = [opts.binary, `--listen-addr=127.0.0.1:${api}`, `--listen-metrics-addr=127.0.0.1:${metrics}`, "--key-renew-period=0", ...opts.flags];
  const [command, ...argv] = deathSig(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", ...goArgs]);
  const child = spawn(command ?? "unshare", argv, {
    env: { ...process.env, SA_SOURCE: sa, KUBERNETES_SERVICE_HOST: target.client.host, KUBERNETES_SERVICE_PORT: String(target.client.port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const c = wrap(child, { port: api, paths: ["/healthz"] }, [metrics]);
  await execdInto(c.pid, opts.binary, c.tail);
  // Inside its namespace the controller has its own copy; the driver's copy is not needed any more.
  await rm(sa, { recursive: true, force: true });
  return c;
}
