// Coalesces single reads that arrive close together into batch calls: requests made within
// `windowMs` of the first pending one (or until `maxBatch` are pending) go out as one batch.
// ExternalSecrets that refresh together therefore cost one BatchGetSecretValue per 20 secrets.

export interface CoalescerOptions<K, V> {
  windowMs: number;
  maxBatch: number;
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

  constructor(options: CoalescerOptions<K, V>) {
    this.options = options;
  }

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (this.pending.size >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    if (batch.size === 0) return;
    const keys = [...batch.keys()];
    this.options.loadBatch(keys).then(
      (results) => {
        for (const [key, waiters] of batch) {
          const result = results.has(key) ? results.get(key) : this.options.missing(key);
          for (const w of waiters) {
            if (result instanceof Error) w.reject(result);
            else w.resolve(result as V);
          }
        }
      },
      (err: unknown) => {
        for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
      },
    );
  }
}
