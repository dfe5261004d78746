// The manager (controller-runtime's idea): one shared informer per (resource, selector, shape),
// started once and read by every reconciler, and a client whose writes are remembered so that the
// watch events they cause are recognised as our own and wake nobody.
import type { ConditionCount } from "./condition-tally.ts";
import { SharedInformer, type InformerHandlers } from "./informer.ts";
import type { KubeObject, KubePort, Resource, Selector } from "./port.ts";

export type { InformerHandlers } from "./informer.ts";

export interface InformerOptions {
  /** Cache PartialObjectMetadata only (no data, no spec): for what a reconciler only needs to notice. */
  metadataOnly?: boolean;
  /** Drop kubectl's last-applied-configuration annotation from cached objects (never read; often
   * as large as the object). Only for objects the controller never writes back whole. */
  dropLastApplied?: boolean;
  /**
   * What to keep of each object (after dropLastApplied), named: readers that ask for the same name
   * share one informer. Only for a reconciler's primary objects (it reads them whole when needed).
   */
  transform?: { name: string; apply: (obj: KubeObject) => KubeObject };
  /** Keep the cached objects counted by status condition (a reconciler's primary objects, for metrics). */
  countConditions?: boolean;
}

/** One reader's view of a shared informer. */
export interface Informer {
  /** Registers the handlers and resolves once the shared cache has synced. */
  start(): Promise<void>;
  /** Unregisters; the shared informer stops when its last reader has stopped. */
  stop(): Promise<void>;
  get(name: string, namespace?: string): KubeObject | undefined;
  list(namespace?: string): readonly KubeObject[];
}

export interface InformerSource {
  informer(resource: Resource, selector: Selector, handlers: InformerHandlers, options?: InformerOptions): Informer;
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

function dropLastApplied(obj: KubeObject): KubeObject {
  const annotations = obj.metadata?.annotations;
  if (obj.metadata && annotations && LAST_APPLIED in annotations) {
    // A copy without the key, not `delete` (see trimIncoming: a deleted key makes a hash table).
    const { [LAST_APPLIED]: dropped, ...rest } = annotations;
    obj.metadata.annotations = rest;
  }
  return obj;
}

/** Bounded memory of our own writes: uid@resourceVersion of each object as we wrote it. */
class OwnWrites {
  private readonly seen = new Set<string>();
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  add(obj: KubeObject): void {
    const key = writeKey(obj);
    if (!key) return;
    if (this.seen.size >= this.limit) {
      const oldest = this.seen.values().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.add(key);
  }

  /** True when this version of the object is one we wrote (any number of readers may ask). */
  has(obj: KubeObject): boolean {
    const key = writeKey(obj);
    return key !== undefined && this.seen.has(key);
  }
}

function writeKey(obj: KubeObject): string | undefined {
  const uid = obj.metadata?.uid;
  const rv = obj.metadata?.resourceVersion;
  return uid && rv ? `${uid}@${rv}` : undefined;
}

export class Manager implements InformerSource {
  /** Writes through this client are remembered (see isOwnWrite). */
  readonly client: KubePort;
  private readonly kube: KubePort;
  private readonly informers = new Map<string, SharedInformer>();
  private readonly own = new OwnWrites(50_000);

  constructor(kube: KubePort) {
    this.kube = kube;
    this.client = recordingWrites(kube, (obj) => this.own.add(obj));
  }

  informer(resource: Resource, selector: Selector, handlers: InformerHandlers, options: InformerOptions = {}): Informer {
    const shared = this.shared(resource, selector, options);
    if (options.countConditions) shared.countConditions();
    let remove: (() => void) | undefined;
    return {
      start: async () => {
        remove ??= shared.addHandlers(handlers);
        await shared.start();
      },
      stop: async () => {
        remove?.();
        remove = undefined;
        if (shared.handlerCount === 0) {
          this.informers.delete(informerKey(resource, selector, options));
          await shared.stop();
        }
      },
      get: (name, namespace) => shared.get(name, namespace),
      list: (namespace) => shared.list(namespace),
    };
  }

  /** The watch event for `obj` was caused by our own write. */
  isOwnWrite(obj: KubeObject): boolean {
    return this.own.has(obj);
  }

  /** Every started informer has listed once. */
  get synced(): boolean {
    for (const informer of this.informers.values()) if (!informer.synced) return false;
    return true;
  }

  /** Cached objects per informer (metrics). */
  cacheSizes(): { resource: string; metadataOnly: boolean; objects: number }[] {
    return [...this.informers.entries()].map(([key, informer]) => ({ resource: informer.resource.plural, metadataOnly: key.slice(key.lastIndexOf("|") + 1).startsWith("meta"), objects: informer.count }));
  }

  /**
   * The cached objects of `kind` by the status and reason of their `type` condition, from the
   * informer that counts them (a reconciler's primary: one per kind); undefined when none does.
   */
  conditionCounts(kind: string, type: string): ConditionCount[] | undefined {
    for (const informer of this.informers.values()) {
      if (informer.resource.kind !== kind) continue;
      const counts = informer.conditionCounts(type);
      if (counts) return counts;
    }
    return undefined;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    this.informers.clear();
  }

  private shared(resource: Resource, selector: Selector, options: InformerOptions): SharedInformer {
    const key = informerKey(resource, selector, options);
    let informer = this.informers.get(key);
    if (!informer) {
      const trim = options.metadataOnly === true || options.dropLastApplied === true;
      const extra = options.transform?.apply;
      const transform = trim && extra ? (obj: KubeObject) => extra(dropLastApplied(obj)) : trim ? dropLastApplied : extra;
      informer = new SharedInformer(this.kube, resource, selector, {
        ...(options.metadataOnly ? { metadataOnly: true } : {}),
        ...(transform ? { transform } : {}),
      });
      this.informers.set(key, informer);
    }
    return informer;
  }
}

function informerKey(resource: Resource, selector: Selector, options: InformerOptions): string {
  const shape = (options.metadataOnly ? "meta" : options.dropLastApplied ? "trim" : "full") + (options.transform ? `+${options.transform.name}` : "");
  return [resource.group, resource.version, resource.plural, selector.namespace ?? "", selector.labelSelector ?? "", selector.fieldSelector ?? "", shape].join("|");
}

/** The same port, remembering each object its writes return. */
function recordingWrites(kube: KubePort, record: (obj: KubeObject) => void): KubePort {
  const remember = async (written: Promise<KubeObject>) => {
    const obj = await written;
    record(obj);
    return obj;
  };
  return {
    get: (r, ns, name, o) => kube.get(r, ns, name, o),
    list: (r, s) => kube.list(r, s),
    listPage: (r, o) => kube.listPage(r, o),
    watch: (r, o, on) => kube.watch(r, o, on),
    create: (r, obj, o) => remember(kube.create(r, obj, o)),
    replace: (r, obj, o) => remember(kube.replace(r, obj, o)),
    replaceStatus: (r, obj) => remember(kube.replaceStatus(r, obj)),
    patch: (r, ns, name, p, t) => remember(kube.patch(r, ns, name, p, t)),
    delete: (r, ns, name) => kube.delete(r, ns, name),
    createSubresource: (r, ns, name, sub, body) => kube.createSubresource(r, ns, name, sub, body),
  };
}
