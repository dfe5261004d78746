// Pure decisions for one ExternalSecret, with the clock passed in: whether to refresh now, the Secret
// to write, and the next status. reconcile.ts does the reads and writes around these.
import { createHash, createHmac } from "node:crypto";
import type { ExternalSecretSpec } from "../../api/external-secret.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { ManagedKeys } from "./field-owner.ts";

export const LABEL_MANAGED = "reconcile.external-secrets.io/managed";
export const LABEL_CREATED_BY = "reconcile.external-secrets.io/created-by";
export const ANNOTATION_DATA_HASH = "reconcile.external-secrets.io/data-hash";
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface ExternalSecretStatus {
  /** The metadata.generation this status describes (kstatus: a stale Ready is not Current). */
  observedGeneration?: number;
  refreshTime?: string;
  syncedResourceVersion?: string;
  conditions: Condition[];
  binding?: { name: string };
}

export interface EsMeta {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The version a sync was made for: generation plus a hash of labels and annotations, as ESO does, so
 * changing any annotation (e.g. `force-sync=$(date +%s)`) triggers a refresh.
 */
export function syncVersionOf(meta: EsMeta): string {
  const annotations = Object.fromEntries(Object.entries(meta.annotations).filter(([k]) => k !== LAST_APPLIED).sort());
  const labels = Object.fromEntries(Object.entries(meta.labels).sort());
  const hash = createHash("sha256").update(JSON.stringify({ annotations, labels })).digest("hex").slice(0, 32);
  return `${meta.generation}-${hash}`;
}

export interface TargetState {
  exists: boolean;
  /** The data-hash annotation matches the Secret's current data. */
  intact: boolean;
}

export type RefreshDecision = { refresh: true; why: string } | { refresh: false; nextInMs: number | undefined };

export function needsRefresh(input: {
  spec: ExternalSecretSpec;
  status: ExternalSecretStatus | undefined;
  syncVersion: string;
  target: TargetState;
  now: Date;
  /** When a periodic refresh after `refreshTime` is due (jitter, slots); default: refreshTime + interval. */
  dueAt?: (refreshTime: number, intervalMs: number) => number;
}): RefreshDecision {
  const { spec, status, syncVersion, target, now } = input;
  const refreshTime = status?.refreshTime ? Date.parse(status.refreshTime) : NaN;
  const synced = status?.syncedResourceVersion !== undefined && !Number.isNaN(refreshTime);
  if (!synced) return { refresh: true, why: "never synced" };
  if (status?.syncedResourceVersion !== syncVersion) return { refresh: true, why: "ExternalSecret changed" };
  const managesTarget = spec.target.creationPolicy === "Owner" || spec.target.creationPolicy === "Orphan";
  if (managesTarget && !target.exists && !isDeleted(status)) return { refresh: true, why: "target Secret missing" };
  if (managesTarget && target.exists && !target.intact) return { refresh: true, why: "target Secret changed" };
  if (spec.refreshPolicy === "CreatedOnce" || spec.refreshPolicy === "OnChange") return { refresh: false, nextInMs: undefined };
  if (spec.refreshIntervalMs <= 0) return { refresh: false, nextInMs: undefined };
  const due = input.dueAt ? input.dueAt(refreshTime, spec.refreshIntervalMs) : refreshTime + spec.refreshIntervalMs;
  if (now.getTime() >= due) return { refresh: true, why: "refresh interval elapsed" };
  return { refresh: false, nextInMs: due - now.getTime() };
}

/**
 * The status a refresh decision is made from: the cached one, or — when this process recorded a
 * later refresh than the cached copy shows (the informer's copy of a status lags our write of it) —
 * that refresh. Without it, a reconcile woken in that gap (e.g. by a label put on the target) would
 * take the object for never synced and refresh it again: a generator would make a new value.
 */
export function withOwnRefresh(status: ExternalSecretStatus | undefined, own: { syncVersion: string; refreshTime: string } | undefined): ExternalSecretStatus | undefined {
  if (!own) return status;
  const cached = status?.refreshTime ? Date.parse(status.refreshTime) : NaN;
  if (!Number.isNaN(cached) && cached >= Date.parse(own.refreshTime)) return status;
  return { ...(status ?? { conditions: [] }), refreshTime: own.refreshTime, syncedResourceVersion: own.syncVersion };
}

function isDeleted(status: ExternalSecretStatus | undefined): boolean {
  return status?.conditions.some((c) => c.type === "Ready" && c.reason === "SecretDeleted") ?? false;
}

/**
 * The data-hash annotation's value: keyed (HMAC-SHA256 under the cluster's hash key, see
 * keys/hash-key.ts) so that whoever may read Secret metadata cannot test guesses of a value offline;
 * unkeyed only without a key (tests, and recognising what earlier versions wrote).
 */
export function dataHash(data: Readonly<Record<string, string>>, key?: Uint8Array): string {
  const h = key ? createHmac("sha256", key) : createHash("sha256");
  for (const k of Object.keys(data).sort()) h.update(`${k.length}:${k}=${data[k] ?? ""};`);
  return h.digest("hex").slice(0, 32);
}

export interface RenderedSecret {
  /** base64 values, as Secret.data holds them. */
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  type?: string;
}

/**
 * The data the target gets, as ESO's mutation makes it: Owner and Orphan targets hold exactly the
 * rendered data; a Merge target keeps its other keys, minus the keys this ExternalSecret wrote
 * before (`managed`), so a remote key that is gone leaves it.
 */
export function targetData(input: {
  policy: ExternalSecretSpec["target"]["creationPolicy"];
  existing: KubeObject | undefined;
  managed: ManagedKeys;
  rendered: Readonly<Record<string, string>>;
}): Record<string, string> {
  if (input.policy !== "Merge") return { ...input.rendered };
  return { ...without(stringRecord(input.existing?.["data"]), input.managed.data), ...input.rendered };
}

function without(r: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  const out = { ...r };
  for (const k of keys) delete out[k];
  return out;
}

/**
 * The Secret to write for creationPolicy Owner/Orphan/Merge, or undefined when the existing one
 * already matches (no write). `existing` is the current Secret, if any.
 */
export function desiredSecret(input: {
  es: EsMeta;
  spec: ExternalSecretSpec;
  rendered: RenderedSecret;
  existing: KubeObject | undefined;
  /** What this ExternalSecret wrote into `existing` before (from its managedFields). */
  managed: ManagedKeys;
  /** With a target.template ESO takes the metadata from it; without, it copies the ExternalSecret's. */
  hasTemplate: boolean;
  /** The cluster's key for the data-hash annotation (unkeyed without). */
  hashKey?: Uint8Array;
}): KubeObject | undefined {
  const { es, spec, rendered, existing, managed } = input;
  const name = spec.target.name ?? es.name;
  const policy = spec.target.creationPolicy;
  // managedFields stay out of the write: the API server keeps them itself.
  const existingMeta = { ...(existing?.metadata ?? {}) };
  delete existingMeta.managedFields;
  const data = targetData({ policy, existing, managed, rendered: rendered.data });
  const copied = input.hasTemplate
    ? { labels: {}, annotations: {} }
    : { labels: es.labels, annotations: Object.fromEntries(Object.entries(es.annotations).filter(([k]) => k !== LAST_APPLIED)) };
  const labels: Record<string, string> = {
    ...without(existingMeta.labels ?? {}, managed.labels),
    ...copied.labels,
    ...rendered.labels,
    // ESO labels every target it writes, a Merge target too.
    [LABEL_MANAGED]: "true",
  };
  if (policy === "Owner") labels[LABEL_CREATED_BY] = createdByValue(es.name);
  const annotations: Record<string, string> = {
    ...without(existingMeta.annotations ?? {}, managed.annotations),
    ...copied.annotations,
    ...rendered.annotations,
    [ANNOTATION_DATA_HASH]: dataHash(data, input.hashKey),
  };
  const ownerReferences = policy === "Owner"
    ? [
        ...(existingMeta.ownerReferences ?? []).filter((r) => r.uid !== es.uid && !(r.controller === true)),
        { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", name: es.name, uid: es.uid, controller: true, blockOwnerDeletion: true },
      ]
    : existingMeta.ownerReferences;
  const type = rendered.type ?? (typeof existing?.["type"] === "string" ? existing["type"] : "Opaque");
  const desired: KubeObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      ...existingMeta,
      name,
      namespace: es.namespace,
      labels,
      annotations,
      ...(ownerReferences && ownerReferences.length ? { ownerReferences } : {}),
    },
    type,
    data,
    ...(spec.target.immutable || existing?.["immutable"] === true ? { immutable: true } : {}),
  };
  if (existing && sameSecret(existing, desired)) return undefined;
  return desired;
}

/** ESO labels Owner-created Secrets with the ExternalSecret's name, hashed when too long for a label. */
function createdByValue(name: string): string {
  return name.length <= 63 ? name : createHash("sha256").update(name).digest("hex").slice(0, 63);
}

function sameSecret(a: KubeObject, b: KubeObject): boolean {
  const pick = (o: KubeObject) =>
    JSON.stringify([
      sortObj(stringRecord(o["data"])),
      sortObj(o.metadata?.labels ?? {}),
      sortObj(o.metadata?.annotations ?? {}),
      o.metadata?.ownerReferences ?? [],
      o["type"] ?? "Opaque",
      o["immutable"] === true,
    ]);
  return pick(a) === pick(b);
}

function sortObj(r: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(r).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

export function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  }
  return out;
}

/**
 * Whether the target's data-hash annotation matches its data (someone edited it otherwise). An
 * unkeyed hash from an earlier version counts as not intact once there is a key: the next sync
 * rewrites it keyed.
 */
export function targetState(secret: KubeObject | undefined, hashKey?: Uint8Array): TargetState {
  if (!secret) return { exists: false, intact: false };
  const recorded = secret.metadata?.annotations?.[ANNOTATION_DATA_HASH];
  return { exists: true, intact: recorded === undefined || recorded === dataHash(stringRecord(secret["data"]), hashKey) };
}

/** `readAt`: when the provider values were read, if before `now` (a refresh wave read them ahead). */
export type Outcome =
  /** `retained`: the provider returned nothing and deletionPolicy Retain left the Secret as it was. */
  | { kind: "synced"; targetName: string; readAt?: Date; retained?: boolean }
  | { kind: "deleted"; readAt?: Date }
  /** creationPolicy Merge and no target Secret: nothing to merge into, which is not an error. */
  | { kind: "missing"; readAt?: Date }
  | { kind: "error"; reason: string; message: string };

export const READY_REASONS = {
  synced: "SecretSynced",
  error: "SecretSyncedError",
  deleted: "SecretDeleted",
  missing: "SecretMissing",
} as const;

/** ESO's Ready condition (status, reason, message) for each outcome. */
function readyCondition(outcome: Outcome): Omit<Condition, "lastTransitionTime"> {
  switch (outcome.kind) {
    case "synced":
      return { type: "Ready", status: "True", reason: READY_REASONS.synced, message: outcome.retained ? "secret retained due to DeletionPolicy=Retain" : "secret synced" };
    case "deleted":
      return { type: "Ready", status: "True", reason: READY_REASONS.deleted, message: "secret deleted due to DeletionPolicy=Delete" };
    case "missing":
      return { type: "Ready", status: "True", reason: READY_REASONS.missing, message: "secret will not be created due to CreationPolicy=Merge" };
    case "error":
      return { type: "Ready", status: "False", reason: READY_REASONS.error, message: `${outcome.reason}: ${outcome.message}` };
  }
}

/**
 * The status after an attempt; lastTransitionTime is kept while the condition's status is unchanged.
 * observedGeneration is the generation the attempt was made for, whatever its outcome.
 */
export function nextStatus(input: {
  previous: ExternalSecretStatus | undefined;
  outcome: Outcome;
  syncVersion: string;
  generation: number;
  now: Date;
}): ExternalSecretStatus {
  const { previous, outcome, syncVersion, generation, now } = input;
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const ready = readyCondition(outcome);
  const prior = previous?.conditions.find((c) => c.type === "Ready");
  const condition: Condition = { ...ready, lastTransitionTime: prior && prior.status === ready.status ? prior.lastTransitionTime : at };
  const others = (previous?.conditions ?? []).filter((c) => c.type !== "Ready");
  if (outcome.kind === "error") {
    return {
      observedGeneration: generation,
      ...(previous?.refreshTime ? { refreshTime: previous.refreshTime } : {}),
      ...(previous?.syncedResourceVersion ? { syncedResourceVersion: previous.syncedResourceVersion } : {}),
      ...(previous?.binding ? { binding: previous.binding } : {}),
      conditions: [...others, condition],
    };
  }
  // refreshTime says when the values were read, so a value read ahead never looks newer than it is.
  const readAt = outcome.readAt && outcome.readAt.getTime() < now.getTime() ? outcome.readAt : now;
  return {
    observedGeneration: generation,
    refreshTime: readAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
    syncedResourceVersion: syncVersion,
    ...(outcome.kind === "synced" ? { binding: { name: outcome.targetName } } : {}),
    conditions: [...others, condition],
  };
}

export function parseStatus(raw: unknown): ExternalSecretStatus | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const conditions = Array.isArray(r["conditions"])
    ? r["conditions"].filter((c): c is Condition => typeof c === "object" && c !== null && typeof (c as Condition).type === "string")
    : [];
  const binding = r["binding"];
  const bindingName = typeof binding === "object" && binding !== null ? (binding as Record<string, unknown>)["name"] : undefined;
  return {
    ...(typeof r["observedGeneration"] === "number" ? { observedGeneration: r["observedGeneration"] } : {}),
    ...(typeof r["refreshTime"] === "string" ? { refreshTime: r["refreshTime"] } : {}),
    ...(typeof r["syncedResourceVersion"] === "string" ? { syncedResourceVersion: r["syncedResourceVersion"] } : {}),
    conditions,
    ...(typeof bindingName === "string" && bindingName ? { binding: { name: bindingName } } : {}),
  };
}

/**
 * Whether writing `b` over `a` would change nothing. A previous status without observedGeneration is
 * compared without it: ESO's own CRD (when sealbridge runs beside ESO) prunes the field, and it must
 * not make every reconcile a write; a new generation changes syncedResourceVersion or Ready anyway.
 */
export function statusEqual(a: ExternalSecretStatus | undefined, b: ExternalSecretStatus): boolean {
  if (!a) return false;
  const withGeneration = a.observedGeneration !== undefined;
  const norm = (s: ExternalSecretStatus) =>
    JSON.stringify([
      withGeneration ? (s.observedGeneration ?? null) : null,
      s.refreshTime ?? "",
      s.syncedResourceVersion ?? "",
      s.binding?.name ?? "",
      s.conditions.map((c) => [c.type, c.status, c.reason ?? "", c.message ?? "", c.lastTransitionTime ?? ""]),
    ]);
  return norm(a) === norm(b);
}
