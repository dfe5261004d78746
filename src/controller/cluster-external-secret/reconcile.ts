// The ClusterExternalSecret reconciler (ESO's semantics): one ExternalSecret per selected namespace,
// created, updated and removed as namespaces come, change labels and go. Namespaces come from the
// shared metadata-only Namespace cache, ExternalSecrets from the ExternalSecret reconciler's cache.
// A broken spec changes nothing in the namespaces; it is reported in status.
import { parseClusterExternalSecretSpec, type ClusterExternalSecretSpec } from "../../api/cluster-external-secret.ts";
import { SpecError } from "../../api/eso-fields.ts";
import { resources } from "../../api/resources.ts";
import { isConflict, isNotFound, type KubeObject, type KubePort } from "../../kube/port.ts";
import type { ReconcileContext, Reconciler, SecondaryWatch } from "../controller.ts";
import type { ObjectKey } from "../object-key.ts";
import type { ProcessResult } from "../queue.ts";
import {
  CES_FINALIZER,
  REASON_EXISTS,
  cesStatusEqual,
  desiredExternalSecret,
  externalSecretNameOf,
  isOwnedBy,
  namespaceFinalizer,
  namespaceInfo,
  nextCesStatus,
  parseCesStatus,
  selects,
  type CesMeta,
  type CesOutcome,
  type CesStatus,
  type NamespaceInfo,
} from "./plan.ts";

export interface ClusterExternalSecretReconcilerOptions {
  kube: KubePort;
  now?: () => Date;
  /** The ClusterExternalSecrets in the cache (to map a namespace or ExternalSecret event to them). */
  cached: () => readonly KubeObject[];
}

/** A failure already reported in status; rethrown so the queue retries (conflicts) with backoff. */
class RetryLater extends Error {
  override readonly name = "RetryLater";
  readonly reason = "Conflict";
  readonly retryable = true;
}

export class ClusterExternalSecretReconciler implements Reconciler {
  readonly name = "clusterexternalsecret";
  readonly resource = resources.clusterExternalSecret;
  readonly secondary: readonly SecondaryWatch[];
  private readonly options: ClusterExternalSecretReconcilerOptions;
  private readonly now: () => Date;

  constructor(options: ClusterExternalSecretReconcilerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.secondary = [
      {
        // Namespaces as metadata only: names, labels, deletion and finalizers are all we read.
        resource: resources.namespace,
        metadataOnly: true,
        keysFor: (ns) => this.keysForNamespace(ns),
      },
      {
        // The ExternalSecret reconciler's cache: an edited or deleted ExternalSecret is restored, and
        // a foreign one going away frees its namespace.
        resource: resources.externalSecret,
        dropLastApplied: true,
        keysFor: (es) => this.keysForExternalSecret(es),
      },
    ];
  }

  private keysForNamespace(obj: KubeObject): string[] {
    const ns = namespaceInfo(obj);
    if (!ns) return [];
    const out: string[] = [];
    for (const ces of this.options.cached()) {
      const name = ces.metadata?.name;
      if (!name) continue;
      const status = parseCesStatus(ces["status"]);
      const listed = status?.provisionedNamespaces?.includes(ns.name) || status?.failedNamespaces?.some((f) => f.namespace === ns.name);
      if (listed || ns.finalizers.includes(namespaceFinalizer(name)) || this.selectsCached(ces, ns)) out.push(name);
    }
    return out;
  }

  private keysForExternalSecret(es: KubeObject): string[] {
    const owner = es.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === "ClusterExternalSecret");
    if (owner) return [owner.name];
    const namespace = es.metadata?.namespace ?? "";
    const out: string[] = [];
    for (const ces of this.options.cached()) {
      const status = parseCesStatus(ces["status"]);
      const name = ces.metadata?.name;
      if (name && status?.externalSecretName === es.metadata?.name && status?.failedNamespaces?.some((f) => f.namespace === namespace)) out.push(name);
    }
    return out;
  }

  private selectsCached(ces: KubeObject, ns: NamespaceInfo): boolean {
    try {
      return selects(parseClusterExternalSecretSpec(ces["spec"]), ns);
    } catch (err) {
      if (err instanceof SpecError) return false;
      throw err;
    }
  }

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void> {
    const { kube } = this.options;
    let ces = ctx.cached(key) ?? (await kube.get(resources.clusterExternalSecret, undefined, key.name));
    const meta = ces?.metadata;
    if (!ces || !meta?.name || !meta.uid) return;
    const previous = parseCesStatus(ces["status"]);
    if (meta.deletionTimestamp) {
      await this.cleanup(ces, previous, ctx);
      return;
    }
    if (!(meta.finalizers ?? []).includes(CES_FINALIZER)) {
      ces = await kube.patch(resources.clusterExternalSecret, undefined, meta.name, {
        metadata: { finalizers: [...(meta.finalizers ?? []), CES_FINALIZER], resourceVersion: meta.resourceVersion },
      }, "merge");
    }
    const cesMeta: CesMeta = { name: meta.name, uid: meta.uid, annotations: meta.annotations ?? {} };
    const now = this.now();

    let spec: ClusterExternalSecretSpec;
    try {
      spec = parseClusterExternalSecretSpec(ces["spec"]);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      await this.finish(ces, previous, { kind: "invalid", message: err.message }, now);
      return;
    }

    const esName = externalSecretNameOf(cesMeta, spec);
    const failed = new Map<string, string>();
    // The name changed: the ExternalSecrets of the old name go (ESO's removeOldSecrets).
    const prevName = previous?.externalSecretName;
    if (prevName && prevName !== esName) {
      for (const ns of previous.provisionedNamespaces ?? []) {
        const problem = await this.removeExternalSecret(ctx, ns, prevName, cesMeta.name);
        if (problem) failed.set(ns, problem);
      }
    }

    const namespaces = this.namespaces(ctx);
    const selected = namespaces.filter((ns) => selects(spec, ns));
    const selectedNames = new Set(selected.map((ns) => ns.name));
    // Namespaces no longer selected lose their ExternalSecret and our finalizer.
    for (const ns of previous?.provisionedNamespaces ?? []) {
      if (selectedNames.has(ns)) continue;
      const problem = await this.removeExternalSecret(ctx, ns, esName, cesMeta.name);
      if (problem) failed.set(ns, problem);
      else await this.dropNamespaceFinalizer(ctx, ns, cesMeta.name);
    }
    const provisioned: string[] = [];
    let conflict = false;
    for (const ns of selected) {
      if (ns.terminating) {
        // Let the namespace go; its ExternalSecret goes with it.
        await this.dropNamespaceFinalizer(ctx, ns.name, cesMeta.name);
        continue;
      }
      try {
        // The cache may not have an ExternalSecret created a moment ago: ask before creating.
        const existing = ctx.cachedSecondary(resources.externalSecret, { namespace: ns.name, name: esName }) ??
          (await kube.get(resources.externalSecret, ns.name, esName));
        if (existing && !isOwnedBy(existing, cesMeta.name)) {
          failed.set(ns.name, REASON_EXISTS);
          continue;
        }
        await this.addNamespaceFinalizer(ns, cesMeta.name);
        const desired = desiredExternalSecret({ ces: cesMeta, spec, namespace: ns.name, existing });
        if (desired) {
          if (existing) await kube.replace(resources.externalSecret, desired);
          else await kube.create(resources.externalSecret, desired);
          ctx.log.debug({ namespace: ns.name, name: esName, created: !existing }, existing ? "ExternalSecret updated" : "ExternalSecret created");
        }
        provisioned.push(ns.name);
      } catch (err) {
        if (isConflict(err)) conflict = true;
        else failed.set(ns.name, messageOf(err));
      }
    }
    // A conflict (a stale cache, someone else's write) is retried with backoff, as ESO does; the
    // status waits for that attempt, which re-reads everything.
    if (conflict) throw new RetryLater("a write conflicted; retrying");
    await this.finish(ces, previous, { kind: "provisioned", externalSecretName: esName, provisioned, failed }, now);
    return spec.refreshIntervalMs > 0 ? { requeueAfterMs: spec.refreshIntervalMs } : undefined;
  }

  private namespaces(ctx: ReconcileContext): NamespaceInfo[] {
    return ctx.listSecondary(resources.namespace).flatMap((o) => {
      const ns = namespaceInfo(o);
      return ns ? [ns] : [];
    });
  }

  /** Deletes the ExternalSecret if it is ours; returns why not when that failed. */
  private async removeExternalSecret(ctx: ReconcileContext, namespace: string, name: string, cesName: string): Promise<string | undefined> {
    const existing = ctx.cachedSecondary(resources.externalSecret, { namespace, name }) ?? (await this.options.kube.get(resources.externalSecret, namespace, name));
    if (!existing || !isOwnedBy(existing, cesName)) return undefined;
    try {
      await this.options.kube.delete(resources.externalSecret, namespace, name);
      ctx.log.debug({ namespace, name }, "ExternalSecret removed");
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      return `external secret in non matching namespace could not be deleted: ${messageOf(err)}`;
    }
  }

  private async addNamespaceFinalizer(ns: NamespaceInfo, cesName: string): Promise<void> {
    const finalizer = namespaceFinalizer(cesName);
    if (ns.finalizers.includes(finalizer)) return;
    await this.options.kube.patch(resources.namespace, undefined, ns.name, {
      metadata: { finalizers: [...ns.finalizers, finalizer], ...(ns.resourceVersion ? { resourceVersion: ns.resourceVersion } : {}) },
    }, "merge");
  }

  private async dropNamespaceFinalizer(ctx: ReconcileContext, namespace: string, cesName: string): Promise<void> {
    const finalizer = namespaceFinalizer(cesName);
    const cached = ctx.cachedSecondary(resources.namespace, { name: namespace });
    const ns = cached ? namespaceInfo(cached) : undefined;
    if (!ns || !ns.finalizers.includes(finalizer)) return;
    try {
      await this.options.kube.patch(resources.namespace, undefined, namespace, {
        metadata: { finalizers: ns.finalizers.filter((f) => f !== finalizer), ...(ns.resourceVersion ? { resourceVersion: ns.resourceVersion } : {}) },
      }, "merge");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Deletion: our ExternalSecrets and namespace finalizers go, then our finalizer (ESO's cleanup). */
  private async cleanup(ces: KubeObject, previous: CesStatus | undefined, ctx: ReconcileContext): Promise<void> {
    const meta = ces.metadata;
    if (!meta?.name || !(meta.finalizers ?? []).includes(CES_FINALIZER)) return;
    const esName = previous?.externalSecretName ?? meta.name;
    for (const ns of previous?.provisionedNamespaces ?? []) {
      await this.dropNamespaceFinalizer(ctx, ns, meta.name);
      const problem = await this.removeExternalSecret(ctx, ns, esName, meta.name);
      if (problem) throw new Error(problem);
    }
    try {
      await this.options.kube.patch(resources.clusterExternalSecret, undefined, meta.name, {
        metadata: { finalizers: (meta.finalizers ?? []).filter((f) => f !== CES_FINALIZER), resourceVersion: meta.resourceVersion },
      }, "merge");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async finish(ces: KubeObject, previous: CesStatus | undefined, outcome: CesOutcome, now: Date): Promise<void> {
    const status = nextCesStatus(previous, outcome, now);
    if (cesStatusEqual(previous, status)) return;
    try {
      await this.options.kube.replaceStatus(resources.clusterExternalSecret, { ...ces, status });
    } catch (err) {
      if (!isConflict(err)) throw err;
      throw new RetryLater("status write conflicted; retrying");
    }
  }
}

/** An API error's message, cut short: it lands in status (API errors carry no secret values). */
function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
