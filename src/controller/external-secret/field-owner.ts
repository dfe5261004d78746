// Which parts of a target Secret an ExternalSecret wrote, read the way ESO reads them: every write
// of the target names the field manager `externalsecrets.external-secrets.io/<name>`, and the API
// server's managedFields then say which data keys, labels and annotations that manager set. ESO
// removes exactly those before each sync (so a key whose remote value is gone leaves a Merge
// target), and so do we; no annotation of ours is needed, and keys an ESO install wrote before a
// migration are recognised too. Pure functions.
import { createHash } from "node:crypto";
import type { KubeObject } from "../../kube/port.ts";

const FIELD_OWNER_PREFIX = "externalsecrets.external-secrets.io/";

/** ESO's fqdnFor: the manager name, or the SHA3-224 of the ExternalSecret's name when too long. */
export function fieldManagerFor(externalSecretName: string): string {
  const plain = `${FIELD_OWNER_PREFIX}${externalSecretName}`;
  if (plain.length <= 63) return plain;
  return `${FIELD_OWNER_PREFIX}sha3/${createHash("sha3-224").update(externalSecretName).digest("hex")}`;
}

export interface ManagedKeys {
  data: string[];
  labels: string[];
  annotations: string[];
}

export const NO_MANAGED_KEYS: ManagedKeys = { data: [], labels: [], annotations: [] };

/** The data keys, labels and annotations `manager` owns in `obj` (from metadata.managedFields). */
export function managedKeys(obj: KubeObject | undefined, manager: string): ManagedKeys {
  const out: ManagedKeys = { data: [], labels: [], annotations: [] };
  const entries = obj?.metadata?.managedFields;
  if (!Array.isArray(entries)) return out;
  for (const entry of entries) {
    if (!isRecord(entry) || entry["manager"] !== manager) continue;
    const fields = entry["fieldsV1"];
    if (!isRecord(fields)) continue;
    const metadata = fields["f:metadata"];
    out.data.push(...fieldNames(fields["f:data"]));
    if (isRecord(metadata)) {
      out.labels.push(...fieldNames(metadata["f:labels"]));
      out.annotations.push(...fieldNames(metadata["f:annotations"]));
    }
  }
  return out;
}

function fieldNames(set: unknown): string[] {
  if (!isRecord(set)) return [];
  return Object.keys(set).filter((k) => k.startsWith("f:")).map((k) => k.slice(2));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
