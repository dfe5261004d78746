// What a PushSecret entry sends, computed the way ESO's providers compute it: one key of the source
// Secret as bytes, or (no secretKey) the whole Secret as a JSON object, and the provider-specific
// `metadata` object (PushSecretMetadata) checked field by field.
import { InvalidProviderConfig, InvalidSecretValue, type PushInput } from "./provider.ts";

/**
 * The bytes to push. Without secretKey: Go's json.Marshal (HTML escaping off, as ESO's JSONMarshal)
 * of the Secret's data as text values, or (`base64`, Parameter Store's default) of the raw
 * map[string][]byte, whose values encoding/json writes as base64.
 */
export function pushValue(input: PushInput, whole: "text" | "base64" = "text"): Uint8Array {
  if (input.secretKey !== undefined) {
    const value = input.data[input.secretKey];
    if (value === undefined) throw new InvalidSecretValue(`secret key ${input.secretKey} does not exist in the source Secret`);
    return value;
  }
  const keys = Object.keys(input.data).sort((a, b) => Buffer.from(a).compare(Buffer.from(b)));
  const members = keys.map((k) => {
    const v = input.data[k] ?? new Uint8Array();
    return `${goString(k)}:${goString(whole === "base64" ? Buffer.from(v).toString("base64") : Buffer.from(v).toString("utf8"))}`;
  });
  return new TextEncoder().encode(`{${members.join(",")}}`);
}

/** encoding/json's string form with SetEscapeHTML(false): U+2028 and U+2029 are still escaped. */
function goString(s: string): string {
  return JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

const METADATA_API_VERSION = "kubernetes.external-secrets.io/v1alpha1";
const METADATA_KIND = "PushSecretMetadata";

/**
 * The `spec` of a PushSecretMetadata object (empty when there is none). As ESO, the apiVersion and
 * kind must match and unknown fields are refused; `allowed` lists the spec fields sealbridge honours.
 */
export function pushMetadataSpec(raw: unknown, allowed: readonly string[], provider: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InvalidProviderConfig(`metadata must be a ${METADATA_KIND} object`);
  const meta = raw as Record<string, unknown>;
  if (meta["apiVersion"] !== METADATA_API_VERSION) throw new InvalidProviderConfig(`metadata: unexpected apiVersion ${JSON.stringify(meta["apiVersion"])}, expected ${JSON.stringify(METADATA_API_VERSION)}`);
  if (meta["kind"] !== METADATA_KIND) throw new InvalidProviderConfig(`metadata: unexpected kind ${JSON.stringify(meta["kind"])}, expected ${JSON.stringify(METADATA_KIND)}`);
  const extra = Object.keys(meta).filter((k) => !["apiVersion", "kind", "spec"].includes(k));
  if (extra.length > 0) throw new InvalidProviderConfig(`metadata: unknown field ${extra.join(", ")}`);
  const spec = meta["spec"];
  if (spec === undefined || spec === null) return {};
  if (typeof spec !== "object" || Array.isArray(spec)) throw new InvalidProviderConfig("metadata.spec must be an object");
  const fields = spec as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new InvalidProviderConfig(`metadata.spec: field ${unknown.join(", ")} is not supported by sealbridge for ${provider} (supported: ${allowed.join(", ") || "none"})`);
  }
  return fields;
}

/** A `spec.tags` map of strings; ESO refuses a managed-by tag there (it sets that itself). */
export function metadataTags(spec: Record<string, unknown>): Record<string, string> {
  const raw = spec["tags"];
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new InvalidProviderConfig("metadata.spec.tags must be a map of strings");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== "string") throw new InvalidProviderConfig(`metadata.spec.tags.${k} must be a string`);
    if (k === MANAGED_BY) throw new InvalidProviderConfig(`error parsing tags in metadata: Cannot specify a '${MANAGED_BY}' tag`);
    out[k] = v;
  }
  return out;
}

/** A string field of the metadata spec, or undefined. */
export function metadataString(spec: Record<string, unknown>, key: string): string | undefined {
  const v = spec[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw new InvalidProviderConfig(`metadata.spec.${key} must be a string`);
  return v;
}

/** The mark ESO puts on what it pushes (AWS tag, Vault custom metadata). */
export const MANAGED_BY = "managed-by";
export const EXTERNAL_SECRETS = "external-secrets";
