// Carrying out a decrypted-secret plan (plan.ts) for any kind that uses it:
// write the Secret, then the events, then the status, each only when the plan says so. An apply
// error the API server will keep giving becomes the ApplyFailed condition instead of a retry loop.
import { resources } from "../../api/resources.ts";
import { KubeApiError, isConflict, type KubeObject, type KubePort, type Resource } from "../../kube/port.ts";
import type { Logger } from "../../log.ts";
import type { SealedLike } from "./conditions.ts";
import { failurePlan, type KeyringView, type Plan } from "./plan.ts";
import type { SealedSecretStatus, SecretRecord } from "../../api/sealed-secret.ts";
import type { SealedSecretStats } from "./stats.ts";
import { MAX_SECRET_DATA_BYTES, secretDataSize } from "../secret-size.ts";
import { recordEvent } from "../events.ts";
import type { ObjectKey } from "../object-key.ts";

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

/** The target Secret with its data, read fresh (the shared cache holds its metadata only). */
export async function readSecret(kube: KubePort, stats: SealedSecretStats, key: ObjectKey): Promise<KubeObject | undefined> {
  stats.secretReads++;
  return kube.get(resources.secret, key.namespace, key.name);
}

export async function applyPlan(opts: ApplyPlanOptions): Promise<void> {
  const { kube, stats } = opts;
  let p = opts.plan;
  let written: KubeObject | undefined;
  if (p.write) {
    const size = secretDataSize(p.write.secret);
    if (size.bytes > MAX_SECRET_DATA_BYTES) {
      p = failurePlan({ sealed: opts.sealed, keyring: opts.keyring, now: opts.now }, "SecretTooLarge", `the Secret would hold ${size.bytes} bytes of data; Kubernetes allows ${MAX_SECRET_DATA_BYTES} (largest: ${size.largest.join(", ")})`);
    }
  }
  if (p.write) {
    try {
      // A replace carries the resourceVersion of the Secret as read: a stale read ends in a 409
      // (Conflict, retried with backoff), never in overwriting someone else's newer write.
      written = p.write.kind === "create" ? await kube.create(resources.secret, p.write.secret) : await kube.replace(resources.secret, p.write.secret);
      stats.writes.secret++;
      stats.unsealed++;
    } catch (err) {
      if (isConflict(err) || !(err instanceof KubeApiError) || err.retryable) throw err;
      p = failurePlan({ sealed: opts.sealed, keyring: opts.keyring, now: opts.now }, "ApplyFailed", `cannot write Secret: ${err.reason}: ${err.message}`);
    }
  }
  if (p.state.status === "False") stats.countError(p.state.reason);
  stats.current.set(opts.statsKey, { keys: p.keys, reason: p.state.reason });
  // Events and the status go out together (events are best effort and never fail the reconcile;
  // over HTTP/2 the writes leave in one packet): one round trip to the API server instead of two.
  const events = (async () => {
    for (const event of p.events) {
      if (await recordEvent({ kube, log: opts.log, regarding: opts.raw, event, action: opts.action, now: opts.now })) stats.writes.event++;
    }
  })();
  const status = withRecord(opts.sealed.status, p, written);
  try {
    if (status) {
      await kube.replaceStatus(opts.resource, { ...opts.raw, status });
      stats.writes.status++;
    }
  } finally {
    await events;
  }
  // A success is on record as its Event and condition; a line per object at info level was the
  // large share (8 %) of the main thread's CPU in a bulk sync (pino's synchronous writes).
  if (p.write || status) opts.log[p.state.status === "True" ? "debug" : "info"]({ reason: p.state.reason, wrote: p.write?.kind ?? "none" }, "reconciled");
}

/**
 * The status to write: the plan's (when it changed) with status.secret recording the Secret as
 * written or verified; or only the record, when that alone changed. Undefined: nothing to write.
 */
export function withRecord(prior: SealedSecretStatus | undefined, p: Plan, written: KubeObject | undefined): SealedSecretStatus | undefined {
  const before = prior?.secret;
  let record: SecretRecord | undefined = before;
  const version = written?.metadata?.resourceVersion ?? p.record?.verifiedVersion;
  if (p.record && version) record = { resourceVersion: version, sourceHash: p.record.sourceHash, keys: [...p.record.keys].sort() };
  if (p.status) return { ...p.status, ...(record ? { secret: record } : {}) };
  if (record && !sameRecord(record, before)) return { ...prior, secret: record };
  return undefined;
}

function sameRecord(a: SecretRecord, b: SecretRecord | undefined): boolean {
  return b !== undefined && a.resourceVersion === b.resourceVersion && a.sourceHash === b.sourceHash && a.keys.join(",") === [...b.keys].sort().join(",");
}
