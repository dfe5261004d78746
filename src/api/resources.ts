// The API resources sealbridge reads and writes, as the kube port addresses them.
import type { Resource } from "./resource.ts";
import { allCrds, type CrdSpec } from "./crds.ts";

export function resourceOf(crd: CrdSpec): Resource {
  return { group: crd.group, version: crd.version, kind: crd.kind, plural: crd.plural, namespaced: crd.scope === "Namespaced" };
}

const byKind = new Map(allCrds.map((crd) => [crd.kind, resourceOf(crd)]));

function crdResource(kind: string): Resource {
  const resource = byKind.get(kind);
  if (!resource) throw new Error(`no CRD defined for kind ${kind}`);
  return resource;
}

export const resources = {
  secret: { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  namespace: { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false },
  configMap: { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  serviceAccount: { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  // The sandbox's stand-in for a controller Pod behind the service proxy (src/sandbox/service-endpoint.ts).
  pod: { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true },
  service: { group: "", version: "v1", kind: "Service", plural: "services", namespaced: true },
  endpoints: { group: "", version: "v1", kind: "Endpoints", plural: "endpoints", namespaced: true },
  event: { group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true },
  lease: { group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true },
  customResourceDefinition: {
    group: "apiextensions.k8s.io",
    version: "v1",
    kind: "CustomResourceDefinition",
    plural: "customresourcedefinitions",
    namespaced: false,
  },
  sealedSecret: crdResource("SealedSecret"),
  ageSecret: crdResource("AgeSecret"),
  sopsSecret: crdResource("SopsSecret"),
  externalSecret: crdResource("ExternalSecret"),
  secretStore: crdResource("SecretStore"),
  clusterSecretStore: crdResource("ClusterSecretStore"),
  clusterExternalSecret: crdResource("ClusterExternalSecret"),
  password: crdResource("Password"),
  pushSecret: crdResource("PushSecret"),
} as const satisfies Record<string, Resource>;
