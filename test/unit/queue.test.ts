import assert from "node:assert/strict";
import { test } from "node:test";
import { computeBackoff } from "../../src/kube/backoff.ts";
import { WorkQueue } from "../../src/controller/queue.ts";

const policy = { baseMs: 10, maxMs: 1000, jitter: 0.5 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("backoff doubles per attempt, is capped, and jitter only shortens it", () => {
  assert.equal(computeBackoff(policy, 1, 0), 10);
  assert.equal(computeBackoff(policy, 2, 0), 20);
  assert.equal(computeBackoff(policy, 4, 0), 80);
  assert.equal(computeBackoff(policy, 40, 0), 1000);
  assert.equal(computeBackoff(policy, 4, 0.999), 40);
  for (let attempt = 1; attempt < 20; attempt++) {
    const d = computeBackoff(policy, attempt, Math.random());
    assert.ok(d >= Math.min(1000, 10 * 2 ** (attempt - 1)) / 2 - 1 && d <= 1000);
  }
});

test("a key added many times while queued is processed once", async () => {
  const seen: string[] = [];
  const q = new WorkQueue(async (key) => void seen.push(key), { workers: 1, backoff: policy });
  for (let i = 0; i < 5; i++) q.add("ns/a");
  q.add("ns/b");
  q.start();
  await sleep(20);
  await q.stop();
  assert.deepEqual(seen, ["ns/a", "ns/b"]);
});

test("a key is never processed by two workers at once; an add while in flight runs it once more", async () => {
  let concurrent = 0;
  let maxConcurrent = 0;
  let runs = 0;
  const q = new WorkQueue(
    async () => {
      concurrent++;
      runs++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await sleep(15);
      concurrent--;
    },
    { workers: 4, backoff: policy },
  );
  q.start();
  q.add("k");
  await sleep(2);
  q.add("k");
  q.add("k");
  await sleep(60);
  await q.stop();
  assert.equal(maxConcurrent, 1);
  assert.equal(runs, 2);
});

test("failures are retried with backoff; non-retryable errors are not", async () => {
  const attempts = new Map<string, number>();
  const errors: string[] = [];
  const q = new WorkQueue(
    async (key) => {
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (key === "flaky" && n < 3) throw new Error("temporary");
      if (key === "broken") throw Object.assign(new Error("bad input"), { retryable: false });
    },
    {
      workers: 2,
      backoff: { baseMs: 5, maxMs: 20, jitter: 0 },
      isRetryable: (err) => (err as { retryable?: boolean }).retryable !== false,
      onError: (key, _err, retryIn) => errors.push(`${key}:${retryIn ?? "none"}`),
    },
  );
  q.start();
  q.add("flaky");
  q.add("broken");
  await sleep(80);
  await q.stop();
  assert.equal(attempts.get("flaky"), 3);
  assert.equal(attempts.get("broken"), 1);
  assert.deepEqual(errors.sort(), ["broken:none", "flaky:10", "flaky:5"]);
});

test("urgent keys go ahead of periodic ones", async () => {
  const seen: string[] = [];
  const q = new WorkQueue(async (key) => void seen.push(key), { workers: 1, backoff: policy });
  q.add("p1", "periodic");
  q.add("p2", "periodic");
  q.add("u1", "urgent");
  q.add("p2", "urgent"); // promoted
  q.start();
  await sleep(20);
  await q.stop();
  assert.deepEqual(seen, ["u1", "p2", "p1"]);
});

test("requeueAfterMs schedules the key again; the earlier of two delays wins", async () => {
  let runs = 0;
  const q = new WorkQueue(async () => (++runs < 3 ? { requeueAfterMs: 5 } : undefined), { workers: 1, backoff: policy });
  q.start();
  q.add("k");
  await sleep(60);
  assert.equal(runs, 3);
  q.addAfter("x", 10_000);
  q.addAfter("x", 5);
  await sleep(30);
  assert.equal(runs, 4);
  await q.stop();
});
