// SecretsManagerPort over @aws-sdk/client-secrets-manager. One SDK client per store: its credential
// provider is memoised by the SDK and refreshed shortly before expiry, so STS is called once per
// credential lifetime, not per reconcile. Every SDK error is translated here.
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-secrets-manager";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import {
  AccessDenied,
  AuthFailed,
  InvalidProviderConfig,
  ProviderError,
  ProviderUnavailable,
  SecretNotFound,
} from "../provider.ts";
import { countApiCalls, type ApiCallListener } from "./api-call-counter.ts";
import { AUTH_ERROR_CODES } from "./auth-error-codes.ts";
import type { BatchResult, ListFilter, SecretDescription, SecretPayload, SecretValue, SecretsManagerPort, SecretsManagerPushPort } from "./port.ts";

export interface SdkPortOptions {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
  /** Called for every API call the SDK sends (counted at the SDK middleware). */
  onApiCall?: ApiCallListener;
  maxAttempts?: number;
}

export class SdkSecretsManagerPort implements SecretsManagerPort, SecretsManagerPushPort {
  private readonly client: SecretsManagerClient;

  constructor(options: SdkPortOptions) {
    this.client = new SecretsManagerClient({
      region: options.region,
      maxAttempts: options.maxAttempts ?? 2,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    if (options.onApiCall) countApiCalls(this.client.middlewareStack, options.onApiCall);
  }

  async batchGetSecretValue(secretIds: readonly string[]): Promise<BatchResult> {
    const out = await guard(secretIds.join(","), () => this.client.send(new BatchGetSecretValueCommand({ SecretIdList: [...secretIds] })));
    return {
      values: (out.SecretValues ?? []).map((v) => toValue(v)),
      errors: (out.Errors ?? []).map((e) => ({
        secretId: e.SecretId ?? "",
        error: translateCode(e.ErrorCode ?? "", e.Message ?? "", e.SecretId ?? ""),
      })),
    };
  }

  async getSecretValue(input: { secretId: string; versionId?: string; versionStage?: string }): Promise<SecretValue> {
    const out = await guard(input.secretId, () =>
      this.client.send(
        new GetSecretValueCommand({
          SecretId: input.secretId,
          ...(input.versionId ? { VersionId: input.versionId } : {}),
          ...(input.versionStage ? { VersionStage: input.versionStage } : {}),
        }),
      ),
    );
    return toValue(out);
  }

  async listSecrets(filters: readonly ListFilter[], nextToken?: string): Promise<{ secrets: { name: string; arn: string; tags: Record<string, string> }[]; nextToken?: string }> {
    const out = await guard("ListSecrets", () =>
      this.client.send(
        new ListSecretsCommand({
          MaxResults: 100,
          ...(filters.length ? { Filters: filters.map((f) => ({ Key: f.key, Values: f.values })) } : {}),
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      ),
    );
    return {
      secrets: (out.SecretList ?? []).map((s) => ({ name: s.Name ?? "", arn: s.ARN ?? "", tags: tagMap(s.Tags) })),
      ...(out.NextToken ? { nextToken: out.NextToken } : {}),
    };
  }

  async describeSecretTags(secretId: string): Promise<Record<string, string>> {
    const out = await guard(secretId, () => this.client.send(new DescribeSecretCommand({ SecretId: secretId })));
    return tagMap(out.Tags);
  }

  async describeSecret(secretId: string): Promise<SecretDescription> {
    const out = await guard(secretId, () => this.client.send(new DescribeSecretCommand({ SecretId: secretId })));
    return { arn: out.ARN ?? secretId, tags: tagMap(out.Tags), hasVersions: Object.keys(out.VersionIdsToStages ?? {}).length > 0 };
  }

  async createSecret(input: { name: string; payload: SecretPayload; tags: Record<string, string>; description: string; kmsKeyId?: string; clientRequestToken: string }): Promise<void> {
    await guard(input.name, () =>
      this.client.send(
        new CreateSecretCommand({
          Name: input.name,
          ...payloadFields(input.payload),
          Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
          Description: input.description,
          ClientRequestToken: input.clientRequestToken,
          ...(input.kmsKeyId ? { KmsKeyId: input.kmsKeyId } : {}),
        }),
      ), true);
  }

  async putSecretValue(input: { secretId: string; payload: SecretPayload; clientRequestToken: string }): Promise<void> {
    await guard(input.secretId, () =>
      this.client.send(new PutSecretValueCommand({ SecretId: input.secretId, ...payloadFields(input.payload), ClientRequestToken: input.clientRequestToken })), true);
  }

  async deleteSecret(input: { secretId: string; forceDeleteWithoutRecovery?: boolean; recoveryWindowInDays?: number }): Promise<void> {
    await guard(input.secretId, () =>
      this.client.send(
        new DeleteSecretCommand({
          SecretId: input.secretId,
          ...(input.forceDeleteWithoutRecovery ? { ForceDeleteWithoutRecovery: true } : {}),
          ...(input.recoveryWindowInDays ? { RecoveryWindowInDays: input.recoveryWindowInDays } : {}),
        }),
      ),
    );
  }

  async tagResource(secretId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    if (list.length > 0) await guard(secretId, () => this.client.send(new TagResourceCommand({ SecretId: secretId, Tags: list })));
  }

  async untagResource(secretId: string, keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await guard(secretId, () => this.client.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: [...keys] })));
  }

  async checkCredentials(): Promise<void> {
    try {
      const provider = this.client.config.credentials;
      await provider();
    } catch (err) {
      throw translate(err, "credentials");
    }
  }

  close(): void {
    this.client.destroy();
  }
}

/** `carriesValue`: the request holds a secret value, which validation messages may quote; only the code is kept. */
async function guard<T>(what: string, call: () => Promise<T>, carriesValue = false): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!carriesValue || err instanceof ProviderError) throw translate(err, what);
    const code = err instanceof Error ? ((err as { Code?: unknown }).Code as string | undefined) ?? err.name : "Error";
    throw translateCode(code, "", what);
  }
}

function payloadFields(payload: SecretPayload): { SecretString: string } | { SecretBinary: Uint8Array } {
  return "secretString" in payload ? { SecretString: payload.secretString } : { SecretBinary: payload.secretBinary };
}

function toValue(v: { Name?: string | undefined; ARN?: string | undefined; VersionId?: string | undefined; SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined }): SecretValue {
  return {
    name: v.Name ?? "",
    arn: v.ARN ?? "",
    ...(v.VersionId ? { versionId: v.VersionId } : {}),
    ...(v.SecretString !== undefined ? { secretString: v.SecretString } : {}),
    ...(v.SecretBinary !== undefined ? { secretBinary: v.SecretBinary } : {}),
  };
}

function tagMap(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}


function translateCode(code: string, message: string, what: string, cause?: unknown): ProviderError {
  const opts = cause === undefined ? undefined : { cause };
  // AWS messages name the secret and the error, never its value.
  const text = `${what}: ${code}${message ? `: ${message}` : ""}`;
  if (code === "ResourceNotFoundException") return new SecretNotFound(text, opts);
  if (code === "AccessDeniedException" || code === "AccessDenied" || code === "DecryptionFailure") return new AccessDenied(text, opts);
  if (AUTH_ERROR_CODES.has(code)) return new AuthFailed(text, opts);
  if (code === "InvalidParameterException" || code === "InvalidRequestException" || code === "ValidationException") {
    return new InvalidProviderConfig(text, opts);
  }
  return new ProviderUnavailable(text, opts);
}

function translate(err: unknown, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof Error) {
    const code = (err as { Code?: unknown }).Code;
    const name = typeof code === "string" ? code : err.name;
    return translateCode(name, err.message, what, err);
  }
  return new ProviderUnavailable(`${what}: ${String(err)}`);
}

export type { AwsCredentialIdentity };
