// Pure decisions for one ClusterExternalSecret (ESO's clusterexternalsecret controller): which
// namespaces it selects, the ExternalSecret it wants in each, whether an existing ExternalSecret is
// its own, and the next status. reconcile.ts does the reads and writes around these.
import type { ClusterExternalSecretSpec } from "../../api/cluster-external-secret.ts";
import { labelSelectorMatches } from "../../api/secret-store.ts";
import type { KubeObject } from "../../kube/port.ts";
import { stableJson } from "../stable-json.ts";

/** On the ClusterExternalSecret: its ExternalSecrets are removed before it goes (ESO's name). */
export const CES_FINALIZER = "externalsecrets.external-secrets.io/clusterexternalsecret-cleanup";
/** Copied from the ClusterExternalSecret to its ExternalSecrets, so annotating it forces a refresh. */
export const ANNOTATION_FORCE_SYNC = "external-secrets.io/force-sync";
/** ESO's failure reason for a namespace where an ExternalSecret of that name belongs to someone else. */
export const REASON_EXISTS = "external secret already exists in namespace";
export const MESSAGE_NAMESPACES_FAILED = "one or more namespaces failed";

/** On each namespace provisioned, so it is not deleted under the ClusterExternalSecret (ESO's name). */
export function namespaceFinalizer(cesName: string): string {
  return `externalsecrets.external-secrets.io/ces-${cesName}`;
}

export interface NamespaceInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
  terminating: boolean;
  finalizers: readonly string[];
  resourceVersion?: string;
}

export function namespaceInfo(obj: KubeObject): NamespaceInfo | undefined {
  const meta = obj.metadata;
  if (!meta?.name) return undefined;
  return {
    name: meta.name,
    labels: meta.labels ?? {},
    terminating: meta.deletionTimestamp !== undefined,
    finalizers: meta.finalizers ?? [],
    ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
  };
}

/** Whether the spec selects a namespace: by name, or by any selector (ORed, as ESO). */
export function selects(spec: Pick<ClusterExternalSecretSpec, "namespaces" | "namespaceSelectors">, ns: Pick<NamespaceInfo, "name" | "labels">): boolean {
  return spec.namespaces.includes(ns.name) || spec.namespaceSelectors.some((s) => labelSelectorMatches(s, ns.labels));
}

export interface CesMeta {
  name: string;
  uid: string;
  annotations: Readonly<Record<string, string>>;
}

export function externalSecretNameOf(ces: CesMeta, spec: Pick<ClusterExternalSecretSpec, "externalSecretName">): string {
  return spec.externalSecretName ?? ces.name;
}

/** ESO's isExternalSecretOwnedBy: its controller reference is a ClusterExternalSecret of this name. */
export function isOwnedBy(es: KubeObject, cesName: string): boolean {
  const ref = es.metadata?.ownerReferences?.find((r) => r.controller === true);
  return ref !== undefined && ref.kind === "ClusterExternalSecret" && ref.apiVersion.split("/")[0] === "external-secrets.io" && ref.name === cesName;
}

/**
 * The ExternalSecret the ClusterExternalSecret wants in `namespace` (ESO's createOrUpdate mutate:
 * labels and annotations are exactly externalSecretMetadata's plus force-sync, the spec is
 * externalSecretSpec, the controller reference is the ClusterExternalSecret), or undefined when
 * `existing` already is that.
 */
export function desiredExternalSecret(input: {
  ces: CesMeta;
  spec: ClusterExternalSecretSpec;
  namespace: string;
  existing: KubeObject | undefined;
}): KubeObject | undefined {
  const { ces, spec, namespace, existing } = input;
  const name = externalSecretNameOf(ces, spec);
  const annotations: Record<string, string> = { ...(spec.externalSecretMetadata.annotations ?? {}) };
  const forceSync = ces.annotations[ANNOTATION_FORCE_SYNC];
  if (forceSync !== undefined) annotations[ANNOTATION_FORCE_SYNC] = forceSync;
  else delete annotations[ANNOTATION_FORCE_SYNC];
  const labels = { ...(spec.externalSecretMetadata.labels ?? {}) };
  const ownRef = { apiVersion: "external-secrets.io/v1", kind: "ClusterExternalSecret", name: ces.name, uid: ces.uid, controller: true, blockOwnerDeletion: true };
  const others = (existing?.metadata?.ownerReferences ?? []).filter((r) => !(r.kind === "ClusterExternalSecret" && r.name === ces.name) && r.controller !== true);
  const desired: KubeObject = {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: {
      ...(existing?.metadata ?? {}),
      name,
      namespace,
      labels,
      annotations,
      ownerReferences: [...others, ownRef],
    },
    spec: spec.externalSecretSpec,
  };
  if (existing?.["status"] !== undefined) desired["status"] = existing["status"];
  if (existing && sameExternalSecret(existing, desired)) return undefined;
  return desired;
}

function sameExternalSecret(a: KubeObject, b: KubeObject): boolean {
  const pick = (o: KubeObject) =>
    stableJson([o.metadata?.labels ?? {}, o.metadata?.annotations ?? {}, o.metadata?.ownerReferences ?? [], o["spec"] ?? {}]);
  return pick(a) === pick(b);
}


export interface CesCondition {
  type: "Ready";
  status: "True" | "False";
  /** sealbridge's addition (ESO's CES condition has no reason): Provisioned, NamespacesFailed, InvalidSpec. */
  reason: string;
  message?: string;
  lastTransitionTime: string;
}

export interface CesStatus {
  externalSecretName?: string;
  failedNamespaces?: { namespace: string; reason: string }[];
  provisionedNamespaces?: string[];
  conditions: CesCondition[];
}

export function parseCesStatus(raw: unknown): CesStatus | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined);
  const failed = Array.isArray(r["failedNamespaces"])
    ? r["failedNamespaces"].flatMap((f: unknown) => {
        const o = f as Record<string, unknown> | null;
        return o && typeof o["namespace"] === "string" ? [{ namespace: o["namespace"], reason: typeof o["reason"] === "string" ? o["reason"] : "" }] : [];
      })
    : undefined;
  const provisioned = strings(r["provisionedNamespaces"]);
  const conditions = Array.isArray(r["conditions"])
    ? r["conditions"].filter((c): c is CesCondition => typeof c === "object" && c !== null && (c as CesCondition).type === "Ready")
    : [];
  return {
    ...(typeof r["externalSecretName"] === "string" ? { externalSecretName: r["externalSecretName"] } : {}),
    ...(failed ? { failedNamespaces: failed } : {}),
    ...(provisioned ? { provisionedNamespaces: provisioned } : {}),
    conditions,
  };
}

export type CesOutcome =
  | { kind: "provisioned"; externalSecretName: string; provisioned: readonly string[]; failed: ReadonlyMap<string, string> }
  | { kind: "invalid"; message: string };

/** The next status; lastTransitionTime is kept while Ready's status is unchanged. */
export function nextCesStatus(previous: CesStatus | undefined, outcome: CesOutcome, now: Date): CesStatus {
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const prior = previous?.conditions.find((c) => c.type === "Ready");
  const since = (status: "True" | "False") => (prior?.status === status && prior.lastTransitionTime ? prior.lastTransitionTime : at);
  if (outcome.kind === "invalid") {
    // Nothing is changed in the namespaces: the lists stay as they were.
    return {
      ...(previous?.externalSecretName ? { externalSecretName: previous.externalSecretName } : {}),
      ...(previous?.failedNamespaces?.length ? { failedNamespaces: previous.failedNamespaces } : {}),
      ...(previous?.provisionedNamespaces?.length ? { provisionedNamespaces: previous.provisionedNamespaces } : {}),
      conditions: [{ type: "Ready", status: "False", reason: "InvalidSpec", message: outcome.message, lastTransitionTime: since("False") }],
    };
  }
  const failedNamespaces = [...outcome.failed.entries()].map(([namespace, reason]) => ({ namespace, reason })).sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
  const provisionedNamespaces = [...outcome.provisioned].sort();
  const condition: CesCondition = failedNamespaces.length === 0
    ? { type: "Ready", status: "True", reason: "Provisioned", lastTransitionTime: since("True") }
    : { type: "Ready", status: "False", reason: "NamespacesFailed", message: MESSAGE_NAMESPACES_FAILED, lastTransitionTime: since("False") };
  return {
    externalSecretName: outcome.externalSecretName,
    ...(failedNamespaces.length ? { failedNamespaces } : {}),
    ...(provisionedNamespaces.length ? { provisionedNamespaces } : {}),
    conditions: [condition],
  };
}

export function cesStatusEqual(a: CesStatus | undefined, b: CesStatus): boolean {
  return a !== undefined && stableJson(normal(a)) === stableJson(normal(b));
}

function normal(s: CesStatus): unknown {
  return {
    externalSecretName: s.externalSecretName ?? "",
    failed: s.failedNamespaces ?? [],
    provisioned: s.provisionedNamespaces ?? [],
    conditions: s.conditions.map((c) => [c.type, c.status, c.reason, c.message ?? "", c.lastTransitionTime]),
  };
}
