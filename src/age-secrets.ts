// The age features assembled over a kube port: age sealing keys (the RSA keys' lifecycle, age
// format), the AgeSecret and SopsSecret controllers, and the /v1/age-recipients answer that the
// SealedSecret API server serves. main.ts and the tests start it from here. As in sealed-secrets.ts,
// every replica loads the keys (for /v1/age-recipients); only a leader mints and reconciles.
import type { ControllerConfig } from "./config.ts";
import { Controller } from "./controller/controller.ts";
import { AgeSecretReconciler } from "./controller/age-secret/reconcile.ts";
import { ageKeyFormat, DEFAULT_AGE_KEY_PREFIX, type AgeKeyring } from "./controller/keys/age-keyring.ts";
import { KeyManager } from "./controller/keys/manager.ts";
import { SealedSecretStats } from "./controller/decrypted-secret/stats.ts";
import { SopsSecretReconciler } from "./controller/sops-secret/reconcile.ts";
import type { AgeKeyKind } from "./crypto/age.ts";
import { Manager } from "./kube/manager.ts";
import type { KubePort } from "./kube/port.ts";
import type { Logger } from "./log.ts";
import { ageRecipientsAnswer } from "./controller/age-secret/recipients-api.ts";
import { ageRotateAnswer, ageVerifyAnswer } from "./controller/age-secret/rotate-api.ts";
import type { KindSource } from "./server/metrics.ts";
import type { ApiAnswer } from "./server/answer.ts";
import { TemplatePool } from "./controller/templates/pool.ts";

export type AgeSecretsConfig = Pick<ControllerConfig, "keyNamespace" | "workers" | "keyRenewPeriodMs"> & {
  ageSecrets: boolean;
  sopsSecrets: boolean;
  /** Kind of newly minted age keys (existing keys of either kind keep working). */
  ageKeyType?: AgeKeyKind;
  ageKeyPrefix?: string;
  watchNamespace?: string;
  /** The process's shared cache (a private one when omitted). */
  cache?: Manager;
  /** Load keys read-only and reconcile only once lead() is called. */
  awaitLeadership?: boolean;
  /**
   * The process's template thread (main.ts shares one across every feature; its owner closes it);
   * a private one, closed by stop(), when omitted (tests).
   */
  templates?: TemplatePool;
};

export interface AgeSecretsRuntime {
  keys: KeyManager<AgeKeyring>;
  stats: { age: SealedSecretStats; sops: SealedSecretStats };
  controllers: Controller[];
  ageRecipients(query: URLSearchParams): Promise<ApiAnswer>;
  /** POST /v1/age-verify and /v1/age-rotate (sealbridge reseal). */
  ageVerify(body: Uint8Array): Promise<ApiAnswer>;
  ageRotate(body: Uint8Array, query: URLSearchParams): Promise<ApiAnswer>;
  /** The kinds as the process metrics count them. */
  kinds: KindSource[];
  ready(): boolean;
  /** Mint keys (when due) and reconcile from now on. */
  lead(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgeSecrets(kube: KubePort, log: Logger, config: AgeSecretsConfig): Promise<AgeSecretsRuntime> {
  const cache = config.cache ?? new Manager(kube);
  const client = cache.client;
  const keys = new KeyManager<AgeKeyring>({
    kube: client,
    cache,
    log,
    namespace: config.keyNamespace,
    prefix: config.ageKeyPrefix ?? DEFAULT_AGE_KEY_PREFIX,
    renewPeriodMs: config.keyRenewPeriodMs,
    format: ageKeyFormat(config.ageKeyType ?? "x25519"),
    mayMint: !config.awaitLeadership,
  });
  const stats = { age: new SealedSecretStats(), sops: new SealedSecretStats() };
  // spec.template.data renders off the event loop, on the template thread (started on first use,
  // stopped when idle).
  const ownTemplates = config.templates === undefined;
  const templates = config.templates ?? new TemplatePool({ log });
  const ns = config.watchNamespace ? { namespace: config.watchNamespace } : {};
  const controllers: Controller[] = [];
  const kinds: KindSource[] = [];
  if (config.ageSecrets) {
    const reconciler = new AgeSecretReconciler({ kube: client, keyring: () => keys.keyring, stats: stats.age, templates, ...ns });
    const controller = new Controller({ cache, log, reconciler, workers: config.workers });
    controllers.push(controller);
    kinds.push({ kind: "AgeSecret", condition: "Synced", objects: () => controller.cachedObjects(), stats: stats.age, filtered: () => controller.filtered });
  }
  if (config.sopsSecrets) {
    const reconciler = new SopsSecretReconciler({ kube: client, keyring: () => keys.keyring, stats: stats.sops, ...ns });
    const controller = new Controller({ cache, log, reconciler, workers: config.workers });
    controllers.push(controller);
    kinds.push({ kind: "SopsSecret", condition: "Synced", objects: () => controller.cachedObjects(), stats: stats.sops, filtered: () => controller.filtered });
  }
  let started = false;
  let keysLoaded = false;
  let leading: Promise<void> | undefined;
  const lead = () => {
    leading ??= (async () => {
      await keys.allowMinting(true);
      for (const c of controllers) await c.start();
      started = true;
    })();
    return leading;
  };
  const stop = async () => {
    for (const c of controllers) await c.stop().catch(() => undefined);
    await keys.stop().catch(() => undefined);
    if (ownTemplates) await templates.close();
  };
  try {
    keys.onChange(() => {
      // A new, restored or compromised key changes what opens: look at everything again.
      if (started) for (const c of controllers) c.enqueueAll();
    });
    await keys.start();
    keysLoaded = true;
    if (!config.awaitLeadership) await lead();
    log.info({ keyNamespace: config.keyNamespace, controllers: controllers.length, ageKeys: keys.keyring.keys.length }, "age controllers ready");
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    keys,
    stats,
    controllers,
    kinds,
    ageRecipients: (query) => ageRecipientsAnswer(keys.keyring, query),
    ageVerify: (body) => ageVerifyAnswer(keys.keyring, body),
    ageRotate: (body, query) => ageRotateAnswer(keys.keyring, body, query),
    ready: () => keysLoaded && (leading === undefined || started),
    lead,
    stop,
  };
}
