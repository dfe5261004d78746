// The process-level HTTP listeners, whichever reconcilers run: the controller API (kubeseal's
// /v1/cert.pem, /v1/verify, /v1/rotate; /v1/age-recipients, /v1/age-verify, /v1/age-rotate; probes
// /healthz and /readyz) and, on its
// own address, /metrics. Routes of a disabled feature answer 404 with a reason.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "../log.ts";
import { clientOf, RequestAdmission, type AdmissionLimits } from "./admission.ts";
import type { ApiAnswer } from "./answer.ts";

const MAX_BODY_BYTES = 2 << 20;

export interface Listening {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** ":8080" → all interfaces; "127.0.0.1:0" → loopback, any port. */
export function parseListenAddr(addr: string): { host?: string; port: number } {
  const at = addr.lastIndexOf(":");
  const host = at < 0 ? "" : addr.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  const port = Number(at < 0 ? addr : addr.slice(at + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid listen address "${addr}"`);
  return host ? { host, port } : { port };
}

type Body = { kind: "ok"; bytes: Uint8Array } | { kind: "tooLarge" };

/** Reads a request body up to the limit; a declared or streamed size past it stops reading at once. */
function readBody(req: IncomingMessage): Promise<Body> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return Promise.resolve({ kind: "tooLarge" });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.off("data", onData);
        req.pause();
        resolve({ kind: "tooLarge" });
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => resolve({ kind: "ok", bytes: Buffer.concat(chunks) }));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, answer: ApiAnswer, close = false): void {
  res.writeHead(answer.status, {
    "content-type": answer.contentType,
    ...(close ? { connection: "close" } : {}),
    ...(answer.retryAfterSeconds !== undefined ? { "retry-after": String(answer.retryAfterSeconds) } : {}),
  });
  res.end(answer.body);
}

async function listen(server: Server, addr: string): Promise<Listening> {
  const { host, port } = parseListenAddr(addr);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The API's handlers; each is present when its feature runs (SealingApi has the first three). */
export interface ApiHandlers {
  certificate?: () => ApiAnswer | Promise<ApiAnswer>;
  verify?: (body: Uint8Array) => Promise<ApiAnswer>;
  rotate?: (body: Uint8Array, query: URLSearchParams) => Promise<ApiAnswer>;
  /** GET /v1/age-recipients, when the age controllers run. */
  ageRecipients?: (query: URLSearchParams) => Promise<ApiAnswer>;
  /** POST /v1/age-verify and /v1/age-rotate (sealbridge reseal), when the age controllers run. */
  ageVerify?: (body: Uint8Array) => Promise<ApiAnswer>;
  ageRotate?: (body: Uint8Array, query: URLSearchParams) => Promise<ApiAnswer>;
}

export interface ApiServerOptions {
  handlers: ApiHandlers;
  log: Logger;
  addr: string;
  /** Readiness: false until keys are loaded and the caches have synced. */
  ready?: () => boolean;
  /** Caps for /v1/verify and /v1/rotate (defaults: DEFAULT_ADMISSION_LIMITS). */
  admission?: Partial<AdmissionLimits>;
}

const TEXT = "text/plain; charset=utf-8";

function disabled(what: string): ApiAnswer {
  return { status: 404, contentType: TEXT, body: `${what} is not served: its reconciler is disabled\n` };
}

export function startApiServer(options: ApiServerOptions): Promise<Listening> {
  const { handlers, log } = options;
  const admission = new RequestAdmission(options.admission);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    let close = false;
    const handle = async (): Promise<ApiAnswer> => {
      if (path === "/healthz") return { status: 200, contentType: TEXT, body: "ok\n" };
      if (path === "/readyz") {
        const ok = options.ready?.() ?? true;
        return { status: ok ? 200 : 503, contentType: TEXT, body: ok ? "ok\n" : "not ready\n" };
      }
      if (path === "/v1/cert.pem" && (req.method === "GET" || req.method === "HEAD")) {
        return handlers.certificate ? handlers.certificate() : disabled("/v1/cert.pem (SealedSecrets)");
      }
      if (path === "/v1/age-recipients" && req.method === "GET") {
        return handlers.ageRecipients ? handlers.ageRecipients(new URL(req.url ?? "/", "http://localhost").searchParams) : disabled("/v1/age-recipients (AgeSecrets and SopsSecrets)");
      }
      const posted: Record<string, [((body: Uint8Array, query: URLSearchParams) => Promise<ApiAnswer>) | undefined, string]> = {
        "/v1/verify": [handlers.verify, "SealedSecrets"],
        "/v1/rotate": [handlers.rotate, "SealedSecrets"],
        "/v1/age-verify": [handlers.ageVerify, "AgeSecrets"],
        "/v1/age-rotate": [handlers.ageRotate, "AgeSecrets"],
      };
      const route = Object.hasOwn(posted, path) ? posted[path] : undefined;
      if (route !== undefined && req.method === "POST") {
        const [handler, feature] = route;
        if (!handler) return disabled(`${path} (${feature})`);
        const admitted = admission.admit(clientOf(req.headers["x-forwarded-for"], req.socket.remoteAddress));
        if (!admitted.admitted) {
          close = true;
          const why = admitted.why === "rate" ? "too many requests from this client" : "too many requests in flight";
          return { status: 429, contentType: TEXT, body: `${why}; retry after ${admitted.retryAfterSeconds}s\n`, retryAfterSeconds: admitted.retryAfterSeconds };
        }
        try {
          const body = await readBody(req);
          if (body.kind === "tooLarge") {
            close = true;
            return { status: 413, contentType: TEXT, body: `request body too large (limit ${MAX_BODY_BYTES} bytes)\n` };
          }
          return await handler(body.bytes, new URL(req.url ?? "/", "http://localhost").searchParams);
        } finally {
          admitted.release();
        }
      }
      return { status: 404, contentType: TEXT, body: "not found\n" };
    };
    handle().then(
      (answer) => {
        if (answer.status >= 400) log.info({ path, status: answer.status }, "API request refused");
        send(res, answer, close);
      },
      (err: unknown) => {
        log.error({ path, error: err instanceof Error ? err.message : String(err) }, "API request failed");
        send(res, { status: 500, contentType: TEXT, body: "internal error\n" });
      },
    );
  });
  return listen(server, options.addr);
}

export function startMetricsServer(options: { registry: Registry; addr: string }): Promise<Listening> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") return send(res, { status: 200, contentType: "text/plain; charset=utf-8", body: "ok\n" });
    if (path !== "/metrics") return send(res, { status: 404, contentType: "text/plain; charset=utf-8", body: "not found\n" });
    options.registry.metrics().then(
      (body) => send(res, { status: 200, contentType: options.registry.contentType, body }),
      () => send(res, { status: 500, contentType: "text/plain; charset=utf-8", body: "metrics failed\n" }),
    );
  });
  return listen(server, options.addr);
}

export interface ProcessServer {
  api: Listening;
  metrics: Listening;
  close(): Promise<void>;
}

/** The API and metrics listeners of the process, started once whatever reconcilers run. */
export async function startProcessServer(options: ApiServerOptions & { metricsAddr: string; registry: Registry }): Promise<ProcessServer> {
  const api = await startApiServer(options);
  try {
    const metrics = await startMetricsServer({ registry: options.registry, addr: options.metricsAddr });
    return { api, metrics, close: async () => void (await Promise.all([api.close(), metrics.close()])) };
  } catch (err) {
    await api.close();
    throw err;
  }
}
