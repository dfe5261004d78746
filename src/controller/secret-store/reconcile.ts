// SecretStore / ClusterSecretStore status: the spec parses, the provider is one sealbridge serves, and
// the credentials work (one cheap provider call through the same cached client ExternalSecrets use).
// ESO's reasons: Valid, InvalidStoreConfiguration, InvalidProviderConfig, ValidationFailed.
import { SpecError } from "../../api/eso-fields.ts";
import type { StoreKind } from "../../api/external-secret.ts";
import { resources } from "../../api/resources.ts";
import { isConflict, type KubePort } from "../../kube/port.ts";
import { ProviderError } from "../../providers/provider.ts";
import type { ReconcileContext, Reconciler } from "../controller.ts";
import type { ObjectKey } from "../object-key.ts";
import type { ProcessResult } from "../queue.ts";
import { unsupportedMessage, type ProviderClientCache } from "./client-cache.ts";
import { isOurStore, toStoreRecord } from "./stores.ts";
import { stableJson } from "../stable-json.ts";

interface StoreCondition {
  type: "Ready";
  status: "True" | "False";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface StoreVerdict {
  status: "True" | "False";
  reason: "Valid" | "InvalidStoreConfiguration" | "InvalidProviderConfig" | "ValidationFailed";
  message: string;
}

export interface StoreStatus {
  /** The metadata.generation the verdict is for (ESO does not set it; kstatus and our Argo CD scripts read it). */
  observedGeneration?: number;
  conditions: StoreCondition[];
  capabilities: string;
}

/**
 * The store's next status; lastTransitionTime kept while Ready's status is unchanged. Pure.
 * `capabilities` as ESO reports it: ReadWrite for a provider that accepts PushSecret writes.
 */
export function nextStoreStatus(previous: unknown, verdict: StoreVerdict, now: Date, generation: number | undefined, capabilities: "ReadOnly" | "ReadWrite" = "ReadOnly"): StoreStatus {
  const prior = Array.isArray((previous as { conditions?: unknown } | undefined)?.conditions)
    ? ((previous as { conditions: StoreCondition[] }).conditions.find((c) => c.type === "Ready"))
    : undefined;
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions: [{ type: "Ready", ...verdict, lastTransitionTime: prior?.status === verdict.status ? prior.lastTransitionTime : at }],
    capabilities,
  };
}

export class SecretStoreReconciler implements Reconciler {
  readonly name: string;
  readonly resource;
  private readonly kind: StoreKind;
  private readonly kube: KubePort;
  private readonly clients: ProviderClientCache;
  private readonly controllerClass: string;
  private readonly now: () => Date;

  constructor(options: { kind: StoreKind; kube: KubePort; clients: ProviderClientCache; controllerClass: string; now?: () => Date }) {
    this.kind = options.kind;
    this.name = options.kind.toLowerCase();
    this.resource = options.kind === "SecretStore" ? resources.secretStore : resources.clusterSecretStore;
    this.kube = options.kube;
    this.clients = options.clients;
    this.controllerClass = options.controllerClass;
    this.now = options.now ?? (() => new Date());
  }

  async reconcile(key: ObjectKey, ctx: ReconcileContext): Promise<ProcessResult | void> {
    const obj = ctx.cached(key) ?? (await this.kube.get(this.resource, key.namespace, key.name));
    if (!obj) return;
    const store = toStoreRecord(this.kind, obj);
    if (!store || !isOurStore(store, this.controllerClass)) return;
    let verdict: StoreVerdict;
    let retry: ProviderError | undefined;
    let capabilities: "ReadOnly" | "ReadWrite" = "ReadOnly";
    if (store.spec instanceof SpecError) {
      verdict = { status: "False", reason: "InvalidStoreConfiguration", message: store.spec.message };
    } else if (store.spec.provider.kind === "unsupported") {
      verdict = { status: "False", reason: "InvalidProviderConfig", message: unsupportedMessage(store.spec.provider.what) };
    } else {
      try {
        // A ClusterSecretStore whose credentials are namespace-relative cannot be checked on its own.
        const client = await this.clients.client(store, store.namespace);
        if (client.pusher) capabilities = "ReadWrite";
        await client.validate();
        verdict = { status: "True", reason: "Valid", message: "store validated" };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        const referent = err.reason === "InvalidProviderConfig" && /needs a namespace/.test(err.message);
        verdict = referent
          ? { status: "True", reason: "Valid", message: "store validated (credentials resolved per ExternalSecret namespace)" }
          : {
              status: "False",
              reason: err.reason === "InvalidProviderConfig" ? "InvalidProviderConfig" : "ValidationFailed",
              message: `${err.reason}: ${err.message}`,
            };
        if (!referent && err.retryable) retry = err;
      }
    }
    const status = nextStoreStatus(obj["status"], verdict, this.now(), obj.metadata?.generation, capabilities);
    const previous = normalise(obj["status"]);
    // ESO's own CRD prunes observedGeneration: without it in the previous status, compare without it.
    const compared = previous?.observedGeneration === undefined ? { ...status, observedGeneration: undefined } : status;
    if (stableJson(compared) !== stableJson(previous)) {
      try {
        await this.kube.replaceStatus(this.resource, { ...obj, status });
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    if (retry) throw retry;
    const refresh = store.spec instanceof SpecError ? 0 : store.spec.refreshIntervalMs;
    return refresh > 0 ? { requeueAfterMs: refresh } : undefined;
  }
}


function normalise(status: unknown): { observedGeneration?: unknown; conditions?: unknown; capabilities?: unknown } | undefined {
  if (typeof status !== "object" || status === null) return undefined;
  const s = status as { observedGeneration?: unknown; conditions?: unknown; capabilities?: unknown };
  return { observedGeneration: s.observedGeneration, conditions: s.conditions, capabilities: s.capabilities };
}
