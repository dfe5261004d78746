// Which object a target Secret belongs to, for the secondary watch that re-queues it when the Secret
// is deleted or edited: its controller owner reference, or (no owner reference) the object of the
// same name when the Secret is annotated managed or skip-set-owner-references (which it carries from
// its template). A Secret annotated patch but not managed is only patched, never owned: as in Sealed
// Secrets (watchSecrets), deleting or editing it wakes nobody, so a deleted patch-only Secret is not
// recreated.
import type { KubeObject } from "../../kube/port.ts";
import { MANAGED_ANNOTATION, SKIP_OWNER_REFERENCES_ANNOTATION } from "./plan.ts";

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
