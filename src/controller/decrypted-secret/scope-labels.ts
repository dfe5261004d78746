// The scope labels a value of the decrypted kinds (SealedSecret, AgeSecret, SopsSecret) is tried with,
// and what the label a value did open with says, for a ScopeMismatch condition. Kind-specific
// diagnosis (RSA label hashes, age recipients) builds on these in the kinds' plan.ts.
import { describeTarget, recordedTargets, recordedWhere } from "../../api/sealed-for.ts";
import { sealedSecretScope } from "../../api/sealed-secret.ts";
import { SEALING_SCOPES, scopeLabelText, withScopeAnnotations, type SealingScope } from "../../crypto/scope.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import type { SealedLike, SyncedState } from "./conditions.ts";

export interface ScopeLabel {
  scope: SealingScope;
  label: string;
  /**
   * Set on a diagnosis-only label of another object: the target recorded at seal time, by
   * `sealbridge seal` (annotation) or in spec.template.metadata (kubeseal and sealbridge seal).
   */
  recordedIn?: "annotation" | "template";
}

/**
 * The object's own scope label first, then the other scopes' labels, then the labels of the target
 * recorded at seal time (sealed-for annotation, spec.template.metadata name and namespace), which
 * a rename or move (kustomize namePrefix, nameSuffix, namespace) leaves as they were. All but the
 * first are for diagnosis only.
 */
export function labelsToTry(sealed: SealedLike): ScopeLabel[] {
  const own = sealedSecretScope(sealed);
  const ns = sealed.metadata.namespace ?? "";
  const name = sealed.metadata.name ?? "";
  const order = [own, ...SEALING_SCOPES.filter((s) => s !== own)];
  const labels: ScopeLabel[] = order.map((scope) => ({ scope, label: scopeLabelText(scope, ns, name) }));
  const recorded = recordedTargets(sealed.metadata, sealed.spec.template?.metadata);
  for (const l of recorded) if (!labels.some((x) => x.label === l.label)) labels.push(l);
  return labels;
}

/** What one value's diagnosis says, for a ScopeMismatch message. */
export interface ScopeHint {
  name: string;
  /** "sealed with scope cluster-wide (…)", "sealed (strict) for ns/name (recorded in …)". */
  about: string;
  /** Sealed for another name or namespace (rather than another scope of this object). */
  moved: boolean;
}

/** What the label a value opened with says: another scope of this object, or the target of another one. */
export function openedWithHint(v: Extract<OpenedValue, { ok: false }>, labels: readonly ScopeLabel[]): ScopeHint {
  const other = labels[v.openedWithLabel ?? 0];
  if (other === undefined) return { name: v.name, about: "sealed for another scope", moved: false };
  if (other.recordedIn === undefined) return { name: v.name, about: `sealed with scope ${other.scope} (label "${other.label}")${annotationFix(other.scope)}`, moved: false };
  return { name: v.name, about: `${describeTarget(other.scope, other.label)} (recorded in ${recordedWhere(other.recordedIn)})`, moved: true };
}

/**
 * The ScopeMismatch state for these hints, or undefined when there are none. Values that say the
 * same are named together, so the message grows with the number of distinct targets, not values.
 */
export function scopeMismatchState(sealed: SealedLike, own: ScopeLabel, hints: readonly ScopeHint[], fix: { reseal: string; scope: string }): SyncedState | undefined {
  const grouped = (moved: boolean): string[] => {
    const byAbout = new Map<string, string[]>();
    for (const h of hints) if (h.moved === moved) byAbout.set(h.about, [...(byAbout.get(h.about) ?? []), h.name]);
    return [...byAbout].map(([about, names]) => `${names.sort().join(", ")} ${names.length > 1 ? "were" : "was"} ${about}`);
  };
  const moved = grouped(true);
  const scoped = grouped(false);
  const parts: string[] = [];
  if (moved.length > 0) parts.push(`sealed with this cluster's key for another name or namespace: ${moved.join("; ")}; ${movedFix(sealed, own, fix.reseal)}`);
  if (scoped.length > 0) {
    parts.push(`values do not open with this ${sealed.kind}'s scope ${own.scope} (label "${own.label}"), but do with another scope: ${scoped.join("; ")}; ${fix.scope}`);
  }
  return parts.length === 0 ? undefined : { status: "False", reason: "ScopeMismatch", message: parts.join(". Also: ") };
}

/** The fix for a value sealed for another name or namespace. */
export function movedFix(sealed: SealedLike, own: ScopeLabel, reseal: string): string {
  const ns = sealed.metadata.namespace ?? "";
  const name = sealed.metadata.name ?? "";
  return (
    `this ${sealed.kind} is ${ns}/${name} with scope ${own.scope} (label "${own.label}"). Renamed or moved after sealing ` +
    `(e.g. a kustomize namePrefix, nameSuffix or namespace)? ${reseal} for ${ns}/${name}, or seal namespace-wide or cluster-wide for objects that get renamed`
  );
}

function annotationFix(scope: SealingScope): string {
  const wanted = withScopeAnnotations({}, scope);
  const entries = Object.entries(wanted);
  if (entries.length === 0) return " (remove the cluster-wide and namespace-wide annotations)";
  return ` (annotation ${entries.map(([k, v]) => `${k}: "${v}"`).join(", ")} would open it)`;
}
