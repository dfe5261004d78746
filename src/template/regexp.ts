// Go's regexp (RE2 syntax and semantics) for Sprig's regex functions, over re2js: (?i) flags, \z,
// no lookaround or backreferences, leftmost-first matching, and Go's Expand rules for $1 / ${name}.
import { RE2JS } from "re2js";
import { FuncError } from "./errors.ts";
import { goQuote } from "./strconv.ts";

export interface GoRegexp {
  source: string;
  re: RE2JS;
}

/** regexp.Compile; the error reads like Go's ("error parsing regexp: ..."). */
export function compile(pattern: string): GoRegexp {
  try {
    return { source: pattern, re: RE2JS.compile(pattern) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new FuncError(msg.startsWith("error parsing regexp") ? msg : `error parsing regexp: ${msg}`);
  }
}

/** regexp.MustCompile: the panic text.template turns into an error. */
export function mustCompile(pattern: string): GoRegexp {
  try {
    return compile(pattern);
  } catch (e) {
    const q = /^[^`\x00-\x08\x0a-\x1f\x7f\ufeff]*$/.test(pattern) ? `\`${pattern}\`` : goQuote(pattern);
    throw new FuncError(`regexp: Compile(${q}): ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Submatch index pairs of the leftmost match at or after pos (-1 for unmatched groups). */
function matchAt(r: GoRegexp, s: string, pos: number): number[] | undefined {
  const m = r.re.matcher(s);
  if (!m.find(pos)) return undefined;
  const out: number[] = [];
  for (let g = 0; g <= m.groupCount(); g++) out.push(m.start(g), m.end(g));
  return out;
}

const width = (s: string, i: number): number => ((s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1);

/** Regexp.allMatches: successive matches, no empty match right after the previous one. */
export function allMatches(r: GoRegexp, s: string, n: number): number[][] {
  const out: number[][] = [];
  const limit = n < 0 ? s.length + 1 : n;
  let prevEnd = -1;
  for (let pos = 0; out.length < limit && pos <= s.length;) {
    const m = matchAt(r, s, pos);
    if (m === undefined) break;
    const [a = 0, b = 0] = m;
    let accept = true;
    if (b === pos) {
      if (a === prevEnd) accept = false;
      pos += pos < s.length ? width(s, pos) : 1;
    } else pos = b;
    prevEnd = b;
    if (accept) out.push(m);
  }
  return out;
}

export const matchString = (r: GoRegexp, s: string): boolean => matchAt(r, s, 0) !== undefined;

export function findString(r: GoRegexp, s: string): string {
  const m = matchAt(r, s, 0);
  return m === undefined ? "" : s.slice(m[0], m[1]);
}

export const findAllString = (r: GoRegexp, s: string, n: number): string[] => allMatches(r, s, n).map((m) => s.slice(m[0], m[1]));

/** Regexp.Expand: $name / ${name} (name = longest [A-Za-z0-9_] run), $$; unknown groups expand to "". */
function expand(template: string, r: GoRegexp, s: string, m: number[]): string {
  let out = "";
  const names = r.re.namedGroups();
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== "$") {
      out += c;
      continue;
    }
    const rest = template.slice(i + 1);
    if (rest.startsWith("$")) {
      out += "$";
      i++;
      continue;
    }
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest);
    const bare = braced ? null : /^[A-Za-z0-9_]+/.exec(rest);
    const name = braced?.[1] ?? bare?.[0];
    if (name === undefined) {
      out += "$"; // malformed: the $ stays
      continue;
    }
    i += (braced?.[0] ?? bare?.[0] ?? "").length;
    let g = -1;
    if (/^\d+$/.test(name)) {
      const num = Number(name);
      // Go parses at most what fits in an int; a huge number names no group
      g = name.length < 9 ? num : -1;
    } else if (names[name] !== undefined) g = names[name];
    const a = m[2 * g];
    const b = m[2 * g + 1];
    if (g >= 0 && a !== undefined && b !== undefined && a >= 0) out += s.slice(a, b);
  }
  return out;
}

/** Regexp.replaceAll: no replacement for an empty match right after a previous match. */
function replaceAll(r: GoRegexp, s: string, repl: (m: number[]) => string): string {
  let out = "";
  let lastEnd = 0;
  for (let pos = 0; pos <= s.length;) {
    const m = matchAt(r, s, pos);
    if (m === undefined) break;
    const [a = 0, b = 0] = m;
    out += s.slice(lastEnd, a);
    if (b > lastEnd || a === 0) out += repl(m);
    lastEnd = b;
    const w = pos < s.length ? width(s, pos) : 1;
    if (pos + w > b) pos += w;
    else if (pos + 1 > b) pos++;
    else pos = b;
  }
  return out + s.slice(lastEnd);
}

export const replaceAllString = (r: GoRegexp, s: string, template: string): string => replaceAll(r, s, (m) => expand(template, r, s, m));
export const replaceAllLiteralString = (r: GoRegexp, s: string, repl: string): string => replaceAll(r, s, () => repl);

/** Regexp.Split. */
export function split(r: GoRegexp, s: string, n: number): string[] {
  if (n === 0) return [];
  if (r.source.length > 0 && s.length === 0) return [""];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of allMatches(r, s, n)) {
    if (n > 0 && out.length === n - 1) break;
    end = m[0] ?? 0;
    if (m[1] !== 0) out.push(s.slice(beg, end));
    beg = m[1] ?? 0;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/** regexp.QuoteMeta. */
export const quoteMeta = (s: string): string => s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
