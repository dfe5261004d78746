// PushSecret to Vault KV v1/v2, as ESO does it: what is pushed carries the custom metadata
// `managed-by: external-secrets` (KV v2: the secret's metadata; KV v1: a `custom_metadata` field in
// the secret itself); an existing secret without it is never written nor deleted. Without a property
// the value must be a JSON object (the whole Secret, or a key holding JSON), which becomes the
// secret's data; with one, that field is set and the others are kept.
import type { VaultProviderSpec } from "../../api/secret-store.ts";
import { InvalidProviderConfig, InvalidSecretValue, RemoteSecretNotOwned, type PushInput, type PushRef, type SecretsPusher } from "../provider.ts";
import { EXTERNAL_SECRETS, MANAGED_BY, pushMetadataSpec, pushValue } from "../push-value.ts";
import { buildPath } from "./kv.ts";
import type { VaultPort, VaultWritePort } from "./port.ts";

const CUSTOM_METADATA = "custom_metadata";

export interface VaultKvPusherOptions {
  reader: Pick<VaultPort, "read">;
  writer: VaultWritePort;
  spec: VaultProviderSpec;
  /** Runs a call with a valid token (the client's token source). */
  withToken<T>(call: (token: string) => Promise<T>): Promise<T>;
}

export class VaultKvPusher implements SecretsPusher {
  private readonly options: VaultKvPusherOptions;

  constructor(options: VaultKvPusherOptions) {
    this.options = options;
  }

  async secretExists(ref: PushRef): Promise<boolean> {
    const data = await this.readData(ref.remoteKey);
    if (!data) return false;
    return ref.property ? Object.hasOwn(data, ref.property) && data[ref.property] !== null : true;
  }

  async pushSecret(input: PushInput): Promise<"created" | "updated" | "unchanged"> {
    pushMetadataSpec(input.metadata, [], "Vault");
    const { spec } = this.options;
    const key = input.ref.remoteKey;
    const value = pushValue(input);
    const existing = await this.readData(key);
    if (existing) {
      if ((await this.managedBy(key, existing)) !== EXTERNAL_SECRETS) throw new RemoteSecretNotOwned(`vault secret ${key}`);
      if (spec.version === "v1") delete existing[CUSTOM_METADATA];
    }
    let next: Record<string, unknown>;
    const property = input.ref.property;
    if (property) {
      const text = Buffer.from(value).toString("utf8");
      if (existing && Object.hasOwn(existing, property)) {
        const current = existing[property];
        if (typeof current !== "string") throw new InvalidSecretValue(`error converting ${property} to string`);
        if (current === text) return "unchanged";
      }
      next = { ...(existing ?? {}) };
      Object.defineProperty(next, property, { value: text, enumerable: true, writable: true, configurable: true });
    } else {
      const parsed = parseObject(value);
      if (!parsed) throw new InvalidSecretValue("error unmarshalling vault secret: invalid JSON format (without a property, Vault needs a JSON object)");
      if (existing && sameData(existing, parsed)) return "unchanged";
      next = parsed;
    }
    const mark = { [MANAGED_BY]: EXTERNAL_SECRETS };
    if (spec.version === "v2") {
      await this.options.withToken((t) => this.options.writer.write(metadataPath(spec, key), { [CUSTOM_METADATA]: mark }, t));
      await this.options.withToken((t) => this.options.writer.write(buildPath(spec, key), { data: next }, t));
    } else {
      await this.options.withToken((t) => this.options.writer.write(buildPath(spec, key), { ...next, [CUSTOM_METADATA]: mark }, t));
    }
    return existing ? "updated" : "created";
  }

  async deleteSecret(ref: PushRef): Promise<"deleted" | "absent" | "notOwned"> {
    const { spec, writer } = this.options;
    const key = ref.remoteKey;
    const existing = await this.readData(key);
    if (!existing) return "absent";
    if ((await this.managedBy(key, existing)) !== EXTERNAL_SECRETS) return "notOwned";
    if (ref.property) {
      // Only the field goes; the secret stays while other fields remain.
      delete existing[ref.property];
      const left = Object.keys(existing).filter((k) => spec.version === "v2" || k !== CUSTOM_METADATA);
      if (left.length > 0) {
        await this.options.withToken((t) => writer.write(buildPath(spec, key), spec.version === "v2" ? { data: existing } : existing, t));
        return "deleted";
      }
    }
    await this.options.withToken((t) => writer.remove(buildPath(spec, key), t));
    if (spec.version === "v2") await this.options.withToken((t) => writer.remove(metadataPath(spec, key), t));
    return "deleted";
  }

  /** The secret's data (KV v1 including its custom_metadata field), or undefined when there is none. */
  private async readData(key: string): Promise<Record<string, unknown> | undefined> {
    const { spec, reader } = this.options;
    const body = await this.options.withToken((t) => reader.read(buildPath(spec, key), t));
    const data = asRecord(body?.["data"]);
    if (spec.version === "v1") return data ? { ...data } : undefined;
    const inner = asRecord(data?.["data"]);
    return inner ? { ...inner } : undefined;
  }

  private async managedBy(key: string, data: Record<string, unknown>): Promise<unknown> {
    const { spec, reader } = this.options;
    if (spec.version === "v1") return asRecord(data[CUSTOM_METADATA])?.[MANAGED_BY];
    const body = await this.options.withToken((t) => reader.read(metadataPath(spec, key), t));
    return asRecord(asRecord(asRecord(body?.["data"])?.[CUSTOM_METADATA]))?.[MANAGED_BY];
  }
}

/** ESO's buildMetadataPath for KV v2: `<mount>/metadata/<key>`, or the key's /data/ swapped. */
function metadataPath(spec: VaultProviderSpec, key: string): string {
  if (spec.path !== undefined) return `${spec.path}/metadata/${stripMount(spec, key)}`;
  if (!key.includes("/data/")) throw new InvalidProviderConfig("a KV v2 store without spec.provider.vault.path needs remote keys of the form <mount>/data/<path>");
  return key.replace("/data/", "/metadata/");
}

function stripMount(spec: VaultProviderSpec, key: string): string {
  const cut = `${spec.path ?? ""}/`;
  if (!key.startsWith(cut)) return key;
  const rest = key.slice(cut.length);
  return rest.startsWith("data/") ? rest.slice("data/".length) : rest;
}

function parseObject(value: Uint8Array): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value).toString("utf8"));
    return asRecord(parsed);
  } catch {
    return undefined; // the parser's message would quote the value
  }
}

function sameData(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && JSON.stringify(a[k]) === JSON.stringify(b[k]));
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
