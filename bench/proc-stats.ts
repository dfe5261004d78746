// CPU time and memory of one process, read from /proc (Linux): what the kernel charged to the
// controller's PID alone (all its threads), never the benchmark driver's.
import { execFileSync } from "node:child_process";
import { readFileSync, readlinkSync } from "node:fs";

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
