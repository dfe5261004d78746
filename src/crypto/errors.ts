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
  | "MissingName";

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
