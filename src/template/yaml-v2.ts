// ESO's fromYaml is sigs.k8s.io/yaml: go-yaml v2 decodes into interface{}, the result goes through
// encoding/json into a map[string]interface{}. So plain scalars resolve the go-yaml v2 way (y/n/on/off
// are bools, 0o17 and 1_000 are ints by strconv.ParseInt base 0), timestamps stay the strings they
// were written as, keys become strings, numbers become float64, and ±Inf/NaN fail the conversion.
import YAML, { isAlias, isMap, isScalar, isSeq } from "yaml";
import type { Document } from "yaml";
import { isBoundedParseError, parseLimits, prescanYaml } from "../api/bounded-parse.ts";
import { formatFloat, parseGoInt } from "./strconv.ts";
import { type GoMap, type Value, sortedKeys } from "./values.ts";

const BOOLS = new Map<string, boolean>();
for (const s of ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]) BOOLS.set(s, true);
for (const s of ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"]) BOOLS.set(s, false);
const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const SPECIAL_FLOATS = new Map<string, number>([
  [".nan", NaN], [".NaN", NaN], [".NAN", NaN],
  [".inf", Infinity], [".Inf", Infinity], [".INF", Infinity],
  ["+.inf", Infinity], ["+.Inf", Infinity], ["+.INF", Infinity],
  ["-.inf", -Infinity], ["-.Inf", -Infinity], ["-.INF", -Infinity],
]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** go-yaml v2's values: ints as bigint (int, int64, uint64), floats as number. */
type Plain = string | bigint | number | boolean | null | Plain[] | Map<Plain, Plain>;

/** go-yaml v2 resolve() of an untagged plain scalar. */
function resolvePlain(s: string): Plain {
  if (NULLS.has(s)) return null;
  const b = BOOLS.get(s);
  if (b !== undefined) return b;
  const f = SPECIAL_FLOATS.get(s);
  if (f !== undefined) return f;
  const c = s[0] ?? "";
  if (c === ".") {
    const x = Number(s);
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) && Number.isFinite(x) ? x : s;
  }
  if (c === "+" || c === "-" || (c >= "0" && c <= "9")) {
    // A timestamp would resolve here, but into interface{} go-yaml v2 keeps it as its text.
    const plain = s.replaceAll("_", "");
    const n = parseGoInt(plain, 0, 64);
    if (n.err === undefined) return n.value;
    const u = parseGoInt(plain, 0, 64, true);
    if (u.err === undefined) return u.value;
    if (YAML_STYLE_FLOAT.test(plain)) {
      const x = Number(plain);
      if (Number.isFinite(x)) return x;
    }
  }
  return s;
}

const STR_TAG = "tag:yaml.org,2002:str";

/**
 * What a template may hand to fromYaml: bombs (`[[[[…`, floods of aliases) are refused by a cheap
 * pre-scan before the parser sees them, and alias expansion is counted while converting.
 */
const YAML_LIMITS = parseLimits({ maxBytes: 8 << 20, maxDepth: 1000, maxAliases: 10_000, maxNodes: 1_000_000, maxTokens: Infinity });

/** go-yaml v2's refusal of alias bombs, and its depth limit. */
class YamlLimitError extends Error {}

function prescan(s: string): void {
  try {
    prescanYaml(s, YAML_LIMITS);
  } catch (e) {
    if (!isBoundedParseError(e)) throw e;
    if (e.reason === "TooDeep") throw new YamlLimitError("yaml: exceeded max depth");
    if (e.reason === "DocumentTooLarge") throw new YamlLimitError("yaml: input too large");
    throw new YamlLimitError("yaml: document contains excessive aliasing");
  }
}

/**
 * go-yaml v2's alias-bomb rule: past 100 alias-driven decodes and 1,000 decodes in all, the share
 * of decodes that come through aliases may not exceed 99 % (up to 400,000 decodes), falling
 * linearly to 10 % at 4,000,000.
 */
interface Decodes {
  all: number;
  viaAlias: number;
  aliasDepth: number;
}

function allowedAliasRatio(decodes: number): number {
  if (decodes <= 400_000) return 0.99;
  if (decodes >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decodes - 400_000) / 3_600_000);
}

function count(d: Decodes): void {
  d.all++;
  if (d.aliasDepth > 0) d.viaAlias++;
  if (d.viaAlias > 100 && d.all > 1000 && d.viaAlias / d.all > allowedAliasRatio(d.all)) throw new YamlLimitError("yaml: document contains excessive aliasing");
}

function convert(node: unknown, doc: Document, depth: number, budget: Decodes = { all: 0, viaAlias: 0, aliasDepth: 0 }): Plain {
  if (depth > 1000) throw new Error("yaml: exceeded max depth");
  count(budget);
  if (isAlias(node)) {
    budget.aliasDepth++;
    try {
      return convert(node.resolve(doc), doc, depth + 1, budget);
    } finally {
      budget.aliasDepth--;
    }
  }
  if (isScalar(node)) {
    const sc = node;
    const text = typeof sc.value === "string" ? sc.value : "";
    if (sc.tag === STR_TAG || (sc.type !== "PLAIN" && sc.type !== undefined)) return text;
    return resolvePlain(text);
  }
  if (isSeq(node)) return node.items.map((x) => convert(x, doc, depth + 1, budget));
  if (isMap(node)) {
    const out = new Map<Plain, Plain>();
    for (const pair of node.items) {
      const key = convert(pair.key, doc, depth + 1, budget);
      if (key === "<<" && isScalar(pair.key) && pair.key.type === "PLAIN") {
        mergeInto(out, convert(pair.value, doc, depth + 1, budget));
        continue;
      }
      out.set(key, convert(pair.value, doc, depth + 1, budget));
    }
    return out;
  }
  return null;
}

/** `<<: *a` or `<<: [*a, *b]` (earlier maps win). */
function mergeInto(out: Map<Plain, Plain>, v: Plain): void {
  if (v instanceof Map) {
    for (const [k, x] of v) out.set(k, x);
  } else if (Array.isArray(v)) {
    for (let i = v.length - 1; i >= 0; i--) mergeInto(out, v[i] ?? null);
  }
}

class ConversionError extends Error {}

function keyString(k: Plain): string {
  if (typeof k === "string") return k;
  if (typeof k === "boolean") return k ? "true" : "false";
  if (typeof k === "bigint") return String(k);
  if (typeof k === "number") {
    const s = formatFloat32(k);
    return s === "+Inf" ? ".inf" : s === "-Inf" ? "-.inf" : s === "NaN" ? ".nan" : s;
  }
  throw new ConversionError(`error converting YAML to JSON: unsupported map key of type: ${k === null ? "<nil>" : "interface {}"}`);
}

/** The JSON-able value, then what encoding/json gives back: maps in key order, numbers as float64. */
function toGo(v: Plain): Value {
  if (v instanceof Map) {
    const m: GoMap = new Map();
    for (const [k, x] of v) m.set(keyString(k), toGo(x));
    // encoding/json.Marshal meets an unsupported value in sorted key order.
    const sorted: GoMap = new Map();
    for (const k of sortedKeys(m)) sorted.set(k, m.get(k));
    return sorted;
  }
  if (Array.isArray(v)) return v.map(toGo);
  // Through JSON every number comes back as float64.
  if (typeof v === "bigint") return Number(v);
  return v;
}

/** strconv.FormatFloat(f, 'g', -1, 32): the shortest digits that read back as the same float32,
 * laid out as %g lays out the shortest digits of a float64 (which those digits also are). */
function formatFloat32(f: number): string {
  const x = Math.fround(f);
  if (!Number.isFinite(x) || x === 0) return formatFloat(x, "g", -1);
  for (let p = 1; p < 9; p++) {
    const s = x.toExponential(p - 1);
    if (Math.fround(Number(s)) === x) return formatFloat(Number(s), "g", -1);
  }
  return formatFloat(Number(x.toExponential(8)), "g", -1);
}

/** The first value encoding/json.Marshal refuses (±Inf, NaN), in its order: sorted keys, then elements. */
function unsupported(v: Value): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? undefined : v;
  if (Array.isArray(v)) {
    for (const x of v) {
      const u = unsupported(x);
      if (u !== undefined) return u;
    }
  } else if (v instanceof Map) {
    for (const x of v.values()) {
      const u = unsupported(x);
      if (u !== undefined) return u;
    }
  }
  return undefined;
}

function jsonKind(v: Value): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return "number";
  if (typeof v === "boolean") return "bool";
  return "object";
}

/** sigs.k8s.io/yaml.Unmarshal into map[string]interface{}; errors land in m["Error"] as ESO does. */
export function fromYamlV2(s: string): GoMap {
  const fail = (message: string): GoMap => new Map<string, Value>([["Error", message]]);
  let doc: Document;
  try {
    prescan(s);
    doc = YAML.parseDocument(s, { version: "1.1", schema: "failsafe", uniqueKeys: false });
  } catch (e) {
    return fail(`error converting YAML to JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const first = doc.errors[0];
  if (first !== undefined) return fail(`error converting YAML to JSON: ${first.message}`);
  let v: Value;
  try {
    v = toGo(convert(doc.contents, doc, 0));
    const bad = unsupported(v);
    if (bad !== undefined) return fail(`error converting YAML to JSON: json: unsupported value: ${formatFloat(bad, "g", -1)}`);
  } catch (e) {
    if (e instanceof ConversionError) return fail(e.message);
    return fail(`error converting YAML to JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (v === null) return new Map();
  if (v instanceof Map) return v;
  return fail(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonKind(v)} into Go value of type map[string]interface {}`);
}

export class YamlStringMapError extends Error {}

/** sigs.k8s.io/yaml.Unmarshal into map[string]string, as ESO reads a KeysAndValues template:
 * numbers and bools become their text (floats as float32 'g'), null an empty string. */
export function yamlToStringMap(s: string): Map<string, string> {
  try {
    prescan(s);
  } catch (e) {
    throw new YamlStringMapError(`error converting YAML to JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const doc = YAML.parseDocument(s, { version: "1.1", schema: "failsafe", uniqueKeys: false });
  const first = doc.errors[0];
  // The yaml package's message quotes the offending line, i.e. rendered values: keep where and what.
  if (first !== undefined) throw new YamlStringMapError(`error converting YAML to JSON: yaml: line ${first.linePos?.[0]?.line ?? 0}: ${first.code}`);
  let v: Plain;
  try {
    v = convert(doc.contents, doc, 0);
  } catch (e) {
    // Every message thrown while converting is fixed wording (no document text).
    throw new YamlStringMapError(e instanceof Error ? e.message : String(e));
  }
  const out = new Map<string, string>();
  if (v === null) return out;
  if (!(v instanceof Map)) {
    const kind = Array.isArray(v) ? "array" : typeof v === "string" ? "string" : typeof v === "boolean" ? "bool" : "number";
    throw new YamlStringMapError(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${kind} into Go value of type map[string]string`);
  }
  const entries = [...v].map(([k, x]) => [keyString(k), x] as const);
  for (const [k, x] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (x instanceof Map || Array.isArray(x)) {
      throw new YamlStringMapError(`error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${Array.isArray(x) ? "array" : "object"} into Go value of type string`);
    }
    // Scalars are coerced to their text before encoding/json sees them.
    out.set(k, x === null ? "" : typeof x === "string" ? x : typeof x === "number" ? formatFloat32(x) : String(x));
  }
  return out;
}
