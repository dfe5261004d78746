// The SealedSecret `Synced` condition and its machine-readable reasons, computed purely.
import type { SealedSecret, SealedSecretCondition, SealedSecretStatus } from "../../api/sealed-secret.ts";
import { boundedMessage } from "../messages.ts";

/**
 * A SealedSecret or a kind with the same shape and status (AgeSecret; a SopsSecret's view), so the
 * plan, status and events below serve all of them.
 */
export type SealedLike = Omit<SealedSecret, "apiVersion" | "kind"> & { apiVersion: string; kind: string };

export const SYNCED = "Synced";

export type SyncedReason =
  | "Unsealed"
  | "SealedWithCompromisedKey"
  | "NoKeyAvailable"
  | "SealedForUnknownKey"
  | "ScopeMismatch"
  | "InvalidCiphertext"
  | "TemplateFailed"
  | "InvalidManifest"
  | "DeprecatedDataField"
  | "SecretNotOwned"
  | "SecretImmutable"
  | "ApplyFailed"
  // The Secret would exceed Kubernetes' 1 MiB of data: refused before it is sent.
  | "SecretTooLarge"
  // The RSA worker pool gave up starting workers (issue 11): nothing decrypts until a restart.
  | "DecryptWorkerUnavailable"
  // SopsSecret (issue 5): the MAC could not be checked (only a re-serialised form), and SOPS failures.
  | "MacNotChecked"
  | "SopsMacMismatch"
  | "SopsNoMatchingIdentity"
  | "SopsMetadataMissing"
  | "SopsNoAgeRecipients"
  | "SopsMalformedDocument"
  | "SopsMalformedValue"
  | "SopsUnsupported"
  | "DocumentTooLarge"
  // Bounded parsing (src/api/bounded-parse.ts, issue 13): a document refused before it could cost much.
  | "TooDeep"
  | "TooManyAliases"
  | "TooManyNodes"
  | "IdentitySecretProblem";

export interface SyncedState {
  status: "True" | "False";
  reason: SyncedReason;
  message: string;
}

/**
 * The status to write, or undefined when the current one already says the same (no write churn:
 * timestamps only move when status, reason, message or observedGeneration change).
 */
export function nextStatus(sealed: SealedLike, full: SyncedState, now: Date): SealedSecretStatus | undefined {
  const state = { ...full, message: boundedMessage(full.message) };
  const current = sealed.status;
  const prior = current?.conditions?.find((c) => c.type === SYNCED);
  const generation = sealed.metadata.generation;
  const same =
    prior !== undefined &&
    prior.status === state.status &&
    prior.reason === state.reason &&
    (prior.message ?? "") === state.message &&
    current?.observedGeneration === generation;
  if (same) return undefined;
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const condition: SealedSecretCondition = {
    type: SYNCED,
    status: state.status,
    reason: state.reason,
    message: state.message,
    lastUpdateTime: stamp,
    lastTransitionTime: prior !== undefined && prior.status === state.status && prior.lastTransitionTime ? prior.lastTransitionTime : stamp,
  };
  const others = (current?.conditions ?? []).filter((c) => c.type !== SYNCED);
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: [condition, ...others],
  };
}

export function priorSynced(sealed: SealedLike): SealedSecretCondition | undefined {
  return sealed.status?.conditions?.find((c) => c.type === SYNCED);
}
