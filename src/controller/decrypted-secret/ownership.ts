// Who a target Secret belongs to, by Sealed Secrets' rules (which the AgeSecret and SopsSecret follow).
// Which object it belongs to, for the secondary watch that re-queues it when the Secret is deleted or
// edited: its controller owner reference, or (no owner reference) the object of the same name when
// the Secret is annotated managed or skip-set-owner-references (which it carries from its template).
// A Secret annotated patch but not managed is only patched, never owned: as in Sealed Secrets
// (watchSecrets), deleting or editing it wakes nobody, so a deleted patch-only Secret is not
// recreated. Whether the controller may write an existing Secret: mayWrite.
import type { KubeObject } from "../../kube/port.ts";
import type { SealedLike } from "./conditions.ts";

export const MANAGED_ANNOTATION = "sealedsecrets.bitnami.com/managed";
export const PATCH_ANNOTATION = "sealedsecrets.bitnami.com/patch";
export const SKIP_OWNER_REFERENCES_ANNOTATION = "sealedsecrets.bitnami.com/skip-set-owner-references";

/** Which objects of `kind` a Secret belongs to: its controller owner, or the same name if annotated managed or skip-set-owner-references. */
export function ownersOf(kind: string, group: string): (secret: KubeObject) => string[] {
  return (secret) => {
    const ns = secret.metadata?.namespace;
    if (!ns) return [];
    const owner = secret.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === kind && r.apiVersion.startsWith(`${group}/`));
    if (owner) return [`${ns}/${owner.name}`];
    const a = secret.metadata?.annotations ?? {};
    if (a[MANAGED_ANNOTATION] === "true" || a[SKIP_OWNER_REFERENCES_ANNOTATION] === "true") {
      const name = secret.metadata?.name;
      return name ? [`${ns}/${name}`] : [];
    }
    return [];
  };
}

export function isControlledBy(secret: KubeObject, sealed: SealedLike): boolean {
  const uid = sealed.metadata.uid;
  return (secret.metadata?.ownerReferences ?? []).some((r) => r.controller === true && uid !== undefined && r.uid === uid);
}

export function annotated(secret: KubeObject, annotation: string): boolean {
  return secret.metadata?.annotations?.[annotation] === "true";
}

/**
 * Sealed Secrets' rule: an existing Secret is ours if we control it or it is annotated managed or
 * patch. Also ours: a Secret made without owner references because the template asked for it, which
 * carries the template's skip-set-owner-references annotation (Sealed Secrets writes such a Secret
 * once and then refuses it unless also annotated managed; here it stays managed, without an
 * annotation of ours on it).
 */
export function mayWrite(secret: KubeObject, sealed: SealedLike): boolean {
  return isControlledBy(secret, sealed) || annotated(secret, MANAGED_ANNOTATION) || annotated(secret, PATCH_ANNOTATION) || madeWithoutOwners(secret, sealed);
}

function madeWithoutOwners(secret: KubeObject, sealed: SealedLike): boolean {
  const owners = secret.metadata?.ownerReferences ?? [];
  return (
    sealed.spec.template?.metadata?.annotations?.[SKIP_OWNER_REFERENCES_ANNOTATION] === "true" &&
    annotated(secret, SKIP_OWNER_REFERENCES_ANNOTATION) &&
    !owners.some((r) => r.controller === true)
  );
}
