// Scopes broken by rendering. A strict value is bound to "<namespace>/<name>", a namespace-wide one
// to "<namespace>" (the OAEP label for SealedSecrets, the HKDF label of the age scope identity for
// AgeSecrets and SopsSecrets). Ciphertext does not say which label it carries, so this is inferred
// from the rendering: the source file's name and namespace are what it was sealed for, and a
// rendered name or namespace that differs breaks the scope. The transformation that changed it is named.
import { scopeFromAnnotations, type SealingScope } from "../crypto/scope.ts";
import type { Finding } from "./finding.ts";
import { classify, describeObject, identityOf, isScoped } from "./objects.ts";
import type { RenderedObject, Transformation } from "./rendering.ts";
import { parseSealedFor, SEALED_FOR_ANNOTATION } from "../api/sealed-for.ts";

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

export interface ScopeCheckContext {
  /** Absolute overlay directory, for the message. */
  root: string;
  display: (path: string) => string;
}

interface Target {
  scope: SealingScope;
  /** "" when unknown (a source without a namespace). */
  namespace: string;
  name: string;
  recorded: boolean;
}

/** What `sealbridge seal` recorded in sealbridge.dev/sealed-for (src/api/sealed-for.ts). */
function recordedTarget(annotations: Readonly<Record<string, string>> | undefined): Target | undefined {
  const t = parseSealedFor(annotations);
  return t === undefined ? undefined : { ...t, recorded: true };
}

function targetText(t: Pick<Target, "scope" | "namespace" | "name">): string {
  if (t.scope === "cluster-wide") return "cluster-wide";
  const ns = t.namespace === "" ? "?" : t.namespace;
  return t.scope === "namespace-wide" ? `namespace ${ns}` : `${ns}/${t.name}`;
}

export function scopeFindings(obj: RenderedObject, ctx: ScopeCheckContext): Finding[] {
  const source = obj.source;
  const kind = classify(obj.value);
  if (source === undefined || !isScoped(kind)) return [];
  const from = identityOf(source.value);
  const to = identityOf(obj.value);
  if (from === undefined || to === undefined) return [];
  const sourceAnnotations = annotationsOf(source.value);
  const sealed: Target = recordedTarget(sourceAnnotations) ?? { scope: scopeFromAnnotations(sourceAnnotations), namespace: from.namespace, name: from.name, recorded: false };
  const renderedScope = scopeFromAnnotations(annotationsOf(obj.value));
  const rendered = obj.transformations.length > 0 || source.value !== obj.value;
  const overlay = ctx.display(ctx.root) || ".";
  const when = rendered ? ` when ${overlay} is rendered` : "";
  const recordedNote = sealed.recorded ? ` (recorded in ${SEALED_FOR_ANNOTATION})` : "";
  const base = { file: source.file, object: describeObject(from) };
  const out: Finding[] = [];
  if (sealed.scope !== renderedScope) {
    const by = rendered ? ` (by ${named(obj.transformations, [], ctx.display)})` : "";
    out.push({
      ...base,
      rule: "scope-broken-by-rendering",
      severity: "error",
      line: source.lineOf(["metadata", "annotations"]),
      message: `its scope annotations say ${renderedScope}${when}${by}, but its values were sealed ${sealed.scope}${recordedNote}: they will not decrypt`,
    });
    return out;
  }
  if (sealed.scope === "cluster-wide") return out;
  const nameChanged = sealed.scope === "strict" && sealed.name !== to.name;
  // A rendered object without a namespace goes where `kubectl apply -n` puts it: unknown here, so
  // a recorded namespace cannot be said to differ (--controller can tell).
  const nsChanged = sealed.namespace !== "" && to.namespace !== "" && sealed.namespace !== to.namespace;
  const toTarget = { scope: sealed.scope, namespace: to.namespace, name: to.name };
  const severity: Finding["severity"] = kind === "SopsSecret" ? "warning" : "error";
  if (nameChanged || nsChanged) {
    const fields = [...(nameChanged ? ["namePrefix", "nameSuffix"] : []), ...(nsChanged ? ["namespace"] : [])];
    const also = kind === "SopsSecret" ? " (unless the file is also encrypted to an identity Secret's recipient)" : "";
    const what = rendered && obj.transformations.length > 0 ? `${named(obj.transformations, fields, ctx.display)} renames` : rendered ? "the rendering renames" : "the manifest names";
    const change = rendered ? `${from.namespace === "" ? "?" : from.namespace}/${from.name} → ${to.namespace}/${to.name}` : `${to.namespace}/${to.name}`;
    out.push({
      ...base,
      rule: "scope-broken-by-rendering",
      severity,
      line: source.lineOf(["metadata", nameChanged ? "name" : "namespace"]),
      message: `${what} ${change}${when}; ${sealed.scope} scope breaks: its values were sealed for ${targetText(sealed)}${recordedNote}${also}: re-seal for ${targetText(toTarget)}, or seal it ${sealed.scope === "strict" ? "namespace-wide or " : ""}cluster-wide`,
    });
    return out;
  }
  if (sealed.namespace === "" && to.namespace !== "") {
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
