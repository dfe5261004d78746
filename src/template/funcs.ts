// How template functions are declared: Go parameter types drive argument checking and errors.
import type { Value } from "./values.ts";

/**
 * Go parameter types the executor checks arguments against:
 * any = interface{}, value = reflect.Value (accepts missing values), map = map[string]interface{},
 * slice = []interface{}, time = time.Time, certificate = Sprig's certificate struct.
 */
export type ParamType = "any" | "value" | "string" | "int" | "int64" | "uint32" | "float64" | "bool" | "map" | "slice" | "time" | "certificate";

export interface CallContext {
  /** Current time (injected so rendering is reproducible). */
  now(): Date;
  /** Cryptographically random bytes. */
  randomBytes(n: number): Uint8Array;
  /** Fails the call when a function would build a value larger than the output limit. */
  checkSize(n: number): void;
  /** Fails the call when the execution already spent its budget of costly crypto operations. */
  chargeCrypto(): void;
}

export interface TemplateFunction {
  params: readonly ParamType[];
  /** Element type of a trailing variadic parameter. */
  variadic?: ParamType;
  call(args: Value[], ctx: CallContext): Value;
}

export type FuncMap = ReadonlyMap<string, TemplateFunction>;

export const GO_TYPE_NAMES: Record<ParamType, string> = {
  any: "interface {}",
  value: "reflect.Value",
  string: "string",
  int: "int",
  int64: "int64",
  uint32: "uint32",
  float64: "float64",
  bool: "bool",
  map: "map[string]interface {}",
  slice: "[]interface {}",
  time: "time.Time",
  certificate: "sprig.certificate",
};

/** Shorthand for declaring a function. */
export function fn(params: readonly ParamType[], call: (args: Value[], ctx: CallContext) => Value, variadic?: ParamType): TemplateFunction {
  return variadic === undefined ? { params, call } : { params, variadic, call };
}
