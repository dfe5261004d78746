// Opening an AgeSecret's values with the controller's age keys: each key is a master, and the value
// must open with the identity derived for the object's own scope. The other scopes and the recorded
// target are tried only to say what a value was sealed for. Plaintexts stay in the returned values
// (a diagnosis-only opening is zeroed); nothing is logged.
import { ageRecipientFingerprint, decryptAge } from "../../crypto/age.ts";
import { deriveScopeIdentityForLabel } from "../../crypto/age-scope.ts";
import { isCryptoError } from "../../crypto/errors.ts";
import { identityToRecipient } from "age-encryption";
import type { AgeSealingKey } from "../keys/age-keyring.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import type { ScopeLabel } from "../decrypted-secret/scope-labels.ts";

export interface OpenAgeInput {
  values: readonly (readonly [string, string])[];
  /** Newest first. */
  keys: readonly AgeSealingKey[];
  /** The object's own scope first. */
  labels: readonly ScopeLabel[];
}

export async function openAgeValues(input: OpenAgeInput): Promise<OpenedValue[]> {
  const derived = new Map<number, string[]>();
  const identitiesFor = (labelIndex: number): string[] => {
    let ids = derived.get(labelIndex);
    if (ids === undefined) {
      const label = input.labels[labelIndex]?.label ?? "";
      ids = input.keys.map((k) => deriveScopeIdentityForLabel(k.identity, label));
      derived.set(labelIndex, ids);
    }
    return ids;
  };
  const out: OpenedValue[] = [];
  for (const [name, value] of input.values) {
    try {
      const { plaintext, identityIndex } = await decryptAge({ file: value, identities: identitiesFor(0) });
      out.push({ name, ok: true, plaintext, fingerprint: input.keys[identityIndex]?.fingerprint ?? "" });
      continue;
    } catch (err) {
      if (!isCryptoError(err)) throw err;
      const failure: Extract<OpenedValue, { ok: false }> = { name, ok: false, reason: err.reason, message: err.message };
      if (err.reason === "AgeNoMatchingIdentity") {
        for (let i = 1; i < input.labels.length; i++) {
          try {
            const other = await decryptAge({ file: value, identities: identitiesFor(i) });
            other.plaintext.fill(0);
            failure.openedWithLabel = i;
            failure.openedWithKey = input.keys[other.identityIndex]?.fingerprint ?? "";
            break;
          } catch {
            // Not this scope either.
          }
        }
      }
      out.push(failure);
    }
  }
  return out;
}

export interface HeldRecipient {
  /** ageRecipientFingerprint of the scope recipient (what `seal --age` records). */
  fingerprint: string;
  keyName: string;
  compromised: boolean;
  scope: ScopeLabel["scope"];
}

/** The scope recipients every held key publishes for this object, to compare with the seal-time annotation. */
export async function heldScopeRecipients(keys: readonly AgeSealingKey[], labels: readonly ScopeLabel[]): Promise<HeldRecipient[]> {
  const out: HeldRecipient[] = [];
  for (const key of keys) {
    for (const l of labels) {
      const recipient = await identityToRecipient(deriveScopeIdentityForLabel(key.identity, l.label));
      out.push({ fingerprint: ageRecipientFingerprint(recipient), keyName: key.name, compromised: key.compromised, scope: l.scope });
    }
  }
  return out;
}
