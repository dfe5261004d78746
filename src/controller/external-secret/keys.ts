// What ESO does to the keys and values a provider returns before they land in the Secret:
// rewrite (RE2 regexp replace, Go template), key conversion (Default / Unicode) and value decoding
// (None / Base64 / Base64URL / Auto). Pure functions.
import { RE2JS } from "re2js";
import { render } from "../../template/template.ts";
import { stringMap } from "../../template/values.ts";

export type ConversionStrategy = "Default" | "Unicode";
export type DecodingStrategy = "None" | "Base64" | "Base64URL" | "Auto";

export type Rewrite = { regexp: { source: string; target: string } } | { transform: { template: string } };

export class KeyRewriteError extends Error {
  override readonly name = "KeyRewriteError";
  readonly reason = "InvalidRewrite";
  readonly retryable = false;
}

/** Compiles an RE2 expression, with Go's error shape. */
export function compileRe2(source: string): RE2JS {
  try {
    return RE2JS.compile(source);
  } catch (err) {
    throw new KeyRewriteError(`error parsing regexp ${JSON.stringify(source)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Go's regexp.ReplaceAllString: `$1`, `${1}`, `$name`, `${name}` expand; `$$` is a dollar. */
export function replaceAllGo(re: RE2JS, input: string, template: string): string {
  const m = re.matcher(input);
  const names = re.namedGroups();
  let out = "";
  let last = 0;
  let searchFrom = 0;
  let prevEnd = -1;
  while (searchFrom <= input.length && m.find(searchFrom)) {
    const start = m.start();
    const end = m.end();
    // Go ignores an empty match right after the previous match, and steps past empty matches.
    if (!(start === end && start === prevEnd)) {
      out += input.slice(last, start) + expandGo(template, (name) => {
        const index = /^\d+$/.test(name) ? Number(name) : names[name];
        if (index === undefined || index > m.groupCount()) return "";
        return m.group(index) ?? "";
      });
      last = end;
    }
    prevEnd = end;
    searchFrom = end === start ? end + 1 : end;
  }
  return out + input.slice(last);
}

function expandGo(template: string, group: (name: string) => string): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template.charAt(i);
    if (c !== "$" || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const next = template.charAt(i + 1);
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    let name: string | undefined;
    let consumed = 0;
    if (next === "{") {
      const close = template.indexOf("}", i + 2);
      const inner = close < 0 ? "" : template.slice(i + 2, close);
      if (close >= 0 && /^\w+$/.test(inner)) {
        name = inner;
        consumed = close - i;
      }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        consumed = m[0].length;
      }
    }
    if (name === undefined) {
      out += c; // a lone or malformed `$` is kept, like Go
      continue;
    }
    out += group(name);
    i += consumed;
  }
  return out;
}

/** Applies rewrites in order to every key of a map (ESO's RewriteMap). */
export function rewriteKeys(data: Readonly<Record<string, Uint8Array>>, rewrites: readonly Rewrite[]): Record<string, Uint8Array> {
  let current: Record<string, Uint8Array> = { ...data };
  for (const rw of rewrites) {
    const next: Record<string, Uint8Array> = {};
    if ("regexp" in rw) {
      const re = compileRe2(rw.regexp.source);
      for (const [k, v] of Object.entries(current)) next[replaceAllGo(re, k, rw.regexp.target)] = v;
    } else {
      for (const [k, v] of Object.entries(current)) {
        let key;
        try {
          key = render("rewrite", rw.transform.template, stringMap([["value", k]]), { profile: "eso" });
        } catch (err) {
          throw new KeyRewriteError(`error rewriting key ${JSON.stringify(k)} with template: ${err instanceof Error ? err.message : String(err)}`);
        }
        next[key] = v;
      }
    }
    current = next;
  }
  return current;
}

const VALID_KEY_CHAR = /[-._a-zA-Z0-9]/;

/** ESO's key conversion: Default replaces characters a Secret key cannot hold with "_". */
export function convertKey(key: string, strategy: ConversionStrategy): string {
  let out = "";
  for (const ch of key) {
    if (VALID_KEY_CHAR.test(ch)) out += ch;
    else if (strategy === "Unicode") out += `_U${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}_`;
    else out += "_";
  }
  return out;
}

export function convertKeys(data: Readonly<Record<string, Uint8Array>>, strategy: ConversionStrategy): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(data)) out[convertKey(k, strategy)] = v;
  return out;
}

export class DecodingError extends Error {
  override readonly name = "DecodingError";
  readonly reason = "DecodingFailed";
  readonly retryable = false;
}

const STD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** ESO's Decode: None keeps bytes; Base64/Base64URL must decode; Auto tries both, else keeps bytes. */
export function decodeValue(value: Uint8Array, strategy: DecodingStrategy, key: string): Uint8Array {
  if (strategy === "None") return value;
  const text = Buffer.from(value).toString("latin1");
  const std = () => (STD.test(text) && text.length % 4 === 0 ? new Uint8Array(Buffer.from(text, "base64")) : undefined);
  const url = () => {
    // Go's base64.URLEncoding requires padding; RawURLEncoding does not. ESO uses URLEncoding.
    return URL.test(text) && text.length % 4 === 0 ? new Uint8Array(Buffer.from(text, "base64url")) : undefined;
  };
  if (strategy === "Base64") {
    const out = std();
    if (out === undefined) throw new DecodingError(`error decoding key ${key}: illegal base64 data`);
    return out;
  }
  if (strategy === "Base64URL") {
    const out = url();
    if (out === undefined) throw new DecodingError(`error decoding key ${key}: illegal base64url data`);
    return out;
  }
  return std() ?? url() ?? value;
}

export function decodeValues(data: Readonly<Record<string, Uint8Array>>, strategy: DecodingStrategy): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(data)) out[k] = decodeValue(v, strategy, k);
  return out;
}
