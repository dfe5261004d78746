// sealbridge_objects reads counts kept up to date as cached objects change (ConditionTally in the
// shared informer) instead of walking every object per scrape: over random sequences of adds,
// condition changes and deletions the kept counts equal a full recount, and the gauge shows them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Registry } from "prom-client";
import { ConditionTally, countConditions, type ConditionCount } from "../../src/kube/condition-tally.ts";
import { Manager } from "../../src/kube/manager.ts";
import type { KubeObject, KubePort, ListPage, Resource, WatchEvent, WatchOptions } from "../../src/kube/port.ts";
import { processMetrics } from "../../src/server/metrics.ts";

const TYPES = ["Ready", "Synced", "Other"];
const RESOURCE: Resource = { group: "example.io", version: "v1", kind: "Widget", plural: "widgets", namespaced: true };

const condition = fc.record({
  type: fc.constantFrom(...TYPES, 7),
  status: fc.oneof(fc.constantFrom("True", "False", "Unknown"), fc.constant(undefined), fc.constant(3)),
  reason: fc.oneof(fc.constantFrom("", "Synced", "Failed", "a/b", "Unknown"), fc.constant(undefined)),
});
const status = fc.oneof(
  fc.constant(undefined),
  fc.constant({ conditions: "not a list" }),
  fc.record({ conditions: fc.array(fc.oneof(condition, fc.constant(null)), { maxLength: 4 }) }),
);
const op = fc.oneof(
  fc.record({ kind: fc.constant("put" as const), name: fc.integer({ min: 0, max: 7 }), namespace: fc.constantFrom("a", "b"), status }),
  fc.record({ kind: fc.constant("delete" as const), name: fc.integer({ min: 0, max: 7 }), namespace: fc.constantFrom("a", "b") }),
);

function widget(namespace: string, name: number, rv: number, st: unknown): KubeObject {
  return { apiVersion: "example.io/v1", kind: "Widget", metadata: { namespace, name: `w${name}`, resourceVersion: String(rv) }, ...(st === undefined ? {} : { status: st }) };
}

function sorted(counts: readonly ConditionCount[] | undefined): ConditionCount[] {
  return [...(counts ?? [])].filter((c) => c.n > 0).sort((x, y) => (x.status === y.status ? (x.reason < y.reason ? -1 : x.reason > y.reason ? 1 : 0) : x.status < y.status ? -1 : 1));
}

describe("condition counts kept as objects change", () => {
  it("ConditionTally equals a full recount after every transition", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const tally = new ConditionTally();
        const store = new Map<string, KubeObject>();
        let rv = 0;
        for (const o of ops) {
          const key = `${o.namespace}/${o.name}`;
          const old = store.get(key);
          if (o.kind === "put") {
            const obj = widget(o.namespace, o.name, ++rv, o.status);
            if (old) tally.remove(old);
            tally.add(obj);
            store.set(key, obj);
          } else if (old) {
            tally.remove(old);
            store.delete(key);
          }
          for (const type of TYPES) assert.deepEqual(sorted(tally.counts(type)), sorted(countConditions(store.values(), type)), `type ${type}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("through the shared informer (list, then watch events) and the sealbridge_objects gauge", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.array(fc.tuple(fc.constantFrom("a", "b"), fc.integer({ min: 0, max: 7 }), status), { maxLength: 5 }), async (ops, initial) => {
        const port = new ScriptedPort(initial.map(([ns, name, st], i) => widget(ns, name, i + 1, st)));
        const manager = new Manager(port);
        const informer = manager.informer(RESOURCE, {}, {}, { countConditions: true });
        await informer.start();
        try {
          await port.watching;
          let rv = 100;
          const registry = processMetrics({ kinds: [{ kind: "Widget", condition: "Ready", objects: () => informer.list() }], cache: () => [], conditions: (kind, type) => manager.conditionCounts(kind, type) }, new Registry());
          for (const o of ops) {
            const name = { namespace: o.namespace, name: `w${o.name}` };
            if (o.kind === "put") port.emit({ type: informer.get(name.name, name.namespace) ? "MODIFIED" : "ADDED", object: widget(o.namespace, o.name, ++rv, o.status) });
            else if (informer.get(name.name, name.namespace)) port.emit({ type: "DELETED", object: widget(o.namespace, o.name, ++rv, undefined) });
            for (const type of TYPES) assert.deepEqual(sorted(manager.conditionCounts("Widget", type)), sorted(countConditions(informer.list(), type)), `type ${type}`);
          }
          const gauge = (await registry.getSingleMetric("sealbridge_objects")?.get())?.values ?? [];
          const shown = gauge.map((v) => ({ status: String(v.labels["status"]), reason: String(v.labels["reason"]), n: v.value }));
          assert.deepEqual(sorted(shown), sorted(countConditions(informer.list(), "Ready")));
        } finally {
          await informer.stop();
        }
      }),
      { numRuns: 60 },
    );
  });

  it("a kind nobody counts falls back to walking its objects; an informer counts objects it held before it was asked", async () => {
    const port = new ScriptedPort([widget("a", 1, 1, { conditions: [{ type: "Ready", status: "True", reason: "Synced" }] }), widget("a", 2, 2, undefined)]);
    const manager = new Manager(port);
    const plain = manager.informer(RESOURCE, {}, {});
    await plain.start();
    assert.equal(manager.conditionCounts("Widget", "Ready"), undefined);
    const counted = manager.informer(RESOURCE, {}, {}, { countConditions: true });
    await counted.start();
    assert.deepEqual(sorted(manager.conditionCounts("Widget", "Ready")), [
      { status: "True", reason: "Synced", n: 1 },
      { status: "Unknown", reason: "", n: 1 },
    ]);
    const registry = processMetrics({ kinds: [{ kind: "Gadget", condition: "Ready", objects: () => [{ status: { conditions: [{ type: "Ready", status: "False", reason: "Broken" }] } }] }], cache: () => [], conditions: (kind, type) => manager.conditionCounts(kind, type) }, new Registry());
    const values = (await registry.getSingleMetric("sealbridge_objects")?.get())?.values ?? [];
    assert.deepEqual(values.map((v) => [v.labels["kind"], v.labels["status"], v.labels["reason"], v.value]), [["Gadget", "False", "Broken", 1]]);
    await plain.stop();
    await counted.stop();
  });
});

/** A port that lists `initial` once and then delivers the events a test emits on one open watch. */
class ScriptedPort implements KubePort {
  private onEvent: ((event: WatchEvent) => void) | undefined;
  private ready!: () => void;
  readonly watching = new Promise<void>((resolve) => (this.ready = resolve));
  private readonly initial: KubeObject[];

  constructor(initial: KubeObject[]) {
    // Later entries for the same name replace earlier ones, as a list would show them.
    const byName = new Map(initial.map((o) => [`${o.metadata?.namespace}/${o.metadata?.name}`, o]));
    this.initial = [...byName.values()];
  }

  emit(event: WatchEvent): void {
    assert.ok(this.onEvent, "no watch open");
    this.onEvent(event);
  }

  listPage(): Promise<ListPage> {
    return Promise.resolve({ items: this.initial.map((o) => structuredClone(o)), resourceVersion: "1" });
  }

  watch(_resource: Resource, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    this.onEvent = onEvent;
    this.ready();
    return new Promise((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
  }

  get(): Promise<KubeObject | undefined> {
    return Promise.reject(new Error("not scripted"));
  }
  list(): Promise<KubeObject[]> {
    return Promise.reject(new Error("not scripted"));
  }
  create(): Promise<KubeObject> {
    return Promise.reject(new Error("not scripted"));
  }
  replace(): Promise<KubeObject> {
    return Promise.reject(new Error("not scripted"));
  }
  replaceStatus(): Promise<KubeObject> {
    return Promise.reject(new Error("not scripted"));
  }
  patch(): Promise<KubeObject> {
    return Promise.reject(new Error("not scripted"));
  }
  delete(): Promise<void> {
    return Promise.reject(new Error("not scripted"));
  }
  createSubresource(): Promise<KubeObject> {
    return Promise.reject(new Error("not scripted"));
  }
}
