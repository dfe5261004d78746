// Carrying out a plan of the SealedSecret shape (sealed-secret/plan.ts) for any kind that uses it:
// write the Secret, then the events, then the status, each only when the plan says so. An apply
// error the API server will keep giving becomes the ApplyFailed condition instead of a retry loop.
import { resources } from "../api/resources.ts";
import { KubeApiError, isConflict, type KubeObject, type KubePort, type Resource } from "../kube/port.ts";
import type { Logger } from "../log.ts";
import type { SealedLike } from "./sealed-secret/conditions.ts";
import { failurePlan, type KeyringView, type Plan } from "./sealed-secret/plan.ts";
import type { SealedSecretStats } from "./sealed-secret/stats.ts";
import { recordEvent } from "./events.ts";

export interface ApplyPlanOptions {
  kube: KubePort;
  log: Logger;
  resource: Resource;
  /** The object as read (its status is replaced). */
  raw: KubeObject;
  sealed: SealedLike;
  keyring: KeyringView;
  plan: Plan;
  stats: SealedSecretStats;
  statsKey: string;
  action: string;
  now: Date;
}

export async function applyPlan(opts: ApplyPlanOptions): Promise<void> {
  const { kube, stats } = opts;
  let p = opts.plan;
  if (p.write) {
    try {
      if (p.write.kind === "create") await kube.create(resources.secret, p.write.secret);
      else await kube.replace(resources.secret, p.write.secret);
      stats.writes.secret++;
      stats.unsealed++;
    } catch (err) {
      if (isConflict(err) || !(err instanceof KubeApiError) || err.retryable) throw err;
      p = failurePlan({ sealed: opts.sealed, keyring: opts.keyring, now: opts.now }, "ApplyFailed", `cannot write Secret: ${err.reason}: ${err.message}`);
    }
  }
  if (p.state.status === "False") stats.countError(p.state.reason);
  stats.current.set(opts.statsKey, { keys: p.keys, reason: p.state.reason });
  for (const event of p.events) {
    if (await recordEvent({ kube, log: opts.log, regarding: opts.raw, event, action: opts.action, now: opts.now })) stats.writes.event++;
  }
  if (p.status) {
    await kube.replaceStatus(opts.resource, { ...opts.raw, status: p.status });
    stats.writes.status++;
  }
  if (p.write || p.status) opts.log.info({ reason: p.state.reason, wrote: p.write?.kind ?? "none" }, "reconciled");
}
