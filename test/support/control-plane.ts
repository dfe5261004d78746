// The control plane tests run against: the one global setup started for the whole run (shared via
// SEALBRIDGE_TEST_KUBECONFIG), or, when a test file runs alone, one started here and stopped after it.
import { after } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { ClientNodeKube } from "../../src/kube/client-node-adapter.ts";
import { installCrds } from "../../src/kube/install-crds.ts";
import { startControlPlane } from "../../src/sandbox/control-plane.ts";

export interface TestCluster {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
  kube: ClientNodeKube;
}

let shared: Promise<TestCluster> | undefined;
let ownControlPlane: { stop(): Promise<void> } | undefined;

// Registered at import time, so it is a file-level hook: runs after the file's last test.
after(async () => {
  await ownControlPlane?.stop();
});

export function testCluster(): Promise<TestCluster> {
  shared ??= connect();
  return shared;
}

async function connect(): Promise<TestCluster> {
  let kubeconfigPath = process.env["SEALBRIDGE_TEST_KUBECONFIG"];
  if (!kubeconfigPath) {
    const cp = await startControlPlane({ onProgress: (line) => process.stderr.write(`# ${line}\n`) });
    ownControlPlane = cp;
    kubeconfigPath = cp.kubeconfigPath;
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    await installCrds(new ClientNodeKube(kc));
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  return { kubeconfigPath, kubeConfig, kube: new ClientNodeKube(kubeConfig) };
}

/** A fresh namespace per test, so tests sharing one control plane do not see each other's objects. */
export async function freshNamespace(cluster: TestCluster, prefix = "t"): Promise<string> {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
  await cluster.kube.create({ group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false }, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  });
  return name;
}
