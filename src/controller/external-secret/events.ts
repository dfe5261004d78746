// Events about an ExternalSecret (Created, Updated, Deleted, UpdateFailed), as ESO emits them,
// recorded through the shared event writer. Failing to record an event never fails a reconcile.
import type { Logger } from "../../log.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";
import { recordEvent as record } from "../events.ts";

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  note: string;
}

export async function recordEvent(kube: KubePort, log: Logger, regarding: KubeObject, event: EventSpec): Promise<void> {
  await record({
    kube,
    log,
    regarding: { ...regarding, apiVersion: regarding.apiVersion ?? "external-secrets.io/v1", kind: regarding.kind ?? "ExternalSecret" },
    event: { type: event.type, reason: event.reason, message: event.note },
    action: event.reason,
    now: new Date(),
  });
}
