// The small Kubernetes client port the controller uses. Objects are plain JSON as the API server
// sends them; parsing into typed values happens in src/api. The adapter is src/kube/http-kube.ts
// (src/kube/client-node-adapter.ts authenticates it with a client-node KubeConfig); tests may use
// an in-memory fake of this port.

import type { Resource } from "../api/resource.ts";

export type { Resource } from "../api/resource.ts";

import type { ObjectMeta } from "../api/meta.ts";

export type { ObjectMeta, OwnerReference } from "../api/meta.ts";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface Selector {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListOptions extends Selector {
  /** Page size (the API server's `limit`); the next page starts at `continue`. */
  limit?: number;
  continue?: string;
  /** List PartialObjectMetadata (metadata only, no data or spec) instead of full objects. */
  metadataOnly?: boolean;
}

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

export interface WatchOptions extends Selector {
  resourceVersion: string;
  metadataOnly?: boolean;
  /** Server-side end of the watch (it is re-opened from the last version seen). */
  timeoutSeconds: number;
  signal: AbortSignal;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubeObject;
}

export type PatchType = "merge" | "json";

export interface GetOptions {
  /** Keep metadata.managedFields (dropped by default: only a reader of field ownership needs them). */
  managedFields?: boolean;
}

export interface WriteOptions {
  /** The field manager the API server records for what this write changes (metadata.managedFields). */
  fieldManager?: string;
}

export interface KubePort {
  get(resource: Resource, namespace: string | undefined, name: string, options?: GetOptions): Promise<KubeObject | undefined>;
  /** Every object (all pages). */
  list(resource: Resource, selector?: Selector): Promise<KubeObject[]>;
  /** One page of a list, for informers that must not hold a whole list response at once. */
  listPage(resource: Resource, options: ListOptions): Promise<ListPage>;
  /** Streams watch events until the server ends the watch, the signal aborts or the stream fails. */
  watch(resource: Resource, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void>;
  create(resource: Resource, obj: KubeObject, options?: WriteOptions): Promise<KubeObject>;
  /** Full update guarded by metadata.resourceVersion (a stale version fails with Conflict). */
  replace(resource: Resource, obj: KubeObject, options?: WriteOptions): Promise<KubeObject>;
  replaceStatus(resource: Resource, obj: KubeObject): Promise<KubeObject>;
  patch(resource: Resource, namespace: string | undefined, name: string, patch: unknown, type: PatchType): Promise<KubeObject>;
  delete(resource: Resource, namespace: string | undefined, name: string): Promise<void>;
  /** POST to a subresource, e.g. serviceaccounts/<name>/token (TokenRequest). */
  createSubresource(resource: Resource, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<KubeObject>;
}

export type KubeErrorReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "Forbidden"
  | "Unauthorized"
  | "TooManyRequests"
  /** 410 Gone: a watch or list continue token older than etcd's compaction; relist. */
  | "Expired"
  | "Timeout"
  | "ServerError"
  | "Unavailable"
  /** Refused before sending: this replica does not hold the leader Lease (the leader gate in src/kube/http-kube.ts). */
  | "NotLeader";

/** An API call that failed, classified by the status code and the Status reason the server sent. */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  readonly status: number;
  readonly reason: KubeErrorReason;
  readonly retryable: boolean;

  constructor(status: number, reason: KubeErrorReason, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.retryable = reason === "Conflict" || reason === "TooManyRequests" || reason === "ServerError" || reason === "Unavailable" || reason === "Timeout" || reason === "Expired" || reason === "NotLeader";
  }
}

export function reasonForStatus(status: number): KubeErrorReason {
  switch (status) {
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 422:
      return "Invalid";
    case 403:
      return "Forbidden";
    case 401:
      return "Unauthorized";
    case 429:
      return "TooManyRequests";
    case 410:
      return "Expired";
    default:
      return status >= 500 ? "ServerError" : "Invalid";
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.reason === "NotFound";
}

export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && (err.reason === "Conflict" || err.reason === "AlreadyExists");
}

export function apiVersionOf(resource: Resource): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

/** The REST path of a collection or one object. */
export function resourcePath(resource: Resource, namespace?: string, name?: string, subresource?: string): string {
  const base = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const item = name === undefined ? "" : `/${encodeURIComponent(name)}`;
  const sub = subresource ? `/${subresource}` : "";
  return `${base}${ns}/${resource.plural}${item}${sub}`;
}
