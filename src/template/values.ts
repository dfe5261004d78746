// The value model: how Go values seen by templates are represented in TypeScript.
//
//   undefined          an invalid reflect.Value ("<no value>": missing key, nil interface unwrapped)
//   null               a nil interface{} (e.g. a JSON null inside a map)
//   string, boolean    string, bool (a string holds bytes that are not UTF-8 as escapes: gostring.ts)
//   bigint             int (template integer constants, len, ...)
//   Int64              int64 (Sprig arithmetic)
//   number             float64 (JSON numbers, float constants)
//   GoComplex          complex128 (imaginary constants such as 2+3i)
//   GoSlice (Array)    []interface{} or, when tagged, []string / []int
//   GoMap (Map)        map[string]interface{} or, when tagged, map[string]string
//   GoTime             time.Time
//   Uint8Array         []byte
//   GoStruct           a Go struct or pointer to one that a function returned (sprig's certificate,
//                      *semver.Version): exported fields, methods, and how fmt and encoding/json show it
//
// Maps are JS Maps, never plain objects, so no key can reach a prototype.

import { compareGo } from "./gostring.ts";

export class Int64 {
  readonly value: bigint;
  constructor(value: bigint) {
    this.value = BigInt.asIntN(64, value);
  }
}

export class GoComplex {
  readonly re: number;
  readonly im: number;
  constructor(re: number, im: number) {
    this.re = re;
    this.im = im;
  }
}

export class GoTime {
  /** Milliseconds since the epoch. */
  readonly ms: number;
  /** Extra nanoseconds below the millisecond (0..999999). */
  readonly nanos: number;
  /** Zone offset east of UTC in seconds, and its abbreviation. */
  readonly offset: number;
  readonly zone: string;
  constructor(ms: number, nanos = 0, offset = 0, zone = "UTC") {
    this.ms = ms;
    this.nanos = nanos;
    this.offset = offset;
    this.zone = zone;
  }
}

/** How a struct-valued result behaves in templates. */
export interface GoStructInit {
  /** reflect.Type.String(), e.g. "sprig.certificate" or "*semver.Version". */
  type: string;
  /** Exported fields in declaration order. */
  fields?: ReadonlyArray<readonly [string, Value]>;
  /** Methods callable from templates; the receiver comes first in their arguments. */
  methods?: ReadonlyMap<string, StructMethod>;
  /** fmt's %v/%s when the type is a fmt.Stringer. */
  stringer?: () => string;
  /** encoding/json output when the type has MarshalJSON. */
  json?: () => Value;
}

/** A method: parameter types as for template functions. */
export interface StructMethod {
  params: readonly ("string" | "int" | "any")[];
  call(args: Value[]): Value;
}

export class GoStruct {
  readonly type: string;
  readonly fields: ReadonlyMap<string, Value>;
  readonly methods: ReadonlyMap<string, StructMethod>;
  readonly stringer: (() => string) | undefined;
  readonly json: (() => Value) | undefined;
  /** Backing data for functions that take this struct back (e.g. the parsed version). */
  readonly native: unknown;
  constructor(init: GoStructInit, native?: unknown) {
    this.type = init.type;
    this.fields = new Map(init.fields ?? []);
    this.methods = init.methods ?? new Map();
    this.stringer = init.stringer;
    this.json = init.json;
    this.native = native;
  }
  get isPointer(): boolean {
    return this.type.startsWith("*");
  }
}

export type Value =
  | undefined
  | null
  | string
  | boolean
  | bigint
  | number
  | Int64
  | GoComplex
  | GoTime
  | GoStruct
  | Uint8Array
  | GoSlice
  | GoMap;

export type GoSlice = Value[];
export type GoMap = Map<string, Value>;

export type ElemType = "string" | "int" | "int64" | "float64" | "bool";

const sliceElem = new WeakMap<GoSlice, ElemType>();
const mapElem = new WeakMap<GoMap, ElemType>();

export function typedSlice(items: Value[], elem: ElemType): GoSlice {
  sliceElem.set(items, elem);
  return items;
}

const nilSlices = new WeakSet<GoSlice>();

/** A nil slice of the element type (Go functions return these; encoding/json writes null). */
export function nilSlice(elem: ElemType): GoSlice {
  const s = typedSlice([], elem);
  nilSlices.add(s);
  return s;
}

export const isNilSlice = (v: Value): boolean => Array.isArray(v) && nilSlices.has(v);

export function typedMap(m: GoMap, elem: ElemType): GoMap {
  mapElem.set(m, elem);
  return m;
}

export function sliceElemType(s: GoSlice): ElemType | undefined {
  return sliceElem.get(s);
}

export function mapElemType(m: GoMap): ElemType | undefined {
  return mapElem.get(m);
}

export function isSlice(v: Value): v is GoSlice {
  return Array.isArray(v);
}

export function isMap(v: Value): v is GoMap {
  return v instanceof Map;
}

/** For Go's basic types the type name and the kind name are the same word. */
function basicName(v: string | boolean | bigint | number | Int64): string {
  switch (typeof v) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return "float64";
    default:
      return "int64";
  }
}

/** Go's reflect.Type.String() of a value. */
export function typeName(v: Value): string {
  if (v === undefined) return "<invalid reflect.Value>";
  if (v === null) return "interface {}";
  if (typeof v !== "object" || v instanceof Int64) return basicName(v);
  if (v instanceof GoComplex) return "complex128";
  if (v instanceof GoTime) return "time.Time";
  if (v instanceof GoStruct) return v.type;
  if (v instanceof Uint8Array) return "[]uint8";
  if (Array.isArray(v)) return `[]${sliceElem.get(v) ?? "interface {}"}`;
  return `map[string]${mapElem.get(v) ?? "interface {}"}`;
}

/** Go's reflect.Kind name. */
export function kindName(v: Value): string {
  if (v === undefined || v === null) return "invalid";
  if (typeof v !== "object" || v instanceof Int64) return basicName(v);
  if (v instanceof GoComplex) return "complex128";
  if (v instanceof GoTime) return "struct";
  if (v instanceof GoStruct) return v.isPointer ? "ptr" : "struct";
  if (v instanceof Uint8Array || Array.isArray(v)) return "slice";
  return "map";
}

export function isIntLike(v: Value): v is bigint | Int64 {
  return typeof v === "bigint" || v instanceof Int64;
}

export function intValue(v: bigint | Int64): bigint {
  return typeof v === "bigint" ? v : v.value;
}

/** Go's template truth: not the zero value of its type. */
export function isTrue(v: Value): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case "string":
      return v.length > 0;
    case "boolean":
      return v;
    case "bigint":
      return v !== 0n;
    case "number":
      return v !== 0;
  }
  if (v instanceof Int64) return v.value !== 0n;
  if (v instanceof GoComplex) return v.re !== 0 || v.im !== 0;
  if (v instanceof GoTime || v instanceof GoStruct) return true;
  if (v instanceof Uint8Array) return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  return v.size > 0;
}

/** Converts parsed JSON/YAML into template values: objects become maps, integers stay float64 like encoding/json. */
export function fromPlain(x: unknown): Value {
  if (x === null || x === undefined) return null;
  if (typeof x === "string" || typeof x === "boolean" || typeof x === "number") return x;
  if (typeof x === "bigint") return Number(x);
  if (Array.isArray(x)) return x.map(fromPlain);
  if (x instanceof Map) {
    const m: GoMap = new Map();
    for (const [k, v] of x) m.set(String(k), fromPlain(v));
    return m;
  }
  if (x instanceof Date) return new GoTime(x.getTime());
  if (typeof x === "object") {
    const m: GoMap = new Map();
    for (const [k, v] of Object.entries(x)) m.set(k, fromPlain(v));
    return m;
  }
  return null;
}

/** A map[string]string context, as ESO and Sealed Secrets pass to templates. */
export function stringMap(entries: Iterable<[string, string]>): GoMap {
  return typedMap(new Map(entries), "string");
}

/** Map keys in Go's order (bytewise), as fmt, encoding/json and range use them. */
export function sortedKeys(m: GoMap): string[] {
  return [...m.keys()].sort(compareGo);
}
