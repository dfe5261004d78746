// Sprig v3 functions (Masterminds/sprig) as ESO and Sealed Secrets install them, minus env,
// expandenv and getHostByName (no template may read the environment or the network).
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";
import { decodeBase32, decodeStd, encodeBase32 } from "./base64.ts";
import { FuncError } from "./errors.ts";
import {
  byteLength, byteSlice, bytesToGoString, compareGo, goContains, goHasPrefix, goHasSuffix, goReplaceAll, goSplit, goStringToBytes, runes,
} from "./gostring.ts";
import { abbreviateFull, deleteWhiteSpace, initials, swapCase, uncapitalize, wrapCustom } from "./goutils.ts";
import { goTitle, goToLower, goToUpper } from "./unicode-case.ts";
import { camelCaseToLowerCase, toCamelCase } from "./xstrings.ts";
import * as re from "./regexp.ts";
import { type CallContext, type TemplateFunction, fn } from "./funcs.ts";
import { marshal, unmarshal } from "./json.ts";
import { formatValue, sprintf } from "./printf.ts";
import { goQuote, parseGoFloat, parseGoInt } from "./strconv.ts";
import { formatTime, inZone, unixTime } from "./time.ts";
import * as decimal from "./decimal.ts";
import { sprigCryptoFunctions } from "./sprig-crypto.ts";
import { semverCompare, semverValue } from "./semver.ts";
import { UrlError, goField, parseUrl, urlString } from "./url.ts";
import { DurationError, SECOND, formatDuration, parseDuration, roundDuration } from "./duration.ts";
import { TimeParseError, parseTime } from "./time-parse.ts";
import {
  GoComplex, GoStruct, GoTime, Int64, type GoMap, type Value, intValue, nilSlice, isIntLike, isMap, isSlice, kindName, mapElemType, sliceElemType, typeName, typedMap, typedSlice,
} from "./values.ts";
import type { TemplateProfile } from "./template.ts";

/** sprig strval: fmt.Sprintf("%v") for everything but strings and bytes. */
export function strval(v: Value): string {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return bytesToGoString(v);
  if (v === undefined || v === null) return "<nil>";
  return formatValue(v, "v");
}

/** sprig empty: the zero value of its type (structs, e.g. times, are never empty). */
export function empty(v: Value): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === "string") return v.length === 0;
  if (typeof v === "boolean") return !v;
  if (typeof v === "number") return v === 0;
  if (isIntLike(v)) return intValue(v) === 0n;
  if (v instanceof GoComplex) return v.re === 0 && v.im === 0;
  if (v instanceof GoTime || v instanceof GoStruct) return false;
  if (v instanceof Uint8Array || isSlice(v)) return v.length === 0;
  return v.size === 0;
}

function strslice(v: Value): string[] {
  if (isSlice(v)) {
    if (sliceElemType(v) === "string") return v as string[];
    return v.filter((x) => x !== null && x !== undefined).map(strval);
  }
  if (v instanceof Uint8Array) return [...v].map((b) => String(b));
  if (v === null || v === undefined) return [];
  return [strval(v)];
}

/** Go's int64(f) on amd64: truncation, and the "integer indefinite" MinInt64 out of range or NaN. */
function floatToInt64(f: number): bigint {
  if (Number.isNaN(f) || f >= 2 ** 63 || f < -(2 ** 63)) return -(1n << 63n);
  return BigInt(Math.trunc(f));
}

/** spf13/cast v1.10 trimDecimal: "12.50" → "12", ".5" → "0"; other text is left alone. */
function trimDecimal(s: string): string {
  if (!s.includes(".")) return s;
  const m = /^([-+]?\d*)(\.\d*)?$/.exec(s);
  if (m === null) return s;
  const int = m[1] ?? "";
  return int === "-" || int === "+" ? int + "0" : int === "" ? "0" : int;
}

/** spf13/cast v1.7 trimZeroDecimal: only a zero fraction goes ("12.00" → "12", "12.50" stays). */
function trimZeroDecimal(s: string): string {
  let foundZero = false;
  for (let i = s.length; i > 0; i--) {
    const c = s[i - 1];
    if (c === ".") {
      if (foundZero) return s.slice(0, i - 1);
    } else if (c === "0") foundZero = true;
    else return s;
  }
  return s;
}

/** The spf13/cast a profile's Sprig links: ESO v2.9.0 pins v1.10.0, Sealed Secrets v1.7.0. */
export type CastVersion = "v1.10" | "v1.7";

/** spf13/cast ToInt64 (and ToInt) as sprig uses it: errors become 0. */
export function toInt64(v: Value, cast: CastVersion = "v1.10"): bigint {
  if (isIntLike(v)) return intValue(v);
  if (typeof v === "number") return floatToInt64(v);
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "string") {
    if (v === "") return 0n;
    const n = parseGoInt(cast === "v1.10" ? trimDecimal(v) : trimZeroDecimal(v), 0, 64);
    return n.err === undefined ? n.value : 0n;
  }
  return 0n;
}

/** strconv.Atoi with the error dropped: 0 on bad syntax, the clamped value on overflow. */
function atoi(s: string): bigint {
  const n = parseGoInt(s, 10, 64);
  return n.err === "syntax" ? 0n : n.value;
}

function toFloat64(v: Value): number {
  if (isIntLike(v)) return Number(intValue(v));
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") return parseGoFloat(v) ?? 0;
  return 0;
}

/** Sprig's execDecimalOp: each operand through decimal.NewFromFloat, the result back to float64. */
function decimalOp(first: Value, rest: Value[], op: (a: decimal.Decimal, b: decimal.Decimal) => decimal.Decimal): number {
  try {
    let acc = decimal.fromFloat(toFloat64(first));
    for (const x of rest) acc = op(acc, decimal.fromFloat(toFloat64(x)));
    return decimal.toFloat(acc);
  } catch (e) {
    if (e instanceof decimal.DecimalError) throw new FuncError(e.message);
    throw e;
  }
}

const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

export function goTrimSpace(s: string): string {
  return s.replace(GO_SPACE, "");
}

/** strings.Trim: an ASCII cutset trims bytes; otherwise runes, where U+FFFD in the cutset (or an
 * invalid byte) matches every invalid byte. */
function goTrim(s: string, cutset: string): string {
  if (s === "" || cutset === "") return s;
  if (!/[^\x00-\x7f]/.test(cutset)) {
    const set = new Set(cutset);
    let a = 0;
    let b = s.length;
    while (a < b && set.has(s[a] ?? "")) a++;
    while (b > a && set.has(s[b - 1] ?? "")) b--;
    return s.slice(a, b);
  }
  const cut = [...runes(cutset)];
  const matchesError = cut.some((r) => r.rune === 0xfffd);
  const set = new Set(cut.map((r) => r.rune));
  const rs = [...runes(s)];
  const inSet = (i: number): boolean => {
    const r = rs[i];
    return r !== undefined && (r.rune === 0xfffd ? matchesError : set.has(r.rune));
  };
  let a = 0;
  let b = rs.length;
  while (a < b && inSet(a)) a++;
  while (b > a && inSet(b - 1)) b--;
  return rs.slice(a, b).map((r) => r.text).join("");
}

/** Go's panic text for a string slice s[low:high] out of range, or undefined when it is in range. */
function sliceBoundsError(low: number, high: number | undefined, len: number): string | undefined {
  const prefix = "runtime error: slice bounds out of range ";
  if (high !== undefined) {
    if (high < 0) return `${prefix}[:${high}]`;
    if (high > len) return `${prefix}[:${high}] with length ${len}`;
  }
  const h = high ?? len;
  if (low < 0) return `${prefix}[${low}:]`;
  if (low > h) return `${prefix}[${low}:${h}]`;
  return undefined;
}

/** s[low:high] by bytes; a panic (FuncError) where Go's bounds check fails. */
function goSliceString(s: string, low: number, high?: number): string {
  const err = sliceBoundsError(low, high, byteLength(s));
  if (err !== undefined) throw new FuncError(err);
  return byteSlice(s, low, high);
}

function list(args: Value[]): Value[] {
  return [...args];
}

function requireList(name: string, v: Value): Value[] {
  if (isSlice(v)) return v;
  if (v instanceof Uint8Array) return [...v].map((b) => BigInt(b));
  if (v === undefined || v === null) throw new FuncError("runtime error: invalid memory address or nil pointer dereference");
  throw new FuncError(`Cannot find ${name} on type ${kindName(v)}`);
}

function asInterfaceSlice(items: Value[], like: Value): Value[] {
  void like;
  return items;
}

function dict(args: Value[]): GoMap {
  const m: GoMap = new Map();
  for (let i = 0; i < args.length; i += 2) {
    const k = strval(args[i]);
    m.set(k, i + 1 >= args.length ? "" : (args[i + 1] ?? null));
  }
  return m;
}

function sha(alg: string, s: string): string {
  return createHash(alg).update(goStringToBytes(s)).digest("hex");
}

function adler32(s: string): bigint {
  let a = 1;
  let b = 0;
  for (const byte of goStringToBytes(s)) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return BigInt(((b << 16) | a) >>> 0);
}

function uuidv4(ctx: CallContext): string {
  const b = ctx.randomBytes(16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function bcryptHash(password: string, ctx: CallContext): string {
  if (Buffer.byteLength(password, "utf8") > 72) {
    return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes";
  }
  const salt = "$2a$10$" + bcrypt.encodeBase64(Array.from(ctx.randomBytes(16)), 16);
  return bcrypt.hashSync(password, salt);
}

function htpasswd(user: string, password: string, alg: string, ctx: CallContext): string {
  if (user.includes(":")) return `invalid username: ${user}`;
  if (alg === "sha") return `${user}:{SHA}${createHash("sha1").update(password, "utf8").digest("base64")}`;
  return `${user}:${bcryptHash(password, ctx)}`;
}

function toTime(v: Value, ctx: CallContext): GoTime {
  if (v instanceof GoTime) return v;
  if (typeof v === "bigint" || v instanceof Int64) return unixTime(Number(intValue(v)));
  const d = ctx.now();
  return new GoTime(d.getTime());
}

const CHARSETS = {
  alnum: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  alpha: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
  numeric: "0123456789",
  ascii: Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(""),
};

function randString(count: bigint, set: string, ctx: CallContext): string {
  const n = Number(count);
  if (n < 0) throw new FuncError("count must be non-negative");
  ctx.checkSize(n);
  const bytes = ctx.randomBytes(n * 2);
  let out = "";
  for (let i = 0; i < n; i++) out += set[(((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)) % set.length];
  return out;
}

function deepCopy(v: Value): Value {
  if (isSlice(v)) {
    const out = v.map(deepCopy);
    const elem = sliceElemType(v);
    return elem ? typedSlice(out, elem) : out;
  }
  if (isMap(v)) {
    const m: GoMap = new Map();
    for (const [k, x] of v) m.set(k, deepCopy(x));
    // copystructure keeps the map's type (map[string]string stays one).
    const elem = mapElemType(v);
    return elem ? typedMap(m, elem) : m;
  }
  if (v instanceof Uint8Array) return v.slice();
  return v;
}

/** sprig seq: 1, 2 or 3 ints (start, step, end); any other count prints nothing. */
function seq(p: bigint[], ctx: CallContext): string {
  let start: bigint;
  let end: bigint;
  let step: bigint;
  switch (p.length) {
    case 1:
      start = 1n;
      end = p[0] ?? 0n;
      step = end < start ? -1n : 1n;
      return untilStepList(start, end + step, step, ctx).join(" ");
    case 2:
      start = p[0] ?? 0n;
      end = p[1] ?? 0n;
      step = end < start ? -1n : 1n;
      return untilStepList(start, end + step, step, ctx).join(" ");
    case 3: {
      start = p[0] ?? 0n;
      end = p[2] ?? 0n;
      step = p[1] ?? 0n;
      let increment = 1n;
      if (end < start) {
        increment = -1n;
        if (step > 0n) return "";
      }
      return untilStepList(start, end + increment, step, ctx).join(" ");
    }
    default:
      return "";
  }
}

/** sprig untilStep: empty when the step points away from stop. */
function untilStepList(start: bigint, stop: bigint, step: bigint, ctx: CallContext): bigint[] {
  const out: bigint[] = [];
  if (stop < start ? step >= 0n : step <= 0n) return out;
  const count = (stop - start) / step;
  ctx.checkSize(Number(count > 0n ? count : 0n) * 8);
  if (step > 0n) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}

/** mergo.Merge semantics, simplified: fill keys missing (or empty) in dst from src, recursively for maps. */
function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const [k, sv] of src) {
    const dv = dst.get(k);
    if (isMap(dv) && isMap(sv)) mergeInto(dv, sv, overwrite);
    else if (!dst.has(k) || empty(dv ?? null) || (overwrite && !empty(sv))) dst.set(k, deepCopy(sv));
  }
}

export function sprigFunctions(profile: TemplateProfile): Map<string, TemplateFunction> {
  const cast: CastVersion = profile === "eso" ? "v1.10" : "v1.7";
  const int64Of = (v: Value): bigint => toInt64(v, cast);
  const s = (f: (x: string) => Value) => fn(["string"], ([a]) => f(a as string));
  const s2 = (f: (a: string, b: string) => Value) => fn(["string", "string"], ([a, b]) => f(a as string, b as string));
  const m: [string, TemplateFunction][] = [
    ["hello", fn([], () => "Hello!")],
    // strings
    ["trim", s(goTrimSpace)],
    ["upper", s(goToUpper)],
    ["lower", s(goToLower)],
    ["title", s(goTitle)],
    ["untitle", s(uncapitalize)],
    ["substr", fn(["int", "int", "string"], ([a, b, str]) => {
      const st = Number(a);
      const en = Number(b);
      const x = str as string;
      if (st < 0) return goSliceString(x, 0, en);
      if (en < 0 || en > byteLength(x)) return goSliceString(x, st);
      return goSliceString(x, st, en);
    })],
    ["repeat", fn(["int", "string"], ([c, str], ctx) => {
      const n = Number(c);
      if (n < 0) throw new FuncError("strings: negative Repeat count");
      ctx.checkSize(n * (str as string).length);
      return (str as string).repeat(n);
    })],
    ["trimall", s2((a, b) => goTrim(b, a))],
    ["trimAll", s2((a, b) => goTrim(b, a))],
    ["trimSuffix", s2((a, b) => (goHasSuffix(b, a) ? byteSlice(b, 0, byteLength(b) - byteLength(a)) : b))],
    ["trimPrefix", s2((a, b) => (goHasPrefix(b, a) ? byteSlice(b, byteLength(a)) : b))],
    ["nospace", s(deleteWhiteSpace)],
    ["trunc", fn(["int", "string"], ([c, str]) => {
      const n = Number(c);
      const x = str as string;
      const len = byteLength(x);
      if (n < 0 && len + n > 0) return byteSlice(x, len + n);
      if (n >= 0 && len > n) return byteSlice(x, 0, n);
      return x;
    })],
    ["abbrev", fn(["int", "string"], ([w, str]) => (Number(w) < 4 ? (str) : abbreviateFull(str as string, 0, Number(w))))],
    ["abbrevboth", fn(["int", "int", "string"], ([l, r, str]) => {
      const [left, right] = [Number(l), Number(r)];
      return right < 4 || (left > 0 && right < 7) ? (str) : abbreviateFull(str as string, left, right);
    })],
    ["shuffle", fn(["string"], ([x], ctx) => shuffle(x as string, ctx))],
    ["initials", s(initials)],
    ["randAlphaNum", fn(["int"], ([c], ctx) => randString(c as bigint, CHARSETS.alnum, ctx))],
    ["randAlpha", fn(["int"], ([c], ctx) => randString(c as bigint, CHARSETS.alpha, ctx))],
    ["randAscii", fn(["int"], ([c], ctx) => randString(c as bigint, CHARSETS.ascii, ctx))],
    ["randNumeric", fn(["int"], ([c], ctx) => randString(c as bigint, CHARSETS.numeric, ctx))],
    ["swapcase", s(swapCase)],
    ["snakecase", s((x) => camelCaseToLowerCase(x, "_"))],
    ["camelcase", s((x) => toCamelCase(x, true))],
    ["kebabcase", s((x) => camelCaseToLowerCase(x, "-"))],
    ["wrap", fn(["int", "string"], ([l, str]) => wrapCustom(str as string, Number(l), "", false))],
    ["wrapWith", fn(["int", "string", "string"], ([l, sep, str]) => wrapCustom(str as string, Number(l), sep as string, true))],
    ["contains", s2((sub, str) => goContains(str, sub))],
    ["hasPrefix", s2((sub, str) => goHasPrefix(str, sub))],
    ["hasSuffix", s2((sub, str) => goHasSuffix(str, sub))],
    ["quote", fn([], (args) => args.filter((a) => a !== null && a !== undefined).map((a) => goQuote(strval(a))).join(" "), "any")],
    ["squote", fn([], (args) => args.filter((a) => a !== null && a !== undefined).map((a) => sprintf("'%v'", [a])).join(" "), "any")],
    ["cat", fn([], (args) => {
      const xs = args.filter((a) => a !== null && a !== undefined);
      return sprintf("%v ".repeat(xs.length).trim(), xs);
    }, "any")],
    ["indent", fn(["int", "string"], ([n, v], ctx) => {
      const pad = " ".repeat(Math.max(0, Number(n)));
      const out = pad + (v as string).replaceAll("\n", "\n" + pad);
      ctx.checkSize(out.length);
      return out;
    })],
    ["nindent", fn(["int", "string"], ([n, v], ctx) => {
      const pad = " ".repeat(Math.max(0, Number(n)));
      const out = "\n" + pad + (v as string).replaceAll("\n", "\n" + pad);
      ctx.checkSize(out.length);
      return out;
    })],
    ["replace", fn(["string", "string", "string"], ([o, n, src]) => goReplaceAll(src as string, o as string, n as string))],
    ["plural", fn(["string", "string", "int"], ([one, many, c]) => ((c as bigint) === 1n ? one : many))],
    ["sha1sum", s((x) => sha("sha1", x))],
    ["sha256sum", s((x) => sha("sha256", x))],
    ["sha512sum", s((x) => sha("sha512", x))],
    ["adler32sum", s((x) => adler32(x).toString())],
    ["toString", fn(["any"], ([v]) => strval(v))],
    ["atoi", s(atoi)],
    ["int64", fn(["any"], ([v]) => new Int64(int64Of(v)))],
    ["int", fn(["any"], ([v]) => BigInt.asIntN(64, int64Of(v)))],
    ["float64", fn(["any"], ([v]) => toFloat64(v))],
    ["seq", fn([], (args, ctx) => seq(args.map((a) => a as bigint), ctx), "int")],
    ["split", s2((sep, orig) => {
      const m2: GoMap = new Map();
      goSplit(orig, sep).forEach((v, i) => m2.set(`_${i}`, v));
      return m2;
    })],
    ["splitList", s2((sep, orig) => typedSlice(goSplit(orig, sep), "string"))],
    ["splitn", fn(["string", "int", "string"], ([sep, n, orig]) => {
      const m2: GoMap = new Map();
      goSplitN(orig as string, sep as string, Number(n)).forEach((v, i) => m2.set(`_${i}`, v));
      return m2;
    })],
    ["toStrings", fn(["any"], ([v]) => typedSlice(strslice(v), "string"))],
    ["until", fn(["int"], ([c], ctx) => untilStep(0n, c as bigint, (c as bigint) < 0n ? -1n : 1n, ctx))],
    ["untilStep", fn(["int", "int", "int"], ([a, b, st], ctx) => untilStep(a as bigint, b as bigint, st as bigint, ctx))],
    ["add1", fn(["any"], ([i]) => new Int64(int64Of(i) + 1n))],
    ["add", fn([], (args) => new Int64(args.reduce<bigint>((acc, b) => acc + int64Of(b), 0n)), "any")],
    ["sub", fn(["any", "any"], ([a, b]) => new Int64(int64Of(a) - int64Of(b)))],
    ["div", fn(["any", "any"], ([a, b]) => {
      const d = int64Of(b);
      if (d === 0n) throw new FuncError("runtime error: integer divide by zero");
      return new Int64(int64Of(a) / d);
    })],
    ["mod", fn(["any", "any"], ([a, b]) => {
      const d = int64Of(b);
      if (d === 0n) throw new FuncError("runtime error: integer divide by zero");
      return new Int64(int64Of(a) % d);
    })],
    ["mul", fn(["any"], ([a, ...rest]) => new Int64(rest.reduce<bigint>((acc, b) => acc * int64Of(b), int64Of(a))), "any")],
    ["max", fn(["any"], ([a, ...rest]) => new Int64(rest.reduce<bigint>((acc, b) => (int64Of(b) > acc ? int64Of(b) : acc), int64Of(a))), "any")],
    ["biggest", fn(["any"], ([a, ...rest]) => new Int64(rest.reduce<bigint>((acc, b) => (int64Of(b) > acc ? int64Of(b) : acc), int64Of(a))), "any")],
    ["min", fn(["any"], ([a, ...rest]) => new Int64(rest.reduce<bigint>((acc, b) => (int64Of(b) < acc ? int64Of(b) : acc), int64Of(a))), "any")],
    ["add1f", fn(["any"], ([i]) => decimalOp(i ?? null, [1n], decimal.add))],
    ["addf", fn([], (xs) => decimalOp(0, xs, decimal.add), "any")],
    ["subf", fn(["any"], ([a, ...xs]) => decimalOp(a ?? null, xs, decimal.sub), "any")],
    ["mulf", fn(["any"], ([a, ...xs]) => decimalOp(a ?? null, xs, decimal.mul), "any")],
    ["divf", fn(["any"], ([a, ...xs]) => decimalOp(a ?? null, xs, decimal.div), "any")],
    ["toDecimal", fn(["any"], ([v]) => new Int64(parseOctal(formatValue(v ?? null, "v"))))],
    ["randInt", fn(["int", "int"], ([lo, hi], ctx) => randIntn(Number(hi) - Number(lo), ctx) + BigInt(lo as bigint))],
    ["maxf", fn(["any"], ([a, ...rest]) => rest.reduce<number>((acc, b) => Math.max(acc, toFloat64(b)), toFloat64(a)), "any")],
    ["minf", fn(["any"], ([a, ...rest]) => rest.reduce<number>((acc, b) => Math.min(acc, toFloat64(b)), toFloat64(a)), "any")],
    ["ceil", fn(["any"], ([a]) => Math.ceil(toFloat64(a)))],
    ["floor", fn(["any"], ([a]) => Math.floor(toFloat64(a)))],
    ["round", fn(["any", "int"], ([a, p], ) => {
      const f = 10 ** Number(p);
      const x = toFloat64(a) * f;
      return (x < 0 ? -Math.round(-x) : Math.round(x)) / f;
    }, "float64")],
    ["join", fn(["string", "any"], ([sep, v]) => strslice(v).join(sep as string))],
    ["sortAlpha", fn(["any"], ([v]) => {
      if (isSlice(v)) return typedSlice(strslice(v).sort(compareGo), "string");
      return typedSlice([strval(v)], "string");
    })],
    // defaults
    ["default", fn(["any"], ([d, ...given]) => (given.length === 0 || empty(given[0] ?? null) ? d ?? null : given[0] ?? null), "any")],
    ["empty", fn(["any"], ([v]) => empty(v))],
    ["coalesce", fn([], (args) => args.find((a) => !empty(a)) ?? null, "any")],
    ["all", fn([], (args) => args.every((a) => !empty(a)), "any")],
    ["any", fn([], (args) => args.some((a) => !empty(a)), "any")],
    ["compact", fn(["any"], ([v]) => requireList("compact", v).filter((x) => !empty(x)))],
    ["mustCompact", fn(["any"], ([v]) => requireList("compact", v).filter((x) => !empty(x)))],
    ["fromJson", s((x) => {
      try {
        return unmarshal(x);
      } catch {
        return null;
      }
    })],
    ["mustFromJson", s((x) => {
      try {
        return unmarshal(x);
      } catch (e) {
        throw new FuncError(e instanceof Error ? e.message : String(e));
      }
    })],
    ["toJson", fn(["any"], ([v]) => safeJson(v, { escapeHTML: true }))],
    ["toPrettyJson", fn(["any"], ([v]) => safeJson(v, { escapeHTML: true, indent: "  " }))],
    ["toRawJson", fn(["any"], ([v]) => safeJson(v, { escapeHTML: false }))],
    ["mustToJson", fn(["any"], ([v]) => marshal(v, { escapeHTML: true }))],
    ["mustToPrettyJson", fn(["any"], ([v]) => marshal(v, { escapeHTML: true, indent: "  " }))],
    ["mustToRawJson", fn(["any"], ([v]) => marshal(v, { escapeHTML: false }))],
    ["ternary", fn(["any", "any", "bool"], ([a, b, c]) => (c ? a : b) ?? null)],
    ["deepCopy", fn(["any"], ([v]) => {
      // copystructure.Copy(nil) panics inside reflect.
      if (v === null || v === undefined) throw new FuncError("reflect: call of reflect.Value.Type on zero Value");
      return deepCopy(v);
    })],
    ["mustDeepCopy", fn(["any"], ([v]) => {
      if (v === null || v === undefined) throw new FuncError("reflect: call of reflect.Value.Type on zero Value");
      return deepCopy(v);
    })],
    // reflection
    ["typeOf", fn(["any"], ([v]) => (v === null || v === undefined ? "<nil>" : typeName(v)))],
    ["typeIs", fn(["string", "any"], ([t, v]) => t === (v === null || v === undefined ? "<nil>" : typeName(v)))],
    ["typeIsLike", fn(["string", "any"], ([t, v]) => {
      const n = v === null || v === undefined ? "<nil>" : typeName(v);
      return t === n || t === "*" + n;
    })],
    ["kindOf", fn(["any"], ([v]) => kindName(v))],
    ["kindIs", fn(["string", "any"], ([t, v]) => t === kindName(v))],
    ["deepEqual", fn(["any", "any"], ([a, b]) => deepEqual(a, b))],
    // paths (forward slashes)
    ["base", s((p) => pathBase(p))],
    ["dir", s((p) => pathDir(p))],
    ["clean", s((p) => pathClean(p))],
    ["ext", s((p) => {
      const m2 = /\.[^./]*$/.exec(p);
      return m2 ? m2[0] : "";
    })],
    ["isAbs", s((p) => p.startsWith("/"))],
    // path/filepath on Linux: the same rules as package path
    ["osBase", s((p) => pathBase(p))],
    ["osClean", s((p) => pathClean(p))],
    ["osDir", s((p) => pathDir(p))],
    ["osExt", s((p) => {
      const m2 = /\.[^./]*$/.exec(p);
      return m2 ? m2[0] : "";
    })],
    ["osIsAbs", s((p) => p.startsWith("/"))],
    // encoding
    ["b64enc", s((x) => Buffer.from(goStringToBytes(x)).toString("base64"))],
    ["b64dec", s((x) => {
      try {
        return bytesToGoString(decodeStd(x));
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    })],
    ["b32enc", s((x) => encodeBase32(goStringToBytes(x)))],
    ["b32dec", s((x) => {
      try {
        return bytesToGoString(decodeBase32(x));
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    })],
    // data structures
    ["tuple", fn([], list, "any")],
    ["list", fn([], list, "any")],
    ["dict", fn([], dict, "any")],
    ["get", fn(["map", "string"], ([d, k]) => {
      const mm = d as GoMap | null;
      return mm?.has(k as string) ? (mm.get(k as string) ?? null) : "";
    })],
    ["set", fn(["map", "string", "any"], ([d, k, v]) => {
      if (d === null) throw new FuncError("assignment to entry in nil map");
      (d as GoMap).set(k as string, v ?? null);
      return d;
    })],
    ["unset", fn(["map", "string"], ([d, k]) => {
      (d as GoMap | null)?.delete(k as string);
      return d ?? null;
    })],
    ["hasKey", fn(["map", "string"], ([d, k]) => (d as GoMap | null)?.has(k as string) ?? false)],
    ["pluck", fn(["string"], ([k, ...ds]) => ds.filter((d) => isMap(d) && d.has(k as string)).map((d) => (d as GoMap).get(k as string) ?? null), "map")],
    ["keys", fn([], (ds) => typedSlice(ds.flatMap((d) => (isMap(d) ? [...d.keys()] : [])), "string"), "map")],
    ["pick", fn(["map"], ([d, ...ks]) => {
      const out: GoMap = new Map();
      for (const k of ks) if ((d as GoMap | null)?.has(k as string)) out.set(k as string, (d as GoMap).get(k as string) ?? null);
      return out;
    }, "string")],
    ["omit", fn(["map"], ([d, ...ks]) => {
      const out: GoMap = new Map();
      const skip = new Set(ks as string[]);
      for (const [k, v] of (d as GoMap | null) ?? new Map<string, Value>()) if (!skip.has(k)) out.set(k, v);
      return out;
    }, "string")],
    ["merge", fn(["map"], ([dst, ...srcs]) => {
      const d = (dst as GoMap | null) ?? new Map<string, Value>();
      for (const src of srcs) if (isMap(src)) mergeInto(d, src, false);
      return d;
    }, "map")],
    ["mergeOverwrite", fn(["map"], ([dst, ...srcs]) => {
      const d = (dst as GoMap | null) ?? new Map<string, Value>();
      for (const src of srcs) if (isMap(src)) mergeInto(d, src, true);
      return d;
    }, "map")],
    ["mustMerge", fn(["map"], ([dst, ...srcs]) => {
      const d = (dst as GoMap | null) ?? new Map<string, Value>();
      for (const src of srcs) if (isMap(src)) mergeInto(d, src, false);
      return d;
    }, "map")],
    ["mustMergeOverwrite", fn(["map"], ([dst, ...srcs]) => {
      const d = (dst as GoMap | null) ?? new Map<string, Value>();
      for (const src of srcs) if (isMap(src)) mergeInto(d, src, true);
      return d;
    }, "map")],
    ["values", fn(["map"], ([d]) => [...((d as GoMap | null)?.values() ?? [])])],
    ["append", fn(["any", "any"], ([l, v]) => [...requireList("push", l), v ?? null])],
    ["push", fn(["any", "any"], ([l, v]) => [...requireList("push", l), v ?? null])],
    ["mustAppend", fn(["any", "any"], ([l, v]) => [...requireList("push", l), v ?? null])],
    ["mustPush", fn(["any", "any"], ([l, v]) => [...requireList("push", l), v ?? null])],
    ["prepend", fn(["any", "any"], ([l, v]) => [v ?? null, ...requireList("prepend", l)])],
    ["mustPrepend", fn(["any", "any"], ([l, v]) => [v ?? null, ...requireList("prepend", l)])],
    ["first", fn(["any"], ([l]) => requireList("first", l)[0] ?? null)],
    ["mustFirst", fn(["any"], ([l]) => requireList("first", l)[0] ?? null)],
    ["last", fn(["any"], ([l]) => {
      const xs = requireList("last", l);
      return xs[xs.length - 1] ?? null;
    })],
    ["mustLast", fn(["any"], ([l]) => {
      const xs = requireList("last", l);
      return xs[xs.length - 1] ?? null;
    })],
    ["rest", fn(["any"], ([l]) => asInterfaceSlice(requireList("rest", l).slice(1), l))],
    ["mustRest", fn(["any"], ([l]) => requireList("rest", l).slice(1))],
    ["initial", fn(["any"], ([l]) => requireList("initial", l).slice(0, -1))],
    ["mustInitial", fn(["any"], ([l]) => requireList("initial", l).slice(0, -1))],
    ["reverse", fn(["any"], ([l]) => [...requireList("reverse", l)].reverse())],
    ["mustReverse", fn(["any"], ([l]) => [...requireList("reverse", l)].reverse())],
    ["uniq", fn(["any"], ([l]) => uniq(requireList("uniq", l)))],
    ["mustUniq", fn(["any"], ([l]) => uniq(requireList("uniq", l)))],
    ["without", fn(["any"], ([l, ...omit]) => requireList("without", l).filter((x) => !omit.some((o) => deepEqual(o, x))), "any")],
    ["mustWithout", fn(["any"], ([l, ...omit]) => requireList("without", l).filter((x) => !omit.some((o) => deepEqual(o, x))), "any")],
    ["has", fn(["any", "any"], ([needle, hay]) => (hay === null || hay === undefined ? false : requireList("has", hay).some((x) => deepEqual(x, needle))))],
    ["mustHas", fn(["any", "any"], ([needle, hay]) => (hay === null || hay === undefined ? false : requireList("has", hay).some((x) => deepEqual(x, needle))))],
    ["concat", fn([], (ls) => ls.flatMap((l) => requireList("concat", l)), "any")],
    ["dig", fn([], (args) => dig(args), "any")],
    ["slice", fn(["any"], ([l, ...ix]) => sprigSlice(l, ix, int64Of), "any")],
    ["mustSlice", fn(["any"], ([l, ...ix]) => sprigSlice(l, ix, int64Of), "any")],
    ["chunk", fn(["int", "any"], ([n, l]) => chunk(Number(n), l ?? null))],
    ["mustChunk", fn(["int", "any"], ([n, l]) => chunk(Number(n), l ?? null))],
    // crypto
    ["bcrypt", fn(["string"], ([x], ctx) => bcryptHash(x as string, ctx))],
    ["htpasswd", profile === "eso"
      ? fn(["string", "string", "string"], ([u, p, a], ctx) => htpasswd(u as string, p as string, a as string, ctx))
      : fn(["string", "string"], ([u, p], ctx) => htpasswd(u as string, p as string, "bcrypt", ctx))],
    ["randBytes", fn(["int"], ([n], ctx) => {
      ctx.checkSize(Number(n));
      return Buffer.from(ctx.randomBytes(Number(n as bigint))).toString("base64");
    })],
    ["uuidv4", fn([], (_a, ctx) => uuidv4(ctx))],
    // dates
    ["now", fn([], (_a, ctx) => {
      const d = ctx.now();
      return new GoTime(d.getTime(), 0, 0, "UTC");
    })],
    ["date", fn(["string", "any"], ([f, d], ctx) => formatTime(inZone(toTime(d ?? null, ctx), "Local"), f as string))],
    ["dateInZone", fn(["string", "any", "string"], ([f, d, z], ctx) => formatTime(inZone(toTime(d ?? null, ctx), z as string), f as string))],
    ["date_in_zone", fn(["string", "any", "string"], ([f, d, z], ctx) => formatTime(inZone(toTime(d ?? null, ctx), z as string), f as string))],
    ["htmlDate", fn(["any"], ([d], ctx) => formatTime(inZone(toTime(d ?? null, ctx), "Local"), "2006-01-02"))],
    ["htmlDateInZone", fn(["any", "string"], ([d, z], ctx) => formatTime(inZone(toTime(d ?? null, ctx), z as string), "2006-01-02"))],
    ["unixEpoch", fn([], ([t]) => String(Math.floor((t as GoTime).ms / 1000)), undefined)],
    ["toDate", fn(["string", "string"], ([layout, v]) => {
      try {
        return parseTime(layout as string, v as string);
      } catch (e) {
        if (e instanceof TimeParseError) return ZERO_TIME;
        throw e;
      }
    })],
    ["mustToDate", fn(["string", "string"], ([layout, v]) => goTimeCall(() => parseTime(layout as string, v as string)))],
    ["dateModify", fn(["string", "time"], ([d, t]) => dateModify(d as string, t as GoTime, false))],
    ["date_modify", fn(["string", "time"], ([d, t]) => dateModify(d as string, t as GoTime, false))],
    ["mustDateModify", fn(["string", "time"], ([d, t]) => dateModify(d as string, t as GoTime, true))],
    ["must_date_modify", fn(["string", "time"], ([d, t]) => dateModify(d as string, t as GoTime, true))],
    ["ago", fn(["any"], ([d], ctx) => formatDuration(roundDuration(nowNanos(ctx) - timeNanos(agoTime(d ?? null, ctx)), SECOND)))],
    ["duration", fn(["any"], ([v]) => formatDuration(BigInt.asIntN(64, durationSeconds(v ?? null) * SECOND)))],
    ["durationRound", fn(["any"], ([v], ctx) => durationRound(v ?? null, ctx))],
    // URLs
    ["urlParse", s(urlParse)],
    ["urlJoin", fn(["map"], ([d]) => urlJoin((d as GoMap | null) ?? new Map<string, Value>()))],
    // semver
    ["semver", s(semverValue)],
    ["semverCompare", s2(semverCompare)],
    // flow control
    ["fail", fn(["string"], ([msg]) => {
      throw new FuncError(msg as string);
    })],
    // regex: Go's regexp (RE2) through re2js; the must* forms return the compile error, the others panic
    ["regexMatch", s2((r, str) => {
      try {
        return re.matchString(re.compile(r), str);
      } catch {
        return false;
      }
    })],
    ["mustRegexMatch", s2((r, str) => re.matchString(re.compile(r), str))],
    ["regexFindAll", fn(["string", "string", "int"], ([r, str, n]) => stringsOrNil(re.findAllString(re.mustCompile(r as string), str as string, Number(n))))],
    ["mustRegexFindAll", fn(["string", "string", "int"], ([r, str, n]) => stringsOrNil(re.findAllString(re.compile(r as string), str as string, Number(n))))],
    ["regexFind", s2((r, str) => re.findString(re.mustCompile(r), str))],
    ["mustRegexFind", s2((r, str) => re.findString(re.compile(r), str))],
    ["regexReplaceAll", fn(["string", "string", "string"], ([r, str, repl]) => re.replaceAllString(re.mustCompile(r as string), str as string, repl as string))],
    ["mustRegexReplaceAll", fn(["string", "string", "string"], ([r, str, repl]) => re.replaceAllString(re.compile(r as string), str as string, repl as string))],
    ["regexReplaceAllLiteral", fn(["string", "string", "string"], ([r, str, repl]) => re.replaceAllLiteralString(re.mustCompile(r as string), str as string, repl as string))],
    ["mustRegexReplaceAllLiteral", fn(["string", "string", "string"], ([r, str, repl]) => re.replaceAllLiteralString(re.compile(r as string), str as string, repl as string))],
    ["regexSplit", fn(["string", "string", "int"], ([r, str, n]) => splitResult(re.split(re.mustCompile(r as string), str as string, Number(n)), Number(n)))],
    ["mustRegexSplit", fn(["string", "string", "int"], ([r, str, n]) => splitResult(re.split(re.compile(r as string), str as string, Number(n)), Number(n)))],
    ["regexQuoteMeta", s(re.quoteMeta)],
    ["printf", fn(["string"], ([f, ...rest]) => sprintf(f as string, rest), "any")],
  ];
  // unixEpoch takes a time.Time
  const table = new Map(m);
  table.set("unixEpoch", fn(["any"], ([t]) => {
    if (!(t instanceof GoTime)) throw new FuncError(`wrong type: expected time.Time`);
    return String(Math.floor(t.ms / 1000));
  }));
  table.delete("printf");
  for (const [name, f] of sprigCryptoFunctions()) table.set(name, f);
  return table;
}

/** FindAllString returns nil when nothing matched. */
const stringsOrNil = (xs: string[]): Value => (xs.length === 0 ? nilSlice("string") : typedSlice(xs, "string"));
/** Split returns nil for n == 0, an empty non-nil slice otherwise. */
const splitResult = (xs: string[], n: number): Value => (n === 0 ? nilSlice("string") : typedSlice(xs, "string"));

function sprigSlice(l: Value, ix: Value[], int64Of: (v: Value) => bigint): Value {
  if (!isSlice(l)) {
    if (l === null || l === undefined) throw new FuncError("runtime error: invalid memory address or nil pointer dereference");
    throw new FuncError(`list should be type of slice or array but ${kindName(l)}`);
  }
  if (l.length === 0) return null;
  const start = ix.length > 0 ? Number(int64Of(ix[0] ?? null)) : 0;
  const end = ix.length < 2 ? l.length : Number(int64Of(ix[1] ?? null));
  if (start < 0 || end < start || end > l.length) throw new FuncError(`reflect: slice index out of range`);
  const out = l.slice(start, end);
  const elem = sliceElemType(l);
  return elem === undefined ? out : typedSlice(out, elem);
}

function goSplitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  const parts = goSplit(s, sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

function untilStep(start: bigint, stop: bigint, step: bigint, ctx: CallContext): Value {
  const out: bigint[] = [];
  if (step === 0n) return typedSlice([], "int");
  const count = (stop - start) / step;
  ctx.checkSize(Number(count > 0n ? count : 0n) * 8);
  if (step > 0n) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return typedSlice(out, "int");
}

function uniq(xs: Value[]): Value[] {
  const out: Value[] = [];
  for (const x of xs) if (!out.some((y) => deepEqual(x, y))) out.push(x);
  return out;
}

export function deepEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeName(a) !== typeName(b)) return false;
  if (isIntLike(a) && isIntLike(b)) return intValue(a) === intValue(b);
  if (isSlice(a) && isSlice(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && deepEqual(v, b.get(k)));
  if (a instanceof GoTime && b instanceof GoTime) return a.ms === b.ms && a.nanos === b.nanos && a.offset === b.offset;
  return false;
}

/** The panic of a failed type assertion x.(T) on an interface{}. */
function assertionError(x: Value, want: string): FuncError {
  return new FuncError(`interface conversion: interface {} is ${x === null || x === undefined ? "nil" : typeName(x)}, not ${want}`);
}

/** x.(map[string]interface{}): only that exact map type passes. */
function asInterfaceMap(x: Value): GoMap {
  if (isMap(x) && mapElemType(x) === undefined) return x;
  throw assertionError(x, "map[string]interface {}");
}

/** sprig dig: the dict is asserted first, then each key, then each step. */
function dig(args: Value[]): Value {
  if (args.length < 3) throw new FuncError("dig needs at least three arguments");
  let cur = asInterfaceMap(args[args.length - 1]);
  const def = args[args.length - 2] ?? null;
  const keys = args.slice(0, -2).map((k) => {
    if (typeof k !== "string") throw assertionError(k, "string");
    return k;
  });
  for (let i = 0; ; i++) {
    const k = keys[i] ?? "";
    if (!cur.has(k)) return def;
    const step = cur.get(k) ?? null;
    if (i === keys.length - 1) return step;
    cur = asInterfaceMap(step);
  }
}

function safeJson(v: Value, opts: { escapeHTML: boolean; indent?: string }): string {
  try {
    return marshal(v, opts);
  } catch {
    return "";
  }
}

function pathClean(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
    } else parts.push(seg);
  }
  const out = (rooted ? "/" : "") + parts.join("/");
  return out === "" ? (rooted ? "/" : ".") : out;
}

function pathBase(p: string): string {
  if (p === "") return ".";
  const t = p.replace(/\/+$/, "");
  if (t === "") return "/";
  return t.slice(t.lastIndexOf("/") + 1);
}

function pathDir(p: string): string {
  const i = p.lastIndexOf("/");
  return pathClean(p.slice(0, i + 1));
}

/** time.Time{}: January 1, year 1, 00:00:00 UTC. */
const ZERO_TIME = new GoTime(-62135596800000, 0, 0, "UTC");

function goTimeCall(f: () => GoTime): GoTime {
  try {
    return f();
  } catch (e) {
    if (e instanceof TimeParseError || e instanceof DurationError) throw new FuncError(e.message);
    throw e;
  }
}

const timeNanos = (t: GoTime): bigint => BigInt(t.ms) * 1_000_000n + BigInt(t.nanos);
const nowNanos = (ctx: CallContext): bigint => BigInt(ctx.now().getTime()) * 1_000_000n;

function addNanos(t: GoTime, d: bigint): GoTime {
  const total = timeNanos(t) + d;
  const ms = total / 1_000_000n - (total % 1_000_000n < 0n ? 1n : 0n);
  return new GoTime(Number(ms), Number(total - ms * 1_000_000n), t.offset, t.zone);
}

function dateModify(d: string, t: GoTime, must: boolean): GoTime {
  try {
    return addNanos(t, parseDuration(d));
  } catch (e) {
    if (!(e instanceof DurationError)) throw e;
    if (must) throw new FuncError(e.message);
    return t;
  }
}

/** dateAgo's argument: time.Time, int64 or int seconds; anything else is now. */
function agoTime(v: Value, ctx: CallContext): GoTime {
  if (v instanceof GoTime) return v;
  if (isIntLike(v)) return unixTime(Number(intValue(v)));
  return new GoTime(ctx.now().getTime());
}

/** Sprig's duration: a string (strconv.ParseInt, clamped on overflow) or an int64; anything else is 0. */
function durationSeconds(v: Value): bigint {
  if (v instanceof Int64) return v.value;
  if (typeof v !== "string" || !/^[+-]?\d+$/.test(v)) return 0n;
  const n = BigInt(v);
  const max = (1n << 63n) - 1n;
  return n > max ? max : n < -max - 1n ? -max - 1n : n;
}

function durationRound(v: Value, ctx: CallContext): string {
  let d = 0n;
  if (typeof v === "string") {
    try {
      d = parseDuration(v);
    } catch {
      d = 0n;
    }
  } else if (v instanceof Int64) d = v.value;
  else if (v instanceof GoTime) d = nowNanos(ctx) - timeNanos(v);
  const u = d < 0n ? -d : d;
  const hour = 3600n * SECOND;
  const units: [bigint, string][] = [[hour * 24n * 365n, "y"], [hour * 24n * 30n, "mo"], [hour * 24n, "d"], [hour, "h"], [60n * SECOND, "m"], [SECOND, "s"]];
  for (const [size, suffix] of units) if (u > size) return String(u / size) + suffix;
  return "0s";
}

/** strconv.ParseInt(s, 8, 64); 0 on any error. */
function parseOctal(s: string): bigint {
  if (!/^[+-]?[0-7]+$/.test(s)) return 0n;
  const neg = s.startsWith("-");
  const n = BigInt("0o" + s.replace(/^[+-]/, ""));
  const v = neg ? -n : n;
  return v > (1n << 63n) - 1n || v < -(1n << 63n) ? 0n : v;
}

/** math/rand.Intn: uniform in [0, n); panics for n <= 0. */
function randIntn(n: number, ctx: CallContext): bigint {
  if (n <= 0) throw new FuncError("invalid argument to Intn");
  const bound = BigInt(n);
  const limit = (1n << 64n) - ((1n << 64n) % bound);
  for (;;) {
    const x = Buffer.from(ctx.randomBytes(8)).readBigUInt64BE();
    if (x < limit) return x % bound;
  }
}

/** xstrings.Shuffle: a Fisher–Yates shuffle of the runes. */
function shuffle(str: string, ctx: CallContext): string {
  const runes = [...Buffer.from(goStringToBytes(str)).toString("utf8")];
  for (let i = runes.length - 1; i > 0; i--) {
    const j = Number(randIntn(i + 1, ctx));
    [runes[i], runes[j]] = [runes[j] ?? "", runes[i] ?? ""];
  }
  return runes.join("");
}

/** sprig mustChunk: slices of size elements, the last one shorter. */
function chunk(size: number, l: Value): Value {
  if (l === null || l === undefined) throw new FuncError("runtime error: invalid memory address or nil pointer dereference");
  if (!isSlice(l) && !(l instanceof Uint8Array)) throw new FuncError(`Cannot chunk type ${kindName(l)}`);
  const xs: Value[] = l instanceof Uint8Array ? [...l].map((x) => BigInt(x)) : l;
  const count = Math.floor((xs.length - 1) / size) + 1;
  if (!Number.isFinite(count) || count < 0) throw new FuncError("runtime error: makeslice: len out of range");
  const out: Value[] = [];
  for (let i = 0; i < count; i++) {
    let len = size;
    if (i === count - 1) {
      len = Math.floor(xs.length % size);
      if (len === 0) len = size;
    }
    const part: Value[] = [];
    for (let j = 0; j < len; j++) {
      const ix = i * size + j;
      if (ix >= xs.length) throw new FuncError(`reflect: slice index out of range`);
      part.push(xs[ix] ?? null);
    }
    out.push(part);
  }
  return out;
}

function urlParse(v: string): GoMap {
  let u;
  try {
    u = parseUrl(v);
  } catch (e) {
    if (e instanceof UrlError) throw new FuncError(`unable to parse url: ${e.message}`);
    throw e;
  }
  let host = u.host;
  const colon = host.lastIndexOf(":");
  if (colon !== -1 && /^:[0-9]*$/.test(host.slice(colon))) host = host.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const userinfo = u.user === undefined ? "" : goField(urlString({ scheme: "", opaque: "", user: u.user, host: "", path: "", rawQuery: "", forceQuery: false, fragment: "" }).slice(2, -1));
  return new Map<string, Value>([
    ["scheme", goField(u.scheme)], ["host", goField(u.host)], ["hostname", goField(host)], ["path", goField(u.path)],
    ["query", goField(u.rawQuery)], ["opaque", goField(u.opaque)], ["fragment", goField(u.fragment)], ["userinfo", userinfo],
  ]);
}

function urlJoin(d: GoMap): string {
  const get = (key: string): string => {
    if (!d.has(key)) return "";
    const v = d.get(key);
    if (v === null || v === undefined) throw new FuncError("runtime error: invalid memory address or nil pointer dereference");
    if (typeof v !== "string") throw new FuncError(`unable to parse ${key} key, must be of type string, but ${kindName(v)} found`);
    return v;
  };
  const u = { scheme: get("scheme"), host: get("host"), path: get("path"), rawQuery: get("query"), opaque: get("opaque"), fragment: get("fragment"), forceQuery: false, user: undefined as ReturnType<typeof parseUrl>["user"] };
  const userinfo = get("userinfo");
  if (userinfo !== "") {
    try {
      u.user = parseUrl(`proto://${userinfo}@host`).user;
    } catch (e) {
      if (e instanceof UrlError) throw new FuncError(`unable to parse userinfo in dict: ${e.message}`);
      throw e;
    }
  }
  return urlString(u);
}
