// The AWS Parameter Store provider (`service: ParameterStore`): ESO's semantics for key, `:version`,
// property, metadataPolicy Fetch (tags) and find (by path and name: GetParametersByPath; by tags:
// DescribeParameters) over the narrow ParameterStorePort. Current-version reads are coalesced into
// GetParameters calls of 10 names, through the same Coalescer and ReadBatching the Secrets Manager
// client uses, so refresh waves fill them. PushSecret: PutParameter with the managed-by tag.
import { RE2JS } from "re2js";
import type { AwsProviderSpec } from "../../api/secret-store.ts";
import { jsonObjectMembers, propertyOf } from "../gjson.ts";
import { goJsonStringMap } from "../go-json.ts";
import {
  InvalidProviderConfig,
  InvalidSecretValue,
  PropertyNotFound,
  RemoteSecretNotOwned,
  SecretNotFound,
  utf8,
  type CredentialSource,
  type FindRef,
  type PushInput,
  type PushRef,
  type ReadBatching,
  type RemoteRef,
  type SecretsClient,
  type SecretsPusher,
} from "../provider.ts";
import { EXTERNAL_SECRETS, MANAGED_BY, metadataString, metadataTags, pushMetadataSpec, pushValue } from "../push-value.ts";
import type { ApiCallListener } from "./api-call-counter.ts";
import { BATCH_CALLS_IN_FLIGHT, Coalescer } from "./coalescer.ts";
import { awsCredentials, type AwsCredentialsOptions } from "./credentials.ts";
import type { Parameter, ParameterFilter, ParameterStorePort } from "./parameter-store-port.ts";
import { SdkParameterStorePort } from "./parameter-store-sdk-port.ts";

/** GetParameters accepts at most 10 names a call. */
export const GET_PARAMETERS_MAX = 10;

export interface ParameterStoreClientOptions extends AwsCredentialsOptions {
  /** Endpoint override (ESO reads AWS_SSM_ENDPOINT). */
  ssmEndpoint?: string;
  /** How long single reads wait to be coalesced into one batch call. */
  batchWindowMs?: number;
  onApiCall?: ApiCallListener;
}

export async function createParameterStoreClient(input: { spec: AwsProviderSpec; credentials: CredentialSource; options: ParameterStoreClientOptions }): Promise<SecretsClient> {
  const credentials = await awsCredentials(input);
  const port = new SdkParameterStorePort({
    region: input.spec.region,
    ...(input.options.ssmEndpoint ? { endpoint: input.options.ssmEndpoint } : {}),
    ...(credentials ? { credentials } : {}),
    ...(input.options.onApiCall ? { onApiCall: input.options.onApiCall } : {}),
  });
  return new AwsParameterStoreClient(port, { prefix: input.spec.prefix ?? "", batchWindowMs: input.options.batchWindowMs ?? 20 });
}

const PUSH_METADATA_FIELDS = ["secretType", "kmsKeyID", "description", "tags", "encodeAsDecoded"] as const;
const PARAMETER_TYPES = ["String", "StringList", "SecureString"] as const;

export class AwsParameterStoreClient implements SecretsClient {
  private readonly port: ParameterStorePort;
  private readonly prefix: string;
  private readonly current: Coalescer<string, Parameter>;
  /** Current-version value reads go through GetParameters; tags and pinned versions do not. */
  readonly readBatching: ReadBatching;
  readonly pusher: SecretsPusher;

  constructor(port: ParameterStorePort, options: { prefix: string; batchWindowMs: number }) {
    this.port = port;
    this.prefix = options.prefix;
    this.readBatching = {
      maxBatch: GET_PARAMETERS_MAX,
      batchKey: (ref) => (ref.metadataPolicy === "Fetch" || ref.version !== undefined ? undefined : this.prefix + ref.key),
    };
    this.current = new Coalescer<string, Parameter>({
      windowMs: options.batchWindowMs,
      maxBatch: GET_PARAMETERS_MAX,
      maxInFlight: BATCH_CALLS_IN_FLIGHT,
      loadBatch: (names) => this.loadBatch(names),
      missing: (name) => new SecretNotFound(`${name}: parameter not found`),
    });
    this.pusher = {
      secretExists: (ref) => this.exists(ref),
      pushSecret: (input) => this.push(input),
      deleteSecret: (ref) => this.remove(ref),
    };
  }

  async getSecret(ref: RemoteRef): Promise<Uint8Array> {
    const name = this.prefix + ref.key;
    // As ESO: Fetch reads the parameter's tags as a JSON object, which property then indexes.
    const value = ref.metadataPolicy === "Fetch"
      ? goJsonStringMap(await this.port.listTags(ref.version ? `${name}:${ref.version}` : name))
      : (ref.version ? await this.port.getParameter(`${name}:${ref.version}`) : await this.current.load(name)).value;
    if (!ref.property) return utf8(value);
    const found = propertyOf(value, ref.property);
    if (!found.exists) throw new PropertyNotFound(`key ${ref.property} does not exist in secret ${ref.key}`);
    return utf8(found.text);
  }

  async getSecretMap(ref: RemoteRef): Promise<Record<string, Uint8Array>> {
    const raw = Buffer.from(await this.getSecret(ref)).toString("utf8");
    const members = jsonObjectMembers(raw);
    if (!members) throw new InvalidSecretValue(`unable to unmarshal secret ${ref.key}: not a JSON object`);
    const out: Record<string, Uint8Array> = {};
    for (const [k, v] of members) out[k] = utf8(v.text);
    return out;
  }

  /**
   * As ESO: tags → DescribeParameters (tag filters, and the path) then the values, here batched 10 a
   * call; otherwise GetParametersByPath (recursive, at the root path when none is given) filtered by
   * the name regexp. Keys are the full parameter names.
   */
  async findSecrets(find: FindRef): Promise<Record<string, Uint8Array>> {
    const nameRe = find.nameRegexp === undefined ? undefined : RE2JS.compile(find.nameRegexp);
    const out: Record<string, Uint8Array> = {};
    if (find.tags && Object.keys(find.tags).length > 0) {
      const filters: ParameterFilter[] = Object.entries(find.tags).map(([k, v]) => ({ key: `tag:${k}`, option: "Equals", values: [v] }));
      if (find.path) filters.push({ key: "Path", option: "Recursive", values: [find.path] });
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await this.port.describeParameters(filters, token);
        names.push(...page.names.filter((n) => !nameRe || nameRe.matcher(n).find()));
        token = page.nextToken;
      } while (token);
      const values = await Promise.all(names.map((n) => this.current.load(n)));
      names.forEach((n, i) => {
        const p = values[i];
        if (p) out[n] = utf8(p.value);
      });
      return out;
    }
    if (!find.path && !nameRe) throw new InvalidProviderConfig("find needs a name, a path or tags for Parameter Store");
    let token: string | undefined;
    do {
      const page = await this.port.getParametersByPath(find.path ?? "/", token);
      for (const p of page.parameters) if (!nameRe || nameRe.matcher(p.name).find()) out[p.name] = utf8(p.value);
      token = page.nextToken;
    } while (token);
    return out;
  }

  async validate(): Promise<void> {
    await this.port.checkCredentials();
  }

  close(): void {
    this.port.close();
  }

  private async loadBatch(names: readonly string[]): Promise<Map<string, Parameter | Error>> {
    const out = new Map<string, Parameter | Error>();
    if (names.length === 1) {
      // One name gains nothing from the batch call.
      const [name] = names;
      if (name === undefined) return out;
      try {
        out.set(name, await this.port.getParameter(name));
      } catch (err) {
        out.set(name, err instanceof Error ? err : new Error(String(err)));
      }
      return out;
    }
    const result = await this.port.getParameters(names);
    for (const p of result.parameters) out.set(p.name, p);
    for (const name of result.invalid) out.set(name, new SecretNotFound(`${name}: parameter not found`));
    return out;
  }

  private async lookup(name: string): Promise<Parameter | undefined> {
    try {
      return await this.port.getParameter(name);
    } catch (err) {
      if (err instanceof SecretNotFound) return undefined;
      throw err;
    }
  }

  private async exists(ref: PushRef): Promise<boolean> {
    return (await this.lookup(this.prefix + ref.remoteKey)) !== undefined;
  }

  private async push(input: PushInput): Promise<"created" | "updated" | "unchanged"> {
    const spec = pushMetadataSpec(input.metadata, PUSH_METADATA_FIELDS, "Parameter Store");
    const type = metadataString(spec, "secretType") ?? "String";
    if (!(PARAMETER_TYPES as readonly string[]).includes(type)) throw new InvalidProviderConfig(`metadata.spec.secretType must be one of ${PARAMETER_TYPES.join(", ")}`);
    const encodeAsDecoded = spec["encodeAsDecoded"] === true;
    const tags = { ...metadataTags(spec), [MANAGED_BY]: EXTERNAL_SECRETS };
    const name = this.prefix + input.ref.remoteKey;
    const value = Buffer.from(pushValue(input, encodeAsDecoded ? "text" : "base64")).toString("utf8");
    const request = {
      name,
      value,
      type: type as (typeof PARAMETER_TYPES)[number],
      description: metadataString(spec, "description") ?? `secret '${MANAGED_BY}:${EXTERNAL_SECRETS}'`,
      ...(type === "SecureString" ? { keyId: metadataString(spec, "kmsKeyID") ?? "alias/aws/ssm" } : {}),
    };
    const existing = await this.lookup(name);
    if (!existing) {
      await this.port.putParameter({ ...request, overwrite: false, tags });
      return "created";
    }
    const current = await this.port.listTags(name);
    if (current[MANAGED_BY] !== EXTERNAL_SECRETS) throw new RemoteSecretNotOwned(`parameter ${name}`);
    if (existing.value === value) return "unchanged";
    await this.port.putParameter({ ...request, overwrite: true });
    // As ESO: the tags follow the metadata (managed-by is always kept).
    await this.port.removeTags(name, Object.keys(current).filter((k) => !(k in tags)));
    const changed = Object.fromEntries(Object.entries(tags).filter(([k, v]) => current[k] !== v));
    await this.port.addTags(name, changed);
    return "updated";
  }

  private async remove(ref: PushRef): Promise<"deleted" | "absent" | "notOwned"> {
    const name = this.prefix + ref.remoteKey;
    if (!(await this.lookup(name))) return "absent";
    const tags = await this.port.listTags(name);
    if (tags[MANAGED_BY] !== EXTERNAL_SECRETS) return "notOwned";
    try {
      await this.port.deleteParameter(name);
    } catch (err) {
      if (err instanceof SecretNotFound) return "absent";
      throw err;
    }
    return "deleted";
  }
}
