// The part of shopspring/decimal (v1.4.0) Sprig's addf/subf/mulf/divf go through:
// NewFromFloat (shortest round-trip digits), exact Add/Sub/Mul, Div rounded half away from zero
// to 16 places, and Float64 (the nearest float64 to the exact value).

export class DecimalError extends Error {}

/** value × 10^exp */
export interface Decimal {
  value: bigint;
  exp: number;
}

const DIVISION_PRECISION = 16;

export function fromFloat(f: number): Decimal {
  if (Number.isNaN(f) || !Number.isFinite(f)) {
    throw new DecimalError(`Cannot create a Decimal from ${Number.isNaN(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf"}`);
  }
  if (f === 0) return { value: 0n, exp: 0 };
  // toExponential() gives the shortest digits that round-trip, like Go's roundShortest.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(f.toExponential());
  if (m === null) throw new DecimalError(`Cannot create a Decimal from ${f}`);
  const digits = (m[2] ?? "") + (m[3] ?? "");
  return { value: BigInt((m[1] ?? "") + digits), exp: Number(m[4]) - (digits.length - 1) };
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

function rescale(d: Decimal, exp: number): bigint {
  return d.exp >= exp ? d.value * pow10(d.exp - exp) : d.value / pow10(exp - d.exp);
}

export function add(a: Decimal, b: Decimal): Decimal {
  const exp = Math.min(a.exp, b.exp);
  return { value: rescale(a, exp) + rescale(b, exp), exp };
}

export function sub(a: Decimal, b: Decimal): Decimal {
  return add(a, { value: -b.value, exp: b.exp });
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return { value: a.value * b.value, exp: a.exp + b.exp };
}

/** Decimal.Div = DivRound(d2, 16): QuoRem then round half away from zero. */
export function div(a: Decimal, b: Decimal): Decimal {
  if (b.value === 0n) throw new DecimalError("decimal division by 0");
  const precision = DIVISION_PRECISION;
  const scale = -precision;
  const e = a.exp - b.exp - scale;
  let aa: bigint;
  let bb: bigint;
  let rexp: number;
  if (e < 0) {
    aa = a.value;
    bb = b.value * pow10(-e);
    rexp = a.exp;
  } else {
    aa = a.value * pow10(e);
    bb = b.value;
    rexp = scale + b.exp;
  }
  const q = aa / bb;
  const r = aa % bb;
  // 2·|r|·10^precision against |b|
  const r2: Decimal = { value: (r < 0n ? -r : r) * 2n, exp: rexp + precision };
  const absB: Decimal = { value: b.value < 0n ? -b.value : b.value, exp: b.exp };
  if (cmp(r2, absB) < 0) return { value: q, exp: scale };
  const unit: Decimal = { value: 1n, exp: -precision };
  const quotient: Decimal = { value: q, exp: scale };
  return (a.value < 0n) !== (b.value < 0n) ? sub(quotient, unit) : add(quotient, unit);
}

function cmp(a: Decimal, b: Decimal): number {
  const exp = Math.min(a.exp, b.exp);
  const x = rescale(a, exp);
  const y = rescale(b, exp);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Decimal.Float64: the float64 nearest to the exact value (V8's string conversion rounds correctly). */
export function toFloat(d: Decimal): number {
  return Number(`${d.value}e${d.exp}`);
}
