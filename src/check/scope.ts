// Scopes broken by rendering. A strict value is bound to "<namespace>/<name>", a namespace-wide one
// to "<namespace>" (the OAEP label for SealedSecrets, the HKDF label of the age scope identity for
// AgeSecrets and SopsSecrets). Ciphertext does not say which label it carries, so this is inferred
// from the rendering: the source file's name and namespace are what it was sealed for, and a
// rendered name or namespace that differs breaks the scope. The transformation that changed it is named.
import { scopeFromAnnotations, type SealingScope } from "../crypto/scope.ts";
import type { Finding } from "./finding.ts";
import { classify, describeObject, identityOf, isScoped } from "./objects.ts";
import type { RenderedObject, Transformation } from "./rendering.ts";

function annotationsOf(value: unknown): Record<string, string> | undefined {
  const meta = (value as { metadata?: { annotations?: unknown } } | null)?.metadata;
  const a = meta?.annotations;
  if (typeof a !== "object" || a === null || Array.isArray(a)) return undefined;
  return Object.fromEntries(Object.entries(a).filter((e): e is [string, string] => typeof e[1] === "string"));
}

function describeTransformation(t: Transformation, display: (path: string) => string): string {
  const where = display(t.file);
  return t.value !== "" ? `${t.field} '${t.value}' in ${where}` : `${t.field} in ${where}`;
}

function named(list: readonly Transformation[], fields: readonly string[], display: (path: string) => string): string {
  const relevant = list.filter((t) => fields.includes(t.field));
  const others = list.filter((t) => !["namespace", "namePrefix", "nameSuffix"].includes(t.field));
  const parts = [...relevant, ...others].map((t) => describeTransformation(t, display));
  return parts.length > 0 ? [...new Set(parts)].join(" and ") : "a transformation kustomize did not annotate";
}

const WHY: Record<Exclude<SealingScope, "cluster-wide">, string> = {
  strict: "strict scope breaks: its values were sealed for",
  "namespace-wide": "namespace-wide scope breaks: its values were sealed for namespace",
};

export interface ScopeCheckContext {
  /** Absolute overlay directory, for the message. */
  root: string;
  display: (path: string) => string;
}

export function scopeFindings(obj: RenderedObject, ctx: ScopeCheckContext): Finding[] {
  const source = obj.source;
  const kind = classify(obj.value);
  if (source === undefined || !isScoped(kind)) return [];
  const from = identityOf(source.value);
  const to = identityOf(obj.value);
  if (from === undefined || to === undefined) return [];
  const sealedScope = scopeFromAnnotations(annotationsOf(source.value));
  const renderedScope = scopeFromAnnotations(annotationsOf(obj.value));
  const overlay = ctx.display(ctx.root) || ".";
  const base = { file: source.file, object: describeObject(from) };
  const out: Finding[] = [];
  if (sealedScope !== renderedScope) {
    out.push({
      ...base,
      rule: "scope-broken-by-rendering",
      severity: "error",
      line: source.lineOf(["metadata", "annotations"]),
      message: `rendered by ${overlay}, its scope becomes ${renderedScope} (by ${named(obj.transformations, [], ctx.display)}) but its values were sealed ${sealedScope}: they will not decrypt`,
    });
    return out;
  }
  if (sealedScope === "cluster-wide") return out;
  const nameChanged = from.name !== to.name;
  const nsChanged = from.namespace !== "" && from.namespace !== to.namespace;
  const fromText = from.namespace === "" ? `?/${from.name}` : `${from.namespace}/${from.name}`;
  const toText = `${to.namespace}/${to.name}`;
  const severity: Finding["severity"] = kind === "SopsSecret" ? "warning" : "error";
  if ((sealedScope === "strict" && (nameChanged || nsChanged)) || (sealedScope === "namespace-wide" && nsChanged)) {
    const fields = [...(sealedScope === "strict" && nameChanged ? ["namePrefix", "nameSuffix"] : []), ...(nsChanged ? ["namespace"] : [])];
    const sealedFor = sealedScope === "strict" ? fromText : from.namespace;
    const also = kind === "SopsSecret" ? " (unless the file is also encrypted to an identity Secret's recipient)" : "";
    out.push({
      ...base,
      rule: "scope-broken-by-rendering",
      severity,
      line: source.lineOf(["metadata", nameChanged && sealedScope === "strict" ? "name" : "namespace"]),
      message: `${named(obj.transformations, fields, ctx.display)} renames ${fromText} → ${toText} when ${overlay} is rendered; ${WHY[sealedScope]} ${sealedFor}${also}: re-seal for ${sealedScope === "strict" ? toText : to.namespace}, or seal it ${sealedScope === "strict" ? "namespace-wide or " : ""}cluster-wide`,
    });
    return out;
  }
  if (from.namespace === "" && to.namespace !== "") {
    out.push({
      ...base,
      rule: "scope-unknown-origin",
      severity: "notice",
      line: source.lineOf(["metadata"]),
      message: `the source has no namespace, so the namespace it was sealed for (kubeseal takes the context's) is unknown; ${overlay} renders it into ${to.namespace}${obj.transformations.length > 0 ? ` (${named(obj.transformations, ["namespace"], ctx.display)})` : ""}: verify with --controller`,
    });
  }
  return out;
}
