// Creates or updates our CRDs and waits until the API server serves them.
import { allCrds, crdManifest, type CrdSpec } from "../api/crds.ts";
import { resourceOf, resources } from "../api/resources.ts";
import type { KubeObject, KubePort } from "./port.ts";

export async function installCrds(kube: KubePort, crds: readonly CrdSpec[] = allCrds, timeoutMs = 30_000): Promise<void> {
  const res = resources.customResourceDefinition;
  for (const crd of crds) {
    const manifest = crdManifest(crd) as KubeObject;
    const name = `${crd.plural}.${crd.group}`;
    const existing = await kube.get(res, undefined, name);
    if (existing) {
      const resourceVersion = existing.metadata?.resourceVersion;
      await kube.replace(res, { ...manifest, metadata: { name, ...(resourceVersion ? { resourceVersion } : {}) } });
    } else {
      await kube.create(res, manifest);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = `${crd.plural}.${crd.group}`;
    for (;;) {
      const current = await kube.get(res, undefined, name);
      if (current && isEstablished(current)) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Established is not the end: until the storage for the new kind is initialised the server
    // answers 429 "storage is (re)initializing". Wait until a list goes through.
    for (;;) {
      try {
        await kube.list(resourceOf(crd), { labelSelector: "sealbridge.dev/storage-probe=1" });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

function isEstablished(crd: KubeObject): boolean {
  const status = crd["status"] as { conditions?: { type?: string; status?: string }[] } | undefined;
  return (status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True");
}
