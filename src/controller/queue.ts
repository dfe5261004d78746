// A de-duplicating key queue in the manner of client-go's workqueue: a key is queued at most once,
// never processed by two workers at once (added while in flight, it is processed again after),
// failures back off exponentially with jitter, and urgent keys (first syncs, watch events) go ahead
// of periodic refreshes.
import { computeBackoff, type BackoffPolicy } from "../kube/backoff.ts";

export type Lane = "urgent" | "periodic";

export interface ProcessResult {
  /** Process the key again after this many milliseconds (periodic refresh). */
  requeueAfterMs?: number;
}

export type ProcessKey = (key: string) => Promise<ProcessResult | void>;

export interface QueueOptions {
  workers: number;
  backoff: BackoffPolicy;
  /** [0, 1) source for jitter; injectable for tests. */
  random?: () => number;
  /** Called when processing a key threw; the key is retried with backoff if the error is retryable. */
  onError?: (key: string, err: unknown, retryInMs: number | undefined) => void;
  /** Errors whose `retryable` is false are not retried until the key is added again. */
  isRetryable?: (err: unknown) => boolean;
}

export class WorkQueue {
  private readonly process: ProcessKey;
  private readonly options: QueueOptions;
  private readonly random: () => number;
  private readonly lanes: Record<Lane, string[]> = { urgent: [], periodic: [] };
  private readonly queued = new Map<string, Lane>();
  private readonly inFlight = new Set<string>();
  private readonly dirty = new Map<string, Lane>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private running = 0;
  private stopped = true;
  private idleWaiters: (() => void)[] = [];

  constructor(process: ProcessKey, options: QueueOptions) {
    this.process = process;
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.stopped = false;
    this.pump();
  }

  /** Stops taking new work and waits for keys in flight to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.running > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Queues a key (before start() too: it is processed once started). */
  add(key: string, lane: Lane = "urgent"): void {
    const pending = this.timers.get(key);
    if (pending) {
      clearTimeout(pending.timer);
      this.timers.delete(key);
    }
    if (this.inFlight.has(key)) {
      const prior = this.dirty.get(key);
      this.dirty.set(key, prior === "urgent" ? "urgent" : lane);
      return;
    }
    const current = this.queued.get(key);
    if (current === "urgent" || current === lane) return;
    if (current === "periodic" && lane === "urgent") {
      this.lanes.periodic.splice(this.lanes.periodic.indexOf(key), 1);
    }
    this.queued.set(key, lane);
    this.lanes[lane].push(key);
    this.pump();
  }

  /** Adds the key after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number, lane: Lane = "periodic"): void {
    if (delayMs <= 0) return this.add(key, lane);
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key, lane);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Forget a key's failure history (e.g. its object was deleted). */
  forget(key: string): void {
    this.failures.delete(key);
    const pending = this.timers.get(key);
    if (pending) {
      clearTimeout(pending.timer);
      this.timers.delete(key);
    }
  }

  get length(): number {
    return this.queued.size;
  }

  get busy(): number {
    return this.running;
  }

  private take(): string | undefined {
    const key = this.lanes.urgent.shift() ?? this.lanes.periodic.shift();
    if (key !== undefined) this.queued.delete(key);
    return key;
  }

  private pump(): void {
    while (!this.stopped && this.running < this.options.workers) {
      const key = this.take();
      if (key === undefined) return;
      this.running++;
      this.inFlight.add(key);
      void this.work(key);
    }
  }

  private async work(key: string): Promise<void> {
    try {
      const result = await this.process(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs, "periodic");
    } catch (err) {
      const retryable = this.options.isRetryable ? this.options.isRetryable(err) : true;
      let delay: number | undefined;
      if (retryable) {
        const attempts = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempts);
        delay = computeBackoff(this.options.backoff, attempts, this.random());
        this.addAfter(key, delay, "periodic");
      }
      this.options.onError?.(key, err, delay);
    } finally {
      this.inFlight.delete(key);
      this.running--;
      const again = this.dirty.get(key);
      if (again !== undefined) {
        this.dirty.delete(key);
        this.add(key, again);
      }
      if (this.running === 0 && this.stopped) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
      this.pump();
    }
  }
}
