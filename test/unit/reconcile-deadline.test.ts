// A per-object reconcile deadline: a reconcile that hangs frees its worker for other objects after
// the deadline, its key is retried with backoff, and the same object never reconciles twice at once.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { resources } from "../../src/api/resources.ts";
import { Controller, type Reconciler } from "../../src/controller/controller.ts";
import type { ObjectKey } from "../../src/controller/object-key.ts";
import { Manager } from "../../src/kube/manager.ts";
import { createLogger } from "../../src/log.ts";
import { FakeKubePort } from "../support/fake-kube-port.ts";

describe("reconcile deadline", () => {
  it("frees the worker, retries the key after the run settles, never two at once", async () => {
    const lines: string[] = [];
    const log = createLogger({ level: "warn", destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }) });
    let release: () => void = () => undefined;
    const hung = new Promise<void>((r) => (release = r));
    const runs: string[] = [];
    let concurrent = 0;
    let worst = 0;
    const reconciler: Reconciler = {
      name: "test",
      resource: resources.sealedSecret,
      secondary: [],
      async reconcile(key: ObjectKey) {
        runs.push(key.name);
        concurrent++;
        worst = Math.max(worst, concurrent);
        try {
          if (key.name === "slow" && runs.filter((n) => n === "slow").length === 1) await hung;
        } finally {
          concurrent--;
        }
      },
    };
    const controller = new Controller({
      cache: new Manager(new FakeKubePort()),
      log,
      reconciler,
      workers: 1,
      reconcileDeadlineMs: 100,
      backoff: { baseMs: 50, maxMs: 200, jitter: 0 },
    });
    controller.queue.start();
    controller.queue.add("ns/slow");
    controller.queue.add("ns/fast");
    const deadline = Date.now() + 5000;
    while (!runs.includes("fast") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(runs.includes("fast"), "one worker, yet the other object reconciled while the first hung");
    assert.equal(controller.reconcilesOverdue, 1);
    assert.ok(lines.some((l) => l.includes("exceeded its deadline")));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(runs.filter((n) => n === "slow").length, 1, "not run again while the first run is still going");
    release();
    while (runs.filter((n) => n === "slow").length < 2 && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(runs.filter((n) => n === "slow").length, 2, "retried once the hung run settled");
    assert.equal(worst, 2, "the hung run and the other object overlapped, never the same object twice");
    await controller.queue.stop();
  });
});
