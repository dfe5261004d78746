// Prometheus metrics (prom-client) in a registry of our own, read when scraped from what each
// reconciler counts, the keyrings and the shared cache. The sources are described here by shape
// only, so this module knows no controller internals. Labels carry kinds, fingerprints, key names
// and reasons, never values.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { countConditions, type ConditionCount } from "../kube/condition-tally.ts";

/** What a reconciler counts (SealedSecretStats has this shape). */
export interface ReconcilerStats {
  reconciles: number;
  unsealed: number;
  skippedDecrypt: number;
  secretReads: number;
  /** Objects read whole because the cache keeps them without ciphertexts (kinds that do so). */
  sourceReads?: number;
  readonly errorsByReason: ReadonlyMap<string, number>;
  readonly writes: Readonly<Record<string, number>>;
  countByReason(): ReadonlyMap<string, number>;
  dependentsByKey(): ReadonlyMap<string, number>;
}

export interface KeyringLike {
  keys: readonly { name: string; fingerprint: string; compromised: boolean }[];
  problems: readonly unknown[];
}

export interface MetricsSources {
  stats: ReconcilerStats;
  keyring: () => KeyringLike;
  pool: { rsaOps: number };
  /** Keys minted by this process. */
  minted: () => number;
  /** Keys whose Secret was deleted without being retired, still loaded until restart. */
  deletedKeys?: () => readonly { name: string; fingerprint: string }[];
}

/** Objects of one kind in the shared cache, counted by their status condition. */
export interface KindSource {
  kind: string;
  /** The condition type that says whether the object is done (Synced, Ready). */
  condition: string;
  /** Walked to count them only where `ProcessSources.conditions` has no counts for the kind. */
  objects: () => Iterable<{ readonly [field: string]: unknown }>;
  stats?: ReconcilerStats;
  /** Watch events dropped by predicates (status-only changes, our own writes). */
  filtered?: () => { status: number; ownWrites: number };
}

export interface ProcessSources {
  kinds: readonly KindSource[];
  cache: () => readonly { resource: string; metadataOnly: boolean; objects: number }[];
  kube?: { requests: Readonly<Record<string, number>>; writes: { throttled: number } };
  /** Counts kept up to date as objects change (the manager's, by kind and condition type): a scrape reads them. */
  conditions?: (kind: string, type: string) => readonly ConditionCount[] | undefined;
}

/** A registry with the process metrics and the per-kind metrics of every reconciler that runs. */
export function processMetrics(sources: ProcessSources, registry = new Registry()): Registry {
  collectDefaultMetrics({ register: registry, prefix: "sealbridge_" });
  new Gauge({
    name: "sealbridge_objects",
    help: "Objects of each kind in the cache, by their condition's status and reason",
    labelNames: ["kind", "condition", "status", "reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const k of sources.kinds) {
        const counts = sources.conditions?.(k.kind, k.condition) ?? countConditions(k.objects(), k.condition);
        for (const c of counts) this.set({ kind: k.kind, condition: k.condition, status: c.status, reason: c.reason }, c.n);
      }
    },
  });
  const perKind = (name: string, help: string, read: (s: ReconcilerStats) => number) =>
    new Counter({
      name,
      help,
      labelNames: ["kind"],
      registers: [registry],
      collect() {
        this.reset();
        for (const k of sources.kinds) if (k.stats) this.inc({ kind: k.kind }, read(k.stats));
      },
    });
  perKind("sealbridge_reconciles_total", "Reconciles run, by kind", (s) => s.reconciles);
  perKind("sealbridge_decrypts_skipped_total", "Reconciles decided from status and the cached Secret metadata, without decrypting", (s) => s.skippedDecrypt);
  perKind("sealbridge_secret_reads_total", "Target Secrets read with their data (the cache holds metadata only)", (s) => s.secretReads);
  perKind("sealbridge_source_reads_total", "Objects read whole to open their values again (the cache keeps synced objects without ciphertexts)", (s) => s.sourceReads ?? 0);
  new Counter({
    name: "sealbridge_reconcile_errors_total",
    help: "Reconciles that ended in a failure condition, by kind and reason",
    labelNames: ["kind", "reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const k of sources.kinds) for (const [reason, n] of k.stats?.errorsByReason ?? []) this.inc({ kind: k.kind, reason }, n);
    },
  });
  new Counter({
    name: "sealbridge_api_writes_total",
    help: "Kubernetes API writes made by each reconciler, by the kind of object written",
    labelNames: ["kind", "object"],
    registers: [registry],
    collect() {
      this.reset();
      for (const k of sources.kinds) for (const [object, n] of Object.entries(k.stats?.writes ?? {})) this.inc({ kind: k.kind, object }, n);
    },
  });
  new Counter({
    name: "sealbridge_watch_events_filtered_total",
    help: "Watch events that woke no reconcile: status-only updates and the controller's own writes",
    labelNames: ["kind", "why"],
    registers: [registry],
    collect() {
      this.reset();
      for (const k of sources.kinds) {
        const f = k.filtered?.();
        if (!f) continue;
        this.inc({ kind: k.kind, why: "status" }, f.status);
        this.inc({ kind: k.kind, why: "own-write" }, f.ownWrites);
      }
    },
  });
  new Gauge({
    name: "sealbridge_cache_objects",
    help: "Objects held by each shared informer",
    labelNames: ["resource", "shape"],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of sources.cache()) this.set({ resource: c.resource, shape: c.metadataOnly ? "metadata" : "full" }, c.objects);
    },
  });
  const kube = sources.kube;
  if (kube) {
    new Counter({
      name: "sealbridge_kube_requests_total",
      help: "Kubernetes API requests made by this process, by method",
      labelNames: ["method"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [method, n] of Object.entries(kube.requests)) this.inc({ method }, n);
      },
    });
    new Counter({
      name: "sealbridge_kube_writes_throttled_total",
      help: "Writes that waited for the client-side rate limit (--kube-api-qps, --kube-api-burst)",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(kube.writes.throttled);
      },
    });
  }
  return registry;
}

/** The SealedSecret metrics (names kept from the first release), added to `registry`. */
export function sealedSecretMetrics(sources: MetricsSources, registry = new Registry()): Registry {
  const { stats } = sources;
  new Counter({
    name: "sealbridge_sealedsecret_unseal_total",
    help: "Secrets created or updated from a SealedSecret",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.unsealed);
    },
  });
  new Counter({
    name: "sealbridge_sealedsecret_unseal_errors_total",
    help: "SealedSecret reconciles that ended in an error, by condition reason",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of stats.errorsByReason) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: "sealbridge_sealedsecret_decrypts_skipped_total",
    help: "Reconciles decided from the target Secret's recorded hash, without any RSA work",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(stats.skippedDecrypt);
    },
  });
  new Counter({
    name: "sealbridge_rsa_decrypt_operations_total",
    help: "RSA private-key operations performed",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.pool.rsaOps);
    },
  });
  new Counter({
    name: "sealbridge_sealedsecret_api_writes_total",
    help: "Kubernetes API writes made by the SealedSecret reconciler, by object kind",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(stats.writes)) this.inc({ kind }, n);
    },
  });
  new Gauge({
    name: "sealbridge_sealedsecrets",
    help: "SealedSecrets by Synced condition reason",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of stats.countByReason()) this.set({ reason }, n);
    },
  });
  new Gauge({
    name: "sealbridge_sealedsecrets_on_compromised_keys",
    help: "SealedSecrets that decrypt only with a key marked compromised (they must be re-sealed)",
    registers: [registry],
    collect() {
      this.set(stats.countByReason().get("SealedWithCompromisedKey") ?? 0);
    },
  });
  new Gauge({
    name: "sealbridge_sealing_key_dependents",
    help: "SealedSecrets whose current Secret was opened with this key (0: the key can be retired)",
    labelNames: ["key", "fingerprint", "compromised"],
    registers: [registry],
    collect() {
      this.reset();
      const dependents = stats.dependentsByKey();
      for (const k of sources.keyring().keys) {
        this.set({ key: k.name, fingerprint: k.fingerprint, compromised: String(k.compromised) }, dependents.get(k.fingerprint) ?? 0);
      }
    },
  });
  new Gauge({
    name: "sealbridge_sealing_keys",
    help: "Sealing keys loaded",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      const ring = sources.keyring();
      this.set({ state: "usable" }, ring.keys.filter((k) => !k.compromised).length);
      this.set({ state: "compromised" }, ring.keys.filter((k) => k.compromised).length);
      this.set({ state: "unloadable" }, ring.problems.length);
    },
  });
  new Gauge({
    name: "sealbridge_sealing_key_secret_deleted",
    help: "Sealing keys whose Secret was deleted without being retired: still loaded, lost at the next restart unless restored",
    labelNames: ["key", "fingerprint"],
    registers: [registry],
    collect() {
      this.reset();
      for (const k of sources.deletedKeys?.() ?? []) this.set({ key: k.name, fingerprint: k.fingerprint }, 1);
    },
  });
  new Counter({
    name: "sealbridge_sealing_keys_generated_total",
    help: "Sealing keys generated by this process",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.minted());
    },
  });
  return registry;
}
