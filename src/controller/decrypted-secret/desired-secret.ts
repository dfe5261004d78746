// The Secret a decrypted-secret plan writes, as Sealed Secrets' Unseal builds it and merges it into
// an existing Secret (patch or overwrite). Pure.
import type { KubeObject, OwnerReference } from "../../kube/port.ts";
import type { SealedLike } from "./conditions.ts";
import { annotated, MANAGED_ANNOTATION, PATCH_ANNOTATION, SKIP_OWNER_REFERENCES_ANNOTATION } from "./ownership.ts";

/**
 * Bookkeeping annotations that earlier sealbridge versions put on target Secrets. Secrets now look
 * exactly as Sealed Secrets makes them (the bookkeeping lives in the owner's status.secret); these
 * are removed from a Secret the next time it is written.
 */
export const LEGACY_ANNOTATIONS = ["sealbridge.dev/source-sha256", "sealbridge.dev/unsealed-with-keys", "sealbridge.dev/content-sha256"] as const;

export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function ownerReference(sealed: SealedLike): OwnerReference {
  return { apiVersion: sealed.apiVersion, kind: sealed.kind, name: sealed.metadata.name ?? "", uid: sealed.metadata.uid ?? "", controller: true };
}

/** The Secret as Sealed Secrets' Unseal builds it, before it meets an existing Secret. */
export function newSecret(sealed: SealedLike, data: Record<string, string>): KubeObject {
  const t = sealed.spec.template ?? {};
  const skipOwners = t.metadata?.annotations?.[SKIP_OWNER_REFERENCES_ANNOTATION] === "true";
  // The template's annotations as they are, skip-set-owner-references included: that annotation on
  // the Secret is how the next pass knows it (mayWrite), with nothing of ours added.
  const annotations: Record<string, string> = { ...t.metadata?.annotations };
  const secret: KubeObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: sealed.metadata.name ?? "",
      namespace: sealed.metadata.namespace ?? "",
      ...(t.metadata?.labels ? { labels: { ...t.metadata.labels } } : {}),
      annotations,
      ...(skipOwners ? {} : { ownerReferences: [ownerReference(sealed)] }),
    },
    type: t.type !== undefined && t.type !== "" ? t.type : "Opaque",
    data,
  };
  if (t.immutable !== undefined) secret["immutable"] = t.immutable;
  return secret;
}

/** Merges the new Secret into an existing one the way Sealed Secrets does (patch or overwrite). */
export function mergeInto(existing: KubeObject, fresh: KubeObject): KubeObject {
  const out = structuredClone(existing);
  const meta = (out.metadata ??= {});
  const freshMeta = fresh.metadata ?? {};
  if (annotated(existing, PATCH_ANNOTATION)) {
    out["data"] = { ...(existing["data"] as Record<string, string> | undefined), ...(fresh["data"] as Record<string, string>) };
    meta.annotations = { ...meta.annotations, ...freshMeta.annotations };
    for (const a of LEGACY_ANNOTATIONS) delete meta.annotations[a];
    meta.labels = { ...meta.labels, ...freshMeta.labels };
    if (annotated(existing, MANAGED_ANNOTATION)) setOwners(meta, freshMeta.ownerReferences);
  } else {
    out["data"] = fresh["data"];
    meta.annotations = { ...freshMeta.annotations };
    if (freshMeta.labels) meta.labels = { ...freshMeta.labels };
    else delete meta.labels;
    setOwners(meta, freshMeta.ownerReferences);
  }
  // Sealed Secrets sets the type on an existing Secret but leaves its immutable field as it is
  // (immutable applies when the controller creates the Secret).
  out["type"] = fresh["type"];
  return out;
}

function setOwners(meta: NonNullable<KubeObject["metadata"]>, owners: OwnerReference[] | undefined): void {
  if (owners) meta.ownerReferences = owners;
  else delete meta.ownerReferences;
}

export function withoutLegacy(secret: KubeObject): KubeObject {
  const copy = structuredClone(secret);
  const annotations = copy.metadata?.annotations;
  if (annotations) for (const a of LEGACY_ANNOTATIONS) delete annotations[a];
  return copy;
}
