// Leader election through a coordination.k8s.io/v1 Lease, in the manner of client-go's
// leaderelection: only the holder runs the reconcilers; others watch the lease and take over once it
// has not been renewed for a lease duration. Expiry is judged by *our* clock from the moment we last
// saw the lease change (never by comparing the holder's timestamps with our clock), so clock skew
// between replicas cannot cause two leaders.
import { resources } from "../api/resources.ts";
import type { Logger } from "../log.ts";
import { isConflict, isNotFound, type KubeObject, type KubePort } from "../kube/port.ts";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const defaultTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** What we last saw of the lease, and when (by our clock). */
export interface Observation {
  spec: LeaseSpec;
  resourceVersion: string | undefined;
  observedAt: number;
}

export type Decision = "create" | "take" | "renew" | "wait";

/** Pure: what to do with the lease now. */
export function decide(observation: Observation | undefined, previous: Observation | undefined, identity: string, now: number, leaseDurationMs: number): Decision {
  if (!observation) return "create";
  const holder = observation.spec.holderIdentity ?? "";
  if (holder === identity) return "renew";
  if (holder === "") return "take";
  // The lease is held by someone else: it has expired only if it has not changed for a lease
  // duration as measured by our clock since we first saw this version.
  const sameAsBefore = previous !== undefined && previous.resourceVersion === observation.resourceVersion;
  const since = sameAsBefore ? previous.observedAt : observation.observedAt;
  const duration = (observation.spec.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
  return now - since >= duration ? "take" : "wait";
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}

export interface LeaderCallbacks {
  onStartedLeading(): Promise<void> | void;
  /** Leadership lost (renew deadline passed) — the process should stop reconciling at once. */
  onStoppedLeading(): Promise<void> | void;
}

export class LeaderElector {
  private readonly kube: KubePort;
  private readonly config: LeaderElectionConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private last: Observation | undefined;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;
  private wake: (() => void) | undefined;

  constructor(kube: KubePort, config: LeaderElectionConfig, log: Logger, now: () => number = Date.now) {
    this.kube = kube;
    this.config = config;
    this.log = log.child({ lease: `${config.namespace}/${config.name}`, identity: config.identity });
    this.now = now;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Runs until stop(): campaigns, then renews; calls back on gaining and losing leadership. */
  async run(callbacks: LeaderCallbacks): Promise<void> {
    while (!this.stopped) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.log.warn({ error: err instanceof Error ? err.message : String(err) }, "lease update failed");
      }
      const now = this.now();
      if (ok) {
        this.lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.log.info("became leader");
          await callbacks.onStartedLeading();
        }
      } else if (this.leading && now - this.lastRenew > this.config.renewDeadlineMs) {
        this.leading = false;
        this.log.warn("lost leadership: lease not renewed within the renew deadline");
        await callbacks.onStoppedLeading();
      }
      await this.sleep(this.config.retryPeriodMs);
    }
  }

  /** Stops campaigning; a leader releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.kube.get(resources.lease, this.config.namespace, this.config.name);
      const spec = (lease?.["spec"] ?? {}) as LeaseSpec;
      if (lease && spec.holderIdentity === this.config.identity) {
        await this.kube.replace(resources.lease, {
          ...lease,
          spec: { ...spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(this.now()) },
        });
        this.log.info("released the lease");
      }
    } catch (err) {
      this.log.warn({ error: err instanceof Error ? err.message : String(err) }, "could not release the lease");
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.config;
    const now = this.now();
    const lease = await this.kube.get(resources.lease, namespace, name);
    const observation = lease ? observe(lease, now) : undefined;
    const decision = decide(observation, this.last, identity, now, this.config.leaseDurationMs);
    if (observation && (!this.last || this.last.resourceVersion !== observation.resourceVersion)) this.last = observation;
    if (decision === "wait") return false;
    const seconds = Math.ceil(this.config.leaseDurationMs / 1000);
    const spec: LeaseSpec =
      decision === "renew" && observation
        ? { ...observation.spec, renewTime: microTime(now), leaseDurationSeconds: seconds }
        : {
            holderIdentity: identity,
            leaseDurationSeconds: seconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: (observation?.spec.leaseTransitions ?? -1) + 1,
          };
    try {
      const written =
        decision === "create"
          ? await this.kube.create(resources.lease, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec })
          : await this.kube.replace(resources.lease, { ...(lease as KubeObject), spec });
      this.last = observe(written, now);
      return true;
    } catch (err) {
      // Someone else wrote first: not an error, just not us this round.
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  }
}

function observe(lease: KubeObject, now: number): Observation {
  return { spec: (lease["spec"] ?? {}), resourceVersion: lease.metadata?.resourceVersion, observedAt: now };
}
