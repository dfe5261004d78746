// Pure decisions for one PushSecret, with the clock passed in: whether to push now, which remote
// entries each store should hold, which earlier pushes to delete (deletionPolicy Delete), and the
// next status. reconcile.ts does the reads and writes around these.
import { statusRef, syncedEntry, type PushDataItem, type PushSecretSpec } from "../../api/push-secret.ts";
import type { StoreKind } from "../../api/external-secret.ts";
import type { Condition } from "../external-secret/plan.ts";
import { stableJson } from "../stable-json.ts";

export type { Condition } from "../external-secret/plan.ts";

/** status.syncedPushSecrets: "<Kind>/<store name>" → statusRef (remoteKey[/property]) → the PushSecretData. */
export type SyncedMap = Record<string, Record<string, Record<string, unknown>>>;

export interface PushSecretStatus {
  refreshTime?: string;
  syncedResourceVersion?: string;
  /** sealbridge's record of the source Secret's resourceVersion at the last push (never its data). */
  sourceResourceVersion?: string;
  syncedPushSecrets: SyncedMap;
  conditions: Condition[];
}

export const PUSH_REASONS = { synced: "Synced", errored: "Errored", sourceDeleted: "SourceDeleted" } as const;

export function storeStatusKey(kind: StoreKind, name: string): string {
  return `${kind}/${name}`;
}

export type PushDecision = { push: true; why: string } | { push: false; nextInMs: number | undefined };

/**
 * ESO's shouldRefresh, plus: a new version of the source Secret pushes at once, and a failed last
 * attempt is retried (on the queue's backoff).
 */
export function needsPush(input: { spec: PushSecretSpec; status: PushSecretStatus | undefined; syncVersion: string; sourceVersion: string | undefined; now: Date }): PushDecision {
  const { spec, status, syncVersion, sourceVersion, now } = input;
  const refreshTime = status?.refreshTime ? Date.parse(status.refreshTime) : NaN;
  if (status?.syncedResourceVersion === undefined || Number.isNaN(refreshTime)) return { push: true, why: "never synced" };
  if (status.syncedResourceVersion !== syncVersion) return { push: true, why: "PushSecret changed" };
  if (sourceVersion !== undefined && status.sourceResourceVersion !== sourceVersion) return { push: true, why: "source Secret changed" };
  const ready = status.conditions.find((c) => c.type === "Ready");
  if (ready?.status !== "True") return { push: true, why: "last push failed" };
  if (spec.refreshIntervalMs <= 0) return { push: false, nextInMs: undefined };
  const due = refreshTime + spec.refreshIntervalMs;
  if (now.getTime() >= due) return { push: true, why: "refresh interval elapsed" };
  return { push: false, nextInMs: due - now.getTime() };
}

/** What each resolved store should hold after this push: every data entry, keyed as ESO keys them. */
export function desiredSynced(data: readonly PushDataItem[], storeKeys: readonly string[]): SyncedMap {
  const out: SyncedMap = {};
  for (const key of storeKeys) {
    const entries: Record<string, Record<string, unknown>> = {};
    for (const d of data) entries[statusRef(d)] = syncedEntry(d);
    out[key] = entries;
  }
  return out;
}

/** Entries pushed earlier that the desired map no longer has (a removed entry or store): deleted under deletionPolicy Delete. */
export function staleEntries(previous: SyncedMap, desired: SyncedMap): { storeKey: string; ref: string; entry: Record<string, unknown> }[] {
  const out: { storeKey: string; ref: string; entry: Record<string, unknown> }[] = [];
  for (const [storeKey, entries] of Object.entries(previous)) {
    for (const [ref, entry] of Object.entries(entries)) {
      if (!desired[storeKey] || !Object.hasOwn(desired[storeKey], ref)) out.push({ storeKey, ref, entry });
    }
  }
  return out;
}

/** ESO's mergeSecretState: the newer map's entries over the older one's, store by store. */
export function mergeSynced(newer: SyncedMap, older: SyncedMap): SyncedMap {
  const out: SyncedMap = {};
  for (const [k, v] of Object.entries(older)) out[k] = { ...v };
  for (const [k, v] of Object.entries(newer)) out[k] = { ...(out[k] ?? {}), ...v };
  return out;
}

/** `synced`: what the providers now hold (ESO records entries skipped by IfNotExists too). */
export type PushOutcome =
  | { kind: "synced"; synced: SyncedMap; sourceVersion: string }
  | { kind: "sourceDeleted" }
  | { kind: "error"; reason: string; message: string; synced: SyncedMap };

/** The status after an attempt; lastTransitionTime is kept while the condition's status is unchanged. */
export function nextPushStatus(input: {
  previous: PushSecretStatus | undefined;
  outcome: PushOutcome;
  syncVersion: string;
  updatePolicy: PushSecretSpec["updatePolicy"];
  now: Date;
}): PushSecretStatus {
  const { previous, outcome, syncVersion, now } = input;
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  let ready: Omit<Condition, "lastTransitionTime">;
  if (outcome.kind === "synced") {
    const unchanged = input.updatePolicy === "IfNotExists" ? ". Existing secrets in providers unchanged." : "";
    ready = { type: "Ready", status: "True", reason: PUSH_REASONS.synced, message: `PushSecret synced successfully${unchanged}` };
  } else if (outcome.kind === "sourceDeleted") {
    ready = { type: "Ready", status: "False", reason: PUSH_REASONS.sourceDeleted, message: "source secret deleted; provider secrets cleaned up" };
  } else {
    ready = { type: "Ready", status: "False", reason: PUSH_REASONS.errored, message: `${outcome.reason}: ${outcome.message}` };
  }
  const prior = previous?.conditions.find((c) => c.type === "Ready");
  const condition: Condition = { ...ready, lastTransitionTime: prior && prior.status === ready.status ? prior.lastTransitionTime : at };
  const others = (previous?.conditions ?? []).filter((c) => c.type !== "Ready");
  const kept = {
    ...(previous?.refreshTime ? { refreshTime: previous.refreshTime } : {}),
    ...(previous?.syncedResourceVersion ? { syncedResourceVersion: previous.syncedResourceVersion } : {}),
    ...(previous?.sourceResourceVersion ? { sourceResourceVersion: previous.sourceResourceVersion } : {}),
  };
  if (outcome.kind === "error") return { ...kept, syncedPushSecrets: outcome.synced, conditions: [...others, condition] };
  if (outcome.kind === "sourceDeleted") return { ...kept, syncedPushSecrets: {}, conditions: [...others, condition] };
  return {
    refreshTime: at,
    syncedResourceVersion: syncVersion,
    sourceResourceVersion: outcome.sourceVersion,
    syncedPushSecrets: outcome.synced,
    conditions: [...others, condition],
  };
}

export function parsePushStatus(raw: unknown): PushSecretStatus | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const conditions = Array.isArray(r["conditions"])
    ? r["conditions"].filter((c): c is Condition => typeof c === "object" && c !== null && typeof (c as Condition).type === "string")
    : [];
  const synced: SyncedMap = {};
  const rawSynced = r["syncedPushSecrets"];
  if (typeof rawSynced === "object" && rawSynced !== null && !Array.isArray(rawSynced)) {
    for (const [store, entries] of Object.entries(rawSynced as Record<string, unknown>)) {
      if (typeof entries !== "object" || entries === null || Array.isArray(entries)) continue;
      const out: Record<string, Record<string, unknown>> = {};
      for (const [ref, entry] of Object.entries(entries as Record<string, unknown>)) {
        if (typeof entry === "object" && entry !== null && !Array.isArray(entry)) out[ref] = entry as Record<string, unknown>;
      }
      synced[store] = out;
    }
  }
  return {
    ...(typeof r["refreshTime"] === "string" ? { refreshTime: r["refreshTime"] } : {}),
    ...(typeof r["syncedResourceVersion"] === "string" ? { syncedResourceVersion: r["syncedResourceVersion"] } : {}),
    ...(typeof r["sourceResourceVersion"] === "string" ? { sourceResourceVersion: r["sourceResourceVersion"] } : {}),
    syncedPushSecrets: synced,
    conditions,
  };
}

export function pushStatusEqual(a: PushSecretStatus | undefined, b: PushSecretStatus): boolean {
  if (!a) return false;
  const norm = (s: PushSecretStatus) =>
    JSON.stringify([
      s.refreshTime ?? "",
      s.syncedResourceVersion ?? "",
      s.sourceResourceVersion ?? "",
      stableJson(s.syncedPushSecrets),
      s.conditions.map((c) => [c.type, c.status, c.reason ?? "", c.message ?? "", c.lastTransitionTime ?? ""]),
    ]);
  return norm(a) === norm(b);
}

/** The status as written: ESO omits an empty syncedPushSecrets. */
export function statusObject(s: PushSecretStatus): Record<string, unknown> {
  return {
    ...(s.refreshTime ? { refreshTime: s.refreshTime } : {}),
    ...(s.syncedResourceVersion ? { syncedResourceVersion: s.syncedResourceVersion } : {}),
    ...(s.sourceResourceVersion ? { sourceResourceVersion: s.sourceResourceVersion } : {}),
    ...(Object.keys(s.syncedPushSecrets).length > 0 ? { syncedPushSecrets: s.syncedPushSecrets } : {}),
    conditions: s.conditions,
  };
}

