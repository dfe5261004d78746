// The SealedSecret reconciler's I/O: read the SealedSecret and its Secret, decrypt only when the
// Secret does not already record this exact input, plan (pure), then write the Secret, the events and
// the status, each only when the plan says so.
import { ManifestError, parseSealedSecret, type SealedSecret } from "../../api/sealed-secret.ts";
import { resources } from "../../api/resources.ts";
import { KubeApiError, isConflict, type KubeObject, type KubePort } from "../../kube/port.ts";
import type { Reconciler, ReconcileContext, SecondaryWatch } from "../controller.ts";
import { recordEvent } from "../events.ts";
import type { Keyring } from "../keys/keyring.ts";
import type { RsaPool } from "../keys/rsa-pool.ts";
import { formatKey, type ObjectKey } from "../object-key.ts";
import {
  MANAGED_ANNOTATION,
  PATCH_ANNOTATION,
  SOURCE_HASH_ANNOTATION,
  currentKeys,
  failurePlan,
  keyringView,
  labelsToTry,
  plan,
  type Plan,
  type UnsealOutcome,
} from "./plan.ts";
import type { SealedSecretStats } from "./stats.ts";


export interface SealedSecretReconcilerOptions {
  kube: KubePort;
  keyring: () => Keyring;
  pool: RsaPool;
  stats: SealedSecretStats;
  /** Only this namespace (tests); all namespaces when omitted. */
  namespace?: string;
  now?: () => Date;
}

/** Which SealedSecret a Secret belongs to: its controller owner, or the same name if we wrote or may write it. */
function sealedSecretsFor(secret: KubeObject): string[] {
  const ns = secret.metadata?.namespace;
  if (!ns) return [];
  const owner = secret.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === "SealedSecret" && r.apiVersion.startsWith("bitnami.com/"));
  if (owner) return [`${ns}/${owner.name}`];
  const a = secret.metadata?.annotations ?? {};
  if (a[SOURCE_HASH_ANNOTATION] !== undefined || a[MANAGED_ANNOTATION] === "true" || a[PATCH_ANNOTATION] === "true") {
    const name = secret.metadata?.name;
    return name ? [`${ns}/${name}`] : [];
  }
  return [];
}

export class SealedSecretReconciler implements Reconciler {
  readonly name = "sealedsecret";
  readonly resource = resources.sealedSecret;
  readonly selector;
  readonly secondary: readonly SecondaryWatch[];
  private readonly options: SealedSecretReconcilerOptions;
  private readonly now: () => Date;

  constructor(options: SealedSecretReconcilerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.selector = options.namespace ? { namespace: options.namespace } : {};
    this.secondary = [{ resource: resources.secret, selector: this.selector, keysFor: sealedSecretsFor }];
  }

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<void> {
    const { kube, stats } = this.options;
    stats.reconciles++;
    const raw = ctx.cached(key) ?? (await kube.get(this.resource, key.namespace, key.name));
    if (!raw || raw.metadata?.deletionTimestamp) {
      // The Secret goes with it (owner reference garbage collection), as in Sealed Secrets.
      stats.current.delete(formatKey(key));
      return;
    }
    const keyring = this.options.keyring();
    const view = keyringView(keyring);
    let sealed: SealedSecret;
    try {
      sealed = parseSealedSecret(raw, `SealedSecret ${formatKey(key)}`);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      const p = failurePlan({ sealed: unparsed(raw), keyring: view, now: this.now() }, "InvalidManifest", err.message);
      await this.finishPlan(key, raw, p, ctx);
      return;
    }
    const secret = await kube.get(resources.secret, key.namespace, key.name);
    const held = new Set(view.keys.map((k) => k.fingerprint));
    const known = currentKeys(sealed, secret, held);
    let outcome: UnsealOutcome;
    if (known !== undefined) {
      stats.skippedDecrypt++;
      outcome = { kind: "current", keys: known };
    } else {
      const labels = labelsToTry(sealed);
      const values = Object.entries(sealed.spec.encryptedData);
      if (keyring.keys.length === 0) {
        outcome = { kind: "opened", labels, values: values.map(([name]) => ({ name, ok: false, reason: "NoPrivateKeys", message: "no key loaded" })) };
      } else {
        const result = await this.options.pool.open({
          values,
          labels: labels.map((l) => l.label),
          keys: keyring.keys.map((k) => k.fingerprint),
        });
        outcome = { kind: "opened", labels, values: result.values };
      }
    }
    let p = plan({ sealed, secret, outcome, keyring: view, now: this.now() });
    if (p.write) {
      try {
        if (p.write.kind === "create") await kube.create(resources.secret, p.write.secret);
        else await kube.replace(resources.secret, p.write.secret);
        stats.writes.secret++;
        stats.unsealed++;
      } catch (err) {
        if (isConflict(err) || !(err instanceof KubeApiError) || err.retryable) throw err;
        stats.countError("ApplyFailed");
        p = failurePlan({ sealed, keyring: view, now: this.now() }, "ApplyFailed", `cannot write Secret: ${err.reason}: ${err.message}`);
      }
    }
    await this.finishPlan(key, raw, p, ctx);
  }

  private async finishPlan(key: ObjectKey, raw: KubeObject, p: Plan, ctx: ReconcileContext): Promise<void> {
    const { kube, stats } = this.options;
    if (p.state.status === "False" && p.state.reason !== "ApplyFailed") stats.countError(p.state.reason);
    stats.current.set(formatKey(key), { keys: p.keys, reason: p.state.reason });
    for (const event of p.events) {
      if (await recordEvent({ kube, log: ctx.log, regarding: raw, event, action: "Unseal", now: this.now() })) stats.writes.event++;
    }
    if (p.status) {
      await kube.replaceStatus(this.resource, { ...raw, status: p.status });
      stats.writes.status++;
    }
    if (p.write || p.status) ctx.log.info({ reason: p.state.reason, wrote: p.write?.kind ?? "none" }, "reconciled");
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
