// The KubePort over plain HTTP (node:https) on a KubeConnection: JSON requests with a timeout each,
// writes through a token bucket and then the leader gate, paginated lists, metadata-only lists and watches
// (PartialObjectMetadata, as controller-runtime's metadata client asks for them), and managedFields
// dropped from every object on the way in (the controller never reads them; they are a large share
// of each object's size).
import { request as httpRequest } from "node:http";
import type { ClientHttp2Session } from "node:http2";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import type { Logger } from "../log.ts";
import type { KubeConnection } from "./connection.ts";
import { Http2Client } from "./http2-client.ts";
import {
  KubeApiError,
  reasonForStatus,
  resourcePath,
  type GetOptions,
  type KubeErrorReason,
  type KubeObject,
  type KubePort,
  type ListOptions,
  type ListPage,
  type PatchType,
  type Resource,
  type Selector,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from "./port.ts";
import { intern } from "./intern.ts";
import { TokenBucket } from "./rate-limit.ts";

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
};

const KNOWN_REASONS = new Set<KubeErrorReason>(["NotFound", "AlreadyExists", "Conflict", "Invalid", "Forbidden", "Unauthorized", "TooManyRequests", "Expired", "Timeout"]);

const METADATA_LIST_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
const METADATA_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

export interface HttpKubeOptions {
  /** Bound on every request that is not a watch (ms). */
  requestTimeoutMs?: number;
  /** Writes per second across the process (0: unlimited) and the burst allowed above it. */
  writeQps?: number;
  writeBurst?: number;
  /** Objects per list page. */
  pageSize?: number;
  /** Sent as User-Agent (audit logs tell replicas apart by it). */
  userAgent?: string;
  /**
   * The leader gate (with --leader-elect, the elector's mayWrite): asked at the moment a write
   * leaves, after the rate limit and the auth headers, with no await between the check and the
   * send; false refuses it with NotLeader. So a leader past its renew deadline sends nothing more,
   * not even a write that was decided, or waited in the rate limiter, while it still led. Reads and
   * watches always pass (followers keep their caches warm), and so does TokenRequest (see
   * persistsNothing). Every KubePort the controller writes through ends here (ClientNodeKube, the
   * exec/auth-provider users' adapter, is this class too).
   */
  mayWrite?: () => boolean;
  /** Gets one debug line per gated write let through (kind and name, never content). */
  log?: Logger;
  /**
   * HTTP/2 to an https server (default true): one connection for every request but watches
   * (http2-client.ts); a server that offers only HTTP/1.1 gets that. false: HTTP/1.1 with a
   * keep-alive agent, a connection per request in flight. Watches use HTTP/1.1 either way.
   */
  http2?: boolean;
}

/** An answer's status and body, over HTTP/1.1 or HTTP/2 alike. */
interface Answer {
  statusCode: number;
  body: Readable;
}

/** A write as the gate names it: what is done to which object (never its content). */
interface Write {
  verb: string;
  /** The resource's plural (or, for a raw request, its path). */
  plural: string;
  namespace: string | undefined;
  name: string | undefined;
}

/**
 * TokenRequest (serviceaccounts/<name>/token) passes a closed gate: it persists nothing (the token is
 * minted and returned, no object is stored), so two replicas asking for tokens cannot conflict, and
 * the Secret a provider fetch ends in is itself a gated write. Any other subresource POST
 * (evictions, bindings, ...) changes state and is refused.
 */
function persistsNothing(resource: Resource, subresource: string): boolean {
  return resource.group === "" && resource.plural === "serviceaccounts" && subresource === "token";
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_PAGE_SIZE = 500;

/**
 * Removes what no reader needs from an object as it arrives (in place). The metadata is rebuilt
 * rather than `delete`d from: a deleted property turns a V8 object into a hash table, which costs
 * each cached object about twice the memory of a copy without the field.
 */
export function trimIncoming(obj: KubeObject): KubeObject {
  if (obj.metadata?.managedFields !== undefined) {
    const { managedFields, ...metadata } = obj.metadata;
    obj.metadata = metadata;
  }
  internMetadata(obj);
  return obj;
}

/** Shares the metadata strings that repeat across objects (see intern.ts); in place, same shape. */
function internMetadata(obj: KubeObject): void {
  if (obj.apiVersion !== undefined) obj.apiVersion = intern(obj.apiVersion);
  if (obj.kind !== undefined) obj.kind = intern(obj.kind);
  const meta = obj.metadata;
  if (!meta) return;
  if (meta.namespace !== undefined) meta.namespace = intern(meta.namespace);
  if (meta.creationTimestamp !== undefined) meta.creationTimestamp = intern(meta.creationTimestamp);
  for (const ref of meta.ownerReferences ?? []) {
    ref.apiVersion = intern(ref.apiVersion);
    ref.kind = intern(ref.kind);
    // A Secret is usually named after its owner: one string for both.
    if (ref.name === meta.name && meta.name !== undefined) ref.name = meta.name;
  }
}

export class HttpKube implements KubePort {
  readonly writes: TokenBucket;
  private readonly connection: Promise<KubeConnection>;
  private readonly timeoutMs: number;
  private readonly pageSize: number;
  private readonly userAgent: string;
  private readonly mayWrite: (() => boolean) | undefined;
  private readonly log: Logger | undefined;
  private readonly useHttp2: boolean;
  /** undefined: not decided yet; null: HTTP/1.1 through the connection's agent. */
  private http2: Http2Client | null | undefined;
  /** API requests made, by verb (metrics, benchmarks). */
  readonly requests: Record<string, number> = {};

  constructor(connection: KubeConnection | Promise<KubeConnection>, options: HttpKubeOptions = {}) {
    this.connection = Promise.resolve(connection);
    this.connection.catch(() => undefined); // reported by the first request
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.userAgent = options.userAgent ?? "sealbridge";
    this.writes = new TokenBucket({ qps: options.writeQps ?? 0, burst: options.writeBurst ?? 1 });
    this.mayWrite = options.mayWrite;
    this.log = options.log;
    this.useHttp2 = options.http2 ?? true;
  }

  async close(): Promise<void> {
    if (this.http2) this.http2.close();
    await (await this.connection).close();
  }

  /**
   * Sends one request and hands its answer to `read`, called as the answer's headers arrive (the
   * body's reader is attached in that turn, over HTTP/1.1 and HTTP/2 alike). `write`: the gate's
   * view of a mutating request (undefined for reads and ungated writes).
   */
  private async send<T>(method: string, path: string, init: { body?: unknown; contentType?: string; accept?: string; signal: AbortSignal; write?: Write; watch?: boolean }, read: (answer: Answer) => Promise<T>): Promise<T> {
    const connection = await this.connection;
    if (method !== "GET") await this.writes.take();
    const payload = init.body === undefined ? undefined : Buffer.from(JSON.stringify(init.body));
    const headers: Record<string, string | number | string[]> = {
      ...(await connection.authHeaders()),
      accept: init.accept ?? "application/json",
      "user-agent": this.userAgent,
    };
    if (payload) {
      headers["content-type"] = init.contentType ?? "application/json";
      headers["content-length"] = payload.length;
    }
    // Watches keep a connection of their own (see http2-client.ts). The HTTP/2 session is taken
    // before the gate: nothing is awaited between the gate and the request leaving.
    const h2 = init.watch ? undefined : this.http2For(connection);
    let session: ClientHttp2Session | undefined;
    if (h2) {
      let taken: ClientHttp2Session | "http/1.1";
      try {
        taken = await h2.take(init.signal);
      } catch (err) {
        throw this.sendError(method, path, init.signal, err);
      }
      if (taken === "http/1.1") this.http2 = null; // the server speaks HTTP/1.1 only: from now on, the agent
      else session = taken;
    }
    const write = init.write;
    if (write && this.mayWrite) {
      // The last moment: nothing is awaited from here to the request leaving.
      if (!this.mayWrite()) {
        // Names the kind of write only: never the object's content.
        throw new KubeApiError(0, "NotLeader", `${write.verb} ${write.plural} refused: this replica does not hold the leader lease`);
      }
      // Evidence for the split-brain test: a frozen process can still send, after it resumes, a
      // write it let through before; these lines show when each write was let through.
      this.log?.debug({ write: write.verb, resource: write.plural, namespace: write.namespace, name: write.name }, "write admitted");
    }
    this.requests[method] = (this.requests[method] ?? 0) + 1;
    if (h2 && session) {
      // As over HTTP/1.1 below: a failed send becomes a KubeApiError, what `read` throws passes as it is.
      return await h2.request(session, { ...headers, ":method": method, ":path": path }, payload, init.signal, read, (err) => this.sendError(method, path, init.signal, err));
    }
    const url = new URL(`${connection.server}${path}`);
    const request = url.protocol === "http:" ? httpRequest : httpsRequest;
    return await new Promise<T>((resolve, reject) => {
      const req = request(url, { method, headers, agent: connection.agent, signal: init.signal }, (res) => resolve(read({ statusCode: res.statusCode ?? 0, body: res })));
      req.on("error", (err) => reject(this.sendError(method, path, init.signal, err)));
      req.end(payload);
    });
  }

  private sendError(method: string, path: string, signal: AbortSignal, err: unknown): KubeApiError {
    if (signal.aborted) return new KubeApiError(0, "Timeout", `${method} ${path}: no answer within ${this.timeoutMs} ms`);
    const message = err instanceof Error ? err.message : String(err);
    return new KubeApiError(0, (err as { code?: unknown } | undefined)?.code === "ETIMEDOUT" ? "Timeout" : "Unavailable", `${method} ${path}: ${message}`);
  }

  /** The HTTP/2 client for an https server (undefined: HTTP/1.1, for http servers or when turned off). */
  private http2For(connection: KubeConnection): Http2Client | undefined {
    if (this.http2 === undefined) this.http2 = this.useHttp2 && connection.tls ? new Http2Client(connection.server, connection.tls, this.timeoutMs) : null;
    return this.http2 ?? undefined;
  }

  /** One JSON request (tests, tools); a write passes the gate like any other, named by its path. */
  request(method: string, path: string, body?: unknown, contentType?: string, accept?: string): Promise<unknown> {
    const write = method === "GET" ? undefined : { verb: method, plural: path, namespace: undefined, name: undefined };
    return this.call(method, path, { body, ...(contentType ? { contentType } : {}), ...(accept ? { accept } : {}), ...(write ? { write } : {}) });
  }

  /** One JSON request; non-2xx answers become KubeApiError with the server's Status message. */
  private async call(method: string, path: string, init: { body?: unknown; contentType?: string; accept?: string; write?: Write } = {}): Promise<unknown> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    return this.send(method, path, { ...init, signal }, async (response) => {
      let text: string;
      try {
        text = await readAll(response.body);
      } catch (err) {
        throw new KubeApiError(0, signal.aborted ? "Timeout" : "Unavailable", `${method} ${path}: ${signal.aborted ? `response not read within ${this.timeoutMs} ms` : `response cut short (${err instanceof Error ? err.message : "error"})`}`);
      }
      const status = response.statusCode;
      if (status >= 200 && status < 300) return text ? (JSON.parse(text) as unknown) : undefined;
      throw toApiError(status, method, path, text);
    });
  }

  async get(resource: Resource, namespace: string | undefined, name: string, options: GetOptions = {}): Promise<KubeObject | undefined> {
    try {
      const obj = (await this.call("GET", resourcePath(resource, namespace, name))) as KubeObject;
      return options.managedFields ? obj : trimIncoming(obj);
    } catch (err) {
      if (err instanceof KubeApiError && err.reason === "NotFound") return undefined;
      throw err;
    }
  }

  async listPage(resource: Resource, options: ListOptions): Promise<ListPage> {
    const query = selectorQuery(options);
    query.set("limit", String(options.limit ?? this.pageSize));
    if (options.continue) query.set("continue", options.continue);
    const list = (await this.call("GET", `${resourcePath(resource, options.namespace)}?${query.toString()}`, options.metadataOnly ? { accept: METADATA_LIST_ACCEPT } : {})) as {
      items?: KubeObject[] | null;
      metadata?: { resourceVersion?: string; continue?: string };
    };
    const items = (list.items ?? []).map(trimIncoming);
    const next = list.metadata?.continue;
    return { items, resourceVersion: list.metadata?.resourceVersion ?? "", ...(next ? { continue: next } : {}) };
  }

  async list(resource: Resource, selector: Selector = {}): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.listPage(resource, { ...selector, ...(token ? { continue: token } : {}) });
      out.push(...page.items);
      token = page.continue;
    } while (token);
    return out;
  }

  async watch(resource: Resource, options: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<void> {
    const query = selectorQuery(options);
    query.set("watch", "1");
    query.set("resourceVersion", options.resourceVersion);
    query.set("allowWatchBookmarks", "true");
    query.set("timeoutSeconds", String(options.timeoutSeconds));
    const path = `${resourcePath(resource, options.namespace)}?${query.toString()}`;
    await this.send("GET", path, { signal: options.signal, watch: true, ...(options.metadataOnly ? { accept: METADATA_ACCEPT } : {}) }, (response) => this.readWatch(path, response, options.signal, onEvent));
  }

  /** A watch's answer: one JSON event per line, for the life of the stream. */
  private async readWatch(path: string, response: Answer, signal: AbortSignal, onEvent: (event: WatchEvent) => void): Promise<void> {
    const status = response.statusCode;
    if (status < 200 || status >= 300) throw toApiError(status, "WATCH", path, await readAll(response.body).catch(() => ""));
    let buffered = "";
    try {
      await readChunks(response.body, (chunk) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim() === "") continue;
          const event = JSON.parse(line) as WatchEvent;
          if (event.type === "ERROR") {
            const failure = event.object as { code?: number };
            throw toApiError(failure.code ?? 500, "WATCH", path, JSON.stringify(event.object));
          }
          trimIncoming(event.object);
          onEvent(event);
        }
      });
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof KubeApiError) throw err;
      throw new KubeApiError(0, "Unavailable", `WATCH ${path}: stream failed (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  async create(resource: Resource, obj: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const write = { verb: "create", plural: resource.plural, namespace: obj.metadata?.namespace, name: obj.metadata?.name };
    return trimIncoming((await this.call("POST", resourcePath(resource, obj.metadata?.namespace) + writeQuery(options), { body: obj, write })) as KubeObject);
  }

  async replace(resource: Resource, obj: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const write = { verb: "update", plural: resource.plural, namespace: obj.metadata?.namespace, name: obj.metadata?.name };
    return trimIncoming((await this.call("PUT", resourcePath(resource, obj.metadata?.namespace, requireName(obj)) + writeQuery(options), { body: obj, write })) as KubeObject);
  }

  async replaceStatus(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    const write = { verb: "update status of", plural: resource.plural, namespace: obj.metadata?.namespace, name: obj.metadata?.name };
    return trimIncoming((await this.call("PUT", resourcePath(resource, obj.metadata?.namespace, requireName(obj), "status"), { body: obj, write })) as KubeObject);
  }

  async patch(resource: Resource, namespace: string | undefined, name: string, patch: unknown, type: PatchType): Promise<KubeObject> {
    const write = { verb: "patch", plural: resource.plural, namespace, name };
    return trimIncoming((await this.call("PATCH", resourcePath(resource, namespace, name), { body: patch, contentType: PATCH_CONTENT_TYPE[type], write })) as KubeObject);
  }

  async createSubresource(resource: Resource, namespace: string | undefined, name: string, subresource: string, body: unknown): Promise<KubeObject> {
    const write = persistsNothing(resource, subresource) ? undefined : { verb: `create ${subresource} of`, plural: resource.plural, namespace, name };
    return (await this.call("POST", resourcePath(resource, namespace, name, subresource), { body, ...(write ? { write } : {}) })) as KubeObject;
  }

  async delete(resource: Resource, namespace: string | undefined, name: string): Promise<void> {
    try {
      await this.call("DELETE", resourcePath(resource, namespace, name), { write: { verb: "delete", plural: resource.plural, namespace, name } });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.reason === "NotFound")) throw err;
    }
  }
}

function writeQuery(options: WriteOptions): string {
  return options.fieldManager ? `?${new URLSearchParams({ fieldManager: options.fieldManager }).toString()}` : "";
}

function selectorQuery(selector: Selector): URLSearchParams {
  const query = new URLSearchParams();
  if (selector.labelSelector) query.set("labelSelector", selector.labelSelector);
  if (selector.fieldSelector) query.set("fieldSelector", selector.fieldSelector);
  return query;
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
    if (typeof parsed.reason === "string" && KNOWN_REASONS.has(parsed.reason as KubeErrorReason)) reason = parsed.reason as KubeErrorReason;
    if (typeof parsed.message === "string") message = `${message}: ${parsed.message.slice(0, 1000)}`;
  } catch {
    // not a Status object; the HTTP code is all we know
  }
  return new KubeApiError(status, reason, message);
}

async function readAll(body: Readable): Promise<string> {
  let text = "";
  await readChunks(body, (chunk) => (text += chunk));
  return text;
}

/**
 * Feeds a body's text to `onChunk` as it arrives (events, not an async iterator: an HTTP/2 stream
 * read through its iterator could report an answer read to its end as closed early). Rejects when
 * the body fails, closes before its end, or `onChunk` throws (the body is then destroyed).
 */
function readChunks(body: Readable, onChunk: (chunk: string) => void): Promise<void> {
  body.setEncoding("utf8");
  return new Promise<void>((resolve, reject) => {
    body.on("data", (chunk: string) => {
      try {
        onChunk(chunk);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        body.destroy();
      }
    });
    body.once("end", () => resolve());
    body.once("error", (err: Error) => reject(err));
    body.once("close", () => {
      if (!body.readableEnded) reject(new Error("closed before the end of the answer"));
    });
  });
}
