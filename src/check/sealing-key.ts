// Which key a SealedSecret or AgeSecret was sealed for, as far as it can be told without the
// private key. Offline signals: the certificate fingerprint `sealbridge seal` records
// (sealbridge.dev/sealed-with-cert-sha256), the RSA block length (the sealing key's modulus size),
// the age recipient fingerprints `seal --age` records, and the framing of every value. A value
// kubeseal sealed carries no attribution: offline it is "unverifiable", online /v1/verify decides.
import { ageSecretScope, sealedForAgeRecipients, type AgeSecret } from "../api/age-secret.ts";
import { sealedWithCertificates, SEALED_WITH_CERT_ANNOTATION, type SealedSecret } from "../api/sealed-secret.ts";
import { ageFileBytes, ageRecipientFingerprint, parseAgeHeader } from "../crypto/age.ts";
import { isCryptoError } from "../crypto/errors.ts";
import { decodeBase64Strict, splitCiphertext } from "../crypto/sealed.ts";
import type { SourceDocument } from "./documents.ts";
import type { Finding } from "./finding.ts";
import { keyList } from "./plain-secret.ts";

export interface PublishedCertificate {
  /** Hex SHA-256 of the DER. */
  fingerprint: string;
  /** RSA modulus size in bytes (the RSA block length of every value it seals). */
  modulusBytes: number;
}

/** What check knows of the cluster's keys before asking it anything. */
export interface ClusterKeys {
  certificates: readonly PublishedCertificate[];
  /** age recipients the cluster decrypts for (given with --recipient / --recipients-file / a ConfigMap). */
  recipients: readonly string[];
  /** The controller is consulted per object (/v1/verify, /v1/age-recipients): no "unverifiable" notices. */
  online: boolean;
}

export function shortFingerprint(fp: string): string {
  return `sha256:${fp.slice(0, 16)}`;
}

function finding(doc: SourceDocument, object: string, rule: Finding["rule"], severity: Finding["severity"], message: string, path: readonly (string | number)[] = []): Finding {
  return { rule, severity, file: doc.file, line: path.length === 0 ? doc.line : doc.lineOf(path), object, message };
}

/** Offline findings for one SealedSecret. */
export function sealedSecretKeyFindings(doc: SourceDocument, object: string, sealed: SealedSecret, keys: ClusterKeys): Finding[] {
  const out: Finding[] = [];
  const blockSizes = new Set<number>();
  const broken: string[] = [];
  for (const [key, value] of Object.entries(sealed.spec.encryptedData)) {
    try {
      blockSizes.add(splitCiphertext(decodeBase64Strict(value)).rsaCiphertext.length);
    } catch (err) {
      if (!isCryptoError(err)) throw err;
      broken.push(key);
      out.push(finding(doc, object, "sealed-invalid-ciphertext", "error", `encryptedData ${keyList([key]) || "entry"}: ${err.message}; it can never decrypt: re-seal it`, ["spec", "encryptedData", key]));
    }
  }
  const recorded = sealedWithCertificates(sealed.metadata);
  const published = new Set(keys.certificates.map((c) => c.fingerprint));
  if (keys.certificates.length > 0) {
    const list = keys.certificates.map((c) => shortFingerprint(c.fingerprint)).join(", ");
    if (recorded.length > 0 && !recorded.some((fp) => published.has(fp))) {
      out.push(
        finding(
          doc,
          object,
          "sealed-unknown-certificate",
          "error",
          `sealed with certificate ${recorded.map(shortFingerprint).join(", ")} (${SEALED_WITH_CERT_ANNOTATION}), which the cluster does not publish (it publishes ${list}): ` +
            "sealed for another cluster, or for an older key (re-seal with `sealbridge reseal` or `sealbridge seal --re-encrypt`)",
          ["metadata", "annotations", SEALED_WITH_CERT_ANNOTATION],
        ),
      );
      return out;
    }
    const sizes = new Set(keys.certificates.map((c) => c.modulusBytes));
    const foreign = [...blockSizes].filter((n) => !sizes.has(n));
    if (foreign.length > 0) {
      const bits = (n: number) => `RSA-${n * 8}`;
      out.push(
        finding(
          doc,
          object,
          "sealed-key-size-mismatch",
          "error",
          `values are sealed for an ${foreign.map(bits).join(" and ")} key, but the cluster publishes ${[...sizes].map(bits).join(" and ")} certificates (${list}): sealed for another key`,
          ["spec", "encryptedData"],
        ),
      );
      return out;
    }
  }
  if (recorded.length === 0 && !keys.online && Object.keys(sealed.spec.encryptedData).length > broken.length) {
    const why = keys.certificates.length === 0 ? "no certificate given (--cert)" : "the key size matches the published certificate";
    out.push(
      finding(
        doc,
        object,
        "sealed-unverifiable-offline",
        "notice",
        `no sealing certificate recorded (kubeseal records none; ${why}): which key it was sealed for cannot be told offline; run with --controller or --controller-url to verify through /v1/verify`,
      ),
    );
  } else if (recorded.length > 0 && keys.certificates.length === 0 && !keys.online) {
    out.push(finding(doc, object, "sealed-unverifiable-offline", "notice", `sealed with certificate ${recorded.map(shortFingerprint).join(", ")}; give the cluster's with --cert (or use --controller) to compare`));
  }
  return out;
}

/** Findings for one AgeSecret against the recipients known for its scope (offline and, if asked, online). */
export function ageSecretKeyFindings(doc: SourceDocument, object: string, secret: AgeSecret, recipients: readonly string[], online: boolean): Finding[] {
  const out: Finding[] = [];
  for (const [key, value] of Object.entries(secret.spec.encryptedData)) {
    try {
      parseAgeHeader(ageFileBytes(value));
    } catch (err) {
      if (!isCryptoError(err)) throw err;
      out.push(finding(doc, object, "sealed-invalid-ciphertext", "error", `encryptedData ${keyList([key]) || "entry"}: ${err.message}; it can never decrypt: re-seal it`, ["spec", "encryptedData", key]));
    }
  }
  const recorded = sealedForAgeRecipients(secret.metadata);
  if (recorded.length === 0) {
    if (!online || recipients.length === 0) {
      out.push(finding(doc, object, "age-unverifiable-offline", "notice", "no recipient fingerprints recorded (sealbridge.dev/sealed-for-age-recipients) and age files do not name their recipients: which key it was sealed for cannot be told"));
    }
    return out;
  }
  if (recipients.length === 0) {
    if (!online) out.push(finding(doc, object, "age-unverifiable-offline", "notice", `sealed for age recipient(s) ${recorded.join(", ")}; give the cluster's with --recipient/--recipients-file (or use --controller) to compare`));
    return out;
  }
  const known = new Set(recipients.map(ageRecipientFingerprint));
  const scope = ageSecretScope(secret);
  if (!recorded.some((fp) => known.has(fp)) && !online && scope !== "cluster-wide") {
    // Each scope has its own recipient: the ones given may be another scope's (the published ConfigMap has the cluster-wide ones).
    out.push(
      finding(
        doc,
        object,
        "age-unknown-recipient",
        "warning",
        `sealed for age recipient(s) ${recorded.join(", ")}, none of the recipients given (${[...known].join(", ")}); the AgeSecret is ${scope}, so it needs the controller's ${scope} recipient, which the given ones may not be: verify with --controller`,
        ["metadata", "annotations", "sealbridge.dev/sealed-for-age-recipients"],
      ),
    );
  } else if (!recorded.some((fp) => known.has(fp))) {
    out.push(
      finding(
        doc,
        object,
        "age-unknown-recipient",
        "error",
        `sealed for age recipient(s) ${recorded.join(", ")}, none of which the cluster decrypts for (${[...known].join(", ")}): re-seal with \`sealbridge seal --age\``,
        ["metadata", "annotations", "sealbridge.dev/sealed-for-age-recipients"],
      ),
    );
  }
  return out;
}
