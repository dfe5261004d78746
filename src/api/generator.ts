// generators.external-secrets.io/v1alpha1: the generatorRef an ExternalSecret's dataFrom names, and
// the Password generator's spec with ESO's defaults applied here (the CRD carries no `default:`).
// Values ESO would accept but cannot honour (negative counts, a Go hang on an impossible no-repeat
// request) are refused with a SpecError naming the field.
import { SpecError, bool, int, isObject, requiredStr, str, strList, type Json } from "./eso-fields.ts";

export const GENERATORS_GROUP = "generators.external-secrets.io";
export const GENERATORS_API_VERSION = `${GENERATORS_GROUP}/v1alpha1`;

export interface GeneratorRef {
  apiVersion: string;
  kind: string;
  name: string;
}

export function parseGeneratorRef(ref: Json, path: string): GeneratorRef {
  return {
    // ESO's CRD defaults apiVersion to generators.external-secrets.io/v1alpha1.
    apiVersion: str(ref, "apiVersion", path) ?? GENERATORS_API_VERSION,
    kind: requiredStr(ref, "kind", path),
    name: requiredStr(ref, "name", path),
  };
}

export type PasswordEncoding = "raw" | "base64" | "base64url" | "base32" | "hex";

export interface PasswordSpec {
  length: number;
  digits: number;
  symbols: number;
  /** The symbol alphabet (printable ASCII); ESO's default when unset or empty. */
  symbolCharacters: string;
  noUpper: boolean;
  allowRepeat: boolean;
  /** One password per key; ["password"] by default. */
  secretKeys: string[];
  encoding: PasswordEncoding;
}

/** ESO's (and sethvargo/go-password's) default symbols. */
export const DEFAULT_SYMBOL_CHARACTERS = "~!@#$%^&*()_+`-={}|[]\\:\"<>?,./";
export const DEFAULT_PASSWORD_LENGTH = 24;
/** Bounds of our own (ESO has none): one generator call makes at most 16 × 1024 characters, ≈ 10 ms. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MAX_SECRET_KEYS = 16;

const ENCODINGS: readonly PasswordEncoding[] = ["raw", "base64", "base64url", "base32", "hex"];

export function parsePasswordSpec(raw: unknown): PasswordSpec {
  const p = "spec";
  const spec: Json = isObject(raw) ? raw : {};
  if (raw !== undefined && raw !== null && !isObject(raw)) throw new SpecError("spec must be an object");
  const given = int(spec, "length", p);
  // As ESO: a length of 0 or less means the default.
  const length = given !== undefined && given > 0 ? given : DEFAULT_PASSWORD_LENGTH;
  if (length > MAX_PASSWORD_LENGTH) throw new SpecError(`${p}.length must be at most ${MAX_PASSWORD_LENGTH}, got ${length}`);
  const count = (key: "digits" | "symbols") => {
    const v = int(spec, key, p);
    // ESO: 25% of the length when omitted (Go's int(float32(length) * 0.25)).
    if (v === undefined) return Math.floor(length * 0.25);
    if (v < 0) throw new SpecError(`${p}.${key} must not be negative, got ${v}`);
    return v;
  };
  const digits = count("digits");
  const symbols = count("symbols");
  const symbolCharacters = str(spec, "symbolCharacters", p) ?? DEFAULT_SYMBOL_CHARACTERS;
  if (symbolCharacters.length > 256) throw new SpecError(`${p}.symbolCharacters must be at most 256 characters`);
  if (!/^[\x21-\x7e]*$/.test(symbolCharacters)) {
    throw new SpecError(`${p}.symbolCharacters may hold only printable ASCII characters other than space`);
  }
  const keys = strList(spec, "secretKeys", p);
  if (keys.length > MAX_SECRET_KEYS) throw new SpecError(`${p}.secretKeys may hold at most ${MAX_SECRET_KEYS} keys`);
  if (keys.some((k) => k === "") || new Set(keys).size !== keys.length) throw new SpecError("secretKeys must be non-empty and unique");
  const encoding = str(spec, "encoding", p) ?? "raw";
  if (!(ENCODINGS as readonly string[]).includes(encoding)) {
    throw new SpecError(`${p}.encoding must be one of ${ENCODINGS.join(", ")}; got ${JSON.stringify(encoding.slice(0, 64))}`);
  }
  return {
    length,
    digits,
    symbols,
    symbolCharacters,
    noUpper: bool(spec, "noUpper", p) ?? false,
    allowRepeat: bool(spec, "allowRepeat", p) ?? false,
    secretKeys: keys.length > 0 ? keys : ["password"],
    encoding: encoding as PasswordEncoding,
  };
}
