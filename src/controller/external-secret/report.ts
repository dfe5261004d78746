// Reporting how an ExternalSecret's reconcile ended: the next status (pure, plan.ts), written only
// when it changed, with an UpdateFailed event when an error changes what Ready says; an error is
// also rethrown as a ReportedError so the queue backs off (retryable or not, by its type).
import { SpecError } from "../../api/eso-fields.ts";
import { isConflict, type KubeObject, type KubePort } from "../../kube/port.ts";
import type { Logger } from "../../log.ts";
import { resources } from "../../api/resources.ts";
import { ProviderError } from "../../providers/provider.ts";
import { ReportedError } from "../reported-error.ts";
import { recordEvent } from "./events.ts";
import { GeneratorError } from "./fetch.ts";
import { DecodingError, KeyRewriteError } from "./keys.ts";
import { nextStatus, statusEqual, type EsMeta, type ExternalSecretStatus, type Outcome } from "./plan.ts";

export interface Report {
  /** Writes the status for this outcome when it changed. */
  finish: (outcome: Outcome) => Promise<void>;
  /** Reports an error in status (never touching the Secret) and rethrows it for backoff. */
  fail: (err: unknown, context: string) => Promise<never>;
}

export function reportFor(input: {
  kube: KubePort;
  log: Logger;
  es: KubeObject;
  /** Its status as read (parseStatus). */
  previous: ExternalSecretStatus | undefined;
  meta: EsMeta;
  syncVersion: string;
  now: Date;
  /** Told of every refresh recorded in status (refreshTime), written or not. */
  onRefreshed(refreshTime: string): void;
}): Report {
  const { kube, log, es, previous, meta, syncVersion, now } = input;
  const finish = async (outcome: Outcome): Promise<void> => {
    const status = nextStatus({ previous, outcome, syncVersion, generation: meta.generation, now });
    if (outcome.kind !== "error" && status.refreshTime) input.onRefreshed(status.refreshTime);
    if (statusEqual(previous, status)) return;
    await writeStatus(kube, es, status);
    const was = previous?.conditions.find((c) => c.type === "Ready");
    const ready = status.conditions.find((c) => c.type === "Ready");
    if (outcome.kind === "error" && (was?.reason !== ready?.reason || was?.message !== ready?.message)) {
      await recordEvent(kube, log, es, { type: "Warning", reason: "UpdateFailed", note: ready?.message ?? "" });
    }
  };
  return {
    finish,
    fail: async (err, context) => {
      const reason = reasonOf(err);
      const message = `${context}: ${err instanceof Error ? err.message : String(err)}`;
      await finish({ kind: "error", reason, message });
      throw new ReportedError(reason, message, retryableOf(err));
    },
  };
}

async function writeStatus(kube: KubePort, es: KubeObject, status: object): Promise<void> {
  try {
    await kube.replaceStatus(resources.externalSecret, { ...es, status });
  } catch (err) {
    if (!isConflict(err)) throw err;
    // The object moved on (e.g. an annotation changed): the watch event re-queues it.
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof ProviderError || err instanceof ReportedError || err instanceof KeyRewriteError || err instanceof DecodingError || err instanceof GeneratorError) return err.reason;
  if (err instanceof SpecError) return "InvalidSpec";
  return "InternalError";
}

function retryableOf(err: unknown): boolean {
  if (err instanceof ProviderError || err instanceof ReportedError) return err.retryable;
  if (err instanceof KeyRewriteError || err instanceof DecodingError || err instanceof SpecError || err instanceof GeneratorError) return false;
  return true;
}
