// A KubePort whose writes pass only while this replica leads. The reconcilers and key managers of
// a replica run with leader election get this port; the leader elector keeps the raw one for the
// Lease. The gate is asked at the moment each write is handed to the port below (no await between
// the check and the send), so a replica whose renew deadline has just passed refuses the very next
// write, whatever the reconciler decided a moment earlier. Reads and watches always pass: followers
// keep their caches and keys warm to take over quickly.
import type { Logger } from "../log.ts";
import { KubeApiError, type GetOptions, type KubeObject, type KubePort, type ListOptions, type ListPage, type PatchType, type Resource, type Selector, type WatchEvent, type WatchOptions, type WriteOptions } from "./port.ts";

/**
 * TokenRequest (serviceaccounts/<name>/token) passes while the gate is closed: it persists nothing
 * (the token is minted and returned, no object is stored), so two replicas asking for tokens cannot
 * conflict, and the Secret a provider fetch ends in is itself a gated write. Any other subresource
 * POST (evictions, bindings, ...) changes state and is refused.
 */
function persistsNothing(resource: Resource, subresource: string): boolean {
  return resource.group === "" && resource.plural === "serviceaccounts" && subresource === "token";
}

export class WriteGate implements KubePort {
  private readonly inner: KubePort;
  private readonly mayWrite: () => boolean;
  private readonly log: Logger | undefined;

  /** `log` gets one debug line per write let through (kind and name, never content). */
  constructor(inner: KubePort, mayWrite: () => boolean, log?: Logger) {
    this.inner = inner;
    this.mayWrite = mayWrite;
    this.log = log;
  }

  get(resource: Resource, namespace: string | undefined, name: string, options?: GetOptions): Promise<KubeObject | undefined> {
    return this.inner.get(resource, namespace, name, options);
  }

  list(resource: Resource, selector?: Selector): Promise<KubeObject[]> {
    return this.inner.list(resource, selector);
  }

  listPage(resource: Resource, options: ListOptions): Promise<ListPage> {
    return this.inner.listPage(resource, options);
  }

  watch(resource: Resource, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    return this.inner.watch(resource, options, onEvent);
  }

  create(resource: Resource, obj: KubeObject, options?: WriteOptions): Promise<KubeObject> {
    return this.send("create", resource, obj.metadata?.namespace, obj.metadata?.name, () => this.inner.create(resource, obj, options));
  }

  replace(resource: Resource, obj: KubeObject, options?: WriteOptions): Promise<KubeObject> {
    return this.send("update", resource, obj.metadata?.namespace, obj.metadata?.name, () => this.inner.replace(resource, obj, options));
  }

  replaceStatus(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    return this.send("update status of", resource, obj.metadata?.namespace, obj.metadata?.name, () => this.inner.replaceStatus(resource, obj));
  }

  patch(resource: Resource, namespace: string | undefined, name: string, patch: unknown, type: PatchType): Promise<KubeObject> {
    return this.send("patch", resource, namespace, name, () => this.inner.patch(resource, namespace, name, patch, type));
  }

  delete(resource: Resource, namespace: string | undefined, name: string): Promise<void> {
    return this.send("delete", resource, namespace, name, () => this.inner.delete(resource, namespace, name));
  }

  createSubresource(resource: Resource, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<KubeObject> {
    const send = () => this.inner.createSubresource(resource, namespace, name, subresource, body);
    return persistsNothing(resource, subresource) ? send() : this.send(`create ${subresource} of`, resource, namespace, name, send);
  }

  private async send<T>(verb: string, resource: Resource, namespace: string | undefined, name: string | undefined, request: () => Promise<T>): Promise<T> {
    if (!this.mayWrite()) {
      // Names the kind of write only: never the object's content.
      throw new KubeApiError(0, "NotLeader", `${verb} ${resource.plural} refused: this replica does not hold the leader lease`);
    }
    // Evidence for the split-brain test: a frozen process can still send, after it resumes, a write
    // it let through before; these lines show when each write was let through.
    this.log?.debug({ write: verb, resource: resource.plural, namespace, name }, "write admitted");
    return await request();
  }
}
