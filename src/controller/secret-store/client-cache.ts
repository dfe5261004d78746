// Provider clients cached per store, keyed by store uid + generation (+ the ExternalSecret's
// namespace for referent ClusterSecretStore auth). The credential Secrets a client was built from are
// re-checked at most every `recheckMs`; a changed resourceVersion rebuilds the client. So AWS
// credentials and Vault tokens live as long as their store, not one reconcile.
import { SpecError } from "../../api/eso-fields.ts";
import type { AwsProviderSpec, VaultProviderSpec } from "../../api/secret-store.ts";
import { resources } from "../../api/resources.ts";
import type { KubePort } from "../../kube/port.ts";
import { InvalidProviderConfig, UnsupportedProvider, type CredentialSource, type SecretsClient } from "../../providers/provider.ts";
import { identityRefusal } from "./identity.ts";
import { KubeCredentialSource, storeKey, type CredentialRead, type StoreRecord } from "./stores.ts";

export interface ProviderFactories {
  aws(input: { spec: AwsProviderSpec; credentials: CredentialSource }): Promise<SecretsClient>;
  vault(input: { spec: VaultProviderSpec; credentials: CredentialSource }): Promise<SecretsClient>;
}

interface Entry {
  uid: string;
  generation: number;
  reads: CredentialRead[];
  checkedAt: number;
  client: Promise<SecretsClient>;
}

export class ProviderClientCache {
  private readonly kube: KubePort;
  private readonly factories: ProviderFactories;
  private readonly recheckMs: number;
  private readonly now: () => number;
  private readonly allowNamespacedAmbient: boolean;
  private readonly entries = new Map<string, Entry>();

  constructor(options: { kube: KubePort; factories: ProviderFactories; recheckMs?: number; now?: () => number; allowNamespacedAmbient?: boolean }) {
    this.kube = options.kube;
    this.factories = options.factories;
    this.allowNamespacedAmbient = options.allowNamespacedAmbient ?? false;
    this.recheckMs = options.recheckMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  async client(store: StoreRecord, esNamespace: string | undefined): Promise<SecretsClient> {
    const base = storeKey(store.kind, store.name, store.namespace);
    for (const key of [base, `${base}@${esNamespace ?? ""}`]) {
      const entry = this.entries.get(key);
      if (entry && entry.uid === store.uid && entry.generation === store.generation && (await this.fresh(entry))) {
        return await entry.client;
      }
    }
    return await this.build(base, store, esNamespace);
  }

  /** Drops clients of a store (deleted or changed). */
  forget(storeKeyPrefix: string): void {
    for (const [key, entry] of this.entries) {
      if (key === storeKeyPrefix || key.startsWith(`${storeKeyPrefix}@`)) {
        this.entries.delete(key);
        void entry.client.then((c) => c.close(), () => undefined);
      }
    }
  }

  close(): void {
    for (const key of [...this.entries.keys()]) this.forget(key);
  }

  private async fresh(entry: Entry): Promise<boolean> {
    if (this.now() - entry.checkedAt < this.recheckMs) return true;
    entry.checkedAt = this.now();
    for (const read of entry.reads) {
      const secret = await this.kube.get(resources.secret, read.namespace, read.name);
      if ((secret?.metadata?.resourceVersion ?? "") !== read.resourceVersion) return false;
    }
    return true;
  }

  private async build(base: string, store: StoreRecord, esNamespace: string | undefined): Promise<SecretsClient> {
    const spec = store.spec;
    if (spec instanceof SpecError) throw new InvalidProviderConfig(`invalid store configuration: ${spec.message}`);
    const refusal = identityRefusal(store, spec.provider, this.allowNamespacedAmbient);
    if (refusal !== undefined) throw new InvalidProviderConfig(refusal);
    const credentials = new KubeCredentialSource(this.kube, store, esNamespace);
    let pending: Promise<SecretsClient>;
    switch (spec.provider.kind) {
      case "aws":
        pending = this.factories.aws({ spec: spec.provider, credentials });
        break;
      case "vault":
        pending = this.factories.vault({ spec: spec.provider, credentials });
        break;
      case "unsupported":
        throw new UnsupportedProvider(unsupportedMessage(spec.provider.what));
    }
    const entry: Entry = { uid: store.uid, generation: store.generation, reads: credentials.reads, checkedAt: this.now(), client: pending };
    // Placed before the client resolves so concurrent reconciles share one build (one STS/login).
    this.entries.set(base, entry);
    try {
      const client = await pending;
      if (credentials.referent) {
        this.entries.delete(base);
        this.entries.set(`${base}@${esNamespace ?? ""}`, entry);
      }
      return client;
    } catch (err) {
      this.entries.delete(base);
      throw err;
    }
  }
}

export function unsupportedMessage(what: string): string {
  return `provider ${JSON.stringify(what)} is not supported by sealbridge (supported: aws with service SecretsManager or ParameterStore, vault)`;
}
