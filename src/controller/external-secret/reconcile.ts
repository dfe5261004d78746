// The ExternalSecret reconciler: read the object, its store and target Secret; decide (plan.ts);
// fetch from the provider; write the Secret and the status, each only when changed. A provider
// failure never deletes or blanks the Secret: the status says why and the key backs off.
import { randomInt } from "node:crypto";
import { SpecError } from "../../api/eso-fields.ts";
import {
  parseExternalSecretSpec,
  resolveTemplateFrom,
  type DataFromItem,
  type ExternalSecretSpec,
  type StoreRef,
} from "../../api/external-secret.ts";
import { resources } from "../../api/resources.ts";
import { GENERATORS_GROUP, parsePasswordSpec, type GeneratorRef } from "../../api/generator.ts";
import { generatePasswords, PasswordSpecError, type RandomInt } from "../../crypto/password.ts";
import { isConflict, type KubeObject, type KubePort } from "../../kube/port.ts";
import { ProviderError, SecretNotFound, type SecretsClient } from "../../providers/provider.ts";
import { EsoTemplateError, renderEsoTemplate } from "../../template/eso.ts";
import { goStringToBytes } from "../../template/gostring.ts";
import { TemplateRenderStopped, type TemplatePool } from "../templates/pool.ts";
import type { ReconcileContext, Reconciler } from "../controller.ts";
import { formatKey, type ObjectKey } from "../object-key.ts";
import type { ProcessResult } from "../queue.ts";
import type { ProviderClientCache } from "../secret-store/client-cache.ts";
import { storeKey, type StoreDirectory } from "../secret-store/stores.ts";
import { recordEvent } from "./events.ts";
import { mainStoreOf, refreshDueAt, waveCandidateOf, waveHorizonMs, type WaveCandidate } from "./refresh-wave.ts";
import { RefreshWaves, type Prefetched } from "./refresh-waves.ts";
import { fieldManagerFor, managedKeys, NO_MANAGED_KEYS } from "./field-owner.ts";
import { convertKeys, decodeValue, decodeValues, rewriteKeys, KeyRewriteError, DecodingError } from "./keys.ts";
import {
  desiredSecret,
  needsRefresh,
  nextStatus,
  parseStatus,
  statusEqual,
  stringRecord,
  syncVersionOf,
  targetData,
  targetState,
  type EsMeta,
  type TargetState,
  type Outcome,
} from "./plan.ts";
import { ReportedError } from "../reported-error.ts";
import { MAX_SECRET_DATA_BYTES, secretDataSize } from "../secret-size.ts";

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

/** Requeue delays below this are rounded up (status times have one-second resolution). */
const MIN_REQUEUE_MS = 250;


export class ExternalSecretReconciler implements Reconciler {
  readonly name = "externalsecret";
  readonly resource = resources.externalSecret;
  readonly secondary;
  /** Which ExternalSecrets use which store, so a store change re-queues them. */
  private readonly byStore = new Map<string, Set<string>>();
  private readonly options: ExternalSecretReconcilerOptions;
  private readonly now: () => Date;
  private readonly waves: RefreshWaves | undefined;
  /** Parsed specs of cached objects (an informer replaces the object when it changes). */
  private readonly specs = new WeakMap<KubeObject, ExternalSecretSpec | null>();
  /** Our own last refresh per uid: the informer's copy of a status lags the write a little. */
  private readonly lastRefresh = new Map<string, { syncVersion: string; refreshTime: string }>();
  /** Which ExternalSecrets use which generator (namespace/kind/name), so a generator change re-queues them. */
  private readonly byGenerator = new Map<string, Set<string>>();
  /** ExternalSecret uid → resourceVersion of its target as last written or seen intact. */
  private readonly verified = new Map<string, string>();

  constructor(options: ExternalSecretReconcilerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    const enqueue = options.enqueue;
    this.waves = options.cachedExternalSecrets && enqueue
      ? new RefreshWaves({ now: () => this.now().getTime(), enqueue, ...(options.onWave ? { onWave: options.onWave } : {}) })
      : undefined;
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
        keysFor: (obj: KubeObject) => [...(this.byGenerator.get(generatorKey(obj.metadata?.namespace ?? "", "Password", obj.metadata?.name ?? "")) ?? [])],
      },
    ];
  }

  /** Target Secrets read with their data (the cache holds metadata only). */
  secretReads = 0;

  private async readTarget(namespace: string, name: string): Promise<KubeObject | undefined> {
    this.secretReads++;
    return this.options.kube.get(resources.secret, namespace, name, { managedFields: true });
  }

  /** ExternalSecret keys that referenced a store at their last reconcile. */
  dependentsOf(key: string): string[] {
    return [...(this.byStore.get(key) ?? [])];
  }

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void> {
    const { kube } = this.options;
    const es = ctx.cached(key) ?? (await kube.get(resources.externalSecret, key.namespace, key.name));
    const esKey = formatKey(key);
    if (!es || es.metadata?.deletionTimestamp) {
      for (const set of this.byStore.values()) set.delete(esKey);
      for (const set of this.byGenerator.values()) set.delete(esKey);
      if (es?.metadata?.uid) {
        this.lastRefresh.delete(es.metadata.uid);
        this.verified.delete(es.metadata.uid);
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
    const finish = async (outcome: Outcome): Promise<void> => {
      const status = nextStatus({ previous, outcome, syncVersion, generation: meta.generation, now });
      if (outcome.kind !== "error" && status.refreshTime) this.lastRefresh.set(meta.uid, { syncVersion, refreshTime: status.refreshTime });
      if (statusEqual(previous, status)) return;
      await this.writeStatus(es, status);
      const was = previous?.conditions.find((c) => c.type === "Ready");
      const ready = status.conditions.find((c) => c.type === "Ready");
      if (outcome.kind === "error" && (was?.reason !== ready?.reason || was?.message !== ready?.message)) {
        await recordEvent(kube, ctx.log, es, { type: "Warning", reason: "UpdateFailed", note: ready?.message ?? "" });
      }
    };

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
    for (const set of this.byStore.values()) set.delete(esKey);
    for (const ref of refs) {
      const k = storeKey(ref.kind, ref.name, meta.namespace);
      let set = this.byStore.get(k);
      if (!set) this.byStore.set(k, (set = new Set()));
      set.add(esKey);
    }
    for (const set of this.byGenerator.values()) set.delete(esKey);
    for (const item of spec.dataFrom) {
      if (!("generatorRef" in item)) continue;
      const k = generatorKey(meta.namespace, item.generatorRef.kind, item.generatorRef.name);
      let set = this.byGenerator.get(k);
      if (!set) this.byGenerator.set(k, (set = new Set()));
      set.add(esKey);
    }
    const clients = new Map<string, SecretsClient>();
    for (const ref of refs) {
      const found = await this.options.stores.lookup(ref, meta.namespace);
      if (found.kind === "notOurs") return; // another controller class (e.g. ESO) owns it
      if (found.kind === "missing") {
        await finish({ kind: "error", reason: "StoreNotFound", message: found.message });
        throw new ReportedError("StoreNotFound", found.message, true);
      }
      try {
        clients.set(refKey(ref), await this.options.clients.client(found.store, meta.namespace));
      } catch (err) {
        await this.fail(finish, err, "could not get provider client");
      }
    }

    // Before any Kubernetes call: if this refresh is due, read it together with every other due
    // ExternalSecret of the same (batching) store, so their reads fill batch calls.
    const mainRef = mainStoreOf(spec);
    const mainClient = mainRef ? clients.get(refKey(mainRef)) : undefined;
    const mainStoreKey = mainRef ? storeKey(mainRef.kind, mainRef.name, meta.namespace) : "";
    const dueAt = (refreshTime: number, intervalMs: number) => refreshDueAt({ refreshTime, intervalMs, uid: meta.uid, storeKey: mainStoreKey, jitter: this.jitterFraction });
    if (mainRef && mainClient) this.startWave(es, spec, mainRef, mainStoreKey, mainClient, now);

    const targetName = spec.target.name ?? meta.name;
    // The cache has the target's metadata; its data is read only when this process has not seen
    // this version of it intact (after a restart, or after someone else wrote it).
    const targetMeta = spec.target.creationPolicy === "None" ? undefined : ctx.cachedSecondary(resources.secret, { namespace: meta.namespace, name: targetName });
    let target: KubeObject | undefined;
    let state: TargetState;
    const verified = this.verified.get(meta.uid);
    if (!targetMeta) state = targetState(undefined);
    else if (verified !== undefined && verified === targetMeta.metadata?.resourceVersion) state = { exists: true, intact: true };
    else {
      target = await this.readTarget(meta.namespace, targetName);
      state = targetState(target, this.options.hashKey);
      const rv = target?.metadata?.resourceVersion;
      if (state.intact && rv) this.verified.set(meta.uid, rv);
    }
    const decision = needsRefresh({ spec, status: previous, syncVersion, target: state, now, dueAt });
    // A wave may have read this one a little ahead of its due time: it refreshes now with those reads.
    const prefetched: Prefetched | undefined = mainClient ? this.waves?.take(mainClient, meta.uid, syncVersion) : undefined;
    if (!decision.refresh && !prefetched) {
      return decision.nextInMs === undefined ? undefined : { requeueAfterMs: Math.max(MIN_REQUEUE_MS, decision.nextInMs) };
    }
    ctx.log.debug({ why: decision.refresh ? decision.why : "read ahead in a refresh wave", wave: prefetched !== undefined }, "refreshing");
    if (prefetched && mainRef) clients.set(refKey(mainRef), prefetched.client);
    const readAt = prefetched?.readAt;

    // Fetch.
    let fetched: Fetched;
    try {
      fetched = await this.fetch(spec, clients, meta.namespace);
    } catch (err) {
      return await this.fail(finish, err, "could not get secret data from provider");
    }

    // Deletion policy when the provider no longer has the secrets. As ESO: entries whose remote
    // secret is gone are skipped unless deletionPolicy is Retain; if nothing is left, Delete removes
    // the Secret and Retain leaves it as it is; Merge goes on and drops only the keys it wrote.
    const requested = spec.data.length + spec.dataFrom.length;
    const policy = spec.target.deletionPolicy;
    if (fetched.missing.length > 0 && policy === "Retain") {
      return await this.fail(finish, new SecretNotFound(`secret ${fetched.missing.map((m) => m.key).join(", ")} not found in provider`), "could not get secret data from provider");
    }
    for (const m of fetched.missing) {
      const note = m.field === "data" ? `secret does not exist at provider using spec.data[${m.index}] (key=${m.key})` : `secret does not exist at provider using spec.dataFrom[${m.index}]`;
      await recordEvent(kube, ctx.log, es, { type: "Normal", reason: "MissingProviderSecret", note });
    }
    if (requested > 0 && Object.keys(fetched.data).length === 0 && policy !== "Merge") {
      if (policy === "Delete" && spec.target.creationPolicy !== "Owner") {
        const problem = new ReportedError("InvalidSpec", `unable to delete secret ${targetName}: creationPolicy=${spec.target.creationPolicy} is not Owner`, false);
        return await this.fail(finish, problem, "could not delete secret");
      }
      if (policy === "Delete" && (target ?? targetMeta)) {
        await kube.delete(resources.secret, meta.namespace, targetName);
        await recordEvent(kube, ctx.log, es, { type: "Normal", reason: "Deleted", note: "secret deleted due to DeletionPolicy=Delete" });
      }
      await finish(policy === "Delete" ? { kind: "deleted", ...(readAt ? { readAt } : {}) } : { kind: "synced", targetName, retained: true, ...(readAt ? { readAt } : {}) });
      return this.requeue(spec, dueAt, readAt ?? now);
    }

    // Template. Provider values reach it as bytes and leave it as bytes (Go strings); values no
    // template transforms are copied byte for byte.
    let rendered = { data: base64Map(fetched.data), labels: {} as Record<string, string>, annotations: {} as Record<string, string>, type: undefined as string | undefined };
    const template = spec.target.template;
    if (template) {
      try {
        const lookups = new Map<string, Record<string, string>>();
        await this.prefetchTemplateSources(template.templateFrom, meta.namespace, lookups);
        const resolved = { ...template, templateFrom: resolveTemplateFrom(template.templateFrom, (kind, name) => lookups.get(`${kind}/${name}`) ?? {}) };
        // On the template thread when there is one: key generation and big renders stay off the event loop.
        const out = this.options.templates
          ? await this.options.templates.renderEso({ template: resolved, data: fetched.data, now })
          : renderEsoTemplate({ template: resolved, data: fetched.data, options: { now: () => now } });
        // ESO keeps the provider data when mergePolicy is Merge or the template renders no data
        // (only type or metadata), so such a template changes the Secret's shape, not its keys.
        const keepsProviderData = template.mergePolicy === "Merge" || (Object.keys(template.data ?? {}).length === 0 && template.templateFrom.length === 0);
        const data: Record<string, string> = keepsProviderData ? base64Map(fetched.data) : {};
        for (const [k, v] of Object.entries(out.data)) data[k] = Buffer.from(goStringToBytes(v)).toString("base64");
        rendered = { data, labels: out.labels, annotations: out.annotations, type: template.type };
      } catch (err) {
        if (err instanceof EsoTemplateError || err instanceof TemplateSourceError || err instanceof TemplateRenderStopped) {
          await finish({ kind: "error", reason: "TemplateFailed", message: err.message });
          return;
        }
        throw err;
      }
    }

    // Write the target, as this ExternalSecret's field manager (ESO's), so the keys it wrote can be
    // told from the others next time.
    if (targetMeta && !target) target = await this.readTarget(meta.namespace, targetName);
    if (spec.target.creationPolicy !== "None") {
      if (spec.target.creationPolicy === "Merge" && !target) {
        // Nothing to merge into: ESO waits for the next refresh without an error.
        await finish({ kind: "missing", ...(readAt ? { readAt } : {}) });
        return this.requeue(spec, dueAt, readAt ?? now);
      }
      const foreign = spec.target.creationPolicy === "Owner" ? foreignController(target, meta.uid) : undefined;
      if (foreign !== undefined) {
        // ESO's SetControllerReference refuses the same way (AlreadyOwnedError): never take it over.
        return await this.fail(finish, new ReportedError("SecretOwnedByOther", `secret ${targetName} is controlled by ${foreign}; creationPolicy Owner does not take over a Secret another controller owns (use Merge, or remove that owner)`, false), "could not update secret");
      }
      const fieldManager = fieldManagerFor(meta.name);
      const managed = target ? managedKeys(target, fieldManager) : NO_MANAGED_KEYS;
      const nextData = targetData({ policy: spec.target.creationPolicy, existing: target, managed, rendered: rendered.data });
      if (target?.["immutable"] === true && JSON.stringify(sorted(stringRecord(target["data"]))) !== JSON.stringify(sorted(nextData))) {
        return await this.fail(finish, new ReportedError("TargetImmutable", `secret ${targetName} is immutable; delete it so it can be recreated`, false), "could not update secret");
      }
      const desired = desiredSecret({
        es: meta,
        spec,
        rendered: { data: rendered.data, labels: rendered.labels, annotations: rendered.annotations, ...(rendered.type ? { type: rendered.type } : {}) },
        existing: target,
        managed,
        hasTemplate: template !== undefined,
        ...(this.options.hashKey ? { hashKey: this.options.hashKey } : {}),
      });
      const size = desired ? secretDataSize(desired) : undefined;
      if (size && size.bytes > MAX_SECRET_DATA_BYTES) {
        return await this.fail(finish, new ReportedError("SecretTooLarge", `the Secret would hold ${size.bytes} bytes of data; Kubernetes allows ${MAX_SECRET_DATA_BYTES} (largest: ${size.largest.join(", ")})`, false), "could not update secret");
      }
      if (desired) {
        try {
          const written = target ? await kube.replace(resources.secret, desired, { fieldManager }) : await kube.create(resources.secret, desired, { fieldManager });
          const rv = written.metadata?.resourceVersion;
          if (rv) this.verified.set(meta.uid, rv);
        } catch (err) {
          if (isConflict(err)) throw err; // retried with backoff; the next attempt re-reads
          return await this.fail(finish, err, "could not update secret");
        }
        await recordEvent(kube, ctx.log, es, { type: "Normal", reason: target ? "Updated" : "Created", note: target ? "secret updated" : "secret created" });
      }
    }
    await finish({ kind: "synced", targetName, ...(readAt ? { readAt } : {}) });
    return this.requeue(spec, dueAt, readAt ?? now);
  }

  private get jitterFraction(): number {
    return this.options.refreshJitter ?? 0.1;
  }

  /** The next periodic refresh, from the refresh time just recorded (whole seconds, as in status). */
  private requeue(spec: ExternalSecretSpec, dueAt: (refreshTime: number, intervalMs: number) => number, readAt: Date): ProcessResult | undefined {
    if (spec.refreshPolicy !== "Periodic" || spec.refreshIntervalMs <= 0) return undefined;
    const recorded = Math.floor(readAt.getTime() / 1000) * 1000;
    return { requeueAfterMs: Math.max(MIN_REQUEUE_MS, dueAt(recorded, spec.refreshIntervalMs) - this.now().getTime()) };
  }

  /** Starts a refresh wave on the store if this ExternalSecret's refresh is due (by its status). */
  private startWave(es: KubeObject, spec: ExternalSecretSpec, store: StoreRef, key: string, client: SecretsClient, now: Date): void {
    const batching = client.readBatching;
    const list = this.options.cachedExternalSecrets;
    if (!this.waves || !batching || !list) return;
    const jitter = this.jitterFraction;
    const trigger = waveCandidateOf({ obj: es, spec, store, storeKey: key, batching, jitter, includeFailing: true });
    if (!trigger || trigger.dueAt > now.getTime()) return;
    const namespace = es.metadata?.namespace ?? "";
    this.waves.start({
      client,
      trigger,
      horizonMs: waveHorizonMs(spec.refreshIntervalMs),
      // Same namespace only: a ClusterSecretStore's client may be per namespace (referent auth).
      candidates: () => {
        const out: WaveCandidate[] = [];
        for (const obj of list(namespace)) {
          const other = this.specOf(obj);
          const uid = obj.metadata?.uid;
          const known = uid === undefined ? undefined : this.lastRefresh.get(uid);
          const c = other && waveCandidateOf({ obj, spec: other, store, storeKey: key, batching, jitter, ...(known ? { knownRefresh: known } : {}) });
          if (c) out.push(c);
        }
        return out;
      },
    });
  }

  private specOf(obj: KubeObject): ExternalSecretSpec | undefined {
    let spec = this.specs.get(obj);
    if (spec === undefined) {
      try {
        spec = parseExternalSecretSpec(obj["spec"]);
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        spec = null;
      }
      this.specs.set(obj, spec);
    }
    return spec ?? undefined;
  }

  /** Reports an error in status (never touching the Secret) and rethrows it for backoff. */
  private async fail(finish: (o: Outcome) => Promise<void>, err: unknown, context: string): Promise<never> {
    const reason = reasonOf(err);
    const message = `${context}: ${err instanceof Error ? err.message : String(err)}`;
    await finish({ kind: "error", reason, message });
    throw new ReportedError(reason, message, retryableOf(err));
  }

  private async fetch(spec: ExternalSecretSpec, clients: Map<string, SecretsClient>, namespace: string): Promise<Fetched> {
    const clientFor = (ref: StoreRef | undefined): SecretsClient => {
      const c = clients.get(refKey(ref ?? spec.storeRef));
      if (!c) throw new SpecError("no store for this entry");
      return c;
    };
    const missing: MissingEntry[] = [];
    const tolerate = spec.target.deletionPolicy !== "Retain";
    const guard = async <T>(what: MissingEntry, p: Promise<T>): Promise<T | undefined> => {
      try {
        return await p;
      } catch (err) {
        if (err instanceof SecretNotFound && tolerate) {
          missing.push(what);
          return undefined;
        }
        if (err instanceof SecretNotFound) missing.push(what);
        throw err;
      }
    };
    // All reads start together, so the AWS client coalesces them into batch calls.
    const dataFromResults = spec.dataFrom.map((item, index) =>
      "generatorRef" in item ? this.generate(item.generatorRef, item.rewrite, namespace) : guard({ field: "dataFrom", index, key: describe(item) }, this.fetchDataFrom(item, clientFor(item.storeRef))),
    );
    const dataResults = spec.data.map((item, index) =>
      guard({ field: "data", index, key: item.remoteRef.key }, clientFor(item.storeRef).getSecret({
        key: item.remoteRef.key,
        ...(item.remoteRef.property ? { property: item.remoteRef.property } : {}),
        ...(item.remoteRef.version ? { version: item.remoteRef.version } : {}),
        metadataPolicy: item.remoteRef.metadataPolicy,
      })),
    );
    const [fromSettled, dataSettled] = await Promise.all([Promise.allSettled(dataFromResults), Promise.allSettled(dataResults)]);
    const failure = [...fromSettled, ...dataSettled].find((s) => s.status === "rejected");
    if (failure) throw failure.reason;
    const out: Record<string, Uint8Array> = {};
    // dataFrom first, in order; data[] wins over dataFrom for the same key (as ESO).
    for (const r of fromSettled) if (r.status === "fulfilled" && r.value) Object.assign(out, r.value);
    spec.data.forEach((item, i) => {
      const r = dataSettled[i];
      if (r?.status === "fulfilled" && r.value) out[item.secretKey] = decodeValue(r.value, item.remoteRef.decodingStrategy, item.secretKey);
    });
    return { data: out, missing, found: fromSettled.length + dataSettled.length - missing.length };
  }

  /**
   * A dataFrom generator entry (ESO's handleGenerateSecrets): the generator's values, keys rewritten,
   * then checked. Runs only inside a refresh, so a value changes only when the ExternalSecret refreshes.
   */
  private async generate(ref: GeneratorRef, rewrite: DataFromItem["rewrite"], namespace: string): Promise<Record<string, Uint8Array>> {
    const group = ref.apiVersion.split("/")[0] ?? "";
    if (group !== GENERATORS_GROUP || !ref.apiVersion.includes("/")) {
      throw new GeneratorError("UnsupportedGenerator", `generatorRef may only reference the generators group, but got ${JSON.stringify(ref.apiVersion.slice(0, 100))}`);
    }
    if (ref.kind !== "Password" || ref.apiVersion !== resources.password.group + "/" + resources.password.version) {
      throw new GeneratorError("UnsupportedGenerator", `generator kind ${ref.kind} (${ref.apiVersion.slice(0, 100)}) is not supported by sealbridge; supported: Password (${GENERATORS_GROUP}/v1alpha1)`);
    }
    const obj = await this.options.kube.get(resources.password, namespace, ref.name);
    if (!obj) throw new GeneratorError("GeneratorNotFound", `unable to get generator: Password ${JSON.stringify(ref.name)} not found in namespace ${namespace}`);
    let map: Record<string, Uint8Array>;
    try {
      map = generatePasswords(parsePasswordSpec(obj["spec"]), this.options.randomInt ?? randomInt);
    } catch (err) {
      if (err instanceof SpecError || err instanceof PasswordSpecError) {
        throw new GeneratorError("InvalidGenerator", `error using generator Password ${JSON.stringify(ref.name)}: ${err.message}`);
      }
      throw err;
    }
    map = rewriteKeys(map, rewrite);
    const bad = Object.keys(map).find((k) => !/^[-._a-zA-Z0-9]+$/.test(k));
    if (bad !== undefined) throw new KeyRewriteError(`invalid secret key ${JSON.stringify(bad)}: keys may hold only letters, digits, '-', '_' and '.'`);
    return map;
  }

  private async fetchDataFrom(item: DataFromItem, client: SecretsClient): Promise<Record<string, Uint8Array>> {
    let map: Record<string, Uint8Array>;
    let strategy;
    if ("generatorRef" in item) throw new GeneratorError("UnsupportedGenerator", "a generator entry has no store");
    if ("extract" in item) {
      const r = item.extract;
      map = await client.getSecretMap({
        key: r.key,
        ...(r.property ? { property: r.property } : {}),
        ...(r.version ? { version: r.version } : {}),
        metadataPolicy: r.metadataPolicy,
      });
      strategy = r;
    } else {
      const f = item.find;
      map = await client.findSecrets({
        ...(f.path ? { path: f.path } : {}),
        ...(f.nameRegexp ? { nameRegexp: f.nameRegexp } : {}),
        ...(f.tags ? { tags: f.tags } : {}),
      });
      strategy = f;
    }
    // As ESO: rewrite first; keys are converted only when no rewrite is given, then must be valid.
    map = item.rewrite.length > 0 ? rewriteKeys(map, item.rewrite) : convertKeys(map, strategy.conversionStrategy);
    const bad = Object.keys(map).find((k) => !/^[-._a-zA-Z0-9]+$/.test(k));
    if (bad !== undefined) throw new KeyRewriteError(`invalid secret key ${JSON.stringify(bad)}: keys may hold only letters, digits, '-', '_' and '.'`);
    return decodeValues(map, strategy.decodingStrategy);
  }

  private async prefetchTemplateSources(
    from: readonly { configMap?: { name: string }; secret?: { name: string } }[],
    namespace: string,
    into: Map<string, Record<string, string>>,
  ): Promise<void> {
    for (const f of from) {
      if (f.configMap) {
        const cm = await this.options.kube.get(resources.configMap, namespace, f.configMap.name);
        if (!cm) throw new TemplateSourceError(`ConfigMap ${f.configMap.name} for templateFrom not found`);
        into.set(`configMap/${f.configMap.name}`, stringRecord(cm["data"]));
      }
      if (f.secret) {
        const s = await this.options.kube.get(resources.secret, namespace, f.secret.name);
        if (!s) throw new TemplateSourceError(`Secret ${f.secret.name} for templateFrom not found`);
        const decoded: Record<string, string> = {};
        for (const [k, v] of Object.entries(stringRecord(s["data"]))) decoded[k] = Buffer.from(v, "base64").toString("utf8");
        into.set(`secret/${f.secret.name}`, decoded);
      }
    }
  }

  private async writeStatus(es: KubeObject, status: object): Promise<void> {
    const { kube } = this.options;
    try {
      await kube.replaceStatus(resources.externalSecret, { ...es, status });
    } catch (err) {
      if (!isConflict(err)) throw err;
      // The object moved on (e.g. an annotation changed): the watch event re-queues it.
    }
  }
}

/** An entry whose remote secret does not exist (names only, never values). */
interface MissingEntry {
  field: "data" | "dataFrom";
  index: number;
  key: string;
}

/** "<Kind> <name>" of the Secret's controller when it is not this ExternalSecret. */
function foreignController(secret: KubeObject | undefined, uid: string): string | undefined {
  const owner = secret?.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (owner === undefined || owner.uid === uid) return undefined;
  return `${owner.kind} ${owner.name}`;
}

interface Fetched {
  data: Record<string, Uint8Array>;
  missing: MissingEntry[];
  found: number;
}

class TemplateSourceError extends Error {
  override readonly name = "TemplateSourceError";
}

/** A generatorRef that cannot be used: the status names the generator (never a generated value). */
class GeneratorError extends Error {
  override readonly name = "GeneratorError";
  readonly reason: "GeneratorNotFound" | "UnsupportedGenerator" | "InvalidGenerator";
  // A missing or invalid generator is fixed by creating or editing it, which the Password watch
  // notices; a retry loop would change nothing.
  readonly retryable = false;
  constructor(reason: GeneratorError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

function generatorKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}

function storeRefsOf(spec: ExternalSecretSpec): StoreRef[] {
  const refs = new Map<string, StoreRef>();
  const add = (r: StoreRef | undefined) => {
    if (r) refs.set(refKey(r), r);
  };
  if (spec.data.some((d) => !d.storeRef) || spec.dataFrom.some((d) => !("generatorRef" in d) && !d.storeRef)) add(spec.storeRef);
  for (const d of spec.data) add(d.storeRef);
  for (const d of spec.dataFrom) add(d.storeRef);
  return [...refs.values()];
}

function refKey(ref: StoreRef | undefined): string {
  return ref ? `${ref.kind}/${ref.name}` : "";
}

function describe(item: DataFromItem): string {
  if ("generatorRef" in item) return `generator ${item.generatorRef.kind}/${item.generatorRef.name}`;
  return "extract" in item ? item.extract.key : `find ${JSON.stringify(item.find)}`;
}

function base64Map(data: Readonly<Record<string, Uint8Array>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v).toString("base64");
  return out;
}

function sorted(r: Record<string, string>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function reasonOf(err: unknown): string {
  if (err instanceof ProviderError || err instanceof ReportedError || err instanceof KeyRewriteError || err instanceof DecodingError || err instanceof GeneratorError) return err.reason;
  if (err instanceof SpecError) return "InvalidSpec";
  return "InternalError";
}

function retryableOf(err: unknown): boolean {
  if (err instanceof ProviderError || err instanceof ReportedError) return err.retryable;
  if (err instanceof KeyRewriteError || err instanceof DecodingError || err instanceof SpecError || err instanceof GeneratorError) return false;
  return true;
}
