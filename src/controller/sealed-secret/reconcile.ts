// The SealedSecret reconciler's I/O: read the SealedSecret and its Secret, decrypt only when the
// Secret does not already record this exact input, plan (pure), then write the Secret, the events and
// the status, each only when the plan says so.
import { ManifestError, parseSealedSecret, type SealedSecret } from "../../api/sealed-secret.ts";
import { resources } from "../../api/resources.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";
import type { Reconciler, ReconcileContext, SecondaryWatch } from "../controller.ts";
import { applyPlan, readSecret } from "../decrypted-secret/apply.ts";
import { ownersOf } from "../decrypted-secret/ownership.ts";
import type { Keyring } from "../keys/keyring.ts";
import { DecryptWorkerUnavailableError, type RsaPool } from "../keys/rsa-pool.ts";
import { formatKey, type ObjectKey } from "../object-key.ts";
import type { ProcessResult } from "../queue.ts";
import { currentKeys, failurePlan, keyringView, type UnsealOutcome } from "../decrypted-secret/plan.ts";
import { labelsToTry } from "../decrypted-secret/scope-labels.ts";
import { heldThenReleased, ReleasedNames } from "../decrypted-secret/released-names.ts";
import type { SealedSecretStats } from "../decrypted-secret/stats.ts";
import { planSealed } from "./plan.ts";
import type { TemplatePool } from "../templates/pool.ts";
import { renderTemplates } from "../decrypted-secret/render-templates.ts";

/** How soon, and how many times, to look again when the Secret the cache holds is already gone. */
const STALE_SECRET_RETRY_MS = 200;
const STALE_SECRET_LOOKS = 5;

export interface SealedSecretReconcilerOptions {
  kube: KubePort;
  keyring: () => Keyring;
  pool: RsaPool;
  stats: SealedSecretStats;
  /** Renders spec.template.data off the event loop; inline when omitted (tests). */
  templates?: TemplatePool;
  /** Only this namespace (tests); all namespaces when omitted. */
  namespace?: string;
  now?: () => Date;
}

export class SealedSecretReconciler implements Reconciler {
  readonly name = "sealedsecret";
  readonly resource = resources.sealedSecret;
  readonly selector;
  readonly secondary: readonly SecondaryWatch[];
  private readonly options: SealedSecretReconcilerOptions;
  private readonly now: () => Date;
  private readonly released = new ReleasedNames({ kind: "SealedSecret", group: "bitnami.com" });
  /** Keys waiting for the cache to see their Secret's deletion: how many looks so far. */
  private readonly staleLooks = new Map<string, number>();

  constructor(options: SealedSecretReconcilerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.selector = options.namespace ? { namespace: options.namespace } : {};
    this.secondary = [
      {
        resource: resources.secret,
        selector: this.selector,
        metadataOnly: true,
        keysFor: ownersOf("SealedSecret", "bitnami.com"),
        onDelete: (secret, final) => this.released.secretDeleted(secret, final),
      },
    ];
  }

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void> {
    const { kube, stats } = this.options;
    stats.reconciles++;
    const raw = ctx.cached(key) ?? (await kube.get(this.resource, key.namespace, key.name));
    if (!raw || raw.metadata?.deletionTimestamp) {
      // The Secret goes with it (owner reference garbage collection), as in Sealed Secrets.
      stats.current.delete(formatKey(key));
      this.staleLooks.delete(formatKey(key));
      return;
    }
    const keyring = this.options.keyring();
    const view = keyringView(keyring);
    const common = { kube, log: ctx.log, resource: this.resource, raw, keyring: view, stats, statsKey: formatKey(key), action: "Unseal" };
    let sealed: SealedSecret;
    try {
      sealed = parseSealedSecret(raw, `SealedSecret ${formatKey(key)}`);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      const stand = unparsed(raw);
      const now = this.now();
      await applyPlan({ ...common, sealed: stand, plan: failurePlan({ sealed: stand, keyring: view, now }, "InvalidManifest", err.message), now });
      return;
    }
    // The shared cache holds Secret metadata only: enough to tell whether the Secret is the one
    // status records. Its data is read only when the values had to be opened.
    const cachedSecret = ctx.cachedSecondary(resources.secret, key);
    const held = new Set(view.keys.map((k) => k.fingerprint));
    const known = currentKeys(sealed, cachedSecret, held);
    let outcome: UnsealOutcome;
    let secret = cachedSecret;
    const nameReleased = cachedSecret === undefined && heldThenReleased(sealed, this.released.deletedAt(key.namespace ?? "", key.name));
    if (nameReleased) {
      // Nothing will be written: no values to open.
      outcome = { kind: "current", keys: [] };
    } else if (known !== undefined) {
      stats.skippedDecrypt++;
      outcome = { kind: "current", keys: known };
    } else {
      const labels = labelsToTry(sealed);
      const values = Object.entries(sealed.spec.encryptedData);
      if (keyring.keys.length === 0) {
        outcome = { kind: "opened", labels, values: values.map(([name]) => ({ name, ok: false, reason: "NoPrivateKeys", message: "no key loaded" })) };
      } else {
        let result;
        try {
          result = await this.options.pool.open({
            values,
            labels: labels.map((l) => l.label),
            keys: keyring.keys.map((k) => k.fingerprint),
          });
        } catch (err) {
          // Retrying cannot help once the pool gave up: say so in the condition instead.
          if (!(err instanceof DecryptWorkerUnavailableError)) throw err;
          const now = this.now();
          await applyPlan({ ...common, sealed, plan: failurePlan({ sealed, keyring: view, now }, "DecryptWorkerUnavailable", err.message), now });
          return;
        }
        outcome = { kind: "opened", labels, values: result.values };
      }
      secret = cachedSecret ? await readSecret(kube, stats, key) : undefined;
      // Deleted since the cache saw it: decide once the cache has the deletion (whose Secret it was
      // decides whether one is created in its place), not from a half-updated view. A few looks at
      // most: a cache that stays behind longer must not hold the SealedSecret up.
      const keyText = formatKey(key);
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
    const rendered = outcome.kind === "opened" ? await renderTemplates(this.options.templates, sealed.spec.template, outcome.values, now) : undefined;
    await applyPlan({ ...common, sealed, plan: planSealed({ sealed, secret, outcome, keyring: view, now, nameReleased, ...(rendered ? { rendered } : {}) }), now });
  }


}

/** A stand-in for a SealedSecret that did not parse, enough to write its status. */
function unparsed(raw: KubeObject): SealedSecret {
  const status = raw["status"] as SealedSecret["status"] | undefined;
  return {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { ...(raw.metadata ?? {}) },
    spec: { encryptedData: {} },
    ...(status && typeof status === "object" ? { status } : {}),
  };
}
