// Leader election through a coordination.k8s.io/v1 Lease, in the manner of client-go's
// leaderelection: only the holder runs the reconcilers; others watch the lease and take over once it
// has not been renewed for a lease duration. Expiry is judged by *our* clock from the moment we last
// saw the lease change (never by comparing the holder's timestamps with our clock), so clock skew
// between replicas cannot cause two leaders.
//
// Why it cannot split: a follower takes over no earlier than a lease duration after it *received* the
// last renewal, and that renewal's request started before the server wrote it. The leader believes in
// its leadership only until that request's start plus the renew deadline, which is shorter than the
// lease duration; past it, isLeader and mayWrite() are false at once (judged by the clock on every
// call, not by a timer that a busy event loop could run late). Every lease request is bounded by a
// timeout, and the callbacks run beside the loop, so neither a hung request nor a slow start can hold
// the loop past the deadline.
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

/** client-go's rules: a leader must give up (renew deadline) before a follower may take over (lease duration). */
export function checkTimings(t: Pick<LeaderElectionConfig, "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs">): void {
  if (!(t.retryPeriodMs > 0 && t.retryPeriodMs < t.renewDeadlineMs && t.renewDeadlineMs < t.leaseDurationMs)) {
    throw new RangeError("leader election timings must satisfy 0 < retry period < renew deadline < lease duration");
  }
}

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
  /**
   * Runs beside the renew loop, never awaited by it. If it fails, the elector logs the error, gives
   * the lease up and calls onStoppedLeading.
   */
  onStartedLeading(): Promise<void> | void;
  /** Leadership lost (renew deadline passed, or the start failed): the process should stop at once. */
  onStoppedLeading(): Promise<void> | void;
}

/** A lease request that did not answer in time. */
export class LeaseTimeoutError extends Error {
  override readonly name = "LeaseTimeoutError";
}

/** A monotonic clock in epoch milliseconds: durations must not jump with the wall clock. */
const monotonicNow = (): number => performance.timeOrigin + performance.now();

export class LeaderElector {
  private readonly kube: KubePort;
  private readonly config: LeaderElectionConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private last: Observation | undefined;
  private leading = false;
  /** Our belief in leadership ends here: the start of the last successful renewal + renew deadline. */
  private validUntil = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private callbacks: LeaderCallbacks | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lossTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private attempt: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;

  /** `now` is a monotonic clock in epoch milliseconds (tests inject one). */
  constructor(kube: KubePort, config: LeaderElectionConfig, log: Logger, now: () => number = monotonicNow) {
    checkTimings(config);
    this.kube = kube;
    this.config = config;
    this.log = log.child({ lease: `${config.namespace}/${config.name}`, identity: config.identity });
    this.now = now;
  }

  /** True while we hold the lease and the renew deadline of the last successful renewal has not passed. */
  get isLeader(): boolean {
    return this.leading && this.now() < this.validUntil;
  }

  /** The write gate's question: may this replica write now? Checked just before each write is sent. */
  mayWrite(): boolean {
    return this.isLeader;
  }

  /** Runs until stop() or the loss of leadership: campaigns, then renews. */
  async run(callbacks: LeaderCallbacks): Promise<void> {
    this.callbacks = callbacks;
    while (!this.stopped) {
      const started = this.now();
      const attempt = this.tryAcquireOrRenew(started).catch((err: unknown) => {
        this.log.warn({ error: err instanceof Error ? err.message : String(err) }, "lease update failed");
        return undefined;
      });
      this.attempt = attempt;
      const renewedFrom = await attempt;
      if (this.stopped) break;
      // Lost while the attempt ran (the loss timer may not have fired yet on a busy event loop): a
      // renewal that answered after the deadline does not bring the leadership back.
      if (this.leading && !this.isLeader) {
        this.lose();
        break;
      }
      if (renewedFrom !== undefined) this.renewed(renewedFrom);
      await this.sleep(Math.max(0, started + this.config.retryPeriodMs - this.now()));
    }
  }

  /** Stops campaigning; a leader stops writing at once, then releases the lease so another replica takes over. */
  stop(): Promise<void> {
    this.stopping ??= this.release();
    return this.stopping;
  }

  private async release(): Promise<void> {
    const wasLeader = this.isLeader;
    this.stopped = true;
    this.leading = false;
    this.validUntil = Number.NEGATIVE_INFINITY;
    this.clearTimers();
    this.wake?.();
    if (!wasLeader) return;
    // A renewal still in flight could land after the release and make the others wait a lease duration.
    await this.attempt;
    const deadline = this.now() + this.config.renewDeadlineMs;
    try {
      const lease = await this.bounded(this.kube.get(resources.lease, this.config.namespace, this.config.name), deadline);
      const spec = (lease?.["spec"] ?? {}) as LeaseSpec;
      if (lease && spec.holderIdentity === this.config.identity) {
        const wall = Date.now();
        await this.bounded(
          this.kube.replace(resources.lease, { ...lease, spec: { ...spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: microTime(wall) } }),
          deadline,
        );
        this.log.info("released the lease");
      }
    } catch (err) {
      this.log.warn({ error: err instanceof Error ? err.message : String(err) }, "could not release the lease");
    }
  }

  private renewed(requestStart: number): void {
    const validUntil = requestStart + this.config.renewDeadlineMs;
    if (validUntil <= this.now()) return; // too late to count (cannot happen with bounded requests)
    this.validUntil = validUntil;
    if (this.lossTimer) clearTimeout(this.lossTimer);
    this.lossTimer = setTimeout(() => this.checkLoss(), validUntil - this.now());
    if (this.leading) return;
    this.leading = true;
    this.log.info("became leader");
    this.startLeading();
  }

  private startLeading(): void {
    const callbacks = this.callbacks;
    if (!callbacks) return;
    void (async () => {
      try {
        await callbacks.onStartedLeading();
      } catch (err) {
        if (!this.leading) return; // already lost; onStoppedLeading was called
        this.log.error({ error: err instanceof Error ? err.message : String(err) }, "could not start leading; giving the lease up");
        await this.stop();
        await this.notifyStopped(callbacks);
      }
    })();
  }

  private checkLoss(): void {
    this.lossTimer = undefined;
    if (!this.leading) return;
    if (!this.isLeader) return this.lose();
    // A timer may fire a millisecond early: look again once the deadline has surely passed.
    this.lossTimer = setTimeout(() => this.checkLoss(), Math.max(1, this.validUntil - this.now()));
  }

  /** The renew deadline passed without a successful renewal: stop campaigning and tell the process. */
  private lose(): void {
    this.leading = false;
    this.stopped = true;
    this.validUntil = Number.NEGATIVE_INFINITY;
    this.clearTimers();
    this.wake?.();
    this.log.warn({ renewDeadlineMs: this.config.renewDeadlineMs }, "lost leadership: lease not renewed within the renew deadline");
    const callbacks = this.callbacks;
    if (callbacks) void this.notifyStopped(callbacks);
  }

  private async notifyStopped(callbacks: LeaderCallbacks): Promise<void> {
    try {
      await callbacks.onStoppedLeading();
    } catch (err) {
      this.log.error({ error: err instanceof Error ? err.message : String(err) }, "onStoppedLeading failed");
    }
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.lossTimer) clearTimeout(this.lossTimer);
    this.timer = undefined;
    this.lossTimer = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  /**
   * One lease request, abandoned after a retry period or at `deadline`, whichever is first. The port
   * has no cancellation, so a request that answers later is ignored; if it was a renewal the server
   * applied late, the lease merely looks fresher to the others, which errs on the safe side.
   */
  private async bounded<T>(request: Promise<T>, deadline: number): Promise<T> {
    const ms = Math.min(this.config.retryPeriodMs, deadline - this.now());
    if (ms <= 0) {
      request.catch(() => undefined);
      throw new LeaseTimeoutError("no time left for a lease request before the deadline");
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LeaseTimeoutError(`lease request did not answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([request, timeout]);
    } finally {
      clearTimeout(timer);
      request.catch(() => undefined);
    }
  }

  /** One attempt; resolves with the start time of the write that renewed or acquired the lease, or undefined. */
  private async tryAcquireOrRenew(started: number): Promise<number | undefined> {
    const { namespace, name, identity } = this.config;
    // A renewal that cannot finish before our belief ends is worthless: bound the attempt by both.
    const deadline = Math.min(started + this.config.renewDeadlineMs, this.leading ? this.validUntil : Number.POSITIVE_INFINITY);
    let lease: KubeObject | undefined;
    try {
      lease = await this.bounded(this.kube.get(resources.lease, namespace, name), deadline);
    } catch (err) {
      // Not knowing what happened to the lease meanwhile, restart the expiry clock: writes the holder
      // sent before an API server stall can still be applied when it resumes, and a fresh lease
      // duration of watching gives them time to land before we could take over.
      this.last = undefined;
      throw err;
    }
    // Observed when the answer arrived: later than the server read it, so expiry errs late.
    const seen = this.now();
    const observation = lease ? observe(lease, seen) : undefined;
    const decision = decide(observation, this.last, identity, seen, this.config.leaseDurationMs);
    if (observation && (!this.last || this.last.resourceVersion !== observation.resourceVersion)) this.last = observation;
    if (decision === "wait") return undefined;
    const wall = Date.now();
    const seconds = Math.ceil(this.config.leaseDurationMs / 1000);
    const spec: LeaseSpec =
      decision === "renew" && observation
        ? { ...observation.spec, renewTime: microTime(wall), leaseDurationSeconds: seconds }
        : {
            holderIdentity: identity,
            leaseDurationSeconds: seconds,
            acquireTime: microTime(wall),
            renewTime: microTime(wall),
            leaseTransitions: (observation?.spec.leaseTransitions ?? -1) + 1,
          };
    const writeStart = this.now();
    try {
      const request =
        decision === "create"
          ? this.kube.create(resources.lease, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec })
          : this.kube.replace(resources.lease, { ...(lease as KubeObject), spec });
      const written = await this.bounded(request, deadline);
      this.last = observe(written, this.now());
      return writeStart;
    } catch (err) {
      // Someone else wrote first: not an error, just not us this round.
      if (isConflict(err) || isNotFound(err)) return undefined;
      throw err;
    }
  }
}

function observe(lease: KubeObject, now: number): Observation {
  return { spec: (lease["spec"] ?? {}), resourceVersion: lease.metadata?.resourceVersion, observedAt: now };
}
