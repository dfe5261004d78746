// Go's strconv.Unquote / UnquoteChar for template string and character literals.
import { bytesToGoString } from "./gostring.ts";

export class SyntaxError_ extends Error {}

const SIMPLE: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 };

/** Decodes one (possibly escaped) character at s[i]; returns code point or raw byte and the next index. */
function unquoteChar(s: string, i: number, quote: string): { value: number; isByte: boolean; next: number } {
  const c = s[i];
  if (c === undefined) throw new SyntaxError_("invalid syntax");
  if (c === quote && (quote === "'" || quote === '"')) throw new SyntaxError_("invalid syntax");
  if (c !== "\\") {
    const cp = s.codePointAt(i) ?? 0;
    return { value: cp, isByte: false, next: i + (cp > 0xffff ? 2 : 1) };
  }
  const e = s[i + 1];
  if (e === undefined) throw new SyntaxError_("invalid syntax");
  const simple = SIMPLE[e];
  if (simple !== undefined) return { value: simple, isByte: false, next: i + 2 };
  if (e === "x" || e === "u" || e === "U") {
    const n = e === "x" ? 2 : e === "u" ? 4 : 8;
    const hex = s.slice(i + 2, i + 2 + n);
    if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) throw new SyntaxError_("invalid syntax");
    const v = parseInt(hex, 16);
    if (e === "x") return { value: v, isByte: true, next: i + 2 + n };
    if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new SyntaxError_("invalid syntax");
    return { value: v, isByte: false, next: i + 2 + n };
  }
  if (e >= "0" && e <= "7") {
    const oct = s.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(oct)) throw new SyntaxError_("invalid syntax");
    const v = parseInt(oct, 8);
    if (v > 255) throw new SyntaxError_("invalid syntax");
    return { value: v, isByte: true, next: i + 4 };
  }
  if (e === "'" || e === '"') {
    if (e !== quote) throw new SyntaxError_("invalid syntax");
    return { value: e.charCodeAt(0), isByte: false, next: i + 2 };
  }
  throw new SyntaxError_("invalid syntax");
}

/** Unquotes a "..." or `...` literal; \x and octal escapes produce bytes (kept as bytes when not UTF-8). */
export function unquote(lit: string): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) throw new SyntaxError_("invalid syntax");
  const body = lit.slice(1, -1);
  if (q === "`") {
    if (body.includes("`")) throw new SyntaxError_("invalid syntax");
    return body.replaceAll("\r", "");
  }
  if (q !== '"') throw new SyntaxError_("invalid syntax");
  if (!body.includes("\\") && !body.includes('"')) return body;
  const bytes: number[] = [];
  for (let i = 0; i < body.length; ) {
    const r = unquoteChar(body, i, '"');
    if (r.isByte) bytes.push(r.value);
    else for (const b of Buffer.from(String.fromCodePoint(r.value), "utf8")) bytes.push(b);
    i = r.next;
  }
  return bytesToGoString(Uint8Array.from(bytes));
}

/** Unquotes a 'c' character literal to its code point. */
export function unquoteCharLiteral(lit: string): number {
  const r = unquoteChar(lit, 1, "'");
  if (lit.slice(r.next) !== "'") throw new SyntaxError_(`malformed character constant: ${lit}`);
  return r.value;
}
