// The KubePort over @kubernetes/client-node: its KubeConfig for auth and TLS, its Watch/ListWatch
// for informers (reconnects, 410 Gone relists), and plain JSON requests through the same transport.
import {
  HttpMethod,
  KubeConfig,
  ListWatch,
  RequestContext,
  Watch,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { fetch } from "undici";
import {
  KubeApiError,
  reasonForStatus,
  resourcePath,
  type Informer,
  type InformerHandlers,
  type KubeErrorReason,
  type KubeObject,
  type KubePort,
  type PatchType,
  type Resource,
  type Selector,
} from "./port.ts";

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
};

const KNOWN_REASONS = new Set<KubeErrorReason>([
  "NotFound",
  "AlreadyExists",
  "Conflict",
  "Invalid",
  "Forbidden",
  "Unauthorized",
  "TooManyRequests",
]);

export interface KubeConfigSource {
  /** Path of a kubeconfig file; otherwise KUBECONFIG / ~/.kube/config / in-cluster. */
  kubeconfigPath?: string;
  context?: string;
}

/** Loads the kubeconfig the way kubectl does, or returns undefined when no cluster is configured. */
export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig | undefined {
  const kc = new KubeConfig();
  if (source.kubeconfigPath) kc.loadFromFile(source.kubeconfigPath);
  else kc.loadFromDefault();
  if (source.context) kc.setCurrentContext(source.context);
  return kc.getCurrentCluster() ? kc : undefined;
}

export class ClientNodeKube implements KubePort {
  readonly kubeConfig: KubeConfig;
  private readonly server: string;
  private readonly watcher: Watch;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    this.kubeConfig = kubeConfig;
    this.server = cluster.server.replace(/\/+$/, "");
    this.watcher = new Watch(kubeConfig);
  }

  /** One JSON request; non-2xx answers become KubeApiError with the server's Status message. */
  async request(method: HttpMethod, path: string, body?: unknown, contentType = "application/json"): Promise<unknown> {
    const url = `${this.server}${path}`;
    const ctx = new RequestContext(url, method);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = { ...ctx.getHeaders(), accept: "application/json" };
    if (body !== undefined) headers["content-type"] = contentType;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(dispatcherOf(ctx)),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new KubeApiError(0, "Unavailable", `${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await response.text();
    if (response.ok) return text ? JSON.parse(text) : undefined;
    throw toApiError(response.status, method, path, text);
  }

  async get(resource: Resource, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return (await this.request(HttpMethod.GET, resourcePath(resource, namespace, name))) as KubeObject;
    } catch (err) {
      if (err instanceof KubeApiError && err.reason === "NotFound") return undefined;
      throw err;
    }
  }

  async list(resource: Resource, selector: Selector = {}): Promise<KubeObject[]> {
    return asPlain((await this.listObject(resource, selector)).items);
  }

  private async listObject(resource: Resource, selector: Selector): Promise<KubernetesListObject<KubernetesObject>> {
    const query = new URLSearchParams();
    if (selector.labelSelector) query.set("labelSelector", selector.labelSelector);
    if (selector.fieldSelector) query.set("fieldSelector", selector.fieldSelector);
    const qs = query.size ? `?${query.toString()}` : "";
    const list = (await this.request(HttpMethod.GET, `${resourcePath(resource, selector.namespace)}${qs}`)) as KubernetesListObject<KubernetesObject>;
    return { ...list, items: list.items ?? [] };
  }

  async create(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    return (await this.request(HttpMethod.POST, resourcePath(resource, obj.metadata?.namespace), obj)) as KubeObject;
  }

  async replace(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    return (await this.request(HttpMethod.PUT, resourcePath(resource, obj.metadata?.namespace, requireName(obj)), obj)) as KubeObject;
  }

  async replaceStatus(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    const path = resourcePath(resource, obj.metadata?.namespace, requireName(obj), "status");
    return (await this.request(HttpMethod.PUT, path, obj)) as KubeObject;
  }

  async patch(resource: Resource, namespace: string | undefined, name: string, patch: unknown, type: PatchType): Promise<KubeObject> {
    const path = resourcePath(resource, namespace, name);
    return (await this.request(HttpMethod.PATCH, path, patch, PATCH_CONTENT_TYPE[type])) as KubeObject;
  }

  async createSubresource(resource: Resource, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<KubeObject> {
    return (await this.request(HttpMethod.POST, resourcePath(resource, namespace, name, subresource), body)) as KubeObject;
  }

  async delete(resource: Resource, namespace: string | undefined, name: string): Promise<void> {
    try {
      await this.request(HttpMethod.DELETE, resourcePath(resource, namespace, name));
    } catch (err) {
      if (!(err instanceof KubeApiError && err.reason === "NotFound")) throw err;
    }
  }

  informer(resource: Resource, selector: Selector, handlers: InformerHandlers): Informer {
    const listFn = () => this.listObject(resource, selector);
    const path = resourcePath(resource, selector.namespace);
    const informer = new ListWatch<KubernetesObject>(path, this.watcher, listFn, false, selector.labelSelector, selector.fieldSelector);
    if (handlers.onAdd) informer.on("add", (o) => handlers.onAdd?.(asPlain(o)));
    if (handlers.onUpdate) informer.on("update", (o) => handlers.onUpdate?.(asPlain(o)));
    if (handlers.onDelete) informer.on("delete", (o) => handlers.onDelete?.(asPlain(o)));
    informer.on("error", (err: unknown) => {
      if (stopped) return; // stop() aborts the watch; that is not a failure
      handlers.onError?.(err);
      // ListWatch stops on error; restart it after a pause (level-triggered: a relist heals all).
      setTimeout(() => {
        if (!stopped) informer.start().catch((e: unknown) => handlers.onError?.(e));
      }, 1000).unref();
    });
    let stopped = false;
    return {
      // Resolves once the first list has succeeded (the cache is synced); failed lists are retried.
      start: async () => {
        await informer.start();
        while (!stopped && informer.latestResourceVersion() === "") {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      stop: async () => {
        stopped = true;
        await informer.stop();
      },
      get: (name, namespace) => {
        const obj = informer.get(name, namespace);
        return obj ? asPlain(obj) : undefined;
      },
      list: (namespace) => asPlain(informer.list(namespace)),
    };
  }
}

/**
 * client-node types objects with `Date` timestamps, but its watch and our list hand over the JSON
 * the server sent, with timestamps as strings: this only corrects the static type.
 */
function asPlain(obj: KubernetesObject): KubeObject;
function asPlain(objs: readonly KubernetesObject[]): KubeObject[];
function asPlain(value: KubernetesObject | readonly KubernetesObject[]): KubeObject | KubeObject[] {
  return value as unknown as KubeObject | KubeObject[];
}

function dispatcherOf(ctx: RequestContext): { dispatcher?: NonNullable<ReturnType<RequestContext["getDispatcher"]>> } {
  const dispatcher = ctx.getDispatcher();
  return dispatcher ? { dispatcher } : {};
}

function requireName(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new KubeApiError(422, "Invalid", "object has no metadata.name");
  return name;
}

function toApiError(status: number, method: string, path: string, body: string): KubeApiError {
  let reason = reasonForStatus(status);
  let message = `${method} ${path}: HTTP ${status}`;
  try {
    const parsed = JSON.parse(body) as { reason?: string; message?: string };
    if (typeof parsed.reason === "string" && KNOWN_REASONS.has(parsed.reason as KubeErrorReason)) {
      reason = parsed.reason as KubeErrorReason;
    }
    if (typeof parsed.message === "string") message = `${message}: ${parsed.message}`;
  } catch {
    // not a Status object; the HTTP code is all we know
  }
  return new KubeApiError(status, reason, message);
}
