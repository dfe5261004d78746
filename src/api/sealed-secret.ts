// The SealedSecret API (bitnami.com/v1alpha1), as Sealed Secrets defines it, and its parsing:
// unknown in, typed value out, with errors that name the field.
import { scopeFromAnnotations, type SealingScope } from "../crypto/scope.ts";
import type { ObjectMeta, OwnerReference } from "./meta.ts";

export const SEALED_SECRET_API_VERSION = "bitnami.com/v1alpha1";
export const SEALED_SECRET_KIND = "SealedSecret";

/**
 * sealbridge's addition: the hex SHA-256 fingerprints (of the DER) of the certificates that sealed
 * the values of this SealedSecret, comma-separated, newest first (usually one). It sits on the
 * SealedSecret's own metadata so it never reaches the Secret; the value format is unchanged.
 */
export const SEALED_WITH_CERT_ANNOTATION = "sealbridge.dev/sealed-with-cert-sha256";

export type { ObjectMeta, OwnerReference } from "./meta.ts";

export interface SecretTemplate {
  metadata?: ObjectMeta;
  type?: string;
  immutable?: boolean;
  /** Go templates over the decrypted values (Sealed Secrets' template data). */
  data?: Record<string, string>;
}

export interface SealedSecretSpec {
  template?: SecretTemplate;
  /** Deprecated whole-Secret payload (base64), kept only to be reported. */
  data?: string;
  encryptedData: Record<string, string>;
}

export interface SealedSecretCondition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/**
 * sealbridge's bookkeeping of the target Secret, kept in the owner's status so the Secret itself
 * looks exactly as the emulated tool makes it: the Secret's resourceVersion when it was last written
 * or verified, a hash of the inputs (ciphertexts, scope, template, uid; never plaintext) and the keys
 * that opened them. A restart with nothing changed compares these with the cached Secret metadata
 * and decrypts nothing.
 */
export interface SecretRecord {
  resourceVersion: string;
  sourceHash: string;
  keys: string[];
}

export interface SealedSecretStatus {
  observedGeneration?: number;
  conditions?: SealedSecretCondition[];
  secret?: SecretRecord;
}

export interface SealedSecret {
  apiVersion: typeof SEALED_SECRET_API_VERSION;
  kind: typeof SEALED_SECRET_KIND;
  metadata: ObjectMeta;
  spec: SealedSecretSpec;
  status?: SealedSecretStatus;
}

/** A manifest that is not what it claims to be; `path` names the offending field. */
export class ManifestError extends Error {
  readonly reason = "InvalidManifest";
  readonly retryable = false;
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "ManifestError";
    this.path = path;
  }
}

type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * How an error names a kind or apiVersion it got: quoted when it looks like one, otherwise only
 * described, so that a secret pasted into the wrong field is never echoed.
 */
export function describeGot(value: string | undefined): string {
  if (value === undefined) return "nothing";
  return /^[A-Za-z0-9][A-Za-z0-9./]{0,62}$/.test(value) ? `"${value}"` : `a ${value.length}-character string that is not a kind or apiVersion`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function expectRecord(value: unknown, path: string): Json {
  if (!isRecord(value)) throw new ManifestError(path, `must be an object, got ${describe(value)}`);
  return value;
}

/**
 * A scalar where Kubernetes wants a string. Like kubeseal's YAML decoder (which converts YAML to
 * JSON against the Go type), an unquoted YAML number or boolean (`port: 5432`) is taken as its text.
 */
function scalarText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "boolean") return String(v);
  return undefined;
}

export function optionalString(obj: Json, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const text = scalarText(v);
  if (text === undefined) throw new ManifestError(`${path}.${key}`, `must be a string, got ${describe(v)}`);
  return text;
}

function optionalNumber(obj: Json, key: string, path: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new ManifestError(`${path}.${key}`, `must be an integer, got ${describe(v)}`);
  }
  return v;
}

export function optionalBoolean(obj: Json, key: string, path: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new ManifestError(`${path}.${key}`, `must be true or false, got ${describe(v)}`);
  return v;
}

/** A map of strings; `null` counts as absent (as in Go). Keys are checked one by one. */
export function optionalStringMap(obj: Json, key: string, path: string): Record<string, string> | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const map = expectRecord(v, `${path}.${key}`);
  const out: Record<string, string> = {};
  for (const [k, item] of Object.entries(map)) {
    const text = scalarText(item);
    if (text === undefined) {
      throw new ManifestError(`${path}.${key}["${k}"]`, `must be a string, got ${describe(item)}`);
    }
    out[k] = text;
  }
  return out;
}

function optionalList(obj: Json, key: string, path: string): unknown[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ManifestError(`${path}.${key}`, `must be a list, got ${describe(v)}`);
  return v as unknown[];
}

/** Sets `target[key] = value` only when value is defined (exactOptionalPropertyTypes-friendly). */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function parseOwnerReference(value: unknown, path: string): OwnerReference {
  const obj = expectRecord(value, path);
  const ref: OwnerReference = {
    apiVersion: optionalString(obj, "apiVersion", path) ?? "",
    kind: optionalString(obj, "kind", path) ?? "",
    name: optionalString(obj, "name", path) ?? "",
    uid: optionalString(obj, "uid", path) ?? "",
  };
  put(ref, "controller", optionalBoolean(obj, "controller", path));
  put(ref, "blockOwnerDeletion", optionalBoolean(obj, "blockOwnerDeletion", path));
  return ref;
}

export function parseObjectMeta(value: unknown, path: string): ObjectMeta {
  if (value === undefined || value === null) return {};
  const obj = expectRecord(value, path);
  const meta: ObjectMeta = {};
  for (const key of ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion"] as const) {
    put(meta, key, optionalString(obj, key, path));
  }
  put(meta, "generation", optionalNumber(obj, "generation", path));
  put(meta, "creationTimestamp", optionalString(obj, "creationTimestamp", path));
  put(meta, "deletionTimestamp", optionalString(obj, "deletionTimestamp", path));
  put(meta, "deletionGracePeriodSeconds", optionalNumber(obj, "deletionGracePeriodSeconds", path));
  put(meta, "labels", optionalStringMap(obj, "labels", path));
  put(meta, "annotations", optionalStringMap(obj, "annotations", path));
  const owners = optionalList(obj, "ownerReferences", path);
  if (owners !== undefined) {
    meta.ownerReferences = owners.map((o, i) => parseOwnerReference(o, `${path}.ownerReferences[${i}]`));
  }
  const finalizers = optionalList(obj, "finalizers", path);
  if (finalizers !== undefined) {
    meta.finalizers = finalizers.map((f, i) => {
      if (typeof f !== "string") throw new ManifestError(`${path}.finalizers[${i}]`, "must be a string");
      return f;
    });
  }
  put(meta, "managedFields", optionalList(obj, "managedFields", path));
  return meta;
}

export function parseTemplate(value: unknown, path: string): SecretTemplate {
  if (value === undefined || value === null) return {};
  const obj = expectRecord(value, path);
  const template: SecretTemplate = {};
  if (obj["metadata"] !== undefined && obj["metadata"] !== null) {
    template.metadata = parseObjectMeta(obj["metadata"], `${path}.metadata`);
  }
  put(template, "type", optionalString(obj, "type", path));
  put(template, "immutable", optionalBoolean(obj, "immutable", path));
  put(template, "data", optionalStringMap(obj, "data", path));
  return template;
}

export function parseStatus(value: unknown, path: string): SealedSecretStatus | undefined {
  if (value === undefined || value === null) return undefined;
  const obj = expectRecord(value, path);
  const status: SealedSecretStatus = {};
  put(status, "observedGeneration", optionalNumber(obj, "observedGeneration", path));
  const conditions = optionalList(obj, "conditions", path);
  if (conditions !== undefined) {
    status.conditions = conditions.map((c, i) => {
      const p = `${path}.conditions[${i}]`;
      const o = expectRecord(c, p);
      const condition: SealedSecretCondition = {
        type: optionalString(o, "type", p) ?? "",
        status: optionalString(o, "status", p) ?? "",
      };
      for (const key of ["lastUpdateTime", "lastTransitionTime", "reason", "message"] as const) {
        put(condition, key, optionalString(o, key, p));
      }
      return condition;
    });
  }
  const record = obj["secret"];
  if (record !== null && typeof record === "object" && !Array.isArray(record)) {
    const r = record as Record<string, unknown>;
    const keys = Array.isArray(r["keys"]) ? r["keys"].filter((k): k is string => typeof k === "string") : [];
    if (typeof r["resourceVersion"] === "string" && typeof r["sourceHash"] === "string") {
      status.secret = { resourceVersion: r["resourceVersion"], sourceHash: r["sourceHash"], keys };
    }
  }
  return status;
}

/** Parses a decoded JSON/YAML document into a SealedSecret. `where` prefixes error paths. */
export function parseSealedSecret(value: unknown, where = "SealedSecret"): SealedSecret {
  const obj = expectRecord(value, where);
  const apiVersion = optionalString(obj, "apiVersion", where);
  const kind = optionalString(obj, "kind", where);
  if (kind !== SEALED_SECRET_KIND) {
    throw new ManifestError(`${where}.kind`, `must be "${SEALED_SECRET_KIND}", got ${describeGot(kind)}`);
  }
  if (apiVersion !== SEALED_SECRET_API_VERSION) {
    throw new ManifestError(
      `${where}.apiVersion`,
      `must be "${SEALED_SECRET_API_VERSION}", got ${describeGot(apiVersion)}`,
    );
  }
  const spec = expectRecord(obj["spec"], `${where}.spec`);
  const parsedSpec: SealedSecretSpec = {
    template: parseTemplate(spec["template"], `${where}.spec.template`),
    encryptedData: optionalStringMap(spec, "encryptedData", `${where}.spec`) ?? {},
  };
  put(parsedSpec, "data", optionalString(spec, "data", `${where}.spec`));
  const sealed: SealedSecret = {
    apiVersion: SEALED_SECRET_API_VERSION,
    kind: SEALED_SECRET_KIND,
    metadata: parseObjectMeta(obj["metadata"], `${where}.metadata`),
    spec: parsedSpec,
  };
  put(sealed, "status", parseStatus(obj["status"], `${where}.status`));
  return sealed;
}

/** The scope of a SealedSecret: read from its own metadata.annotations, as the controller does. */
export function sealedSecretScope(sealed: Pick<SealedSecret, "metadata">): SealingScope {
  return scopeFromAnnotations(sealed.metadata.annotations);
}

/** The certificate fingerprints recorded by SEALED_WITH_CERT_ANNOTATION (empty if none). */
export function sealedWithCertificates(meta: ObjectMeta): string[] {
  const value = meta.annotations?.[SEALED_WITH_CERT_ANNOTATION];
  if (value === undefined) return [];
  return value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => /^[0-9a-f]{64}$/.test(s));
}

/** Records that `fingerprint` sealed (some of) the values, keeping earlier ones after it. */
export function recordSealedWithCertificate(
  annotations: Readonly<Record<string, string>> | undefined,
  fingerprint: string,
): Record<string, string> {
  const earlier = sealedWithCertificates({ annotations: { ...annotations } }).filter((f) => f !== fingerprint);
  return { ...annotations, [SEALED_WITH_CERT_ANNOTATION]: [fingerprint, ...earlier].join(",") };
}
