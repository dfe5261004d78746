// Store lookup for an ExternalSecret: which stores it reads (its own and any sourceRef overrides),
// their provider clients (from the process's client cache, secret-store/client-cache.ts), and which
// ExternalSecrets use which store or generator, so a change of either re-queues them.
import type { ExternalSecretSpec, StoreRef } from "../../api/external-secret.ts";
import type { SecretsClient } from "../../providers/provider.ts";
import type { ProviderClientCache } from "../secret-store/client-cache.ts";
import { storeKey, type StoreDirectory } from "../secret-store/stores.ts";

export function storeRefsOf(spec: ExternalSecretSpec): StoreRef[] {
  const refs = new Map<string, StoreRef>();
  const add = (r: StoreRef | undefined) => {
    if (r) refs.set(refKey(r), r);
  };
  if (spec.data.some((d) => !d.storeRef) || spec.dataFrom.some((d) => !("generatorRef" in d) && !d.storeRef)) add(spec.storeRef);
  for (const d of spec.data) add(d.storeRef);
  for (const d of spec.dataFrom) add(d.storeRef);
  return [...refs.values()];
}

export function refKey(ref: StoreRef | undefined): string {
  return ref ? `${ref.kind}/${ref.name}` : "";
}

export function generatorKey(namespace: string, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}

/** Which ExternalSecrets (namespace/name) used which store and generator at their last reconcile. */
export class StoreDependents {
  private readonly byStore = new Map<string, Set<string>>();
  /** namespace/kind/name of a generator → ExternalSecrets that name it. */
  private readonly byGenerator = new Map<string, Set<string>>();

  record(esKey: string, namespace: string, spec: ExternalSecretSpec, refs: readonly StoreRef[]): void {
    this.forget(esKey);
    for (const ref of refs) add(this.byStore, storeKey(ref.kind, ref.name, namespace), esKey);
    for (const item of spec.dataFrom) {
      if ("generatorRef" in item) add(this.byGenerator, generatorKey(namespace, item.generatorRef.kind, item.generatorRef.name), esKey);
    }
  }

  forget(esKey: string): void {
    for (const set of this.byStore.values()) set.delete(esKey);
    for (const set of this.byGenerator.values()) set.delete(esKey);
  }

  ofStore(key: string): string[] {
    return [...(this.byStore.get(key) ?? [])];
  }

  ofGenerator(key: string): string[] {
    return [...(this.byGenerator.get(key) ?? [])];
  }
}

function add(index: Map<string, Set<string>>, key: string, esKey: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(esKey);
}

export type StoreClients =
  /** A client per store, by refKey. */
  | { kind: "clients"; clients: Map<string, SecretsClient> }
  /** A store of another controller class (e.g. ESO's): leave the ExternalSecret alone. */
  | { kind: "notOurs" }
  | { kind: "missing"; message: string }
  /** The client could not be made (credentials, configuration): the first such error. */
  | { kind: "clientFailed"; error: unknown };

/** Looks up each store in turn and gets its client; stops at the first store that is not usable. */
export async function storeClients(input: { refs: readonly StoreRef[]; namespace: string; stores: StoreDirectory; clients: ProviderClientCache }): Promise<StoreClients> {
  const clients = new Map<string, SecretsClient>();
  for (const ref of input.refs) {
    const found = await input.stores.lookup(ref, input.namespace);
    if (found.kind === "notOurs") return { kind: "notOurs" };
    if (found.kind === "missing") return { kind: "missing", message: found.message };
    try {
      clients.set(refKey(ref), await input.clients.client(found.store, input.namespace));
    } catch (error) {
      return { kind: "clientFailed", error };
    }
  }
  return { kind: "clients", clients };
}
