// The AgeSecret decision, pure. It is the decrypted-secret plan (same Secret, hashes, status, events,
// ownership rules as the SealedSecret), with age's own diagnosis of values that do not open.
import { SEALED_FOR_AGE_RECIPIENTS_ANNOTATION, sealedForAgeRecipients, type AgeSecret } from "../../api/age-secret.ts";
import { SEALED_FOR_ANNOTATION } from "../../api/sealed-for.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import type { SyncedState } from "../decrypted-secret/conditions.ts";
import { plan, type KeyringView, type Plan, type RenderedTemplates, type UnsealOutcome } from "../decrypted-secret/plan.ts";
import { labelsToTry, openedWithHint, scopeMismatchState, type ScopeLabel } from "../decrypted-secret/scope-labels.ts";
import type { HeldRecipient } from "./open.ts";

/**
 * The labels to try for an AgeSecret: the SealedSecret ones (own scope, other scopes, the target
 * recorded at seal time in the sealed-for annotation and spec.template.metadata). Each costs an
 * identity derivation per key; they are at most six.
 */
export function ageLabelsToTry(age: AgeSecret): ScopeLabel[] {
  return labelsToTry(age);
}

/** Reasons of values that are not age files sealbridge can open, whatever the key. */
const MALFORMED = new Set([
  "AgeMalformedArmor",
  "AgeNotAnAgeFile",
  "AgeMalformedHeader",
  "AgeUnknownStanzaType",
  "AgeScryptOnly",
  "AgeHeaderMacMismatch",
  "AgePayloadCorrupt",
  "AgeFileTooLarge",
]);

/** One reason and an actionable message for values that did not open. Never quotes a value or a key. */
export function diagnoseAge(
  age: AgeSecret,
  failed: readonly Extract<OpenedValue, { ok: false }>[],
  labels: readonly ScopeLabel[],
  keyring: KeyringView,
  held: readonly HeldRecipient[],
): SyncedState {
  const names = (vs: readonly { name: string }[]) => vs.map((v) => v.name).sort().join(", ");
  if (keyring.keys.length === 0) {
    const problems = keyring.problems.map((p) => `${p.name}: ${p.reason}`).join("; ");
    return {
      status: "False",
      reason: "NoKeyAvailable",
      message:
        "no age sealing key is loaded: the controller found no usable Secret labelled sealbridge.dev/age-sealing-key " +
        `in its key namespace${problems ? ` (unusable key Secrets: ${problems})` : ""}`,
    };
  }
  const malformed = failed.filter((v) => MALFORMED.has(v.reason));
  if (malformed.length > 0) {
    return {
      status: "False",
      reason: "InvalidCiphertext",
      message: `encryptedData ${names(malformed)}: ${malformed.map((v) => `${v.name}: ${v.reason}: ${v.message}`).join("; ")}; re-seal the value(s)`,
    };
  }
  const own = labels[0];
  if (own !== undefined) {
    const hints = failed.filter((v) => v.openedWithLabel !== undefined).map((v) => openedWithHint(v, labels));
    const mismatch = scopeMismatchState(age, own, hints, {
      reseal: "Re-seal the values with sealbridge seal --age",
      scope: "set the scope annotation accordingly, or re-seal with sealbridge seal --age for this name and namespace",
    });
    if (mismatch !== undefined) return mismatch;
  }
  const recorded = sealedForAgeRecipients(age.metadata);
  const byFingerprint = new Map(held.map((h) => [h.fingerprint, h]));
  const ownHeld = held.filter((h) => h.scope === own?.scope);
  const heldText = ownHeld.map((h) => `${h.fingerprint} (key ${h.keyName}${h.compromised ? ", compromised" : ""})`).join(", ");
  let recordedText: string;
  if (recorded.length === 0) {
    recordedText = `it does not record its recipients (${SEALED_FOR_AGE_RECIPIENTS_ANNOTATION})`;
  } else {
    const parts = recorded.map((fp) => {
      const h = byFingerprint.get(fp);
      if (h === undefined) return `${fp}: not a recipient of this controller (another cluster, an offline key, or a deleted key)`;
      if (h.scope !== own?.scope) return `${fp}: this controller's ${h.scope} recipient of key ${h.keyName}`;
      return `${fp}: this controller's key ${h.keyName}${h.compromised ? " (compromised)" : ""}, yet the value does not open: it is corrupt or was changed`;
    });
    recordedText = `it records being sealed for ${parts.join("; ")}`;
  }
  return {
    status: "False",
    reason: "SealedForUnknownKey",
    message:
      `encryptedData ${names(failed)} cannot be opened by any of the ${keyring.keys.length} age key(s) held (scope recipients for ${own?.scope ?? "?"}: ${heldText}); ` +
      `${recordedText}${movedCaveat(labels)}. Re-seal with sealbridge seal --age (it asks the controller for the recipient) or restore the age key Secret`,
  };
}

/**
 * age has no label hash to look at: a value sealed with our key for a name or namespace that is not
 * recorded looks like one sealed to a stranger's key. Say so when nothing was recorded.
 */
function movedCaveat(labels: readonly ScopeLabel[]): string {
  if (labels.some((l) => l.recordedIn !== undefined)) return "";
  return `; if it was sealed by this cluster for another name or namespace, age cannot tell without the target recorded at seal time (${SEALED_FOR_ANNOTATION}, written by sealbridge seal --age)`;
}

export interface AgePlanInput {
  age: AgeSecret;
  secret: KubeObject | undefined;
  outcome: UnsealOutcome;
  keyring: KeyringView;
  /** Scope recipients of the held keys, computed only when values failed. */
  held: readonly HeldRecipient[];
  now: Date;
  rendered?: RenderedTemplates;
}

/** The AgeSecret plan: the decrypted-secret plan with age's diagnosis of values that did not open. */
export function planAge(input: AgePlanInput): Plan {
  const { age, secret, outcome, keyring, now } = input;
  return plan({
    sealed: age,
    secret,
    outcome,
    keyring,
    now,
    ...(input.rendered ? { rendered: input.rendered } : {}),
    diagnose: (failed, labels) => diagnoseAge(age, failed, labels, keyring, input.held),
  });
}
