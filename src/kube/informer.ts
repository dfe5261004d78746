// One cached, watched view of a resource and selector: a paginated list, then a watch from the
// list's version, re-opened from the last version seen; a 410 (Expired) relists. Failures back off
// exponentially with jitter; a watch that goes silent (a paused or partitioned API server) is
// abandoned by a watchdog. Objects are kept as the API server sent them, less what `transform`
// drops. Handlers see every change once, after the cache holds it.
import { computeBackoff, type BackoffPolicy } from "./backoff.ts";
import { ConditionTally, type ConditionCount } from "./condition-tally.ts";
import { KubeApiError, type KubeObject, type KubePort, type Resource, type Selector } from "./port.ts";

export interface InformerHandlers {
  onAdd?(obj: KubeObject): void;
  onUpdate?(old: KubeObject, obj: KubeObject): void;
  /**
   * `obj` is the object as last cached; `final` is the object the DELETED watch event carried (its
   * resourceVersion is the deletion's), absent when a relist found the object gone.
   */
  onDelete?(obj: KubeObject, final?: KubeObject): void;
  /** A list or watch failed; the informer retries by itself. */
  onError?(err: unknown): void;
}

export interface SharedInformerOptions {
  metadataOnly?: boolean;
  /** Applied to each object before it is cached (in place); e.g. drop annotations nobody reads. */
  transform?: (obj: KubeObject) => KubeObject;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Server-side watch timeout; each watch draws a value in [min, 2×min). */
  watchTimeoutSeconds?: number;
}

const WATCH_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 30_000, jitter: 0.5 };

function objectKey(obj: KubeObject): { ns: string; name: string } | undefined {
  const name = obj.metadata?.name;
  return name ? { ns: obj.metadata?.namespace ?? "", name } : undefined;
}

export class SharedInformer {
  readonly resource: Resource;
  private readonly kube: KubePort;
  private readonly selector: Selector;
  private readonly options: SharedInformerOptions;
  private readonly random: () => number;
  /** namespace ("" for cluster-scoped) → name → object. */
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private readonly handlers = new Set<InformerHandlers>();
  private size = 0;
  /** Objects by status condition, kept as the cache changes (once countConditions() was asked). */
  private tally: ConditionTally | undefined;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private stopped = false;
  private syncWaiters: (() => void)[] = [];
  synced = false;
  /** Relists and watch (re)connects, for metrics and tests. */
  readonly stats = { lists: 0, watches: 0, failures: 0 };

  constructor(kube: KubePort, resource: Resource, selector: Selector, options: SharedInformerOptions = {}) {
    this.kube = kube;
    this.resource = resource;
    this.selector = selector;
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  get count(): number {
    return this.size;
  }

  /** Adds handlers; when the cache already holds objects, the new handlers see each as an add. */
  addHandlers(handlers: InformerHandlers): () => void {
    this.handlers.add(handlers);
    if (handlers.onAdd) for (const obj of this.list()) handlers.onAdd(obj);
    return () => this.handlers.delete(handlers);
  }

  /** Keep the cached objects counted by their status conditions from now on (metrics). */
  countConditions(): void {
    if (this.tally) return;
    this.tally = new ConditionTally();
    for (const obj of this.list()) this.tally.add(obj);
  }

  /** The cached objects by the status and reason of their `type` condition; undefined unless counted. */
  conditionCounts(type: string): ConditionCount[] | undefined {
    return this.tally?.counts(type);
  }

  get handlerCount(): number {
    return this.handlers.size;
  }

  /** Starts once; resolves when the first list is cached. */
  start(): Promise<void> {
    if (!this.running) {
      if (this.stopped) this.abort = new AbortController();
      this.stopped = false;
      this.running = this.run();
    }
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    for (const resolve of this.syncWaiters.splice(0)) resolve();
    await this.running;
    this.running = undefined;
  }

  get(name: string, namespace?: string): KubeObject | undefined {
    return this.store.get(namespace ?? "")?.get(name);
  }

  list(namespace?: string): KubeObject[] {
    if (namespace !== undefined) return [...(this.store.get(namespace)?.values() ?? [])];
    const out: KubeObject[] = [];
    for (const byName of this.store.values()) for (const obj of byName.values()) out.push(obj);
    return out;
  }

  private put(obj: KubeObject): KubeObject | undefined {
    const key = objectKey(obj);
    if (!key) return undefined;
    let byName = this.store.get(key.ns);
    if (!byName) this.store.set(key.ns, (byName = new Map<string, KubeObject>()));
    const old = byName.get(key.name);
    if (!old) this.size++;
    byName.set(key.name, obj);
    if (old) this.tally?.remove(old);
    this.tally?.add(obj);
    return old;
  }

  private remove(obj: KubeObject): KubeObject | undefined {
    const key = objectKey(obj);
    if (!key) return undefined;
    const byName = this.store.get(key.ns);
    const old = byName?.get(key.name);
    if (old && byName) {
      byName.delete(key.name);
      this.size--;
      this.tally?.remove(old);
      if (byName.size === 0) this.store.delete(key.ns);
    }
    return old;
  }

  private upsert(raw: KubeObject): void {
    const obj = this.options.transform ? this.options.transform(raw) : raw;
    const old = this.put(obj);
    if (old === undefined) for (const h of this.handlers) h.onAdd?.(obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) for (const h of this.handlers) h.onUpdate?.(old, obj);
  }

  private deleted(obj: KubeObject, final?: KubeObject): void {
    const old = this.remove(obj);
    if (old !== undefined) for (const h of this.handlers) h.onDelete?.(old, final);
  }

  private fail(err: unknown): void {
    this.stats.failures++;
    for (const h of this.handlers) h.onError?.(err);
  }

  /** Paginated list, merged into the cache page by page (never two full copies in memory). */
  private async relist(): Promise<string> {
    this.stats.lists++;
    const seen = new Map<string, Set<string>>();
    let token: string | undefined;
    let version = "";
    do {
      const page = await this.kube.listPage(this.resource, {
        ...this.selector,
        ...(token ? { continue: token } : {}),
        ...(this.options.metadataOnly ? { metadataOnly: true } : {}),
      });
      for (const obj of page.items) {
        const key = objectKey(obj);
        if (!key) continue;
        let names = seen.get(key.ns);
        if (!names) seen.set(key.ns, (names = new Set()));
        names.add(key.name);
        this.upsert(obj);
      }
      version = page.resourceVersion;
      token = page.continue;
    } while (token && !this.stopped);
    for (const [ns, byName] of [...this.store]) {
      const names = seen.get(ns);
      for (const [name, obj] of [...byName]) if (!names?.has(name)) this.deleted(obj);
    }
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
    return version;
  }

  private async run(): Promise<void> {
    let version: string | undefined;
    let failures = 0;
    const base = this.options.watchTimeoutSeconds ?? 300;
    while (!this.stopped) {
      try {
        version ??= await this.relist();
        const timeoutSeconds = Math.round(base * (1 + this.random()));
        const watch = new AbortController();
        const onStop = () => watch.abort();
        this.abort.signal.addEventListener("abort", onStop, { once: true });
        // A paused API server keeps the connection open and silent: give up on it a little after
        // the server should have ended the watch itself.
        let watchdog = setTimeout(() => watch.abort(), (timeoutSeconds + 30) * 1000);
        this.stats.watches++;
        let current: string = version;
        try {
          await this.kube.watch(this.resource, { ...this.selector, resourceVersion: current, timeoutSeconds, signal: watch.signal, ...(this.options.metadataOnly ? { metadataOnly: true } : {}) }, (event) => {
            clearTimeout(watchdog);
            watchdog = setTimeout(() => watch.abort(), (timeoutSeconds + 30) * 1000);
            const rv = event.object.metadata?.resourceVersion;
            if (event.type === "BOOKMARK") {
              if (rv) current = rv;
              return;
            }
            if (event.type === "DELETED") this.deleted(event.object, event.object);
            else this.upsert(event.object);
            if (rv) current = rv;
          });
        } finally {
          clearTimeout(watchdog);
          this.abort.signal.removeEventListener("abort", onStop);
        }
        version = current;
        failures = 0;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof KubeApiError && err.reason === "Expired") version = undefined;
        failures++;
        this.fail(err);
        const delay = computeBackoff(this.options.backoff ?? WATCH_BACKOFF, failures, this.random());
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.abort.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
      }
    }
  }
}
