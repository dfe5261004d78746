// Names held by a Secret a SealedSecret may not own, and then given up by deleting that Secret.
//
// Sealed Secrets' controller decides when a SealedSecret appears: a Secret of its name that it does
// not control and that is not annotated managed is refused (or, annotated patch, patched), and the
// deletion of such a Secret wakes nobody (watchSecrets), so the controller never creates a Secret in
// its place until the SealedSecret changes. A SealedSecret applied just before someone deletes the
// foreign Secret must end the same way whichever event this controller handles first; this record
// of such deletions (in memory, bounded, lost on restart as Sealed Secrets' queue is) is what lets
// the plan tell "the name was free when the SealedSecret appeared" from "it was held, then released".
import type { KubeObject } from "../../kube/port.ts";
import { MANAGED_ANNOTATION, SKIP_OWNER_REFERENCES_ANNOTATION } from "./ownership.ts";

/** Deletions remembered at most (oldest forgotten first): a release matters only until reconciled. */
const CAPACITY = 4096;

export class ReleasedNames {
  /** "namespace/name" → resourceVersion of the deletion. */
  private readonly deletions = new Map<string, bigint>();
  private readonly owner: { kind: string; group: string };

  constructor(owner: { kind: string; group: string }) {
    this.owner = owner;
  }

  /** Records the deletion of a Secret no object of the owner kind controls and not annotated managed. */
  secretDeleted(cached: KubeObject, final: KubeObject | undefined): void {
    const meta = cached.metadata ?? {};
    if (!meta.namespace || !meta.name || !final) return;
    const owned = (meta.ownerReferences ?? []).some((r) => r.controller === true && r.kind === this.owner.kind && r.apiVersion.startsWith(`${this.owner.group}/`));
    // Managed, or made by us without owner references (it says so): ours, not a foreign Secret.
    if (owned || meta.annotations?.[MANAGED_ANNOTATION] === "true" || meta.annotations?.[SKIP_OWNER_REFERENCES_ANNOTATION] === "true") return;
    const version = resourceVersionNumber(final.metadata?.resourceVersion);
    if (version === undefined) return;
    const key = `${meta.namespace}/${meta.name}`;
    this.deletions.delete(key);
    this.deletions.set(key, version);
    if (this.deletions.size > CAPACITY) {
      const oldest = this.deletions.keys().next().value;
      if (oldest !== undefined) this.deletions.delete(oldest);
    }
  }

  /** The resourceVersion at which a foreign Secret of this name was deleted, if one was. */
  deletedAt(namespace: string, name: string): bigint | undefined {
    return this.deletions.get(`${namespace}/${name}`);
  }
}

/**
 * resourceVersions are decimal integers that grow with every write (etcd revisions; Kubernetes
 * documents comparing them since 1.33). Anything else cannot be compared: undefined.
 */
export function resourceVersionNumber(version: string | undefined): bigint | undefined {
  return version !== undefined && /^[1-9][0-9]{0,30}$/.test(version) ? BigInt(version) : undefined;
}

/**
 * Pure: did the SealedSecret see its name held by a Secret it may not own, then released? True when
 * the foreign Secret was deleted after the SealedSecret was written as it now is and before it was
 * ever reconciled, or while its status says it was refused (SecretNotOwned) for this generation.
 */
export function heldThenReleased(
  sealed: { metadata: { resourceVersion?: string; generation?: number }; status?: { observedGeneration?: number; conditions?: readonly { type: string; reason?: string }[] } },
  deletedAt: bigint | undefined,
): boolean {
  if (deletedAt === undefined) return false;
  const status = sealed.status;
  if (status === undefined) {
    const version = resourceVersionNumber(sealed.metadata.resourceVersion);
    return version !== undefined && version < deletedAt;
  }
  const synced = status.conditions?.find((c) => c.type === "Synced");
  return synced?.reason === "SecretNotOwned" && status.observedGeneration === sealed.metadata.generation;
}
