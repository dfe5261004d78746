// How `seal` finds its cluster: kubeconfig loading and kubectl's override flags, the way client-go's
// deferred loading client config resolves them (only what kubeseal uses: namespace, and a
// connection to the API server).
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, resolve } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
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

/** Kubeconfig paths in client-go's order: --kubeconfig, else $KUBECONFIG (a path list), else ~/.kube/config. */
function kubeconfigPaths(opts: KubeConnectionOptions): string[] {
  if (opts.kubeconfig !== undefined) return [resolve(opts.cwd, opts.kubeconfig)];
  const fromEnv = opts.env["KUBECONFIG"];
  if (fromEnv !== undefined && fromEnv !== "") {
    return fromEnv.split(delimiter).filter((p) => p !== "").map((p) => resolve(opts.cwd, p));
  }
  const home = opts.env["HOME"] ?? homedir();
  return [resolve(home, ".kube", "config")];
}

/** Loads the kubeconfig (undefined when there is none) with --context/--cluster/--user applied. */
export function loadKubeConfig(opts: KubeConnectionOptions): KubeConfig | undefined {
  const paths = kubeconfigPaths(opts);
  if (opts.kubeconfig !== undefined && !existsSync(paths[0] ?? "")) {
    throw new CliError(`--kubeconfig: file ${opts.kubeconfig} does not exist`);
  }
  let kc: KubeConfig | undefined;
  for (const path of paths.filter((p) => existsSync(p))) {
    const next = new KubeConfig();
    try {
      next.loadFromFile(path);
    } catch {
      throw new CliError(`kubeconfig ${path}: cannot be parsed`);
    }
    if (kc === undefined) kc = next;
    else kc.mergeConfig(next, true);
  }
  const c = opts.connection;
  if (kc === undefined) {
    if (c.server === undefined) return undefined;
    kc = new KubeConfig();
    kc.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: "" });
  }
  if (c.context !== undefined) {
    if (kc.getContextObject(c.context) === null) throw new CliError(`context "${c.context}" does not exist in the kubeconfig`);
    kc.setCurrentContext(c.context);
  }
  return applyOverrides(kc, c, opts.cwd);
}

function applyOverrides(kc: KubeConfig, c: ConnectionFlags, cwd: string): KubeConfig {
  const current = kc.getContextObject(kc.getCurrentContext());
  const clusterName = c.cluster ?? current?.cluster;
  const userName = c.user ?? current?.user;
  const baseCluster = clusterName === undefined ? null : kc.getCluster(clusterName);
  const baseUser = userName === undefined ? null : kc.getUser(userName);
  const cluster = {
    name: "sealbridge-effective",
    server: c.server ?? baseCluster?.server ?? "",
    skipTLSVerify: c.insecureSkipTlsVerify || (baseCluster?.skipTLSVerify ?? false),
    ...(c.certificateAuthority !== undefined
      ? { caFile: resolve(cwd, c.certificateAuthority) }
      : { caData: baseCluster?.caData, caFile: baseCluster?.caFile }),
    ...(c.tlsServerName !== undefined ? { tlsServerName: c.tlsServerName } : { tlsServerName: baseCluster?.tlsServerName }),
  };
  if (cluster.server === "") throw new CliError("no API server: the kubeconfig has no cluster for this context and --server is not set");
  const user = {
    ...(baseUser ?? {}),
    name: "sealbridge-effective",
    ...(c.token !== undefined ? { token: c.token } : {}),
    ...(c.clientCertificate !== undefined ? { certFile: resolve(cwd, c.clientCertificate), certData: undefined } : {}),
    ...(c.clientKey !== undefined ? { keyFile: resolve(cwd, c.clientKey), keyData: undefined } : {}),
  };
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{ name: "sealbridge-effective", cluster: cluster.name, user: user.name, namespace: current?.namespace }],
    currentContext: "sealbridge-effective",
  });
  return out;
}

/**
 * The namespace for objects without one: -n, else the kubeconfig context's namespace, else
 * "default"; with no kubeconfig at all, none (kubeseal then fails with "must declare a namespace").
 */
export function resolveNamespace(opts: KubeConnectionOptions): ResolvedNamespace | undefined {
  if (opts.connection.namespace !== undefined) return { namespace: opts.connection.namespace, explicit: true };
  const paths = kubeconfigPaths(opts).filter((p) => existsSync(p));
  if (paths.length === 0) return undefined;
  const kc = new KubeConfig();
  for (const path of paths) {
    const next = new KubeConfig();
    try {
      next.loadFromFile(path);
    } catch {
      throw new CliError(`kubeconfig ${path}: cannot be parsed`);
    }
    kc.mergeConfig(next, true);
    if (kc.getCurrentContext() === "" || kc.getCurrentContext() === undefined) kc.setCurrentContext(next.getCurrentContext());
  }
  const contextName = opts.connection.context ?? kc.getCurrentContext();
  const context = kc.getContextObject(contextName);
  if (opts.connection.context !== undefined && context === null) {
    throw new CliError(`context "${opts.connection.context}" does not exist in the kubeconfig`);
  }
  const ns = context?.namespace;
  return { namespace: ns === undefined || ns === "" ? "default" : ns, explicit: false };
}
