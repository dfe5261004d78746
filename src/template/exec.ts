// Executes parse trees with the semantics of Go's text/template exec.go.
import { FuncError, TemplateError, positionOf } from "./errors.ts";
import { type CallContext, type FuncMap, GO_TYPE_NAMES, type ParamType, type TemplateFunction } from "./funcs.ts";
import type { TemplateLimits } from "./limits.ts";
import type { CommandNode, ControlNode, ListNode, Node, PipeNode, Tree } from "./nodes.ts";
import { nodeString } from "./nodes.ts";
import { canonical } from "./gostring.ts";
import { formatValue } from "./printf.ts";
import { goQuote } from "./strconv.ts";
import { formatTime } from "./time.ts";
import {
  GoComplex, GoStruct, GoTime, Int64, type Value, intValue, isIntLike, isMap, isSlice, isTrue, mapElemType, sliceElemType, sortedKeys, typeName,
} from "./values.ts";

export type MissingKey = "default" | "zero" | "error";

export interface ExecOptions {
  funcs: FuncMap;
  missingKey: MissingKey;
  limits: TemplateLimits;
  ctx: CallContext;
}

/** A value and whether its static Go type is interface{} (it came out of an interface container). */
interface Ref {
  v: Value;
  iface: boolean;
}

/** Control flow for {{break}} and {{continue}}, unwound to the enclosing range. */
class LoopControl extends Error {}
const BREAK = new LoopControl("break");
const CONTINUE = new LoopControl("continue");

class LimitError extends Error {}

interface Variable {
  name: string;
  value: Value;
}

const SENTINEL_MISSING = Symbol("missing");
type Final = Value | typeof SENTINEL_MISSING;

function zeroOf(elem: string | undefined): Value {
  switch (elem) {
    case "string":
      return "";
    case "int":
      return 0n;
    case "int64":
      return new Int64(0n);
    case "float64":
      return 0;
    case "bool":
      return false;
    default:
      return null;
  }
}

/** The value a slice or map element has, and whether it is interface-typed. */
function elemRef(v: Value, container: Value): Ref {
  const elem = isSlice(container) ? sliceElemType(container) : isMap(container) ? mapElemType(container) : "uint8";
  return { v, iface: elem === undefined };
}

export class Executor {
  private readonly trees: ReadonlyMap<string, Tree>;
  private readonly opts: ExecOptions;
  private out: string[] = [];
  private outLen = 0;
  private rangeIterations = 0;
  private vars: Variable[] = [];
  private node: Node | undefined;
  private tree: Tree;
  private depth = 0;

  constructor(trees: ReadonlyMap<string, Tree>, tree: Tree, opts: ExecOptions) {
    this.trees = trees;
    this.tree = tree;
    this.opts = opts;
  }

  run(data: Value): string {
    this.vars = [{ name: "$", value: data }];
    try {
      this.walk({ v: data, iface: false }, this.tree.root);
    } catch (e) {
      if (e instanceof LimitError) {
        throw new TemplateError({ phase: "limit", name: this.tree.name, line: 0, column: 0, message: `template: ${this.tree.name}: ${e.message}` });
      }
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        this.errorf("exceeded maximum nesting depth");
      }
      throw e;
    }
    return this.out.join("");
  }

  /** Output so far (Go writes partial output before failing). */
  partialOutput(): string {
    return this.out.join("");
  }

  // --- errors ---------------------------------------------------------------

  private errorf(message: string): never {
    const name = this.tree.name;
    if (this.node === undefined) {
      throw new TemplateError({ phase: "exec", name, line: 0, column: 0, message: `template: ${name}: ${message}` });
    }
    const pos = positionOf(this.tree.text, this.node.pos);
    const location = `${this.tree.parseName}:${pos.line}:${pos.byteColumn}`;
    const context = nodeString(this.node);
    throw new TemplateError({
      phase: "exec", name, line: pos.line, column: pos.column,
      message: `template: ${location}: executing ${goQuote(name)} at <${context}>: ${message}`,
    });
  }

  private at(n: Node): void {
    this.node = n;
  }

  private write(s: string): void {
    this.outLen += s.length;
    if (this.outLen > this.opts.limits.maxOutputBytes) {
      throw new LimitError(`output exceeds the limit of ${this.opts.limits.maxOutputBytes} bytes`);
    }
    this.out.push(s);
  }

  // --- variables ------------------------------------------------------------

  private mark(): number {
    return this.vars.length;
  }
  private pop(mark: number): void {
    this.vars.length = mark;
  }
  private push(name: string, value: Value): void {
    this.vars.push({ name, value });
  }
  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v?.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: Value): void {
    const v = this.vars[this.vars.length - n];
    if (v) v.value = value;
  }
  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v?.name === name) return v.value;
    }
    this.errorf(`undefined variable: ${name}`);
  }

  // --- walking --------------------------------------------------------------

  private walk(dot: Ref, node: Node): void {
    this.at(node);
    switch (node.kind) {
      case "action": {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      case "comment":
        return;
      case "if":
      case "with":
        return this.walkIfOrWith(node.kind, dot, node.pipe, node.list, node.elseList);
      case "list":
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case "range":
        return this.walkRange(dot, node);
      case "template":
        return this.walkTemplate(dot, node);
      case "text":
        this.write(node.text);
        return;
      default:
        this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private walkIfOrWith(kind: "if" | "with", dot: Ref, pipe: PipeNode, list: ListNode, elseList: ListNode | undefined): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, pipe);
      if (isTrue(val)) {
        this.walk(kind === "with" ? { v: val, iface: false } : dot, list);
      } else if (elseList) {
        this.walk(dot, elseList);
      }
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: Ref, r: ControlNode): void {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const oneIteration = (index: Value, elem: Ref): "break" | undefined => {
        if (++this.rangeIterations > this.opts.limits.maxRangeIterations) {
          throw new LimitError(`range iterations exceed the limit of ${this.opts.limits.maxRangeIterations}`);
        }
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            if (decl.length > 1) this.setVar(decl[0]?.ident[0] ?? "", index);
            else this.setVar(decl[0]?.ident[0] ?? "", elem.v);
          } else this.setTopVar(1, elem.v);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]?.ident[0] ?? "", elem.v);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e === BREAK) return "break";
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
        return undefined;
      };
      let ran = false;
      if (isIntLike(val)) {
        if (decl.length > 1) this.errorf(`can't use ${formatValue(val, "v")} to iterate over more than one variable`);
        const n = intValue(val);
        for (let i = 0n; i < n; i++) {
          ran = true;
          if (oneIteration(undefined, { v: val instanceof Int64 ? new Int64(i) : i, iface: false }) === "break") break;
        }
      } else if (isSlice(val) || val instanceof Uint8Array) {
        const items: Value[] = isSlice(val) ? val : [...val].map((b) => BigInt(b));
        for (let i = 0; i < items.length; i++) {
          ran = true;
          if (oneIteration(BigInt(i), elemRef(items[i], val)) === "break") break;
        }
      } else if (isMap(val)) {
        for (const k of sortedKeys(val)) {
          ran = true;
          if (oneIteration(k, elemRef(val.get(k), val)) === "break") break;
        }
      } else if (val !== undefined && val !== null) {
        this.errorf(`range can't iterate over ${formatValue(val, "v")}`);
      }
      if (!ran && r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: Ref, t: Extract<Node, { kind: "template" }>): void {
    this.at(t);
    const tmpl = this.trees.get(t.name);
    if (tmpl === undefined) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= this.opts.limits.maxTemplateDepth) {
      this.errorf(`exceeded maximum template depth (${this.opts.limits.maxTemplateDepth})`);
    }
    const newDot = this.evalPipeline(dot, t.pipe);
    const saved = { vars: this.vars, tree: this.tree };
    this.depth++;
    this.tree = tmpl;
    this.vars = [{ name: "$", value: newDot }];
    try {
      this.walk({ v: newDot, iface: false }, tmpl.root);
    } finally {
      this.depth--;
      this.tree = saved.tree;
      this.vars = saved.vars;
    }
  }

  // --- evaluation -----------------------------------------------------------

  private evalPipeline(dot: Ref, pipe: PipeNode | undefined): Value {
    if (pipe === undefined) return undefined;
    this.at(pipe);
    let value: Final = SENTINEL_MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // An interface{} result is unwrapped: a nil interface becomes "no value".
      if (value === null) value = undefined;
    }
    const result = value === SENTINEL_MISSING ? undefined : value;
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0] ?? "", result);
      else this.push(v.ident[0] ?? "", result);
    }
    return result;
  }

  private notAFunction(args: Node[], final: Final): void {
    if (args.length > 1 || final !== SENTINEL_MISSING) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0] ?? { kind: "nil", pos: 0 })}`);
    }
  }

  private evalCommand(dot: Ref, cmd: CommandNode, final: Final): Value {
    const first = cmd.args[0];
    if (first === undefined) this.errorf("empty command");
    switch (first.kind) {
      case "field":
        return this.evalFieldChain(dot, dot, first, first.ident, cmd.args, final).v;
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final).v;
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final).v;
      default:
        break;
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case "bool":
        return first.value;
      case "dot":
        return dot.v;
      case "nil":
        this.errorf("nil is not a command");
        break;
      case "number":
        return this.idealConstant(first);
      case "string":
        return first.text;
      default:
        break;
    }
    this.errorf(`can't evaluate command ${goQuote(nodeString(first))}`);
  }

  private idealConstant(n: Extract<Node, { kind: "number" }>): Value {
    this.at(n);
    const isHexInt = /^0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    const isRune = n.text.startsWith("'");
    if (n.isComplex) return new GoComplex(n.float, n.imag);
    if (n.isFloat && !isHexInt && !isRune && /[.eEpP]/.test(n.text)) return n.float;
    if (n.isInt) {
      if (n.int >= 2n ** 63n || n.int < -(2n ** 63n)) this.errorf(`${n.text} overflows int`);
      return n.int;
    }
    if (n.isUint) this.errorf(`${n.text} overflows int`);
    return undefined;
  }

  private evalChainNode(dot: Ref, chain: Extract<Node, { kind: "chain" }>, args: Node[], final: Final): Ref {
    this.at(chain);
    if (chain.node.kind === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, { v: pipe, iface: false }, chain, chain.field, args, final, true);
  }

  private evalVariableNode(dot: Ref, variable: Extract<Node, { kind: "variable" }>, args: Node[], final: Final): Ref {
    this.at(variable);
    const value = this.varValue(variable.ident[0] ?? "");
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return { v: value, iface: false };
    }
    return this.evalFieldChain(dot, { v: value, iface: false }, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Ref, receiver: Ref, node: Node, ident: string[], args: Node[], final: Final, keepPosition = false): Ref {
    // After a chain's pipeline Go's errors still point at the last node it evaluated.
    if (!keepPosition) this.at(node);
    const n = ident.length;
    let r = receiver;
    for (let i = 0; i < n - 1; i++) r = this.evalField(dot, ident[i] ?? "", node, [], SENTINEL_MISSING, r);
    return this.evalField(dot, ident[n - 1] ?? "", node, args, final, r);
  }

  private evalField(dot: Ref, fieldName: string, node: Node, args: Node[], final: Final, receiver: Ref): Ref {
    const rv = receiver.v;
    if (rv === undefined) {
      if (this.opts.missingKey === "error") this.errorf(`nil data; no entry for key ${goQuote(fieldName)}`);
      return { v: undefined, iface: false };
    }
    const typ = receiver.iface ? "interface {}" : typeName(rv);
    if (rv === null) this.errorf(`nil pointer evaluating ${typ}.${fieldName}`);
    if (rv instanceof GoTime) {
      const method = TIME_METHODS.get(fieldName);
      if (method) return { v: this.evalCall(dot, method, false, node, fieldName, args, final, rv), iface: false };
    }
    const hasArgs = args.length > 1 || final !== SENTINEL_MISSING;
    if (rv instanceof GoStruct) {
      const method = rv.methods.get(fieldName);
      if (method) {
        const asFunction: TemplateFunction = { params: method.params, call: (argv) => method.call(argv) };
        return { v: this.evalCall(dot, asFunction, false, node, fieldName, args, final, rv), iface: false };
      }
      if (rv.fields.has(fieldName)) {
        if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
        return { v: rv.fields.get(fieldName), iface: false };
      }
    }
    if (isMap(rv)) {
      if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
      const elem = mapElemType(rv);
      if (rv.has(fieldName)) return { v: rv.get(fieldName), iface: elem === undefined };
      switch (this.opts.missingKey) {
        case "error":
          this.errorf(`map has no entry for key ${goQuote(fieldName)}`);
          break;
        case "zero":
          return { v: zeroOf(elem), iface: elem === undefined };
        default:
          return { v: undefined, iface: false };
      }
    }
    this.errorf(`can't evaluate field ${fieldName} in type ${typ}`);
  }

  private evalFunction(dot: Ref, node: Extract<Node, { kind: "identifier" }>, cmd: Node, args: Node[], final: Final): Value {
    this.at(node);
    const name = node.ident;
    const fn = this.opts.funcs.get(name);
    if (fn === undefined) this.errorf(`${goQuote(name)} is not a defined function`);
    return this.evalCall(dot, fn, true, cmd, name, args, final);
  }

  private evalCall(dot: Ref, fn: TemplateFunction, isBuiltin: boolean, node: Node, name: string, argNodes: Node[], final: Final, receiver?: Value): Value {
    const args = argNodes.slice(1);
    let numIn = args.length;
    if (final !== SENTINEL_MISSING) numIn++;
    const numParams = fn.params.length + (fn.variadic !== undefined ? 1 : 0);
    let numFixed = args.length;
    if (fn.variadic !== undefined) {
      numFixed = fn.params.length;
      if (numIn < numFixed) this.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
    } else if (numIn !== numParams) {
      this.errorf(`wrong number of args for ${name}: want ${numParams} got ${numIn}`);
    }

    if (isBuiltin && (name === "and" || name === "or")) {
      let v: Value = undefined;
      for (const a of args) {
        v = this.evalArg(dot, "value", a);
        if (truth(v) === (name === "or")) return v;
      }
      if (final !== SENTINEL_MISSING) v = final;
      return v;
    }

    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, fn.params[i] ?? "any", args[i] as Node));
    if (fn.variadic !== undefined) {
      for (; i < args.length; i++) argv.push(this.evalArg(dot, fn.variadic, args[i] as Node));
    }
    if (final !== SENTINEL_MISSING) {
      let t: ParamType;
      if (fn.variadic !== undefined) t = numIn - 1 < numFixed ? (fn.params[numIn - 1] ?? "any") : fn.variadic;
      else t = fn.params[fn.params.length - 1] ?? "any";
      argv.push(this.validateType(final, t));
    }
    if (receiver !== undefined) argv.unshift(receiver);
    try {
      const out = fn.call(argv, this.opts.ctx);
      // Functions build strings by concatenation; bytes that met up may now be UTF-8 text.
      return typeof out === "string" ? canonical(out) : out;
    } catch (e) {
      if (e instanceof LimitError || e instanceof TemplateError) throw e;
      this.at(node);
      if (e instanceof FuncError) this.errorf(`error calling ${name}: ${e.message}`);
      if (e instanceof RangeError && /call stack/i.test(e.message)) throw e;
      if (e instanceof LimitErrorFromFunc) throw new LimitError(e.message);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(value: Value, typ: ParamType | undefined): Value {
    if (value === undefined) {
      if (typ === undefined || typ === "value") return undefined;
      if (typ === "any" || typ === "map" || typ === "slice") return null;
      this.errorf(`invalid value; expected ${GO_TYPE_NAMES[typ]}`);
    }
    if (typ === undefined || typ === "any" || typ === "value") return value;
    if (assignable(value, typ)) return value;
    this.errorf(`wrong type for value; expected ${GO_TYPE_NAMES[typ]}; got ${typeName(value)}`);
  }

  private evalArg(dot: Ref, typ: ParamType | undefined, n: Node): Value {
    this.at(n);
    switch (n.kind) {
      case "dot":
        return this.validateType(dot.v, typ);
      case "nil":
        if (typ === "any" || typ === "map" || typ === "slice" || typ === "value") return null;
        this.errorf(`cannot assign nil to ${typ === undefined ? "<nil>" : GO_TYPE_NAMES[typ]}`);
        break;
      case "field":
        return this.validateType(this.evalFieldChain(dot, dot, n, n.ident, [n], SENTINEL_MISSING).v, typ);
      case "variable":
        return this.validateType(this.evalVariableNode(dot, n, [], SENTINEL_MISSING).v, typ);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), typ);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n, n, [], SENTINEL_MISSING), typ);
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, [], SENTINEL_MISSING).v, typ);
      default:
        break;
    }
    switch (typ) {
      case "bool":
        if (n.kind === "bool") return n.value;
        this.errorf(`expected bool; found ${nodeString(n)}`);
        break;
      case "float64":
        if (n.kind === "number" && n.isFloat) return n.float;
        this.errorf(`expected float; found ${nodeString(n)}`);
        break;
      case "int":
      case "int64":
        if (n.kind === "number" && n.isInt) return typ === "int" ? n.int : new Int64(n.int);
        this.errorf(`expected integer; found ${nodeString(n)}`);
        break;
      case "uint32":
        // reflect's SetUint keeps the low 32 bits.
        if (n.kind === "number" && n.isUint) return BigInt.asUintN(32, n.int);
        this.errorf(`expected unsigned integer; found ${nodeString(n)}`);
        break;
      case "any":
      case "value":
      case undefined:
        return this.evalEmptyInterface(dot, n);
      case "string":
        if (n.kind === "string") return n.text;
        this.errorf(`expected string; found ${nodeString(n)}`);
        break;
      default:
        break;
    }
    this.errorf(`can't handle ${nodeString(n)} for arg of type ${typ === undefined ? "<nil>" : GO_TYPE_NAMES[typ]}`);
  }

  private evalEmptyInterface(dot: Ref, n: Node): Value {
    this.at(n);
    switch (n.kind) {
      case "bool":
        return n.value;
      case "number":
        return this.idealConstant(n);
      case "string":
        return n.text;
      default:
        break;
    }
    this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  private printValue(n: Node, v: Value): void {
    this.at(n);
    this.write(v === undefined || v === null ? "<no value>" : formatValue(v, "v"));
  }
}

/** A function signalling a resource limit (e.g. repeat with a huge count). */
export class LimitErrorFromFunc extends Error {}

function truth(v: Value): boolean {
  return isTrue(v);
}

function assignable(v: Value, typ: ParamType): boolean {
  switch (typ) {
    case "string":
      return typeof v === "string";
    case "int":
      return typeof v === "bigint";
    case "int64":
      return v instanceof Int64;
    case "float64":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "map":
      return isMap(v) && mapElemType(v) === undefined;
    case "slice":
      return isSlice(v) && sliceElemType(v) === undefined;
    case "time":
      return v instanceof GoTime;
    case "certificate":
      return v instanceof GoStruct && v.type === "sprig.certificate";
    case "uint32":
      return false;
    default:
      return true;
  }
}

const TIME_METHODS = new Map<string, TemplateFunction>([
  ["Unix", { params: [], call: ([t]) => new Int64(BigInt(Math.floor((t as GoTime).ms / 1000))) }],
  ["UnixMilli", { params: [], call: ([t]) => new Int64(BigInt(Math.floor((t as GoTime).ms))) }],
  ["Year", { params: [], call: ([t]) => BigInt(new Date((t as GoTime).ms + (t as GoTime).offset * 1000).getUTCFullYear()) }],
  ["UTC", { params: [], call: ([t]) => new GoTime((t as GoTime).ms, (t as GoTime).nanos, 0, "UTC") }],
  ["Format", { params: ["string"], call: ([t, layout]) => formatTime(t as GoTime, layout as string) }],
]);
