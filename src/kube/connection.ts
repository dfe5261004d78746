// How the controller reaches the API server: a base URL, a TLS agent and the headers that
// authenticate a request. Read from a kubeconfig (token, token file, client certificate, CA, insecure)
// or from the in-cluster service account, without loading @kubernetes/client-node (its generated API
// costs ~85 MiB of resident memory). Only kubeconfig users that need client-node's auth plugins
// (exec, auth-provider) load it, on demand.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, type RequestOptions } from "node:https";
import { parse as parseYaml } from "yaml";
import type { KubeConfig } from "@kubernetes/client-node";

export interface KubeConnection {
  /** https://host:port, no trailing slash. */
  readonly server: string;
  /** node:https (or node:http) agent: TLS material and kept-alive connections. */
  readonly agent: HttpAgent;
  /** Headers that authenticate one request (a rotating token is re-read when due). */
  authHeaders(): Promise<Record<string, string>>;
  /** The namespace of the kubeconfig context or the service account, when it names one. */
  readonly namespace?: string;
  close(): Promise<void>;
}

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Bound service-account tokens rotate (kubelet refreshes the file); re-read this often. */
const TOKEN_REREAD_MS = 60_000;

interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

function agent(server: string, tls: TlsOptions): HttpAgent {
  // Keep-alive with a bounded pool; watches hold one connection each for their whole life.
  // node:https rather than undici: it is part of the runtime already (undici adds ~16 MiB RSS).
  const pool = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16 };
  return server.startsWith("http://") ? new HttpAgent(pool) : new HttpsAgent({ ...pool, ...tls });
}

function tokenFileReader(path: string): () => Promise<Record<string, string>> {
  let token = "";
  let readAt = 0;
  return async () => {
    if (Date.now() - readAt > TOKEN_REREAD_MS || token === "") {
      token = (await readFile(path, "utf8")).trim();
      readAt = Date.now();
    }
    return { authorization: `Bearer ${token}` };
  };
}

/** The in-cluster service account (KUBERNETES_SERVICE_HOST/PORT, token, CA, namespace). */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeConnection {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (!host || !port) throw new KubeConfigError("not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const server = `https://${hostPart}:${port}`;
  const pool = agent(server, { ca: readFileSync(`${dir}/ca.crt`), rejectUnauthorized: true });
  let namespace: string | undefined;
  try {
    namespace = readFileSync(`${dir}/namespace`, "utf8").trim();
  } catch {
    namespace = undefined;
  }
  return {
    server,
    agent: pool,
    authHeaders: tokenFileReader(`${dir}/token`),
    ...(namespace ? { namespace } : {}),
    close: () => Promise.resolve(pool.destroy()),
  };
}

type Named<T> = { name?: unknown } & T;

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function findNamed(list: unknown, name: string, what: string, path: string): Record<string, unknown> {
  const entries = Array.isArray(list) ? (list as Named<Record<string, unknown>>[]) : [];
  const hit = entries.find((e) => record(e)["name"] === name);
  if (!hit) throw new KubeConfigError(`kubeconfig ${path}: ${what} "${name}" not found`);
  return record(hit);
}

/** Data (base64) or a file path relative to the kubeconfig's folder. */
function material(section: Record<string, unknown>, dataKey: string, fileKey: string, base: string): Buffer | undefined {
  const data = str(section[dataKey]);
  if (data) return Buffer.from(data, "base64");
  const file = str(section[fileKey]);
  return file ? readFileSync(resolve(base, file)) : undefined;
}

export interface KubeconfigSelection {
  path: string;
  context?: string;
}

/** A connection from a kubeconfig file, the way kubectl reads the current (or named) context. */
export async function kubeconfigConnection(selection: KubeconfigSelection): Promise<KubeConnection> {
  const { path } = selection;
  let doc: Record<string, unknown>;
  try {
    doc = record(parseYaml(readFileSync(path, "utf8"), { maxAliasCount: 100 }));
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${path}: cannot be read or parsed (${err instanceof Error ? err.name : "error"})`);
  }
  const contextName = selection.context ?? str(doc["current-context"]);
  if (!contextName) throw new KubeConfigError(`kubeconfig ${path}: no current-context and no --context`);
  const context = record(findNamed(doc["contexts"], contextName, "context", path)["context"]);
  const clusterName = str(context["cluster"]) ?? "";
  const cluster = record(findNamed(doc["clusters"], clusterName, "cluster", path)["cluster"]);
  const userName = str(context["user"]);
  const user = userName ? record(findNamed(doc["users"], userName, "user", path)["user"]) : {};
  const server = str(cluster["server"])?.replace(/\/+$/, "");
  if (!server) throw new KubeConfigError(`kubeconfig ${path}: cluster "${clusterName}" has no server`);
  if (user["exec"] !== undefined || user["auth-provider"] !== undefined) {
    return pluginConnection(selection, contextName);
  }
  const base = dirname(resolve(path));
  const tls: TlsOptions = { rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true };
  const ca = material(cluster, "certificate-authority-data", "certificate-authority", base);
  const cert = material(user, "client-certificate-data", "client-certificate", base);
  const key = material(user, "client-key-data", "client-key", base);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  const servername = str(cluster["tls-server-name"]);
  if (servername) tls.servername = servername;
  const pool = agent(server, tls);
  const token = str(user["token"]);
  const tokenFile = str(user["tokenFile"]);
  const username = str(user["username"]);
  const password = str(user["password"]);
  const authHeaders: () => Promise<Record<string, string>> = token
    ? () => Promise.resolve({ authorization: `Bearer ${token}` })
    : tokenFile
      ? tokenFileReader(resolve(base, tokenFile))
      : username && password
        ? () => Promise.resolve({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` })
        : () => Promise.resolve({});
  const namespace = str(context["namespace"]);
  return { server, agent: pool, authHeaders, ...(namespace ? { namespace } : {}), close: () => Promise.resolve(pool.destroy()) };
}

/** exec / auth-provider users: client-node's KubeConfig does the plugin work (loaded only here). */
async function pluginConnection(selection: KubeconfigSelection, contextName: string): Promise<KubeConnection> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  kc.loadFromFile(selection.path);
  kc.setCurrentContext(contextName);
  return connectionFromKubeConfig(kc);
}

/** A connection over an already loaded client-node KubeConfig (tests and the CLI hold one). */
export async function connectionFromKubeConfig(kc: KubeConfig): Promise<KubeConnection> {
  const { RequestContext, HttpMethod } = await import("@kubernetes/client-node");
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError("the kubeconfig has no current cluster");
  const server = cluster.server.replace(/\/+$/, "");
  const tls: RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const pool = server.startsWith("http://") ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true, maxSockets: 64, ...pick(tls) });
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return {
    server,
    agent: pool,
    authHeaders: async () => {
      const ctx = new RequestContext(server, HttpMethod.GET);
      await kc.applySecurityAuthentication(ctx);
      return { ...ctx.getHeaders() };
    },
    ...(namespace ? { namespace } : {}),
    close: () => Promise.resolve(pool.destroy()),
  };
}

function pick(o: RequestOptions): TlsOptions {
  const out: TlsOptions = { rejectUnauthorized: o.rejectUnauthorized !== false };
  if (o.ca) out.ca = o.ca as string | Buffer;
  if (o.cert) out.cert = o.cert as string | Buffer;
  if (o.key) out.key = o.key as string | Buffer;
  if (o.servername) out.servername = o.servername;
  return out;
}
