// The SealedSecret reconcile decision, pure: SealedSecret + existing Secret + what the keys opened
// + keyring → the Secret to write (if any), the next status (if changed) and the events to record.
// No kube, no clock, no crypto here beyond hashing; reconcile.ts does the I/O.
import { createHash } from "node:crypto";
import { SEALED_FOR_ANNOTATION, describeTarget, formatSealedFor, isObjectName, parseSealedFor, recordedTargets, recordedWhere } from "../../api/sealed-for.ts";
import { SEALED_WITH_CERT_ANNOTATION, sealedSecretScope, sealedWithCertificates } from "../../api/sealed-secret.ts";
import { SEALING_SCOPES, scopeLabelText, withScopeAnnotations, type SealingScope } from "../../crypto/scope.ts";
import type { KubeObject, OwnerReference } from "../../kube/port.ts";
import { TemplateError } from "../../template/errors.ts";
import { renderSealedSecretTemplate, type SealedTemplateOutput } from "../../template/sealed-secrets.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import { nextStatus, priorSynced, type SealedLike, type SyncedReason, type SyncedState } from "./conditions.ts";
import type { SealedSecretStatus } from "../../api/sealed-secret.ts";
import { boundedMessage, listSummary } from "../messages.ts";

export const MANAGED_ANNOTATION = "sealedsecrets.bitnami.com/managed";
export const PATCH_ANNOTATION = "sealedsecrets.bitnami.com/patch";
export const SKIP_OWNER_REFERENCES_ANNOTATION = "sealedsecrets.bitnami.com/skip-set-owner-references";
/**
 * Bookkeeping annotations that earlier sealbridge versions put on target Secrets. Secrets now look
 * exactly as Sealed Secrets makes them (the bookkeeping lives in the owner's status.secret); these
 * are removed from a Secret the next time it is written.
 */
export const LEGACY_ANNOTATIONS = ["sealbridge.dev/source-sha256", "sealbridge.dev/unsealed-with-keys", "sealbridge.dev/content-sha256"] as const;

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

export interface ScopeLabel {
  scope: SealingScope;
  label: string;
  /**
   * Set on a diagnosis-only label of another object: the target recorded at seal time, by
   * `sealbridge seal` (annotation) or in spec.template.metadata (kubeseal and sealbridge seal).
   */
  recordedIn?: "annotation" | "template";
}

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

// ---------------------------------------------------------------------------------------------
// Labels to try

/**
 * The object's own scope label first, then the other scopes' labels, then the labels of the target
 * recorded at seal time (sealed-for annotation, spec.template.metadata name and namespace), which
 * a rename or move (kustomize namePrefix, nameSuffix, namespace) leaves as they were. All but the
 * first are for diagnosis only.
 */
export function labelsToTry(sealed: SealedLike): ScopeLabel[] {
  const own = sealedSecretScope(sealed);
  const ns = sealed.metadata.namespace ?? "";
  const name = sealed.metadata.name ?? "";
  const order = [own, ...SEALING_SCOPES.filter((s) => s !== own)];
  const labels: ScopeLabel[] = order.map((scope) => ({ scope, label: scopeLabelText(scope, ns, name) }));
  const recorded = recordedTargets(sealed.metadata, sealed.spec.template?.metadata);
  for (const l of recorded) if (!labels.some((x) => x.label === l.label)) labels.push(l);
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Hashes

function sha256(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

function sortedEntries(map: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Hash of everything the target Secret is computed from, given the keys that open it; `extra` holds
 * other inputs of a kind (a SopsSecret's identity Secret versions). Ciphertexts only: no plaintext.
 */
export function sourceHash(sealed: SealedLike, keys: readonly string[], extra: unknown = null): string {
  const t = sealed.spec.template ?? {};
  return sha256({
    v: 1,
    name: sealed.metadata.name ?? "",
    namespace: sealed.metadata.namespace ?? "",
    uid: sealed.metadata.uid ?? "",
    scope: sealedSecretScope(sealed),
    encryptedData: sortedEntries(sealed.spec.encryptedData),
    template: {
      labels: sortedEntries(t.metadata?.labels),
      annotations: sortedEntries(t.metadata?.annotations),
      type: t.type ?? "",
      immutable: t.immutable ?? null,
      data: sortedEntries(t.data),
    },
    keys: [...keys].sort(),
    extra,
  });
}

function normalOwners(refs: unknown): unknown[] {
  if (!Array.isArray(refs)) return [];
  return refs.map((r: Partial<OwnerReference>) => [r.apiVersion ?? "", r.kind ?? "", r.name ?? "", r.uid ?? "", r.controller === true, r.blockOwnerDeletion === true]);
}

/** Digest of a Secret's content as the controller writes it (data, type, immutable, labels,
 * annotations, owners), compared in memory only: never stored. */
export function contentHash(secret: KubeObject): string {
  const annotations = { ...secret.metadata?.annotations };
  return sha256({
    data: sortedEntries(secret["data"] as Record<string, string> | undefined),
    type: typeof secret["type"] === "string" && secret["type"] !== "" ? secret["type"] : "Opaque",
    immutable: secret["immutable"] === true,
    labels: sortedEntries(secret.metadata?.labels),
    annotations: sortedEntries(annotations),
    owners: normalOwners(secret.metadata?.ownerReferences),
  });
}

// ---------------------------------------------------------------------------------------------
// Ownership

export function isControlledBy(secret: KubeObject, sealed: SealedLike): boolean {
  const uid = sealed.metadata.uid;
  return (secret.metadata?.ownerReferences ?? []).some((r) => r.controller === true && uid !== undefined && r.uid === uid);
}

function annotated(secret: KubeObject, annotation: string): boolean {
  return secret.metadata?.annotations?.[annotation] === "true";
}

/**
 * Sealed Secrets' rule: an existing Secret is ours if we control it or it is annotated managed or
 * patch. Also ours: a Secret made without owner references because the template asked for it, which
 * carries the template's skip-set-owner-references annotation (Sealed Secrets writes such a Secret
 * once and then refuses it unless also annotated managed; here it stays managed, without an
 * annotation of ours on it).
 */
export function mayWrite(secret: KubeObject, sealed: SealedLike): boolean {
  return isControlledBy(secret, sealed) || annotated(secret, MANAGED_ANNOTATION) || annotated(secret, PATCH_ANNOTATION) || madeWithoutOwners(secret, sealed);
}

function madeWithoutOwners(secret: KubeObject, sealed: SealedLike): boolean {
  const owners = secret.metadata?.ownerReferences ?? [];
  return (
    sealed.spec.template?.metadata?.annotations?.[SKIP_OWNER_REFERENCES_ANNOTATION] === "true" &&
    annotated(secret, SKIP_OWNER_REFERENCES_ANNOTATION) &&
    !owners.some((r) => r.controller === true)
  );
}

/**
 * The fast path: the owner's status records that its Secret, at exactly the version now cached, was
 * produced from this exact input with keys we still hold. Returns those keys, or undefined. `secret`
 * may be metadata only (the shared Secret cache holds no data).
 */
export function currentKeys(sealed: SealedLike, secret: KubeObject | undefined, held: ReadonlySet<string>, extra: unknown = null): string[] | undefined {
  const record = sealed.status?.secret;
  if (!secret || !record) return undefined;
  if (record.resourceVersion === "" || record.resourceVersion !== secret.metadata?.resourceVersion) return undefined;
  if (!record.keys.every((k) => held.has(k))) return undefined;
  if (sourceHash(sealed, record.keys, extra) !== record.sourceHash) return undefined;
  if (!mayWrite(secret, sealed)) return undefined;
  return [...record.keys];
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

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

/** What one value's diagnosis says, for a ScopeMismatch message. */
export interface ScopeHint {
  name: string;
  /** "sealed with scope cluster-wide (…)", "sealed (strict) for ns/name (recorded in …)". */
  about: string;
  /** Sealed for another name or namespace (rather than another scope of this object). */
  moved: boolean;
}

/** What the label a value opened with says: another scope of this object, or the target of another one. */
export function openedWithHint(v: Extract<OpenedValue, { ok: false }>, labels: readonly ScopeLabel[]): ScopeHint {
  const other = labels[v.openedWithLabel ?? 0];
  if (other === undefined) return { name: v.name, about: "sealed for another scope", moved: false };
  if (other.recordedIn === undefined) return { name: v.name, about: `sealed with scope ${other.scope} (label "${other.label}")${annotationFix(other.scope)}`, moved: false };
  return { name: v.name, about: `${describeTarget(other.scope, other.label)} (recorded in ${recordedWhere(other.recordedIn)})`, moved: true };
}

/**
 * The ScopeMismatch state for these hints, or undefined when there are none. Values that say the
 * same are named together, so the message grows with the number of distinct targets, not values.
 */
export function scopeMismatchState(sealed: SealedLike, own: ScopeLabel, hints: readonly ScopeHint[], fix: { reseal: string; scope: string }): SyncedState | undefined {
  const grouped = (moved: boolean): string[] => {
    const byAbout = new Map<string, string[]>();
    for (const h of hints) if (h.moved === moved) byAbout.set(h.about, [...(byAbout.get(h.about) ?? []), h.name]);
    return [...byAbout].map(([about, names]) => `${names.sort().join(", ")} ${names.length > 1 ? "were" : "was"} ${about}`);
  };
  const moved = grouped(true);
  const scoped = grouped(false);
  const parts: string[] = [];
  if (moved.length > 0) parts.push(`sealed with this cluster's key for another name or namespace: ${moved.join("; ")}; ${movedFix(sealed, own, fix.reseal)}`);
  if (scoped.length > 0) {
    parts.push(`values do not open with this ${sealed.kind}'s scope ${own.scope} (label "${own.label}"), but do with another scope: ${scoped.join("; ")}; ${fix.scope}`);
  }
  return parts.length === 0 ? undefined : { status: "False", reason: "ScopeMismatch", message: parts.join(". Also: ") };
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

/** The fix for a value sealed for another name or namespace. */
export function movedFix(sealed: SealedLike, own: ScopeLabel, reseal: string): string {
  const ns = sealed.metadata.namespace ?? "";
  const name = sealed.metadata.name ?? "";
  return (
    `this ${sealed.kind} is ${ns}/${name} with scope ${own.scope} (label "${own.label}"). Renamed or moved after sealing ` +
    `(e.g. a kustomize namePrefix, nameSuffix or namespace)? ${reseal} for ${ns}/${name}, or seal namespace-wide or cluster-wide for objects that get renamed`
  );
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

function annotationFix(scope: SealingScope): string {
  const wanted = withScopeAnnotations({}, scope);
  const entries = Object.entries(wanted);
  if (entries.length === 0) return " (remove the cluster-wide and namespace-wide annotations)";
  return ` (annotation ${entries.map(([k, v]) => `${k}: "${v}"`).join(", ")} would open it)`;
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
// The desired Secret

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function ownerReference(sealed: SealedLike): OwnerReference {
  return { apiVersion: sealed.apiVersion, kind: sealed.kind, name: sealed.metadata.name ?? "", uid: sealed.metadata.uid ?? "", controller: true };
}

/** The Secret as Sealed Secrets' Unseal builds it, before it meets an existing Secret. */
function newSecret(sealed: SealedLike, data: Record<string, string>): KubeObject {
  const t = sealed.spec.template ?? {};
  const skipOwners = t.metadata?.annotations?.[SKIP_OWNER_REFERENCES_ANNOTATION] === "true";
  // The template's annotations as they are, skip-set-owner-references included: that annotation on
  // the Secret is how the next pass knows it (mayWrite), with nothing of ours added.
  const annotations: Record<string, string> = { ...t.metadata?.annotations };
  const secret: KubeObject = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: sealed.metadata.name ?? "",
      namespace: sealed.metadata.namespace ?? "",
      ...(t.metadata?.labels ? { labels: { ...t.metadata.labels } } : {}),
      annotations,
      ...(skipOwners ? {} : { ownerReferences: [ownerReference(sealed)] }),
    },
    type: t.type !== undefined && t.type !== "" ? t.type : "Opaque",
    data,
  };
  if (t.immutable !== undefined) secret["immutable"] = t.immutable;
  return secret;
}

/** Merges the new Secret into an existing one the way Sealed Secrets does (patch or overwrite). */
function mergeInto(existing: KubeObject, fresh: KubeObject): KubeObject {
  const out = structuredClone(existing);
  const meta = (out.metadata ??= {});
  const freshMeta = fresh.metadata ?? {};
  if (annotated(existing, PATCH_ANNOTATION)) {
    out["data"] = { ...(existing["data"] as Record<string, string> | undefined), ...(fresh["data"] as Record<string, string>) };
    meta.annotations = { ...meta.annotations, ...freshMeta.annotations };
    for (const a of LEGACY_ANNOTATIONS) delete meta.annotations[a];
    meta.labels = { ...meta.labels, ...freshMeta.labels };
    if (annotated(existing, MANAGED_ANNOTATION)) setOwners(meta, freshMeta.ownerReferences);
  } else {
    out["data"] = fresh["data"];
    meta.annotations = { ...freshMeta.annotations };
    if (freshMeta.labels) meta.labels = { ...freshMeta.labels };
    else delete meta.labels;
    setOwners(meta, freshMeta.ownerReferences);
  }
  // Sealed Secrets sets the type on an existing Secret but leaves its immutable field as it is
  // (immutable applies when the controller creates the Secret).
  out["type"] = fresh["type"];
  return out;
}

function setOwners(meta: NonNullable<KubeObject["metadata"]>, owners: OwnerReference[] | undefined): void {
  if (owners) meta.ownerReferences = owners;
  else delete meta.ownerReferences;
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
   * spec.template.data rendered off the event loop (src/controller/templates/), or why that stopped;
   * without it the templates render here.
   */
  rendered?: RenderedTemplates;
  /**
   * The name was held by a Secret this object may not own when it appeared, and that Secret has been
   * deleted since (released-names.ts): no Secret is created in its place.
   */
  nameReleased?: boolean;
}

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
  if (failed.length > 0) return finish(input, diagnose(sealed, failed, outcome.labels, keyring), [], undefined);

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

function withoutLegacy(secret: KubeObject): KubeObject {
  const copy = structuredClone(secret);
  const annotations = copy.metadata?.annotations;
  if (annotations) for (const a of LEGACY_ANNOTATIONS) delete annotations[a];
  return copy;
}

