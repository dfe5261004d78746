// Pure planning of refresh waves: when one ExternalSecret on a batching store (AWS) refreshes, every
// other ExternalSecret on that store whose refresh is due now is read with it, in batch calls of
// `maxBatch` ids, and the last partial batch is topped up with refreshes due within a short horizon.
// Refresh times are jittered per object (deterministically, from its uid) and quantised to a per-store
// slot, so objects created together spread out but still wake in groups that fill batches.
// The I/O around this (reads, the short-lived cache, enqueueing members) is in refresh-waves.ts.
import { createHash } from "node:crypto";
import type { ExternalSecretSpec, RemoteRefSpec, StoreRef } from "../../api/external-secret.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { ReadBatching, RemoteRef } from "../../providers/provider.ts";
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
  /** Reads grouped so each group holds at most `maxBatch` distinct batch ids, in member order. */
  batches: WaveRead[][];
  /** Distinct batch ids the wave reads. */
  ids: number;
}

/**
 * Picks the members of a wave started by `trigger`: the trigger first, then every candidate due by
 * `now` (soonest first, at most `maxIds` distinct ids), then, while the last batch is not full,
 * candidates due within `horizonMs` whose ids still fit in it.
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
  // Batches: distinct ids in member order, chunked; each read goes with its id's chunk.
  const order = new Map<string, number>();
  for (const m of members) for (const r of m.reads) if (!order.has(r.batchKey)) order.set(r.batchKey, order.size);
  const batches: WaveRead[][] = [];
  const seen = new Set<string>();
  for (const m of members) {
    for (const r of m.reads) {
      const id = readId(r.read);
      if (seen.has(id)) continue;
      seen.add(id);
      const chunk = Math.floor((order.get(r.batchKey) ?? 0) / maxBatch);
      (batches[chunk] ??= []).push(r.read);
    }
  }
  return { members, batches: batches.filter((b) => b.length > 0), ids: ids.size };
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
