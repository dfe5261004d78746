// Is a cluster configured, the way kubectl would find one? (client-node's loadFromDefault silently
// falls back to http://localhost:8080, which is never what a user of `npm start` means.)
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

export type ClusterSource =
  | { kind: "kubeconfig"; path: string }
  | { kind: "in-cluster" }
  | { kind: "none" };

export function findClusterConfig(explicitPath: string | undefined, env: NodeJS.ProcessEnv = process.env): ClusterSource {
  if (explicitPath) return { kind: "kubeconfig", path: explicitPath };
  const fromEnv = (env["KUBECONFIG"] ?? "").split(delimiter).filter((p) => p && existsSync(p));
  if (fromEnv[0]) return { kind: "kubeconfig", path: fromEnv[0] };
  const home = env["HOME"] ?? homedir();
  const defaultPath = join(home, ".kube", "config");
  if (existsSync(defaultPath)) return { kind: "kubeconfig", path: defaultPath };
  if (env["KUBERNETES_SERVICE_HOST"] && existsSync("/var/run/secrets/kubernetes.io/serviceaccount/token")) {
    return { kind: "in-cluster" };
  }
  return { kind: "none" };
}
