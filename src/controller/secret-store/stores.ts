// The stores the ExternalSecret controller reads from: a watched directory of SecretStores and
// ClusterSecretStores (controller class filter, ClusterSecretStore namespace conditions), and the
// credential reads providers need, resolved in the right namespace.
import { RE2JS } from "re2js";
import { SpecError } from "../../api/eso-fields.ts";
import type { StoreKind, StoreRef } from "../../api/external-secret.ts";
import { resources } from "../../api/resources.ts";
import { labelSelectorMatches, parseSecretStoreSpec, type SecretStoreSpec } from "../../api/secret-store.ts";
import type { Informer, InformerSource } from "../../kube/manager.ts";
import type { KubeObject, KubePort } from "../../kube/port.ts";
import { InvalidProviderConfig, type CredentialSource } from "../../providers/provider.ts";

export interface StoreRecord {
  kind: StoreKind;
  name: string;
  namespace?: string;
  uid: string;
  generation: number;
  /** The parsed spec, or why it does not parse. */
  spec: SecretStoreSpec | SpecError;
  object: KubeObject;
}

export function storeKey(kind: StoreKind, name: string, namespace?: string): string {
  return kind === "ClusterSecretStore" ? `ClusterSecretStore/${name}` : `SecretStore/${namespace ?? ""}/${name}`;
}

export function toStoreRecord(kind: StoreKind, obj: KubeObject): StoreRecord | undefined {
  const meta = obj.metadata;
  if (!meta?.name || !meta.uid) return undefined;
  let spec: SecretStoreSpec | SpecError;
  try {
    spec = parseSecretStoreSpec(obj["spec"]);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    spec = err;
  }
  return {
    kind,
    name: meta.name,
    ...(kind === "SecretStore" && meta.namespace ? { namespace: meta.namespace } : {}),
    uid: meta.uid,
    generation: meta.generation ?? 0,
    spec,
    object: obj,
  };
}

/** ESO's controller class: a store with an empty class, or ours, is ours. */
export function isOurStore(store: StoreRecord, controllerClass: string): boolean {
  let cls = "";
  if (store.spec instanceof SpecError) {
    const raw = (store.object["spec"] as Record<string, unknown> | undefined)?.["controller"];
    cls = typeof raw === "string" ? raw : "";
  } else cls = store.spec.controller;
  return cls === "" || cls === controllerClass;
}

/** Whether a ClusterSecretStore's spec.conditions allow a namespace (no conditions: any). */
export function clusterStoreAllows(spec: SecretStoreSpec, namespace: string, namespaceLabels: Readonly<Record<string, string>>): boolean {
  if (spec.conditions.length === 0) return true;
  return spec.conditions.some((c) => {
    if (c.namespaces.includes(namespace)) return true;
    if (c.namespaceRegexes.some((re) => RE2JS.compile(re).matcher(namespace).find())) return true;
    return c.namespaceSelector !== undefined && labelSelectorMatches(c.namespaceSelector, namespaceLabels);
  });
}

export type StoreLookup =
  | { kind: "found"; store: StoreRecord }
  | { kind: "missing"; message: string }
  | { kind: "notOurs" };

export class StoreDirectory {
  private readonly kube: KubePort;
  private readonly controllerClass: string;
  private readonly informers: { kind: StoreKind; informer: Informer }[] = [];
  private readonly cache: InformerSource;
  private readonly listeners: ((key: string, store: StoreRecord | undefined) => void)[] = [];

  constructor(kube: KubePort, cache: InformerSource, controllerClass: string) {
    this.cache = cache;
    this.kube = kube;
    this.controllerClass = controllerClass;
  }

  /** Called with the store key whenever a store is added, changed or removed. */
  onChange(listener: (key: string, store: StoreRecord | undefined) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    for (const [kind, resource] of [
      ["SecretStore", resources.secretStore],
      ["ClusterSecretStore", resources.clusterSecretStore],
    ] as const) {
      const fire = (obj: KubeObject, gone = false) => {
        const name = obj.metadata?.name;
        if (!name) return;
        const key = storeKey(kind, name, obj.metadata?.namespace);
        const record = gone ? undefined : toStoreRecord(kind, obj);
        for (const l of this.listeners) l(key, record);
      };
      this.informers.push({
        kind,
        informer: this.cache.informer(resource, {}, { onAdd: (o) => fire(o), onUpdate: (_old, o) => fire(o), onDelete: (o) => fire(o, true) }, { dropLastApplied: true }),
      });
    }
    await Promise.all(this.informers.map((i) => i.informer.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.informer.stop()));
  }

  get(kind: StoreKind, name: string, namespace?: string): StoreRecord | undefined {
    const entry = this.informers.find((i) => i.kind === kind);
    const obj = entry?.informer.get(name, kind === "SecretStore" ? namespace : undefined);
    return obj ? toStoreRecord(kind, obj) : undefined;
  }

  /** The cached stores of a kind (SecretStores of one namespace), e.g. to match a label selector. */
  list(kind: StoreKind, namespace?: string): StoreRecord[] {
    const entry = this.informers.find((i) => i.kind === kind);
    const objs = entry?.informer.list(kind === "SecretStore" ? namespace : undefined) ?? [];
    return objs.flatMap((o) => toStoreRecord(kind, o) ?? []);
  }

  /** The store an ExternalSecret in `namespace` refers to, if it exists, is ours and may be used. */
  async lookup(ref: StoreRef, namespace: string): Promise<StoreLookup> {
    const store = this.get(ref.kind, ref.name, namespace);
    if (!store) return { kind: "missing", message: `could not get ${ref.kind} "${ref.name}": not found` };
    if (!isOurStore(store, this.controllerClass)) return { kind: "notOurs" };
    if (store.kind === "ClusterSecretStore" && !(store.spec instanceof SpecError) && store.spec.conditions.length > 0) {
      const ns = await this.kube.get(resources.namespace, undefined, namespace);
      if (!clusterStoreAllows(store.spec, namespace, ns?.metadata?.labels ?? {})) {
        return { kind: "missing", message: `using ClusterSecretStore "${ref.name}" is not allowed from namespace "${namespace}": denied by spec.conditions` };
      }
    }
    return { kind: "found", store };
  }
}

/** A credential read recorded so a cached client can be rebuilt when its Secret changes. */
export interface CredentialRead {
  namespace: string;
  name: string;
  resourceVersion: string;
}

/**
 * CredentialSource over the kube port. A SecretStore's references are always in its own namespace;
 * a ClusterSecretStore's use their `namespace`, else the ExternalSecret's ("referent" auth).
 */
export class KubeCredentialSource implements CredentialSource {
  readonly reads: CredentialRead[] = [];
  /** A reference without namespace was resolved in the ExternalSecret's namespace. */
  referent = false;
  private readonly kube: KubePort;
  private readonly store: StoreRecord;
  private readonly esNamespace: string | undefined;

  constructor(kube: KubePort, store: StoreRecord, esNamespace: string | undefined) {
    this.kube = kube;
    this.store = store;
    this.esNamespace = esNamespace;
  }

  private namespaceFor(ref: { namespace?: string | undefined }): string {
    if (this.store.kind === "SecretStore") return this.store.namespace ?? "";
    if (ref.namespace) return ref.namespace;
    this.referent = true;
    if (!this.esNamespace) throw new InvalidProviderConfig("a ClusterSecretStore reference needs a namespace");
    return this.esNamespace;
  }

  async secretValue(ref: { name: string; key: string; namespace?: string | undefined }): Promise<string> {
    const namespace = this.namespaceFor(ref);
    const secret = await this.kube.get(resources.secret, namespace, ref.name);
    if (!secret) throw new InvalidProviderConfig(`credentials Secret ${namespace}/${ref.name} not found`);
    this.reads.push({ namespace, name: ref.name, resourceVersion: secret.metadata?.resourceVersion ?? "" });
    const data = secret["data"] as Record<string, unknown> | undefined;
    const value = data?.[ref.key];
    if (typeof value !== "string") throw new InvalidProviderConfig(`credentials Secret ${namespace}/${ref.name} has no key ${JSON.stringify(ref.key)}`);
    return Buffer.from(value, "base64").toString("utf8");
  }

  async configMapValue(ref: { name: string; key: string; namespace?: string | undefined }): Promise<string> {
    const namespace = this.namespaceFor(ref);
    const cm = await this.kube.get(resources.configMap, namespace, ref.name);
    const value = (cm?.["data"] as Record<string, unknown> | undefined)?.[ref.key];
    if (typeof value !== "string") throw new InvalidProviderConfig(`ConfigMap ${namespace}/${ref.name} has no key ${JSON.stringify(ref.key)}`);
    return value;
  }

  async serviceAccountToken(ref: { name: string; namespace?: string | undefined; audiences?: readonly string[] | undefined; expirationSeconds?: number | undefined }): Promise<string> {
    const namespace = this.namespaceFor(ref);
    const result = await this.kube.createSubresource(resources.serviceAccount, namespace, ref.name, "token", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: {
        ...(ref.audiences?.length ? { audiences: [...ref.audiences] } : {}),
        expirationSeconds: Math.max(600, ref.expirationSeconds ?? 600),
      },
    });
    const token = (result["status"] as Record<string, unknown> | undefined)?.["token"];
    if (typeof token !== "string") throw new InvalidProviderConfig(`TokenRequest for service account ${namespace}/${ref.name} returned no token`);
    return token;
  }

  async serviceAccountAnnotations(ref: { name: string; namespace?: string | undefined }): Promise<Record<string, string>> {
    const namespace = this.namespaceFor(ref);
    const sa = await this.kube.get(resources.serviceAccount, namespace, ref.name);
    if (!sa) throw new InvalidProviderConfig(`service account ${namespace}/${ref.name} not found`);
    return sa.metadata?.annotations ?? {};
  }
}
