// Go text/template's predefined functions: and or not eq ne lt le gt ge index slice len print printf println html js urlquery call.
import { bytesToGoString, compareGo, goStringToBytes, isEscape } from "./gostring.ts";
import { FuncError } from "./errors.ts";
import { type TemplateFunction, fn } from "./funcs.ts";
import { sprint, sprintf, sprintln } from "./printf.ts";
import { isPrint } from "./strconv.ts";
import { GoComplex, Int64, type Value, intValue, isIntLike, isMap, isSlice, isTrue, mapElemType, sliceElemType, typeName, typedSlice } from "./values.ts";

type BasicKind = "invalid" | "bool" | "int" | "float" | "complex" | "string";

function basicKind(v: Value): BasicKind {
  if (typeof v === "boolean") return "bool";
  if (isIntLike(v)) return "int";
  if (typeof v === "number") return "float";
  if (v instanceof GoComplex) return "complex";
  if (typeof v === "string") return "string";
  return "invalid";
}

/** reflect.Value Kind-level type name for comparison errors. */
function tn(v: Value): string {
  return typeName(v);
}

function indirect(v: Value): Value {
  return v === null ? undefined : v;
}

function num(v: Value): number | bigint {
  if (isIntLike(v)) return intValue(v);
  return v as number;
}

export function eq(arg1in: Value, rest: Value[]): boolean {
  const arg1 = indirect(arg1in);
  if (rest.length === 0) throw new FuncError("missing argument for comparison");
  const k1 = basicKind(arg1);
  for (const argIn of rest) {
    const arg = indirect(argIn);
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (arg1 !== undefined && arg !== undefined) {
        throw new FuncError(`incompatible types for comparison: ${tn(arg1)} and ${tn(arg)}`);
      }
    } else if (k1 === "invalid") {
      // maps, slices, times, nil
      if (arg1 === undefined || arg === undefined) truth = arg1 === arg;
      else if (isMap(arg1) || isSlice(arg1) || arg1 instanceof Uint8Array) {
        throw new FuncError(`non-comparable type ${sprint([arg1])}: ${tn(arg1)}`);
      } else truth = arg1 === arg;
    } else if (k1 === "int") truth = num(arg1) === num(arg);
    else if (k1 === "complex") truth = (arg1 as GoComplex).re === (arg as GoComplex).re && (arg1 as GoComplex).im === (arg as GoComplex).im;
    else truth = arg1 === arg;
    if (truth) return true;
  }
  return false;
}

export function lt(a1: Value, a2: Value): boolean {
  const arg1 = indirect(a1);
  const arg2 = indirect(a2);
  const k1 = basicKind(arg1);
  if (k1 === "invalid") throw new FuncError("invalid type for comparison");
  const k2 = basicKind(arg2);
  if (k2 === "invalid") throw new FuncError("invalid type for comparison");
  if (k1 !== k2) throw new FuncError(`incompatible types for comparison: ${tn(arg1)} and ${tn(arg2)}`);
  if (k1 === "bool" || k1 === "complex") throw new FuncError("invalid type for comparison");
  if (k1 === "int") return num(arg1) < num(arg2);
  if (k1 === "string") return compareGo(arg1 as string, arg2 as string) < 0;
  return (arg1 as number) < (arg2 as number);
}

function indexArg(index: Value, cap: number): number {
  let x: bigint;
  if (isIntLike(index)) x = intValue(index);
  else if (index === undefined || index === null) throw new FuncError("cannot index slice/array with nil");
  else throw new FuncError(`cannot index slice/array with type ${typeName(index)}`);
  if (x < 0n || x > BigInt(cap)) throw new FuncError(`index out of range: ${x}`);
  return Number(x);
}

function stringBytes(s: string): Buffer {
  return Buffer.from(goStringToBytes(s));
}

export function index(itemIn: Value, indexes: Value[]): Value {
  let item = indirect(itemIn);
  if (item === undefined) throw new FuncError("index of untyped nil");
  for (const idxIn of indexes) {
    const idx = indirect(idxIn);
    if (item === null || item === undefined) throw new FuncError("index of nil pointer");
    if (typeof item === "string" || isSlice(item) || item instanceof Uint8Array) {
      const len: number = typeof item === "string" ? stringBytes(item).length : item.length;
      const x = indexArg(idx, len);
      if (x === len) throw new FuncError(`index out of range: ${x}`);
      if (typeof item === "string") item = BigInt(stringBytes(item)[x] ?? 0); // a byte (uint8)
      else if (item instanceof Uint8Array) item = BigInt(item[x] ?? 0);
      else item = item[x];
    } else if (isMap(item)) {
      if (idx === undefined) {
        throw new FuncError("value is nil; should be of type string");
      }
      if (typeof idx !== "string") throw new FuncError(`value has type ${typeName(idx)}; should be string`);
      if (item.has(idx)) item = item.get(idx);
      else {
        const elem = mapElemType(item);
        item = elem === "string" ? "" : null;
      }
    } else {
      throw new FuncError(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(itemIn: Value, indexes: Value[]): Value {
  const item = indirect(itemIn);
  if (item === undefined) throw new FuncError("slice of untyped nil");
  if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === "string") {
    if (indexes.length === 3) throw new FuncError("cannot 3-index slice a string");
    len = stringBytes(item).length;
  } else if (isSlice(item) || item instanceof Uint8Array) len = item.length;
  else throw new FuncError(`can't slice item of type ${typeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(indirect(ix), len);
  });
  const [a = 0, b = len, c = len] = idx;
  if (a > b) throw new FuncError(`invalid slice index: ${a} > ${b}`);
  if (indexes.length === 3 && b > c) throw new FuncError(`invalid slice index: ${b} > ${c}`);
  if (typeof item === "string") return bytesToGoString(stringBytes(item).subarray(a, b));
  if (item instanceof Uint8Array) return item.slice(a, b);
  const out = item.slice(a, b);
  const elem = sliceElemType(item);
  return elem === undefined ? out : typedSlice(out, elem);
}

function length(itemIn: Value): Value {
  if (itemIn === null) throw new FuncError("len of nil pointer");
  if (itemIn === undefined) throw new FuncError("reflect: call of reflect.Value.Type on zero Value");
  if (typeof itemIn === "string") return BigInt(stringBytes(itemIn).length);
  if (isSlice(itemIn) || itemIn instanceof Uint8Array) return BigInt(itemIn.length);
  if (isMap(itemIn)) return BigInt(itemIn.size);
  throw new FuncError(`len of type ${typeName(itemIn)}`);
}

/** Go's evalArgs for html/js/urlquery: one string as is, else fmt.Sprint with "<no value>" for missing. */
function evalArgs(args: Value[]): string {
  if (args.length === 1 && typeof args[0] === "string") return args[0];
  return sprint(args.map((a) => (a === undefined || a === null ? "<no value>" : a)));
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ "\0": "\uFFFD", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c] ?? c);
}

export function jsEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case "\\": out += "\\\\"; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case "<": out += "\\u003C"; continue;
      case ">": out += "\\u003E"; continue;
      case "&": out += "\\u0026"; continue;
      case "=": out += "\\u003D"; continue;
    }
    if (cp < 0x20) out += "\\u00" + cp.toString(16).toUpperCase().padStart(2, "0");
    else if (cp < 0x80) out += ch;
    // An invalid byte decodes to U+FFFD, which is printable: the byte is written as is.
    else if (isPrint(ch) || isEscape(ch.charCodeAt(0))) out += ch;
    else out += "\\u" + cp.toString(16).toUpperCase().padStart(4, "0");
  }
  return out;
}

/** net/url.QueryEscape */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of goStringToBytes(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

export function builtinFuncs(): Map<string, TemplateFunction> {
  return new Map<string, TemplateFunction>([
    ["and", fn(["value"], () => undefined, "value")],
    ["or", fn(["value"], () => undefined, "value")],
    ["not", fn(["value"], ([a]) => !isTrue(indirect(a)))],
    ["call", fn(["value"], ([f]) => {
      if (f === undefined || f === null) throw new FuncError("call of nil");
      throw new FuncError(`non-function of type ${typeName(f)}`);
    }, "value")],
    ["html", fn([], (args) => htmlEscape(evalArgs(args)), "any")],
    ["js", fn([], (args) => jsEscape(evalArgs(args)), "any")],
    ["urlquery", fn([], (args) => queryEscape(evalArgs(args)), "any")],
    ["index", fn(["value"], ([item, ...rest]) => index(item, rest), "value")],
    ["slice", fn(["value"], ([item, ...rest]) => slice(item, rest), "value")],
    ["len", fn(["value"], ([a]) => length(a))],
    ["print", fn([], (args) => sprint(args), "any")],
    ["printf", fn(["string"], ([f, ...rest]) => sprintf(f as string, rest), "any")],
    ["println", fn([], (args) => sprintln(args), "any")],
    ["eq", fn(["value"], ([a, ...rest]) => eq(a, rest), "value")],
    ["ne", fn(["value", "value"], ([a, b]) => !eq(a, [b]))],
    ["lt", fn(["value", "value"], ([a, b]) => lt(a, b))],
    ["le", fn(["value", "value"], ([a, b]) => lt(a, b) || eq(a, [b]))],
    ["gt", fn(["value", "value"], ([a, b]) => !(lt(a, b) || eq(a, [b])))],
    ["ge", fn(["value", "value"], ([a, b]) => !lt(a, b))],
  ]);
}

export { Int64 };
