// `npm test` starts one real control plane for the whole run (test files run in child processes
// and inherit SEALBRIDGE_TEST_KUBECONFIG) and stops it at the end, also when tests fail.
import { KubeConfig } from "@kubernetes/client-node";
import { ClientNodeKube } from "../../src/kube/client-node-adapter.ts";
import { installCrds } from "../../src/kube/install-crds.ts";
import { startControlPlane, type ControlPlane } from "../../src/sandbox/control-plane.ts";

let cp: ControlPlane | undefined;

export async function globalSetup(): Promise<void> {
  if (process.env["SEALBRIDGE_TEST_KUBECONFIG"]) return;
  const started = Date.now();
  cp = await startControlPlane({ onProgress: (line) => process.stderr.write(`# ${line}\n`) });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  await installCrds(new ClientNodeKube(kc));
  process.env["SEALBRIDGE_TEST_KUBECONFIG"] = cp.kubeconfigPath;
  process.stderr.write(`# control plane ready with CRDs in ${Date.now() - started} ms\n`);
}

export async function globalTeardown(): Promise<void> {
  await cp?.stop();
}
