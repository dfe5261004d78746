// AWS error codes that mean the credentials (or the identity token behind them) were refused: the
// same for every service client, so both SDK ports read them from here.
export const AUTH_ERROR_CODES: ReadonlySet<string> = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "CredentialsProviderError",
  "InvalidIdentityToken",
  "IDPRejectedClaim",
  "ExpiredToken",
]);
