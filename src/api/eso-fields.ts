// Field readers for the external-secrets.io kinds: each turns one field of plain JSON into a typed
// value or throws SpecError naming the field path, so a bad manifest gets a precise status message.

export type Json = Record<string, unknown>;

export class SpecError extends Error {
  override readonly name = "SpecError";
  readonly reason = "InvalidSpec";
  readonly retryable = false;
}

export function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

export function obj(parent: Json, key: string, path: string): Json | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new SpecError(`${path}.${key} must be an object, got ${kindOf(v)}`);
  return v;
}

export function requiredObj(parent: Json, key: string, path: string): Json {
  const v = obj(parent, key, path);
  if (v === undefined) throw new SpecError(`${path}.${key} is required`);
  return v;
}

export function str(parent: Json, key: string, path: string): string | undefined {
  const v = parent[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw new SpecError(`${path}.${key} must be a string, got ${kindOf(v)}`);
  return v;
}

export function requiredStr(parent: Json, key: string, path: string): string {
  const v = str(parent, key, path);
  if (v === undefined) throw new SpecError(`${path}.${key} is required`);
  return v;
}

export function bool(parent: Json, key: string, path: string): boolean | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new SpecError(`${path}.${key} must be a boolean, got ${kindOf(v)}`);
  return v;
}

export function int(parent: Json, key: string, path: string): number | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) throw new SpecError(`${path}.${key} must be an integer, got ${kindOf(v)}`);
  return v;
}

export function oneOf<T extends string>(parent: Json, key: string, path: string, allowed: readonly T[]): T | undefined {
  const v = str(parent, key, path);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new SpecError(`${path}.${key} must be one of ${allowed.join(", ")}; got ${JSON.stringify(v)}`);
  }
  return v as T;
}

export function list(parent: Json, key: string, path: string): unknown[] {
  const v = parent[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new SpecError(`${path}.${key} must be a list, got ${kindOf(v)}`);
  return v;
}

export function objList(parent: Json, key: string, path: string): { item: Json; path: string }[] {
  return list(parent, key, path).map((item, i) => {
    const p = `${path}.${key}[${i}]`;
    if (!isObject(item)) throw new SpecError(`${p} must be an object, got ${kindOf(item)}`);
    return { item, path: p };
  });
}

export function strList(parent: Json, key: string, path: string): string[] {
  return list(parent, key, path).map((item, i) => {
    if (typeof item !== "string") throw new SpecError(`${path}.${key}[${i}] must be a string, got ${kindOf(item)}`);
    return item;
  });
}

export function strMap(parent: Json, key: string, path: string): Record<string, string> | undefined {
  const v = obj(parent, key, path);
  if (v === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== "string") throw new SpecError(`${path}.${key}.${k} must be a string, got ${kindOf(val)}`);
    out[k] = val;
  }
  return out;
}

/** ESO's SecretKeySelector: {name, key, namespace?}. */
export interface SecretKeyRef {
  name: string;
  key: string;
  namespace?: string;
}

export function secretKeyRef(parent: Json, key: string, path: string): SecretKeyRef | undefined {
  const v = obj(parent, key, path);
  if (v === undefined) return undefined;
  const p = `${path}.${key}`;
  const namespace = str(v, "namespace", p);
  return { name: requiredStr(v, "name", p), key: requiredStr(v, "key", p), ...(namespace ? { namespace } : {}) };
}
