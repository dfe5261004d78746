// SOPS documents encrypted with `sops --age`: parse (YAML, JSON, dotenv), unwrap the data key from
// `sops.age[]` with our identities, decrypt the `ENC[AES256_GCM,…]` values and check the MAC.
//
// How SOPS computes the MAC (getsops/sops sops.go, Tree.Decrypt): SHA-512 over every leaf value in
// document order (sequences in order, nulls and comments skipped), each as its plaintext bytes (ints
// in decimal, floats in Go's shortest 'f' form, booleans as True/False). With mac_only_encrypted the
// hash starts with SHA-256("sops") and covers only the values that are encrypted. The MAC is stored as
// `ENC[…]` under the data key with the `lastmodified` string as additional data; each value's
// additional data is its path's mapping keys joined by ":" plus a trailing ":".
//
// Because the MAC depends on order, it can be verified only on the document's original bytes. An
// object that went through the API server (keys re-ordered, fields added) gets "NotChecked".
import { createDecipheriv, createHash, timingSafeEqual } from "node:crypto";
import { RE2JS } from "re2js";
import { isAlias, isMap, isScalar, isSeq, type Node } from "yaml";
import { BoundedParseError, checkDepth, isStackOverflow, parseYamlDocuments, DEFAULT_PARSE_LIMITS } from "../api/bounded-parse.ts";
import { ageRecipientFingerprint, ageRecipientOf, decryptAge } from "./age.ts";
import { CryptoError, isCryptoError } from "./errors.ts";

export type SopsFormat = "yaml" | "json" | "dotenv";
export const SOPS_FORMATS: readonly SopsFormat[] = ["yaml", "json", "dotenv"];

/** Documents larger than this are refused before parsing (a Secret holds at most 1 MiB). */
export const MAX_SOPS_DOCUMENT_BYTES = 1 << 20;

/** SOPS files list a handful of recipients; each one listed may cost an age decryption per identity. */
export const MAX_SOPS_AGE_RECIPIENTS = 256;

/** Indices in flattened dotenv metadata (`sops_age__list_3__map_enc`): a sparse list would be huge. */
const MAX_DOTENV_LIST_INDEX = MAX_SOPS_AGE_RECIPIENTS;

export type SopsScalar = string | number | bigint | boolean | null | Uint8Array;
export type SopsValue = SopsScalar | SopsMap | SopsValue[];
/** A mapping in document order (a Map keeps integer-like keys where they were, unlike an object). */
export type SopsMap = Map<string, SopsValue>;

export interface SopsAgeEntry {
  recipient: string;
  enc: string;
}

export interface SopsMetadata {
  age: SopsAgeEntry[];
  /** Non-age key sources present in the file (pgp, kms, ...): named in errors, never used. */
  otherKeySources: string[];
  lastModified: string;
  mac: string;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  macOnlyEncrypted: boolean;
  version?: string;
}

export interface ParsedSops {
  format: SopsFormat;
  /** One mapping per YAML document (one for JSON and dotenv), without the `sops` metadata. */
  branches: SopsMap[];
  metadata: SopsMetadata;
}

export type MacResult = { status: "Verified" } | { status: "NotChecked"; why: string };

export interface DecryptedSops {
  format: SopsFormat;
  /** The decrypted document, in order, without metadata. Values keep their SOPS type. */
  branches: SopsMap[];
  mac: MacResult;
  /** The file's age recipients, in order. */
  recipients: string[];
  /** Index of the identity that unwrapped the data key. */
  identityIndex: number;
}

const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";
const MAC_ONLY_ENCRYPTED_INIT = createHash("sha256").update("sops").digest();
// SOPS's own expression (Go RE2). In V8 its four greedy groups backtrack cubically on a long value
// full of ",iv:" and ",tag:"; RE2JS matches in linear time with Go's semantics.
const ENC_VALUE = RE2JS.compile("^ENC\\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\\]", RE2JS.DOTALL);

function malformed(message: string): CryptoError {
  return new CryptoError("SopsMalformedDocument", message);
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** The format a document is in, when not told: JSON starts with "{", dotenv has a `sops_mac=` line. */
export function detectSopsFormat(text: string): SopsFormat {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) return "json";
  if (/^sops_mac=/m.test(text) && !/^sops:\s*$/m.test(text)) return "dotenv";
  return "yaml";
}

/** The bounded parser's failures as the SOPS reasons the status shows. */
function fromParseError(err: BoundedParseError): CryptoError {
  switch (err.reason) {
    case "DocumentTooLarge":
    case "TooDeep":
    case "TooManyAliases":
    case "TooManyNodes":
      return new CryptoError(err.reason, `the SOPS document: ${err.message}`);
    case "MalformedYaml":
    case "MalformedJson":
      return malformed(err.message);
  }
}

/**
 * Converts a checked YAML node. An alias becomes the value its anchor converted to (shared, not
 * re-walked): SOPS walks the node an alias points to, and the bounded parser has already checked
 * that the expanded document stays within limits.
 */
function yamlNodeToValue(node: Node | null, path: string, anchors: Map<string, SopsValue>): SopsValue {
  if (node === null) return null;
  let value: SopsValue;
  if (isAlias(node)) {
    const resolved = anchors.get(node.source);
    if (resolved === undefined) throw malformed(`${path}: unresolvable alias`);
    return resolved;
  } else if (isMap(node)) {
    const out: SopsMap = new Map();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? keyNode.value : undefined;
      if (typeof key !== "string") throw malformed(`${path}: a mapping key is not a string (SOPS supports only string keys)`);
      out.set(key, yamlNodeToValue(pair.value as Node | null, `${path}.${key}`, anchors));
    }
    value = out;
  } else if (isSeq(node)) {
    value = node.items.map((item, i) => yamlNodeToValue(item as Node | null, `${path}[${i}]`, anchors));
  } else if (isScalar(node)) {
    const v = node.value;
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") value = v;
    else value = v instanceof Date ? v.toISOString() : JSON.stringify(v);
  } else {
    throw malformed(`${path}: unsupported YAML node`);
  }
  if (node.anchor !== undefined && node.anchor !== "") anchors.set(node.anchor, value);
  return value;
}

function parseYamlLike(text: string, format: "yaml" | "json", maxBytes: number): SopsMap[] {
  let docs;
  try {
    docs = parseYamlDocuments(text, { limits: { ...DEFAULT_PARSE_LIMITS, maxBytes }, yaml: { schema: "core", intAsBigInt: true, uniqueKeys: true } });
  } catch (err) {
    if (!(err instanceof BoundedParseError)) throw err;
    const converted = fromParseError(err);
    if (format === "json") converted.message = converted.message.replace("not valid YAML", "not valid JSON");
    throw converted;
  }
  if (format === "json" && docs.length !== 1) throw malformed("a JSON document must hold exactly one object");
  return docs.map((doc, i): SopsMap => {
    const root = yamlNodeToValue(doc.contents, "", new Map());
    if (root === null) return new Map();
    if (!(root instanceof Map)) throw malformed(`document ${i + 1}: the top level must be a mapping`);
    return root;
  });
}

function parseDotenv(text: string): SopsMap {
  const out: SopsMap = new Map();
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) throw malformed(`line ${i + 1}: not KEY=VALUE`);
    out.set(line.slice(0, eq), line.slice(eq + 1).replaceAll("\\n", "\n"));
  }
  return out;
}

type DotenvNode = Record<string, unknown> | unknown[];

/** `sops_age__list_0__map_enc` style keys (dotenv) back into nested metadata. */
function unflattenDotenvMetadata(branch: SopsMap): Record<string, unknown> | undefined {
  // Objects without a prototype: a key segment named "__proto__" is then just a name.
  const meta = Object.create(null) as Record<string, unknown>;
  let found = false;
  for (const [key, value] of [...branch]) {
    if (!key.startsWith("sops_")) continue;
    found = true;
    branch.delete(key);
    const parts = key.slice("sops_".length).split(/(__map_|__list_)/);
    let node: DotenvNode = meta;
    let name: string | number = parts[0] ?? "";
    for (let i = 1; i + 1 < parts.length; i += 2) {
      const list = parts[i] === "__list_";
      const index = Number(parts[i + 1]);
      if (list && !(Number.isInteger(index) && index >= 0 && index < MAX_DOTENV_LIST_INDEX)) {
        throw malformed(`a sops metadata key has a list index that is not an integer below ${MAX_DOTENV_LIST_INDEX}`);
      }
      const nextName: string | number = list ? index : (parts[i + 1] ?? "");
      const container = slot(node, name);
      if (container !== undefined && Array.isArray(container) !== list) {
        throw malformed("a sops metadata key uses one name both as a list and as a map");
      }
      const next = (container ?? (list ? [] : Object.create(null))) as DotenvNode;
      setSlot(node, name, next);
      node = next;
      name = nextName;
    }
    setSlot(node, name, value);
  }
  return found ? meta : undefined;
}

/** An own entry of a metadata node (never an inherited one, such as an array's "__proto__"). */
function slot(node: DotenvNode, name: string | number): DotenvNode | undefined {
  if (Array.isArray(node) !== (typeof name === "number")) throw malformed("the dotenv sops metadata mixes lists and maps");
  if (!Object.prototype.hasOwnProperty.call(node, name)) return undefined;
  const v: unknown = (node as Record<string | number, unknown>)[name];
  if (typeof v !== "object" || v === null) throw malformed("a dotenv sops metadata key is both a value and a map or list");
  return v as DotenvNode;
}

function setSlot(node: DotenvNode, name: string | number, value: unknown): void {
  (node as Record<string | number, unknown>)[name] = value;
}

function toPlain(value: SopsValue): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toPlain(v)]));
  if (Array.isArray(value)) return value.map(toPlain);
  if (typeof value === "bigint") return value.toString();
  return value;
}

function parseMetadata(raw: Record<string, unknown>): SopsMetadata {
  const str = (key: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") throw malformed(`sops.${key} is not a string`);
    return String(v);
  };
  if (str("unencrypted_comment_regex") !== undefined || str("encrypted_comment_regex") !== undefined) {
    throw new CryptoError("SopsUnsupported", "files using encrypted_comment_regex or unencrypted_comment_regex are not supported");
  }
  const ageEntries = (list: unknown, where: string): SopsAgeEntry[] => {
    if (list === undefined || list === null) return [];
    if (!Array.isArray(list)) throw malformed(`${where} is not a list`);
    return list.map((e: unknown, i) => {
      const entry = (e ?? {}) as Record<string, unknown>;
      if (typeof entry["recipient"] !== "string" || typeof entry["enc"] !== "string") {
        throw malformed(`${where}[${i}] needs recipient and enc`);
      }
      return { recipient: entry["recipient"].trim(), enc: entry["enc"] };
    });
  };
  const age = ageEntries(raw["age"], "sops.age");
  const tooMany = (): CryptoError =>
    new CryptoError("SopsUnsupported", `the file lists more than ${MAX_SOPS_AGE_RECIPIENTS} age recipients`);
  if (age.length > MAX_SOPS_AGE_RECIPIENTS) throw tooMany();
  const others = new Set<string>();
  const noteOthers = (group: Record<string, unknown>): void => {
    for (const k of ["pgp", "kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"]) {
      if (Array.isArray(group[k]) && group[k].length > 0) others.add(k);
    }
  };
  noteOthers(raw);
  const groups = raw["key_groups"];
  if (Array.isArray(groups)) {
    const threshold = Number(raw["shamir_threshold"] ?? 0);
    if (groups.length > 1 && threshold > 1) {
      throw new CryptoError("SopsUnsupported", `the file splits its data key over ${groups.length} key groups (Shamir); not supported`);
    }
    for (const [i, g] of groups.entries()) {
      const group = (g ?? {}) as Record<string, unknown>;
      age.push(...ageEntries(group["age"], `sops.key_groups[${i}].age`));
      if (age.length > MAX_SOPS_AGE_RECIPIENTS) throw tooMany();
      noteOthers(group);
    }
  }
  const macOnly = raw["mac_only_encrypted"];
  const meta: SopsMetadata = {
    age,
    otherKeySources: [...others],
    lastModified: str("lastmodified") ?? "",
    mac: str("mac") ?? "",
    macOnlyEncrypted: macOnly === true || (typeof macOnly === "string" && ["1", "t", "T", "true", "TRUE", "True"].includes(macOnly)),
  };
  const optional: [keyof SopsMetadata, string][] = [
    ["unencryptedSuffix", "unencrypted_suffix"],
    ["encryptedSuffix", "encrypted_suffix"],
    ["unencryptedRegex", "unencrypted_regex"],
    ["encryptedRegex", "encrypted_regex"],
    ["version", "version"],
  ];
  for (const [field, key] of optional) {
    const v = str(key);
    if (v !== undefined) (meta as unknown as Record<string, unknown>)[field] = v;
  }
  // Like SOPS: no rule at all means the default unencrypted suffix.
  if (
    meta.unencryptedSuffix === undefined &&
    meta.encryptedSuffix === undefined &&
    meta.unencryptedRegex === undefined &&
    meta.encryptedRegex === undefined
  ) {
    meta.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  }
  return meta;
}

/** Parses a SOPS document; throws DocumentTooLarge, SopsMalformedDocument or SopsMetadataMissing. */
export function parseSopsDocument(document: string | Uint8Array, format?: SopsFormat, maxBytes = MAX_SOPS_DOCUMENT_BYTES): ParsedSops {
  const size = typeof document === "string" ? Buffer.byteLength(document, "utf8") : document.length;
  if (size > maxBytes) throw new CryptoError("DocumentTooLarge", `the SOPS document is ${size} bytes, over the ${maxBytes}-byte limit`);
  const text = typeof document === "string" ? document : Buffer.from(document).toString("utf8");
  const fmt = format ?? detectSopsFormat(text);
  let branches: SopsMap[];
  let rawMeta: Record<string, unknown> | undefined;
  if (fmt === "dotenv") {
    const branch = parseDotenv(text);
    rawMeta = unflattenDotenvMetadata(branch);
    branches = [branch];
  } else {
    branches = parseYamlLike(text, fmt, maxBytes);
    for (const [i, branch] of branches.entries()) {
      const meta = branch.get("sops");
      if (meta === undefined) continue;
      branch.delete("sops");
      if (i !== 0) continue;
      if (!(meta instanceof Map)) throw malformed("the sops entry is not a mapping");
      rawMeta = toPlain(meta) as Record<string, unknown>;
    }
  }
  if (rawMeta === undefined) {
    throw new CryptoError("SopsMetadataMissing", "no sops metadata in the document: it is not SOPS-encrypted (or the sops key was removed)");
  }
  return { format: fmt, branches, metadata: parseMetadata(rawMeta) };
}

/** Takes a plain object (e.g. a resource read from the API server) whose top-level `sops` key holds the metadata. */
export function parseSopsObject(object: Record<string, unknown>): ParsedSops {
  try {
    checkDepth(object, DEFAULT_PARSE_LIMITS.maxDepth);
  } catch (err) {
    if (err instanceof BoundedParseError) throw fromParseError(err);
    throw err;
  }
  const toValue = (v: unknown, path: string): SopsValue => {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) return v.map((x, i) => toValue(x, `${path}[${i}]`));
    if (typeof v === "object") return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toValue(x, `${path}.${k}`)]));
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    throw malformed(`${path}: unsupported value`);
  };
  const branch = toValue(object, "") as SopsMap;
  const meta = branch.get("sops");
  if (meta === undefined || meta === null) throw new CryptoError("SopsMetadataMissing", "no sops metadata in the object");
  branch.delete("sops");
  if (!(meta instanceof Map)) throw malformed("the sops entry is not a mapping");
  return { format: "json", branches: [branch], metadata: parseMetadata(toPlain(meta) as Record<string, unknown>) };
}

// ---------------------------------------------------------------------------------------------
// Values

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function goFormatFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  if (Object.is(n, -0)) return "-0";
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const sign = m[1] ?? "";
  const digits = (m[2] ?? "") + (m[3] ?? "");
  const exp = Number(m[4]);
  if (exp >= 0) {
    const intLen = 1 + exp;
    return digits.length <= intLen ? sign + digits + "0".repeat(intLen - digits.length) : `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  }
  return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
}

/** The bytes SOPS hashes for a value (sops.ToBytes). */
function macBytes(v: SopsScalar): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (typeof v === "bigint") return Buffer.from(v.toString());
  if (typeof v === "number") return Buffer.from(Number.isInteger(v) && Math.abs(v) < 2 ** 53 ? String(v) : goFormatFloat(v));
  if (typeof v === "boolean") return Buffer.from(v ? "True" : "False");
  return new Uint8Array(0);
}

/** A value as the text a Secret holds (booleans lower-case, as SOPS prints them in YAML and JSON). */
export function sopsValueText(v: SopsScalar): Uint8Array {
  if (typeof v === "boolean") return Buffer.from(v ? "true" : "false");
  return macBytes(v);
}

function parseGoBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

function decryptValue(value: string, key: Uint8Array, aad: string, where: string): SopsScalar {
  const m = ENC_VALUE.matcher(value);
  if (!m.find()) throw new CryptoError("SopsMalformedValue", `${where}: should be encrypted but is not an ENC[AES256_GCM,…] value`);
  const [data, iv, tag] = [m.group(1), m.group(2), m.group(3)].map((b) => Buffer.from(b ?? "", "base64"));
  const type = m.group(4) ?? "";
  if (iv === undefined || tag === undefined || data === undefined || iv.length === 0 || tag.length !== 16) {
    throw new CryptoError("SopsMalformedValue", `${where}: malformed ENC[] value`);
  }
  let plain: Buffer;
  try {
    const d = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(tag);
    plain = Buffer.concat([d.update(data), d.final()]);
  } catch {
    // The value, its path (the additional data) or the data key does not match: the file was modified.
    throw new CryptoError("SopsMacMismatch", `${where}: the encrypted value fails authentication (modified, or moved from another key)`);
  }
  const text = plain.toString("utf8");
  const bad = (): CryptoError => new CryptoError("SopsMalformedValue", `${where}: decrypted value is not a valid ${type}`);
  switch (type) {
    case "str":
    case "time":
    case "comment":
      return text;
    case "bytes":
      return new Uint8Array(plain);
    case "int":
      if (!/^[+-]?\d+$/.test(text)) throw bad();
      return BigInt(text.replace(/^\+/, ""));
    case "float": {
      // Go's ParseFloat also reads "+Inf", "-Inf", "infinity" and "NaN".
      const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
      if (special !== null) return (special[2] ?? "").toLowerCase() === "nan" ? NaN : special[1] === "-" ? -Infinity : Infinity;
      const n = Number(text);
      if (text.trim() === "" || Number.isNaN(n)) throw bad();
      return n;
    }
    case "bool": {
      const b = parseGoBool(text);
      if (b === undefined) throw bad();
      return b;
    }
    default:
      // The type is clear text from the file; quoted only when it looks like a type name.
      throw new CryptoError("SopsMalformedValue", `${where}: unknown value type${/^[a-z0-9]{1,16}$/.test(type) ? ` "${type}"` : ""}`);
  }
}

class Rules {
  readonly #meta: SopsMetadata;
  readonly #unencryptedRe: RE2JS | undefined;
  readonly #encryptedRe: RE2JS | undefined;

  constructor(meta: SopsMetadata) {
    this.#meta = meta;
    const compile = (src: string | undefined, name: string): RE2JS | undefined => {
      if (src === undefined) return undefined;
      try {
        return RE2JS.compile(src);
      } catch {
        throw malformed(`sops.${name} is not a valid regular expression`);
      }
    };
    this.#unencryptedRe = compile(meta.unencryptedRegex, "unencrypted_regex");
    this.#encryptedRe = compile(meta.encryptedRegex, "encrypted_regex");
  }

  /** sops.Tree.shouldBeEncrypted, for values (comments are not read). */
  shouldBeEncrypted(path: readonly string[]): boolean {
    const m = this.#meta;
    let encrypted = true;
    if (m.unencryptedSuffix !== undefined && path.some((p) => p.endsWith(m.unencryptedSuffix ?? ""))) encrypted = false;
    if (m.encryptedSuffix !== undefined) encrypted = path.some((p) => p.endsWith(m.encryptedSuffix ?? ""));
    if (this.#unencryptedRe !== undefined && path.some((p) => this.#unencryptedRe?.matcher(p).find() === true)) encrypted = false;
    if (this.#encryptedRe !== undefined) encrypted = path.some((p) => this.#encryptedRe?.matcher(p).find() === true);
    return encrypted;
  }
}

function describeRecipient(r: string): string {
  // Post-quantum recipients are ~2000 characters: shortened, with the fingerprint to tell them apart.
  const shown = r.length > 100 ? `${r.slice(0, 16)}…${r.slice(-8)}` : r;
  return `${shown} (${ageRecipientFingerprint(r)})`;
}

async function unwrapDataKey(meta: SopsMetadata, identities: readonly string[]): Promise<{ key: Uint8Array; identityIndex: number }> {
  if (meta.age.length === 0) {
    const others = meta.otherKeySources.length > 0 ? ` (it has ${meta.otherKeySources.join(", ")} keys only)` : "";
    throw new CryptoError("SopsNoAgeRecipients", `the file is not encrypted to any age recipient${others}`);
  }
  const problems: string[] = [];
  if (identities.length > 0) {
    for (const entry of meta.age) {
      try {
        const { plaintext, identityIndex } = await decryptAge({ file: entry.enc, identities });
        if (plaintext.length !== 32) throw new CryptoError("SopsMalformedValue", `the data key for ${describeRecipient(entry.recipient)} is not 32 bytes`);
        return { key: plaintext, identityIndex };
      } catch (err) {
        if (!isCryptoError(err)) throw err;
        if (err.reason !== "AgeNoMatchingIdentity" && err.reason !== "AgeUnknownStanzaType") {
          problems.push(`${describeRecipient(entry.recipient)}: ${err.message}`);
        }
      }
    }
  }
  const held = await Promise.all(identities.map(async (id) => describeRecipient(await ageRecipientOf(id))));
  throw new CryptoError(
    "SopsNoMatchingIdentity",
    `none of our age identities is a recipient of the file; file recipients: ${meta.age.map((e) => describeRecipient(e.recipient)).join(", ")}; ` +
      `identities held (as recipients): ${held.length > 0 ? held.join(", ") : "none"}` +
      (problems.length > 0 ? `; also: ${problems.join("; ")}` : ""),
  );
}

/** Walks the tree in SOPS order, decrypting what the rules say is encrypted and hashing for the MAC. */
function decryptTree(parsed: ParsedSops, key: Uint8Array): { branches: SopsMap[]; mac: string } {
  const rules = new Rules(parsed.metadata);
  const macOnly = parsed.metadata.macOnlyEncrypted;
  const hash = createHash("sha512");
  if (macOnly) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const walk = (value: SopsValue, path: string[]): SopsValue => {
    if (value instanceof Map) {
      const out: SopsMap = new Map();
      for (const [k, v] of value) out.set(k, walk(v, [...path, k]));
      return out;
    }
    if (Array.isArray(value)) return value.map((v) => walk(v, path));
    if (value === null) return null;
    const encrypted = rules.shouldBeEncrypted(path);
    let plain: SopsScalar = value;
    if (encrypted) {
      const where = path.join(".");
      if (typeof value !== "string") throw new CryptoError("SopsMalformedValue", `${where}: should be encrypted but is a ${typeof value}`);
      plain = value === "" ? "" : decryptValue(value, key, `${path.join(":")}:`, where);
    }
    if (!macOnly || encrypted) hash.update(macBytes(plain));
    return plain;
  };
  const branches = parsed.branches.map((b) => walk(b, []) as SopsMap);
  return { branches, mac: hash.digest("hex").toUpperCase() };
}

function storedMac(meta: SopsMetadata, key: Uint8Array): string {
  if (meta.mac === "") throw new CryptoError("SopsMacMismatch", "the file has no MAC");
  const value = decryptValue(meta.mac, key, meta.lastModified, "sops.mac");
  return typeof value === "string" ? value : "";
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface DecryptSopsOptions {
  /** The document's bytes exactly as committed: the MAC is verified. */
  document: string | Uint8Array;
  format?: SopsFormat;
  identities: readonly string[];
  maxBytes?: number;
}

/** Decrypts a SOPS document from its original bytes; a MAC mismatch is an error (SopsMacMismatch). */
export async function decryptSops(opts: DecryptSopsOptions): Promise<DecryptedSops> {
  return typedOverflow(async () => decryptParsed(parseSopsDocument(opts.document, opts.format, opts.maxBytes), opts.identities, true));
}

/** A stack overflow the input caused is a typed failure, never re-thrown as a RangeError. */
async function typedOverflow<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isStackOverflow(err)) throw new CryptoError("TooDeep", "the SOPS document nests too deeply to process");
    throw err;
  }
}

/**
 * Decrypts a SOPS-encrypted object that was re-serialised (read from the API server): values are
 * still authenticated one by one, but a MAC that does not match only means "NotChecked", since key
 * order and server-added fields change what SOPS hashed.
 */
export async function decryptSopsObject(object: Record<string, unknown>, identities: readonly string[]): Promise<DecryptedSops> {
  return typedOverflow(async () => decryptParsed(parseSopsObject(object), identities, false));
}

async function decryptParsed(parsed: ParsedSops, identities: readonly string[], originalBytes: boolean): Promise<DecryptedSops> {
  const { key, identityIndex } = await unwrapDataKey(parsed.metadata, identities);
  const { branches, mac: computed } = decryptTree(parsed, key);
  const stored = storedMac(parsed.metadata, key);
  let mac: MacResult = { status: "Verified" };
  if (!sameMac(stored, computed)) {
    if (originalBytes) {
      throw new CryptoError("SopsMacMismatch", "MAC mismatch: the document's values are not the ones SOPS encrypted (a value was modified, added, removed or re-ordered)");
    }
    mac = { status: "NotChecked", why: "only a re-serialised form of the document is available (key order and fields differ from the file SOPS hashed)" };
  }
  return { format: parsed.format, branches, mac, recipients: parsed.metadata.age.map((e) => e.recipient), identityIndex };
}
