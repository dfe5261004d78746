// The CPU budget: cgroup v2 cpu.max and v1 CFS quota parsing, finding the process's cgroup through
// /proc/self/cgroup and mountinfo (container, host slice, hybrid hierarchy), and the cap on the
// affinity mask.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cgroupCpuLimit, cpuCgroup, cpusAllowed, cpusAvailable, parseCfsQuota, parseCpuMax } from "../../src/runtime/cpus.ts";

test("cpu.max: 'max' is no limit; quota/period otherwise", () => {
  assert.equal(parseCpuMax("max 100000\n"), undefined);
  assert.equal(parseCpuMax("200000 100000\n"), 2);
  assert.equal(parseCpuMax("150000 100000"), 1.5);
  assert.equal(parseCpuMax("50000 100000"), 0.5);
  assert.equal(parseCpuMax("max"), undefined);
  assert.equal(parseCpuMax("garbage 100000"), undefined);
  assert.equal(parseCpuMax(""), undefined);
});

test("cgroup v1 CFS quota: -1 is no limit", () => {
  assert.equal(parseCfsQuota("-1\n", "100000\n"), undefined);
  assert.equal(parseCfsQuota("300000\n", "100000\n"), 3);
  assert.equal(parseCfsQuota("25000", "50000"), 0.5);
  assert.equal(parseCfsQuota("100000", "0"), undefined);
});

test("whole CPUs: a fractional quota rounds up, never above the affinity mask, never below 1", () => {
  assert.equal(cpusAllowed(8, undefined), 8);
  assert.equal(cpusAllowed(8, 2), 2);
  assert.equal(cpusAllowed(8, 1.5), 2);
  assert.equal(cpusAllowed(8, 0.1), 1);
  assert.equal(cpusAllowed(2, 16), 2);
  assert.equal(cpusAllowed(0, undefined), 1);
});

const V2_CONTAINER_MOUNTINFO = [
  "1090 1080 0:26 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w",
  "1095 1090 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate",
].join("\n");

test("cgroup v2 in a container (cgroup namespace): the mount root's cpu.max", () => {
  const cgroup = cpuCgroup("0::/\n", V2_CONTAINER_MOUNTINFO);
  assert.deepEqual(cgroup, { version: 2, dirs: ["/sys/fs/cgroup"] });
  const files: Record<string, string> = { "/sys/fs/cgroup/cpu.max": "200000 100000\n" };
  assert.equal(cgroupCpuLimit(cgroup, (p) => files[p]), 2);
});

test("cgroup v2 on a host: the process's slice and every parent, lowest limit wins", () => {
  const mountinfo = "25 1 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw";
  const cgroup = cpuCgroup("0::/system.slice/app.service\n", mountinfo);
  assert.deepEqual(cgroup?.dirs, ["/sys/fs/cgroup/system.slice/app.service", "/sys/fs/cgroup/system.slice", "/sys/fs/cgroup"]);
  const files: Record<string, string> = {
    "/sys/fs/cgroup/system.slice/app.service/cpu.max": "max 100000\n",
    "/sys/fs/cgroup/system.slice/cpu.max": "300000 100000\n",
  };
  assert.ok(cgroup);
  assert.equal(cgroupCpuLimit(cgroup, (p) => files[p]), 3);
  assert.equal(cgroupCpuLimit(cgroup, () => undefined), undefined);
});

test("cgroup v1 (and a hybrid layout): the cpu hierarchy's CFS quota, not the unified mount", () => {
  const procSelfCgroup = ["12:memory:/kubepods/pod1/c1", "3:cpu,cpuacct:/kubepods/pod1/c1", "0::/kubepods/pod1/c1"].join("\n");
  const mountinfo = [
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
    // Without a cgroup namespace the container sees its own cgroup as the mount's root.
    "33 31 0:30 /kubepods/pod1/c1 /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
    "41 31 0:38 /kubepods/pod1/c1 /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
  ].join("\n");
  const cgroup = cpuCgroup(procSelfCgroup, mountinfo);
  assert.deepEqual(cgroup, { version: 1, dirs: ["/sys/fs/cgroup/cpu,cpuacct"] });
  const files: Record<string, string> = {
    "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "150000\n",
    "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
  };
  assert.equal(cgroupCpuLimit(cgroup, (p) => files[p]), 1.5);
});

test("mountinfo escapes (a space is \\040) are decoded", () => {
  const cgroup = cpuCgroup("0::/a\n", "25 1 0:23 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw");
  assert.deepEqual(cgroup?.dirs, ["/sys/fs/my cgroup/a", "/sys/fs/my cgroup"]);
});

test("no cgroup CPU controller: no limit", () => {
  assert.equal(cpuCgroup("", ""), undefined);
  assert.equal(cpuCgroup("0::/\n", "1 0 0:1 / / rw - ext4 /dev/sda rw"), undefined);
});

test("cpusAvailable reads /proc and the cgroup files through the reader it is given", () => {
  const files: Record<string, string> = {
    "/proc/self/cgroup": "0::/\n",
    "/proc/self/mountinfo": V2_CONTAINER_MOUNTINFO,
    "/sys/fs/cgroup/cpu.max": "100000 100000\n",
  };
  assert.equal(cpusAvailable((p) => files[p], 16), 1);
  assert.equal(cpusAvailable(() => undefined, 16), 16, "not Linux, or /proc unreadable: the affinity mask");
  // This machine, for real: at least one, at most what the affinity mask allows.
  const here = cpusAvailable();
  assert.ok(here >= 1);
});
