// The AgeSecret reconciler's I/O: read the AgeSecret and its Secret, open the values with the age
// keys only when the Secret does not already record this exact input, plan (pure), then apply.
import { AGE_SECRET_API_VERSION, AGE_SECRET_KIND, parseAgeSecret, type AgeSecret } from "../../api/age-secret.ts";
import { resources } from "../../api/resources.ts";
import { ManifestError } from "../../api/sealed-secret.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";
import { applyPlan, readSecret } from "../decrypted-secret/apply.ts";
import type { Reconciler, ReconcileContext, SecondaryWatch } from "../controller.ts";
import type { AgeKeyring } from "../keys/age-keyring.ts";
import { formatKey, type ObjectKey } from "../object-key.ts";
import { currentKeys, failurePlan, keyringView, type UnsealOutcome } from "../decrypted-secret/plan.ts";
import { ownersOf } from "../decrypted-secret/ownership.ts";
import type { SealedSecretStats } from "../decrypted-secret/stats.ts";
import { heldScopeRecipients, openAgeValues, type HeldRecipient } from "./open.ts";
import { ageLabelsToTry, planAge } from "./plan.ts";
import type { TemplatePool } from "../templates/pool.ts";
import { renderTemplates } from "../decrypted-secret/render-templates.ts";

export interface AgeSecretReconcilerOptions {
  kube: KubePort;
  keyring: () => AgeKeyring;
  stats: SealedSecretStats;
  /** Renders spec.template.data off the event loop; inline when omitted (tests). */
  templates?: TemplatePool;
  /** Only this namespace (tests); all namespaces when omitted. */
  namespace?: string;
  now?: () => Date;
}

export class AgeSecretReconciler implements Reconciler {
  readonly name = "agesecret";
  readonly resource = resources.ageSecret;
  readonly selector;
  readonly secondary: readonly SecondaryWatch[];
  private readonly options: AgeSecretReconcilerOptions;
  private readonly now: () => Date;

  constructor(options: AgeSecretReconcilerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.selector = options.namespace ? { namespace: options.namespace } : {};
    this.secondary = [{ resource: resources.secret, selector: this.selector, metadataOnly: true, keysFor: ownersOf(AGE_SECRET_KIND, "sealbridge.dev") }];
  }

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<void> {
    const { kube, stats } = this.options;
    stats.reconciles++;
    const raw = ctx.cached(key) ?? (await kube.get(this.resource, key.namespace, key.name));
    if (!raw || raw.metadata?.deletionTimestamp) {
      stats.current.delete(formatKey(key));
      return;
    }
    const keyring = this.options.keyring();
    const view = keyringView(keyring);
    const common = { kube, log: ctx.log, resource: this.resource, raw, keyring: view, stats, statsKey: formatKey(key), action: "Unseal" };
    let age: AgeSecret;
    try {
      age = parseAgeSecret(raw, `AgeSecret ${formatKey(key)}`);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      const sealed = unparsed(raw);
      const now = this.now();
      await applyPlan({ ...common, sealed, plan: failurePlan({ sealed, keyring: view, now }, "InvalidManifest", err.message), now });
      return;
    }
    const cachedSecret = ctx.cachedSecondary(resources.secret, key);
    const known = currentKeys(age, cachedSecret, new Set(view.keys.map((k) => k.fingerprint)));
    let outcome: UnsealOutcome;
    let secret = cachedSecret;
    let held: HeldRecipient[] = [];
    if (known !== undefined) {
      stats.skippedDecrypt++;
      outcome = { kind: "current", keys: known };
    } else {
      const labels = ageLabelsToTry(age);
      const values = Object.entries(age.spec.encryptedData);
      const opened =
        keyring.keys.length === 0
          ? values.map(([name]) => ({ name, ok: false as const, reason: "NoPrivateKeys", message: "no age key loaded" }))
          : await openAgeValues({ values, keys: keyring.keys, labels });
      outcome = { kind: "opened", labels, values: opened };
      if (opened.some((v) => !v.ok) && keyring.keys.length > 0) held = await heldScopeRecipients(keyring.keys, labels);
      secret = cachedSecret ? await readSecret(kube, stats, key) : undefined;
    }
    const now = this.now();
    const rendered = outcome.kind === "opened" ? await renderTemplates(this.options.templates, age.spec.template, outcome.values, now) : undefined;
    await applyPlan({ ...common, sealed: age, plan: planAge({ age, secret, outcome, keyring: view, held, now, ...(rendered ? { rendered } : {}) }), now });
  }
}

/** A stand-in for an AgeSecret that did not parse, enough to write its status. */
function unparsed(raw: KubeObject): AgeSecret {
  const status = raw["status"] as AgeSecret["status"] | undefined;
  return {
    apiVersion: AGE_SECRET_API_VERSION,
    kind: AGE_SECRET_KIND,
    metadata: { ...(raw.metadata ?? {}) },
    spec: { encryptedData: {} },
    ...(status && typeof status === "object" ? { status } : {}),
  };
}
