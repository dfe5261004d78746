// The AgeSecret API (sealbridge.dev/v1alpha1): a SealedSecret whose values are age files. The scope
// is read from the same annotations as a SealedSecret's (sealedsecrets.bitnami.com/cluster-wide,
// .../namespace-wide; strict otherwise), and each scope has its own age identity (crypto/age-scope.ts).
import { scopeFromAnnotations, type SealingScope } from "../crypto/scope.ts";
import {
  ManifestError,
  describeGot,
  expectRecord,
  optionalString,
  optionalStringMap,
  parseObjectMeta,
  parseStatus,
  parseTemplate,
  type ObjectMeta,
  type SealedSecretStatus,
  type SecretTemplate,
} from "./sealed-secret.ts";

export const AGE_SECRET_API_VERSION = "sealbridge.dev/v1alpha1";
export const AGE_SECRET_KIND = "AgeSecret";

/**
 * Fingerprints (crypto/age.ts ageRecipientFingerprint) of the recipients the values were sealed to,
 * comma-separated, recorded by `sealbridge seal --age`. Lets the controller say "sealed to a key
 * this cluster does not hold" or "sealed to a compromised key" without being able to decrypt.
 */
export const SEALED_FOR_AGE_RECIPIENTS_ANNOTATION = "sealbridge.dev/sealed-for-age-recipients";

export interface AgeSecretSpec {
  template?: SecretTemplate;
  /** Key → age file (ASCII armor, or base64 of the binary file). */
  encryptedData: Record<string, string>;
}

export interface AgeSecret {
  apiVersion: typeof AGE_SECRET_API_VERSION;
  kind: typeof AGE_SECRET_KIND;
  metadata: ObjectMeta;
  spec: AgeSecretSpec;
  status?: SealedSecretStatus;
}

export function parseAgeSecret(value: unknown, where = "AgeSecret"): AgeSecret {
  const obj = expectRecord(value, where);
  const kind = optionalString(obj, "kind", where);
  const apiVersion = optionalString(obj, "apiVersion", where);
  if (kind !== AGE_SECRET_KIND) {
    throw new ManifestError(`${where}.kind`, `must be "${AGE_SECRET_KIND}", got ${describeGot(kind)}`);
  }
  if (apiVersion !== AGE_SECRET_API_VERSION) {
    throw new ManifestError(`${where}.apiVersion`, `must be "${AGE_SECRET_API_VERSION}", got ${describeGot(apiVersion)}`);
  }
  const spec = expectRecord(obj["spec"], `${where}.spec`);
  const out: AgeSecret = {
    apiVersion: AGE_SECRET_API_VERSION,
    kind: AGE_SECRET_KIND,
    metadata: parseObjectMeta(obj["metadata"], `${where}.metadata`),
    spec: {
      template: parseTemplate(spec["template"], `${where}.spec.template`),
      encryptedData: optionalStringMap(spec, "encryptedData", `${where}.spec`) ?? {},
    },
  };
  const status = parseStatus(obj["status"], `${where}.status`);
  if (status !== undefined) out.status = status;
  return out;
}

export function ageSecretScope(secret: Pick<AgeSecret, "metadata">): SealingScope {
  return scopeFromAnnotations(secret.metadata.annotations);
}

/** The recipient fingerprints recorded at seal time (lower-case hex, de-duplicated, in order). */
export function sealedForAgeRecipients(meta: ObjectMeta): string[] {
  const value = meta.annotations?.[SEALED_FOR_AGE_RECIPIENTS_ANNOTATION];
  if (value === undefined) return [];
  const out = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => /^[0-9a-f]{16}$/.test(s));
  return [...new Set(out)];
}
