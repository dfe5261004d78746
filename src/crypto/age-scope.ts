// Scope binding for age: age has no "label" like RSA-OAEP's, so each scope gets its own identity,
// derived from the controller's master age identity:
//
//   seed = HKDF-SHA256(ikm = master key bytes, salt = "", info = "sealbridge age scope v1\0" + label, 32)
//
// where label is the Sealed Secrets scope label ("<ns>/<name>", "<ns>" or ""). The derived seed is an
// X25519 scalar or an ML-KEM-768+X25519 seed, the same kind as the master. A value sealed for
// namespace A cannot be opened with B's identity, and anyone can seal for a scope with plain
// `age -r <scope recipient>` once the controller has published that recipient.
import { hkdfSync } from "node:crypto";
import { identityToRecipient } from "age-encryption";
import { ageIdentityKind, type AgeKeyKind } from "./age.ts";
import { bech32Decode, bech32Encode } from "./bech32.ts";
import { requireScopeLabel, scopeLabelText, type SealingScope } from "./scope.ts";

const INFO_PREFIX = "sealbridge age scope v1\0";
const IDENTITY_HRP: Record<AgeKeyKind, string> = { x25519: "AGE-SECRET-KEY-", pq: "AGE-SECRET-KEY-PQ-" };

export interface ScopeRef {
  scope: SealingScope;
  namespace: string;
  name: string;
}

/** The 32 secret bytes behind an identity string (checked). */
function masterBytes(identity: string): { kind: AgeKeyKind; bytes: Uint8Array } {
  const kind = ageIdentityKind(identity);
  const decoded = bech32Decode(identity);
  if (decoded === undefined) throw new Error("unreachable: identity checked above");
  return { kind, bytes: decoded.bytes };
}

/** Derives the identity for one scope label from a master identity. */
export function deriveScopeIdentityForLabel(master: string, label: string): string {
  const { kind, bytes } = masterBytes(master);
  const seed = new Uint8Array(hkdfSync("sha256", bytes, new Uint8Array(0), Buffer.from(INFO_PREFIX + label, "utf8"), 32));
  return bech32Encode(IDENTITY_HRP[kind], seed);
}

/** The identity for a scope; refuses a strict scope without a name, or a namespaced one without a namespace. */
export function deriveScopeIdentity(master: string, ref: ScopeRef): string {
  requireScopeLabel(ref.scope, ref.namespace, ref.name);
  return deriveScopeIdentityForLabel(master, scopeLabelText(ref.scope, ref.namespace, ref.name));
}

/** The recipient users seal to for a scope (what `GET /v1/age-recipients` serves). */
export async function scopeRecipient(master: string, ref: ScopeRef): Promise<string> {
  return identityToRecipient(deriveScopeIdentity(master, ref));
}
