// Go strconv helpers: Quote, QuoteRune and float formatting as fmt and strconv print them.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function isPrint(ch: string): boolean {
  return PRINTABLE.test(ch);
}

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
  if (cp < 0x20 || cp === 0x7f) return "\\x" + cp.toString(16).padStart(2, "0");
  if (cp === 0xfffd) return "\\ufffd";
  if (cp < 0x10000) return "\\u" + cp.toString(16).padStart(4, "0");
  return "\\U" + cp.toString(16).padStart(8, "0");
}

/** strconv.Quote */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0) ?? 0, '"', asciiOnly);
  return out + '"';
}

/** strconv.QuoteRune */
export function goQuoteRune(cp: number): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) || cp < 0) cp = 0xfffd;
  return "'" + escapeRune(cp, "'", false) + "'";
}

/** Shortest decimal digits and exponent of a finite non-zero |v|: v = 0.d1d2... × 10^dp. */
function shortestDigits(v: number): { digits: string; dp: number } {
  const [mant = "0", exp = "0"] = Math.abs(v).toExponential().split("e");
  const digits = mant.replace(".", "");
  return { digits, dp: Number(exp) + 1 };
}

function digitsFixed(v: number, prec: number): { digits: string; dp: number } {
  // Exact decimal expansion rounded half-even like Go (toFixed rounds the exact binary value, which is what Go does too).
  const s = Math.abs(v).toFixed(Math.min(prec, 100));
  const [ip = "0", fp = ""] = s.split(".");
  const all = (ip + fp).replace(/^0+/, "");
  const dp = ip === "0" ? -(fp.length - fp.replace(/^0+/, "").length) : ip.length;
  return { digits: all === "" ? "0" : all, dp: all === "" ? 1 : dp };
}

function expStr(e: number): string {
  const sign = e < 0 ? "-" : "+";
  const a = Math.abs(e);
  return "e" + sign + (a < 10 ? "0" + a : String(a));
}

/** strconv.FormatFloat(v, fmt, prec, 64) for fmt in e, E, f, g, G; prec -1 = shortest. */
export function formatFloat(v: number, fmt: string, prec: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? "-" : "";
  const a = Math.abs(v);
  switch (fmt) {
    case "f": {
      if (prec < 0) {
        if (a === 0) return sign + "0";
        const { digits, dp } = shortestDigits(a);
        if (dp <= 0) return sign + "0." + "0".repeat(-dp) + digits;
        if (dp >= digits.length) return sign + digits + "0".repeat(dp - digits.length);
        return sign + digits.slice(0, dp) + "." + digits.slice(dp);
      }
      return sign + a.toFixed(prec);
    }
    case "e":
    case "E": {
      let mant: string;
      let exp: number;
      if (a === 0) {
        mant = prec < 0 ? "0" : prec === 0 ? "0" : "0." + "0".repeat(prec);
        exp = 0;
      } else if (prec < 0) {
        const { digits, dp } = shortestDigits(a);
        mant = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
        exp = dp - 1;
      } else {
        const [m = "0", e = "0"] = a.toExponential(prec).split("e");
        mant = m;
        exp = Number(e);
      }
      const s = sign + mant + expStr(exp);
      return fmt === "E" ? s.toUpperCase() : s;
    }
    case "g":
    case "G": {
      if (a === 0) return sign + "0";
      let digits: string;
      let dp: number;
      let eprec = prec;
      const shortest = prec < 0;
      if (shortest) {
        ({ digits, dp } = shortestDigits(a));
        eprec = 6;
      } else {
        const p = prec === 0 ? 1 : prec;
        const [m = "0", e = "0"] = a.toExponential(p - 1).split("e");
        digits = m.replace(".", "").replace(/0+$/, "") || "0";
        dp = Number(e) + 1;
        eprec = p;
        if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
      }
      const exp = dp - 1;
      if (exp < -4 || exp >= eprec) {
        const mant = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
        const s = sign + mant + expStr(exp);
        return fmt === "G" ? s.toUpperCase() : s;
      }
      if (dp <= 0) return sign + "0." + "0".repeat(-dp) + digits;
      if (dp >= digits.length) return sign + digits + "0".repeat(dp - digits.length);
      return sign + digits.slice(0, dp) + "." + digits.slice(dp);
    }
  }
  return String(v);
}

export { digitsFixed as _digitsFixed };
