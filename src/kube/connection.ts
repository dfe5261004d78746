// How sealbridge (the controller and the CLI alike) reaches the API server: a base URL, a TLS agent
// and the headers that authenticate a request. Read from kubeconfig files merged as kubectl merges
// them (src/kube/kubeconfig.ts: token, token file, basic auth, client certificate, CA, insecure,
// TLS server name, impersonation) or from the in-cluster service account, without loading
// @kubernetes/client-node (its generated API costs ~85 MiB of resident memory). Only kubeconfig
// users that need client-node's auth plugins (exec, auth-provider) load it, on demand.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { SERVICE_ACCOUNT_DIR, type ClusterSource } from "./cluster-config.ts";
import {
  effectiveKubeconfig,
  KubeConfigError,
  mergeKubeconfigs,
  record,
  str,
  type EffectiveKubeconfig,
  type KubeconfigEntry,
  type KubeconfigFile,
  type KubeconfigOverrides,
  type MergedKubeconfig,
} from "./kubeconfig.ts";

export { KubeConfigError } from "./kubeconfig.ts";

/** Request headers; Impersonate-Group may repeat. */
export type AuthHeaders = Record<string, string | string[]>;

export interface KubeConnection {
  /** https://host:port, no trailing slash. */
  readonly server: string;
  /** node:https (or node:http) agent: TLS material and kept-alive connections (HTTP/1.1). */
  readonly agent: HttpAgent;
  /** The TLS material the agent holds, for HTTP/2 sessions (https servers only). */
  readonly tls?: TlsMaterial;
  /** Headers that authenticate one request (a rotating token is re-read when due). */
  authHeaders(): Promise<AuthHeaders>;
  /** The namespace of the kubeconfig context or the service account, when it names one. */
  readonly namespace?: string;
  close(): Promise<void>;
}

/** Bound service-account tokens rotate (kubelet refreshes the file); re-read this often. */
const TOKEN_REREAD_MS = 60_000;

export interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

function agent(server: string, tls: TlsMaterial): HttpAgent {
  // Keep-alive with a bounded pool; watches hold one connection each for their whole life.
  // node:https rather than undici: it is part of the runtime already (undici adds ~16 MiB RSS).
  const pool = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16 };
  return server.startsWith("http://") ? new HttpAgent(pool) : new HttpsAgent({ ...pool, ...tls });
}

function tokenFileReader(path: string): () => Promise<AuthHeaders> {
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

function readConfigFile(path: string): KubeconfigFile {
  try {
    return { path, text: readFileSync(path, "utf8") };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KubeConfigError(code === "ENOENT" ? `kubeconfig ${path}: file does not exist` : `kubeconfig ${path}: cannot be read (${code ?? "error"})`);
  }
}

/**
 * The in-cluster service account as a kubeconfig: the API server from KUBERNETES_SERVICE_HOST/PORT,
 * the mounted CA and (rotating) token file, the namespace from POD_NAMESPACE or the mounted file.
 */
export function inClusterKubeconfig(env: Readonly<Record<string, string | undefined>> = process.env, dir = SERVICE_ACCOUNT_DIR): MergedKubeconfig {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (!host || !port) throw new KubeConfigError("not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  const hostPart = host.includes(":") ? `[${host}]` : host;
  let namespace = str(env["POD_NAMESPACE"]);
  if (namespace === undefined) {
    try {
      namespace = str(readFileSync(`${dir}/namespace`, "utf8").trim());
    } catch {
      namespace = undefined;
    }
  }
  const name = "in-cluster";
  return {
    currentContext: name,
    contexts: new Map([[name, { cluster: name, user: name, ...(namespace !== undefined ? { namespace } : {}) }]]),
    clusters: new Map([[name, { server: `https://${hostPart}:${port}`, "certificate-authority": `${dir}/ca.crt` }]]),
    users: new Map([[name, { tokenFile: `${dir}/token` }]]),
  };
}

const EMPTY: MergedKubeconfig = { contexts: new Map(), clusters: new Map(), users: new Map() };

export interface LoadOptions {
  source: ClusterSource;
  overrides?: KubeconfigOverrides;
  /** Override file paths resolve against it. */
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  serviceAccountDir?: string;
}

/**
 * The effective configuration (reads the kubeconfig files, or the service account's namespace):
 * undefined when there is no configuration at all and no --server to make one from.
 */
export function loadKubeconfig(opts: LoadOptions): EffectiveKubeconfig | undefined {
  const { source } = opts;
  const overrides = opts.overrides ?? {};
  const merged =
    source.kind === "kubeconfig"
      ? mergeKubeconfigs(source.paths.map(readConfigFile))
      : source.kind === "in-cluster"
        ? inClusterKubeconfig(opts.env, opts.serviceAccountDir)
        : overrides.server !== undefined
          ? EMPTY
          : undefined;
  return merged === undefined ? undefined : effectiveKubeconfig(merged, overrides, opts.cwd ?? process.cwd());
}

/** A connection from a cluster source (undefined for none without --server). */
export async function loadConnection(opts: LoadOptions): Promise<KubeConnection | undefined> {
  const config = loadKubeconfig(opts);
  return config === undefined ? undefined : connectionFor(config);
}

/** The in-cluster service account's connection (the token file is re-read as kubelet rotates it). */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): Promise<KubeConnection> {
  return connectionFor(effectiveKubeconfig(inClusterKubeconfig(env, dir), {}, process.cwd()));
}

/** Data (base64) or a file (its path already absolute). */
function material(section: KubeconfigEntry, dataKey: string, fileKey: string): Buffer | undefined {
  const data = str(section[dataKey]);
  if (data) return Buffer.from(data, "base64");
  const file = str(section[fileKey]);
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${fileKey} ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** Impersonation (kubeconfig `as`, `as-uid`, `as-groups`), as kubectl sends it. */
function impersonation(user: KubeconfigEntry): AuthHeaders {
  const out: AuthHeaders = {};
  const as = str(user["as"]);
  if (as !== undefined) out["impersonate-user"] = as;
  const uid = str(user["as-uid"]);
  if (uid !== undefined) out["impersonate-uid"] = uid;
  const groups = Array.isArray(user["as-groups"]) ? user["as-groups"].filter((g): g is string => typeof g === "string" && g !== "") : [];
  if (groups.length > 0) out["impersonate-group"] = groups;
  return out;
}

/** A connection for an effective configuration: plain node:https, or client-node for auth plugins. */
export async function connectionFor(config: EffectiveKubeconfig): Promise<KubeConnection> {
  const { cluster, user } = config;
  const server = str(cluster["server"])?.replace(/\/+$/, "");
  if (!server) {
    const where = config.contextName === "" ? "no context is set" : `context "${config.contextName}" names no cluster with a server`;
    throw new KubeConfigError(`no API server: ${where} (and no --server)`);
  }
  if (user["exec"] !== undefined || user["auth-provider"] !== undefined) return pluginConnection(config, server);
  const tls: TlsMaterial = { rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true };
  const ca = material(cluster, "certificate-authority-data", "certificate-authority");
  const cert = material(user, "client-certificate-data", "client-certificate");
  const key = material(user, "client-key-data", "client-key");
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
  const credentials: () => Promise<AuthHeaders> = token
    ? () => Promise.resolve({ authorization: `Bearer ${token}` })
    : tokenFile
      ? tokenFileReader(tokenFile)
      : username && password
        ? () => Promise.resolve({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` })
        : () => Promise.resolve({});
  const impersonate = impersonation(user);
  const authHeaders = Object.keys(impersonate).length === 0 ? credentials : async () => ({ ...impersonate, ...(await credentials()) });
  const { namespace } = config;
  return { server, agent: pool, ...(server.startsWith("https://") ? { tls } : {}), authHeaders, ...(namespace ? { namespace } : {}), close: () => Promise.resolve(pool.destroy()) };
}

/**
 * exec / auth-provider users: client-node's KubeConfig does the plugin work (loaded only here), over
 * the one effective context (the merge and the overrides are already applied, paths absolute).
 */
async function pluginConnection(config: EffectiveKubeconfig, server: string): Promise<KubeConnection> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const clusterName = config.clusterName || "cluster";
  const userName = config.userName || "user";
  const contextName = config.contextName || "context";
  const kc = new KubeConfig();
  kc.loadFromString(
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: clusterName, cluster: { ...config.cluster, server } }],
      users: [{ name: userName, user: config.user }],
      contexts: [{ name: contextName, context: { cluster: clusterName, user: userName, ...(config.namespace ? { namespace: config.namespace } : {}) } }],
      "current-context": contextName,
    }),
  );
  return connectionFromKubeConfig(kc);
}

/** A connection over an already loaded client-node KubeConfig (tests hold one; auth plugins need one). */
export async function connectionFromKubeConfig(kc: KubeConfig): Promise<KubeConnection> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeConfigError("the kubeconfig has no current cluster");
  const server = cluster.server.replace(/\/+$/, "");
  const tls: RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const material = pick(tls);
  const pool = server.startsWith("http://") ? new HttpAgent({ keepAlive: true }) : new HttpsAgent({ keepAlive: true, maxSockets: 64, ...material });
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return {
    server,
    agent: pool,
    ...(server.startsWith("https://") ? { tls: material } : {}),
    authHeaders: async () => {
      // applyToHTTPSOptions runs the auth plugin (cached until its credential expires) and sets
      // the headers; its agent is cached by client-node, ours carries the requests.
      const opts: RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      const headers: AuthHeaders = {};
      for (const [k, v] of Object.entries(record(opts.headers))) {
        if (typeof v === "string") headers[k.toLowerCase()] = v;
        else if (typeof v === "number") headers[k.toLowerCase()] = String(v);
        else if (Array.isArray(v)) headers[k.toLowerCase()] = v.map(String);
      }
      if (typeof opts.auth === "string" && opts.auth !== "") headers["authorization"] = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
      return headers;
    },
    ...(namespace ? { namespace } : {}),
    close: () => Promise.resolve(pool.destroy()),
  };
}

function pick(o: RequestOptions): TlsMaterial {
  const out: TlsMaterial = { rejectUnauthorized: o.rejectUnauthorized !== false };
  if (o.ca) out.ca = o.ca as string | Buffer;
  if (o.cert) out.cert = o.cert as string | Buffer;
  if (o.key) out.key = o.key as string | Buffer;
  if (o.servername) out.servername = o.servername;
  return out;
}
