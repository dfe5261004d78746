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

export interface SecretsManagerPort {
  batchGetSecretValue(secretIds: readonly string[]): Promise<BatchResult>;
  getSecretValue(input: { secretId: string; versionId?: string; versionStage?: string }): Promise<SecretValue>;
  listSecrets(filters: readonly ListFilter[], nextToken?: string): Promise<{ secrets: ListedSecret[]; nextToken?: string }>;
  describeSecretTags(secretId: string): Promise<Record<string, string>>;
  /** Resolves credentials (STS calls for roles / web identity happen here, cached by the SDK). */
  checkCredentials(): Promise<void>;
  close(): void;
}
