// Bounded YAML and JSON parsing for everything users hand us (SOPS documents, API bodies, CLI
// manifests, template functions). Work is bounded before it is done:
//
//   1. size, in bytes, before anything is decoded;
//   2. a single linear pre-scan of the text that refuses deep nesting (flow brackets and block
//      indentation) and floods of nodes or aliases in milliseconds. It errs towards counting too
//      little, never too much, so it refuses only what the exact checks below would refuse;
//   3. the yaml Lexer → Parser → Composer driven token by token with a token budget: the yaml
//      parser costs a few microseconds per token, and the budget caps that whatever the pre-scan
//      missed;
//   4. an exact, iterative walk of each composed document: nesting depth, alias count, and the size
//      and depth of the document once aliases are expanded (billion-laughs documents are tiny until
//      expanded), circular and unresolved aliases, duplicate keys (the yaml library's own check is
//      quadratic in the number of keys);
//   5. toJS with the yaml package's `maxAliasCount`.
//
// Errors carry a reason, the limit and a position, never the input's text: a parser message may
// echo a line of a secret.
import {
  Composer,
  Lexer,
  Parser,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
} from "yaml";

export type BoundedParseReason = "DocumentTooLarge" | "TooDeep" | "TooManyAliases" | "TooManyNodes" | "MalformedYaml" | "MalformedJson";

export interface ParseLimits {
  /** Size of the input in UTF-8 bytes. */
  maxBytes: number;
  /** Collections nested in collections, counted once aliases are expanded. */
  maxDepth: number;
  /** Alias nodes (`*name`) in the whole stream. */
  maxAliases: number;
  /** Nodes (scalars and collections) in the whole stream once aliases are expanded. */
  maxNodes: number;
  /** Lexical tokens the yaml parser may read: what parsing time is proportional to. */
  maxTokens: number;
}

/**
 * For what the controller and its HTTP API read: a Secret holds at most 1 MiB, manifests nest a
 * few dozen levels and hold a few hundred values. The yaml parser costs 2–15 µs a token (idle to
 * heavily loaded 2-core machine), so the token budget keeps any document to 0.1–0.5 s.
 */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  maxBytes: 1 << 20,
  maxDepth: 100,
  maxAliases: 100,
  maxNodes: 10_000,
  maxTokens: 25_000,
});

export class BoundedParseError extends Error {
  readonly reason: BoundedParseReason;
  /** The same input cannot parse on a retry. */
  readonly retryable = false;
  /** 1-based position of the problem, when there is one. */
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(reason: BoundedParseReason, message: string, position?: { line: number; column: number }) {
    super(position === undefined ? message : `${message} (line ${position.line}, column ${position.column})`);
    this.name = "BoundedParseError";
    this.reason = reason;
    this.line = position?.line;
    this.column = position?.column;
  }
}

export function isBoundedParseError(err: unknown): err is BoundedParseError {
  return err instanceof BoundedParseError;
}

/** V8's "Maximum call stack size exceeded": a recursion that input made too deep. */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

export function parseLimits(overrides?: Partial<ParseLimits>): ParseLimits {
  const out = { ...DEFAULT_PARSE_LIMITS };
  for (const [k, v] of Object.entries(overrides ?? {}) as [keyof ParseLimits, number | undefined][]) if (v !== undefined) out[k] = v;
  return out;
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.max(0, Math.min(offset, text.length));
  for (let i = text.indexOf("\n"); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

/** Checks the size, then decodes bytes as UTF-8. */
function sizedText(input: string | Uint8Array, limits: ParseLimits): string {
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.length;
  if (size > limits.maxBytes) throw new BoundedParseError("DocumentTooLarge", `the document is ${size} bytes, over the ${limits.maxBytes}-byte limit`);
  return typeof input === "string" ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("utf8");
}

// ---------------------------------------------------------------------------------------------
// Pre-scan

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;

function isBlank(c: number): boolean {
  // NaN (past the end) counts as blank: an indicator may end the input.
  return c === SP || c === TAB || c === LF || c === CR || Number.isNaN(c);
}

function isDocumentMarker(text: string, at: number): boolean {
  return (text.startsWith("---", at) || text.startsWith("...", at)) && isBlank(text.charCodeAt(at + 3));
}

function lineEnd(text: string, from: number): number {
  const at = text.indexOf("\n", from);
  return at < 0 ? text.length : at;
}

/** Escapes YAML's double-quoted scalars accept (after the backslash). */
const YAML_ESCAPES = new Set([..."0abt\tnvfre \"/\\N_LPxuU\n\r"].map((c) => c.charCodeAt(0)));

/** Past a double-quoted scalar; `bad` counts escapes YAML rejects (each costs the parser an error object). */
function skipDoubleQuoted(text: string, from: number, bad?: { count: number }): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const e = text.charCodeAt(i + 1);
      if (bad !== undefined && (!YAML_ESCAPES.has(e) || !hexFollows(text, i + 2, e === 0x78 ? 2 : e === 0x75 ? 4 : e === 0x55 ? 8 : 0))) bad.count++;
      i++;
    } else if (c === 0x22) return i + 1;
  }
  return text.length;
}

function hexFollows(text: string, at: number, digits: number): boolean {
  for (let k = 0; k < digits; k++) if (!/[0-9a-fA-F]/.test(text.charAt(at + k))) return false;
  return true;
}

/** More invalid escapes than this and the document is refused before the parser reports each one. */
const MAX_BAD_ESCAPES = 1000;

function skipSingleQuoted(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x27) continue;
    if (text.charCodeAt(i + 1) !== 0x27) return i + 1;
    i++; // '' is an escaped quote
  }
  return text.length;
}

/** Past an anchor, tag or alias name. */
function skipName(text: string, from: number, inFlow: boolean): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isBlank(c) || (inFlow && (c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d))) break;
  }
  return i;
}

/**
 * Past a block scalar whose parent collection sits at column `owner` (-1 at the top): its content is
 * every following line that is blank or indented deeper. The parser may end it sooner; skipping more
 * only makes the pre-scan count less.
 */
function skipBlockScalar(text: string, from: number, owner: number): number {
  let at = lineEnd(text, from) + 1;
  while (at < text.length) {
    let j = at;
    while (text.charCodeAt(j) === SP) j++;
    let k = j;
    while (text.charCodeAt(k) === TAB || text.charCodeAt(k) === CR || text.charCodeAt(k) === SP) k++;
    const blank = k >= text.length || text.charCodeAt(k) === LF;
    if (!blank && (j - at <= owner || (owner < 0 && isDocumentMarker(text, at)))) return at;
    at = lineEnd(text, at) + 1;
  }
  return text.length;
}

/**
 * One pass over YAML text estimating nesting depth, node count and alias count from below, so that
 * the usual bombs (`[[[[…`, `- - - -…`, ten thousand indentation levels, floods of `*a`) are refused
 * before the yaml parser spends seconds on them.
 */
export function prescanYaml(text: string, limits: ParseLimits): void {
  const n = text.length;
  const blocks: number[] = []; // columns of the open block collections
  let flow = 0;
  let nodes = 0;
  let aliases = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineStart = i;
  let atLineStart = true;
  let nodeStart = true;
  let keyOpened = false; // this line's "key:" already opened a mapping level
  let contentColumn = 0;
  let inPlain = false; // the last thing read was a plain scalar, which a deeper next line continues
  const badEscapes = { count: 0 };
  const deeper = (at: number): void => {
    if (flow + blocks.length > limits.maxDepth) {
      throw new BoundedParseError("TooDeep", `nesting deeper than ${limits.maxDepth} levels`, positionOf(text, at));
    }
  };
  const counted = (at: number): void => {
    if (++nodes > limits.maxNodes) throw new BoundedParseError("TooManyNodes", `more than ${limits.maxNodes} YAML nodes`, positionOf(text, at));
  };
  while (i < n) {
    if (atLineStart) {
      atLineStart = false;
      lineStart = i;
      let j = i;
      while (text.charCodeAt(j) === SP) j++;
      let k = j;
      while (text.charCodeAt(k) === TAB || text.charCodeAt(k) === CR || text.charCodeAt(k) === SP) k++;
      if (k >= n) break;
      const first = text.charCodeAt(k);
      if (first === LF || first === 0x23) {
        // Blank or comment-only lines say nothing about structure (a comment ends a plain scalar).
        if (first === 0x23) inPlain = false;
        i = lineEnd(text, k) + 1;
        atLineStart = true;
        continue;
      }
      if (j === i && first === 0x25) {
        // A directive (%YAML, %TAG): "%" cannot start a node.
        i = lineEnd(text, k) + 1;
        atLineStart = true;
        continue;
      }
      if (j === i && isDocumentMarker(text, j)) {
        flow = 0;
        blocks.length = 0;
        inPlain = false;
        i = j + 3;
        nodeStart = true;
        keyOpened = true; // "--- key: v" is not a thing; do not open a level for it
        continue;
      }
      if (flow > 0) {
        i = j;
        continue;
      }
      const column = j - i;
      if (inPlain && column > (blocks[blocks.length - 1] ?? -1)) {
        // A line deeper than the collection holding a plain scalar continues the scalar
        // ("- a\n  - b" is the one entry "a - b").
        i = lineEnd(text, k);
        continue;
      }
      while (blocks.length > 0 && (blocks[blocks.length - 1] ?? -1) >= column) blocks.pop();
      i = j;
      nodeStart = true;
      keyOpened = false;
      contentColumn = column;
      // Compact block indicators: "- - ? x" opens one collection per indicator.
      for (;;) {
        const c = text.charCodeAt(i);
        if ((c !== 0x2d && c !== 0x3f) || !isBlank(text.charCodeAt(i + 1))) break;
        blocks.push(i - lineStart);
        counted(i);
        deeper(i);
        i++;
        while (text.charCodeAt(i) === SP || text.charCodeAt(i) === TAB) i++;
        contentColumn = i - lineStart;
      }
      continue;
    }
    const c = text.charCodeAt(i);
    if (c === LF) {
      atLineStart = true;
      i++;
      continue;
    }
    if (c === SP || c === TAB || c === CR) {
      i++;
      continue;
    }
    inPlain = false;
    if (c === 0x23 && isBlank(text.charCodeAt(i - 1))) {
      i = lineEnd(text, i);
      continue;
    }
    if (nodeStart) {
      if (c === 0x22 || c === 0x27) {
        i = c === 0x22 ? skipDoubleQuoted(text, i + 1, badEscapes) : skipSingleQuoted(text, i + 1);
        if (badEscapes.count > MAX_BAD_ESCAPES) {
          throw new BoundedParseError("MalformedYaml", `more than ${MAX_BAD_ESCAPES} invalid escapes in double-quoted scalars`, positionOf(text, i));
        }
        nodeStart = false;
        continue;
      }
      if (c === 0x26 || c === 0x21) {
        i = skipName(text, i + 1, flow > 0); // an anchor or tag: the node follows
        continue;
      }
      if (c === 0x2a) {
        if (++aliases > limits.maxAliases) {
          throw new BoundedParseError("TooManyAliases", `more than ${limits.maxAliases} YAML aliases`, positionOf(text, i));
        }
        i = skipName(text, i + 1, flow > 0);
        nodeStart = false;
        continue;
      }
      if (flow === 0 && (c === 0x7c || c === 0x3e)) {
        i = skipBlockScalar(text, i, blocks[blocks.length - 1] ?? -1);
        atLineStart = true;
        continue;
      }
    }
    if (c === 0x5b || c === 0x7b) {
      // In block context a bracket opens a collection only where a node starts ("a[0]" is a scalar).
      if (flow > 0 || nodeStart) {
        flow++;
        counted(i);
        deeper(i);
        nodeStart = true;
        i++;
        continue;
      }
    } else if (c === 0x5d || c === 0x7d) {
      if (flow > 0) flow--;
    } else if (c === 0x2c) {
      if (flow > 0) {
        // The entry after a comma; a collection there is counted by its bracket.
        let k = i + 1;
        while (k < n && isBlank(text.charCodeAt(k))) k++;
        const next = text.charCodeAt(k);
        if (next !== 0x5b && next !== 0x7b && next !== 0x5d && next !== 0x7d) counted(i);
        nodeStart = true;
        i++;
        continue;
      }
    } else if (c === 0x3a) {
      if (flow > 0) {
        nodeStart = true;
        i++;
        continue;
      }
      if (isBlank(text.charCodeAt(i + 1))) {
        counted(i);
        // Valid YAML has one implicit key per line; each further "key:" is a mapping the yaml parser
        // nests (recursively) before it reports the error.
        blocks.push(keyOpened ? i - lineStart : contentColumn);
        keyOpened = true;
        deeper(i);
        nodeStart = true;
        i++;
        continue;
      }
    }
    nodeStart = false;
    inPlain = true;
    i++;
  }
}

/** JSON's pre-scan is exact: strings are unambiguous. */
export function prescanJson(text: string, limits: ParseLimits): void {
  let depth = 0;
  let nodes = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = skipDoubleQuoted(text, i + 1) - 1;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.maxDepth) throw new BoundedParseError("TooDeep", `nesting deeper than ${limits.maxDepth} levels`, positionOf(text, i));
      nodes++;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    } else if (c === 0x2c) {
      nodes++;
    } else continue;
    if (nodes > limits.maxNodes) throw new BoundedParseError("TooManyNodes", `more than ${limits.maxNodes} JSON values`, positionOf(text, i));
  }
}

// ---------------------------------------------------------------------------------------------
// YAML

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

export interface BoundedYamlOptions {
  limits?: Partial<ParseLimits>;
  /** Passed to the yaml Composer (schema, intAsBigInt, …). uniqueKeys is checked here, in linear time. */
  yaml?: YamlOptions;
}

interface Extent {
  nodes: number;
  height: number;
}

interface Frame {
  node: unknown;
  children: unknown[];
  next: number;
  extent: Extent;
  keys?: Set<unknown>;
}

function childrenOf(node: unknown): { children: unknown[]; keys: boolean } {
  if (isMap(node)) return { children: node.items.flatMap((p) => [p.key, p.value]), keys: true };
  if (isSeq(node)) return { children: node.items, keys: false };
  if (isPair(node)) return { children: [node.key, node.value], keys: false };
  return { children: [], keys: false };
}

function rangeStart(node: unknown): number {
  const range = (node as { range?: readonly number[] } | null)?.range;
  return range?.[0] ?? 0;
}

/**
 * The exact checks on composed documents, iteratively: depth, aliases and the expanded size; an
 * alias's expansion is its anchor's, computed once (post-order), so a bomb costs nothing to measure.
 */
function checkDocuments(docs: readonly Document.Parsed[], text: string, limits: ParseLimits, uniqueKeys: boolean): YamlMeasure {
  let aliases = 0;
  let rawNodes = 0;
  let expanded = 0;
  let depth = 0;
  for (const doc of docs) {
    const anchors = new Map<string, unknown>();
    const extents = new Map<unknown, Extent>();
    const open = new Set<unknown>();
    const stack: Frame[] = [];
    const at = (node: unknown) => positionOf(text, rangeStart(node));
    const fail = (reason: BoundedParseReason, message: string, node: unknown): never => {
      throw new BoundedParseError(reason, message, at(node));
    };
    const add = (extent: Extent, child: Extent, node: unknown, isAliasChild: boolean): void => {
      extent.nodes += child.nodes;
      extent.height = Math.max(extent.height, child.height);
      if (!isAliasChild) return;
      expanded += child.nodes;
      if (expanded > limits.maxNodes) fail("TooManyAliases", `aliases expand the document past ${limits.maxNodes} nodes`, node);
    };
    /** A leaf's extent, or undefined after pushing a frame for a collection. */
    const enter = (node: unknown, parent: Frame | undefined): Extent | undefined => {
      if (isAlias(node)) {
        if (++aliases > limits.maxAliases) fail("TooManyAliases", `more than ${limits.maxAliases} YAML aliases`, node);
        if (++rawNodes > limits.maxNodes) fail("TooManyNodes", `more than ${limits.maxNodes} YAML nodes`, node);
        const target = anchors.get(node.source);
        if (target === undefined) fail("MalformedYaml", "an alias has no anchor before it", node);
        if (open.has(target)) fail("MalformedYaml", "an alias refers to a node that contains it", node);
        const extent = extents.get(target) ?? { nodes: 1, height: 0 };
        if (stack.length + extent.height > limits.maxDepth) fail("TooDeep", `aliases nest deeper than ${limits.maxDepth} levels`, node);
        return extent;
      }
      if (++rawNodes > limits.maxNodes) fail("TooManyNodes", `more than ${limits.maxNodes} YAML nodes`, node);
      if (++expanded > limits.maxNodes) fail("TooManyAliases", `aliases expand the document past ${limits.maxNodes} nodes`, node);
      const anchor = (node as { anchor?: string } | null)?.anchor;
      if (anchor !== undefined && anchor !== "") anchors.set(anchor, node);
      // A pair outside a mapping ("[a: b]") becomes a one-key mapping: a level of its own.
      const collection = isMap(node) || isSeq(node) || (isPair(node) && !isMap(parent?.node));
      if (!collection) {
        const extent = { nodes: 1, height: 0 };
        if (anchor !== undefined) extents.set(node, extent);
        return extent;
      }
      if (stack.length + 1 > limits.maxDepth) fail("TooDeep", `nesting deeper than ${limits.maxDepth} levels`, node);
      const { children, keys } = childrenOf(node);
      open.add(node);
      stack.push({ node, children, next: 0, extent: { nodes: 1, height: 1 }, ...(keys && uniqueKeys ? { keys: new Set() } : {}) });
      return undefined;
    };
    const root = enter(doc.contents, undefined);
    if (root !== undefined) continue;
    const rootFrame = stack[0];
    for (;;) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) break;
      if (frame.next < frame.children.length) {
        const index = frame.next++;
        const child = frame.children[index] ?? null;
        if (frame.keys !== undefined && index % 2 === 0 && isScalar(child)) {
          if (frame.keys.has(child.value)) fail("MalformedYaml", "a mapping key is repeated", child);
          frame.keys.add(child.value);
        }
        const leaf = enter(child, frame);
        if (leaf !== undefined) add(frame.extent, { nodes: leaf.nodes, height: leaf.height + 1 }, child, isAlias(child));
        continue;
      }
      stack.pop();
      open.delete(frame.node);
      if ((frame.node as { anchor?: string }).anchor !== undefined) extents.set(frame.node, frame.extent);
      const parent = stack[stack.length - 1];
      if (parent !== undefined) add(parent.extent, { nodes: frame.extent.nodes, height: frame.extent.height + 1 }, frame.node, false);
    }
    depth = Math.max(depth, rootFrame?.extent.height ?? 0);
  }
  return { depth, nodes: rawNodes, expandedNodes: expanded, aliases };
}

/** What the exact checks measured: depth and nodes once aliases are expanded. */
export interface YamlMeasure {
  depth: number;
  nodes: number;
  expandedNodes: number;
  aliases: number;
}

/** Measures a YAML stream exactly (no pre-scan, no limits but size): for tests of the pre-scan. */
export function measureYaml(text: string, yaml: YamlOptions = {}): YamlMeasure {
  const docs = composeYaml(text, parseLimits({ maxTokens: Infinity }), yaml);
  const unlimited = parseLimits({ maxDepth: Infinity, maxAliases: Infinity, maxNodes: Infinity, maxTokens: Infinity, maxBytes: Infinity });
  return checkDocuments(docs, text, unlimited, yaml.uniqueKeys !== false);
}

/**
 * Every document of a YAML stream, composed and checked (size, depth, aliases, nodes, tokens,
 * syntax). Throws BoundedParseError.
 */
export function parseYamlDocuments(input: string | Uint8Array, options: BoundedYamlOptions = {}): Document.Parsed[] {
  const limits = parseLimits(options.limits);
  const text = sizedText(input, limits);
  prescanYaml(text, limits);
  const docs = composeYaml(text, limits, options.yaml ?? {});
  checkDocuments(docs, text, limits, options.yaml?.uniqueKeys !== false);
  return docs;
}

/** Lexer → Parser → Composer, token by token under the token budget; the first error is thrown. */
function composeYaml(text: string, limits: ParseLimits, yaml: YamlOptions): Document.Parsed[] {
  const parser = new Parser();
  // logLevel silent: yaml's warnings (e.g. about collection keys) quote the input on stderr.
  const composer = new Composer({ ...yaml, uniqueKeys: false, prettyErrors: false, logLevel: "silent" });
  const docs: Document.Parsed[] = [];
  let tokens = 0;
  let offset = 0;
  // The composer makes an Error per problem it finds; without stack traces they cost a tenth.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    for (const lexeme of new Lexer().lex(text)) {
      if (++tokens > limits.maxTokens) {
        throw new BoundedParseError("TooManyNodes", `more than ${limits.maxTokens} YAML tokens`, positionOf(text, offset));
      }
      offset += lexeme.length;
      for (const token of parser.next(lexeme)) for (const doc of composer.next(token)) docs.push(doc);
    }
    for (const token of parser.end()) for (const doc of composer.next(token)) docs.push(doc);
    for (const doc of composer.end()) docs.push(doc);
  } catch (err) {
    // The yaml parser recurses on some invalid inputs ("a: a: a: …" on one line) that the
    // pre-scan does not count as nesting; its overflow is a refusal like any other.
    if (isStackOverflow(err)) throw new BoundedParseError("TooDeep", "nesting too deep for the YAML parser", positionOf(text, offset));
    throw err;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  for (const [i, doc] of docs.entries()) {
    const error = doc.errors[0];
    if (error === undefined) continue;
    const which = docs.length > 1 ? `document ${i + 1}: ` : "";
    // The composer turns its own stack overflows into RESOURCE_EXHAUSTION.
    if (error.code === "RESOURCE_EXHAUSTION") throw new BoundedParseError("TooDeep", `${which}nesting too deep for the YAML parser`, positionOf(text, error.pos[0]));
    throw new BoundedParseError("MalformedYaml", `${which}not valid YAML (${error.code})`, positionOf(text, error.pos[0]));
  }
  return docs;
}

/** A checked document as plain JS (or Maps), with the yaml package's alias limit as a second guard. */
export function yamlDocumentToJs(doc: Document.Parsed, options: { limits?: Partial<ParseLimits>; mapAsMap?: boolean } = {}): unknown {
  const limits = parseLimits(options.limits);
  try {
    return doc.toJS({ maxAliasCount: limits.maxAliases, mapAsMap: options.mapAsMap === true });
  } catch (err) {
    if (isStackOverflow(err)) throw new BoundedParseError("TooDeep", "nesting too deep to convert");
    // yaml's messages can name anchors (input text): keep only what kind of failure it was.
    if (err instanceof ReferenceError && /alias/i.test(err.message)) throw new BoundedParseError("TooManyAliases", `aliases exceed the yaml limit of ${limits.maxAliases}`);
    throw new BoundedParseError("MalformedYaml", "the document cannot be converted to data");
  }
}

/** The values of a YAML stream's documents (empty documents included, as null). */
export function parseYamlAll(input: string | Uint8Array, options: BoundedYamlOptions = {}): unknown[] {
  return parseYamlDocuments(input, options).map((doc) => yamlDocumentToJs(doc, options.limits ? { limits: options.limits } : {}));
}

/** Like YAML.parse: one document (none gives null). */
export function parseYaml(input: string | Uint8Array, options: BoundedYamlOptions = {}): unknown {
  const docs = parseYamlDocuments(input, options);
  if (docs.length > 1) throw new BoundedParseError("MalformedYaml", `expected one YAML document, got ${docs.length}`);
  const doc = docs[0];
  return doc === undefined ? null : yamlDocumentToJs(doc, options.limits ? { limits: options.limits } : {});
}

// ---------------------------------------------------------------------------------------------
// JSON

/** JSON.parse after the size and an exact depth and value-count pre-scan. */
export function parseJson(input: string | Uint8Array, options: { limits?: Partial<ParseLimits> } = {}): unknown {
  const limits = parseLimits(options.limits);
  const text = sizedText(input, limits);
  prescanJson(text, limits);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    if (isStackOverflow(err)) throw new BoundedParseError("TooDeep", "nesting too deep for the JSON parser");
    // V8's messages quote the input; only the position is kept.
    const at = err instanceof Error ? /position (\d+)/.exec(err.message)?.[1] : undefined;
    const detail = err instanceof Error && /end of JSON input/.test(err.message) ? " (it ends too early)" : "";
    throw new BoundedParseError("MalformedJson", `not valid JSON${detail}`, at === undefined ? undefined : positionOf(text, Number(at)));
  }
}

/** JSON when the text starts like JSON and parses as JSON, YAML otherwise (JSON is YAML, and far cheaper to parse). */
export function parseJsonOrYaml(input: string | Uint8Array, options: BoundedYamlOptions = {}): unknown[] {
  const limits = parseLimits(options.limits);
  const text = sizedText(input, limits);
  const first = /\S/.exec(text)?.[0];
  if (first === "{" || first === "[") {
    try {
      return [parseJson(text, options.limits ? { limits: options.limits } : {})];
    } catch (err) {
      if (!isBoundedParseError(err) || err.reason !== "MalformedJson") throw err;
    }
  }
  return parseYamlAll(text, options);
}

// ---------------------------------------------------------------------------------------------
// Values that arrive already parsed (from the API server)

/** Refuses values nested deeper than `maxDepth` (arrays and objects), without recursion. */
export function checkDepth(value: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== "object" || v === null) continue;
    if (depth + 1 > maxDepth) throw new BoundedParseError("TooDeep", `nesting deeper than ${maxDepth} levels`);
    const children = v instanceof Map ? [...v.values()] : Array.isArray(v) ? v : Object.values(v);
    for (const child of children) stack.push([child, depth + 1]);
  }
}
