import assert from "node:assert/strict";
import { test } from "node:test";
import { Writable } from "node:stream";
import { resources } from "../../src/api/resources.ts";
import { LeaderElector } from "../../src/controller/leader-election.ts";
import { createLogger } from "../../src/log.ts";
import { freshNamespace, testCluster } from "../support/control-plane.ts";

const quiet = createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }) });
const timings = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("one leader at a time; a dead leader is replaced within the lease duration; release hands over at once", { timeout: 30_000 }, async () => {
  const cluster = await testCluster();
  const namespace = await freshNamespace(cluster, "lease");
  const config = (identity: string) => ({ namespace, name: "sealbridge-leader", identity, ...timings });
  const leading = new Set<string>();
  const history: string[] = [];
  const track = (id: string) => ({
    onStartedLeading: () => {
      leading.add(id);
      history.push(`+${id}`);
      assert.ok(leading.size <= 1, `two leaders at once: ${[...leading].join(",")}`);
    },
    onStoppedLeading: () => {
      leading.delete(id);
      history.push(`-${id}`);
    },
  });

  const a = new LeaderElector(cluster.kube, config("a"), quiet);
  const runA = a.run(track("a"));
  await sleep(600);
  const b = new LeaderElector(cluster.kube, config("b"), quiet);
  const runB = b.run(track("b"));
  await sleep(1_000);
  assert.deepEqual(history, ["+a"]);
  assert.equal(b.isLeader, false);

  // "Kill" a: it stops renewing without releasing the lease (as SIGKILL would).
  const killedAt = Date.now();
  (a as unknown as { stopped: boolean }).stopped = true;
  leading.delete("a");
  await runA;
  while (!b.isLeader && Date.now() - killedAt < 10_000) await sleep(50);
  const takeover = Date.now() - killedAt;
  assert.ok(b.isLeader, "b took over");
  assert.ok(takeover <= timings.leaseDurationMs + 2 * timings.retryPeriodMs + 500, `takeover took ${takeover} ms`);
  const lease = await cluster.kube.get(resources.lease, namespace, "sealbridge-leader");
  assert.equal((lease?.["spec"] as { holderIdentity: string }).holderIdentity, "b");
  assert.equal((lease?.["spec"] as { leaseTransitions: number }).leaseTransitions, 1);

  // A graceful stop releases the lease: a third candidate gets it at its next try.
  const c = new LeaderElector(cluster.kube, config("c"), quiet);
  const runC = c.run(track("c"));
  await sleep(500);
  assert.equal(c.isLeader, false);
  leading.delete("b");
  const releasedAt = Date.now();
  await b.stop();
  await runB;
  while (!c.isLeader && Date.now() - releasedAt < 5_000) await sleep(20);
  assert.ok(c.isLeader);
  assert.ok(Date.now() - releasedAt < 1_500, "handover after release is quick");
  await c.stop();
  await runC;
});
