// Kubeconfig files as kubectl reads them (client-go's clientcmd loading rules): several files merge
// with the first file that sets a value winning (a cluster, user or context name keeps the entry of
// the first file that names it, whole; current-context comes from the first file that sets one),
// relative file paths are resolved against the folder of the file that holds them, and kubectl's
// override flags (--context, --cluster, --user, --server, --token, ...) are applied last. Pure over
// the files' text: reading the files and building a connection is src/kube/connection.ts's job.
import { dirname, resolve, sep } from "node:path";
import { parse as parseYaml } from "yaml";

export class KubeConfigError extends Error {
  override readonly name = "KubeConfigError";
}

/** One kubeconfig section (a cluster, user or context body), with kubeconfig's own field names. */
export type KubeconfigEntry = Record<string, unknown>;

export interface KubeconfigFile {
  /** Absolute path (relative paths inside resolve against its folder). */
  path: string;
  text: string;
}

export interface MergedKubeconfig {
  currentContext?: string;
  contexts: ReadonlyMap<string, KubeconfigEntry>;
  clusters: ReadonlyMap<string, KubeconfigEntry>;
  users: ReadonlyMap<string, KubeconfigEntry>;
}

/** kubectl's override flags (client-go's ConfigOverrides), as far as sealbridge takes them. */
export interface KubeconfigOverrides {
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  token?: string;
  clientCertificate?: string;
  clientKey?: string;
}

/** What a connection is made from: the chosen context's cluster and user, overrides applied. */
export interface EffectiveKubeconfig {
  /** "" when no context is set. */
  contextName: string;
  clusterName: string;
  userName: string;
  cluster: KubeconfigEntry;
  user: KubeconfigEntry;
  /** The override's or the context's namespace, when either names one. */
  namespace?: string;
}

export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Cluster and user fields that name files (client-go's GetClusterFileReferences / GetAuthInfoFileReferences). */
const CLUSTER_FILE_FIELDS = ["certificate-authority"];
const USER_FILE_FIELDS = ["client-certificate", "client-key", "tokenFile"];

function withAbsolutePaths(entry: KubeconfigEntry, fields: readonly string[], base: string): KubeconfigEntry {
  const out = { ...entry };
  for (const field of fields) {
    const value = str(out[field]);
    if (value !== undefined) out[field] = resolve(base, value);
  }
  return out;
}

function userWithAbsolutePaths(entry: KubeconfigEntry, base: string): KubeconfigEntry {
  const out = withAbsolutePaths(entry, USER_FILE_FIELDS, base);
  // An exec command is resolved against the kubeconfig's folder only when it names a path (has a
  // separator); a bare command is looked up on PATH, as client-go does.
  const exec = record(out["exec"]);
  const command = str(exec["command"]);
  if (command !== undefined && command.includes(sep)) out["exec"] = { ...exec, command: resolve(base, command) };
  return out;
}

export function parseKubeconfig(file: KubeconfigFile): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(file.text, { maxAliasCount: 100 });
  } catch {
    throw new KubeConfigError(`kubeconfig ${file.path}: cannot be parsed`);
  }
  if (doc !== null && doc !== undefined && (typeof doc !== "object" || Array.isArray(doc))) {
    throw new KubeConfigError(`kubeconfig ${file.path}: cannot be parsed (not a mapping)`);
  }
  return record(doc);
}

function addNamed(into: Map<string, KubeconfigEntry>, list: unknown, field: string, resolvePaths: (entry: KubeconfigEntry) => KubeconfigEntry): void {
  for (const item of Array.isArray(list) ? list : []) {
    const name = str(record(item)["name"]);
    // The first file to name an entry wins; later files never change it.
    if (name === undefined || into.has(name)) continue;
    into.set(name, resolvePaths(record(record(item)[field])));
  }
}

/** The files in precedence order (--kubeconfig, or $KUBECONFIG's list) merged as kubectl merges them. */
export function mergeKubeconfigs(files: readonly KubeconfigFile[]): MergedKubeconfig {
  let currentContext: string | undefined;
  const contexts = new Map<string, KubeconfigEntry>();
  const clusters = new Map<string, KubeconfigEntry>();
  const users = new Map<string, KubeconfigEntry>();
  for (const file of files) {
    const doc = parseKubeconfig(file);
    const base = dirname(file.path);
    currentContext ??= str(doc["current-context"]);
    addNamed(contexts, doc["contexts"], "context", (e) => e);
    addNamed(clusters, doc["clusters"], "cluster", (e) => withAbsolutePaths(e, CLUSTER_FILE_FIELDS, base));
    addNamed(users, doc["users"], "user", (e) => userWithAbsolutePaths(e, base));
  }
  return { ...(currentContext !== undefined ? { currentContext } : {}), contexts, clusters, users };
}

/**
 * The context to connect with (--context, else current-context), its cluster and user (--cluster,
 * --user override the context's), with the connection overrides applied; file paths given as
 * overrides resolve against `cwd`. A --context that names no context is an error; a missing
 * current context leaves an empty cluster and user (a --server may still complete them).
 */
export function effectiveKubeconfig(merged: MergedKubeconfig, overrides: KubeconfigOverrides, cwd: string): EffectiveKubeconfig {
  const o = overrides;
  const contextName = o.context ?? merged.currentContext ?? "";
  const found = merged.contexts.get(contextName);
  if (o.context !== undefined && found === undefined) throw new KubeConfigError(`context "${o.context}" does not exist in the kubeconfig`);
  const context = found ?? {};
  const clusterName = o.cluster ?? str(context["cluster"]) ?? "";
  const userName = o.user ?? str(context["user"]) ?? "";
  const cluster: KubeconfigEntry = { ...(merged.clusters.get(clusterName) ?? {}) };
  const user: KubeconfigEntry = { ...(merged.users.get(userName) ?? {}) };
  if (o.server !== undefined) cluster["server"] = o.server;
  if (o.certificateAuthority !== undefined) {
    cluster["certificate-authority"] = resolve(cwd, o.certificateAuthority);
    delete cluster["certificate-authority-data"];
  }
  if (o.insecureSkipTlsVerify === true) cluster["insecure-skip-tls-verify"] = true;
  if (o.tlsServerName !== undefined) cluster["tls-server-name"] = o.tlsServerName;
  if (o.token !== undefined) user["token"] = o.token;
  if (o.clientCertificate !== undefined) {
    user["client-certificate"] = resolve(cwd, o.clientCertificate);
    delete user["client-certificate-data"];
  }
  if (o.clientKey !== undefined) {
    user["client-key"] = resolve(cwd, o.clientKey);
    delete user["client-key-data"];
  }
  const namespace = o.namespace ?? str(context["namespace"]);
  return { contextName, clusterName, userName, cluster, user, ...(namespace !== undefined ? { namespace } : {}) };
}
