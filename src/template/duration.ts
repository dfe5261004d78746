// Go's time.Duration: String, ParseDuration and Round, on int64 nanoseconds held as bigint.
import { goStringToBytes } from "./gostring.ts";

export const NANOSECOND = 1n;
export const MICROSECOND = 1000n;
export const MILLISECOND = 1_000_000n;
export const SECOND = 1_000_000_000n;
export const MINUTE = 60n * SECOND;
export const HOUR = 60n * MINUTE;

const MAX_DURATION = (1n << 63n) - 1n;
const MIN_DURATION = -(1n << 63n);

export class DurationError extends Error {}

/** fmtFrac: the fraction of v/10**prec without trailing zeros (no point when it is zero). */
function fmtFrac(v: bigint, prec: number): { frac: string; rest: bigint } {
  let digits = "";
  let printed = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    printed = printed || digit !== 0n;
    if (printed) digits = String(digit) + digits;
    v /= 10n;
  }
  return { frac: printed ? "." + digits : "", rest: v };
}

/** time.Duration.String: "1h2m3.5s", "1.5µs", "0s". */
export function formatDuration(d: bigint): string {
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < SECOND) {
    if (u === 0n) return "0s";
    let prec: number;
    let unit: string;
    if (u < MICROSECOND) {
      prec = 0;
      unit = "ns";
    } else if (u < MILLISECOND) {
      prec = 3;
      unit = "µs";
    } else {
      prec = 6;
      unit = "ms";
    }
    const { frac, rest } = fmtFrac(u, prec);
    out = String(rest) + frac + unit;
  } else {
    const { frac, rest } = fmtFrac(u, 9);
    u = rest;
    out = String(u % 60n) + frac + "s";
    u /= 60n;
    if (u > 0n) {
      out = String(u % 60n) + "m" + out;
      u /= 60n;
      if (u > 0n) out = String(u) + "h" + out;
    }
  }
  return neg ? "-" + out : out;
}

/** The time package's quote: non-ASCII and control bytes as \x escapes. */
export function timeQuote(s: string): string {
  let out = '"';
  const bytes = goStringToBytes(s);
  let i = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const width = Buffer.byteLength(ch, "utf8");
    if (cp >= 0x80 || cp < 0x20) {
      for (let j = 0; j < width; j++) out += "\\x" + (bytes[i + j] ?? 0).toString(16).padStart(2, "0");
    } else {
      if (ch === '"' || ch === "\\") out += "\\";
      out += ch;
    }
    i += width;
  }
  return out + '"';
}

const UNITS = new Map<string, bigint>([
  ["ns", NANOSECOND], ["us", MICROSECOND], ["µs", MICROSECOND], ["μs", MICROSECOND],
  ["ms", MILLISECOND], ["s", SECOND], ["m", MINUTE], ["h", HOUR],
]);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/** time.ParseDuration; throws DurationError with Go's message. */
export function parseDuration(orig: string): bigint {
  const invalid = (what = "invalid duration"): DurationError => new DurationError(`time: ${what} ${timeQuote(orig)}`);
  let s = orig;
  let d = 0n;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") throw invalid();
  while (s !== "") {
    let v = 0n;
    let f = 0n;
    let scale = 1;
    if (!(s[0] === "." || isDigit(s[0]))) throw invalid();
    let i = 0;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > (1n << 63n) / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > 1n << 63n) throw invalid();
    }
    const pre = i > 0;
    s = s.slice(i);
    let post = false;
    if (s !== "" && s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > ((1n << 63n) - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > 1n << 63n) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let k = 0;
    while (k < s.length && !(s[k] === "." || isDigit(s[k]))) k++;
    if (k === 0) throw invalid("missing unit in duration");
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS.get(u);
    if (unit === undefined) throw invalid(`unknown unit ${timeQuote(u)} in duration`);
    if (v > (1n << 63n) / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes the fraction in float64 and truncates, which this reproduces exactly.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > 1n << 63n) throw invalid();
    }
    d += v;
    if (d > 1n << 63n) throw invalid();
  }
  if (neg) return BigInt.asIntN(64, -d);
  if (d > MAX_DURATION) throw invalid();
  return d;
}

/** time.Duration.Round */
export function roundDuration(d: bigint, m: bigint): bigint {
  if (m <= 0n) return d;
  let r = d % m;
  const lessThanHalf = (x: bigint): boolean => x + x < m;
  if (d < 0n) {
    r = -r;
    if (lessThanHalf(r)) return d + r;
    const d1 = d - m + r;
    return d1 >= MIN_DURATION && d1 < d ? d1 : MIN_DURATION;
  }
  if (lessThanHalf(r)) return d - r;
  const d1 = d + m - r;
  return d1 <= MAX_DURATION && d1 > d ? d1 : MAX_DURATION;
}
