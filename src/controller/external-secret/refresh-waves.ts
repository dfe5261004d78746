// Runs refresh waves (planned by refresh-wave.ts) and holds their results for the members'
// reconciles: a short-lived cache per provider client, keyed by member (uid + sync version) and read.
// A member consumes its prefetched reads once; a changed ExternalSecret (new sync version) or an
// expired entry reads directly. Reads go through the client, so its batching (AWS coalescer) turns
// each planned group into one batch call, and per-id errors stay with the ExternalSecret that asked.
import type { RemoteRef, SecretsClient } from "../../providers/provider.ts";
import { planRefreshWave, readId, type WaveCandidate, type WaveRead } from "./refresh-wave.ts";

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
  /** Batch calls in flight at once per wave. */
  concurrency?: number;
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
    // One promise per read; each batch starts when a slot is free.
    const settle = new Map<string, { promise: Promise<ReadResult>; resolve(v: ReadResult): void; reject(e: unknown): void }>();
    for (const batch of plan.batches) {
      for (const read of batch) {
        let resolve!: (v: ReadResult) => void;
        let reject!: (e: unknown) => void;
        const promise = new Promise<ReadResult>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        promise.catch(() => undefined); // a member that never comes must not leave an unhandled rejection
        settle.set(readId(read), { promise, resolve, reject });
      }
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
    this.options.onWave?.({ members: plan.members.length, ids: plan.ids, batches: plan.batches.length });
    void runLimited(plan.batches, this.options.concurrency ?? 4, async (batch) => {
      await Promise.allSettled(
        batch.map(async (read) => {
          const s = settle.get(readId(read));
          try {
            s?.resolve(await readOne(client, read));
          } catch (err) {
            s?.reject(err);
          }
        }),
      );
    });
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

async function runLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
