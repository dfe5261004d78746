// An in-memory fake of our own KubePort for unit tests: objects keyed by resource, namespace and
// name, resourceVersion checks on replace (Conflict), a record of every call, and a switch that
// makes calls hang the way they do when the API server stops answering.
import { KubeApiError, type KubeObject, type KubePort, type ListPage, type Resource } from "../../src/kube/port.ts";

export interface Call {
  method: string;
  plural: string;
  name: string | undefined;
  /** Date.now() when the call was made (mockable), i.e. the request's start. */
  at?: number;
  /** The object sent (create/replace), for assertions on what was written. */
  body?: KubeObject;
}

export class FakeKubePort implements KubePort {
  readonly calls: Call[] = [];
  /** While true every call hangs (never answers); calls made meanwhile stay pending forever. */
  hang = false;
  /** Answers arrive this many ms after the call (setTimeout, so mockable). */
  latencyMs = 0;
  private readonly objects = new Map<string, KubeObject>();
  private version = 0;

  private key(resource: Resource, namespace: string | undefined, name: string): string {
    return `${resource.plural}/${namespace ?? ""}/${name}`;
  }

  private async answer<T>(call: Call, work: () => T): Promise<T> {
    this.calls.push({ ...call, at: Date.now() });
    if (this.hang) return await new Promise<never>(() => {});
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    return work();
  }

  stored(resource: Resource, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(this.key(resource, namespace, name));
  }

  get(resource: Resource, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    return this.answer({ method: "get", plural: resource.plural, name }, () => {
      const obj = this.objects.get(this.key(resource, namespace, name));
      return obj ? structuredClone(obj) : undefined;
    });
  }

  list(resource: Resource): Promise<KubeObject[]> {
    return this.answer({ method: "list", plural: resource.plural, name: undefined }, () =>
      [...this.objects.entries()].filter(([k]) => k.startsWith(`${resource.plural}/`)).map(([, v]) => structuredClone(v)),
    );
  }

  create(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    const name = obj.metadata?.name ?? "";
    return this.answer({ method: "create", plural: resource.plural, name, body: structuredClone(obj) }, () => {
      const key = this.key(resource, obj.metadata?.namespace, name);
      if (this.objects.has(key)) throw new KubeApiError(409, "AlreadyExists", `${resource.plural} ${name} exists`);
      return this.store(key, obj);
    });
  }

  replace(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    const name = obj.metadata?.name ?? "";
    return this.answer({ method: "replace", plural: resource.plural, name, body: structuredClone(obj) }, () => {
      const key = this.key(resource, obj.metadata?.namespace, name);
      const current = this.objects.get(key);
      if (!current) throw new KubeApiError(404, "NotFound", `${resource.plural} ${name} not found`);
      if (obj.metadata?.resourceVersion !== current.metadata?.resourceVersion) throw new KubeApiError(409, "Conflict", "stale resourceVersion");
      return this.store(key, obj);
    });
  }

  replaceStatus(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    return this.answer({ method: "replaceStatus", plural: resource.plural, name: obj.metadata?.name }, () => structuredClone(obj));
  }

  patch(resource: Resource, _namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.answer({ method: "patch", plural: resource.plural, name }, () => ({ metadata: { name } }));
  }

  delete(resource: Resource, namespace: string | undefined, name: string): Promise<void> {
    return this.answer({ method: "delete", plural: resource.plural, name }, () => {
      this.objects.delete(this.key(resource, namespace, name));
    });
  }

  createSubresource(resource: Resource, _namespace: string | undefined, name: string, subresource: string): Promise<KubeObject> {
    return this.answer({ method: `create/${subresource}`, plural: resource.plural, name }, () => ({ kind: "TokenRequest" }));
  }

  listPage(resource: Resource): Promise<ListPage> {
    this.calls.push({ method: "listPage", plural: resource.plural, name: undefined });
    return Promise.resolve({ items: [...this.objects.values()].filter((o) => o.kind === resource.kind).map((o) => structuredClone(o)), resourceVersion: String(this.version) });
  }

  watch(resource: Resource): Promise<void> {
    this.calls.push({ method: "watch", plural: resource.plural, name: undefined });
    return Promise.resolve();
  }

  private store(key: string, obj: KubeObject): KubeObject {
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.version) } });
    this.objects.set(key, stored);
    return structuredClone(stored);
  }
}
