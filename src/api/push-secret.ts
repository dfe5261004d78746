// external-secrets.io/v1alpha1 PushSecret: the spec parsed into typed values with ESO's defaults
// applied here (the CRD carries no `default:`), bounds on every list and string, and clear errors for
// the fields sealbridge does not implement (generatorRef, a label-selected source, dataTo, template,
// conversionStrategy ReverseUnicode).
import { DurationError, parseGoDuration } from "./go-duration.ts";
import { SpecError, isObject, obj, objList, oneOf, requiredObj, str, type Json } from "./eso-fields.ts";
import type { StoreKind } from "./external-secret.ts";
import { parseLabelSelector, type LabelSelector } from "./secret-store.ts";

export type UpdatePolicy = "Replace" | "IfNotExists";
export type PushDeletionPolicy = "Delete" | "None";

/** ESO adds this finalizer while deletionPolicy is Delete, so deleting the PushSecret cleans up first. */
export const PUSH_SECRET_FINALIZER = "pushsecret.externalsecrets.io/finalizer";

export interface PushStoreRef {
  kind: StoreKind;
  name?: string;
  labelSelector?: LabelSelector;
}

export interface PushDataItem {
  /** Absent: the whole Secret, as a JSON object. */
  secretKey?: string;
  remoteKey: string;
  property?: string;
  /** Provider-specific PushSecretMetadata, as written. */
  metadata?: unknown;
  conversionStrategy: "None";
}

export interface PushSecretSpec {
  refreshIntervalMs: number;
  secretStoreRefs: PushStoreRef[];
  updatePolicy: UpdatePolicy;
  deletionPolicy: PushDeletionPolicy;
  /** selector.secret.name: the source Secret, in the PushSecret's namespace. */
  sourceSecret: string;
  data: PushDataItem[];
}

/** ESO's default refreshInterval (1h0m0s). */
export const DEFAULT_PUSH_REFRESH_MS = 3_600_000;
export const MAX_STORE_REFS = 50;
export const MAX_DATA_ITEMS = 500;
const MAX_KEY_LENGTH = 2048;

export function parsePushSecretSpec(raw: unknown): PushSecretSpec {
  if (!isObject(raw)) throw new SpecError("spec is required");
  const p = "spec";
  let refreshIntervalMs = DEFAULT_PUSH_REFRESH_MS;
  const interval = str(raw, "refreshInterval", p);
  if (interval !== undefined) {
    try {
      refreshIntervalMs = Math.max(0, parseGoDuration(interval));
    } catch (err) {
      if (err instanceof DurationError) throw new SpecError(`${p}.refreshInterval: ${err.message}`);
      throw err;
    }
  }
  for (const field of ["dataTo", "template"] as const) {
    const v = raw[field];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) throw new SpecError(`${p}.${field} is not supported by sealbridge`);
  }
  const refs = objList(raw, "secretStoreRefs", p);
  if (refs.length === 0) throw new SpecError(`${p}.secretStoreRefs needs at least one store`);
  if (refs.length > MAX_STORE_REFS) throw new SpecError(`${p}.secretStoreRefs has ${refs.length} entries; at most ${MAX_STORE_REFS}`);
  const secretStoreRefs = refs.map(({ item, path }) => parseStoreRef(item, path));
  const items = objList(raw, "data", p);
  if (items.length > MAX_DATA_ITEMS) throw new SpecError(`${p}.data has ${items.length} entries; at most ${MAX_DATA_ITEMS}`);
  const data = items.map(({ item, path }) => parseDataItem(item, path));
  const seen = new Set<string>();
  for (const d of data) {
    const id = statusRef(d);
    if (seen.has(id)) throw new SpecError(`${p}.data: remote ref ${JSON.stringify(id)} appears twice`);
    seen.add(id);
  }
  return {
    refreshIntervalMs,
    secretStoreRefs,
    updatePolicy: oneOf(raw, "updatePolicy", p, ["Replace", "IfNotExists"] as const) ?? "Replace",
    deletionPolicy: oneOf(raw, "deletionPolicy", p, ["Delete", "None"] as const) ?? "None",
    sourceSecret: parseSelector(requiredObj(raw, "selector", p), `${p}.selector`),
    data,
  };
}

/** The deletion policy as far as it can be read from a spec that may not parse (finalizer handling). */
export function rawDeletionPolicy(raw: unknown): PushDeletionPolicy {
  return isObject(raw) && raw["deletionPolicy"] === "Delete" ? "Delete" : "None";
}

function parseSelector(sel: Json, path: string): string {
  if (obj(sel, "generatorRef", path)) throw new SpecError(`${path}.generatorRef is not supported by sealbridge for PushSecret`);
  const secret = obj(sel, "secret", path);
  if (!secret) throw new SpecError(`${path}.secret is required`);
  const sp = `${path}.secret`;
  if (obj(secret, "selector", sp)) throw new SpecError(`${sp}.selector (a label-selected source) is not supported by sealbridge; name one Secret with ${sp}.name`);
  const name = str(secret, "name", sp);
  if (!name) throw new SpecError(`${sp}.name is required`);
  bounded(name, `${sp}.name`, 253);
  return name;
}

function parseStoreRef(ref: Json, path: string): PushStoreRef {
  const kind = oneOf(ref, "kind", path, ["SecretStore", "ClusterSecretStore"] as const) ?? "SecretStore";
  const name = str(ref, "name", path);
  const sel = obj(ref, "labelSelector", path);
  if (!name && !sel) throw new SpecError(`${path}: one of name or labelSelector is required`);
  if (name) bounded(name, `${path}.name`, 253);
  return { kind, ...(name ? { name } : {}), ...(sel && !name ? { labelSelector: parseLabelSelector(sel, `${path}.labelSelector`) } : {}) };
}

function parseDataItem(item: Json, path: string): PushDataItem {
  const match = requiredObj(item, "match", path);
  const mp = `${path}.match`;
  const remoteRef = requiredObj(match, "remoteRef", mp);
  const rp = `${mp}.remoteRef`;
  const remoteKey = str(remoteRef, "remoteKey", rp);
  if (!remoteKey) throw new SpecError(`${rp}.remoteKey is required`);
  bounded(remoteKey, `${rp}.remoteKey`, MAX_KEY_LENGTH);
  const property = str(remoteRef, "property", rp);
  if (property) bounded(property, `${rp}.property`, MAX_KEY_LENGTH);
  const secretKey = str(match, "secretKey", mp);
  if (secretKey) bounded(secretKey, `${mp}.secretKey`, 253);
  const conversion = oneOf(item, "conversionStrategy", path, ["None", "ReverseUnicode"] as const) ?? "None";
  if (conversion !== "None") throw new SpecError(`${path}.conversionStrategy ${conversion} is not supported by sealbridge`);
  const metadata = item["metadata"];
  return {
    ...(secretKey ? { secretKey } : {}),
    remoteKey,
    ...(property ? { property } : {}),
    ...(metadata !== undefined && metadata !== null ? { metadata } : {}),
    conversionStrategy: "None",
  };
}

function bounded(value: string, path: string, max: number): void {
  if (value.length > max) throw new SpecError(`${path} is ${value.length} characters long; at most ${max}`);
}

/** ESO's key of an entry in status.syncedPushSecrets: the remote key, plus "/property". */
export function statusRef(d: Pick<PushDataItem, "remoteKey" | "property">): string {
  return d.property ? `${d.remoteKey}/${d.property}` : d.remoteKey;
}

/** An entry of status.syncedPushSecrets as ESO writes it (a PushSecretData with its defaults). */
export function syncedEntry(d: PushDataItem): Record<string, unknown> {
  return {
    match: { ...(d.secretKey ? { secretKey: d.secretKey } : {}), remoteRef: { remoteKey: d.remoteKey, ...(d.property ? { property: d.property } : {}) } },
    ...(d.metadata !== undefined ? { metadata: d.metadata } : {}),
    conversionStrategy: d.conversionStrategy,
  };
}

/** A synced entry read back from status (what a later delete needs). */
export function parseSyncedEntry(raw: unknown): Pick<PushDataItem, "remoteKey" | "property"> | undefined {
  if (!isObject(raw)) return undefined;
  const match = raw["match"];
  const remoteRef = isObject(match) ? match["remoteRef"] : undefined;
  if (!isObject(remoteRef) || typeof remoteRef["remoteKey"] !== "string" || remoteRef["remoteKey"] === "") return undefined;
  const property = remoteRef["property"];
  return { remoteKey: remoteRef["remoteKey"], ...(typeof property === "string" && property !== "" ? { property } : {}) };
}
