// Typed failures of the sealing crypto. Messages never quote plaintext, keys or ciphertext bytes.

export type CryptoErrorReason =
  | "InvalidBase64"
  | "CiphertextTooShort"
  | "LengthPrefixOverrun"
  | "WrongRsaBlockSize"
  | "NoPrivateKeys"
  | "NoKeyCouldDecrypt"
  | "InvalidCertificate"
  | "CertificateNotRsa"
  | "CertificateExpired"
  | "InvalidPrivateKey"
  | "InvalidScope"
  | "MissingNamespace"
  | "MissingName"
  // age (src/crypto/age.ts, age-scope.ts)
  | "AgeMalformedArmor"
  | "AgeNotAnAgeFile"
  | "AgeMalformedHeader"
  | "AgeUnknownStanzaType"
  | "AgeScryptOnly"
  | "AgeNoIdentities"
  | "AgeNoMatchingIdentity"
  | "AgeHeaderMacMismatch"
  | "AgePayloadCorrupt"
  | "AgeInvalidRecipient"
  | "AgeInvalidIdentity"
  | "AgeFileTooLarge"
  // Bounded parsing (src/api/bounded-parse.ts), as SOPS documents report it
  | "DocumentTooLarge"
  | "TooDeep"
  | "TooManyAliases"
  | "TooManyNodes"
  // SOPS (src/crypto/sops.ts)
  | "SopsMalformedDocument"
  | "SopsMetadataMissing"
  | "SopsUnsupported"
  | "SopsNoAgeRecipients"
  | "SopsNoMatchingIdentity"
  | "SopsMalformedValue"
  | "SopsMacMismatch";

export class CryptoError extends Error {
  readonly reason: CryptoErrorReason;
  /** Crypto failures are about the input bytes: retrying the same input cannot succeed. */
  readonly retryable = false;
  constructor(reason: CryptoErrorReason, message: string) {
    super(message);
    this.name = "CryptoError";
    this.reason = reason;
  }
}

export function isCryptoError(err: unknown): err is CryptoError {
  return err instanceof CryptoError;
}
