// A small HTTPS client for the sandbox's kube-apiserver, used by the benchmark driver only: bulk
// creates, a watch that counts Secrets as they appear, and the API server's own request counters.
// Kept apart from src/kube so the driver's traffic does not depend on the controller's port code.
import { Agent, request } from "node:https";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";

export interface SandboxClient {
  server: string;
  host: string;
  port: number;
  /** PEM of the serving certificate (the kubeconfig's certificate-authority-data). */
  caPem: string;
  /** The admin bearer token (kept in memory; never printed). */
  token: string;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  close(): void;
}

interface Kubeconfig {
  clusters?: { cluster?: { server?: string; "certificate-authority-data"?: string } }[];
  users?: { user?: { token?: string } }[];
}

export async function sandboxClient(kubeconfigPath: string): Promise<SandboxClient> {
  const kc = parse(await readFile(kubeconfigPath, "utf8")) as Kubeconfig;
  const server = kc.clusters?.[0]?.cluster?.server;
  const caData = kc.clusters?.[0]?.cluster?.["certificate-authority-data"];
  const token = kc.users?.[0]?.user?.token;
  if (!server || !caData || !token) throw new Error(`${kubeconfigPath}: expected a server, CA data and a token`);
  const url = new URL(server);
  const caPem = Buffer.from(caData, "base64").toString("utf8");
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ca: caPem });
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { host: url.hostname, port: url.port, path, method, agent, headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(payload ? { "content-type": "application/json" } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  return { server, host: url.hostname, port: Number(url.port), caPem, token, call, close: () => agent.destroy() };
}

/** POSTs `count` objects made by `make(i)` to `path`, `concurrency` requests in flight; throws on the first non-2xx. */
export async function createAll(client: SandboxClient, path: string, count: number, make: (i: number) => unknown, concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const res = await client.call("POST", path, make(next++));
        if (res.status >= 300) throw new Error(`POST ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
      }
    }),
  );
}

/**
 * Watches the Secrets of one namespace and resolves when `count` distinct names have been seen
 * (ADDED), with the time the last one arrived. Starts from a list, so Secrets already there count.
 */
export async function watchSecretCount(client: SandboxClient, namespace: string): Promise<{ seen: () => number; reached(count: number): Promise<number>; close(): void }> {
  const names = new Set<string>();
  const waiters: { count: number; resolve: (at: number) => void }[] = [];
  const notify = () => {
    for (const w of [...waiters]) {
      if (names.size >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(Date.now());
      }
    }
  };
  let closed = false;
  let current: { destroy(): void } | undefined;
  // Metadata is all that is needed; names only, so a long list stays cheap in the driver.
  const list = async (): Promise<string> => {
    let cont = "";
    let rv = "";
    do {
      const res = await client.call("GET", `/api/v1/namespaces/${namespace}/secrets?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ""}`);
      const body = JSON.parse(res.body) as { metadata?: { continue?: string; resourceVersion?: string }; items?: { metadata?: { name?: string } }[] };
      for (const item of body.items ?? []) if (item.metadata?.name) names.add(item.metadata.name);
      cont = body.metadata?.continue ?? "";
      rv = body.metadata?.resourceVersion ?? rv;
    } while (cont);
    return rv;
  };
  const watch = (rv: string) => {
    if (closed) return;
    const url = new URL(client.server);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `/api/v1/namespaces/${namespace}/secrets?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`,
        ca: client.caPem,
        headers: { authorization: `Bearer ${client.token}`, accept: "application/json" },
      },
      (res) => {
        let buffered = "";
        let lastRv = rv;
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, nl);
            buffered = buffered.slice(nl + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type?: string; object?: { metadata?: { name?: string; resourceVersion?: string } } };
            if (ev.object?.metadata?.resourceVersion) lastRv = ev.object.metadata.resourceVersion;
            if (ev.type === "ADDED" && ev.object?.metadata?.name) names.add(ev.object.metadata.name);
            if (ev.type === "ERROR") lastRv = "";
          }
          notify();
        });
        // Watches end (timeout, compaction): pick up where this one stopped, or re-list.
        res.on("end", () => {
          if (closed) return;
          if (lastRv) watch(lastRv);
          else void list().then(watch);
        });
      },
    );
    req.on("error", () => {
      if (!closed) setTimeout(() => void list().then(watch), 500);
    });
    req.end();
    current = req;
  };
  watch(await list());
  notify();
  return {
    seen: () => names.size,
    reached: (count) =>
      new Promise<number>((resolve) => {
        waiters.push({ count, resolve });
        notify();
      }),
    close: () => {
      closed = true;
      current?.destroy();
    },
  };
}

export const WRITE_VERBS = new Set(["POST", "PUT", "PATCH", "DELETE", "APPLY", "DELETECOLLECTION"]);

/** apiserver_request_total summed by "VERB resource[/subresource]" (non-resource paths such as /metrics left out). */
export async function apiserverRequests(client: SandboxClient): Promise<Map<string, number>> {
  const res = await client.call("GET", "/metrics");
  if (res.status !== 200) throw new Error(`GET /metrics on the API server: HTTP ${res.status}`);
  const out = new Map<string, number>();
  for (const line of res.body.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const m = /^apiserver_request_total\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = new Map([...(m[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1] ?? "", x[2] ?? ""]));
    const resource = labels.get("resource");
    if (!resource) continue;
    const sub = labels.get("subresource");
    const key = `${labels.get("verb") ?? "?"} ${resource}${sub ? `/${sub}` : ""}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

/** The writes among `requests` (POST, PUT, PATCH, DELETE, APPLY). */
export function writesOf(requests: ReadonlyMap<string, number>): Map<string, number> {
  return new Map([...requests].filter(([k]) => WRITE_VERBS.has(k.split(" ")[0] ?? "")));
}

/** The reads among `requests` (GET, LIST, WATCH). */
export function readsOf(requests: ReadonlyMap<string, number>): Map<string, number> {
  return new Map([...requests].filter(([k]) => !WRITE_VERBS.has(k.split(" ")[0] ?? "")));
}

/** apiserver_request_total writes by "VERB resource[/subresource]". */
export async function apiserverWrites(client: SandboxClient): Promise<Map<string, number>> {
  return writesOf(await apiserverRequests(client));
}

/** after − before, keys with a zero difference left out. */
export function diffCounts(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}
