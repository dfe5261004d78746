// The SopsSecret's decrypt step for the decrypted-secret reconciler: gather identities (the
// controller's age keys, derived for the object's scope, and the referenced identity Secrets),
// decrypt the document, plan (pure, plan.ts). The identity Secrets' versions are inputs of the Secret
// (a changed one means decrypting again) and their changes re-queue the SopsSecrets that read them.
import { identityToRecipient } from "age-encryption";
import { resources } from "../../api/resources.ts";
import { SOPS_SECRET_API_VERSION, SOPS_SECRET_KIND, parseSopsSecret, secretDataFromSops, type SopsSecret } from "../../api/sops-secret.ts";
import { ageRecipientFingerprint, parseAgeIdentityFile } from "../../crypto/age.ts";
import { deriveScopeIdentityForLabel } from "../../crypto/age-scope.ts";
import { isCryptoError } from "../../crypto/errors.ts";
import { scopeFromAnnotations } from "../../crypto/scope.ts";
import { decryptSops, decryptSopsObject, parseSopsDocument, parseSopsObject, type DecryptedSops } from "../../crypto/sops.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";
import { heldScopeRecipients } from "../age-secret/open.ts";
import type { ReconcileContext } from "../controller.ts";
import type { SealedLike, SyncedReason } from "../decrypted-secret/conditions.ts";
import type { AppliedKeys, Decrypted, DecryptStep, StepPlanInput } from "../decrypted-secret/decrypt-step.ts";
import { sourceHash } from "../decrypted-secret/hashes.ts";
import type { KeyringView, Plan } from "../decrypted-secret/plan.ts";
import { DecryptedSecretReconciler, type DecryptedSecretReconcilerOptions } from "../decrypted-secret/reconciler.ts";
import { labelsToTry, type ScopeLabel } from "../decrypted-secret/scope-labels.ts";
import type { SealedSecretStats } from "../decrypted-secret/stats.ts";
import type { AgeKeyring } from "../keys/age-keyring.ts";
import { formatKey, type ObjectKey } from "../object-key.ts";
import { planSops, sopsView, type SopsResult } from "./plan.ts";

export interface SopsSecretReconcilerOptions extends Omit<DecryptedSecretReconcilerOptions, "templates"> {
  /** The controller's age keys (their identities for the object's scope are tried first). */
  keyring: () => AgeKeyring;
}

const SOPS_REASONS = new Set<SyncedReason>([
  "SopsMacMismatch",
  "SopsNoMatchingIdentity",
  "SopsMetadataMissing",
  "SopsNoAgeRecipients",
  "SopsMalformedDocument",
  "SopsMalformedValue",
  "SopsUnsupported",
  "DocumentTooLarge",
  "TooDeep",
  "TooManyAliases",
  "TooManyNodes",
]);

interface Identity {
  identity: string;
  /** Where it comes from, for the keyring view: "age key <name>" or "Secret <name> <entry>". */
  source: string;
  compromised: boolean;
}

interface SopsKeys extends AppliedKeys {
  extra: { identitySecrets: string[][] };
  /** The controller's age keys, and their identities derived for the object's own scope. */
  ageKeys: AgeKeyring["keys"];
  controller: Identity[];
  controllerKeys: KeyringView["keys"];
  labels: ScopeLabel[];
}

interface SopsOpened {
  result: Exclude<SopsResult, { kind: "current" }>;
  /** Identity entries that hold no usable identity, missing identity Secrets (never their content). */
  problems: string[];
}

export class SopsSecretDecrypt implements DecryptStep<SopsSecret, SopsKeys, SopsOpened> {
  readonly kind = SOPS_SECRET_KIND;
  readonly group = "sealbridge.dev";
  readonly resource = resources.sopsSecret;
  readonly name = "sopssecret";
  readonly action = "Decrypt";
  readonly tracksReleasedNames = false;
  readonly awaitsSecretDeletion = false;
  private readonly options: { kube: KubePort; stats: SealedSecretStats; keyring: () => AgeKeyring };
  /** identity Secret (ns/name) → SopsSecrets (ns/name) that reference it, learnt while reconciling. */
  private readonly referrers = new Map<string, Set<string>>();
  private readonly recipients = new Map<string, string>();

  constructor(options: { kube: KubePort; stats: SealedSecretStats; keyring: () => AgeKeyring }) {
    this.options = options;
  }

  parse(raw: KubeObject, where: string): SopsSecret {
    return parseSopsSecret(raw, where);
  }

  unparsed(raw: KubeObject): SealedLike {
    return sopsView({ apiVersion: SOPS_SECRET_API_VERSION, kind: SOPS_SECRET_KIND, metadata: { ...(raw.metadata ?? {}) }, spec: { identitySecretRefs: [], document: "" } });
  }

  /** What the plan sees before decrypting: the document as committed. */
  view(sops: SopsSecret): SealedLike {
    return sopsView(sops);
  }

  /** After decrypting: with the Secret type the document gave. */
  viewOpened(sops: SopsSecret, opened: SopsOpened): SealedLike {
    return sopsView(sops, opened.result.ok ? opened.result.type : undefined);
  }

  dependentsOf(secret: KubeObject): readonly string[] {
    const key = `${secret.metadata?.namespace ?? ""}/${secret.metadata?.name ?? ""}`;
    return [...(this.referrers.get(key) ?? [])];
  }

  forget(key: string): void {
    for (const set of this.referrers.values()) set.delete(key);
  }

  private async fingerprint(identity: string): Promise<string> {
    let recipient = this.recipients.get(identity);
    if (recipient === undefined) {
      recipient = await identityToRecipient(identity);
      this.recipients.set(identity, recipient);
    }
    return ageRecipientFingerprint(recipient);
  }

  /** Remembers which identity Secrets this SopsSecret reads, so their changes re-queue it. */
  private register(sops: SopsSecret, key: ObjectKey): void {
    const self = formatKey(key);
    for (const set of this.referrers.values()) set.delete(self);
    for (const ref of sops.spec.identitySecretRefs) {
      const refKey = `${key.namespace}/${ref.name}`;
      let set = this.referrers.get(refKey);
      if (!set) this.referrers.set(refKey, (set = new Set()));
      set.add(self);
    }
  }

  /** The referenced identity Secrets' `age.key` / `*.agekey` entries; every unusable one is a problem. */
  private async userIdentities(sops: SopsSecret, key: ObjectKey): Promise<{ identities: Identity[]; problems: string[] }> {
    const identities: Identity[] = [];
    const problems: string[] = [];
    for (const ref of sops.spec.identitySecretRefs) {
      this.options.stats.secretReads++;
      const secret = await this.options.kube.get(resources.secret, key.namespace, ref.name);
      if (!secret) {
        problems.push(`Secret ${ref.name} not found`);
        continue;
      }
      const data = (secret["data"] ?? {}) as Record<string, unknown>;
      const entries = Object.keys(data).filter((k) => k === "age.key" || k.endsWith(".agekey")).sort();
      if (entries.length === 0) problems.push(`Secret ${ref.name} has no age.key or *.agekey entry`);
      for (const entry of entries) {
        const raw = data[entry];
        const parsed = parseAgeIdentityFile(typeof raw === "string" ? Buffer.from(raw, "base64").toString("utf8") : "");
        for (const p of parsed.problems) problems.push(`Secret ${ref.name} entry ${entry}: ${p}`);
        for (const identity of parsed.identities) identities.push({ identity, source: `Secret ${ref.name} ${entry}`, compromised: false });
      }
    }
    return { identities, problems };
  }

  /**
   * The controller's keys, derived for this object's own scope; on the fast path also the recorded
   * keys that came from identity Secrets (whose versions the source hash covers).
   */
  async keys(sops: SopsSecret, key: ObjectKey, ctx: ReconcileContext): Promise<SopsKeys> {
    const ageKeys = this.options.keyring().keys;
    const labels = labelsToTry(sopsView(sops));
    const ownLabel = labels[0]?.label ?? "";
    const controller: Identity[] = ageKeys.map((k) => ({ identity: deriveScopeIdentityForLabel(k.identity, ownLabel), source: `age key ${k.name}`, compromised: k.compromised }));
    const controllerKeys = await Promise.all(controller.map(async (i) => ({ fingerprint: await this.fingerprint(i.identity), name: i.source, compromised: i.compromised })));
    this.register(sops, key);
    // The identity Secrets' versions (from the metadata cache) are inputs of the Secret: a changed
    // identity Secret means decrypting again.
    const extra = { identitySecrets: sops.spec.identitySecretRefs.map((ref) => [ref.name, ctx.cachedSecondary(resources.secret, { ...key, name: ref.name })?.metadata?.resourceVersion ?? ""]) };
    const recorded = sops.status?.secret?.keys ?? [];
    const controllerFps = new Set(controllerKeys.map((k) => k.fingerprint));
    // A recorded key that is not one of the controller's came from an identity Secret whose version
    // the source hash covers.
    const userRecorded = recorded.filter((k) => !controllerFps.has(k));
    const keyring: KeyringView = { keys: [...controllerKeys, ...userRecorded.map((fingerprint) => ({ fingerprint, name: "identity Secret", compromised: false }))], problems: [] };
    return { keyring, held: new Set([...controllerFps, ...userRecorded]), extra, ageKeys, controller, controllerKeys, labels };
  }

  async open(sops: SopsSecret, keys: SopsKeys, key: ObjectKey): Promise<Decrypted<SopsOpened>> {
    const { ageKeys, controller, controllerKeys, labels } = keys;
    const user = await this.userIdentities(sops, key);
    const all = [...controller, ...user.identities];
    const keyring: KeyringView = {
      keys: [...controllerKeys, ...(await Promise.all(user.identities.map(async (i) => ({ fingerprint: await this.fingerprint(i.identity), name: i.source, compromised: i.compromised }))))],
      problems: [],
    };
    let result: SopsOpened["result"];
    try {
      const decrypted: DecryptedSops =
        sops.spec.document !== undefined
          ? await decryptSops({ document: sops.spec.document, ...(sops.spec.format ? { format: sops.spec.format } : {}), identities: all.map((i) => i.identity) })
          : await decryptSopsObject(sops.encryptedObject ?? {}, all.map((i) => i.identity));
      const { data, type } = secretDataFromSops(decrypted.branches, sops.spec.document === undefined);
      result = {
        ok: true,
        data,
        ...(type !== undefined ? { type } : {}),
        mac: decrypted.mac,
        identityFingerprint: keyring.keys[decrypted.identityIndex]?.fingerprint ?? "",
      };
    } catch (err) {
      if (!isCryptoError(err)) throw err;
      const reason: SyncedReason = SOPS_REASONS.has(err.reason as SyncedReason) ? (err.reason as SyncedReason) : "SopsMalformedDocument";
      result = { ok: false, reason, message: err.message };
      if (err.reason === "SopsNoMatchingIdentity" && ageKeys.length > 0) {
        const scope = await this.scopeHint(sops, labels, ageKeys);
        if (scope !== undefined) result = { ok: false, reason: "ScopeMismatch", message: `${scope}; ${err.message}` };
      }
    }
    return { opened: { result, problems: user.problems }, keyring };
  }

  plan(input: StepPlanInput<SopsSecret, SopsKeys, SopsOpened>): Plan {
    const { obj: sops, secret, outcome, now } = input;
    if (outcome.kind === "current") return planSops({ sops, secret, result: outcome, identityProblems: [], keyring: input.keys.keyring, now });
    const p = planSops({ sops, secret, result: outcome.opened.result, identityProblems: outcome.opened.problems, keyring: outcome.keyring, now });
    // Recorded against the document as committed (the decrypted type is not known on the fast path).
    if (p.record) p.record = { ...p.record, sourceHash: sourceHash(sopsView(sops), p.record.keys, input.keys.extra) };
    return p;
  }

  /** When the file is encrypted to this controller's recipient for another scope, say which. */
  private async scopeHint(sops: SopsSecret, labels: readonly ScopeLabel[], keys: AgeKeyring["keys"]): Promise<string | undefined> {
    let fileRecipients: string[];
    try {
      const parsed = sops.spec.document !== undefined ? parseSopsDocument(sops.spec.document, sops.spec.format) : parseSopsObject(sops.encryptedObject ?? {});
      fileRecipients = parsed.metadata.age.map((a) => ageRecipientFingerprint(a.recipient));
    } catch {
      return undefined;
    }
    const held = await heldScopeRecipients(keys, labels);
    const own = scopeFromAnnotations(sops.metadata.annotations);
    const match = held.find((h) => h.scope !== own && fileRecipients.includes(h.fingerprint));
    if (match === undefined) return undefined;
    return `the file is encrypted to this controller's ${match.scope} recipient (age key ${match.keyName}), but the SopsSecret's scope is ${own}: set the scope annotation or re-encrypt to the ${own} recipient`;
  }
}

/** SopsSecrets have no template pool: spec.template.data renders in the plan. */
export class SopsSecretReconciler extends DecryptedSecretReconciler<SopsSecret, SopsKeys, SopsOpened> {
  constructor(options: SopsSecretReconcilerOptions) {
    super(options, new SopsSecretDecrypt(options));
  }
}
