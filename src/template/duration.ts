// Go's time.Duration: String, ParseDuration and Round, on int64 nanoseconds held as bigint.
import { DurationError, parseGoDurationNs } from "../api/go-duration.ts";
import { goStringToBytes } from "./gostring.ts";

export { DurationError };

export const NANOSECOND = 1n;
export const MICROSECOND = 1000n;
export const MILLISECOND = 1_000_000n;
export const SECOND = 1_000_000_000n;
export const MINUTE = 60n * SECOND;
export const HOUR = 60n * MINUTE;

const MAX_DURATION = (1n << 63n) - 1n;
const MIN_DURATION = -(1n << 63n);


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

/** time.ParseDuration; throws DurationError with Go's message (the time package's quoting). */
export function parseDuration(orig: string): bigint {
  return parseGoDurationNs(orig, timeQuote);
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
