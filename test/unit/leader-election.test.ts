import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { resources } from "../../src/api/resources.ts";
import { LeaderElector, decide, microTime, type LeaseSpec, type Observation } from "../../src/controller/leader-election.ts";
import { createLogger } from "../../src/log.ts";
import { FakeKubePort } from "../support/fake-kube-port.ts";

const obs = (holder: string, rv: string, at: number, seconds = 15): Observation => ({
  spec: { holderIdentity: holder, leaseDurationSeconds: seconds },
  resourceVersion: rv,
  observedAt: at,
});

test("no lease: create; our lease: renew; released lease: take", () => {
  assert.equal(decide(undefined, undefined, "me", 0, 15_000), "create");
  assert.equal(decide(obs("me", "1", 0), undefined, "me", 0, 15_000), "renew");
  assert.equal(decide(obs("", "1", 0), undefined, "me", 0, 15_000), "take");
});

test("another holder's lease expires only after it stays unchanged for a lease duration by our clock", () => {
  const first = obs("other", "7", 1_000);
  assert.equal(decide(first, undefined, "me", 1_000, 15_000), "wait");
  // Same version seen again later: measured from when we first saw it.
  assert.equal(decide(obs("other", "7", 10_000), first, "me", 10_000, 15_000), "wait");
  assert.equal(decide(obs("other", "7", 16_000), first, "me", 16_000, 15_000), "take");
  // A renewal (new version) restarts the clock.
  assert.equal(decide(obs("other", "8", 16_000), first, "me", 16_000, 15_000), "wait");
});

test("the holder's own duration wins over ours; timestamps are MicroTime", () => {
  const first = obs("other", "1", 0, 2);
  assert.equal(decide(obs("other", "1", 2_500, 2), first, "me", 2_500, 15_000), "take");
  assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), "2026-01-02T03:04:05.678000Z");
});

// The elector over a fake port, on mocked timers and Date (the elector's clock is Date.now here).
const timings = { leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500 };
const config = (identity: string) => ({ namespace: "ns", name: "leader", identity, ...timings });
const quiet = createLogger({ level: "silent" });

/** Moves mocked time forward in small steps, letting promise chains run between steps. */
async function advance(ms: number, step = 10): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    mock.timers.tick(Math.min(step, ms - done));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }
}

function leaseWrites(port: FakeKubePort, upTo = port.calls.length) {
  return port.calls.slice(0, upTo).filter((c) => c.plural === "leases" && (c.method === "create" || c.method === "replace"));
}

function withClock(fn: () => Promise<void>) {
  return async () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
    try {
      await fn();
    } finally {
      mock.timers.reset();
    }
  };
}

test("timings: the renew deadline must be shorter than the lease duration", () => {
  const port = new FakeKubePort();
  assert.throws(() => new LeaderElector(port, { ...config("a"), renewDeadlineMs: 4_000 }, quiet), RangeError);
  assert.throws(() => new LeaderElector(port, { ...config("a"), retryPeriodMs: 3_000 }, quiet), RangeError);
});

test("the renew loop does not wait for onStartedLeading", withClock(async () => {
  const port = new FakeKubePort();
  const elector = new LeaderElector(port, config("a"), quiet, () => Date.now());
  let started = 0;
  const run = elector.run({ onStartedLeading: () => { started++; return new Promise<void>(() => {}); }, onStoppedLeading: () => {} });
  await advance(5_000);
  assert.equal(started, 1);
  assert.ok(elector.isLeader);
  // One acquisition, then a renewal every retry period while the start never finishes.
  assert.ok(leaseWrites(port).length >= 9, `${leaseWrites(port).length} lease writes`);
  const stopping = elector.stop();
  await advance(100);
  await stopping;
  await run;
  assert.equal((port.stored(resources.lease, "ns", "leader")?.["spec"] as LeaseSpec).holderIdentity, "", "released");
}));

test("a hung API server: writes stop exactly at the last renewal's request start + renew deadline", withClock(async () => {
  const port = new FakeKubePort();
  // Answers take 400 ms: belief must count from when the renewal was sent, not from its answer.
  port.latencyMs = 400;
  const elector = new LeaderElector(port, config("a"), quiet, () => Date.now());
  let stoppedAt: number | undefined;
  const run = elector.run({ onStartedLeading: () => {}, onStoppedLeading: () => { stoppedAt = Date.now(); } });
  await advance(3_000);
  assert.ok(elector.mayWrite());
  port.hang = true;
  const sentBeforeHang = port.calls.length;
  const lastRenewal = leaseWrites(port, sentBeforeHang).at(-1);
  assert.ok(lastRenewal?.at !== undefined);
  const deadline = lastRenewal.at + timings.renewDeadlineMs;
  await advance(deadline - 1 - Date.now(), 1);
  assert.ok(elector.isLeader && elector.mayWrite(), "still leading 1 ms before the deadline");
  await advance(1, 1);
  assert.equal(elector.isLeader, false);
  assert.equal(elector.mayWrite(), false, "no write at the deadline");
  await advance(20, 1);
  assert.ok(stoppedAt !== undefined && stoppedAt - deadline <= 5, `onStoppedLeading at the deadline (+${(stoppedAt ?? NaN) - deadline} ms)`);
  // The others cannot see the lease before that renewal was answered (sent + 400 ms), and wait a
  // lease duration from then: we stopped a full second and more earlier.
  assert.ok(deadline < lastRenewal.at + 400 + timings.leaseDurationMs);
  // Every lease request during the hang was given up after a retry period, and tried again.
  const triedDuringHang = port.calls.slice(sentBeforeHang).filter((c) => c.method === "get");
  assert.ok(triedDuringHang.length >= 2, `${triedDuringHang.length} lease reads during the hang`);
  await run;
}));

test("a start that fails gives the lease up and reports the loss", withClock(async () => {
  const port = new FakeKubePort();
  const elector = new LeaderElector(port, config("a"), quiet, () => Date.now());
  let stopped = 0;
  const run = elector.run({ onStartedLeading: () => Promise.reject(new Error("informers did not sync")), onStoppedLeading: () => { stopped++; } });
  await advance(1_000);
  await run;
  assert.equal(stopped, 1);
  assert.equal(elector.isLeader, false);
  assert.equal((port.stored(resources.lease, "ns", "leader")?.["spec"] as LeaseSpec).holderIdentity, "");
}));

test("stop closes the gate at once, and a hung release gives up within the renew deadline", withClock(async () => {
  const port = new FakeKubePort();
  const elector = new LeaderElector(port, config("a"), quiet, () => Date.now());
  const run = elector.run({ onStartedLeading: () => {}, onStoppedLeading: () => {} });
  await advance(1_000);
  assert.ok(elector.mayWrite());
  port.hang = true;
  let done = false;
  const stopping = elector.stop().then(() => { done = true; });
  assert.equal(elector.mayWrite(), false, "closed before any release request");
  await advance(timings.renewDeadlineMs + timings.retryPeriodMs);
  assert.ok(done);
  await stopping;
  await run;
}));

test("a follower that could not read the lease restarts its expiry clock", withClock(async () => {
  const port = new FakeKubePort();
  await port.create(resources.lease, { metadata: { name: "leader", namespace: "ns" }, spec: { holderIdentity: "dead", leaseDurationSeconds: 4, leaseTransitions: 0 } });
  const t0 = Date.now();
  const follower = new LeaderElector(port, config("b"), quiet, () => Date.now());
  const run = follower.run({ onStartedLeading: () => {}, onStoppedLeading: () => {} });
  await advance(2_000);
  port.hang = true;
  await advance(1_000);
  port.hang = false;
  // Without the restart it would take over at t0 + 4 s; it waits a lease duration after reading again.
  await advance(t0 + 6_900 - Date.now());
  assert.equal(follower.isLeader, false);
  assert.equal((port.stored(resources.lease, "ns", "leader")?.["spec"] as LeaseSpec).holderIdentity, "dead");
  await advance(1_200);
  assert.ok(follower.isLeader);
  assert.equal((port.stored(resources.lease, "ns", "leader")?.["spec"] as LeaseSpec).leaseTransitions, 1);
  const stopping = follower.stop();
  await advance(100);
  await stopping;
  await run;
}));
