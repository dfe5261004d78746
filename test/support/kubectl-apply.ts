// What `kubectl apply -f FILE` does with each document, over the same API calls: the kind is looked
// up in the API server's discovery document for the manifest's apiVersion (so an apiVersion the
// server does not serve fails as kubectl does: `no matches for kind "X" in version "G/V"`), the
// manifest is recorded in kubectl's last-applied-configuration annotation, and the object is created
// under kubectl's field manager, or patched with the manifest when it exists. The manifest is sent as
// written, apiVersion included.
import { parseAllDocuments } from "yaml";
import { KubeApiError, type KubeObject } from "../../src/kube/port.ts";
import type { HttpKube } from "../../src/kube/http-kube.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

export class NoMatchError extends Error {
  override readonly name = "NoMatchError";
}

async function discover(kube: HttpKube, apiVersion: string, kind: string): Promise<DiscoveredResource> {
  const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  let list: { resources?: DiscoveredResource[] } | undefined;
  try {
    list = (await kube.request("GET", path)) as { resources?: DiscoveredResource[] };
  } catch (err) {
    if (!(err instanceof KubeApiError && err.reason === "NotFound")) throw err;
  }
  const found = list?.resources?.find((r) => r.kind === kind && !r.name.includes("/"));
  if (!found) throw new NoMatchError(`no matches for kind "${kind}" in version "${apiVersion}"`);
  return found;
}

/** Applies every document of a YAML stream in order; returns the objects as the server answered. */
export async function kubectlApply(kube: HttpKube, yamlText: string, defaultNamespace = "default"): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    const manifest = doc.toJSON() as KubeObject | null;
    if (!manifest) continue;
    const { apiVersion, kind } = manifest;
    const name = manifest.metadata?.name;
    if (!apiVersion || !kind || !name) throw new Error("each document needs apiVersion, kind and metadata.name");
    const resource = await discover(kube, apiVersion, kind);
    const namespace = resource.namespaced ? (manifest.metadata?.namespace ?? defaultNamespace) : undefined;
    const base = `${apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ""}/${resource.name}`;
    const body: KubeObject = {
      ...manifest,
      metadata: {
        ...manifest.metadata,
        ...(namespace ? { namespace } : {}),
        annotations: { ...(manifest.metadata?.annotations ?? {}), [LAST_APPLIED]: `${JSON.stringify(manifest)}\n` },
      },
    };
    let existing: KubeObject | undefined;
    try {
      existing = (await kube.request("GET", `${base}/${encodeURIComponent(name)}`)) as KubeObject;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.reason === "NotFound")) throw err;
    }
    const query = "?fieldManager=kubectl-client-side-apply";
    out.push(
      existing
        ? ((await kube.request("PATCH", `${base}/${encodeURIComponent(name)}${query}`, body, "application/merge-patch+json")) as KubeObject)
        : ((await kube.request("POST", `${base}${query}`, body)) as KubeObject),
    );
  }
  return out;
}
