// The SealedSecret's own part of the decision, pure: RSA-OAEP's diagnosis of values that do not open
// (no key, malformed, corrupt, scope mismatch, another key) with fingerprints, never values. The rest
// (Secret, hashes, ownership, status, events) is the decrypted-secret plan's.
import { SEALED_FOR_ANNOTATION, formatSealedFor, isObjectName, parseSealedFor } from "../../api/sealed-for.ts";
import { SEALED_WITH_CERT_ANNOTATION, sealedWithCertificates } from "../../api/sealed-secret.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import type { SealedLike, SyncedState } from "../decrypted-secret/conditions.ts";
import { plan, type KeyringView, type Plan, type PlanInput } from "../decrypted-secret/plan.ts";
import { openedWithHint, scopeMismatchState, type ScopeHint, type ScopeLabel } from "../decrypted-secret/scope-labels.ts";
import { listSummary } from "../messages.ts";

/** The SealedSecret plan: the decrypted-secret plan with RSA's diagnosis of values that did not open. */
export function planSealed(input: Omit<PlanInput, "diagnose">): Plan {
  return plan({ ...input, diagnose: (failed, labels) => diagnose(input.sealed, failed, labels, input.keyring) });
}

function heldList(keyring: KeyringView): string {
  return keyring.keys.map((k) => `${k.fingerprint} (${k.name}${k.compromised ? ", compromised" : ""})`).join(", ");
}

/** One reason and an actionable message for values that did not open. Never quotes a value. */
export function diagnose(sealed: SealedLike, failed: readonly Extract<OpenedValue, { ok: false }>[], labels: readonly ScopeLabel[], keyring: KeyringView): SyncedState {
  // Thousands of bad values make one line: the first few named, the count said.
  const names = (vs: readonly { name: string }[]) => listSummary(vs.map((v) => v.name));
  if (keyring.keys.length === 0) {
    const problems = keyring.problems.map((p) => `${p.name}: ${p.reason}`).join("; ");
    return {
      status: "False",
      reason: "NoKeyAvailable",
      message:
        "no sealing key is loaded: the controller found no usable Secret labelled sealedsecrets.bitnami.com/sealed-secrets-key " +
        `in its key namespace${problems ? ` (unusable key Secrets: ${problems})` : ""}; restore the key Secret or check --key-namespace`,
    };
  }
  const malformed = failed.filter((v) => v.reason === "InvalidBase64" || v.reason === "CiphertextTooShort" || v.reason === "LengthPrefixOverrun");
  if (malformed.length > 0) {
    return {
      status: "False",
      reason: "InvalidCiphertext",
      message: `encryptedData ${names(malformed)}: ${[...malformed].sort((a, b) => (a.name < b.name ? -1 : 1)).slice(0, 3).map((v) => `${v.name}: ${v.message}`).join("; ")}; re-seal the value(s)`,
    };
  }
  const corrupt = failed.filter((v) => v.corruptWithKey !== undefined);
  if (corrupt.length > 0) {
    return {
      status: "False",
      reason: "InvalidCiphertext",
      message:
        `encryptedData ${names(corrupt)}: ${corrupt.map((v) => `${v.name}: the RSA block is for this cluster's key ${keyName(keyring, v.corruptWithKey ?? "")} but the AES-GCM data does not authenticate`).join("; ")}; ` +
        "the value was edited or truncated: re-seal it",
    };
  }
  const mismatch = scopeMismatch(sealed, failed, labels, keyring);
  if (mismatch !== undefined) return mismatch;
  const recorded = sealedWithCertificates(sealed.metadata);
  const held = new Set(keyring.keys.map((k) => k.fingerprint));
  const recordedText =
    recorded.length === 0
      ? `it does not record its certificate (${SEALED_WITH_CERT_ANNOTATION})`
      : recorded.some((fp) => held.has(fp))
        ? `it records certificate ${recorded.join(", ")}, which this controller holds, yet no held key's RSA-OAEP structure shows in the value: the annotation was copied from another SealedSecret, or the value is damaged`
        : `it was sealed with certificate ${recorded.join(", ")}, which this controller does not hold`;
  return {
    status: "False",
    reason: "SealedForUnknownKey",
    message:
      `encryptedData ${names(failed)} cannot be opened by any of the ${keyring.keys.length} key(s) held (certificates sha256: ${heldList(keyring)}); ` +
      `${recordedText}. Re-seal with this cluster's certificate (sealbridge seal --fetch-cert) or restore the sealing key Secret it was made with`,
  };
}

function keyName(keyring: KeyringView, fingerprint: string): string {
  const key = keyring.keys.find((k) => k.fingerprint === fingerprint);
  return key ? `${key.name} (sha256 ${fingerprint})` : `sha256 ${fingerprint}`;
}

/** For a value sealed with our key for a label none of the candidates match: what the seal-time records say. */
export function unknownLabelHint(sealed: SealedLike): string {
  const target = parseSealedFor(sealed.metadata.annotations);
  if (target !== undefined) return `not for the target ${SEALED_FOR_ANNOTATION} records (${formatSealedFor(target)}) either: the annotation was copied or the value sealed again elsewhere`;
  const t = sealed.spec.template?.metadata;
  if (isObjectName(t?.namespace ?? "", t?.name ?? "")) {
    return `not for the target spec.template.metadata records (${t?.namespace ?? ""}/${t?.name ?? ""}) either: the value was copied from another object`;
  }
  if (sealed.metadata.annotations?.[SEALED_FOR_ANNOTATION] !== undefined) return `${SEALED_FOR_ANNOTATION} is not of the form strict:<namespace>/<name>, namespace-wide:<namespace> or cluster-wide`;
  return `it records no target (sealbridge seal writes ${SEALED_FOR_ANNOTATION})`;
}

/**
 * ScopeMismatch when some value opens with one of our keys under another label: another scope of
 * this object (the scope annotation is wrong), or another name or namespace (renamed or moved).
 */
function scopeMismatch(sealed: SealedLike, failed: readonly Extract<OpenedValue, { ok: false }>[], labels: readonly ScopeLabel[], keyring: KeyringView): SyncedState | undefined {
  const own = labels[0];
  if (own === undefined) return undefined;
  const hints: ScopeHint[] = [
    ...failed.filter((v) => v.openedWithLabel !== undefined).map((v) => openedWithHint(v, labels)),
    ...failed
      .filter((v) => v.otherLabelWithKey !== undefined)
      .map((v) => ({
        name: v.name,
        about: `sealed with key ${keyName(keyring, v.otherLabelWithKey ?? "")} for a label other than its three scopes and any recorded target; ${unknownLabelHint(sealed)}`,
        moved: true,
      })),
  ];
  return scopeMismatchState(sealed, own, hints, {
    reseal: "Re-seal the values (sealbridge seal or kubeseal)",
    scope: "set the scope annotation accordingly or re-seal with the right --scope, name and namespace",
  });
}
