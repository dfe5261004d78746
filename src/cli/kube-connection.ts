// How the CLI finds its cluster: the controller's own loader (src/kube/connection.ts: kubeconfig
// files merged as kubectl merges them, in-cluster, auth plugins through client-node on demand) with
// kubectl's override flags applied, as client-go's deferred loading client config resolves them
// (only what kubeseal uses: a namespace, and a connection to the API server).
import { existsSync } from "node:fs";
import { findClusterConfig, type ClusterSource } from "../kube/cluster-config.ts";
import { KubeConfigError, loadConnection, loadKubeconfig, type KubeConnection } from "../kube/connection.ts";
import type { EffectiveKubeconfig, KubeconfigOverrides } from "../kube/kubeconfig.ts";
import { CliError } from "./io.ts";
import type { ConnectionFlags } from "./kubeseal-flags.ts";

export interface KubeConnectionOptions {
  kubeconfig?: string;
  connection: ConnectionFlags;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export interface ResolvedNamespace {
  namespace: string;
  /** True when -n/--namespace said so (client-go's "overridden"). */
  explicit: boolean;
}

function overridesOf(c: ConnectionFlags): KubeconfigOverrides {
  const out: KubeconfigOverrides = {};
  if (c.context !== undefined) out.context = c.context;
  if (c.cluster !== undefined) out.cluster = c.cluster;
  if (c.user !== undefined) out.user = c.user;
  if (c.namespace !== undefined) out.namespace = c.namespace;
  if (c.server !== undefined) out.server = c.server;
  if (c.certificateAuthority !== undefined) out.certificateAuthority = c.certificateAuthority;
  if (c.insecureSkipTlsVerify) out.insecureSkipTlsVerify = true;
  if (c.tlsServerName !== undefined) out.tlsServerName = c.tlsServerName;
  if (c.token !== undefined) out.token = c.token;
  if (c.clientCertificate !== undefined) out.clientCertificate = c.clientCertificate;
  if (c.clientKey !== undefined) out.clientKey = c.clientKey;
  return out;
}

function sourceOf(opts: KubeConnectionOptions): ClusterSource {
  return findClusterConfig({ explicitPath: opts.kubeconfig, env: opts.env, cwd: opts.cwd });
}

function cliError(err: unknown): unknown {
  return err instanceof KubeConfigError ? new CliError(err.message) : err;
}

/**
 * A connection to the API server with --context/--cluster/--user/--server/... applied; undefined
 * when there is no kubeconfig, no in-cluster service account and no --server.
 */
export async function loadKubeConnection(opts: KubeConnectionOptions): Promise<KubeConnection | undefined> {
  const source = sourceOf(opts);
  if (opts.kubeconfig !== undefined && source.kind === "kubeconfig" && !existsSync(source.paths[0] ?? "")) {
    throw new CliError(`--kubeconfig: file ${opts.kubeconfig} does not exist`);
  }
  try {
    return await loadConnection({ source, overrides: overridesOf(opts.connection), cwd: opts.cwd, env: opts.env });
  } catch (err) {
    throw cliError(err);
  }
}

/**
 * The namespace for objects without one: -n, else the kubeconfig context's namespace (or the
 * service account's, in a pod), else "default"; with no configuration at all, none (kubeseal then
 * fails with "must declare a namespace").
 */
export function resolveNamespace(opts: KubeConnectionOptions): ResolvedNamespace | undefined {
  if (opts.connection.namespace !== undefined) return { namespace: opts.connection.namespace, explicit: true };
  const found = sourceOf(opts);
  // A --kubeconfig that does not exist names no namespace (the connection, if one is needed, reports it).
  const source: ClusterSource = found.kind === "kubeconfig" ? { kind: "kubeconfig", paths: found.paths.filter((p) => existsSync(p)) } : found;
  if (source.kind === "none" || (source.kind === "kubeconfig" && source.paths.length === 0)) return undefined;
  let config: EffectiveKubeconfig | undefined;
  try {
    config = loadKubeconfig({ source, overrides: opts.connection.context !== undefined ? { context: opts.connection.context } : {}, cwd: opts.cwd, env: opts.env });
  } catch (err) {
    throw cliError(err);
  }
  const ns = config?.namespace;
  return { namespace: ns === undefined || ns === "" ? "default" : ns, explicit: false };
}
