// PushSecret to AWS Secrets Manager, as ESO does it: a new secret is created tagged
// `managed-by: external-secrets` (SecretBinary unless metadata asks `secretPushFormat: string`); an
// existing one is updated only when it carries that tag and its value differs; `property` sets one
// field of a JSON secret, keeping the others. A delete removes only secrets carrying the tag.
import { randomUUID } from "node:crypto";
import { InvalidProviderConfig, RemoteSecretNotOwned, SecretNotFound, type PushInput, type PushRef, type SecretsPusher } from "../provider.ts";
import { EXTERNAL_SECRETS, MANAGED_BY, metadataString, metadataTags, pushMetadataSpec, pushValue } from "../push-value.ts";
import { setJsonProperty } from "../json-property.ts";
import type { SecretDescription, SecretPayload, SecretValue, SecretsManagerPushPort } from "./port.ts";

/** ESO's ClientRequestToken for the first version of a secret it creates. */
const INITIAL_VERSION = "00000000-0000-0000-0000-000000000001";
const METADATA_FIELDS = ["secretPushFormat", "description", "tags", "kmsKeyID"] as const;

export interface SecretsManagerDeleteOptions {
  forceDeleteWithoutRecovery?: boolean;
  recoveryWindowInDays?: number;
}

export class SecretsManagerPusher implements SecretsPusher {
  private readonly port: SecretsManagerPushPort;
  private readonly prefix: string;
  private readonly deletion: SecretsManagerDeleteOptions;
  private readonly newVersion: () => string;

  constructor(port: SecretsManagerPushPort, options: { prefix: string; deletion?: SecretsManagerDeleteOptions; newVersion?: () => string }) {
    this.port = port;
    this.prefix = options.prefix;
    this.deletion = options.deletion ?? {};
    this.newVersion = options.newVersion ?? randomUUID;
  }

  async secretExists(ref: PushRef): Promise<boolean> {
    return (await this.current(this.prefix + ref.remoteKey)) !== undefined;
  }

  async pushSecret(input: PushInput): Promise<"created" | "updated" | "unchanged"> {
    const spec = pushMetadataSpec(input.metadata, METADATA_FIELDS, "AWS Secrets Manager");
    const format = metadataString(spec, "secretPushFormat") ?? "binary";
    if (format !== "binary" && format !== "string") throw new InvalidProviderConfig(`invalid secret push format: ${format}`);
    const metaTags = spec["tags"] === undefined ? undefined : metadataTags(spec);
    const value = pushValue(input);
    const name = this.prefix + input.ref.remoteKey;
    const description = await this.describe(name);
    if (!description) {
      const payload = this.payload(format, input.ref.property ? setJsonProperty("", input.ref.property, value) : value);
      await this.port.createSecret({
        name,
        payload,
        tags: { ...(metaTags ?? {}), [MANAGED_BY]: EXTERNAL_SECRETS },
        description: metadataString(spec, "description") ?? `secret '${MANAGED_BY}:${EXTERNAL_SECRETS}'`,
        ...(metadataString(spec, "kmsKeyID") ? { kmsKeyId: metadataString(spec, "kmsKeyID") ?? "" } : {}),
        clientRequestToken: INITIAL_VERSION,
      });
      return "created";
    }
    if (description.tags[MANAGED_BY] !== EXTERNAL_SECRETS) throw new RemoteSecretNotOwned(`secret ${name}`);
    const existing = description.hasVersions ? await this.port.getSecretValue({ secretId: name }) : undefined;
    let next = value;
    if (input.ref.property) {
      const text = existing ? payloadText(existing) : "";
      next = setJsonProperty(text, input.ref.property, value);
    }
    if (metaTags) await this.patchTags(description, metaTags);
    if (existing && samePayload(existing, next)) return "unchanged";
    await this.port.putSecretValue({ secretId: name, payload: this.payload(format, next), clientRequestToken: existing ? this.newVersion() : INITIAL_VERSION });
    return "updated";
  }

  async deleteSecret(ref: PushRef): Promise<"deleted" | "absent" | "notOwned"> {
    const name = this.prefix + ref.remoteKey;
    // As ESO: the whole secret goes, also for an entry with a property.
    if (!(await this.current(name))) return "absent";
    const description = await this.describe(name);
    if (!description) return "absent";
    if (description.tags[MANAGED_BY] !== EXTERNAL_SECRETS) return "notOwned";
    await this.port.deleteSecret({ secretId: description.arn, ...this.deletion });
    return "deleted";
  }

  private payload(format: "binary" | "string", value: Uint8Array): SecretPayload {
    return format === "string" ? { secretString: Buffer.from(value).toString("utf8") } : { secretBinary: value };
  }

  private async describe(name: string): Promise<SecretDescription | undefined> {
    try {
      return await this.port.describeSecret(name);
    } catch (err) {
      if (err instanceof SecretNotFound) return undefined;
      throw err;
    }
  }

  private async current(name: string): Promise<SecretValue | undefined> {
    try {
      return await this.port.getSecretValue({ secretId: name });
    } catch (err) {
      if (err instanceof SecretNotFound) return undefined;
      throw err;
    }
  }

  /** As ESO: tags not in the metadata go (managed-by stays), changed ones are set. */
  private async patchTags(description: SecretDescription, metaTags: Record<string, string>): Promise<void> {
    const desired = { ...metaTags, [MANAGED_BY]: EXTERNAL_SECRETS };
    await this.port.untagResource(description.arn, Object.keys(description.tags).filter((k) => !(k in desired)));
    await this.port.tagResource(description.arn, Object.fromEntries(Object.entries(desired).filter(([k, v]) => description.tags[k] !== v)));
  }
}

function payloadText(v: SecretValue): string {
  if (v.secretString !== undefined) return v.secretString;
  return v.secretBinary ? Buffer.from(v.secretBinary).toString("utf8") : "";
}

function samePayload(v: SecretValue, next: Uint8Array): boolean {
  if (v.secretBinary !== undefined && Buffer.from(v.secretBinary).equals(Buffer.from(next))) return true;
  return v.secretString !== undefined && Buffer.from(v.secretString, "utf8").equals(Buffer.from(next));
}

