// Runs the controller as its own process (`node src/main.ts ...`, or another entry such as a compiled
// dist/main.js), the way it runs when deployed: reads its JSON log lines, finds the ports it listened
// on, and stops or kills it.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const root = new URL("../../", import.meta.url).pathname;

export interface ControllerProcess {
  child: ChildProcess;
  /** Every stdout line so far (pino JSON). */
  lines: string[];
  /** Resolves with the first line matching `pattern` (already seen or still to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The HTTP API and metrics ports, once the process-level server listens. */
  ports(): Promise<{ api: number; metrics: number }>;
  exited: Promise<number | null>;
  /** SIGTERM and wait (SIGKILL after 10 s). */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface ProcessOptions {
  /** The script node runs (default: the repository's src/main.ts). */
  entry?: string;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Node flags before the entry (e.g. the image ENTRYPOINT's). */
  nodeFlags?: readonly string[];
}

export function startControllerProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}, options: ProcessOptions = {}): ControllerProcess {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), options.entry ?? join(root, "src/main.ts"), ...args], {
    cwd: options.cwd ?? root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  child.stderr?.on("data", (c: Buffer) => stderr.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiters = new Set<(line: string) => void>();
  reader.on("line", (line) => {
    lines.push(line);
    for (const w of waiters) w(line);
  });
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const hit = lines.find((l) => pattern.test(l));
      if (hit !== undefined) return resolve(hit);
      const done = () => {
        waiters.delete(onLine);
        clearTimeout(timer);
      };
      const onLine = (line: string) => {
        if (!pattern.test(line)) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern}; last lines:\n${lines.slice(-15).join("\n")}\n${stderr.join("").slice(-2000)}`));
      }, timeoutMs);
      waiters.add(onLine);
      void exited.then((code) => {
        if (!waiters.has(onLine)) return;
        done();
        reject(new Error(`controller exited (${code}) before ${pattern}:\n${lines.slice(-15).join("\n")}\n${stderr.join("").slice(-2000)}`));
      });
    });
  const ports = async () => {
    const line = await waitFor(/"msg":"HTTP API and metrics listening"/, 60_000);
    const parsed = JSON.parse(line) as { api: number; metrics: number };
    return { api: parsed.api, metrics: parsed.metrics };
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await exited;
  };
  return { child, lines, waitFor, ports, exited, stop, kill };
}

/** One metric sample's value from a Prometheus text exposition (0 when absent). */
export function metricValue(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[3] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1] ?? "", x[2] ?? ""]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) total += Number(m[4]);
  }
  return total;
}

/** Whether a process is still running (signal 0 checks without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The flags of a leader-elected replica with short, test-sized Lease timings (ms). */
export function leaderElectedArgs(opts: { kubeconfig: string; keyNamespace: string; lease: { duration: number; renew: number; retry: number } }): string[] {
  return [
    "--kubeconfig", opts.kubeconfig,
    "--key-namespace", opts.keyNamespace,
    "--listen-addr", "127.0.0.1:0",
    "--metrics-addr", "127.0.0.1:0",
    "--key-bits", "2048",
    "--leader-elect",
    "--leader-elect-lease-duration", `${opts.lease.duration}ms`,
    "--leader-elect-renew-deadline", `${opts.lease.renew}ms`,
    "--leader-elect-retry-period", `${opts.lease.retry}ms`,
    "--disable-external-secrets",
  ];
}
