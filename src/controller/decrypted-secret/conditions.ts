// The `Synced` condition of the decrypted kinds (SealedSecret, AgeSecret, SopsSecret) and its
// machine-readable reasons, computed purely, with the kstatus conditions beside it: `Ready` mirrors `Synced` (same status, reason and message), and
// `Stalled=True` marks a failure that retrying will not fix, so Flux (kstatus) reads a failing object
// as Failed rather than Current, and Argo CD scripts have a standard condition to read.
import type { SealedSecret, SealedSecretCondition, SealedSecretStatus } from "../../api/sealed-secret.ts";
import { boundedMessage } from "../messages.ts";

/**
 * A SealedSecret or a kind with the same shape and status (AgeSecret; a SopsSecret's view), so the
 * plan, status and events below serve all of them.
 */
export type SealedLike = Omit<SealedSecret, "apiVersion" | "kind"> & { apiVersion: string; kind: string };

export const SYNCED = "Synced";
export const READY = "Ready";
export const STALLED = "Stalled";
/** The condition types this module owns; any other condition on the object is kept as it is. */
const OWN_TYPES: ReadonlySet<string> = new Set([SYNCED, READY, STALLED]);

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
 * Whether a Synced state is a failure that retrying will not fix. Every `Synced=False` this
 * controller writes is one: errors a retry can fix (conflicts, timeouts, API server 5xx) are retried
 * with backoff and never become a condition; a False state waits for someone to change something
 * (re-seal, restore a key, fix the document, delete an immutable Secret, restart a broken build).
 */
export function isStalled(state: SyncedState): boolean {
  return state.status === "False";
}

/** The conditions this module writes for a state: Synced, Ready (its mirror) and, when stalled, Stalled. */
function wantedConditions(state: SyncedState): { type: string; status: string }[] {
  const wanted = [
    { type: SYNCED, status: state.status },
    { type: READY, status: state.status },
  ];
  if (isStalled(state)) wanted.push({ type: STALLED, status: "True" });
  return wanted;
}

function sameCondition(c: SealedSecretCondition | undefined, status: string, state: SyncedState): boolean {
  return c !== undefined && c.status === status && c.reason === state.reason && (c.message ?? "") === state.message;
}

/**
 * The status to write, or undefined when the current one already says the same (no write churn:
 * timestamps only move when status, reason, message or observedGeneration change, or when the
 * object lacks one of the conditions, e.g. Ready on a status written by an earlier version).
 */
export function nextStatus(sealed: SealedLike, full: SyncedState, now: Date): SealedSecretStatus | undefined {
  const state = { ...full, message: boundedMessage(full.message) };
  const current = sealed.status;
  const conditions = current?.conditions ?? [];
  const find = (type: string) => conditions.find((c) => c.type === type);
  const wanted = wantedConditions(state);
  const generation = sealed.metadata.generation;
  const same =
    wanted.every((w) => sameCondition(find(w.type), w.status, state)) &&
    conditions.filter((c) => OWN_TYPES.has(c.type)).length === wanted.length &&
    current?.observedGeneration === generation;
  if (same) return undefined;
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const written: SealedSecretCondition[] = wanted.map((w) => {
    const prior = find(w.type);
    return {
      type: w.type,
      status: w.status,
      reason: state.reason,
      message: state.message,
      lastUpdateTime: stamp,
      lastTransitionTime: prior !== undefined && prior.status === w.status && prior.lastTransitionTime ? prior.lastTransitionTime : stamp,
    };
  });
  // Synced stays first: Sealed Secrets' printer columns read .status.conditions[0].
  const others = conditions.filter((c) => !OWN_TYPES.has(c.type));
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: [...written, ...others],
  };
}

export function priorSynced(sealed: SealedLike): SealedSecretCondition | undefined {
  return sealed.status?.conditions?.find((c) => c.type === SYNCED);
}
