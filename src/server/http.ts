// HTTP listeners: the controller API (kubeseal's /v1/cert.pem, /v1/verify, /v1/rotate, /healthz) and,
// on its own address, /metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "../log.ts";
import type { ApiAnswer, SealingApi } from "./sealing-api.ts";

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

function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, answer: ApiAnswer): void {
  res.writeHead(answer.status, { "content-type": answer.contentType });
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

export interface ApiServerOptions {
  api: SealingApi;
  log: Logger;
  addr: string;
  /** Readiness: false until the controller has synced. */
  ready?: () => boolean;
  /** GET /v1/age-recipients (server/age-recipients.ts), when the age controllers run. */
  ageRecipients?: (query: URLSearchParams) => Promise<ApiAnswer>;
}

export function startApiServer(options: ApiServerOptions): Promise<Listening> {
  const { api, log } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const handle = async (): Promise<ApiAnswer> => {
      if (path === "/healthz") return { status: 200, contentType: "text/plain; charset=utf-8", body: "ok\n" };
      if (path === "/readyz") {
        const ok = options.ready?.() ?? true;
        return { status: ok ? 200 : 503, contentType: "text/plain; charset=utf-8", body: ok ? "ok\n" : "not ready\n" };
      }
      if (path === "/v1/cert.pem" && (req.method === "GET" || req.method === "HEAD")) return api.certificate();
      if (path === "/v1/age-recipients" && req.method === "GET" && options.ageRecipients) {
        return options.ageRecipients(new URL(req.url ?? "/", "http://localhost").searchParams);
      }
      if ((path === "/v1/verify" || path === "/v1/rotate") && req.method === "POST") {
        const body = await readBody(req);
        if (body === undefined) return { status: 413, contentType: "text/plain; charset=utf-8", body: "request body too large\n" };
        return path === "/v1/verify" ? await api.verify(body) : await api.rotate(body);
      }
      return { status: 404, contentType: "text/plain; charset=utf-8", body: "not found\n" };
    };
    handle().then(
      (answer) => {
        if (answer.status >= 400) log.info({ path, status: answer.status }, "API request refused");
        send(res, answer);
      },
      (err: unknown) => {
        log.error({ path, error: err instanceof Error ? err.message : String(err) }, "API request failed");
        send(res, { status: 500, contentType: "text/plain; charset=utf-8", body: "internal error\n" });
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
