// The SopsSecret API (sealbridge.dev/v1alpha1): a SOPS document encrypted with `sops --age`, turned
// into a Secret. Two forms:
//
//   spec.document   the SOPS file exactly as committed (YAML, JSON or dotenv), in a block scalar:
//                   its MAC is verified on these bytes.
//   top-level sops  the SopsSecret manifest itself encrypted by sops
//                   (`sops --encrypt --encrypted-regex '^(data|stringData)$' sopssecret.yaml`), with
//                   spec.data / spec.stringData: the API server re-orders keys and adds fields, so
//                   the MAC cannot be checked (status says MacNotChecked); each value is still
//                   authenticated with its path.
//
// The decrypted document becomes the Secret's data: a Kubernetes Secret manifest gives its data
// (base64), stringData and type; any other document gives one entry per top-level key (scalars as
// text, nested values as JSON).
import { isCryptoError, CryptoError } from "../crypto/errors.ts";
import { SOPS_FORMATS, sopsValueText, type SopsFormat, type SopsMap, type SopsValue } from "../crypto/sops.ts";
import {
  ManifestError,
  expectRecord,
  isRecord,
  optionalString,
  parseObjectMeta,
  parseStatus,
  parseTemplate,
  type ObjectMeta,
  type SealedSecretStatus,
  type SecretTemplate,
} from "./sealed-secret.ts";

export const SOPS_SECRET_API_VERSION = "sealbridge.dev/v1alpha1";
export const SOPS_SECRET_KIND = "SopsSecret";

export interface SopsSecretSpec {
  document?: string;
  format?: SopsFormat;
  /** Secrets in the same namespace whose `age.key` and `*.agekey` entries hold age identities. */
  identitySecretRefs: { name: string }[];
  template?: SecretTemplate;
}

export interface SopsSecret {
  apiVersion: typeof SOPS_SECRET_API_VERSION;
  kind: typeof SOPS_SECRET_KIND;
  metadata: ObjectMeta;
  spec: SopsSecretSpec;
  /** The structured form: the object as read, with its `sops` metadata (undefined for spec.document). */
  encryptedObject?: Record<string, unknown>;
  status?: SealedSecretStatus;
}

export function parseSopsSecret(value: unknown, where = "SopsSecret"): SopsSecret {
  const obj = expectRecord(value, where);
  const kind = optionalString(obj, "kind", where);
  const apiVersion = optionalString(obj, "apiVersion", where);
  if (kind !== SOPS_SECRET_KIND) throw new ManifestError(`${where}.kind`, `must be "${SOPS_SECRET_KIND}"`);
  if (apiVersion !== SOPS_SECRET_API_VERSION) throw new ManifestError(`${where}.apiVersion`, `must be "${SOPS_SECRET_API_VERSION}"`);
  const spec = expectRecord(obj["spec"], `${where}.spec`);
  const refsRaw = spec["identitySecretRefs"];
  const refs: { name: string }[] = [];
  if (refsRaw !== undefined && refsRaw !== null) {
    if (!Array.isArray(refsRaw)) throw new ManifestError(`${where}.spec.identitySecretRefs`, "must be a list");
    for (const [i, r] of (refsRaw as unknown[]).entries()) {
      const name = isRecord(r) ? r["name"] : undefined;
      if (typeof name !== "string" || name === "") throw new ManifestError(`${where}.spec.identitySecretRefs[${i}].name`, "must be a Secret name");
      refs.push({ name });
    }
  }
  const out: SopsSecret = {
    apiVersion: SOPS_SECRET_API_VERSION,
    kind: SOPS_SECRET_KIND,
    metadata: parseObjectMeta(obj["metadata"], `${where}.metadata`),
    spec: { identitySecretRefs: refs, template: parseTemplate(spec["template"], `${where}.spec.template`) },
  };
  const document = optionalString(spec, "document", `${where}.spec`);
  const format = optionalString(spec, "format", `${where}.spec`);
  if (format !== undefined) {
    const f = SOPS_FORMATS.find((x) => x === format);
    if (f === undefined) throw new ManifestError(`${where}.spec.format`, `must be one of ${SOPS_FORMATS.join(", ")}`);
    out.spec.format = f;
  }
  const hasSops = isRecord(obj["sops"]);
  if (document !== undefined && hasSops) throw new ManifestError(`${where}`, "has both spec.document and top-level sops metadata; use one form");
  if (document !== undefined) out.spec.document = document;
  else if (hasSops) {
    const copy: Record<string, unknown> = { ...obj };
    delete copy["status"];
    out.encryptedObject = copy;
  } else {
    throw new ManifestError(`${where}.spec.document`, "is missing (and the object has no top-level sops metadata either)");
  }
  const status = parseStatus(obj["status"], `${where}.status`);
  if (status !== undefined) out.status = status;
  return out;
}

function entryText(v: SopsValue): Uint8Array {
  if (v instanceof Map || Array.isArray(v)) {
    return Buffer.from(JSON.stringify(toJson(v)));
  }
  return sopsValueText(v);
}

function toJson(v: SopsValue): unknown {
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toJson(x)]));
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
  return v;
}

export interface SopsSecretData {
  data: Record<string, Uint8Array>;
  type?: string;
}

function fromSecretShape(map: SopsMap, out: SopsSecretData, where: string): void {
  const data = map.get("data");
  if (data instanceof Map) {
    for (const [k, v] of data) {
      const text = typeof v === "string" ? v.replace(/\s+/g, "") : undefined;
      if (text === undefined || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
        throw new CryptoError("SopsMalformedDocument", `${where}data.${k} is not base64 (use stringData for plain text)`);
      }
      out.data[k] = Buffer.from(text, "base64");
    }
  }
  const stringData = map.get("stringData");
  if (stringData instanceof Map) for (const [k, v] of stringData) out.data[k] = entryText(v);
}

/** The Secret data a decrypted SOPS document stands for (see the file comment). */
export function secretDataFromSops(branches: readonly SopsMap[], structured: boolean): SopsSecretData {
  const out: SopsSecretData = { data: {} };
  try {
    for (const branch of branches) {
      if (structured) {
        const spec = branch.get("spec");
        if (spec instanceof Map) fromSecretShape(spec, out, "spec.");
        continue;
      }
      if (branch.get("kind") === "Secret" && branch.get("apiVersion") === "v1") {
        fromSecretShape(branch, out, "");
        const type = branch.get("type");
        if (typeof type === "string" && type !== "") out.type = type;
        continue;
      }
      for (const [k, v] of branch) if (v !== null) out.data[k] = entryText(v);
    }
  } catch (err) {
    if (isCryptoError(err)) throw err;
    throw new CryptoError("SopsMalformedDocument", "the decrypted document cannot be turned into Secret data");
  }
  return out;
}
