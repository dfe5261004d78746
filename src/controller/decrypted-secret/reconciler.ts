// One reconciler for the kinds whose Secret is decrypted from what the object carries (SealedSecret,
// AgeSecret, SopsSecret): read the object and its Secret, skip decrypting when status records that
// the Secret was made from exactly this input with keys still held, otherwise let the kind's decrypt
// step (decrypt-step.ts) open the values; render spec.template.data off the event loop, plan (pure),
// then write the Secret, the events and the status, each only when the plan says so.
import { ManifestError } from "../../api/sealed-secret.ts";
import { resources } from "../../api/resources.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";
import type { Reconciler, ReconcileContext, SecondaryWatch } from "../controller.ts";
import { formatKey, type ObjectKey } from "../object-key.ts";
import type { ProcessResult } from "../queue.ts";
import type { TemplatePool } from "../templates/pool.ts";
import { applyPlan, readSecret } from "./apply.ts";
import type { AppliedKeys, DecryptStep } from "./decrypt-step.ts";
import { CiphertextCache, ciphertextsElided, sourceVerified } from "./elided-ciphertexts.ts";
import { ownersOf } from "./ownership.ts";
import { currentKeys, failurePlan, type KeyringView } from "./plan.ts";
import { heldThenReleased, ReleasedNames } from "./released-names.ts";
import { renderTemplates } from "./render-templates.ts";
import type { SealedSecretStats } from "./stats.ts";

/** How soon, and how many times, to look again when the Secret the cache holds is already gone. */
const STALE_SECRET_RETRY_MS = 200;
const STALE_SECRET_LOOKS = 5;

/** What a stand-in for an unparsed object is planned with: its failure plan writes no Secret. */
const NO_KEYS: KeyringView = { keys: [], problems: [] };

export interface DecryptedSecretReconcilerOptions {
  kube: KubePort;
  stats: SealedSecretStats;
  /** Renders spec.template.data off the event loop; inline when omitted (tests, or kinds without). */
  templates?: TemplatePool;
  /** Ciphertext bytes the cache may hold for objects still to be opened (DEFAULT_CIPHERTEXT_CACHE_BYTES). */
  ciphertextCacheBytes?: number;
  /** Only this namespace (tests); all namespaces when omitted. */
  namespace?: string;
  now?: () => Date;
}

export class DecryptedSecretReconciler<T, K extends AppliedKeys, O> implements Reconciler {
  readonly name: string;
  readonly resource;
  readonly selector;
  readonly secondary: readonly SecondaryWatch[];
  private readonly options: DecryptedSecretReconcilerOptions;
  private readonly step: DecryptStep<T, K, O>;
  private readonly now: () => Date;
  private readonly released: ReleasedNames | undefined;
  /** Keys waiting for the cache to see their Secret's deletion: how many looks so far. */
  private readonly staleLooks = new Map<string, number>();

  constructor(options: DecryptedSecretReconcilerOptions, step: DecryptStep<T, K, O>) {
    this.options = options;
    this.step = step;
    this.name = step.name;
    this.resource = step.resource;
    this.now = options.now ?? (() => new Date());
    this.selector = options.namespace ? { namespace: options.namespace } : {};
    const released = step.tracksReleasedNames ? new ReleasedNames({ kind: step.kind, group: step.group }) : undefined;
    this.released = released;
    const owners = ownersOf(step.kind, step.group);
    const dependents = step.dependentsOf?.bind(step);
    const ciphertexts = step.cachesWithoutCiphertexts === true ? new CiphertextCache(step, options.ciphertextCacheBytes) : undefined;
    this.ciphertexts = ciphertexts;
    this.cacheTransform = ciphertexts ? (obj) => ciphertexts.keep(obj) : undefined;
    this.secondary = [
      {
        resource: resources.secret,
        selector: this.selector,
        metadataOnly: true,
        keysFor: dependents ? (secret: KubeObject) => [...owners(secret), ...dependents(secret)] : owners,
        ...(released ? { onDelete: (secret: KubeObject, final: KubeObject | undefined) => released.secretDeleted(secret, final) } : {}),
      },
    ];
  }

  /** What the cache keeps of each object (kinds that allow it: see elided-ciphertexts.ts). */
  readonly cacheTransform: ((obj: KubeObject) => KubeObject) | undefined;
  private readonly ciphertexts: CiphertextCache | undefined;

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void> {
    this.options.stats.reconciles++;
    return this.reconcileObject(key, ctx, ctx.cached(key) ?? (await this.options.kube.get(this.resource, key.namespace, key.name)));
  }

  private async reconcileObject(key: ObjectKey, ctx: ReconcileContext, raw: KubeObject | undefined): Promise<ProcessResult | void> {
    const { kube, stats } = this.options;
    const step = this.step;
    const keyText = formatKey(key);
    if (!raw || raw.metadata?.deletionTimestamp) {
      // The Secret goes with it (owner reference garbage collection), as in Sealed Secrets.
      stats.current.delete(keyText);
      this.ciphertexts?.release(keyText);
      this.staleLooks.delete(keyText);
      step.forget?.(keyText);
      return;
    }
    const common = { kube, log: ctx.log, resource: this.resource, raw, stats, statsKey: keyText, action: step.action };
    let obj: T;
    try {
      obj = step.parse(raw, `${step.kind} ${keyText}`);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      const stand = step.unparsed(raw);
      const now = this.now();
      await applyPlan({ ...common, sealed: stand, keyring: NO_KEYS, plan: failurePlan({ sealed: stand, keyring: NO_KEYS, now }, "InvalidManifest", err.message), now });
      return;
    }
    const view = step.view(obj);
    const keys = await step.keys(obj, key, ctx);
    // The shared cache holds Secret metadata only: enough to tell whether the Secret is the one
    // status records. Its data is read only when the values had to be opened.
    const cachedSecret = ctx.cachedSecondary(resources.secret, key);
    const nameReleased = this.released !== undefined && cachedSecret === undefined && heldThenReleased(view, this.released.deletedAt(key.namespace ?? "", key.name));
    // A cached copy without ciphertexts is current only if its source hash matched as it arrived.
    const elided = ciphertextsElided(raw);
    const known = elided && !sourceVerified(raw) ? undefined : currentKeys(view, cachedSecret, keys.held, keys.extra ?? null, elided);
    if (nameReleased || known !== undefined) {
      // Nothing to open: the Secret is current, or (a released name) nothing will be written.
      if (!nameReleased) stats.skippedDecrypt++;
      const now = this.now();
      const plan = step.plan({ obj, secret: cachedSecret, keys, outcome: { kind: "current", keys: nameReleased ? [] : (known ?? []) }, now, nameReleased });
      await applyPlan({ ...common, sealed: view, keyring: keys.keyring, plan, now });
      return;
    }
    if (elided) {
      // The values must be opened again: read the object whole (the cache keeps no ciphertexts).
      stats.sourceReads++;
      return this.reconcileObject(key, ctx, await kube.get(this.resource, key.namespace, key.name));
    }
    const decrypted = await step.open(obj, keys, key);
    if ("stopped" in decrypted) {
      // Retrying cannot help (e.g. the decrypt workers are gone): say so in the condition instead.
      const now = this.now();
      const { reason, message } = decrypted.stopped;
      await applyPlan({ ...common, sealed: view, keyring: keys.keyring, plan: failurePlan({ sealed: view, keyring: keys.keyring, now }, reason, message), now });
      return;
    }
    const secret = cachedSecret ? await readSecret(kube, stats, key) : undefined;
    if (step.awaitsSecretDeletion) {
      // Deleted since the cache saw it: decide once the cache has the deletion, not from a
      // half-updated view. A few looks at most: a cache that stays behind longer must not hold the
      // object up.
      if (cachedSecret && !secret) {
        const looks = (this.staleLooks.get(keyText) ?? 0) + 1;
        if (looks <= STALE_SECRET_LOOKS) {
          this.staleLooks.set(keyText, looks);
          return { requeueAfterMs: STALE_SECRET_RETRY_MS };
        }
      }
      this.staleLooks.delete(keyText);
    }
    const now = this.now();
    const values = step.templateValues?.(decrypted.opened);
    const rendered = values ? await renderTemplates(this.options.templates, view.spec.template, values, now) : undefined;
    const keyring = decrypted.keyring ?? keys.keyring;
    const plan = step.plan({ obj, secret, keys, outcome: { kind: "opened", opened: decrypted.opened, keyring }, now, nameReleased, ...(rendered ? { rendered } : {}) });
    await applyPlan({ ...common, sealed: step.viewOpened?.(obj, decrypted.opened) ?? view, keyring, plan, now });
  }
}
