// How many CPUs this process may use: os.availableParallelism() (the affinity mask) capped by the
// cgroup CPU quota, which a container's `resources.limits.cpu` sets but the affinity mask does not
// show. A pool sized by core count alone on a 64-core node with a 1-CPU limit runs 64 threads that
// the kernel throttles. Found the way Go's runtime finds it for GOMAXPROCS: the process's cgroup
// from /proc/self/cgroup, its mount from /proc/self/mountinfo, the lowest limit from the cgroup up
// to the mount's root. Parsing is pure; cpusAvailable() does the reading.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** cgroup v2 `cpu.max`: "max 100000" (no limit) or "<quota> <period>" → CPUs (may be fractional). */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === "max") return undefined;
  return quotaOver(quota, period ?? "100000");
}

/** cgroup v1 `cpu.cfs_quota_us` ("-1" = no limit) and `cpu.cfs_period_us` → CPUs. */
export function parseCfsQuota(quotaText: string, periodText: string): number | undefined {
  const quota = quotaText.trim();
  if (quota === "-1") return undefined;
  return quotaOver(quota, periodText.trim());
}

function quotaOver(quotaText: string, periodText: string): number | undefined {
  const quota = Number(quotaText);
  const period = Number(periodText);
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined;
  return quota / period;
}

export interface CpuCgroup {
  version: 1 | 2;
  /** The process's cgroup directory, then each parent up to the mount's root. */
  dirs: string[];
}

/** Decodes mountinfo's octal escapes (a space is `\040`). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The cgroup directories that can limit this process's CPU, from the contents of /proc/self/cgroup
 * and /proc/self/mountinfo; undefined when no CPU controller is mounted. A v1 `cpu` hierarchy wins
 * over v2, as in the kernel: a controller bound to v1 is absent from the unified hierarchy.
 */
export function cpuCgroup(procSelfCgroup: string, mountinfo: string): CpuCgroup | undefined {
  let v1Path: string | undefined;
  let v2Path: string | undefined;
  for (const line of procSelfCgroup.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers = "", path = ""] = m;
    if (id === "0" && controllers === "") v2Path = path;
    else if (controllers.split(",").includes("cpu")) v1Path = path;
  }
  for (const line of mountinfo.split("\n")) {
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
    const [left = "", right = ""] = line.split(" - ");
    const fields = left.split(" ");
    const [fstype = "", , superOptions = ""] = right.split(" ");
    const root = unescapeMountField(fields[3] ?? "");
    const mountpoint = unescapeMountField(fields[4] ?? "");
    if (mountpoint === "") continue;
    if (v1Path !== undefined && fstype === "cgroup" && superOptions.split(",").includes("cpu")) {
      return { version: 1, dirs: dirsUp(mountpoint, root, v1Path) };
    }
    if (v1Path === undefined && v2Path !== undefined && fstype === "cgroup2") {
      return { version: 2, dirs: dirsUp(mountpoint, root, v2Path) };
    }
  }
  return undefined;
}

/** The cgroup's directory under the mount, then its parents up to the mount point itself. */
function dirsUp(mountpoint: string, root: string, cgroupPath: string): string[] {
  const normalRoot = root === "/" ? "" : root.replace(/\/+$/, "");
  // Outside the mount's root (e.g. a cgroup namespace shows "/"): only the mount itself is visible.
  const relative = cgroupPath === normalRoot || cgroupPath.startsWith(`${normalRoot}/`) ? cgroupPath.slice(normalRoot.length) : "";
  const parts = relative.split("/").filter((p) => p !== "" && p !== "." && p !== "..");
  const base = mountpoint.replace(/\/+$/, "");
  const dirs: string[] = [];
  for (let n = parts.length; n >= 0; n--) dirs.push([base, ...parts.slice(0, n)].join("/") || "/");
  return dirs;
}

/** The lowest CPU limit along the cgroup's directories; `read` returns a file's text or undefined. */
export function cgroupCpuLimit(cgroup: CpuCgroup, read: (path: string) => string | undefined): number | undefined {
  let lowest: number | undefined;
  for (const dir of cgroup.dirs) {
    let limit: number | undefined;
    if (cgroup.version === 2) {
      const text = read(`${dir}/cpu.max`);
      limit = text === undefined ? undefined : parseCpuMax(text);
    } else {
      const quota = read(`${dir}/cpu.cfs_quota_us`);
      const period = read(`${dir}/cpu.cfs_period_us`);
      limit = quota === undefined || period === undefined ? undefined : parseCfsQuota(quota, period);
    }
    if (limit !== undefined && (lowest === undefined || limit < lowest)) lowest = limit;
  }
  return lowest;
}

/** Whole CPUs to use: the parallelism, capped by a quota rounded up (1.5 CPUs → 2), at least 1. */
export function cpusAllowed(parallelism: number, quotaCpus: number | undefined): number {
  const cap = quotaCpus === undefined ? parallelism : Math.min(parallelism, Math.ceil(quotaCpus));
  return Math.max(1, cap);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The CPUs this process may use (Linux cgroups v1 and v2; elsewhere the affinity mask alone). */
export function cpusAvailable(read: (path: string) => string | undefined = readText, parallelism: number = availableParallelism()): number {
  const procSelfCgroup = read("/proc/self/cgroup");
  const mountinfo = read("/proc/self/mountinfo");
  const cgroup = procSelfCgroup === undefined || mountinfo === undefined ? undefined : cpuCgroup(procSelfCgroup, mountinfo);
  return cpusAllowed(parallelism, cgroup === undefined ? undefined : cgroupCpuLimit(cgroup, read));
}
