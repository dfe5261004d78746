// The ExternalSecret reconciler, orchestration only: read the object, look up its stores and their
// clients (store-lookup.ts), observe its target Secret (write.ts), decide whether to refresh now
// (plan.ts, refresh-schedule.ts), fetch from the providers (fetch.ts), render (render.ts), write the
// Secret (write.ts) and the status (report.ts), each only when changed. A provider failure never
// deletes or blanks the Secret: the status says why and the key backs off.
import type { RandomInt } from "../../crypto/password.ts";
import { SpecError } from "../../api/eso-fields.ts";
import { parseExternalSecretSpec, type ExternalSecretSpec } from "../../api/external-secret.ts";
import { resources } from "../../api/resources.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";
import type { TemplatePool } from "../templates/pool.ts";
import type { ReconcileContext, Reconciler } from "../controller.ts";
import { formatKey, type ObjectKey } from "../object-key.ts";
import type { ProcessResult } from "../queue.ts";
import { ReportedError } from "../reported-error.ts";
import type { ProviderClientCache } from "../secret-store/client-cache.ts";
import { storeKey, type StoreDirectory } from "../secret-store/stores.ts";
import { ProviderFetch, type Fetched } from "./fetch.ts";
import { needsRefresh, syncVersionOf, parseStatus, withOwnRefresh, type EsMeta } from "./plan.ts";
import { mainStoreOf } from "./refresh-wave.ts";
import { RefreshSchedule } from "./refresh-schedule.ts";
import { renderTarget } from "./render.ts";
import { reportFor } from "./report.ts";
import { generatorKey, refKey, StoreDependents, storeClients, storeRefsOf } from "./store-lookup.ts";
import { TargetSecrets } from "./write.ts";

export interface ExternalSecretReconcilerOptions {
  kube: KubePort;
  stores: StoreDirectory;
  clients: ProviderClientCache;
  now?: () => Date;
  /** Fraction of the interval added (per object, stably) so objects created together do not refresh together. */
  refreshJitter?: number;
  /**
   * The ExternalSecrets in the informer cache of a namespace, and a way to queue one: with both, a
   * refresh on a batching store (AWS) reads every due ExternalSecret of that store in one wave.
   */
  cachedExternalSecrets?: (namespace: string) => readonly KubeObject[];
  enqueue?: (key: string) => void;
  /** Randomness for generators (node:crypto's randomInt unless a test passes its own). */
  randomInt?: RandomInt;
  onWave?: (info: { members: number; ids: number; batches: number }) => void;
  /** The cluster's key for the data-hash annotation (keys/hash-key.ts); unkeyed without. */
  hashKey?: Uint8Array;
  /** Renders target.template off the event loop; inline when omitted (tests). */
  templates?: TemplatePool;
}

export class ExternalSecretReconciler implements Reconciler {
  readonly name = "externalsecret";
  readonly resource = resources.externalSecret;
  readonly secondary;
  private readonly options: ExternalSecretReconcilerOptions;
  private readonly now: () => Date;
  private readonly dependents = new StoreDependents();
  private readonly schedule: RefreshSchedule;
  private readonly provider: ProviderFetch;
  private readonly targets: TargetSecrets;

  constructor(options: ExternalSecretReconcilerOptions) {
    this.options = options;
    const now = options.now ?? (() => new Date());
    this.now = now;
    this.schedule = new RefreshSchedule({
      now,
      ...(options.refreshJitter !== undefined ? { jitter: options.refreshJitter } : {}),
      ...(options.cachedExternalSecrets ? { cachedExternalSecrets: options.cachedExternalSecrets } : {}),
      ...(options.enqueue ? { enqueue: options.enqueue } : {}),
      ...(options.onWave ? { onWave: options.onWave } : {}),
    });
    this.provider = new ProviderFetch({ kube: options.kube, ...(options.randomInt ? { randomInt: options.randomInt } : {}) });
    this.targets = new TargetSecrets({ kube: options.kube, ...(options.hashKey ? { hashKey: options.hashKey } : {}) });
    this.secondary = [
      {
        // Managed Secrets: a deleted or edited target is restored. The process's one metadata-only
        // Secret watch; data is read only when a reconcile must compare or write it.
        resource: resources.secret,
        metadataOnly: true,
        keysFor: (obj: KubeObject) =>
          obj.metadata?.labels?.["reconcile.external-secrets.io/managed"] !== "true" ? [] : (obj.metadata?.ownerReferences ?? [])
            .filter((r) => r.kind === "ExternalSecret")
            .map((r) => `${obj.metadata?.namespace ?? ""}/${r.name}`),
      },
      {
        // Password generators: a fixed or created generator re-queues the ExternalSecrets that name
        // it. That alone is no refresh (plan.ts decides), so it never makes a new value by itself.
        resource: resources.password,
        keysFor: (obj: KubeObject) => this.dependents.ofGenerator(generatorKey(obj.metadata?.namespace ?? "", "Password", obj.metadata?.name ?? "")),
      },
    ];
  }

  /** Target Secrets read with their data (the cache holds metadata only). */
  get secretReads(): number {
    return this.targets.secretReads;
  }

  /** ExternalSecret keys that referenced a store at their last reconcile. */
  dependentsOf(key: string): string[] {
    return this.dependents.ofStore(key);
  }

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void> {
    const { kube } = this.options;
    const es = ctx.cached(key) ?? (await kube.get(resources.externalSecret, key.namespace, key.name));
    const esKey = formatKey(key);
    if (!es || es.metadata?.deletionTimestamp) {
      this.dependents.forget(esKey);
      if (es?.metadata?.uid) {
        this.schedule.forget(es.metadata.uid);
        this.targets.forget(es.metadata.uid);
      }
      return;
    }
    const meta: EsMeta = {
      name: key.name,
      namespace: key.namespace ?? "",
      uid: es.metadata?.uid ?? "",
      generation: es.metadata?.generation ?? 0,
      labels: es.metadata?.labels ?? {},
      annotations: es.metadata?.annotations ?? {},
    };
    const previous = parseStatus(es["status"]);
    const syncVersion = syncVersionOf(meta);
    const now = this.now();
    const { finish, fail } = reportFor({ kube, log: ctx.log, es, previous, meta, syncVersion, now, onRefreshed: (refreshTime) => this.schedule.refreshed(meta.uid, syncVersion, refreshTime) });

    let spec: ExternalSecretSpec;
    try {
      spec = parseExternalSecretSpec(es["spec"]);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      await finish({ kind: "error", reason: "InvalidSpec", message: err.message });
      return;
    }

    // Stores: the ExternalSecret's own and any sourceRef overrides.
    const refs = storeRefsOf(spec);
    this.dependents.record(esKey, meta.namespace, spec, refs);
    const found = await storeClients({ refs, namespace: meta.namespace, stores: this.options.stores, clients: this.options.clients });
    if (found.kind === "notOurs") return; // another controller class (e.g. ESO) owns it
    if (found.kind === "missing") {
      await finish({ kind: "error", reason: "StoreNotFound", message: found.message });
      throw new ReportedError("StoreNotFound", found.message, true);
    }
    if (found.kind === "clientFailed") return await fail(found.error, "could not get provider client");
    const clients = found.clients;

    // Before any Kubernetes call: if this refresh is due, read it together with every other due
    // ExternalSecret of the same (batching) store, so their reads fill batch calls.
    const mainRef = mainStoreOf(spec);
    const mainClient = mainRef ? clients.get(refKey(mainRef)) : undefined;
    const dueAt = this.schedule.dueAt(meta.uid, mainRef ? storeKey(mainRef.kind, mainRef.name, meta.namespace) : "");
    if (mainRef && mainClient) this.schedule.startWave(es, spec, mainRef, storeKey(mainRef.kind, mainRef.name, meta.namespace), mainClient, now);

    const targetName = spec.target.name ?? meta.name;
    // The cache has the target's metadata; its data is read only when this process has not seen
    // this version of it intact (after a restart, or after someone else wrote it).
    const targetMeta = spec.target.creationPolicy === "None" ? undefined : ctx.cachedSecondary(resources.secret, { namespace: meta.namespace, name: targetName });
    const observed = await this.targets.observe(meta.uid, meta.namespace, targetName, targetMeta);
    let target = observed.target;
    const decision = needsRefresh({ spec, status: withOwnRefresh(previous, this.schedule.ownRefresh(meta.uid)), syncVersion, target: observed.state, now, dueAt });
    // A wave may have read this one a little ahead of its due time: it refreshes now with those reads.
    const prefetched = mainClient ? this.schedule.take(mainClient, meta.uid, syncVersion) : undefined;
    if (!decision.refresh && !prefetched) return this.schedule.wait(decision.nextInMs);
    ctx.log.debug({ why: decision.refresh ? decision.why : "read ahead in a refresh wave", wave: prefetched !== undefined }, "refreshing");
    if (prefetched && mainRef) clients.set(refKey(mainRef), prefetched.client);
    const readAt = prefetched?.readAt;

    let fetched: Fetched;
    try {
      fetched = await this.provider.fetch(spec, clients, meta.namespace);
    } catch (err) {
      return await fail(err, "could not get secret data from provider");
    }
    const ended = await this.targets.deletionPolicy({ log: ctx.log, es, meta, spec, fetched, targetName, exists: (target ?? targetMeta) !== undefined, readAt });
    if (ended && "failed" in ended) return await fail(ended.failed, ended.context);
    if (ended) {
      await finish(ended);
      return this.schedule.next(spec, dueAt, readAt ?? now);
    }

    const rendered = await renderTarget({ template: spec.target.template, data: fetched.data, namespace: meta.namespace, kube, pool: this.options.templates, now });
    if (!rendered.ok) {
      await finish({ kind: "error", reason: "TemplateFailed", message: rendered.message });
      return;
    }

    if (targetMeta && !target) target = await this.targets.read(meta.namespace, targetName);
    const written = await this.targets.write({ log: ctx.log, es, meta, spec, rendered: rendered.rendered, targetName, target, hasTemplate: spec.target.template !== undefined });
    if (typeof written === "object") return await fail(written.failed, written.context);
    await finish(written === "missing" ? { kind: "missing", ...(readAt ? { readAt } : {}) } : { kind: "synced", targetName, ...(readAt ? { readAt } : {}) });
    return this.schedule.next(spec, dueAt, readAt ?? now);
  }
}
