// The AWS Secrets Manager provider: ESO's semantics for key/version/property/metadata/find over the
// narrow SecretsManagerPort. Current-version reads are coalesced into BatchGetSecretValue calls.
import { RE2JS } from "re2js";
import type { AwsProviderSpec } from "../../api/secret-store.ts";
import { jsonObjectMembers, propertyOf } from "../gjson.ts";
import { goJsonStringMap } from "../go-json.ts";
import {
  InvalidSecretValue,
  PropertyNotFound,
  SecretNotFound,
  utf8,
  type CredentialSource,
  type FindRef,
  type ReadBatching,
  type RemoteRef,
  type SecretsClient,
  type SecretsPusher,
} from "../provider.ts";
import { BATCH_CALLS_IN_FLIGHT, Coalescer } from "./coalescer.ts";
import type { SecretValue, SecretsManagerPort } from "./port.ts";
import { SdkSecretsManagerPort } from "./sdk-port.ts";
import { SecretsManagerPusher } from "./secrets-manager-push.ts";
import type { ApiCallListener } from "./api-call-counter.ts";
import { awsCredentials, type AwsCredentialsOptions } from "./credentials.ts";

export { awsCredentials, ROLE_ARN_ANNOTATION } from "./credentials.ts";
export { goJsonStringMap } from "../go-json.ts";

const BATCH_MAX = 20; // BatchGetSecretValue accepts at most 20 ids with SecretIdList

export interface AwsClientOptions extends AwsCredentialsOptions {
  /** Endpoint override (ESO reads AWS_SECRETSMANAGER_ENDPOINT). */
  secretsManagerEndpoint?: string;
  /** How long single reads wait to be coalesced into one batch call. */
  batchWindowMs?: number;
  /** Every API call the SDK sends (see api-call-counter.ts). */
  onApiCall?: ApiCallListener;
}

export interface AwsClientInput {
  spec: AwsProviderSpec;
  credentials: CredentialSource;
  options: AwsClientOptions;
}

export async function createAwsClient(input: AwsClientInput): Promise<SecretsClient> {
  const credentials = await awsCredentials(input);
  const port = new SdkSecretsManagerPort({
    region: input.spec.region,
    ...(input.options.secretsManagerEndpoint ? { endpoint: input.options.secretsManagerEndpoint } : {}),
    ...(credentials ? { credentials } : {}),
    ...(input.options.onApiCall ? { onApiCall: input.options.onApiCall } : {}),
  });
  const prefix = input.spec.prefix ?? "";
  const pusher = new SecretsManagerPusher(port, { prefix, ...(input.spec.secretsManager ? { deletion: input.spec.secretsManager } : {}) });
  return new AwsSecretsManagerClient(port, { prefix, batchWindowMs: input.options.batchWindowMs ?? 20, pusher });
}

export class AwsSecretsManagerClient implements SecretsClient {
  private readonly port: SecretsManagerPort;
  private readonly prefix: string;
  private readonly current: Coalescer<string, SecretValue>;
  /** Current-version value reads go through BatchGetSecretValue; tags and pinned versions do not. */
  readonly readBatching: ReadBatching;
  /** PushSecret writes (secrets-manager-push.ts), when the port can write. */
  readonly pusher?: SecretsPusher;

  constructor(port: SecretsManagerPort, options: { prefix: string; batchWindowMs: number; pusher?: SecretsPusher }) {
    this.port = port;
    if (options.pusher) this.pusher = options.pusher;
    this.prefix = options.prefix;
    this.readBatching = {
      maxBatch: BATCH_MAX,
      batchKey: (ref) =>
        ref.metadataPolicy === "Fetch" || (ref.version !== undefined && ref.version !== "AWSCURRENT") ? undefined : this.prefix + ref.key,
    };
    this.current = new Coalescer<string, SecretValue>({
      windowMs: options.batchWindowMs,
      maxBatch: BATCH_MAX,
      maxInFlight: BATCH_CALLS_IN_FLIGHT,
      loadBatch: (ids) => this.loadBatch(ids),
      missing: (id) => new SecretNotFound(`${id}: not returned by BatchGetSecretValue`),
    });
  }

  async getSecret(ref: RemoteRef): Promise<Uint8Array> {
    const key = this.prefix + ref.key;
    // As ESO: Fetch reads the tags (DescribeSecret) as a JSON object, which property then indexes.
    const value = ref.metadataPolicy === "Fetch"
      ? { name: key, arn: "", secretString: goJsonStringMap(await this.port.describeSecretTags(key)) }
      : await this.read(key, ref.version);
    if (!ref.property) {
      if (value.secretString !== undefined) return utf8(value.secretString);
      if (value.secretBinary !== undefined) return value.secretBinary;
      throw new InvalidSecretValue(`invalid secret received: no secret string nor binary for key ${ref.key}`);
    }
    const payload = value.secretString ?? (value.secretBinary ? Buffer.from(value.secretBinary).toString("utf8") : "");
    const found = propertyOf(payload, ref.property);
    if (!found.exists) throw new PropertyNotFound(`key ${ref.property} does not exist in secret ${ref.key}`);
    return utf8(found.text);
  }

  async getSecretMap(ref: RemoteRef): Promise<Record<string, Uint8Array>> {
    const raw = Buffer.from(await this.getSecret(ref)).toString("utf8");
    const members = jsonObjectMembers(raw);
    if (!members) throw new InvalidSecretValue(`unable to unmarshal secret ${ref.key}: not a JSON object`);
    const out: Record<string, Uint8Array> = {};
    // ESO unmarshals each member into a Go string: a JSON null leaves it empty, other non-strings stay raw JSON.
    for (const [k, v] of members) out[k] = v.isNull ? new Uint8Array() : utf8(v.text);
    return out;
  }

  async findSecrets(find: FindRef): Promise<Record<string, Uint8Array>> {
    const filters: { key: "name" | "tag-key" | "tag-value"; values: string[] }[] = [];
    const path = find.path === undefined ? undefined : this.prefix + find.path;
    if (path) filters.push({ key: "name", values: [path] });
    for (const [k, v] of Object.entries(find.tags ?? {})) {
      filters.push({ key: "tag-key", values: [k] }, { key: "tag-value", values: [v] });
    }
    const nameRe = find.nameRegexp === undefined ? undefined : RE2JS.compile(find.nameRegexp);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.port.listSecrets(filters, token);
      for (const s of page.secrets) {
        if (path && !s.name.startsWith(path)) continue;
        // The API's tag filters match any tag; ESO requires every tag to match exactly.
        if (find.tags && !Object.entries(find.tags).every(([k, v]) => s.tags[k] === v)) continue;
        if (nameRe && !nameRe.matcher(s.name).find()) continue;
        names.push(s.name);
      }
      token = page.nextToken;
    } while (token);
    const values = await Promise.all(names.map((n) => this.current.load(n)));
    const out: Record<string, Uint8Array> = {};
    names.forEach((name, i) => {
      const v = values[i];
      if (v?.secretString !== undefined) out[name.slice(this.prefix.length)] = utf8(v.secretString);
      else if (v?.secretBinary !== undefined) out[name.slice(this.prefix.length)] = v.secretBinary;
    });
    return out;
  }

  async validate(): Promise<void> {
    await this.port.checkCredentials();
  }

  close(): void {
    this.port.close();
  }

  private read(key: string, version: string | undefined): Promise<SecretValue> {
    if (version === undefined || version === "AWSCURRENT") return this.current.load(key);
    if (version.startsWith("uuid/")) return this.port.getSecretValue({ secretId: key, versionId: version.slice("uuid/".length) });
    return this.port.getSecretValue({ secretId: key, versionStage: version });
  }

  private async loadBatch(ids: readonly string[]): Promise<Map<string, SecretValue | Error>> {
    if (ids.length === 1) {
      // One id gains nothing from the batch API; GetSecretValue needs fewer permissions.
      const [id] = ids;
      if (id === undefined) return new Map();
      try {
        return new Map([[id, await this.port.getSecretValue({ secretId: id })]]);
      } catch (err) {
        return new Map([[id, err instanceof Error ? err : new Error(String(err))]]);
      }
    }
    const result = await this.port.batchGetSecretValue(ids);
    const out = new Map<string, SecretValue | Error>();
    const byName = new Map<string, SecretValue>();
    for (const v of result.values) {
      byName.set(v.name, v);
      byName.set(v.arn, v);
    }
    for (const e of result.errors) out.set(e.secretId, e.error);
    for (const id of ids) {
      const v = byName.get(id);
      if (v) out.set(id, v);
    }
    return out;
  }
}
