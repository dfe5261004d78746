// external-secrets.io/v1 ClusterExternalSecret: the spec parsed into typed values with ESO's defaults
// applied here. `externalSecretSpec` is kept as written: it is copied into each namespace's
// ExternalSecret, whose own reconciler parses it and reports what is wrong there.
import { DurationError, parseGoDuration } from "./go-duration.ts";
import { SpecError, isObject, list, obj, str, strList, strMap, type Json } from "./eso-fields.ts";
import { parseLabelSelector, type LabelSelector } from "./secret-store.ts";

export interface ClusterExternalSecretSpec {
  externalSecretSpec: Json;
  /** The ExternalSecrets' name: spec.externalSecretName, else the ClusterExternalSecret's name. */
  externalSecretName?: string;
  externalSecretMetadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** namespaceSelector (deprecated) and namespaceSelectors, ORed. */
  namespaceSelectors: LabelSelector[];
  /** Namespaces chosen by name, ORed with the selectors. */
  namespaces: string[];
  /** How often the namespaces are re-checked (ms; spec.refreshTime). */
  refreshIntervalMs: number;
}

/** ESO's default requeue interval for ClusterExternalSecrets. */
export const DEFAULT_CES_REFRESH_MS = 3_600_000;
/** Bounds of our own: each entry is a list call's worth of matching. */
const MAX_SELECTORS = 100;
const MAX_NAMESPACES = 10_000;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function parseClusterExternalSecretSpec(raw: unknown): ClusterExternalSecretSpec {
  if (!isObject(raw)) throw new SpecError("spec is required");
  const p = "spec";
  const externalSecretSpec = obj(raw, "externalSecretSpec", p);
  if (!externalSecretSpec) throw new SpecError(`${p}.externalSecretSpec is required`);
  const name = str(raw, "externalSecretName", p);
  if (name !== undefined && (name.length > 253 || !DNS_SUBDOMAIN.test(name))) {
    throw new SpecError(`${p}.externalSecretName must be a DNS subdomain name (lowercase letters, digits, '-' and '.', at most 253 characters)`);
  }
  const metadata = obj(raw, "externalSecretMetadata", p) ?? {};
  const mp = `${p}.externalSecretMetadata`;
  const labels = strMap(metadata, "labels", mp);
  const annotations = strMap(metadata, "annotations", mp);

  const selectors: LabelSelector[] = [];
  const single = obj(raw, "namespaceSelector", p);
  if (single) selectors.push(selector(single, `${p}.namespaceSelector`));
  const many = list(raw, "namespaceSelectors", p);
  if (many.length > MAX_SELECTORS) throw new SpecError(`${p}.namespaceSelectors may hold at most ${MAX_SELECTORS} selectors`);
  many.forEach((s, i) => {
    const sp = `${p}.namespaceSelectors[${i}]`;
    if (s === null) return; // a nil selector selects nothing, as in ESO
    if (!isObject(s)) throw new SpecError(`${sp} must be an object`);
    selectors.push(selector(s, sp));
  });
  const namespaces = strList(raw, "namespaces", p);
  if (namespaces.length > MAX_NAMESPACES) throw new SpecError(`${p}.namespaces may hold at most ${MAX_NAMESPACES} names`);
  namespaces.forEach((n, i) => {
    if (n.length > 63 || !DNS_LABEL.test(n)) throw new SpecError(`${p}.namespaces[${i}] must be a namespace name (DNS label), got ${JSON.stringify(n.slice(0, 70))}`);
  });

  let refreshIntervalMs = DEFAULT_CES_REFRESH_MS;
  const refresh = str(raw, "refreshTime", p);
  if (refresh !== undefined) {
    try {
      refreshIntervalMs = parseGoDuration(refresh);
    } catch (err) {
      if (err instanceof DurationError) throw new SpecError(`${p}.refreshTime: ${err.message}`);
      throw err;
    }
  }
  return {
    externalSecretSpec,
    ...(name !== undefined ? { externalSecretName: name } : {}),
    externalSecretMetadata: { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    namespaceSelectors: selectors,
    namespaces,
    refreshIntervalMs,
  };
}

/** A label selector with the API server's own checks (metav1.LabelSelectorAsSelector). */
function selector(raw: Json, path: string): LabelSelector {
  const sel = parseLabelSelector(raw, path);
  sel.matchExpressions.forEach((e, i) => {
    const ep = `${path}.matchExpressions[${i}]`;
    if ((e.operator === "In" || e.operator === "NotIn") && e.values.length === 0) throw new SpecError(`${ep}.values must be non-empty for operator ${e.operator}`);
    if ((e.operator === "Exists" || e.operator === "DoesNotExist") && e.values.length > 0) throw new SpecError(`${ep}.values must be empty for operator ${e.operator}`);
  });
  return sel;
}
