// The controller's public sealing material as a ConfigMap, for clusters whose RBAC forbids the API
// server's service proxy (Sealed Secrets issue 368): `sealbridge seal` reads it when the proxy is
// refused. Public material only: the newest usable certificate and the cluster-wide age recipients
// (the other scopes' recipients are derived from private keys per namespace and name, so they
// cannot be listed in advance). Pure: what the ConfigMap should hold and whether it must be written.
import { scopeRecipient } from "../../crypto/age-scope.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { AgeKeyring } from "./age-keyring.ts";
import { sealingKey, type Keyring } from "./keyring.ts";

import {
  PUBLIC_AGE_CLUSTER_WIDE_ENTRY,
  PUBLIC_CERT_ENTRY,
  PUBLIC_CERT_FINGERPRINT_ENTRY,
  PUBLIC_KEYS_MANAGED_BY,
  PUBLIC_KEYS_MANAGED_BY_LABEL,
} from "../../api/public-keys.ts";

export interface PublicMaterial {
  /** Absent when SealedSecrets are disabled or no usable RSA key exists yet. */
  certificate?: { pem: string; fingerprint: string };
  /** Empty when age is disabled or no usable age key exists yet. */
  ageClusterWideRecipients: readonly string[];
}

/** The material of the keyrings held (either may be absent when its reconcilers are disabled). */
export async function publicMaterial(keyrings: { rsa?: Keyring | undefined; age?: AgeKeyring | undefined }): Promise<PublicMaterial> {
  const cert = keyrings.rsa === undefined ? undefined : sealingKey(keyrings.rsa);
  const ageKeys = (keyrings.age?.keys ?? []).filter((k) => !k.compromised);
  const ageClusterWideRecipients = await Promise.all(ageKeys.map((k) => scopeRecipient(k.identity, { scope: "cluster-wide", namespace: "", name: "" })));
  return {
    ...(cert !== undefined ? { certificate: { pem: cert.certificatePem, fingerprint: cert.fingerprint } } : {}),
    ageClusterWideRecipients,
  };
}

export function publicKeysData(material: PublicMaterial): Record<string, string> {
  const data: Record<string, string> = {};
  if (material.certificate !== undefined) {
    data[PUBLIC_CERT_ENTRY] = material.certificate.pem;
    data[PUBLIC_CERT_FINGERPRINT_ENTRY] = material.certificate.fingerprint;
  }
  if (material.ageClusterWideRecipients.length > 0) data[PUBLIC_AGE_CLUSTER_WIDE_ENTRY] = material.ageClusterWideRecipients.join("\n") + "\n";
  return data;
}

export type PublicKeysWrite = { kind: "none" } | { kind: "create"; configMap: KubeObject } | { kind: "replace"; configMap: KubeObject };

function sameData(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/**
 * What to write so the ConfigMap holds `data`: nothing when it already does (a restart with
 * nothing changed writes nothing), and nothing while there is no material at all (keys not loaded).
 * An existing ConfigMap keeps its other metadata; its data is ours.
 */
export function publicKeysWrite(existing: KubeObject | undefined, target: { namespace: string; name: string }, data: Record<string, string>): PublicKeysWrite {
  if (Object.keys(data).length === 0) return { kind: "none" };
  if (existing === undefined) {
    return {
      kind: "create",
      configMap: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: target.name, namespace: target.namespace, labels: { [PUBLIC_KEYS_MANAGED_BY_LABEL]: PUBLIC_KEYS_MANAGED_BY } },
        data,
      },
    };
  }
  const current = existing["data"];
  const currentData = typeof current === "object" && current !== null ? (current as Record<string, string>) : {};
  if (sameData(currentData, data) && existing["binaryData"] === undefined) return { kind: "none" };
  const configMap: KubeObject = { ...existing, data };
  delete configMap["binaryData"];
  return { kind: "replace", configMap };
}
