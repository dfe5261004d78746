// Wires one reconciler: shared informers (primary and secondary resources, from the manager) feed a
// de-duplicating key queue through predicates, workers call reconcile(key). The reconciler reads
// current state itself; events only say "look again".
import type { Logger } from "../log.ts";
import { defaultBackoff, type BackoffPolicy } from "../kube/backoff.ts";
import type { Informer, Manager } from "../kube/manager.ts";
import type { KubeObject, Resource, Selector } from "../kube/port.ts";
import { keyOf, parseKey, type ObjectKey } from "./object-key.ts";
import { WorkQueue, type ProcessResult } from "./queue.ts";

export interface SecondaryWatch {
  resource: Resource;
  selector?: Selector;
  /** Cache metadata only (Secrets: the reconciler reads data on demand). */
  metadataOnly?: boolean;
  /** Share the cache of a reconciler whose primary resource this is (its informer drops last-applied). */
  dropLastApplied?: boolean;
  /** Which primary objects must be reconciled when this object changes. */
  keysFor(obj: KubeObject): string[];
  /** Told of a deletion before the keys it maps to are queued (`final`: see InformerHandlers.onDelete). */
  onDelete?(obj: KubeObject, final: KubeObject | undefined): void;
}

export interface ReconcileContext {
  log: Logger;
  /** The primary object from the informer cache (current as of the last watch event). */
  cached(key: ObjectKey): KubeObject | undefined;
  /** An object of a secondary resource from its cache (metadata only where so watched). */
  cachedSecondary(resource: Resource, key: ObjectKey): KubeObject | undefined;
  /** Every cached object of a secondary resource (optionally of one namespace). */
  listSecondary(resource: Resource, namespace?: string): readonly KubeObject[];
}

export interface Reconciler {
  readonly name: string;
  readonly resource: Resource;
  readonly selector?: Selector;
  readonly secondary?: readonly SecondaryWatch[];
  /** What the cache keeps of each primary object (applied as it arrives; same object or a smaller copy). */
  readonly cacheTransform?: ((obj: KubeObject) => KubeObject) | undefined;
  reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void>;
}

export interface ControllerOptions {
  cache: Manager;
  log: Logger;
  reconciler: Reconciler;
  workers?: number;
  backoff?: BackoffPolicy;
  /** Longest one reconcile may hold a worker (default DEFAULT_RECONCILE_DEADLINE_MS). */
  reconcileDeadlineMs?: number;
}

/**
 * Predicate for updates of a primary object: only a new generation (spec), labels, annotations or a
 * deletion matter. Status writes (ours or anyone's) and resourceVersion-only changes wake nobody.
 */
export function primaryChanged(old: KubeObject, obj: KubeObject): boolean {
  const a = old.metadata ?? {};
  const b = obj.metadata ?? {};
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !sameRecord(a.labels, b.labels) ||
    !sameRecord(a.annotations, b.annotations)
  );
}

function sameRecord(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a?.[k] === b?.[k]);
}

function resourceId(resource: Resource): string {
  return `${resource.group}/${resource.plural}`;
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly options: ControllerOptions;
  private readonly log: Logger;
  private readonly informers: Informer[] = [];
  private readonly secondaries = new Map<string, Informer>();
  private primary: Informer | undefined;
  /** Watch events dropped by the predicates (metrics, tests). */
  readonly filtered = { status: 0, ownWrites: 0 };
  /** Reconciles still running past their deadline, by key. */
  private readonly overdue = new Map<string, Promise<void>>();
  /** Reconciles that outlived the deadline (metrics, tests). */
  reconcilesOverdue = 0;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.log = options.log.child({ controller: options.reconciler.name });
    const reconciler = options.reconciler;
    this.queue = new WorkQueue((key) => this.process(key), {
      workers: options.workers ?? 4,
      backoff: options.backoff ?? defaultBackoff,
      isRetryable: (err) => !(err instanceof Error && "retryable" in err && (err as { retryable: unknown }).retryable === false),
      onError: (key, err, retryInMs) =>
        this.log.warn({ key, retryInMs, error: errorSummary(err) }, `${reconciler.name} reconcile failed`),
    });
  }

  async start(): Promise<void> {
    const { cache, reconciler } = this.options;
    const enqueue = (obj: KubeObject) => {
      const key = keyOf(obj);
      if (key) this.queue.add(key);
    };
    this.primary = cache.informer(reconciler.resource, reconciler.selector ?? {}, {
      onAdd: enqueue,
      onUpdate: (old, obj) => {
        if (primaryChanged(old, obj)) enqueue(obj);
        else this.filtered.status++;
      },
      onDelete: (obj) => {
        const key = keyOf(obj);
        if (key) {
          this.queue.forget(key);
          this.queue.add(key);
        }
      },
      onError: (err) => this.log.warn({ error: errorSummary(err) }, `watch of ${reconciler.resource.plural} failed; reconnecting`),
    }, { dropLastApplied: true, countConditions: true, ...(reconciler.cacheTransform ? { transform: { name: reconciler.name, apply: reconciler.cacheTransform } } : {}) });
    this.informers.push(this.primary);
    for (const watch of reconciler.secondary ?? []) {
      const fan = (obj: KubeObject) => {
        for (const key of watch.keysFor(obj)) this.queue.add(key);
      };
      const informer = cache.informer(watch.resource, watch.selector ?? {}, {
        onAdd: (obj) => {
          if (cache.isOwnWrite(obj)) this.filtered.ownWrites++;
          else fan(obj);
        },
        onUpdate: (_old, obj) => {
          if (cache.isOwnWrite(obj)) this.filtered.ownWrites++;
          else fan(obj);
        },
        onDelete: (obj, final) => {
          watch.onDelete?.(obj, final);
          fan(obj);
        },
        onError: (err) => this.log.warn({ error: errorSummary(err) }, `watch of ${watch.resource.plural} failed; reconnecting`),
      }, watch.metadataOnly ? { metadataOnly: true } : watch.dropLastApplied ? { dropLastApplied: true } : {});
      this.informers.push(informer);
      this.secondaries.set(resourceId(watch.resource), informer);
    }
    await Promise.all(this.informers.map((informer) => informer.start()));
    this.queue.start();
    this.log.info({ resource: reconciler.resource.plural }, "watching");
  }

  /** Queues every cached primary object (e.g. after the keys they depend on changed). */
  enqueueAll(): void {
    for (const obj of this.primary?.list() ?? []) {
      const key = keyOf(obj);
      if (key) this.queue.add(key);
    }
  }

  /** The primary objects in the informer cache, optionally of one namespace. */
  cachedObjects(namespace?: string): readonly KubeObject[] {
    return this.primary?.list(namespace) ?? [];
  }

  /** Queue empty and no reconcile running. */
  get idle(): boolean {
    return this.queue.length === 0 && this.queue.busy === 0;
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.stop()));
    await this.queue.stop();
  }

  private async process(key: string): Promise<ProcessResult | void> {
    const objectKey = parseKey(key);
    const log = this.log.child({ kind: this.options.reconciler.resource.kind, ...objectKey });
    // One object at a time: a reconcile that outlived its deadline is still running; wait for it.
    if (this.overdue.has(key)) throw new ReconcileOverdue(`the previous reconcile of ${key} is still running`);
    const run = this.options.reconciler.reconcile(objectKey, {
      log,
      cached: (k) => this.primary?.get(k.name, k.namespace),
      cachedSecondary: (resource, k) => this.secondaries.get(resourceId(resource))?.get(k.name, k.namespace),
      listSecondary: (resource, namespace) => this.secondaries.get(resourceId(resource))?.list(namespace) ?? [],
    });
    const deadlineMs = this.options.reconcileDeadlineMs ?? DEFAULT_RECONCILE_DEADLINE_MS;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), deadlineMs);
      timer.unref();
    });
    try {
      const first = await Promise.race([run, expired]);
      if (first !== "expired") return first;
    } finally {
      clearTimeout(timer);
    }
    // The worker goes back to other objects; this key waits (with backoff) until the run settles.
    this.reconcilesOverdue++;
    this.overdue.set(key, run.then(() => undefined, () => undefined).finally(() => this.overdue.delete(key)));
    log.warn({ deadlineMs }, "reconcile exceeded its deadline; retrying once it has finished");
    throw new ReconcileOverdue(`reconcile of ${key} took longer than ${deadlineMs / 1000} s`);
  }
}

/** A reconcile past its deadline (retried with backoff, never run twice at once). */
export class ReconcileOverdue extends Error {
  override readonly name = "ReconcileOverdue";
  readonly retryable = true;
}

/** Longest one reconcile may hold a worker (every API request has its own timeout below this). */
export const DEFAULT_RECONCILE_DEADLINE_MS = 120_000;

/** What may be logged of an error: its class, reason and message (messages are sanitised at source). */
export function errorSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const reason = (err as { reason?: unknown }).reason;
    return { type: err.name, message: err.message, ...(typeof reason === "string" ? { reason } : {}) };
  }
  return { message: String(err) };
}
