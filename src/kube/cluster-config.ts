// Where the cluster configuration is, the way kubectl finds it (client-go's loading rules):
// --kubeconfig; else the files $KUBECONFIG lists; else ~/.kube/config; else, with none of them,
// the in-cluster service account. (client-node's loadFromDefault silently falls back to
// http://localhost:8080, which is never what a user of `npm start` means.)
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, resolve } from "node:path";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export type ClusterSource =
  /** Kubeconfig files in precedence order (merged, the first that sets a value wins). */
  | { kind: "kubeconfig"; paths: string[] }
  | { kind: "in-cluster" }
  | { kind: "none" };

export interface ClusterSearch {
  /** --kubeconfig (relative to `cwd`). */
  explicitPath?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  serviceAccountDir?: string;
}

/** Kubeconfig paths in client-go's order: --kubeconfig, else $KUBECONFIG (a path list), else ~/.kube/config. */
export function kubeconfigPaths(search: ClusterSearch = {}): string[] {
  const env = search.env ?? process.env;
  const cwd = search.cwd ?? process.cwd();
  if (search.explicitPath !== undefined && search.explicitPath !== "") return [resolve(cwd, search.explicitPath)];
  const fromEnv = env["KUBECONFIG"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv.split(delimiter).filter((p) => p !== "").map((p) => resolve(cwd, p));
  return [resolve(env["HOME"] ?? homedir(), ".kube", "config")];
}

/**
 * The configuration to load: an explicit --kubeconfig always (reading it reports a missing file);
 * otherwise the listed files that exist; with none, in-cluster when this runs in a pod.
 */
export function findClusterConfig(search: ClusterSearch = {}): ClusterSource {
  const paths = kubeconfigPaths(search);
  if (search.explicitPath !== undefined && search.explicitPath !== "") return { kind: "kubeconfig", paths };
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length > 0) return { kind: "kubeconfig", paths: existing };
  const env = search.env ?? process.env;
  if (env["KUBERNETES_SERVICE_HOST"] && existsSync(`${search.serviceAccountDir ?? SERVICE_ACCOUNT_DIR}/token`)) return { kind: "in-cluster" };
  return { kind: "none" };
}
