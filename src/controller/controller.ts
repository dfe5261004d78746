// Wires one reconciler: informers (primary and secondary resources) feed a de-duplicating key queue,
// workers call reconcile(key). The reconciler reads current state itself; events only say "look again".
import type { Logger } from "../log.ts";
import type { Informer, KubeObject, KubePort, Resource, Selector } from "../kube/port.ts";
import { defaultBackoff, type BackoffPolicy } from "./backoff.ts";
import { keyOf, parseKey, type ObjectKey } from "./object-key.ts";
import { WorkQueue, type ProcessResult } from "./queue.ts";

export interface SecondaryWatch {
  resource: Resource;
  selector?: Selector;
  /** Which primary objects must be reconciled when this object changes. */
  keysFor(obj: KubeObject): string[];
}

export interface ReconcileContext {
  log: Logger;
  /** The primary object from the informer cache (current as of the last watch event). */
  cached(key: ObjectKey): KubeObject | undefined;
}

export interface Reconciler {
  readonly name: string;
  readonly resource: Resource;
  readonly selector?: Selector;
  readonly secondary?: readonly SecondaryWatch[];
  reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void>;
}

export interface ControllerOptions {
  kube: KubePort;
  log: Logger;
  reconciler: Reconciler;
  workers?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly options: ControllerOptions;
  private readonly log: Logger;
  private readonly informers: Informer[] = [];
  private primary: Informer | undefined;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.log = options.log.child({ controller: options.reconciler.name });
    const reconciler = options.reconciler;
    this.queue = new WorkQueue((key) => this.process(key), {
      workers: options.workers ?? 4,
      backoff: options.backoff ?? defaultBackoff,
      ...(options.random ? { random: options.random } : {}),
      isRetryable: (err) => !(err instanceof Error && "retryable" in err && (err as { retryable: unknown }).retryable === false),
      onError: (key, err, retryInMs) =>
        this.log.warn({ key, retryInMs, error: errorSummary(err) }, `${reconciler.name} reconcile failed`),
    });
  }

  async start(): Promise<void> {
    const { kube, reconciler } = this.options;
    const enqueue = (obj: KubeObject) => {
      const key = keyOf(obj);
      if (key) this.queue.add(key);
    };
    this.primary = kube.informer(reconciler.resource, reconciler.selector ?? {}, {
      onAdd: enqueue,
      onUpdate: enqueue,
      onDelete: (obj) => {
        const key = keyOf(obj);
        if (key) this.queue.add(key);
      },
      onError: (err) => this.log.warn({ error: errorSummary(err) }, `watch of ${reconciler.resource.plural} failed; reconnecting`),
    });
    this.informers.push(this.primary);
    for (const watch of reconciler.secondary ?? []) {
      const fan = (obj: KubeObject) => {
        for (const key of watch.keysFor(obj)) this.queue.add(key);
      };
      this.informers.push(
        kube.informer(watch.resource, watch.selector ?? {}, {
          onAdd: fan,
          onUpdate: fan,
          onDelete: fan,
          onError: (err) => this.log.warn({ error: errorSummary(err) }, `watch of ${watch.resource.plural} failed; reconnecting`),
        }),
      );
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

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.stop()));
    await this.queue.stop();
  }

  private async process(key: string): Promise<ProcessResult | void> {
    const objectKey = parseKey(key);
    const log = this.log.child({ kind: this.options.reconciler.resource.kind, ...objectKey });
    return await this.options.reconciler.reconcile(objectKey, {
      log,
      cached: (k) => this.primary?.get(k.name, k.namespace),
    });
  }
}

/** What may be logged of an error: its class, reason and message (messages are sanitised at source). */
export function errorSummary(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const reason = (err as { reason?: unknown }).reason;
    return { type: err.name, message: err.message, ...(typeof reason === "string" ? { reason } : {}) };
  }
  return { message: String(err) };
}
