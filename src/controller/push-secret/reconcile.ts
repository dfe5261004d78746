// The PushSecret reconciler: read the PushSecret, its source Secret (metadata from the shared cache,
// data on demand) and its stores; decide (plan.ts); push each entry through the store's provider
// client; delete what deletionPolicy Delete no longer wants; write the status once, only when it
// changed. The source Secret is only ever read: a push failure is a condition on the PushSecret.
import { SpecError } from "../../api/eso-fields.ts";
import { PUSH_SECRET_FINALIZER, parsePushSecretSpec, parseSyncedEntry, rawDeletionPolicy, statusRef, type PushSecretSpec } from "../../api/push-secret.ts";
import { resources } from "../../api/resources.ts";
import { labelSelectorMatches } from "../../api/secret-store.ts";
import type { StoreKind } from "../../api/external-secret.ts";
import { isConflict, type KubeObject, type KubePort } from "../../kube/port.ts";
import { ProviderError, UnsupportedProvider, type SecretsClient, type SecretsPusher } from "../../providers/provider.ts";
import type { ReconcileContext, Reconciler } from "../controller.ts";
import { recordEvent } from "../events.ts";
import { syncVersionOf } from "../external-secret/plan.ts";
import { formatKey, type ObjectKey } from "../object-key.ts";
import type { ProcessResult } from "../queue.ts";
import type { ProviderClientCache } from "../secret-store/client-cache.ts";
import { storeKey, type StoreDirectory, type StoreRecord } from "../secret-store/stores.ts";
import {
  desiredSynced,
  mergeSynced,
  needsPush,
  nextPushStatus,
  parsePushStatus,
  pushStatusEqual,
  staleEntries,
  statusObject,
  storeStatusKey,
  type PushOutcome,
  type SyncedMap,
} from "./plan.ts";
import { ReportedError } from "../reported-error.ts";

export interface PushSecretReconcilerOptions {
  kube: KubePort;
  stores: StoreDirectory;
  clients: ProviderClientCache;
  now?: () => Date;
}


interface ResolvedStore {
  /** "<Kind>/<name>", the key of status.syncedPushSecrets. */
  statusKey: string;
  store: StoreRecord;
}

export class PushSecretReconciler implements Reconciler {
  readonly name = "pushsecret";
  readonly resource = resources.pushSecret;
  readonly secondary;
  private readonly options: PushSecretReconcilerOptions;
  private readonly now: () => Date;
  /** Source Secret "<ns>/<name>" → PushSecrets reading it, so a change of its data pushes again. */
  private readonly bySource = new Map<string, Set<string>>();
  /** Store key → PushSecrets using it, so a store change re-queues them. */
  private readonly byStore = new Map<string, Set<string>>();
  /** Source Secrets read with their data (the cache holds metadata only). */
  secretReads = 0;

  constructor(options: PushSecretReconcilerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.secondary = [
      {
        // The process's one metadata-only Secret watch: a new resourceVersion of a source Secret
        // re-queues the PushSecrets that read it; its data is read only when a push runs.
        resource: resources.secret,
        metadataOnly: true,
        keysFor: (obj: KubeObject) => [...(this.bySource.get(`${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`) ?? [])],
      },
    ];
  }

  /** PushSecret keys that used a store at their last reconcile. */
  dependentsOf(key: string): string[] {
    return [...(this.byStore.get(key) ?? [])];
  }

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void> {
    const { kube } = this.options;
    const psKey = formatKey(key);
    let ps = ctx.cached(key) ?? (await kube.get(resources.pushSecret, key.namespace, key.name));
    if (!ps) {
      this.forget(psKey);
      return;
    }
    ps = { ...ps, apiVersion: "external-secrets.io/v1alpha1", kind: "PushSecret" };
    const namespace = key.namespace ?? "";
    const meta = ps.metadata ?? {};
    const previous = parsePushStatus(ps["status"]);
    const now = this.now();
    const policy = rawDeletionPolicy(ps["spec"]);
    const hasFinalizer = (meta.finalizers ?? []).includes(PUSH_SECRET_FINALIZER);
    let current: KubeObject = ps;
    const syncVersion = syncVersionOf({
      name: key.name,
      namespace,
      uid: meta.uid ?? "",
      generation: meta.generation ?? 0,
      labels: meta.labels ?? {},
      annotations: meta.annotations ?? {},
    });
    let spec: PushSecretSpec | undefined;
    const finish = async (outcome: PushOutcome): Promise<void> => {
      const status = nextPushStatus({ previous, outcome, syncVersion, updatePolicy: spec?.updatePolicy ?? "Replace", now });
      if (pushStatusEqual(previous, status)) return;
      try {
        current = await kube.replaceStatus(resources.pushSecret, { ...current, status: statusObject(status) });
      } catch (err) {
        if (!isConflict(err)) throw err; // the object moved on: its watch event re-queues it
      }
      const was = previous?.conditions.find((c) => c.type === "Ready");
      const ready = status.conditions.find((c) => c.type === "Ready");
      if (ready && (was?.reason !== ready.reason || was.message !== ready.message)) {
        await recordEvent({ kube, log: ctx.log, regarding: current, event: { type: outcome.kind === "error" ? "Warning" : "Normal", reason: ready.reason, message: ready.message }, action: ready.reason, now });
      }
      ctx.log.info({ reason: ready?.reason }, "reconciled");
    };
    const fail = async (err: unknown, context: string, synced: SyncedMap): Promise<never> => {
      const reason = reasonOf(err);
      const message = `${context}: ${err instanceof Error ? err.message : String(err)}`;
      await finish({ kind: "error", reason, message, synced });
      throw new ReportedError(reason, message, retryableOf(err));
    };

    // Deletion: with deletionPolicy Delete (our finalizer), what was pushed goes first.
    if (meta.deletionTimestamp) {
      this.forget(psKey);
      if (!hasFinalizer) return;
      if (policy === "Delete") {
        const remaining = await this.deleteEntries(staleEntries(previous?.syncedPushSecrets ?? {}, {}), namespace, previous?.syncedPushSecrets ?? {});
        if (remaining.error) return await fail(remaining.error, "could not delete secrets from provider", remaining.synced);
      }
      await this.setFinalizer(current, false);
      return;
    }
    if (policy === "Delete" && !hasFinalizer) current = await this.setFinalizer(current, true);
    if (policy === "None" && hasFinalizer) current = await this.setFinalizer(current, false);

    try {
      spec = parsePushSecretSpec(ps["spec"]);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      await finish({ kind: "error", reason: "InvalidSpec", message: err.message, synced: previous?.syncedPushSecrets ?? {} });
      return;
    }
    this.index(this.bySource, psKey, [`${namespace}/${spec.sourceSecret}`]);
    this.index(this.byStore, psKey, spec.secretStoreRefs.filter((r) => r.name).map((r) => storeKey(r.kind, r.name ?? "", namespace)));

    // The source Secret: its metadata from the shared cache says whether it changed.
    let sourceMeta = ctx.cachedSecondary(resources.secret, { namespace, name: spec.sourceSecret });
    let source: KubeObject | undefined;
    if (!sourceMeta) {
      // Confirmed with the API server before anything is deleted for it (the cache may lag a create).
      source = await this.readSecret(namespace, spec.sourceSecret);
      sourceMeta = source;
    }
    if (!sourceMeta) {
      const synced = previous?.syncedPushSecrets ?? {};
      if (spec.deletionPolicy === "Delete" && Object.keys(synced).some((k) => Object.keys(synced[k] ?? {}).length > 0)) {
        const remaining = await this.deleteEntries(staleEntries(synced, {}), namespace, synced);
        if (remaining.error) return await fail(remaining.error, "could not clean up provider secrets of the deleted source Secret", remaining.synced);
        await finish({ kind: "sourceDeleted" });
        return;
      }
      await finish({ kind: "error", reason: "SourceSecretNotFound", message: `could not get source secret: Secret ${namespace}/${spec.sourceSecret} not found`, synced });
      return this.requeue(spec);
    }
    const sourceVersion = sourceMeta.metadata?.resourceVersion ?? "";
    const decision = needsPush({ spec, status: previous, syncVersion, sourceVersion, now });
    if (!decision.push) return decision.nextInMs === undefined ? undefined : { requeueAfterMs: Math.max(250, decision.nextInMs) };
    ctx.log.debug({ why: decision.why }, "pushing");
    source ??= await this.readSecret(namespace, spec.sourceSecret);
    if (!source) return; // deleted since the cache saw it: its watch event re-queues this one
    const data = secretData(source);

    // Stores: named ones and label-selected ones, skipping stores of another controller class.
    const previousSynced = previous?.syncedPushSecrets ?? {};
    let stores: ResolvedStore[];
    try {
      stores = await this.resolveStores(spec, namespace);
    } catch (err) {
      return await fail(err, "could not get store", previousSynced);
    }
    this.index(this.byStore, psKey, stores.map((s) => storeKey(s.store.kind, s.store.name, namespace)));
    if (stores.length === 0) return;

    const pushed: SyncedMap = {};
    for (const { statusKey, store } of stores) {
      let pusher: SecretsPusher;
      try {
        pusher = await this.pusherFor(store, namespace);
      } catch (err) {
        return await fail(err, `could not get secrets client for store ${store.name}`, mergeSynced(pushed, previousSynced));
      }
      const entries: Record<string, Record<string, unknown>> = {};
      pushed[statusKey] = entries;
      const wanted = desiredSynced(spec.data, [statusKey])[statusKey] ?? {};
      for (const item of spec.data) {
        const ref = { remoteKey: item.remoteKey, ...(item.property ? { property: item.property } : {}) };
        const id = statusRef(item);
        try {
          if (item.secretKey !== undefined && !Object.hasOwn(data, item.secretKey)) {
            throw new ReportedError("SecretKeyNotFound", `secret key ${item.secretKey} does not exist in Secret ${namespace}/${spec.sourceSecret}`, false);
          }
          // IfNotExists never writes over what is there, ours or not; ESO still lists it as synced.
          if (!(spec.updatePolicy === "IfNotExists" && (await pusher.secretExists(ref)))) {
            await pusher.pushSecret({ ref, ...(item.secretKey !== undefined ? { secretKey: item.secretKey } : {}), data, ...(item.metadata !== undefined ? { metadata: item.metadata } : {}) });
          }
        } catch (err) {
          return await fail(err, `could not write remote ref ${id} to store ${store.name}`, mergeSynced(pushed, previousSynced));
        }
        const entry = wanted[id];
        if (entry) entries[id] = entry;
      }
    }

    // deletionPolicy Delete: what was pushed before and is no longer wanted goes.
    if (spec.deletionPolicy === "Delete") {
      const remaining = await this.deleteEntries(staleEntries(previousSynced, pushed), namespace, mergeSynced(pushed, previousSynced));
      if (remaining.error) return await fail(remaining.error, "could not delete secrets from provider", remaining.synced);
    }
    await finish({ kind: "synced", synced: pushed, sourceVersion });
    return this.requeue(spec);
  }

  private requeue(spec: PushSecretSpec): ProcessResult | undefined {
    return spec.refreshIntervalMs > 0 ? { requeueAfterMs: spec.refreshIntervalMs } : undefined;
  }

  private async readSecret(namespace: string, name: string): Promise<KubeObject | undefined> {
    this.secretReads++;
    return await this.options.kube.get(resources.secret, namespace, name);
  }

  private async resolveStores(spec: PushSecretSpec, namespace: string): Promise<ResolvedStore[]> {
    const { stores } = this.options;
    const out = new Map<string, ResolvedStore>();
    for (const ref of spec.secretStoreRefs) {
      const names = ref.name
        ? [ref.name]
        : stores.list(ref.kind, namespace).filter((s) => ref.labelSelector && labelSelectorMatches(ref.labelSelector, s.object.metadata?.labels ?? {})).map((s) => s.name);
      for (const name of names) {
        const found = await stores.lookup({ kind: ref.kind, name }, namespace);
        if (found.kind === "notOurs") continue; // another controller class (e.g. ESO) pushes through it
        if (found.kind === "missing") throw new ReportedError("StoreNotFound", found.message, true);
        if (found.store.object.metadata?.deletionTimestamp) continue;
        out.set(storeStatusKey(ref.kind, name), { statusKey: storeStatusKey(ref.kind, name), store: found.store });
      }
    }
    return [...out.values()];
  }

  private async pusherFor(store: StoreRecord, namespace: string): Promise<SecretsPusher> {
    const client: SecretsClient = await this.options.clients.client(store, namespace);
    if (!client.pusher) throw new UnsupportedProvider(`store ${store.name}'s provider does not support PushSecret`);
    return client.pusher;
  }

  /**
   * Deletes stale entries (the provider leaves remote secrets not marked as ours alone). Returns the
   * synced map without what was deleted, and the first error, after which it stops.
   */
  private async deleteEntries(stale: { storeKey: string; ref: string; entry: Record<string, unknown> }[], namespace: string, synced: SyncedMap): Promise<{ synced: SyncedMap; error?: unknown }> {
    const out = mergeSynced({}, synced);
    for (const { storeKey: key, ref, entry } of stale) {
      const target = parseSyncedEntry(entry);
      try {
        if (target) {
          const [kind, ...rest] = key.split("/");
          const name = rest.join("/");
          if (kind !== "SecretStore" && kind !== "ClusterSecretStore") throw new ReportedError("InvalidStatus", `status.syncedPushSecrets key ${JSON.stringify(key)} names no store`, false);
          const found = await this.options.stores.lookup({ kind: kind satisfies StoreKind, name }, namespace);
          if (found.kind === "missing") throw new ReportedError("StoreNotFound", found.message, true);
          if (found.kind === "found") await (await this.pusherFor(found.store, namespace)).deleteSecret({ remoteKey: target.remoteKey, ...(target.property ? { property: target.property } : {}) });
        }
      } catch (err) {
        return { synced: out, error: err };
      }
      const entries = out[key];
      if (entries) {
        delete entries[ref];
        if (Object.keys(entries).length === 0) delete out[key];
      }
    }
    return { synced: out };
  }

  /** Adds or removes our finalizer; returns the object as written. */
  private async setFinalizer(ps: KubeObject, present: boolean): Promise<KubeObject> {
    const finalizers = (ps.metadata?.finalizers ?? []).filter((f) => f !== PUSH_SECRET_FINALIZER);
    if (present) finalizers.push(PUSH_SECRET_FINALIZER);
    // A merge patch of the finalizers alone (the cached copy lacks kubectl's last-applied annotation,
    // which a full replace would drop), guarded by resourceVersion: a stale copy ends in Conflict.
    const written = await this.options.kube.patch(resources.pushSecret, ps.metadata?.namespace, ps.metadata?.name ?? "", { metadata: { finalizers, resourceVersion: ps.metadata?.resourceVersion } }, "merge");
    return { ...written, apiVersion: "external-secrets.io/v1alpha1", kind: "PushSecret" };
  }

  private index(map: Map<string, Set<string>>, psKey: string, keys: readonly string[]): void {
    for (const set of map.values()) set.delete(psKey);
    for (const k of keys) {
      let set = map.get(k);
      if (!set) map.set(k, (set = new Set()));
      set.add(psKey);
    }
  }

  private forget(psKey: string): void {
    for (const set of this.bySource.values()) set.delete(psKey);
    for (const set of this.byStore.values()) set.delete(psKey);
  }
}

function secretData(secret: KubeObject): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const data = secret["data"];
  if (typeof data === "object" && data !== null) {
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) if (typeof v === "string") out[k] = Buffer.from(v, "base64");
  }
  return out;
}

function reasonOf(err: unknown): string {
  if (err instanceof ProviderError || err instanceof ReportedError) return err.reason;
  if (err instanceof SpecError) return "InvalidSpec";
  return "InternalError";
}

function retryableOf(err: unknown): boolean {
  if (err instanceof ProviderError || err instanceof ReportedError) return err.retryable;
  return !(err instanceof SpecError);
}
