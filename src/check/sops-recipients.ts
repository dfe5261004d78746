// SOPS documents (a SopsSecret's spec.document, a SopsSecret encrypted as a whole, or any file sops
// encrypted) whose age recipients do not include the cluster's. SOPS lists each recipient in the
// clear, so this is exact offline once the cluster's recipients are known.
import { ageRecipientFingerprint } from "../crypto/age.ts";
import { isCryptoError } from "../crypto/errors.ts";
import type { SealingScope } from "../crypto/scope.ts";
import type { ParsedSops } from "../crypto/sops.ts";
import type { SourceDocument } from "./documents.ts";
import type { Finding } from "./finding.ts";

export interface SopsCheckInput {
  doc: SourceDocument;
  object: string;
  /** Parses the SOPS metadata (throws CryptoError). */
  parse: () => ParsedSops;
  /** The cluster's recipients for this document (given, or fetched for its scope). */
  clusterRecipients: readonly string[];
  /** Identity Secrets a SopsSecret also decrypts with (not visible to check). */
  identitySecrets: readonly string[];
  /** Where in the document the metadata sits, for the line. */
  metadataPath: readonly (string | number)[];
  /**
   * Offline, for a SopsSecret: its scope. The controller decrypts with its identity for that scope,
   * and the recipients given on the command line may be another scope's (the published ConfigMap has
   * the cluster-wide ones), so a mismatch for a strict or namespace-wide SopsSecret is a warning.
   */
  givenForScope?: SealingScope;
}

/** A recipient as a reader recognises it, without its full length (pq recipients are ~2,000 characters). */
export function shortRecipient(recipient: string): string {
  return `${recipient.slice(0, 12)}… (${ageRecipientFingerprint(recipient)})`;
}

export function sopsRecipientFindings(input: SopsCheckInput): Finding[] {
  const { doc, object } = input;
  const at = (rule: Finding["rule"], severity: Finding["severity"], message: string): Finding => ({ rule, severity, file: doc.file, line: doc.lineOf(input.metadataPath), object, message });
  let parsed: ParsedSops;
  try {
    parsed = input.parse();
  } catch (err) {
    if (!isCryptoError(err)) throw err;
    return [at("sops-invalid", "error", `${err.reason}: ${err.message}`)];
  }
  const fileRecipients = parsed.metadata.age.map((a) => a.recipient);
  if (fileRecipients.length === 0) {
    const others = parsed.metadata.otherKeySources.join(", ") || "no key source";
    return [at("sops-recipients-mismatch", "error", `encrypted to ${others} only, no age recipient: sealbridge decrypts SOPS files encrypted with age (sops --age)`)];
  }
  if (input.clusterRecipients.length === 0) {
    return [at("sops-recipients-unchecked", "notice", `encrypted to ${fileRecipients.length} age recipient(s) (${fileRecipients.map(shortRecipient).join(", ")}); not compared: give the cluster's with --recipient/--recipients-file or use --controller`)];
  }
  const cluster = new Set(input.clusterRecipients.map(ageRecipientFingerprint));
  if (fileRecipients.some((r) => cluster.has(ageRecipientFingerprint(r)))) return [];
  const theirs = fileRecipients.map(shortRecipient).join(", ");
  const ours = [...cluster].join(", ");
  if (input.identitySecrets.length > 0) {
    return [
      at(
        "sops-recipients-mismatch",
        "warning",
        `none of its age recipients (${theirs}) is the cluster's (${ours}); it decrypts only if identity Secret(s) ${input.identitySecrets.join(", ")} hold one of them, which check cannot see`,
      ),
    ];
  }
  if (input.givenForScope !== undefined && input.givenForScope !== "cluster-wide") {
    return [at("sops-recipients-mismatch", "warning", `none of its age recipients (${theirs}) is one of the recipients given (${ours}); the SopsSecret is ${input.givenForScope}, so it needs the controller's ${input.givenForScope} recipient, which the given ones may not be: verify with --controller`)];
  }
  return [at("sops-recipients-mismatch", "error", `none of its age recipients (${theirs}) is the cluster's (${ours}): add the cluster's recipient (sops updatekeys, or sops --add-age) before merging`)];
}
