// The external-secrets.io controllers as one unit: the store directory, the provider client cache,
// the ExternalSecret controller, the two store controllers and the ClusterExternalSecret controller,
// with store changes re-queueing the ExternalSecrets that use them. Provider factories are passed in (main.ts wires the real ones).
import type { Logger } from "../../log.ts";
import { Manager } from "../../kube/manager.ts";
import type { KubePort } from "../../kube/port.ts";
import type { KindSource } from "../../server/metrics.ts";
import { Controller } from "../controller.ts";
import { ClusterExternalSecretReconciler } from "../cluster-external-secret/reconcile.ts";
import { ProviderClientCache, type ProviderFactories } from "../secret-store/client-cache.ts";
import { SecretStoreReconciler } from "../secret-store/reconcile.ts";
import { StoreDirectory } from "../secret-store/stores.ts";
import { ExternalSecretReconciler } from "./reconcile.ts";
import type { TemplatePool } from "../templates/pool.ts";
import { PushSecretReconciler } from "../push-secret/reconcile.ts";

export interface ExternalSecretsOptions {
  kube: KubePort;
  /** The process's shared cache (a private one when omitted, as in tests). */
  cache?: Manager;
  log: Logger;
  factories: ProviderFactories;
  /** ESO controller class: stores whose spec.controller names another class are left alone. */
  controllerClass: string;
  workers: number;
  now?: () => Date;
  /** How often cached clients re-check their credential Secrets (ms). */
  credentialRecheckMs?: number;
  /** Let namespaced SecretStores use the controller's own identity (off by default; see identity.ts). */
  allowNamespacedAmbient?: boolean;
  /** The cluster's key for the data-hash annotation (keys/hash-key.ts). */
  hashKey?: Uint8Array;
  /** Renders target.template off the event loop (inline when omitted). */
  templates?: TemplatePool;
  /** Called when a refresh wave starts (benchmarks, metrics). */
  onWave?: (info: { members: number; ids: number; batches: number }) => void;
  /** Randomness for generators (tests); node:crypto's randomInt otherwise. */
  randomInt?: (max: number) => number;
  /** Also reconcile PushSecrets (sharing the stores and provider clients). */
  pushSecrets?: boolean;
}

export class ExternalSecretsControllers {
  readonly stores: StoreDirectory;
  readonly clients: ProviderClientCache;
  readonly externalSecrets: Controller;
  readonly reconciler: ExternalSecretReconciler;
  readonly clusterExternalSecrets: Controller;
  readonly pushSecrets: Controller | undefined;
  readonly pushReconciler: PushSecretReconciler | undefined;
  private readonly storeControllers: Controller[];

  constructor(options: ExternalSecretsOptions) {
    const { log } = options;
    const cache = options.cache ?? new Manager(options.kube);
    const kube = cache.client;
    this.stores = new StoreDirectory(kube, cache, options.controllerClass);
    this.clients = new ProviderClientCache({
      kube,
      factories: options.factories,
      ...(options.credentialRecheckMs !== undefined ? { recheckMs: options.credentialRecheckMs } : {}),
      ...(options.allowNamespacedAmbient !== undefined ? { allowNamespacedAmbient: options.allowNamespacedAmbient } : {}),
    });
    this.reconciler = new ExternalSecretReconciler({
      kube,
      stores: this.stores,
      clients: this.clients,
      ...(options.now ? { now: options.now } : {}),
      ...(options.onWave ? { onWave: options.onWave } : {}),
      ...(options.randomInt ? { randomInt: options.randomInt } : {}),
      ...(options.hashKey ? { hashKey: options.hashKey } : {}),
      ...(options.templates ? { templates: options.templates } : {}),
      cachedExternalSecrets: (namespace) => this.externalSecrets.cachedObjects(namespace),
      enqueue: (key) => this.externalSecrets.queue.add(key, "periodic"),
    });
    this.externalSecrets = new Controller({ cache, log, reconciler: this.reconciler, workers: options.workers });
    this.storeControllers = (["SecretStore", "ClusterSecretStore"] as const).map(
      (kind) =>
        new Controller({
          cache,
          log,
          workers: 2,
          reconciler: new SecretStoreReconciler({ kind, kube, clients: this.clients, controllerClass: options.controllerClass, ...(options.now ? { now: options.now } : {}) }),
        }),
    );
    const cesReconciler: ClusterExternalSecretReconciler = new ClusterExternalSecretReconciler({
      kube,
      ...(options.now ? { now: options.now } : {}),
      cached: () => this.clusterExternalSecrets.cachedObjects(),
    });
    this.clusterExternalSecrets = new Controller({ cache, log, workers: 2, reconciler: cesReconciler });
    if (options.pushSecrets) {
      this.pushReconciler = new PushSecretReconciler({ kube, stores: this.stores, clients: this.clients, ...(options.now ? { now: options.now } : {}) });
      this.pushSecrets = new Controller({ cache, log, reconciler: this.pushReconciler, workers: Math.max(1, Math.ceil(options.workers / 2)) });
    }
    const seen = new Map<string, string>();
    this.stores.onChange((key, store) => {
      // Only a new generation (or deletion) matters to ExternalSecrets; status writes do not.
      const version = store ? `${store.uid}/${store.generation}` : "";
      if (seen.get(key) === version) return;
      seen.set(key, version);
      if (!store) this.clients.forget(key);
      for (const es of this.reconciler.dependentsOf(key)) this.externalSecrets.queue.add(es);
      for (const ps of this.pushReconciler?.dependentsOf(key) ?? []) this.pushSecrets?.queue.add(ps);
    });
  }

  /** The kinds as the process metrics count them. */
  kinds(): KindSource[] {
    const [stores, clusterStores] = this.storeControllers;
    return [
      { kind: "ExternalSecret", condition: "Ready", objects: () => this.externalSecrets.cachedObjects(), filtered: () => this.externalSecrets.filtered },
      ...(stores ? [{ kind: "SecretStore", condition: "Ready", objects: () => stores.cachedObjects(), filtered: () => stores.filtered }] : []),
      ...(clusterStores ? [{ kind: "ClusterSecretStore", condition: "Ready", objects: () => clusterStores.cachedObjects(), filtered: () => clusterStores.filtered }] : []),
      { kind: "ClusterExternalSecret", condition: "Ready", objects: () => this.clusterExternalSecrets.cachedObjects(), filtered: () => this.clusterExternalSecrets.filtered },
      ...(this.pushSecrets ? [{ kind: "PushSecret", condition: "Ready", objects: () => this.pushSecrets?.cachedObjects() ?? [], filtered: () => this.pushSecrets?.filtered ?? { status: 0, ownWrites: 0 } }] : []),
    ];
  }

  async start(): Promise<void> {
    await this.stores.start();
    await Promise.all(this.storeControllers.map((c) => c.start()));
    await this.externalSecrets.start();
    await this.clusterExternalSecrets.start();
    await this.pushSecrets?.start();
  }

  async stop(): Promise<void> {
    await this.pushSecrets?.stop();
    await this.clusterExternalSecrets.stop();
    await this.externalSecrets.stop();
    await Promise.all(this.storeControllers.map((c) => c.stop()));
    await this.stores.stop();
    this.clients.close();
  }
}
