// Kubernetes events (events.k8s.io/v1) about a reconciled object. Best effort: a failed event write
// is logged, never fails the reconcile. Messages come from plans and never hold values.
import { hostname } from "node:os";
import { resources } from "../api/resources.ts";
import type { KubeObject, KubePort } from "../kube/port.ts";
import type { Logger } from "../log.ts";

export const REPORTING_CONTROLLER = "sealbridge.dev/sealbridge";
const instance = hostname();

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

/** Longest name of a Kubernetes object (a DNS subdomain). */
const MAX_NAME = 253;

/**
 * `<object>.<hex time>`, as client-go names events; an object name near the 253-character limit is
 * shortened so the event name stays valid (it is only a name: `regarding` names the object).
 */
export function eventName(objectName: string, time: bigint): string {
  const suffix = `.${time.toString(16)}`;
  const room = MAX_NAME - suffix.length;
  const base = objectName.length <= room ? objectName : objectName.slice(0, room).replace(/[.-]+$/, "");
  return `${base}${suffix}`;
}

export async function recordEvent(opts: { kube: KubePort; log: Logger; regarding: KubeObject; event: EventSpec; action: string; now: Date }): Promise<boolean> {
  const { regarding, event } = opts;
  const meta = regarding.metadata ?? {};
  try {
    await opts.kube.create(resources.event, {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      // client-go's event naming: <object>.<hex time>, unique enough and a valid DNS subdomain.
      metadata: { name: eventName(meta.name ?? "object", process.hrtime.bigint() + BigInt(Date.now()) * 1_000_000n), namespace: meta.namespace ?? "default" },
      eventTime: opts.now.toISOString().replace(/Z$/, "000Z"),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: instance,
      action: opts.action,
      reason: event.reason,
      type: event.type,
      note: event.message.length > 1000 ? `${event.message.slice(0, 997)}...` : event.message,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    });
    return true;
  } catch (err) {
    opts.log.warn({ reason: event.reason, error: err instanceof Error ? err.message : String(err) }, "could not record event");
    return false;
  }
}
