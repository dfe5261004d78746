// The SealedSecret feature assembled over a kube port: sealing keys, the RSA worker pool, the
// reconciler and its controller, the HTTP API and metrics. main.ts and the tests start it from here.
// Every replica loads the keys and serves the API and metrics; only a leader (lead()) mints keys and
// reconciles. Without leader election the caller leads at once (the default).
import type { ControllerConfig } from "./config.ts";
import { Controller } from "./controller/controller.ts";
import { KeyManager } from "./controller/keys/manager.ts";
import { RsaPool } from "./controller/keys/rsa-pool.ts";
import { SealedSecretReconciler } from "./controller/sealed-secret/reconcile.ts";
import { SealedSecretStats } from "./controller/sealed-secret/stats.ts";
import type { KubePort } from "./kube/port.ts";
import type { Logger } from "./log.ts";
import { startApiServer, startMetricsServer, type Listening } from "./server/http.ts";
import { sealedSecretMetrics } from "./server/metrics.ts";
import { SealingApi, type ApiAnswer } from "./server/sealing-api.ts";

export type SealedSecretsConfig = Pick<ControllerConfig, "keyNamespace" | "listenAddr" | "metricsAddr" | "workers" | "rsaWorkers" | "keyPrefix" | "keyBits" | "keyRenewPeriodMs"> & {
  /** Reconcile SealedSecrets in this namespace only (all when omitted). */
  watchNamespace?: string;
  /** Served on the same API as /v1/cert.pem when the age controllers run (see age-secrets.ts). */
  ageRecipients?: (query: URLSearchParams) => Promise<ApiAnswer>;
  /** Start read-only (keys, API, metrics) and reconcile only once lead() is called. */
  awaitLeadership?: boolean;
};

export interface SealedSecretsRuntime {
  keys: KeyManager;
  pool: RsaPool;
  stats: SealedSecretStats;
  controller: Controller;
  api: Listening;
  metrics: Listening;
  /** Mint keys (when due) and reconcile from now on; resolves once the controller has synced. */
  lead(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSealedSecrets(kube: KubePort, log: Logger, config: SealedSecretsConfig): Promise<SealedSecretsRuntime> {
  const pool = new RsaPool({ ...(config.rsaWorkers !== undefined ? { size: config.rsaWorkers } : {}), log });
  const keys = new KeyManager({
    kube,
    log,
    namespace: config.keyNamespace,
    prefix: config.keyPrefix,
    bits: config.keyBits,
    renewPeriodMs: config.keyRenewPeriodMs,
    mayMint: !config.awaitLeadership,
  });
  const stats = new SealedSecretStats();
  const reconciler = new SealedSecretReconciler({
    kube,
    keyring: () => keys.keyring,
    pool,
    stats,
    ...(config.watchNamespace ? { namespace: config.watchNamespace } : {}),
  });
  const controller = new Controller({ kube, log, reconciler, workers: config.workers });
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    cleanups.length = 0;
  };
  // Ready: keys loaded, and, in the leader, the controller synced.
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
  try {
    keys.onChange((keyring) => {
      pool.setKeys(keyring);
      if (synced) controller.enqueueAll();
    });
    cleanups.push(() => pool.close());
    await keys.start();
    keysLoaded = true;
    cleanups.push(() => keys.stop());
    const api = await startApiServer({
      api: new SealingApi({ keyring: () => keys.keyring, pool }),
      log,
      addr: config.listenAddr,
      ready: () => keysLoaded && (leading === undefined || synced),
      ...(config.ageRecipients ? { ageRecipients: config.ageRecipients } : {}),
    });
    cleanups.push(() => api.close());
    const metrics = await startMetricsServer({
      registry: sealedSecretMetrics({ stats, keyring: () => keys.keyring, pool, minted: () => keys.minted }),
      addr: config.metricsAddr,
    });
    cleanups.push(() => metrics.close());
    if (!config.awaitLeadership) await lead();
    log.info({ api: api.port, metrics: metrics.port, keyNamespace: config.keyNamespace, leading: leading !== undefined, rsaWorkers: pool.size }, "SealedSecret controller ready");
    return { keys, pool, stats, controller, api, metrics, lead, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
