import assert from "node:assert/strict";
import { test } from "node:test";
import { decide, microTime, type Observation } from "../../src/controller/leader-election.ts";

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
