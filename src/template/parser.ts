// Parser with the grammar, scoping checks and error messages of Go's text/template/parse.
import { TemplateError, positionOf } from "./errors.ts";
import { KEYWORD_TYPES, lex, type Token, type TokenType } from "./lexer.ts";
import type { CommandNode, ListNode, Node, NumberValue, PipeNode, Tree, VariableNode } from "./nodes.ts";
import { isEmptyTree } from "./nodes.ts";
import { goQuote, parseGoFloat, parseGoInt } from "./strconv.ts";
import { unquote, unquoteCharLiteral } from "./unquote.ts";

export interface ParseOptions {
  leftDelim?: string;
  rightDelim?: string;
  /** Names a template may call; parsing fails on any other identifier, like Go. */
  hasFunction: (name: string) => boolean;
  /** Maximum nesting of parenthesized pipelines (Go: 10000). */
  maxExpressionDepth?: number;
}

class ParseFailure extends Error {}

function tokenString(t: Token): string {
  if (t.type === "eof") return "EOF";
  if (t.type === "error") return t.value;
  if (KEYWORD_TYPES.has(t.type)) return `<${t.value}>`;
  const chars = [...t.value];
  if (chars.length > 10) return goQuote(chars.slice(0, 10).join("")) + "...";
  return goQuote(t.value);
}

/** parse.newNumber: which of int, uint, float and complex a literal can be. */
function parseNumber(text: string, type: TokenType): NumberValue {
  const n: NumberValue = { isInt: false, isUint: false, isFloat: false, isComplex: false, int: 0n, float: 0, imag: 0, text };
  if (type === "charConstant") {
    const cp = unquoteCharLiteral(text);
    return { ...n, isInt: true, isUint: true, isFloat: true, int: BigInt(cp), float: cp };
  }
  if (type === "complex") {
    const { re, im } = scanComplex(text);
    return simplifyComplex({ ...n, isComplex: true, float: re, imag: im });
  }
  // Imaginary constants can only be complex unless they are zero.
  if (text.endsWith("i")) {
    const f = parseGoFloat(text.slice(0, -1));
    if (f !== undefined) return simplifyComplex({ ...n, isComplex: true, float: 0, imag: f });
  }
  const u = parseGoInt(text, 0, 64, true);
  if (u.err === undefined) Object.assign(n, { isUint: true, int: u.value });
  const i = parseGoInt(text, 0, 64);
  if (i.err === undefined) Object.assign(n, { isInt: true, int: i.value, isUint: n.isUint || i.value === 0n });
  if (n.isInt || n.isUint) {
    n.isFloat = true;
    n.float = Number(n.int);
    return n;
  }
  const f = parseGoFloat(text);
  if (f !== undefined) {
    // Parsed as a float but looks like an integer: too large for any integer type.
    if (!/[.eEpP]/.test(text)) throw new ParseFailure(`integer overflow: ${goQuote(text)}`);
    n.isFloat = true;
    n.float = f;
    return simplifyComplex(n);
  }
  throw new ParseFailure(`illegal number syntax: ${goQuote(text)}`);
}

/** fmt's floatToken: the longest float-looking prefix of s from i (hex digits after 0x, p exponents). */
function floatToken(s: string, i: number): number {
  const accept = (set: string): boolean => {
    if (i < s.length && set.includes(s[i] ?? "")) {
      i++;
      return true;
    }
    return false;
  };
  accept("+-");
  let digits = "0123456789_";
  let exp = "eEpP";
  if (s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    i += 2;
    digits = "0123456789aAbBcCdDeEfF_";
    exp = "pP";
  }
  while (accept(digits));
  if (accept(".")) while (accept(digits));
  if (accept(exp)) {
    accept("+-");
    while (accept("0123456789_"));
  }
  return i;
}

/** fmt.Sscan of a complex literal "re±imi", with strconv.ParseFloat's error for a bad part. */
function scanComplex(text: string): { re: number; im: number } {
  const part = (t: string): number => {
    const v = parseGoFloat(t);
    if (v !== undefined) return v;
    const why = Math.abs(Number(t.replaceAll("_", ""))) === Infinity ? "value out of range" : "invalid syntax";
    throw new ParseFailure(`strconv.ParseFloat: parsing ${goQuote(t)}: ${why}`);
  };
  const realEnd = floatToken(text, 0);
  if (text[realEnd] !== "+" && text[realEnd] !== "-") throw new ParseFailure("syntax error scanning complex number");
  const imagEnd = floatToken(text, realEnd);
  if (text[imagEnd] !== "i") throw new ParseFailure("syntax error scanning complex number");
  return { re: part(text.slice(0, realEnd)), im: part(text.slice(realEnd, imagEnd)) };
}

/** A float (or complex constant with a zero imaginary part) that is integral is also an integer. */
function simplifyComplex(n: NumberValue): NumberValue {
  n.isFloat = n.imag === 0;
  if (n.isFloat) {
    const f = n.float;
    if (Number.isInteger(f) && f >= -(2 ** 63) && f < 2 ** 63) Object.assign(n, { isInt: true, int: BigInt(f) });
    if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) Object.assign(n, { isUint: true, int: BigInt(f) });
  }
  return n;
}

export class Parser {
  private readonly tokens: Token[];
  private index = 0;
  private furthest = 0;
  private vars: string[] = ["$"];
  private rangeDepth = 0;
  private actionLine = 0;
  private depth = 0;
  private readonly text: string;
  private readonly parseName: string;
  private readonly options: ParseOptions;
  readonly trees = new Map<string, Tree>();

  constructor(name: string, text: string, options: ParseOptions) {
    this.text = text;
    this.parseName = name;
    this.options = options;
    const lexOptions: Parameters<typeof lex>[1] = {
      breakOK: !options.hasFunction("break"),
      continueOK: !options.hasFunction("continue"),
    };
    if (options.leftDelim !== undefined) lexOptions.leftDelim = options.leftDelim;
    if (options.rightDelim !== undefined) lexOptions.rightDelim = options.rightDelim;
    this.tokens = lex(text, lexOptions);
  }

  private errorf(message: string): never {
    const tok = this.tokens[Math.min(this.furthest, this.tokens.length - 1)];
    const line = tok?.line ?? 1;
    const column = tok ? positionOf(this.text, tok.pos).column : 0;
    throw new TemplateError({ phase: "parse", name: this.parseName, line, column, message: `template: ${this.parseName}:${line}: ${message}` });
  }

  private tok(i: number): Token {
    const last = this.tokens[this.tokens.length - 1];
    const t = this.tokens[i] ?? last;
    if (t === undefined) throw new Error("empty token stream");
    return t;
  }

  private next(): Token {
    const t = this.tok(this.index);
    if (this.index < this.tokens.length - 1) this.index++;
    else this.index = this.tokens.length; // past a terminal token: keep returning it
    this.furthest = Math.max(this.furthest, Math.min(this.index - 1, this.tokens.length - 1));
    return t;
  }
  private backup(n = 1): void {
    this.index -= n;
  }
  private peek(): Token {
    const t = this.tok(this.index);
    this.furthest = Math.max(this.furthest, Math.min(this.index, this.tokens.length - 1));
    return t;
  }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === "space") t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Token, context: string): never {
    if (t.type === "error") {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = ` in action started at ${this.parseName}:${this.actionLine}`;
        if (t.value.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      this.errorf(`${tokenString(t)}${extra}`);
    }
    this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }
  private unquote(t: Token): string {
    try {
      return unquote(t.value);
    } catch (e) {
      this.errorf(e instanceof Error ? e.message : "invalid syntax");
    }
  }

  private add(tree: Tree): void {
    const existing = this.trees.get(tree.name);
    if (existing === undefined || isEmptyTree(existing.root)) {
      this.trees.set(tree.name, tree);
      return;
    }
    if (!isEmptyTree(tree.root)) this.errorf(`template: multiple definition of template ${goQuote(tree.name)}`);
  }

  private newTree(name: string, root: ListNode): Tree {
    return { name, parseName: this.parseName, root, text: this.text };
  }

  /** Parses the whole text; returns the named trees (the top one under `name`). */
  parse(): Map<string, Tree> {
    const root: ListNode = { kind: "list", pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== "eof") {
      if (this.peek().type === "leftDelim") {
        const delimIndex = this.index;
        this.next();
        if (this.nextNonSpace().type === "define") {
          this.parseDefinition();
          continue;
        }
        this.index = delimIndex;
      }
      const n = this.textOrAction();
      if (n.kind === "end" || n.kind === "else") this.errorf(`unexpected ${n.kind === "end" ? "{{end}}" : "{{else}}"}`);
      root.nodes.push(n);
    }
    this.add(this.newTree(this.parseName, root));
    return this.trees;
  }

  private parseDefinition(): void {
    const context = "define clause";
    const t = this.nextNonSpace();
    if (t.type !== "string" && t.type !== "rawString") this.unexpected(t, context);
    const name = this.unquote(t);
    this.expect("rightDelim", context);
    const savedVars = this.vars;
    this.vars = ["$"];
    const { list, next } = this.itemList();
    this.vars = savedVars;
    if (next.kind !== "end") this.errorf(`unexpected {{else}} in ${context}`);
    this.add(this.newTree(name, list));
  }

  private itemList(): { list: ListNode; next: Node } {
    const list: ListNode = { kind: "list", pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== "eof") {
      const n = this.textOrAction();
      if (n.kind === "end" || n.kind === "else") return { list, next: n };
      list.nodes.push(n);
    }
    this.errorf("unexpected EOF");
  }

  private textOrAction(): Node {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "text":
        return { kind: "text", pos: t.pos, text: t.value };
      case "leftDelim": {
        this.actionLine = t.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      case "comment":
        return { kind: "comment", pos: t.pos, text: t.value };
      default:
        this.unexpected(t, "input");
    }
  }

  private action(): Node {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "block":
        return this.blockControl();
      case "break":
      case "continue": {
        const kw = t.type;
        const n = this.nextNonSpace();
        if (n.type !== "rightDelim") this.unexpected(n, `{{${kw}}}`);
        if (this.rangeDepth === 0) this.errorf(`{{${kw}}} outside {{range}}`);
        return { kind: kw, pos: t.pos, line: t.line };
      }
      case "else": {
        const p = this.peekNonSpace();
        if (p.type === "if" || p.type === "with") return { kind: "else", pos: p.pos, line: p.line };
        const r = this.expect("rightDelim", "else");
        return { kind: "else", pos: r.pos, line: r.line };
      }
      case "end":
        return { kind: "end", pos: this.expect("rightDelim", "end").pos };
      case "if":
      case "range":
      case "with":
        return this.parseControl(t.type);
      case "template": {
        const context = "template clause";
        const nameTok = this.nextNonSpace();
        const name = this.templateName(nameTok, context);
        let pipe: PipeNode | undefined;
        if (this.nextNonSpace().type !== "rightDelim") {
          this.backup();
          pipe = this.pipeline(context, "rightDelim");
        }
        return { kind: "template", pos: nameTok.pos, line: nameTok.line, name, pipe };
      }
      default:
        break;
    }
    this.backup();
    const p = this.peek();
    return { kind: "action", pos: p.pos, line: p.line, pipe: this.pipeline("command", "rightDelim") };
  }

  private templateName(t: Token, context: string): string {
    if (t.type === "string" || t.type === "rawString") return this.unquote(t);
    this.unexpected(t, context);
  }

  private blockControl(): Node {
    const context = "block clause";
    const nameTok = this.nextNonSpace();
    const name = this.templateName(nameTok, context);
    const pipe = this.pipeline(context, "rightDelim");
    const savedVars = this.vars;
    const savedRange = this.rangeDepth;
    this.vars = ["$"];
    this.rangeDepth = 0;
    const { list, next } = this.itemList();
    this.vars = savedVars;
    this.rangeDepth = savedRange;
    if (next.kind !== "end") this.errorf(`unexpected {{else}} in ${context}`);
    this.add(this.newTree(name, list));
    return { kind: "template", pos: nameTok.pos, line: nameTok.line, name, pipe };
  }

  private parseControl(context: "if" | "range" | "with"): Node {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, "rightDelim");
      if (context === "range") this.rangeDepth++;
      const first = this.itemList();
      const list = first.list;
      let next = first.next;
      if (context === "range") this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.kind === "else") {
        const p = this.peek();
        if ((context === "if" && p.type === "if") || (context === "with" && p.type === "with")) {
          this.next();
          elseList = { kind: "list", pos: next.pos, nodes: [this.parseControl(context)] };
        } else {
          ({ list: elseList, next } = this.itemList());
          if (next.kind !== "end") this.errorf(`expected end; found {{else}}`);
        }
      }
      return { kind: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private pipeline(context: string, end: TokenType): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { kind: "pipe", pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== "variable") break;
      const vIndex = this.index;
      this.next();
      const after = this.peek();
      const nxt = this.peekNonSpace();
      if (nxt.type === "assign" || nxt.type === "declare") {
        pipe.isAssign = nxt.type === "assign";
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.value));
        this.vars.push(v.value);
        break;
      }
      if (nxt.type === "char" && nxt.value === ",") {
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.value));
        this.vars.push(v.value);
        if (context === "range" && pipe.decl.length < 2) {
          const p = this.peekNonSpace().type;
          if (p === "variable" || p === "rightDelim" || p === "rightParen") continue;
          this.errorf("range can only initialize variables");
        }
        this.errorf(`too many declarations in ${context}`);
      }
      void after;
      this.index = vIndex;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.type) {
        case "bool": case "charConstant": case "complex": case "dot": case "field": case "identifier":
        case "number": case "nil": case "rawString": case "string": case "variable": case "leftParen":
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]?.kind;
      if (k === "bool" || k === "dot" || k === "nil" || k === "number" || k === "string") {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: "command", pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== undefined) cmd.args.push(operand);
      const t = this.next();
      if (t.type === "space") continue;
      if (t.type === "rightDelim" || t.type === "rightParen") this.backup();
      else if (t.type !== "pipe") this.unexpected(t, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  private operand(): Node | undefined {
    let node = this.term();
    if (node === undefined) return undefined;
    if (this.peek().type === "field") {
      const chainPos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().type === "field") fields.push(this.next().value.slice(1));
      switch (node.kind) {
        case "field":
          node = { kind: "field", pos: chainPos, ident: [...node.ident, ...fields] };
          break;
        case "variable":
          node = { kind: "variable", pos: chainPos, ident: [...node.ident, ...fields] };
          break;
        case "bool": case "string": case "number": case "nil": case "dot": {
          const s = node.kind === "bool" ? String(node.value) : node.kind === "string" ? node.quoted : node.kind === "number" ? node.text : node.kind === "nil" ? "nil" : ".";
          this.errorf(`unexpected . after term ${goQuote(s)}`);
          break;
        }
        default:
          node = { kind: "chain", pos: chainPos, node, field: fields };
      }
    }
    return node;
  }

  private newVariable(pos: number, name: string): VariableNode {
    return { kind: "variable", pos, ident: name.split(".") };
  }

  private term(): Node | undefined {
    const t = this.nextNonSpace();
    switch (t.type) {
      case "identifier":
        if (!this.options.hasFunction(t.value)) this.errorf(`function ${goQuote(t.value)} not defined`);
        return { kind: "identifier", pos: t.pos, ident: t.value };
      case "dot":
        return { kind: "dot", pos: t.pos };
      case "nil":
        return { kind: "nil", pos: t.pos };
      case "variable": {
        const v = this.newVariable(t.pos, t.value);
        if (!this.vars.includes(v.ident[0] ?? "")) this.errorf(`undefined variable ${goQuote(v.ident[0] ?? "")}`);
        return v;
      }
      case "field":
        return { kind: "field", pos: t.pos, ident: t.value.slice(1).split(".") };
      case "bool":
        return { kind: "bool", pos: t.pos, value: t.value === "true" };
      case "charConstant":
      case "complex":
      case "number": {
        try {
          return { kind: "number", pos: t.pos, ...parseNumber(t.value, t.type) };
        } catch (e) {
          this.errorf(e instanceof Error ? e.message : String(e));
        }
        break;
      }
      case "leftParen": {
        if (this.depth >= (this.options.maxExpressionDepth ?? 10000)) this.errorf("max expression depth exceeded");
        this.depth++;
        try {
          return this.pipeline("parenthesized pipeline", "rightParen");
        } finally {
          this.depth--;
        }
      }
      case "string":
      case "rawString":
        return { kind: "string", pos: t.pos, quoted: t.value, text: this.unquote(t) };
      default:
        break;
    }
    this.backup();
    return undefined;
  }
}

export function parseTemplate(name: string, text: string, options: ParseOptions): Map<string, Tree> {
  return new Parser(name, text, options).parse();
}
