// Go's time.ParseDuration, as ESO's metav1.Duration fields (refreshInterval) are parsed:
// a sequence of decimal numbers with optional fraction and a unit ("300ms", "-1.5h", "2h45m").
// Units: ns, us (µs, μs), ms, s, m, h. "0" alone needs no unit. Result in milliseconds (float).

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3, // U+00B5 micro sign
  "μs": 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

// Go limits durations to int64 nanoseconds (about 290 years).
const MAX_MS = 9_223_372_036_854.775;

export class DurationError extends Error {
  override readonly name = "DurationError";
}

/** Quoted like Go does, but a long input is cut: the message lands in a status condition. */
function quoted(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

export function parseGoDuration(input: string): number {
  const fail = (why: string) => new DurationError(`time: ${why} duration ${quoted(input)}`);
  let s = input;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s.startsWith("-")) sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw fail("invalid");
  let total = 0;
  while (s !== "") {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s);
    const whole = num?.[1] ?? "";
    const frac = num?.[2];
    if (whole === "" && (frac === undefined || frac === "")) throw fail("invalid");
    s = s.slice(num?.[0].length ?? 0);
    const unit = /^[^\d.]+/.exec(s)?.[0];
    if (unit === undefined) throw fail("missing unit in");
    const scale = UNIT_MS[unit];
    if (scale === undefined) throw new DurationError(`time: unknown unit ${quoted(unit)} in duration ${quoted(input)}`);
    s = s.slice(unit.length);
    total += Number(`${whole === "" ? "0" : whole}.${frac ?? "0"}`) * scale;
    if (total > MAX_MS) throw fail("invalid");
  }
  return sign * total;
}
