// Refresh waves: when one ExternalSecret on a batching store (AWS) refreshes, every other
// ExternalSecret on that store whose refresh is due now is read with it, and the last partial batch
// is topped up with refreshes due within a short horizon. Refresh times are jittered per object
// (deterministically, from its uid) and quantised to a per-store slot, so objects created together
// spread out but still wake in groups that fill batches.
// A wave decides who is read together (planRefreshWave, pure) and issues all their reads at once;
// the batch calls themselves are the provider client's (its Coalescer cuts them by the store's
// maxBatch and limits the calls in flight): one batching mechanism. RefreshWaves holds the results
// for the members' reconciles, keyed by member (uid + sync version) and read, consumed once.
import { createHash } from "node:crypto";
import type { ExternalSecretSpec, RemoteRefSpec, StoreRef } from "../../api/external-secret.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { ReadBatching, RemoteRef, SecretsClient } from "../../providers/provider.ts";
import { parseStatus, READY_REASONS, syncVersionOf } from "./plan.ts";

/** How far ahead of its due time a refresh may be pulled into a wave, and the slot length (half of it). */
export function waveHorizonMs(intervalMs: number): number {
  return Math.min(60_000, Math.max(500, Math.round(intervalMs * 0.025)));
}

/** A stable draw in [0, 1) from a string (an object's uid, a store's key). */
export function stableFraction(s: string): number {
  return createHash("sha256").update(s).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * When a periodic refresh is due: the interval after the last refresh, plus a jitter of up to
 * `jitter` × interval (always later, never earlier than the interval), rounded up to the store's
 * slot grid (slot = half the wave horizon, phase offset per store) so refreshes of one store wake
 * together.
 */
export function refreshDueAt(input: { refreshTime: number; intervalMs: number; uid: string; storeKey: string; jitter: number }): number {
  const { refreshTime, intervalMs, uid, storeKey, jitter } = input;
  const raw = refreshTime + intervalMs + Math.round(intervalMs * jitter * stableFraction(uid));
  const slot = Math.max(1, Math.round(waveHorizonMs(intervalMs) / 2));
  const phase = Math.floor(stableFraction(storeKey) * slot);
  return Math.ceil((raw - phase) / slot) * slot + phase;
}

/** One read a wave can make ahead: a value (data[]) or a JSON map (dataFrom[].extract). */
export interface WaveRead {
  kind: "value" | "map";
  ref: RemoteRef;
}

/** The cache identity of a read: two ExternalSecrets asking the same thing share it. */
export function readId(read: WaveRead): string {
  return JSON.stringify([read.kind, read.ref.key, read.ref.property ?? "", read.ref.version ?? "", read.ref.metadataPolicy ?? "None"]);
}

export interface WaveCandidate {
  /** Queue key (namespace/name). */
  key: string;
  uid: string;
  syncVersion: string;
  /** When its refresh is due; -Infinity when it must refresh now (never synced, changed). */
  dueAt: number;
  /** Its batchable reads on the wave's store, each with the provider's batch id. */
  reads: { read: WaveRead; batchKey: string }[];
}

export interface WavePlan {
  members: WaveCandidate[];
  /**
   * The distinct reads, in the order their batch ids first appear among the members (reads of one
   * id together), so the client's batches, cut in that order, hold whole ids.
   */
  reads: WaveRead[];
  /** Distinct batch ids the wave reads. */
  ids: number;
  /** Batch calls those ids make at the store's maxBatch. */
  batches: number;
}

/**
 * Picks the members of a wave started by `trigger`: the trigger first, then every candidate due by
 * `now` (soonest first, at most `maxIds` distinct ids), then, while the last batch of `maxBatch`
 * ids is not full, candidates due within `horizonMs` whose ids still fit in it.
 */
export function planRefreshWave(input: {
  trigger: WaveCandidate;
  candidates: readonly WaveCandidate[];
  now: number;
  horizonMs: number;
  maxBatch: number;
  maxIds: number;
}): WavePlan {
  const { trigger, now, horizonMs, maxBatch, maxIds } = input;
  const others = input.candidates
    .filter((c) => c.uid !== trigger.uid && c.reads.length > 0 && c.dueAt <= now + horizonMs)
    .sort((a, b) => a.dueAt - b.dueAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const ids = new Set<string>();
  const members: WaveCandidate[] = [];
  const newIds = (c: WaveCandidate) => new Set(c.reads.map((r) => r.batchKey).filter((k) => !ids.has(k))).size;
  const admit = (c: WaveCandidate) => {
    members.push(c);
    for (const r of c.reads) ids.add(r.batchKey);
  };
  admit(trigger);
  let i = 0;
  for (; i < others.length; i++) {
    const c = others[i];
    if (!c || c.dueAt > now) break;
    if (ids.size + newIds(c) > maxIds) break;
    admit(c);
  }
  // Top up the last batch with refreshes that are nearly due.
  for (; i < others.length && ids.size % maxBatch !== 0; i++) {
    const c = others[i];
    if (!c) break;
    const room = maxBatch - (ids.size % maxBatch);
    const extra = newIds(c);
    if (extra <= room) admit(c);
  }
  // Distinct reads, grouped by batch id in first-appearance order (a stable sort keeps member order).
  const order = new Map<string, number>();
  for (const m of members) for (const r of m.reads) if (!order.has(r.batchKey)) order.set(r.batchKey, order.size);
  const reads: { read: WaveRead; at: number }[] = [];
  const seen = new Set<string>();
  for (const m of members) {
    for (const r of m.reads) {
      const id = readId(r.read);
      if (seen.has(id)) continue;
      seen.add(id);
      reads.push({ read: r.read, at: order.get(r.batchKey) ?? 0 });
    }
  }
  reads.sort((a, b) => a.at - b.at);
  return { members, reads: reads.map((r) => r.read), ids: ids.size, batches: Math.ceil(ids.size / maxBatch) };
}

/** The store an ExternalSecret's waves run on: its own store, else the first item's. */
export function mainStoreOf(spec: ExternalSecretSpec): StoreRef | undefined {
  return spec.storeRef ?? spec.data.find((d) => d.storeRef)?.storeRef ?? spec.dataFrom.find((d) => d.storeRef)?.storeRef;
}

/**
 * An ExternalSecret as a wave candidate on `store`, or undefined when it has nothing a wave could
 * read ahead: another main store, no periodic refresh due and nothing changed, no batchable reads,
 * or (unless `includeFailing`) a failing last sync, which retries on its own backoff instead.
 */
export function waveCandidateOf(input: {
  obj: KubeObject;
  spec: ExternalSecretSpec;
  store: StoreRef;
  storeKey: string;
  batching: ReadBatching;
  jitter: number;
  includeFailing?: boolean;
  /** The controller's own record of its last refresh, newer than the cached status when the cache lags. */
  knownRefresh?: { syncVersion: string; refreshTime: string };
}): WaveCandidate | undefined {
  const { obj, spec, store, batching } = input;
  const main = mainStoreOf(spec);
  if (!main || main.kind !== store.kind || main.name !== store.name) return undefined;
  const meta = obj.metadata;
  if (!meta?.name || !meta.uid || meta.deletionTimestamp) return undefined;
  const cached = parseStatus(obj["status"]);
  const known = input.knownRefresh;
  const newer = known && (cached?.refreshTime === undefined || Date.parse(known.refreshTime) > Date.parse(cached.refreshTime));
  const status = newer ? { conditions: [], refreshTime: known.refreshTime, syncedResourceVersion: known.syncVersion } : cached;
  const ready = status?.conditions.find((c) => c.type === "Ready");
  if (!input.includeFailing && ready?.status === "False" && ready.reason === READY_REASONS.error) return undefined;
  const syncVersion = syncVersionOf({
    name: meta.name,
    namespace: meta.namespace ?? "",
    uid: meta.uid,
    generation: meta.generation ?? 0,
    labels: meta.labels ?? {},
    annotations: meta.annotations ?? {},
  });
  const refreshTime = status?.refreshTime ? Date.parse(status.refreshTime) : NaN;
  let dueAt: number;
  if (status?.syncedResourceVersion === undefined || Number.isNaN(refreshTime) || status.syncedResourceVersion !== syncVersion) dueAt = -Infinity;
  else if (spec.refreshPolicy === "Periodic" && spec.refreshIntervalMs > 0) {
    dueAt = refreshDueAt({ refreshTime, intervalMs: spec.refreshIntervalMs, uid: meta.uid, storeKey: input.storeKey, jitter: input.jitter });
  } else return undefined;
  const reads: WaveCandidate["reads"] = [];
  const onStore = (r: StoreRef | undefined) => (r ?? main).kind === store.kind && (r ?? main).name === store.name;
  const add = (kind: WaveRead["kind"], r: RemoteRefSpec) => {
    const ref: RemoteRef = { key: r.key, ...(r.property ? { property: r.property } : {}), ...(r.version ? { version: r.version } : {}), metadataPolicy: r.metadataPolicy };
    const batchKey = batching.batchKey(ref);
    if (batchKey !== undefined) reads.push({ read: { kind, ref }, batchKey });
  };
  for (const d of spec.data) if (onStore(d.storeRef)) add("value", d.remoteRef);
  for (const d of spec.dataFrom) if ("extract" in d && onStore(d.storeRef)) add("map", d.extract);
  if (reads.length === 0) return undefined;
  return { key: `${meta.namespace ?? ""}/${meta.name}`, uid: meta.uid, syncVersion, dueAt, reads };
}

type ReadResult = Uint8Array | Record<string, Uint8Array>;

interface Membership {
  syncVersion: string;
  readAt: Date;
  expiresAt: number;
  reads: Map<string, Promise<ReadResult>>;
}

/** What a member's reconcile gets: when the values were read, and a client serving them first. */
export interface Prefetched {
  readAt: Date;
  client: SecretsClient;
}

export interface RefreshWavesOptions {
  now?: () => number;
  /** How long a member's prefetched reads may wait for its reconcile (ms). */
  ttlMs?: number;
  /** Most distinct ids one wave reads (rounded to whole batches by the planner's top-up). */
  maxIds?: number;
  /** Queues a member whose refresh was pulled ahead of its due time. */
  enqueue(key: string): void;
  onWave?(info: { members: number; ids: number; batches: number }): void;
}

export class RefreshWaves {
  private readonly options: RefreshWavesOptions;
  private readonly now: () => number;
  private readonly byClient = new Map<SecretsClient, Map<string, Membership>>();

  constructor(options: RefreshWavesOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Whether `uid` at `syncVersion` has prefetched reads waiting on `client`. */
  isMember(client: SecretsClient, uid: string, syncVersion: string): boolean {
    const m = this.byClient.get(client)?.get(uid);
    return m !== undefined && m.syncVersion === syncVersion && m.expiresAt > this.now();
  }

  /**
   * Starts a wave for `trigger` unless it is already a member of one. `candidates` is called only
   * when a wave starts (it scans the informer cache). Does not wait for the reads.
   */
  start(input: { client: SecretsClient; trigger: WaveCandidate; candidates: () => WaveCandidate[]; horizonMs: number }): void {
    const { client, trigger } = input;
    const batching = client.readBatching;
    if (!batching || trigger.reads.length === 0) return;
    this.sweep();
    if (this.isMember(client, trigger.uid, trigger.syncVersion)) return;
    const members = this.byClient.get(client) ?? new Map<string, Membership>();
    const now = this.now();
    const plan = planRefreshWave({
      trigger,
      candidates: input.candidates().filter((c) => !this.isMember(client, c.uid, c.syncVersion)),
      now,
      horizonMs: input.horizonMs,
      maxBatch: batching.maxBatch,
      maxIds: this.options.maxIds ?? 1000,
    });
    // One promise per read, settled by the read through the client.
    const settle = new Map<string, { promise: Promise<ReadResult>; resolve(v: ReadResult): void; reject(e: unknown): void }>();
    for (const read of plan.reads) {
      let resolve!: (v: ReadResult) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<ReadResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined); // a member that never comes must not leave an unhandled rejection
      settle.set(readId(read), { promise, resolve, reject });
    }
    const readAt = new Date(now);
    const expiresAt = now + (this.options.ttlMs ?? 120_000);
    for (const m of plan.members) {
      const reads = new Map<string, Promise<ReadResult>>();
      for (const r of m.reads) {
        const s = settle.get(readId(r.read));
        if (s) reads.set(readId(r.read), s.promise);
      }
      members.set(m.uid, { syncVersion: m.syncVersion, readAt, expiresAt, reads });
    }
    this.byClient.set(client, members);
    this.options.onWave?.({ members: plan.members.length, ids: plan.ids, batches: plan.batches });
    // All at once, in plan order: the client's coalescer cuts them into batch calls of maxBatch ids
    // and runs a few at a time; per-id errors stay with the member that asked.
    for (const read of plan.reads) {
      const s = settle.get(readId(read));
      readOne(client, read).then((v) => s?.resolve(v), (err: unknown) => s?.reject(err));
    }
    // Members pulled ahead of their due time have no timer firing now: queue them.
    for (const m of plan.members) if (m.dueAt > now && m.uid !== trigger.uid) this.options.enqueue(m.key);
  }

  /** Takes (once) the prefetched reads of `uid` at `syncVersion`, as a client that serves them first. */
  take(client: SecretsClient, uid: string, syncVersion: string): Prefetched | undefined {
    const members = this.byClient.get(client);
    const m = members?.get(uid);
    if (!members || !m) return undefined;
    members.delete(uid);
    if (members.size === 0) this.byClient.delete(client);
    if (m.syncVersion !== syncVersion || m.expiresAt <= this.now()) return undefined;
    return { readAt: m.readAt, client: servingFirst(client, m.reads) };
  }

  /** Members waiting across all clients (for tests and metrics). */
  get pending(): number {
    let n = 0;
    for (const m of this.byClient.values()) n += m.size;
    return n;
  }

  private sweep(): void {
    const now = this.now();
    for (const [client, members] of this.byClient) {
      for (const [uid, m] of members) if (m.expiresAt <= now) members.delete(uid);
      if (members.size === 0) this.byClient.delete(client);
    }
  }
}

async function readOne(client: SecretsClient, read: WaveRead): Promise<ReadResult> {
  return read.kind === "value" ? await client.getSecret(read.ref) : await client.getSecretMap(read.ref);
}

/** A client that answers the prefetched reads from the wave and everything else from `client`. */
function servingFirst(client: SecretsClient, reads: ReadonlyMap<string, Promise<ReadResult>>): SecretsClient {
  const hit = (kind: WaveRead["kind"], ref: RemoteRef) => reads.get(readId({ kind, ref }));
  return {
    ...(client.readBatching ? { readBatching: client.readBatching } : {}),
    getSecret: async (ref) => {
      const p = hit("value", ref);
      return p ? ((await p) as Uint8Array) : await client.getSecret(ref);
    },
    getSecretMap: async (ref) => {
      const p = hit("map", ref);
      return p ? ((await p) as Record<string, Uint8Array>) : await client.getSecretMap(ref);
    },
    findSecrets: (find) => client.findSecrets(find),
    validate: () => client.validate(),
    close: () => undefined, // the cache owns the real client
  };
}
