// Go's time.ParseDuration, the one parser for every duration the project reads: ESO's
// metav1.Duration fields (refreshInterval), controller flags, and the template functions (which add
// Go's own quoting of the input in messages). A sequence of decimal numbers with optional fraction
// and a unit ("300ms", "-1.5h", "2h45m"); units ns, us (µs, μs), ms, s, m, h; "0" alone needs none.

const NANOSECOND = 1n;
const MICROSECOND = 1000n;
const MILLISECOND = 1_000_000n;
const SECOND = 1_000_000_000n;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;
const MAX_DURATION = (1n << 63n) - 1n;

export class DurationError extends Error {
  override readonly name = "DurationError";
}

/** Quoted like Go does, but a long input is cut: the message lands in a status condition. */
function boundedQuote(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

const UNITS = new Map<string, bigint>([
  ["ns", NANOSECOND], ["us", MICROSECOND], ["µs", MICROSECOND], ["μs", MICROSECOND],
  ["ms", MILLISECOND], ["s", SECOND], ["m", MINUTE], ["h", HOUR],
]);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

/**
 * time.ParseDuration, exactly (int64 nanoseconds as bigint, Go's overflow rules and messages). `quote`
 * renders the input in messages: bounded JSON quoting for statuses, the time package's for templates.
 */
export function parseGoDurationNs(orig: string, quote: (s: string) => string = boundedQuote): bigint {
  const invalid = (what = "invalid duration"): DurationError => new DurationError(`time: ${what} ${quote(orig)}`);
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
    if (unit === undefined) throw invalid(`unknown unit ${quote(u)} in duration`);
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

/** A Go duration in milliseconds (a float: "1.5us" is 0.0015). */
export function parseGoDuration(input: string): number {
  return Number(parseGoDurationNs(input)) / 1e6;
}
