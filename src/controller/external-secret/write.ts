// Writing an ExternalSecret's target Secret: reading it (its data only when this process has not
// seen this version intact), the deletion policy when the provider no longer has the secrets, and
// the create or replace as this ExternalSecret's field manager (ESO's), so the keys it wrote can be
// told from the others next time. Refusals (owned by another controller, immutable, too large) are
// returned for the status; the Secret is never blanked by a failure.
import type { ExternalSecretSpec } from "../../api/external-secret.ts";
import { resources } from "../../api/resources.ts";
import { isConflict, type KubeObject, type KubePort } from "../../kube/port.ts";
import type { Logger } from "../../log.ts";
import { SecretNotFound } from "../../providers/provider.ts";
import { ReportedError } from "../reported-error.ts";
import { MAX_SECRET_DATA_BYTES, secretDataSize } from "../secret-size.ts";
import { recordEvent } from "./events.ts";
import type { Fetched } from "./fetch.ts";
import { fieldManagerFor, managedKeys, NO_MANAGED_KEYS } from "./field-owner.ts";
import { desiredSecret, stringRecord, targetData, targetState, type EsMeta, type Outcome, type TargetState } from "./plan.ts";
import type { RenderedTarget } from "./render.ts";

/** Something the status reports as "<context>: <error>" (never touching the Secret). */
export interface WriteFailure {
  failed: unknown;
  context: string;
}

export interface TargetSecretsOptions {
  kube: KubePort;
  /** The cluster's key for the data-hash annotation (keys/hash-key.ts); unkeyed without. */
  hashKey?: Uint8Array;
}

export class TargetSecrets {
  private readonly kube: KubePort;
  private readonly hashKey: Uint8Array | undefined;
  /** ExternalSecret uid → resourceVersion of its target as last written or seen intact. */
  private readonly verified = new Map<string, string>();
  /** Target Secrets read with their data (the cache holds metadata only). */
  secretReads = 0;

  constructor(options: TargetSecretsOptions) {
    this.kube = options.kube;
    this.hashKey = options.hashKey;
  }

  forget(uid: string): void {
    this.verified.delete(uid);
  }

  /** The target with its data, read fresh. */
  read(namespace: string, name: string): Promise<KubeObject | undefined> {
    this.secretReads++;
    return this.kube.get(resources.secret, namespace, name, { managedFields: true });
  }

  /**
   * Whether the target exists and holds what was written (from the metadata cache when this process
   * has seen this version intact; else read, and then `target` is the Secret with its data).
   */
  async observe(uid: string, namespace: string, name: string, cached: KubeObject | undefined): Promise<{ state: TargetState; target?: KubeObject }> {
    if (!cached) return { state: targetState(undefined) };
    const verified = this.verified.get(uid);
    if (verified !== undefined && verified === cached.metadata?.resourceVersion) return { state: { exists: true, intact: true } };
    const target = await this.read(namespace, name);
    const state = targetState(target, this.hashKey);
    const rv = target?.metadata?.resourceVersion;
    if (state.intact && rv) this.verified.set(uid, rv);
    return { state, ...(target ? { target } : {}) };
  }

  /**
   * Deletion policy when the provider no longer has the secrets, as ESO: entries whose remote
   * secret is gone are skipped unless deletionPolicy is Retain; if nothing is left, Delete removes
   * the Secret and Retain leaves it as it is; Merge goes on and drops only the keys it wrote.
   * Returns the outcome when that ends the refresh, undefined to go on and write.
   */
  async deletionPolicy(input: {
    log: Logger;
    es: KubeObject;
    meta: EsMeta;
    spec: ExternalSecretSpec;
    fetched: Fetched;
    targetName: string;
    /** The target as known (read, or from the metadata cache). */
    exists: boolean;
    readAt: Date | undefined;
  }): Promise<Outcome | WriteFailure | undefined> {
    const { log, es, meta, spec, fetched, targetName, readAt } = input;
    const requested = spec.data.length + spec.dataFrom.length;
    const policy = spec.target.deletionPolicy;
    if (fetched.missing.length > 0 && policy === "Retain") {
      return { failed: new SecretNotFound(`secret ${fetched.missing.map((m) => m.key).join(", ")} not found in provider`), context: "could not get secret data from provider" };
    }
    for (const m of fetched.missing) {
      const note = m.field === "data" ? `secret does not exist at provider using spec.data[${m.index}] (key=${m.key})` : `secret does not exist at provider using spec.dataFrom[${m.index}]`;
      await recordEvent(this.kube, log, es, { type: "Normal", reason: "MissingProviderSecret", note });
    }
    if (requested === 0 || Object.keys(fetched.data).length > 0 || policy === "Merge") return undefined;
    if (policy === "Delete" && spec.target.creationPolicy !== "Owner") {
      return { failed: new ReportedError("InvalidSpec", `unable to delete secret ${targetName}: creationPolicy=${spec.target.creationPolicy} is not Owner`, false), context: "could not delete secret" };
    }
    if (policy === "Delete" && input.exists) {
      await this.kube.delete(resources.secret, meta.namespace, targetName);
      await recordEvent(this.kube, log, es, { type: "Normal", reason: "Deleted", note: "secret deleted due to DeletionPolicy=Delete" });
    }
    return policy === "Delete" ? { kind: "deleted", ...(readAt ? { readAt } : {}) } : { kind: "synced", targetName, retained: true, ...(readAt ? { readAt } : {}) };
  }

  /**
   * Creates or updates the target per creationPolicy. "missing": Merge with nothing to merge into
   * (ESO waits for the next refresh without an error). A conflict is thrown (retried with backoff;
   * the next attempt re-reads).
   */
  async write(input: {
    log: Logger;
    es: KubeObject;
    meta: EsMeta;
    spec: ExternalSecretSpec;
    rendered: RenderedTarget;
    targetName: string;
    target: KubeObject | undefined;
    hasTemplate: boolean;
  }): Promise<"written" | "missing" | WriteFailure> {
    const { log, es, meta, spec, rendered, targetName, target } = input;
    if (spec.target.creationPolicy === "None") return "written";
    // Nothing to merge into: ESO waits for the next refresh without an error.
    if (spec.target.creationPolicy === "Merge" && !target) return "missing";
    const context = "could not update secret";
    const foreign = spec.target.creationPolicy === "Owner" ? foreignController(target, meta.uid) : undefined;
    if (foreign !== undefined) {
      // ESO's SetControllerReference refuses the same way (AlreadyOwnedError): never take it over.
      return { failed: new ReportedError("SecretOwnedByOther", `secret ${targetName} is controlled by ${foreign}; creationPolicy Owner does not take over a Secret another controller owns (use Merge, or remove that owner)`, false), context };
    }
    const fieldManager = fieldManagerFor(meta.name);
    const managed = target ? managedKeys(target, fieldManager) : NO_MANAGED_KEYS;
    const nextData = targetData({ policy: spec.target.creationPolicy, existing: target, managed, rendered: rendered.data });
    if (target?.["immutable"] === true && JSON.stringify(sorted(stringRecord(target["data"]))) !== JSON.stringify(sorted(nextData))) {
      return { failed: new ReportedError("TargetImmutable", `secret ${targetName} is immutable; delete it so it can be recreated`, false), context };
    }
    const desired = desiredSecret({
      es: meta,
      spec,
      rendered: { data: rendered.data, labels: rendered.labels, annotations: rendered.annotations, ...(rendered.type ? { type: rendered.type } : {}) },
      existing: target,
      managed,
      hasTemplate: input.hasTemplate,
      ...(this.hashKey ? { hashKey: this.hashKey } : {}),
    });
    const size = desired ? secretDataSize(desired) : undefined;
    if (size && size.bytes > MAX_SECRET_DATA_BYTES) {
      return { failed: new ReportedError("SecretTooLarge", `the Secret would hold ${size.bytes} bytes of data; Kubernetes allows ${MAX_SECRET_DATA_BYTES} (largest: ${size.largest.join(", ")})`, false), context };
    }
    if (!desired) return "written";
    try {
      const written = target ? await this.kube.replace(resources.secret, desired, { fieldManager }) : await this.kube.create(resources.secret, desired, { fieldManager });
      const rv = written.metadata?.resourceVersion;
      if (rv) this.verified.set(meta.uid, rv);
    } catch (err) {
      if (isConflict(err)) throw err; // retried with backoff; the next attempt re-reads
      return { failed: err, context };
    }
    await recordEvent(this.kube, log, es, { type: "Normal", reason: target ? "Updated" : "Created", note: target ? "secret updated" : "secret created" });
    return "written";
  }
}

/** "<Kind> <name>" of the Secret's controller when it is not this ExternalSecret. */
function foreignController(secret: KubeObject | undefined, uid: string): string | undefined {
  const owner = secret?.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (owner === undefined || owner.uid === uid) return undefined;
  return `${owner.kind} ${owner.name}`;
}

function sorted(r: Record<string, string>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
