// The subset of gjson (github.com/tidwall/gjson) path syntax that ESO's `remoteRef.property` relies
// on, over the original JSON text so non-string results keep their exact bytes as gjson returns them:
//   a.b.c      nested object keys          a\.b     a key that contains a dot
//   list.1     array index                 list.#   array length
//   list.#.k   k of every element (array)  a*, a?c  wildcards in object keys (first match wins)
// Result strings follow gjson's Result.String(): strings unescaped, null as "", anything else raw.
// Queries (#(...)), modifiers (@...) and pipes are not supported: such paths do not match.

type JsonNode =
  | { type: "object"; raw: string; entries: [string, JsonNode][] }
  | { type: "array"; raw: string; items: JsonNode[] }
  | { type: "string"; raw: string; value: string }
  | { type: "number" | "true" | "false" | "null"; raw: string };

export interface GjsonResult {
  exists: boolean;
  /** gjson's Result.String(). */
  text: string;
}

const MISSING: GjsonResult = { exists: false, text: "" };

/** Parses a JSON document, or returns undefined when it is not valid JSON. */
export function parseJsonTree(text: string): JsonNode | undefined {
  const parser = new Parser(text);
  try {
    parser.ws();
    const node = parser.value();
    parser.ws();
    return parser.pos === text.length ? node : undefined;
  } catch {
    return undefined;
  }
}

/** gjson.Get(json, path). */
export function gjsonGet(json: string, path: string): GjsonResult {
  const root = parseJsonTree(json);
  if (root === undefined) return MISSING;
  const found = walk(root, splitPath(path));
  return found === undefined ? MISSING : { exists: true, text: resultString(found) };
}

/** Escapes a literal key for use as one gjson path component (dots, wildcards, backslashes). */
export function escapeGjsonKey(key: string): string {
  return key.replace(/[\\.*?|#@]/g, (c) => `\\${c}`);
}

/**
 * A remoteRef property, as ESO's AWS providers read it: a key that literally contains dots wins over
 * the nested path it would spell; otherwise a gjson path.
 */
export function propertyOf(json: string, property: string): GjsonResult {
  if (property.includes(".")) {
    const literal = gjsonGet(json, escapeGjsonKey(property));
    if (literal.exists) return literal;
  }
  return gjsonGet(json, property);
}

/** The top-level members of a JSON object as gjson strings, or undefined if `json` is not an object. */
export function jsonObjectMembers(json: string): Map<string, { text: string; isString: boolean; isNull: boolean }> | undefined {
  const root = parseJsonTree(json);
  if (root?.type !== "object") return undefined;
  const out = new Map<string, { text: string; isString: boolean; isNull: boolean }>();
  for (const [k, v] of root.entries) {
    // encoding/json keeps the last duplicate when unmarshalling into a map
    out.set(k, { text: v.type === "string" ? v.value : v.raw, isString: v.type === "string", isNull: v.type === "null" });
  }
  return out;
}

function resultString(node: JsonNode): string {
  switch (node.type) {
    case "string":
      return node.value;
    case "null":
      return "";
    default:
      return node.raw;
  }
}

interface Component {
  text: string;
  wild: boolean;
}

function splitPath(path: string): Component[] {
  const parts: Component[] = [];
  let text = "";
  let wild = false;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === "\\" && i + 1 < path.length) {
      text += path[++i];
    } else if (c === ".") {
      parts.push({ text, wild });
      text = "";
      wild = false;
    } else {
      if (c === "*" || c === "?") wild = true;
      text += c;
    }
  }
  parts.push({ text, wild });
  return parts;
}

function walk(node: JsonNode, path: readonly Component[]): JsonNode | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return node;
  if (node.type === "object") {
    for (const [key, child] of node.entries) {
      if (head.wild ? wildcardMatch(key, head.text) : key === head.text) {
        return walk(child, rest);
      }
    }
    return undefined;
  }
  if (node.type === "array") {
    if (head.text === "#") {
      if (rest.length === 0) return { type: "number", raw: String(node.items.length) };
      const mapped = node.items.map((item) => walk(item, rest)).filter((n) => n !== undefined);
      return { type: "array", raw: `[${mapped.map((n) => n.raw).join(",")}]`, items: mapped };
    }
    if (!/^\d+$/.test(head.text)) return undefined;
    const item = node.items[Number(head.text)];
    return item === undefined ? undefined : walk(item, rest);
  }
  return undefined;
}

/** gjson's match.Match: `*` any run of characters, `?` any one character. */
function wildcardMatch(s: string, pattern: string): boolean {
  const sc = [...s];
  const pc = [...pattern];
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = `${i},${j}`;
    const cached = memo.get(k);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (j === pc.length) r = i === sc.length;
    else if (pc[j] === "*") r = go(i, j + 1) || (i < sc.length && go(i + 1, j));
    else r = i < sc.length && (pc[j] === "?" || pc[j] === sc[i]) && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}

class Parser {
  readonly text: string;
  pos = 0;
  constructor(text: string) {
    this.text = text;
  }

  ws(): void {
    while (this.pos < this.text.length && " \t\n\r".includes(this.text.charAt(this.pos))) this.pos++;
  }

  value(): JsonNode {
    const start = this.pos;
    const c = this.text.charAt(this.pos);
    if (c === "{") return this.object(start);
    if (c === "[") return this.array(start);
    if (c === '"') {
      const value = this.string();
      return { type: "string", raw: this.text.slice(start, this.pos), value };
    }
    for (const lit of ["true", "false", "null"] as const) {
      if (this.text.startsWith(lit, this.pos)) {
        this.pos += lit.length;
        return { type: lit, raw: lit };
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!m || m[0] === "") throw new Error("bad json");
    this.pos += m[0].length;
    return { type: "number", raw: m[0] };
  }

  private object(start: number): JsonNode {
    this.pos++;
    const entries: [string, JsonNode][] = [];
    this.ws();
    if (this.text.charAt(this.pos) === "}") {
      this.pos++;
      return { type: "object", raw: this.text.slice(start, this.pos), entries };
    }
    for (;;) {
      this.ws();
      if (this.text.charAt(this.pos) !== '"') throw new Error("bad json");
      const key = this.string();
      this.ws();
      if (this.text.charAt(this.pos++) !== ":") throw new Error("bad json");
      this.ws();
      entries.push([key, this.value()]);
      this.ws();
      const sep = this.text.charAt(this.pos++);
      if (sep === "}") return { type: "object", raw: this.text.slice(start, this.pos), entries };
      if (sep !== ",") throw new Error("bad json");
    }
  }

  private array(start: number): JsonNode {
    this.pos++;
    const items: JsonNode[] = [];
    this.ws();
    if (this.text.charAt(this.pos) === "]") {
      this.pos++;
      return { type: "array", raw: this.text.slice(start, this.pos), items };
    }
    for (;;) {
      this.ws();
      items.push(this.value());
      this.ws();
      const sep = this.text.charAt(this.pos++);
      if (sep === "]") return { type: "array", raw: this.text.slice(start, this.pos), items };
      if (sep !== ",") throw new Error("bad json");
    }
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text.charAt(this.pos);
      if (c === "\\") this.pos += 2;
      else if (c === '"') {
        this.pos++;
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      } else this.pos++;
    }
    throw new Error("bad json");
  }
}
