// When an ExternalSecret refreshes: its due time (interval, stable per-object jitter, the store's
// slot grid: refresh-wave.ts), the requeue after a refresh, and refresh waves on a batching store
// (AWS), which read every due ExternalSecret of the store together (refresh-waves.ts). The controller
// keeps its own record of its last refresh per object, because the informer's copy of a status lags
// the write a little.
import { SpecError } from "../../api/eso-fields.ts";
import { parseExternalSecretSpec, type ExternalSecretSpec, type StoreRef } from "../../api/external-secret.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { SecretsClient } from "../../providers/provider.ts";
import type { ProcessResult } from "../queue.ts";
import { RefreshWaves, refreshDueAt, waveCandidateOf, waveHorizonMs, type Prefetched, type WaveCandidate } from "./refresh-wave.ts";

/** Requeue delays below this are rounded up (status times have one-second resolution). */
const MIN_REQUEUE_MS = 250;

export type DueAt = (refreshTime: number, intervalMs: number) => number;

export interface RefreshScheduleOptions {
  now: () => Date;
  /** Fraction of the interval added (per object, stably) so objects created together do not refresh together. */
  jitter?: number;
  /**
   * The ExternalSecrets in the informer cache of a namespace, and a way to queue one: with both, a
   * refresh on a batching store (AWS) reads every due ExternalSecret of that store in one wave.
   */
  cachedExternalSecrets?: (namespace: string) => readonly KubeObject[];
  enqueue?: (key: string) => void;
  onWave?: (info: { members: number; ids: number; batches: number }) => void;
}

export class RefreshSchedule {
  private readonly options: RefreshScheduleOptions;
  private readonly waves: RefreshWaves | undefined;
  /** Parsed specs of cached objects (an informer replaces the object when it changes). */
  private readonly specs = new WeakMap<KubeObject, ExternalSecretSpec | null>();
  /** Our own last refresh per uid: the informer's copy of a status lags the write a little. */
  private readonly lastRefresh = new Map<string, { syncVersion: string; refreshTime: string }>();

  constructor(options: RefreshScheduleOptions) {
    this.options = options;
    const enqueue = options.enqueue;
    this.waves = options.cachedExternalSecrets && enqueue
      ? new RefreshWaves({ now: () => this.options.now().getTime(), enqueue, ...(options.onWave ? { onWave: options.onWave } : {}) })
      : undefined;
  }

  private get jitter(): number {
    return this.options.jitter ?? 0.1;
  }

  /** When a periodic refresh after `refreshTime` is due for this object on this store. */
  dueAt(uid: string, storeKey: string): DueAt {
    return (refreshTime, intervalMs) => refreshDueAt({ refreshTime, intervalMs, uid, storeKey, jitter: this.jitter });
  }

  /** Records a refresh this process made (status written or not). */
  refreshed(uid: string, syncVersion: string, refreshTime: string): void {
    this.lastRefresh.set(uid, { syncVersion, refreshTime });
  }

  /** This process's last refresh of `uid`, if it made one. */
  ownRefresh(uid: string): { syncVersion: string; refreshTime: string } | undefined {
    return this.lastRefresh.get(uid);
  }

  forget(uid: string): void {
    this.lastRefresh.delete(uid);
  }

  /** A requeue after `nextInMs` (none when undefined). */
  wait(nextInMs: number | undefined): ProcessResult | undefined {
    return nextInMs === undefined ? undefined : { requeueAfterMs: Math.max(MIN_REQUEUE_MS, nextInMs) };
  }

  /** The next periodic refresh, from the refresh time just recorded (whole seconds, as in status). */
  next(spec: ExternalSecretSpec, dueAt: DueAt, readAt: Date): ProcessResult | undefined {
    if (spec.refreshPolicy !== "Periodic" || spec.refreshIntervalMs <= 0) return undefined;
    const recorded = Math.floor(readAt.getTime() / 1000) * 1000;
    return { requeueAfterMs: Math.max(MIN_REQUEUE_MS, dueAt(recorded, spec.refreshIntervalMs) - this.options.now().getTime()) };
  }

  /** Starts a refresh wave on the store if this ExternalSecret's refresh is due (by its status). */
  startWave(es: KubeObject, spec: ExternalSecretSpec, store: StoreRef, key: string, client: SecretsClient, now: Date): void {
    const batching = client.readBatching;
    const list = this.options.cachedExternalSecrets;
    if (!this.waves || !batching || !list) return;
    const jitter = this.jitter;
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

  /** The reads a wave made ahead for this object (once), as a client that serves them first. */
  take(client: SecretsClient, uid: string, syncVersion: string): Prefetched | undefined {
    return this.waves?.take(client, uid, syncVersion);
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
}
