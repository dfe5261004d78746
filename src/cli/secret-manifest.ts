// Parsing the core/v1 Secrets that `seal` reads, and the controller key backups that
// `--recovery-private-key` reads.
import {
  ManifestError,
  describeGot,
  expectRecord,
  optionalBoolean,
  optionalString,
  optionalStringMap,
  parseObjectMeta,
} from "../api/sealed-secret.ts";
import { decodeBase64Strict } from "../crypto/sealed.ts";
import { isCryptoError } from "../crypto/errors.ts";
import type { SecretManifest } from "./manifests.ts";

/** How errors name a Secret: by its name when it is a valid one (never echo what may be a value). */
export function secretLabel(name: string | undefined, fallback: string): string {
  return name !== undefined && /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name) ? `Secret "${name}"` : fallback;
}

/** Parses a Secret document. Values stay bytes; `data` must be standard base64, like the API server wants. */
export function parseSecretManifest(value: unknown, where: string): SecretManifest {
  const obj = expectRecord(value, where);
  const kind = optionalString(obj, "kind", where);
  if (kind !== undefined && kind !== "Secret") {
    throw new ManifestError(`${where}.kind`, `is ${describeGot(kind)}, expected a Secret`);
  }
  const name = optionalString(expectRecord(obj["metadata"] ?? {}, `${where}.metadata`), "name", `${where}.metadata`);
  const label = name === undefined ? where : secretLabel(name, where);
  const data: Record<string, Uint8Array> = {};
  for (const [key, text] of Object.entries(optionalStringMap(obj, "data", label) ?? {})) {
    try {
      data[key] = decodeBase64Strict(text);
    } catch (err) {
      if (isCryptoError(err)) throw new ManifestError(`${label}: data["${key}"]`, err.message);
      throw err;
    }
  }
  const secret: SecretManifest = {
    metadata: parseObjectMeta(obj["metadata"], `${label}.metadata`),
    data,
    stringData: optionalStringMap(obj, "stringData", label) ?? {},
  };
  const immutable = optionalBoolean(obj, "immutable", label);
  if (immutable !== undefined) secret.immutable = immutable;
  const type = optionalString(obj, "type", label);
  if (type !== undefined) secret.type = type;
  return secret;
}

/**
 * The PEM private keys in a controller key backup: a Secret, several Secret documents, or a v1 List
 * of Secrets, each with `data["tls.key"]`.
 */
export function privateKeyPemsFromBackup(docs: readonly unknown[], source: string): Uint8Array[] {
  const secrets: unknown[] = [];
  for (const doc of docs) {
    const obj = expectRecord(doc, source);
    if (optionalString(obj, "kind", source) === "List" || Array.isArray(obj["items"])) {
      const items = obj["items"];
      if (!Array.isArray(items)) throw new ManifestError(`${source}.items`, "must be a list");
      secrets.push(...(items as unknown[]));
    } else {
      secrets.push(obj);
    }
  }
  if (secrets.length === 0) throw new ManifestError(source, "holds no PEM private key and no Secret");
  return secrets.map((s, i) => {
    const secret = parseSecretManifest(s, `${source}: item ${i + 1}`);
    const key = secret.data["tls.key"];
    if (key === undefined || key.length === 0) {
      throw new ManifestError(`${source}: ${secretLabel(secret.metadata.name, `item ${i + 1}`)}`, `has no data["tls.key"]`);
    }
    return key;
  });
}
