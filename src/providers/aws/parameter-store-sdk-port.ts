// ParameterStorePort over @aws-sdk/client-ssm (same major line as the Secrets Manager SDK; loaded
// only when a store uses service ParameterStore). One SDK client per store, its credentials memoised
// by the SDK. Every SDK error is translated here; AWS error messages name parameters, never values.
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  RemoveTagsFromResourceCommand,
  SSMClient,
  type Parameter as SdkParameter,
} from "@aws-sdk/client-ssm";
import type { AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { AccessDenied, AuthFailed, InvalidProviderConfig, ProviderError, ProviderUnavailable, SecretNotFound } from "../provider.ts";
import { countApiCalls, type ApiCallListener } from "./api-call-counter.ts";
import { AUTH_ERROR_CODES } from "./auth-error-codes.ts";
import type { Parameter, ParameterFilter, ParameterStorePort, PutParameterInput } from "./parameter-store-port.ts";

export interface ParameterStoreSdkOptions {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
  /** Called for every API call the SDK sends (counted at the SDK middleware), with its input. */
  onApiCall?: ApiCallListener;
  maxAttempts?: number;
}

export class SdkParameterStorePort implements ParameterStorePort {
  private readonly client: SSMClient;

  constructor(options: ParameterStoreSdkOptions) {
    this.client = new SSMClient({
      region: options.region,
      maxAttempts: options.maxAttempts ?? 2,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    if (options.onApiCall) countApiCalls(this.client.middlewareStack, options.onApiCall);
  }

  async getParameter(name: string): Promise<Parameter> {
    const out = await guard(name, () => this.client.send(new GetParameterCommand({ Name: name, WithDecryption: true })));
    if (!out.Parameter) throw new SecretNotFound(`${name}: GetParameter returned no parameter`);
    return toParameter(out.Parameter);
  }

  async getParameters(names: readonly string[]): Promise<{ parameters: Parameter[]; invalid: string[] }> {
    const out = await guard(names.join(","), () => this.client.send(new GetParametersCommand({ Names: [...names], WithDecryption: true })));
    return { parameters: (out.Parameters ?? []).map(toParameter), invalid: out.InvalidParameters ?? [] };
  }

  async getParametersByPath(path: string, nextToken?: string): Promise<{ parameters: Parameter[]; nextToken?: string }> {
    const out = await guard(path, () =>
      this.client.send(new GetParametersByPathCommand({ Path: path, Recursive: true, WithDecryption: true, ...(nextToken ? { NextToken: nextToken } : {}) })),
    );
    return { parameters: (out.Parameters ?? []).map(toParameter), ...(out.NextToken ? { nextToken: out.NextToken } : {}) };
  }

  async describeParameters(filters: readonly ParameterFilter[], nextToken?: string): Promise<{ names: string[]; nextToken?: string }> {
    const out = await guard("DescribeParameters", () =>
      this.client.send(
        new DescribeParametersCommand({
          ParameterFilters: filters.map((f) => ({ Key: f.key, Option: f.option, Values: [...f.values] })),
          MaxResults: 50,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      ),
    );
    return { names: (out.Parameters ?? []).flatMap((p) => (p.Name ? [p.Name] : [])), ...(out.NextToken ? { nextToken: out.NextToken } : {}) };
  }

  async listTags(name: string): Promise<Record<string, string>> {
    const out = await guard(name, () => this.client.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: name })));
    const tags: Record<string, string> = {};
    for (const t of out.TagList ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? "";
    return tags;
  }

  async addTags(name: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    if (list.length === 0) return;
    await guard(name, () => this.client.send(new AddTagsToResourceCommand({ ResourceType: "Parameter", ResourceId: name, Tags: list })));
  }

  async removeTags(name: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await guard(name, () => this.client.send(new RemoveTagsFromResourceCommand({ ResourceType: "Parameter", ResourceId: name, TagKeys: [...keys] })));
  }

  async putParameter(input: PutParameterInput): Promise<void> {
    const tags = Object.entries(input.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    await guard(input.name, () =>
      this.client.send(
        new PutParameterCommand({
          Name: input.name,
          Value: input.value,
          Type: input.type,
          Overwrite: input.overwrite,
          ...(input.description ? { Description: input.description } : {}),
          ...(input.keyId ? { KeyId: input.keyId } : {}),
          ...(tags.length > 0 ? { Tags: tags } : {}),
        }),
      ),
      true,
    );
  }

  async deleteParameter(name: string): Promise<void> {
    await guard(name, () => this.client.send(new DeleteParameterCommand({ Name: name })));
  }

  async checkCredentials(): Promise<void> {
    try {
      await this.client.config.credentials();
    } catch (err) {
      throw translate(err, "credentials");
    }
  }

  close(): void {
    this.client.destroy();
  }
}

function toParameter(p: SdkParameter): Parameter {
  return { name: p.Name ?? "", value: p.Value ?? "", ...(p.Version !== undefined ? { version: p.Version } : {}) };
}

/** `carriesValue`: the request holds a secret value, which validation messages may quote; only the code is kept. */
async function guard<T>(what: string, call: () => Promise<T>, carriesValue = false): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw translate(err, what, carriesValue);
  }
}

const NOT_FOUND = new Set(["ParameterNotFound", "ParameterVersionNotFound", "InvalidResourceId", "ResourceNotFoundException"]);
const CONFIG_CODES = new Set([
  "ValidationException",
  "InvalidKeyId",
  "InvalidParameterException",
  "ParameterPatternMismatchException",
  "HierarchyLevelLimitExceededException",
  "HierarchyTypeMismatchException",
  "UnsupportedParameterType",
  "InvalidFilterKey",
  "InvalidFilterOption",
  "InvalidFilterValue",
  "ParameterMaxVersionLimitExceeded",
  "ParameterLimitExceeded",
  "TooManyTagsError",
  "ParameterAlreadyExists",
]);

function translate(err: unknown, what: string, carriesValue = false): ProviderError {
  if (err instanceof ProviderError) return err;
  if (!(err instanceof Error)) return new ProviderUnavailable(`${what}: ${carriesValue ? "request failed" : String(err)}`);
  const code = typeof (err as { Code?: unknown }).Code === "string" ? String((err as { Code?: unknown }).Code) : err.name;
  const text = `${what}: ${code}${err.message && !carriesValue ? `: ${err.message}` : ""}`;
  // The cause would carry the message along (loggers print causes), so a write keeps none.
  const opts = carriesValue ? undefined : { cause: err };
  if (NOT_FOUND.has(code)) return new SecretNotFound(text, opts);
  if (code === "AccessDeniedException" || code === "AccessDenied") return new AccessDenied(text, opts);
  if (AUTH_ERROR_CODES.has(code)) return new AuthFailed(text, opts);
  if (CONFIG_CODES.has(code)) return new InvalidProviderConfig(text, opts);
  return new ProviderUnavailable(text, opts);
}
