// Setting one property of a JSON remote secret, as ESO's providers do with sjson: the path is
// gjson-style (dots separate levels, `\.` is a literal dot), the value is written as a JSON string,
// every other field is kept.
import { InvalidSecretValue } from "./provider.ts";

/** Most levels a property path may have (bounded input). */
const MAX_DEPTH = 32;

/** `current` is the remote secret's text ("" when it does not exist yet); returns the new text. */
export function setJsonProperty(current: string, property: string, value: Uint8Array): Uint8Array {
  let root: unknown = {};
  if (current.trim() !== "") {
    try {
      root = JSON.parse(current);
    } catch {
      throw new InvalidSecretValue("PushSecret with a property requires a JSON object in the remote secret");
    }
  }
  if (typeof root !== "object" || root === null || Array.isArray(root)) throw new InvalidSecretValue("PushSecret with a property requires a JSON object in the remote secret");
  const path = splitPath(property);
  if (path.length === 0 || path.length > MAX_DEPTH) throw new InvalidSecretValue(`property ${JSON.stringify(property)} must have 1 to ${MAX_DEPTH} levels`);
  let node = root as Record<string, unknown>;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      define(node, key, Buffer.from(value).toString("utf8"));
      break;
    }
    const child = Object.hasOwn(node, key) ? node[key] : undefined;
    if (typeof child !== "object" || child === null || Array.isArray(child)) define(node, key, {});
    node = node[key] as Record<string, unknown>;
  }
  return new TextEncoder().encode(JSON.stringify(root));
}

function splitPath(property: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < property.length; i++) {
    const c = property[i];
    if (c === "\\" && i + 1 < property.length) cur += property[++i];
    else if (c === ".") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** An own data property even for a key such as "__proto__" (plain assignment would change the prototype). */
function define(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}
