// The AgeSecret decision, pure. It is the SealedSecret plan (same Secret, hashes, status, events,
// ownership rules), with age's own diagnosis of values that do not open.
import { SEALED_FOR_AGE_RECIPIENTS_ANNOTATION, sealedForAgeRecipients, type AgeSecret } from "../../api/age-secret.ts";
import { scopeLabelText, withScopeAnnotations, type SealingScope } from "../../crypto/scope.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import type { SyncedState } from "../sealed-secret/conditions.ts";
import { failurePlan, labelsToTry, mayWrite, plan, type KeyringView, type Plan, type RenderedTemplates, type ScopeLabel, type UnsealOutcome } from "../sealed-secret/plan.ts";
import type { HeldRecipient } from "./open.ts";

/**
 * The object's own scope label first, then its other scopes, then the labels of the name and
 * namespace its template was sealed for (`seal --age` writes them there): an AgeSecret copied to
 * another namespace is then diagnosed as sealed for the original one. For diagnosis only.
 */
export function ageLabelsToTry(age: AgeSecret): ScopeLabel[] {
  const labels = labelsToTry(age);
  const t = age.spec.template?.metadata;
  const ns = t?.namespace ?? "";
  const name = t?.name ?? "";
  const extra: ScopeLabel[] = [];
  if (ns !== "" && name !== "") extra.push({ scope: "strict", label: scopeLabelText("strict", ns, name) });
  if (ns !== "") extra.push({ scope: "namespace-wide", label: scopeLabelText("namespace-wide", ns, name) });
  for (const l of extra) if (!labels.some((x) => x.scope === l.scope && x.label === l.label)) labels.push(l);
  return labels;
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

function annotationFix(scope: SealingScope): string {
  const entries = Object.entries(withScopeAnnotations({}, scope));
  if (entries.length === 0) return " (remove the cluster-wide and namespace-wide annotations)";
  return ` (annotation ${entries.map(([k, v]) => `${k}: "${v}"`).join(", ")} would open it)`;
}

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
  const scoped = failed.filter((v) => v.openedWithLabel !== undefined);
  if (scoped.length > 0 && own !== undefined) {
    const hints = scoped.map((v) => {
      const other = labels[v.openedWithLabel ?? 0];
      if (other === undefined) return `${v.name} was sealed for another scope`;
      const sameObject = other.label === scopeLabelText(other.scope, age.metadata.namespace ?? "", age.metadata.name ?? "");
      const fix = sameObject ? annotationFix(other.scope) : " (sealed for another name or namespace: the AgeSecret was copied; re-seal it for this one)";
      return `${v.name} was sealed with scope ${other.scope} (label "${other.label}")${fix}`;
    });
    return {
      status: "False",
      reason: "ScopeMismatch",
      message:
        `values do not open with this AgeSecret's scope ${own.scope} (label "${own.label}"), but do with another scope: ${hints.join("; ")}; ` +
        "set the scope annotation accordingly, or re-seal with sealbridge seal --age for this name and namespace",
    };
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
      `${recordedText}. Re-seal with sealbridge seal --age (it asks the controller for the recipient) or restore the age key Secret`,
  };
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

export function planAge(input: AgePlanInput): Plan {
  const { age, secret, outcome, keyring, now } = input;
  const base = { sealed: age, secret, outcome, keyring, now, ...(input.rendered ? { rendered: input.rendered } : {}) };
  if (outcome.kind === "opened" && (!secret || mayWrite(secret, age))) {
    const failed = outcome.values.filter((v): v is Extract<OpenedValue, { ok: false }> => !v.ok);
    if (failed.length > 0) {
      const state = diagnoseAge(age, failed, outcome.labels, keyring, input.held);
      return failurePlan({ sealed: age, keyring, now }, state.reason, state.message);
    }
  }
  return plan(base);
}
