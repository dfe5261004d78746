// The reconcile decision of the kinds whose Secret is decrypted from what the object carries
// (SealedSecret, AgeSecret, SopsSecret), pure: object + existing Secret + what the keys opened +
// keyring → the Secret to write (if any), the next status (if changed) and the events to record.
// A kind brings its own diagnosis of values that did not open. No kube, no clock, no crypto here
// beyond hashing; reconciler.ts does the I/O.
import { TemplateError } from "../../template/errors.ts";
import { renderSealedSecretTemplate, type SealedTemplateOutput } from "../../template/sealed-secrets.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import { nextStatus, priorSynced, type SealedLike, type SyncedReason, type SyncedState } from "./conditions.ts";
import type { SealedSecretStatus } from "../../api/sealed-secret.ts";
import { boundedMessage } from "../messages.ts";
import { b64, mergeInto, newSecret, withoutLegacy } from "./desired-secret.ts";
import { contentHash, sourceHash } from "./hashes.ts";
import { MANAGED_ANNOTATION, mayWrite } from "./ownership.ts";
import type { ScopeLabel } from "./scope-labels.ts";

/** What the plan needs of the keyring: fingerprints (newest first), names, compromised ones. */
export interface KeyringView {
  keys: readonly { fingerprint: string; name: string; compromised: boolean }[];
  /** Key Secrets that exist but could not be loaded (name: reason). */
  problems: readonly { name: string; reason: string }[];
}

export type UnsealOutcome =
  /** The existing Secret was produced from exactly this input by these keys: nothing to decrypt. */
  | { kind: "current"; keys: readonly string[] }
  /** Values were opened (or failed) with the object's own scope label, diagnosed with `labels`. */
  | { kind: "opened"; values: readonly OpenedValue[]; labels: readonly ScopeLabel[] };

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export type SecretWrite = { kind: "create"; secret: KubeObject } | { kind: "replace"; secret: KubeObject };

/** What status.secret records once the Secret is written or verified (apply adds its resourceVersion). */
export interface SecretRecordPlan {
  sourceHash: string;
  keys: readonly string[];
  /** The resourceVersion of the Secret as read, when no write is needed. */
  verifiedVersion?: string;
}

export interface Plan {
  write?: SecretWrite;
  /** Record the Secret in status (undefined: keep what status records). */
  record?: SecretRecordPlan;
  /** Next status, undefined when unchanged. */
  status?: SealedSecretStatus;
  /** The Synced state after the write succeeds (for metrics and dependents). */
  state: SyncedState;
  /** Fingerprints of the keys this SealedSecret depends on (empty when it does not decrypt). */
  keys: readonly string[];
  events: EventSpec[];
}

/** The part of any keyring (RSA or age) that plans and diagnostics look at. */
export function keyringView(keyring: {
  keys: readonly { fingerprint: string; name: string; compromised: boolean }[];
  problems: readonly { name: string; reason: string }[];
}): KeyringView {
  return {
    keys: keyring.keys.map((k) => ({ fingerprint: k.fingerprint, name: k.name, compromised: k.compromised })),
    problems: keyring.problems.map((p) => ({ name: p.name, reason: p.reason })),
  };
}

/**
 * The fast path: the owner's status records that its Secret, at exactly the version now cached, was
 * produced from this exact input with keys we still hold. Returns those keys, or undefined. `secret`
 * may be metadata only (the shared Secret cache holds no data). `sourceChecked`: the source hash
 * was already found to match (a cached copy without ciphertexts, elided-ciphertexts.ts).
 */
export function currentKeys(sealed: SealedLike, secret: KubeObject | undefined, held: ReadonlySet<string>, extra: unknown = null, sourceChecked = false): string[] | undefined {
  const record = sealed.status?.secret;
  if (!secret || !record) return undefined;
  if (record.resourceVersion === "" || record.resourceVersion !== secret.metadata?.resourceVersion) return undefined;
  if (!record.keys.every((k) => held.has(k))) return undefined;
  if (!sourceChecked && sourceHash(sealed, record.keys, extra) !== record.sourceHash) return undefined;
  if (!mayWrite(secret, sealed)) return undefined;
  return [...record.keys];
}

function templateFailure(errors: readonly { key: string; error: unknown }[]): SyncedState {
  const parts = errors.slice(0, 5).map(({ key, error }) => {
    // Parse and limit messages are about the template text and its budgets, never a value.
    if (error instanceof TemplateError && (error.phase === "parse" || error.phase === "limit")) return `${key}: ${error.message}`;
    if (error instanceof TemplateError) {
      const fn = /error calling (\w+)/.exec(error.message)?.[1];
      return `${key}: execution failed at line ${error.line}, column ${error.column}${fn ? ` in ${fn}` : ""}`;
    }
    return `${key}: template failed`;
  });
  const more = errors.length > parts.length ? `; ${errors.length - parts.length} more of ${errors.length} keys failed too` : "";
  return { status: "False", reason: "TemplateFailed", message: `spec.template.data: ${parts.join("; ")}${more}` };
}

// ---------------------------------------------------------------------------------------------
// The plan

export interface PlanInput {
  sealed: SealedLike;
  /** The existing Secret with its data (read fresh when decrypting), or undefined. */
  secret: KubeObject | undefined;
  outcome: UnsealOutcome;
  keyring: KeyringView;
  now: Date;
  /** Inputs besides the object that the Secret depends on (see sourceHash). */
  extra?: unknown;
  /**
   * spec.template.data rendered off the event loop (render-templates.ts), or why that stopped;
   * without it the templates render here.
   */
  rendered?: RenderedTemplates;
  /**
   * The name was held by a Secret this object may not own when it appeared, and that Secret has been
   * deleted since (released-names.ts): no Secret is created in its place.
   */
  nameReleased?: boolean;
  /**
   * The kind's diagnosis of values that did not open (RSA label hashes, age recipients): one reason
   * and message. Needed whenever an opened outcome can hold failed values.
   */
  diagnose?: Diagnose;
}

export type Diagnose = (failed: readonly Extract<OpenedValue, { ok: false }>[], labels: readonly ScopeLabel[]) => SyncedState;

export type RenderedTemplates = SealedTemplateOutput | { stopped: string };

function okState(keys: readonly string[], keyring: KeyringView): SyncedState {
  const compromised = keyring.keys.filter((k) => k.compromised && keys.includes(k.fingerprint));
  if (compromised.length > 0) {
    return {
      status: "True",
      reason: "SealedWithCompromisedKey",
      message:
        `unsealed, but with key(s) marked compromised: ${compromised.map((k) => `${k.fingerprint} (${k.name})`).join(", ")}; ` +
        "re-seal with the current certificate (sealbridge seal --re-encrypt or --fetch-cert) and rotate the values",
    };
  }
  return { status: "True", reason: "Unsealed", message: "" };
}

function finish(input: PlanInput, state: SyncedState, keys: readonly string[], write: SecretWrite | undefined, extra: EventSpec[] = [], record?: SecretRecordPlan): Plan {
  const status = nextStatus(input.sealed, state, input.now);
  const events: EventSpec[] = [...extra];
  const prior = priorSynced(input.sealed);
  // Compared as written: a long message is stored cut (nextStatus), so compare the cut form.
  const changed = prior?.status !== state.status || prior.reason !== state.reason || (prior.message ?? "") !== boundedMessage(state.message);
  if (write) events.push({ type: "Normal", reason: "Unsealed", message: `${input.sealed.kind} unsealed successfully` });
  if (changed && state.status === "False") {
    const eventReason = state.reason === "SecretNotOwned" || state.reason === "ApplyFailed" || state.reason === "SecretImmutable" ? "ErrUpdateFailed" : "ErrUnsealFailed";
    events.push({ type: "Warning", reason: eventReason, message: `${state.reason}: ${state.message}` });
  }
  if (changed && state.reason === "SealedWithCompromisedKey") events.push({ type: "Warning", reason: "SealedWithCompromisedKey", message: state.message });
  return { ...(write ? { write } : {}), ...(record ? { record } : {}), ...(status ? { status } : {}), state, keys, events };
}

/** A plan for a failure that happens before or after unsealing (bad manifest, apply error). */
export function failurePlan(input: Omit<PlanInput, "outcome" | "secret">, reason: SyncedReason, message: string): Plan {
  return finish({ ...input, secret: undefined, outcome: { kind: "current", keys: [] } }, { status: "False", reason, message }, [], undefined);
}

export function plan(input: PlanInput): Plan {
  const { sealed, secret, outcome, keyring } = input;
  if (sealed.spec.data !== undefined && Object.keys(sealed.spec.encryptedData).length === 0) {
    return finish(input, {
      status: "False",
      reason: "DeprecatedDataField",
      message: "spec.data (the pre-v0.7 whole-Secret format) is not supported; re-seal into spec.encryptedData",
    }, [], undefined);
  }
  if (secret && !mayWrite(secret, sealed)) {
    return finish(input, {
      status: "False",
      reason: "SecretNotOwned",
      message: `Resource "${sealed.metadata.name ?? ""}" already exists and is not managed by ${sealed.kind}; annotate it ${MANAGED_ANNOTATION}: "true" to let the controller take it over`,
    }, [], undefined);
  }
  if (!secret && input.nameReleased === true) {
    const name = sealed.metadata.name ?? "";
    return finish(input, {
      status: "False",
      reason: "SecretNotOwned",
      message:
        `Resource "${name}" was not managed by ${sealed.kind} when the ${sealed.kind} appeared (no owner reference to it, no ${MANAGED_ANNOTATION}: "true" annotation) ` +
        `and has been deleted since: as Sealed Secrets does, the controller does not create a Secret in its place; change this ${sealed.kind}'s spec, or delete and re-apply it, to have its Secret created`,
    }, [], undefined);
  }
  if (outcome.kind === "current") return finish(input, okState(outcome.keys, keyring), outcome.keys, undefined);

  const failed = outcome.values.filter((v): v is Extract<OpenedValue, { ok: false }> => !v.ok);
  if (failed.length > 0) {
    // A kind whose values can fail to open passes its diagnosis; reaching here without one is a bug.
    if (input.diagnose === undefined) throw new Error(`${sealed.kind}: values did not open and the plan has no diagnosis for them`);
    return finish(input, input.diagnose(failed, outcome.labels), [], undefined);
  }

  const opened = outcome.values.filter((v): v is Extract<OpenedValue, { ok: true }> => v.ok);
  const keys = [...new Set(opened.map((v) => v.fingerprint))].sort();
  const decrypted: Record<string, Uint8Array> = {};
  for (const v of opened) decrypted[v.name] = v.plaintext;
  const templateData = sealed.spec.template?.data ?? {};
  let values: Record<string, Uint8Array> = decrypted;
  if (Object.keys(templateData).length > 0) {
    const given = input.rendered;
    if (given !== undefined && "stopped" in given) {
      return finish(input, { status: "False", reason: "TemplateFailed", message: `spec.template.data: ${given.stopped}` }, [], undefined);
    }
    const out = given ?? renderSealedSecretTemplate({ templateData, decrypted });
    if (out.errors.length > 0) return finish(input, templateFailure(out.errors), [], undefined);
    values = out.data;
  }
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) data[k] = b64(v);
  const fresh = newSecret(sealed, data);
  const desired = secret ? mergeInto(secret, fresh) : fresh;
  const state = okState(keys, keyring);
  const record: SecretRecordPlan = { sourceHash: sourceHash(sealed, keys, input.extra ?? null), keys };
  if (secret && contentHash(secret) === contentHash(desired)) {
    const verifiedVersion = secret.metadata?.resourceVersion;
    return finish(input, state, keys, undefined, [], { ...record, ...(verifiedVersion ? { verifiedVersion } : {}) });
  }
  if (secret && secret["immutable"] === true && contentHash(withoutLegacy(secret)) !== contentHash(desired)) {
    return finish(input, {
      status: "False",
      reason: "SecretImmutable",
      // Sealed Secrets' wording (formatImmutableError), which its integration suite looks for in the event.
      message:
        `Error updating ${sealed.metadata.namespace ?? ""}/${sealed.metadata.name ?? ""}: the target Secret is immutable. Once a Secret is marked as immutable, ` +
        "it is not possible to revert this change nor to mutate the contents of the data field. You can only delete and recreate the Secret " +
        `(delete it and the controller recreates it from this ${sealed.kind})`,
    }, [], undefined);
  }
  return finish(input, state, keys, secret ? { kind: "replace", secret: desired } : { kind: "create", secret: desired }, [], record);
}
