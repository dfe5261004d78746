// The SealedSecret feature assembled over the shared cache: sealing keys, the RSA worker pool, the
// reconciler and its controller, and the handlers the process-level HTTP server serves for it.
// main.ts and the tests start it from here. Every replica loads the keys and answers the API; only
// a leader (lead()) mints keys and reconciles. Without leader election the caller leads at once.
import type { ControllerConfig } from "./config.ts";
import { Controller } from "./controller/controller.ts";
import { KeyManager } from "./controller/keys/manager.ts";
import { RsaPool } from "./controller/keys/rsa-pool.ts";
import { SealedSecretReconciler } from "./controller/sealed-secret/reconcile.ts";
import { SealedSecretStats } from "./controller/decrypted-secret/stats.ts";
import { Manager } from "./kube/manager.ts";
import type { KubePort } from "./kube/port.ts";
import type { Logger } from "./log.ts";
import type { ApiHandlers } from "./server/http.ts";
import { sealedSecretMetrics, type KindSource } from "./server/metrics.ts";
import { SealingApi } from "./controller/sealed-secret/sealing-api.ts";
import type { Registry } from "prom-client";
import { TemplatePool } from "./controller/templates/pool.ts";

export type SealedSecretsConfig = Pick<ControllerConfig, "keyNamespace" | "workers" | "rsaWorkers" | "keyPrefix" | "keyBits" | "keyRenewPeriodMs"> & {
  /** Ciphertext bytes cached for SealedSecrets still to be opened (DEFAULT_CIPHERTEXT_CACHE_BYTES). */
  ciphertextCacheBytes?: number;
  /** Reconcile SealedSecrets in this namespace only (all when omitted). */
  watchNamespace?: string;
  /** The process's shared cache (a private one when omitted). */
  cache?: Manager;
  /** Start read-only (keys, API) and reconcile only once lead() is called. */
  awaitLeadership?: boolean;
  /**
   * The process's template thread (main.ts shares one across every feature; its owner closes it);
   * a private one, closed by stop(), when omitted (tests).
   */
  templates?: TemplatePool;
};

export interface SealedSecretsRuntime {
  keys: KeyManager;
  pool: RsaPool;
  stats: SealedSecretStats;
  controller: Controller;
  /** /v1/cert.pem, /v1/verify, /v1/rotate for the process server. */
  handlers: Required<Pick<ApiHandlers, "certificate" | "verify" | "rotate">>;
  /** The kind as the process metrics count it. */
  kind: KindSource;
  /** Adds the SealedSecret metrics to a registry. */
  registerMetrics(registry: Registry): void;
  /** Keys loaded and, once leading, the controller synced. */
  ready(): boolean;
  /** Mint keys (when due) and reconcile from now on; resolves once the controller has synced. */
  lead(): Promise<void>;
  stop: () => Promise<void>;
}

export async function startSealedSecrets(kube: KubePort, log: Logger, config: SealedSecretsConfig): Promise<SealedSecretsRuntime> {
  const cache = config.cache ?? new Manager(kube);
  const client = cache.client;
  const pool = new RsaPool({ ...(config.rsaWorkers !== undefined ? { size: config.rsaWorkers } : {}), log });
  const keys = new KeyManager({
    kube: client,
    cache,
    log,
    namespace: config.keyNamespace,
    prefix: config.keyPrefix,
    bits: config.keyBits,
    renewPeriodMs: config.keyRenewPeriodMs,
    mayMint: !config.awaitLeadership,
  });
  const stats = new SealedSecretStats();
  // spec.template.data renders off the event loop, on the template thread (started on first use,
  // stopped when idle).
  const ownTemplates = config.templates === undefined;
  const templates = config.templates ?? new TemplatePool({ log });
  const reconciler = new SealedSecretReconciler({
    kube: client,
    keyring: () => keys.keyring,
    pool,
    templates,
    stats,
    ...(config.watchNamespace ? { namespace: config.watchNamespace } : {}),
    ...(config.ciphertextCacheBytes !== undefined ? { ciphertextCacheBytes: config.ciphertextCacheBytes } : {}),
  });
  const controller = new Controller({ cache, log, reconciler, workers: config.workers });
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };
  let keysLoaded = false;
  let leading: Promise<void> | undefined;
  let synced = false;
  const lead = () => {
    leading ??= (async () => {
      await keys.allowMinting(true);
      await controller.start();
      cleanups.push(() => controller.stop());
      synced = true;
      log.info({ keyNamespace: config.keyNamespace }, "SealedSecret controller reconciling");
    })();
    return leading;
  };
  // The HTTP API's own RSA thread (lazy, stops when idle): /v1/verify and /v1/rotate never queue
  // behind reconciling, and reconciling never waits behind them.
  const apiPool = new RsaPool({ size: 1, log });
  const api = new SealingApi({ keyring: () => keys.keyring, pool: apiPool });
  try {
    keys.onChange((keyring) => {
      pool.setKeys(keyring);
      apiPool.setKeys(keyring);
      if (synced) controller.enqueueAll();
    });
    cleanups.push(() => pool.close(), () => apiPool.close());
    if (ownTemplates) cleanups.push(() => templates.close());
    await keys.start();
    keysLoaded = true;
    cleanups.push(() => keys.stop());
    if (!config.awaitLeadership) await lead();
    log.info({ keyNamespace: config.keyNamespace, leading: leading !== undefined, rsaWorkers: pool.size }, "SealedSecret controller ready");
    return {
      keys,
      pool,
      stats,
      controller,
      handlers: { certificate: () => api.certificate(), verify: (body) => api.verify(body), rotate: (body, query) => api.rotate(body, { keepCurrent: query.get("keep-current") === "true" }) },
      kind: { kind: "SealedSecret", condition: "Synced", objects: () => controller.cachedObjects(), stats, filtered: () => controller.filtered },
      registerMetrics: (registry) => void sealedSecretMetrics({ stats, keyring: () => keys.keyring, pool: { get rsaOps() { return pool.rsaOps + apiPool.rsaOps; } }, minted: () => keys.minted, deletedKeys: () => keys.deletedKeys() }, registry),
      ready: () => keysLoaded && (leading === undefined || synced),
      lead,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
