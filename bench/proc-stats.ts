// CPU time and memory of one process, read from /proc (Linux): what the kernel charged to the
// controller's PID alone (all its threads), never the benchmark driver's.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export interface ProcSample {
  /** utime + stime, seconds. */
  cpuS: number;
  /** VmRSS, bytes. */
  rss: number;
  /** VmHWM (peak resident set since the process started), bytes. */
  hwm: number;
}

/** The program the process runs (/proc/<pid>/exe), e.g. to check a wrapper has exec'd through. */
export function procExe(pid: number): string {
  return readlinkSync(`/proc/${pid}/exe`);
}

export function sampleProc(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "pid (comm)".
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? "0") * 1024;
  return { cpuS: ticks / CLK_TCK, rss: kib("VmRSS"), hwm: kib("VmHWM") };
}

/**
 * Waits until the process has been quiet for `quietMs`: CPU below `maxCpuShare` of one core and no
 * new API writes (`writes()` unchanged). Resolves with the time the quiet window began.
 */
export async function untilQuiet(opts: { pid: number; writes: () => Promise<number>; quietMs?: number; maxCpuShare?: number; stepMs?: number; timeoutMs?: number }): Promise<{ quietSince: number; timedOut: boolean }> {
  const quietMs = opts.quietMs ?? 3000;
  const step = opts.stepMs ?? 500;
  const maxShare = opts.maxCpuShare ?? 0.05;
  const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
  let last = { at: Date.now(), cpu: sampleProc(opts.pid).cpuS, writes: await opts.writes() };
  let quietSince = last.at;
  for (;;) {
    await new Promise((r) => setTimeout(r, step));
    const now = { at: Date.now(), cpu: sampleProc(opts.pid).cpuS, writes: await opts.writes() };
    const busy = now.writes !== last.writes || (now.cpu - last.cpu) / ((now.at - last.at) / 1000) > maxShare;
    if (busy) quietSince = now.at;
    else if (now.at - quietSince >= quietMs) return { quietSince, timedOut: false };
    if (now.at > deadline) return { quietSince, timedOut: true };
    last = now;
  }
}

/**
 * CPU seconds by thread name (/proc/<pid>/task/<tid>/stat), the process's own thread as "main":
 * where a process's CPU goes between two samples (V8's GC helpers, worker threads, libuv's pool).
 * A thread that exits between the samples is missing from the second; `threadCpuSplit` counts it
 * as "exited".
 */
export function sampleThreads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    } catch {
      continue; // exited while listed
    }
    const name = Number(tid) === pid ? "main" : stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLK_TCK);
  }
  return out;
}

/** CPU seconds by thread name between two samples; what the process used beyond them is "exited". */
export function threadCpuSplit(before: Map<string, number>, after: Map<string, number>, processCpuS: number): [string, number][] {
  const split: [string, number][] = [...after].map(([name, s]) => [name, s - (before.get(name) ?? 0)]);
  const accounted = split.reduce((sum, [, s]) => sum + s, 0);
  if (processCpuS - accounted > 0.005) split.push(["exited", processCpuS - accounted]);
  return split.filter(([, s]) => s > 0.005).sort((a, b) => b[1] - a[1]);
}
