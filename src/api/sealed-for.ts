// The target a value was sealed for, as `sealbridge seal` records it on a SealedSecret or AgeSecret:
//
//   sealbridge.dev/sealed-for: "strict:<namespace>/<name>" | "namespace-wide:<namespace>" | "cluster-wide"
//
// Metadata only (never a value), additive to the Sealed Secrets format: kubeseal and the Sealed
// Secrets controller ignore it. A kustomize namePrefix, nameSuffix or namespace rewrites
// metadata.name and .namespace but not annotations, so after such a rename the controller can say
// what the value was sealed for.
import { SEALING_SCOPES, scopeLabelText, type SealingScope } from "../crypto/scope.ts";
import type { ObjectMeta } from "./meta.ts";

export const SEALED_FOR_ANNOTATION = "sealbridge.dev/sealed-for";

/** Longer than any real target (a 63-character namespace, a 253-character name): ignored, not parsed. */
const MAX_VALUE_LENGTH = 400;
// DNS-1123 labels and subdomains, as Kubernetes allows for namespaces and Secret names.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Whether a namespace (and a name, when given) could be a real object's: bounds what messages echo. */
export function isObjectName(namespace: string, name?: string): boolean {
  return NAMESPACE.test(namespace) && (name === undefined || NAME.test(name));
}

export interface SealedForTarget {
  scope: SealingScope;
  namespace: string;
  name: string;
}

/** The annotation's value for a target. */
export function formatSealedFor(target: SealedForTarget): string {
  switch (target.scope) {
    case "cluster-wide":
      return "cluster-wide";
    case "namespace-wide":
      return `namespace-wide:${target.namespace}`;
    case "strict":
      return `strict:${target.namespace}/${target.name}`;
  }
}

/** Annotations with the sealed-for record set to `target`. */
export function recordSealedFor(annotations: Readonly<Record<string, string>> | undefined, target: SealedForTarget): Record<string, string> {
  return { ...annotations, [SEALED_FOR_ANNOTATION]: formatSealedFor(target) };
}

/** The recorded target, or undefined when there is none or it is not one this module writes. */
export function parseSealedFor(annotations: Readonly<Record<string, string>> | undefined): SealedForTarget | undefined {
  const value = annotations?.[SEALED_FOR_ANNOTATION]?.trim();
  if (value === undefined || value.length > MAX_VALUE_LENGTH) return undefined;
  if (value === "cluster-wide") return { scope: "cluster-wide", namespace: "", name: "" };
  const colon = value.indexOf(":");
  const scope = SEALING_SCOPES.find((s) => s === value.slice(0, colon));
  const rest = value.slice(colon + 1);
  if (colon < 0 || scope === undefined) return undefined;
  if (scope === "namespace-wide") return NAMESPACE.test(rest) ? { scope, namespace: rest, name: "" } : undefined;
  if (scope !== "strict") return undefined;
  const slash = rest.indexOf("/");
  const namespace = rest.slice(0, slash);
  const name = rest.slice(slash + 1);
  return slash > 0 && NAMESPACE.test(namespace) && NAME.test(name) ? { scope, namespace, name } : undefined;
}

/** The OAEP label (and age scope label) of a recorded target. */
export function sealedForLabel(target: SealedForTarget): string {
  return scopeLabelText(target.scope, target.namespace, target.name);
}

/** How a message names a target: "sealed (strict) for ns/name", "sealed namespace-wide for namespace ns". */
export function describeTarget(scope: SealingScope, label: string): string {
  switch (scope) {
    case "cluster-wide":
      return "sealed cluster-wide";
    case "namespace-wide":
      return `sealed namespace-wide for namespace ${label}`;
    case "strict":
      return `sealed (strict) for ${label}`;
  }
}

/** A label some value may have been sealed for, as recorded at seal time. */
export interface RecordedTarget {
  scope: SealingScope;
  label: string;
  recordedIn: "annotation" | "template";
}

/**
 * The targets recorded at seal time, which a rename or move (kustomize namePrefix, nameSuffix,
 * namespace) leaves as they were: the sealed-for annotation, then spec.template.metadata's name and
 * namespace (kubeseal and sealbridge seal write them). Template names no object could have are left
 * out (messages quote them).
 */
export function recordedTargets(metadata: ObjectMeta, template: ObjectMeta | undefined): RecordedTarget[] {
  const out: RecordedTarget[] = [];
  const target = parseSealedFor(metadata.annotations);
  if (target !== undefined) out.push({ scope: target.scope, label: sealedForLabel(target), recordedIn: "annotation" });
  const ns = template?.namespace ?? "";
  const name = template?.name ?? "";
  if (isObjectName(ns, name)) out.push({ scope: "strict", label: scopeLabelText("strict", ns, name), recordedIn: "template" });
  if (isObjectName(ns)) out.push({ scope: "namespace-wide", label: scopeLabelText("namespace-wide", ns, name), recordedIn: "template" });
  return out;
}

/** Where a recorded target was read from, for messages. */
export function recordedWhere(recordedIn: RecordedTarget["recordedIn"]): string {
  return recordedIn === "annotation" ? SEALED_FOR_ANNOTATION : "spec.template.metadata";
}
