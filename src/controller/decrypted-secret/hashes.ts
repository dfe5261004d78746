// The hashes the decrypted-secret plan compares: what the target Secret is computed from (recorded in
// the owner's status, so an unchanged object costs no decrypt) and what a Secret holds (compared in
// memory only). Ciphertexts and Secret content as written; no plaintext is hashed into status.
import { createHash } from "node:crypto";
import { sealedSecretScope } from "../../api/sealed-secret.ts";
import type { KubeObject, OwnerReference } from "../../kube/port.ts";
import type { SealedLike } from "./conditions.ts";

function sha256(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

function sortedEntries(map: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Hash of everything the target Secret is computed from, given the keys that open it; `extra` holds
 * other inputs of a kind (a SopsSecret's identity Secret versions). Ciphertexts only: no plaintext.
 */
export function sourceHash(sealed: SealedLike, keys: readonly string[], extra: unknown = null): string {
  const t = sealed.spec.template ?? {};
  return sha256({
    v: 1,
    name: sealed.metadata.name ?? "",
    namespace: sealed.metadata.namespace ?? "",
    uid: sealed.metadata.uid ?? "",
    scope: sealedSecretScope(sealed),
    encryptedData: sortedEntries(sealed.spec.encryptedData),
    template: {
      labels: sortedEntries(t.metadata?.labels),
      annotations: sortedEntries(t.metadata?.annotations),
      type: t.type ?? "",
      immutable: t.immutable ?? null,
      data: sortedEntries(t.data),
    },
    keys: [...keys].sort(),
    extra,
  });
}

function normalOwners(refs: unknown): unknown[] {
  if (!Array.isArray(refs)) return [];
  return refs.map((r: Partial<OwnerReference>) => [r.apiVersion ?? "", r.kind ?? "", r.name ?? "", r.uid ?? "", r.controller === true, r.blockOwnerDeletion === true]);
}

/** Digest of a Secret's content as the controller writes it (data, type, immutable, labels,
 * annotations, owners), compared in memory only: never stored. */
export function contentHash(secret: KubeObject): string {
  const annotations = { ...secret.metadata?.annotations };
  return sha256({
    data: sortedEntries(secret["data"] as Record<string, string> | undefined),
    type: typeof secret["type"] === "string" && secret["type"] !== "" ? secret["type"] : "Opaque",
    immutable: secret["immutable"] === true,
    labels: sortedEntries(secret.metadata?.labels),
    annotations: sortedEntries(annotations),
    owners: normalOwners(secret.metadata?.ownerReferences),
  });
}
