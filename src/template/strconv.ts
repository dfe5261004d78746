// Go strconv: Quote, QuoteToASCII, QuoteRune, CanBackquote and FormatFloat, over Go strings
// (gostring.ts) and exact binary-to-decimal conversion, so rounding matches Go digit for digit.
import { goStringToBytes, runes } from "./gostring.ts";
import { FLAG_PRINT, goFlags } from "./unicode-go15.ts";

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** strconv.IsPrint for one character (Go's Unicode 15.0 tables). */
export function isPrint(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  const go = cp < 0x80 ? undefined : goFlags(cp);
  return go !== undefined ? (go & FLAG_PRINT) !== 0 : PRINTABLE.test(ch);
}

const hex2 = (n: number): string => n.toString(16).padStart(2, "0");

function escapeRune(cp: number, quote: string, asciiOnly: boolean): string {
  const ch = String.fromCodePoint(cp);
  if (ch === quote || ch === "\\") return "\\" + ch;
  if (asciiOnly ? cp < 0x80 && isPrint(ch) : isPrint(ch)) return ch;
  switch (cp) {
    case 7: return "\\a";
    case 8: return "\\b";
    case 12: return "\\f";
    case 10: return "\\n";
    case 13: return "\\r";
    case 9: return "\\t";
    case 11: return "\\v";
  }
  if (cp < 0x20 || cp === 0x7f) return "\\x" + hex2(cp);
  if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) cp = 0xfffd;
  if (cp < 0x10000) return "\\u" + cp.toString(16).padStart(4, "0");
  return "\\U" + cp.toString(16).padStart(8, "0");
}

function quoteWith(s: string, quote: string, asciiOnly: boolean): string {
  let out = quote;
  for (const r of runes(s)) {
    // An invalid byte is written as \xNN of the byte itself.
    if (r.invalid) out += "\\x" + hex2(goStringToBytes(r.text)[0] ?? 0xfd);
    else out += escapeRune(r.rune, quote, asciiOnly);
  }
  return out + quote;
}

/** strconv.Quote (asciiOnly: strconv.QuoteToASCII) */
export function goQuote(s: string, asciiOnly = false): string {
  return quoteWith(s, '"', asciiOnly);
}

/** strconv.QuoteRune (asciiOnly: QuoteRuneToASCII) */
export function goQuoteRune(cp: number, asciiOnly = false): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) || cp < 0) cp = 0xfffd;
  return "'" + escapeRune(cp, "'", asciiOnly) + "'";
}

/** strconv.CanBackquote */
export function canBackquote(s: string): boolean {
  for (const r of runes(s)) {
    if (r.invalid || r.rune === 0xfeff) return false;
    if ((r.rune < 0x20 && r.rune !== 9) || r.rune === 0x60 || r.rune === 0x7f) return false;
  }
  return true;
}

/** Decimal digits of a float: value = 0.d1d2d3... × 10^dp (digits without leading zeros; "" for 0). */
interface Digits {
  d: string;
  dp: number;
}

const F64 = new DataView(new ArrayBuffer(8));

/** Mantissa and binary exponent of a finite |v| (v = mant × 2^exp), as strconv's formatBits sees them. */
function decompose(v: number): { mant: bigint; exp: number } {
  F64.setFloat64(0, v);
  const bits = F64.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  return { mant, exp: exp - 1023 - 52 };
}

/** All digits of |v|, exactly (a double is a finite binary fraction). */
function exactDigits(v: number): Digits {
  if (v === 0) return { d: "", dp: 0 };
  const { mant, exp } = decompose(Math.abs(v));
  let s: string;
  let dp: number;
  if (exp >= 0) {
    s = (mant << BigInt(exp)).toString();
    dp = s.length;
  } else {
    // mant / 2^k = mant × 5^k / 10^k
    const k = -exp;
    s = (mant * 5n ** BigInt(k)).toString();
    dp = s.length - k;
  }
  const lead = s.length - s.replace(/^0+/, "").length;
  s = s.slice(lead).replace(/0+$/, "");
  return { d: s, dp };
}

/** Rounds to nd digits, half to even on exact ties (digits are exact), like strconv's decimal.Round. */
function roundDigits(x: Digits, nd: number): Digits {
  if (nd < 0 || nd >= x.d.length) return x;
  const next = x.d.charCodeAt(nd) - 48;
  let up = next > 5 || (next === 5 && nd + 1 < x.d.length);
  if (next === 5 && nd + 1 === x.d.length) up = nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  let d = x.d.slice(0, nd);
  let dp = x.dp;
  if (up) {
    let i = nd - 1;
    while (i >= 0 && d[i] === "9") i--;
    if (i < 0) {
      d = "1";
      dp++;
    } else d = d.slice(0, i) + String.fromCharCode(d.charCodeAt(i) + 1);
  }
  return { d: d.replace(/0+$/, ""), dp };
}

/** Shortest digits that read back as v (JS and Go both pick the closest of the shortest). */
function shortestDigits(v: number): Digits {
  if (v === 0) return { d: "", dp: 0 };
  const [mant = "0", exp = "0"] = Math.abs(v).toExponential().split("e");
  return { d: mant.replace(".", ""), dp: Number(exp) + 1 };
}

function fmtE(neg: boolean, x: Digits, prec: number, fmt: string): string {
  let s = neg ? "-" : "";
  s += x.d.length === 0 ? "0" : x.d[0];
  if (prec > 0) {
    s += ".";
    for (let i = 1; i <= prec; i++) s += i < x.d.length ? x.d[i] : "0";
  }
  let exp = x.d.length === 0 ? 0 : x.dp - 1;
  s += fmt;
  if (exp < 0) {
    s += "-";
    exp = -exp;
  } else s += "+";
  return s + (exp < 10 ? "0" + exp : String(exp));
}

function fmtF(neg: boolean, x: Digits, prec: number): string {
  let s = neg ? "-" : "";
  if (x.dp > 0) {
    const m = Math.min(x.d.length, x.dp);
    s += x.d.slice(0, m) + "0".repeat(x.dp - m);
  } else s += "0";
  if (prec > 0) {
    s += ".";
    for (let i = 1; i <= prec; i++) {
      const j = x.dp + i - 1;
      s += j >= 0 && j < x.d.length ? x.d[j] : "0";
    }
  }
  return s;
}

/** %b: mantissa "p" binary exponent. */
function fmtB(neg: boolean, v: number): string {
  const { mant, exp } = v === 0 ? { mant: 0n, exp: -1074 } : decompose(v);
  return (neg ? "-" : "") + mant.toString() + "p" + (exp >= 0 ? "+" : "") + String(exp);
}

/** %x: -0x1.yyyyp±dd, rounded to prec hex digits when prec >= 0. */
function fmtX(neg: boolean, v: number, prec: number, fmt: string): string {
  let { mant, exp } = v === 0 ? { mant: 0n, exp: 0 } : decompose(v);
  exp += 52;
  if (mant === 0n) exp = 0;
  mant <<= 8n;
  const ONE = 1n << 60n;
  while (mant !== 0n && (mant & ONE) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & (ONE - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === "X" ? "0123456789ABCDEF" : "0123456789abcdef";
  let s = (neg ? "-" : "") + "0" + fmt + String((mant >> 60n) & 1n);
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  const digit = (): string => {
    const h = hex[Number((mant >> 60n) & 15n)] ?? "0";
    mant = (mant << 4n) & ((1n << 64n) - 1n);
    return h;
  };
  if (prec < 0 && mant !== 0n) {
    s += ".";
    while (mant !== 0n) s += digit();
  } else if (prec > 0) {
    s += ".";
    for (let i = 0; i < prec; i++) s += digit();
  }
  s += fmt === "X" ? "P" : "p";
  if (exp < 0) {
    s += "-";
    exp = -exp;
  } else s += "+";
  return s + (exp < 10 ? "0" + exp : String(exp));
}

/** strconv.FormatFloat(v, fmt, prec, 64) for fmt in b, e, E, f, g, G, x, X; prec -1 = shortest. */
export function formatFloat(v: number, fmt: string, prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  const neg = v < 0 || Object.is(v, -0);
  if (fmt === "b") return fmtB(neg, Math.abs(v));
  if (fmt === "x" || fmt === "X") return fmtX(neg, Math.abs(v), prec, fmt);
  const shortest = prec < 0;
  let x: Digits;
  if (shortest) {
    x = shortestDigits(v);
    if (fmt === "e" || fmt === "E") prec = Math.max(x.d.length - 1, 0);
    else if (fmt === "f") prec = Math.max(x.d.length - x.dp, 0);
    else prec = x.d.length;
  } else {
    const exact = exactDigits(v);
    if (fmt === "e" || fmt === "E") x = roundDigits(exact, prec + 1);
    else if (fmt === "f") x = roundDigits(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      x = roundDigits(exact, prec);
    }
  }
  switch (fmt) {
    case "e":
    case "E":
      return fmtE(neg, x, prec, fmt);
    case "f":
      return fmtF(neg, x, prec);
    case "g":
    case "G": {
      let eprec = prec;
      if (eprec > x.d.length && x.d.length >= x.dp) eprec = x.d.length;
      if (shortest) eprec = 6;
      const exp = x.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > x.d.length) prec = x.d.length;
        return fmtE(neg, x, prec - 1, fmt === "G" ? "E" : "e");
      }
      if (prec > x.dp) prec = x.d.length;
      return fmtF(neg, x, Math.max(prec - x.dp, 0));
    }
  }
  return String(v);
}

/** strconv.ParseInt / ParseUint (unsigned) with base 0 or 2..36: the value, or the kind of error
 * (on "range" the value is clamped, as Go returns it). */
export function parseGoInt(s0: string, base: number, bitSize: number, unsigned = false): { value: bigint; err?: "syntax" | "range" } {
  if (s0 === "") return { value: 0n, err: "syntax" };
  let s = s0;
  let neg = false;
  if (!unsigned && (s[0] === "+" || s[0] === "-")) {
    neg = s[0] === "-";
    s = s.slice(1);
    if (s === "") return { value: 0n, err: "syntax" };
  }
  const base0 = base === 0;
  if (base0) {
    base = 10;
    if (s[0] === "0") {
      const p = (s[1] ?? "").toLowerCase();
      if (s.length >= 3 && (p === "b" || p === "o" || p === "x")) {
        base = p === "b" ? 2 : p === "o" ? 8 : 16;
        s = s.slice(2);
      } else {
        base = 8;
        s = s.slice(1);
      }
    }
  }
  let n = 0n;
  let underscores = false;
  const b = BigInt(base);
  for (const c of s) {
    if (c === "_" && base0) {
      underscores = true;
      continue;
    }
    const d = /[0-9]/.test(c) ? c.charCodeAt(0) - 48 : /[a-z]/i.test(c) ? c.toLowerCase().charCodeAt(0) - 87 : 99;
    if (d >= base) return { value: 0n, err: "syntax" };
    n = n * b + BigInt(d);
  }
  if (underscores && !underscoreOK(s0)) return { value: 0n, err: "syntax" };
  const bits = BigInt(bitSize);
  if (unsigned) {
    const max = (1n << bits) - 1n;
    return n > max ? { value: max, err: "range" } : { value: n };
  }
  const cutoff = 1n << (bits - 1n);
  if (!neg && n >= cutoff) return { value: cutoff - 1n, err: "range" };
  if (neg && n > cutoff) return { value: -cutoff, err: "range" };
  return { value: neg ? -n : n };
}

/** Underscores only between digits, or between a base prefix and a digit. */
function underscoreOK(s: string): boolean {
  let saw = "^";
  let i = 0;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0" && "box".includes((s[1] ?? "").toLowerCase())) {
    i = 2;
    saw = "0";
    hex = (s[1] ?? "").toLowerCase() === "x";
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? "";
    if ((c >= "0" && c <= "9") || (hex && /[a-f]/i.test(c))) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

/** strconv.ParseFloat(s, 64) for decimal input; undefined where Go reports an error. */
export function parseGoFloat(s: string): number | undefined {
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (m) return m[2]?.toLowerCase() === "nan" ? NaN : m[1] === "-" ? -Infinity : Infinity;
  if (s.includes("_") && !underscoreOK(s)) return undefined;
  const t = s.replaceAll("_", "");
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(t);
  if (hex) {
    const int = hex[2] ?? "";
    const frac = hex[3] ?? "";
    if (int + frac === "") return undefined;
    const n = Number(BigInt("0x" + int + frac)) * 2 ** (Number(hex[4]) - 4 * frac.length);
    return Number.isFinite(n) ? (hex[1] === "-" ? -n : n) : undefined;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}
