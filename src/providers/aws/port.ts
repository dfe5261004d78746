// The narrow subset of the Secrets Manager API the AWS provider uses (like ESO's SMInterface), with
// vendor errors already translated into provider errors. sdk-port.ts implements it over the SDK.

export interface SecretValue {
  name: string;
  arn: string;
  versionId?: string;
  secretString?: string;
  secretBinary?: Uint8Array;
}

export interface BatchResult {
  values: SecretValue[];
  /** Per-id failures, already translated (SecretNotFound, AccessDenied...). */
  errors: { secretId: string; error: Error }[];
}

export interface ListedSecret {
  name: string;
  arn: string;
  tags: Record<string, string>;
}

export type ListFilter = { key: "name" | "tag-key" | "tag-value"; values: string[] };

/** What DescribeSecret says about a secret, for pushes and deletes. */
export interface SecretDescription {
  arn: string;
  tags: Record<string, string>;
  /** Whether any version exists (a secret created without a value has none). */
  hasVersions: boolean;
}

export type SecretPayload = { secretString: string } | { secretBinary: Uint8Array };

export interface SecretsManagerPort {
  batchGetSecretValue(secretIds: readonly string[]): Promise<BatchResult>;
  getSecretValue(input: { secretId: string; versionId?: string; versionStage?: string }): Promise<SecretValue>;
  listSecrets(filters: readonly ListFilter[], nextToken?: string): Promise<{ secrets: ListedSecret[]; nextToken?: string }>;
  describeSecretTags(secretId: string): Promise<Record<string, string>>;
  /** Resolves credentials (STS calls for roles / web identity happen here, cached by the SDK). */
  checkCredentials(): Promise<void>;
  close(): void;
}

/** The writes PushSecret needs (ESO's CreateSecret, PutSecretValue, DeleteSecret, TagResource...). */
export interface SecretsManagerPushPort {
  describeSecret(secretId: string): Promise<SecretDescription>;
  getSecretValue(input: { secretId: string }): Promise<SecretValue>;
  createSecret(input: { name: string; payload: SecretPayload; tags: Record<string, string>; description: string; kmsKeyId?: string; clientRequestToken: string }): Promise<void>;
  putSecretValue(input: { secretId: string; payload: SecretPayload; clientRequestToken: string }): Promise<void>;
  deleteSecret(input: { secretId: string; forceDeleteWithoutRecovery?: boolean; recoveryWindowInDays?: number }): Promise<void>;
  tagResource(secretId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  untagResource(secretId: string, keys: readonly string[]): Promise<void>;
}
