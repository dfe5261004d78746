// The one batching mechanism for provider reads: single reads become batch calls. A batch closes
// when it holds `maxBatch` distinct keys (after the reads made in the same tick, so reads of a key
// just added still join it) or `windowMs` after its first read; at most `maxInFlight` batch calls
// run at once per client, the others wait their turn. ExternalSecrets that refresh together (a
// refresh wave issues all its reads at once, refresh-wave.ts) therefore cost one
// BatchGetSecretValue per 20 secrets, or one GetParameters per 10.

/** Batch calls one client runs at once, so a large refresh wave does not send all its batches together. */
export const BATCH_CALLS_IN_FLIGHT = 4;

export interface CoalescerOptions<K, V> {
  windowMs: number;
  maxBatch: number;
  /** Batch calls in flight at once (default: no limit). */
  maxInFlight?: number;
  /** Loads a batch; a key missing from the result map is rejected with `missing(key)`. */
  loadBatch(keys: readonly K[]): Promise<Map<K, V | Error>>;
  missing(key: K): Error;
}

interface Waiter<V> {
  resolve(value: V): void;
  reject(err: unknown): void;
}

export class Coalescer<K, V> {
  private readonly options: CoalescerOptions<K, V>;
  private pending = new Map<K, Waiter<V>[]>();
  private timer: NodeJS.Timeout | undefined;
  /** Closed batches waiting for a free call slot. */
  private readonly queued: Map<K, Waiter<V>[]>[] = [];
  private inFlight = 0;

  constructor(options: CoalescerOptions<K, V>) {
    this.options = options;
  }

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) {
        waiters.push({ resolve, reject });
        return;
      }
      if (this.pending.size >= this.options.maxBatch) this.flush();
      this.pending.set(key, [{ resolve, reject }]);
      if (this.pending.size >= this.options.maxBatch) {
        // Full: it goes once the current tick's reads (of its keys too) are in.
        const full = this.pending;
        queueMicrotask(() => {
          if (this.pending === full) this.flush();
        });
      } else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    if (batch.size === 0) return;
    this.queued.push(batch);
    this.drain();
  }

  private drain(): void {
    const limit = this.options.maxInFlight ?? Infinity;
    while (this.inFlight < limit) {
      const batch = this.queued.shift();
      if (batch === undefined) return;
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async run(batch: Map<K, Waiter<V>[]>): Promise<void> {
    let results: Map<K, V | Error>;
    try {
      results = await this.options.loadBatch([...batch.keys()]);
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      return;
    }
    for (const [key, waiters] of batch) {
      const result = results.has(key) ? results.get(key) : this.options.missing(key);
      for (const w of waiters) {
        if (result instanceof Error) w.reject(result);
        else w.resolve(result as V);
      }
    }
  }
}
