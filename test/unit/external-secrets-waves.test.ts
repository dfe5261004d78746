// Unit tests for refresh waves (refresh-wave.ts): the pure planner and refresh schedule, and the wave
// runner over the real AWS client (whose coalescer makes the batch calls) on a fake SecretsManagerPort
// that counts calls.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseExternalSecretSpec } from "../../src/api/external-secret.ts";
import { nextStatus, syncVersionOf } from "../../src/controller/external-secret/plan.ts";
import {
  planRefreshWave,
  refreshDueAt,
  waveCandidateOf,
  waveHorizonMs,
  RefreshWaves,
  type WaveCandidate,
} from "../../src/controller/external-secret/refresh-wave.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import type { BatchResult, SecretValue, SecretsManagerPort } from "../../src/providers/aws/port.ts";
import { AwsSecretsManagerClient } from "../../src/providers/aws/secrets-manager.ts";
import { SecretNotFound, type ReadBatching } from "../../src/providers/provider.ts";

const HOUR = 3_600_000;

function candidate(i: number, dueAt: number, ids: string[] = [`s${i}`]): WaveCandidate {
  return {
    key: `ns/es${String(i).padStart(4, "0")}`,
    uid: `uid-${i}`,
    syncVersion: "1-x",
    dueAt,
    reads: ids.map((id) => ({ read: { kind: "value" as const, ref: { key: id, metadataPolicy: "None" as const } }, batchKey: id })),
  };
}

describe("refresh schedule", () => {
  test("due after the interval, jittered per object, on the store's slot grid", () => {
    const refreshTime = Date.parse("2025-01-01T00:00:00Z");
    const slot = waveHorizonMs(HOUR) / 2;
    assert.equal(waveHorizonMs(HOUR), 60_000);
    assert.equal(waveHorizonMs(30_000), 750);
    const dues = Array.from({ length: 1000 }, (_, i) => refreshDueAt({ refreshTime, intervalMs: HOUR, uid: `uid-${i}`, storeKey: "SecretStore/ns/aws", jitter: 0.1 }));
    for (const d of dues) {
      assert.ok(d >= refreshTime + HOUR, "never before the interval");
      assert.ok(d < refreshTime + HOUR * 1.1 + slot, "within the jitter window (plus one slot)");
    }
    // All on one grid for this store...
    const phase = ((dues[0] ?? 0) % slot + slot) % slot;
    for (const d of dues) assert.equal(((d % slot) + slot) % slot, phase);
    // ...spread over the jitter window in groups that fill batches (1,000 over 6 min, 30 s slots).
    const slots = new Set(dues);
    assert.ok(slots.size >= 10 && slots.size <= 13, `slots used: ${slots.size}`);
    // Stable: the same object gets the same due time; another store has another phase.
    assert.equal(refreshDueAt({ refreshTime, intervalMs: HOUR, uid: "uid-1", storeKey: "SecretStore/ns/aws", jitter: 0.1 }), dues[1]);
    const other = Array.from({ length: 50 }, (_, i) => refreshDueAt({ refreshTime, intervalMs: HOUR, uid: `uid-${i}`, storeKey: "SecretStore/ns/other", jitter: 0.1 }));
    assert.ok(other.some((d) => ((d % slot) + slot) % slot !== phase));
    // No jitter: exactly the interval, rounded up to the grid.
    const plain = refreshDueAt({ refreshTime, intervalMs: HOUR, uid: "u", storeKey: "k", jitter: 0 });
    assert.ok(plain >= refreshTime + HOUR && plain < refreshTime + HOUR + slot);
  });
});

describe("refresh wave planner", () => {
  const now = 1_000_000;
  test("trigger first, every due candidate, then a top-up of the last batch from the horizon", () => {
    const due = Array.from({ length: 44 }, (_, i) => candidate(i + 1, now - 1000 + i));
    const soon = Array.from({ length: 30 }, (_, i) => candidate(100 + i, now + 10 + i));
    const late = [candidate(999, now + 10_000)];
    const plan = planRefreshWave({ trigger: candidate(0, now - 5), candidates: [...late, ...soon, ...due], now, horizonMs: 1000, maxBatch: 20, maxIds: 1000 });
    assert.equal(plan.members[0]?.uid, "uid-0");
    assert.equal(plan.ids, 60, "45 due + 15 nearly due fill three batches of 20");
    assert.equal(plan.batches, 3);
    assert.equal(plan.reads.length, 60);
    assert.ok(plan.members.every((m) => m.uid !== "uid-999"), "nothing beyond the horizon");
    // The soonest are taken first.
    assert.ok(plan.members.some((m) => m.uid === "uid-100") && !plan.members.some((m) => m.uid === "uid-115"));
  });

  test("shared ids are read once; multi-id candidates that do not fit are skipped; maxIds bounds a wave", () => {
    const shared = [candidate(1, now - 1, ["a", "b"]), candidate(2, now - 1, ["b", "c"])];
    const fill = [candidate(3, now + 1, Array.from({ length: 18 }, (_, i) => `x${i}`)), candidate(4, now + 2, Array.from({ length: 17 }, (_, i) => `y${i}`))];
    const plan = planRefreshWave({ trigger: candidate(0, -Infinity, ["a"]), candidates: [...shared, ...fill], now, horizonMs: 100, maxBatch: 20, maxIds: 1000 });
    assert.equal(plan.ids, 20, "a b c + 17 y; the 18 x do not fit");
    assert.deepEqual(plan.members.map((m) => m.uid), ["uid-0", "uid-1", "uid-2", "uid-4"]);
    assert.equal(plan.reads.filter((r) => r.ref.key === "b").length, 1);

    const many = Array.from({ length: 100 }, (_, i) => candidate(i + 1, -Infinity));
    const capped = planRefreshWave({ trigger: candidate(0, -Infinity), candidates: many, now, horizonMs: 0, maxBatch: 20, maxIds: 40 });
    assert.equal(capped.ids, 40);
    assert.equal(capped.batches, 2);
    assert.equal(capped.reads.length, 40);
  });

  test("reads of one batch id go together, in the order ids first appear", () => {
    const value = (key: string) => ({ read: { kind: "value" as const, ref: { key, metadataPolicy: "None" as const } }, batchKey: key });
    const map = (key: string) => ({ read: { kind: "map" as const, ref: { key, metadataPolicy: "None" as const } }, batchKey: key });
    const trigger: WaveCandidate = { ...candidate(0, -Infinity), reads: [value("a"), value("b")] };
    const later: WaveCandidate = { ...candidate(1, now - 1), reads: [value("c"), map("a")] };
    const plan = planRefreshWave({ trigger, candidates: [later], now, horizonMs: 0, maxBatch: 2, maxIds: 10 });
    assert.deepEqual(plan.reads.map((r) => `${r.kind}:${r.ref.key}`), ["value:a", "map:a", "value:b", "value:c"]);
    assert.equal(plan.ids, 3);
    assert.equal(plan.batches, 2);
  });

  test("candidates from ExternalSecret objects", () => {
    const batching: ReadBatching = { maxBatch: 20, batchKey: (r) => (r.metadataPolicy === "Fetch" || (r.version && r.version !== "AWSCURRENT") ? undefined : r.key) };
    const store = { kind: "SecretStore" as const, name: "aws" };
    const spec = (extra: Record<string, unknown> = {}) => ({
      refreshInterval: "1h",
      secretStoreRef: { name: "aws" },
      data: [
        { secretKey: "a", remoteRef: { key: "k1", property: "p" } },
        { secretKey: "b", remoteRef: { key: "k2", version: "uuid/123" } },
        { secretKey: "c", remoteRef: { key: "k3", metadataPolicy: "Fetch" } },
        { secretKey: "d", remoteRef: { key: "k4" }, sourceRef: { storeRef: { name: "other", kind: "SecretStore" } } },
      ],
      dataFrom: [{ extract: { key: "k5" } }],
      ...extra,
    });
    const meta = { name: "es", namespace: "ns", uid: "u1", generation: 1, labels: {}, annotations: {} };
    const obj = (status?: unknown, s = spec()): KubeObject => ({ apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { ...meta }, spec: s, ...(status ? { status } : {}) });
    const of = (o: KubeObject, more: { knownRefresh?: { syncVersion: string; refreshTime: string }; includeFailing?: boolean } = {}) =>
      waveCandidateOf({ obj: o, spec: parseExternalSecretSpec(o["spec"]), store, storeKey: "SecretStore/ns/aws", batching, jitter: 0.1, ...more });

    const fresh = of(obj());
    assert.equal(fresh?.dueAt, -Infinity, "never synced: due now");
    assert.deepEqual(fresh?.reads.map((r) => [r.read.kind, r.batchKey]), [["value", "k1"], ["map", "k5"]], "pinned versions, tags and other stores are read by the reconcile itself");
    const sv = syncVersionOf(meta);
    const synced = { refreshTime: "2025-01-01T00:00:00Z", syncedResourceVersion: sv, conditions: [{ type: "Ready", status: "True", reason: "SecretSynced", message: "", lastTransitionTime: "" }] };
    const periodic = of(obj(synced));
    assert.ok(periodic && periodic.dueAt >= Date.parse("2025-01-01T01:00:00Z"));
    assert.equal(of(obj({ ...synced, syncedResourceVersion: "0-old" }))?.dueAt, -Infinity, "changed: due now");
    const failing = { ...synced, conditions: [{ type: "Ready", status: "False", reason: "SecretSyncedError", message: "", lastTransitionTime: "" }] };
    assert.equal(of(obj(failing)), undefined, "a failing one retries on its own backoff");
    assert.ok(of(obj(failing), { includeFailing: true }), "unless it is the trigger");
    assert.equal(of(obj(synced, spec({ refreshInterval: "0" }))), undefined);
    assert.equal(of(obj(synced, spec({ secretStoreRef: { name: "other" } }))), undefined);
    const known = of(obj(synced), { knownRefresh: { syncVersion: sv, refreshTime: "2025-01-01T00:30:00Z" } });
    assert.ok(known && known.dueAt >= Date.parse("2025-01-01T01:30:00Z"), "our own newer refresh wins over a lagging cache");
  });

  test("refreshTime records when values were read", () => {
    const readAt = new Date("2025-01-01T00:00:00Z");
    const s = nextStatus({ previous: undefined, outcome: { kind: "synced", targetName: "t", readAt }, syncVersion: "1-x", generation: 1, now: new Date("2025-01-01T00:00:09Z") });
    assert.equal(s.refreshTime, "2025-01-01T00:00:00Z");
  });
});

/** A SecretsManagerPort holding secrets in memory, counting calls. */
class FakePort implements SecretsManagerPort {
  calls: string[] = [];
  batchSizes: number[] = [];
  readonly secrets = new Map<string, string>();
  batchGetSecretValue(ids: readonly string[]): Promise<BatchResult> {
    this.calls.push("BatchGetSecretValue");
    this.batchSizes.push(ids.length);
    const values: SecretValue[] = [];
    const errors: BatchResult["errors"] = [];
    for (const id of ids) {
      const v = this.secrets.get(id);
      if (v === undefined) errors.push({ secretId: id, error: new SecretNotFound(`${id}: ResourceNotFoundException`) });
      else values.push({ name: id, arn: `arn:${id}`, secretString: v });
    }
    return Promise.resolve({ values, errors });
  }
  getSecretValue(input: { secretId: string }): Promise<SecretValue> {
    this.calls.push("GetSecretValue");
    const v = this.secrets.get(input.secretId);
    return v === undefined ? Promise.reject(new SecretNotFound(input.secretId)) : Promise.resolve({ name: input.secretId, arn: "", secretString: v });
  }
  listSecrets(): Promise<{ secrets: [] }> {
    return Promise.resolve({ secrets: [] });
  }
  describeSecretTags(): Promise<Record<string, string>> {
    return Promise.resolve({});
  }
  checkCredentials(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

describe("refresh waves over the AWS client", () => {
  const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

  test("one wave reads every member in batches of 20; a missing secret fails only its member", async () => {
    const port = new FakePort();
    for (let i = 0; i < 45; i++) if (i !== 7) port.secrets.set(`s${i}`, JSON.stringify({ v: `value-${i}` }));
    const client = new AwsSecretsManagerClient(port, { prefix: "", batchWindowMs: 5 });
    let clock = 1_000_000;
    const enqueued: string[] = [];
    const waves = new RefreshWaves({ now: () => clock, enqueue: (k) => enqueued.push(k) });
    const all = Array.from({ length: 45 }, (_, i) => candidate(i, i < 41 ? clock - 1 : clock + 100));
    const [trigger, ...rest] = all;
    assert.ok(trigger);
    waves.start({ client, trigger, candidates: () => rest, horizonMs: 1000 });
    assert.equal(waves.pending, 45);
    assert.deepEqual(enqueued, ["ns/es0041", "ns/es0042", "ns/es0043", "ns/es0044"], "members read ahead of their due time are queued");
    // A second trigger that is already a member starts nothing.
    waves.start({ client, trigger: candidate(3, clock - 1), candidates: () => rest, horizonMs: 1000 });
    assert.equal(waves.pending, 45);

    const results = await Promise.allSettled(all.map(async (c) => {
      const p = waves.take(client, c.uid, c.syncVersion);
      assert.ok(p, c.uid);
      assert.equal(p.readAt.getTime(), 1_000_000);
      return text(await p.client.getSecret({ key: `s${c.uid.slice(4)}`, metadataPolicy: "None" }));
    }));
    assert.deepEqual(port.calls, ["BatchGetSecretValue", "BatchGetSecretValue", "BatchGetSecretValue"]);
    assert.deepEqual(port.batchSizes, [20, 20, 5]);
    results.forEach((r, i) => {
      if (i === 7) assert.ok(r.status === "rejected" && r.reason instanceof SecretNotFound, "only the missing one fails");
      else assert.ok(r.status === "fulfilled" && r.value === JSON.stringify({ v: `value-${i}` }), `member ${i}`);
    });

    // Taken once; a read the wave did not make goes to the provider.
    assert.equal(waves.take(client, "uid-1", "1-x"), undefined);
    assert.equal(waves.pending, 0);
    // A member whose ExternalSecret changed since (new sync version) or whose entry expired reads itself.
    waves.start({ client, trigger: candidate(100, clock - 1), candidates: () => [candidate(101, clock - 1)], horizonMs: 0 });
    assert.equal(waves.take(client, "uid-101", "2-changed"), undefined);
    clock += 10 * 60_000;
    assert.equal(waves.take(client, "uid-100", "1-x"), undefined);
  });

  test("prefetched client serves the wave's reads and passes the others through", async () => {
    const port = new FakePort();
    port.secrets.set("a", JSON.stringify({ x: "1", y: "2" }));
    port.secrets.set("b", "plain");
    const client = new AwsSecretsManagerClient(port, { prefix: "", batchWindowMs: 1 });
    const waves = new RefreshWaves({ now: () => 0, enqueue: () => undefined });
    const trigger: WaveCandidate = {
      key: "ns/es",
      uid: "u",
      syncVersion: "v",
      dueAt: -Infinity,
      reads: [
        { read: { kind: "map", ref: { key: "a", metadataPolicy: "None" } }, batchKey: "a" },
        { read: { kind: "value", ref: { key: "a", property: "x", metadataPolicy: "None" } }, batchKey: "a" },
      ],
    };
    waves.start({ client, trigger, candidates: () => [], horizonMs: 0 });
    const p = waves.take(client, "u", "v");
    assert.ok(p);
    const map = await p.client.getSecretMap({ key: "a", metadataPolicy: "None" });
    assert.deepEqual(Object.fromEntries(Object.entries(map).map(([k, v]) => [k, text(v)])), { x: "1", y: "2" });
    assert.equal(text(await p.client.getSecret({ key: "a", property: "x", metadataPolicy: "None" })), "1");
    assert.equal(port.calls.length, 1, "both reads of secret a were one call");
    assert.equal(text(await p.client.getSecret({ key: "b", metadataPolicy: "None" })), "plain");
    assert.equal(port.calls.length, 2);
  });
});
