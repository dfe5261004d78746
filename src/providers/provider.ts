// The one interface every secret provider implements, and the typed errors they throw. Adapters
// (src/providers/aws, src/providers/vault) translate vendor errors into these at their boundary, so
// the controller maps `reason` to conditions without knowing any SDK.

/** What `data[].remoteRef` / `dataFrom[].extract` asks a provider for. */
export interface RemoteRef {
  key: string;
  /** gjson path into the value (AWS) or into the secret's data map (Vault). */
  property?: string;
  version?: string;
  /** "Fetch": read the secret's tags / custom metadata instead of its value. */
  metadataPolicy?: "None" | "Fetch";
}

/** What `dataFrom[].find` asks a provider for. */
export interface FindRef {
  path?: string;
  /** RE2 regular expression matched against secret names. */
  nameRegexp?: string;
  tags?: Readonly<Record<string, string>>;
}

/** How a provider batches reads, so the controller can read many ExternalSecrets' values at once. */
export interface ReadBatching {
  /** Most distinct ids one batch call reads. */
  maxBatch: number;
  /** The id a read is batched under (reads with the same id are one read), or undefined if not batched. */
  batchKey(ref: RemoteRef): string | undefined;
}

/** Where one PushSecret entry goes (`data[].match.remoteRef`). */
export interface PushRef {
  remoteKey: string;
  /** One field of a JSON remote secret; the other fields are kept. */
  property?: string;
}

/** One entry to push: the source Secret's data and the key of it to send (all of it, as JSON, when absent). */
export interface PushInput {
  ref: PushRef;
  secretKey?: string;
  data: Readonly<Record<string, Uint8Array>>;
  /** `data[].metadata` as written (a provider-specific PushSecretMetadata object). */
  metadata?: unknown;
}

/**
 * Writes to a provider (PushSecret). A remote secret this writes is marked the way ESO marks it
 * (AWS tag and Vault custom metadata `managed-by: external-secrets`); one without that mark is never
 * overwritten (RemoteSecretNotOwned) nor deleted (left alone, "notOwned").
 */
export interface SecretsPusher {
  /** Whether the remote secret exists (Vault: with `property`, whether that field exists). */
  secretExists(ref: PushRef): Promise<boolean>;
  pushSecret(input: PushInput): Promise<"created" | "updated" | "unchanged">;
  /** Removes what a push wrote at `ref` (only the field, with `property`, where the provider keeps others). */
  deleteSecret(ref: PushRef): Promise<"deleted" | "absent" | "notOwned">;
}

/** One secret provider client, bound to one store configuration and its credentials. */
export interface SecretsClient {
  /** Present when concurrent getSecret/getSecretMap calls are coalesced into batch calls. */
  readonly readBatching?: ReadBatching;
  /** Present when the provider accepts PushSecret writes. */
  readonly pusher?: SecretsPusher;
  /** The value of one secret (or of one property of it). */
  getSecret(ref: RemoteRef): Promise<Uint8Array>;
  /** The key/value pairs of one secret whose value is a JSON object. */
  getSecretMap(ref: RemoteRef): Promise<Record<string, Uint8Array>>;
  /** All secrets matching a find query, by secret name. */
  findSecrets(find: FindRef): Promise<Record<string, Uint8Array>>;
  /** Checks the configuration and credentials with one cheap call. */
  validate(): Promise<void>;
  close(): void;
}

/**
 * The Kubernetes reads a provider needs for its credentials, resolved by the controller. It decides
 * which namespace a reference means (a SecretStore's own; for a ClusterSecretStore the reference's
 * `namespace`, else the ExternalSecret's), so providers pass references through unchanged.
 */
export interface CredentialSource {
  /** One key of a Secret; throws InvalidProviderConfig when the Secret or key is missing. */
  secretValue(ref: { name: string; key: string; namespace?: string | undefined }): Promise<string>;
  /** A short-lived service account token from the TokenRequest API. */
  serviceAccountToken(ref: { name: string; namespace?: string | undefined; audiences?: readonly string[] | undefined; expirationSeconds?: number | undefined }): Promise<string>;
  /** Annotations of a ServiceAccount (AWS web identity reads the role ARN there). */
  serviceAccountAnnotations(ref: { name: string; namespace?: string | undefined }): Promise<Record<string, string>>;
  /** One key of a ConfigMap (CA bundles). */
  configMapValue(ref: { name: string; key: string; namespace?: string | undefined }): Promise<string>;
}

export type ProviderErrorReason =
  | "SecretNotFound"
  | "PropertyNotFound"
  | "AuthFailed"
  | "AccessDenied"
  | "ProviderUnavailable"
  | "InvalidProviderConfig"
  | "UnsupportedProvider"
  | "InvalidSecretValue"
  | "RemoteSecretNotOwned";

/** Every provider failure. Messages never contain secret values or tokens. */
export class ProviderError extends Error {
  override readonly name: string = "ProviderError";
  readonly reason: ProviderErrorReason;
  readonly retryable: boolean;

  constructor(reason: ProviderErrorReason, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.retryable = retryable;
  }
}

export class SecretNotFound extends ProviderError {
  override readonly name = "SecretNotFound";
  constructor(message: string, options?: { cause?: unknown }) {
    super("SecretNotFound", message, true, options);
  }
}

export class PropertyNotFound extends ProviderError {
  override readonly name = "PropertyNotFound";
  constructor(message: string) {
    super("PropertyNotFound", message, false);
  }
}

export class AuthFailed extends ProviderError {
  override readonly name = "AuthFailed";
  constructor(message: string, options?: { cause?: unknown }) {
    super("AuthFailed", message, true, options);
  }
}

export class AccessDenied extends ProviderError {
  override readonly name = "AccessDenied";
  constructor(message: string, options?: { cause?: unknown }) {
    super("AccessDenied", message, true, options);
  }
}

export class ProviderUnavailable extends ProviderError {
  override readonly name = "ProviderUnavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ProviderUnavailable", message, true, options);
  }
}

export class InvalidProviderConfig extends ProviderError {
  override readonly name = "InvalidProviderConfig";
  constructor(message: string, options?: { cause?: unknown }) {
    super("InvalidProviderConfig", message, false, options);
  }
}

export class UnsupportedProvider extends ProviderError {
  override readonly name = "UnsupportedProvider";
  constructor(message: string) {
    super("UnsupportedProvider", message, false);
  }
}

export class InvalidSecretValue extends ProviderError {
  override readonly name = "InvalidSecretValue";
  constructor(message: string) {
    super("InvalidSecretValue", message, false);
  }
}

/** A push found a remote secret that is not marked `managed-by: external-secrets`: it is left as it is. */
export class RemoteSecretNotOwned extends ProviderError {
  override readonly name = "RemoteSecretNotOwned";
  constructor(what: string) {
    super("RemoteSecretNotOwned", `${what}: secret not managed by external-secrets (no managed-by: external-secrets mark); it is left as it is`, false);
  }
}

const encoder = new TextEncoder();
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}
