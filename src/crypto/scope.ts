// Sealing scopes: which OAEP label a value is bound to, and how a manifest says so.
import { CryptoError } from "./errors.ts";

export type SealingScope = "strict" | "namespace-wide" | "cluster-wide";

export const SEALING_SCOPES: readonly SealingScope[] = ["strict", "namespace-wide", "cluster-wide"];
export const DEFAULT_SCOPE: SealingScope = "strict";

export const CLUSTER_WIDE_ANNOTATION = "sealedsecrets.bitnami.com/cluster-wide";
export const NAMESPACE_WIDE_ANNOTATION = "sealedsecrets.bitnami.com/namespace-wide";

export type Annotations = Readonly<Record<string, string>>;

/** Parses a `--scope` value; the empty string means the default, as in kubeseal. */
export function parseScope(value: string): SealingScope {
  if (value === "") return DEFAULT_SCOPE;
  const found = SEALING_SCOPES.find((s) => s === value);
  if (found === undefined) {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    throw new CryptoError("InvalidScope", `invalid scope "${shown}": must be one of: ${SEALING_SCOPES.join(", ")}`);
  }
  return found;
}

/** The scope recorded in annotations: cluster-wide wins over namespace-wide; only the value "true" counts. */
export function scopeFromAnnotations(annotations: Annotations | undefined): SealingScope {
  if (annotations?.[CLUSTER_WIDE_ANNOTATION] === "true") return "cluster-wide";
  if (annotations?.[NAMESPACE_WIDE_ANNOTATION] === "true") return "namespace-wide";
  return "strict";
}

/** Returns annotations rewritten to say `scope` (both scope annotations removed, the right one set). */
export function withScopeAnnotations(annotations: Annotations | undefined, scope: SealingScope): Record<string, string> {
  const out: Record<string, string> = { ...annotations };
  delete out[CLUSTER_WIDE_ANNOTATION];
  delete out[NAMESPACE_WIDE_ANNOTATION];
  if (scope === "namespace-wide") out[NAMESPACE_WIDE_ANNOTATION] = "true";
  if (scope === "cluster-wide") out[CLUSTER_WIDE_ANNOTATION] = "true";
  return out;
}

/** The OAEP label as a string: `<ns>/<name>` (strict), `<ns>` (namespace-wide) or `` (cluster-wide). */
export function scopeLabelText(scope: SealingScope, namespace: string, name: string): string {
  switch (scope) {
    case "cluster-wide":
      return "";
    case "namespace-wide":
      return namespace;
    case "strict":
      return `${namespace}/${name}`;
  }
}

/** The OAEP label bytes for a scope. */
export function scopeLabel(scope: SealingScope, namespace: string, name: string): Uint8Array {
  return new TextEncoder().encode(scopeLabelText(scope, namespace, name));
}

/**
 * Like scopeLabel, but refuses a label that cannot be right: a strict or namespace-wide value
 * without a namespace, or a strict value without a name.
 */
export function requireScopeLabel(scope: SealingScope, namespace: string, name: string): Uint8Array {
  if (scope !== "cluster-wide" && namespace === "") {
    throw new CryptoError("MissingNamespace", `scope ${scope} needs a namespace`);
  }
  if (scope === "strict" && name === "") {
    throw new CryptoError("MissingName", `scope ${scope} needs a name`);
  }
  return scopeLabel(scope, namespace, name);
}
