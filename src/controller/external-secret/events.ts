// events.k8s.io/v1 Events about an ExternalSecret (Created, Updated, Deleted, UpdateFailed), as ESO
// emits them. Failing to record an event never fails a reconcile.
import { randomBytes } from "node:crypto";
import { resources } from "../../api/resources.ts";
import type { Logger } from "../../log.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";

export interface EventSpec {
  type: "Normal" | "Warning";
  reason: string;
  note: string;
}

export async function recordEvent(kube: KubePort, log: Logger, regarding: KubeObject, event: EventSpec): Promise<void> {
  const meta = regarding.metadata ?? {};
  const now = new Date().toISOString().replace("Z", "000Z");
  try {
    await kube.create(resources.event, {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: `${meta.name ?? "object"}.${randomBytes(8).toString("hex")}`, namespace: meta.namespace ?? "default" },
      eventTime: now,
      reportingController: "sealbridge.dev/external-secrets",
      reportingInstance: "sealbridge",
      action: event.reason,
      reason: event.reason,
      type: event.type,
      note: event.note.slice(0, 1024),
      regarding: {
        apiVersion: regarding.apiVersion ?? "external-secrets.io/v1",
        kind: regarding.kind ?? "ExternalSecret",
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    });
  } catch (err) {
    log.debug({ error: err instanceof Error ? err.message : String(err) }, "could not record event");
  }
}
