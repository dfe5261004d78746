// encoding/json Marshal/Unmarshal as Go does them for template values (sorted map keys,
// HTML-safe escaping, Go's float formatting).
import { GoComplex, GoStruct, GoTime, Int64, type Value, fromPlain, isMap, isNilSlice, isSlice, sortedKeys } from "./values.ts";
import { formatFloat } from "./strconv.ts";
import { isBoundedParseError, parseLimits, prescanJson } from "../api/bounded-parse.ts";
import { formatTime } from "./time.ts";

export class JsonError extends Error {}

function quoteJson(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (cp < 0x20) {
      if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (cp === 8) out += "\\b";
      else if (cp === 12) out += "\\f";
      else out += "\\u00" + cp.toString(16).padStart(2, "0");
    } else if (escapeHTML && (ch === "<" || ch === ">" || ch === "&")) out += "\\u00" + cp.toString(16);
    else if (cp === 0x2028 || cp === 0x2029) out += "\\u" + cp.toString(16);
    else if (cp >= 0xd800 && cp < 0xe000) out += "\\ufffd";
    else out += ch;
  }
  return out + '"';
}

function jsonFloat(f: number): string {
  if (!Number.isFinite(f)) throw new JsonError(`json: unsupported value: ${formatFloat(f, "g", -1)}`);
  const a = Math.abs(f);
  let s: string;
  if (a !== 0 && (a < 1e-6 || a >= 1e21)) {
    s = formatFloat(f, "e", -1).replace(/e([+-])0(\d)$/, "e$1$2");
  } else s = formatFloat(f, "f", -1);
  return s;
}

export function marshal(v: Value, opts: { escapeHTML: boolean; indent?: string } = { escapeHTML: true }, depth = 0): string {
  const ind = opts.indent;
  const nl = (d: number): string => (ind === undefined ? "" : "\n" + ind.repeat(d));
  if (depth > 1000) throw new JsonError("json: unsupported value: encountered a cycle");
  if (v === undefined || v === null) return "null";
  if (typeof v === "string") return quoteJson(v, opts.escapeHTML);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Int64) return v.value.toString();
  if (typeof v === "number") return jsonFloat(v);
  if (v instanceof GoComplex) throw new JsonError("json: unsupported type: complex128");
  if (v instanceof GoTime) return quoteJson(formatTime(v, "2006-01-02T15:04:05.999999999Z07:00"), opts.escapeHTML);
  if (v instanceof GoStruct) {
    if (v.json !== undefined) return marshal(v.json(), opts, depth + 1);
    if (v.fields.size === 0) return "{}";
    const sep = ind === undefined ? ":" : ": ";
    return "{" + [...v.fields].map(([k, x]) => nl(depth + 1) + quoteJson(k, opts.escapeHTML) + sep + marshal(x, opts, depth + 1)).join(",") + nl(depth) + "}";
  }
  if (v instanceof Uint8Array) return '"' + Buffer.from(v).toString("base64") + '"';
  if (isNilSlice(v)) return "null";
  if (isSlice(v)) {
    if (v.length === 0) return "[]";
    return "[" + v.map((e) => nl(depth + 1) + marshal(e, opts, depth + 1)).join(",") + nl(depth) + "]";
  }
  if (isMap(v)) {
    if (v.size === 0) return "{}";
    const sep = ind === undefined ? ":" : ": ";
    return "{" + sortedKeys(v).map((k) => nl(depth + 1) + quoteJson(k, opts.escapeHTML) + sep + marshal(v.get(k), opts, depth + 1)).join(",") + nl(depth) + "}";
  }
  return "null";
}

/** encoding/json's own nesting limit; values are bounded by the template's input and output budgets. */
const JSON_LIMITS = parseLimits({ maxBytes: Infinity, maxDepth: 10_000, maxNodes: Infinity });

/** json.Unmarshal into interface{}: objects → maps, numbers → float64. Throws on invalid JSON. */
export function unmarshal(s: string): Value {
  let parsed: unknown;
  try {
    prescanJson(s, JSON_LIMITS);
  } catch (e) {
    if (isBoundedParseError(e)) throw new JsonError("exceeded max depth");
    throw e;
  }
  try {
    parsed = JSON.parse(s);
  } catch (e) {
    throw new JsonError(e instanceof Error ? e.message : String(e));
  }
  return fromPlain(parsed);
}
