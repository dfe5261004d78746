// The public engine: parse once, execute with a data context. Profiles select the function set
// and options ESO and Sealed Secrets use.
import { builtinFuncs } from "./builtins.ts";
import { TemplateError } from "./errors.ts";
import { Executor, type MissingKey } from "./exec.ts";
import type { CallContext, FuncMap, TemplateFunction } from "./funcs.ts";
import { DEFAULT_LIMITS, type TemplateLimits } from "./limits.ts";
import type { Tree } from "./nodes.ts";
import { Parser } from "./parser.ts";
import { esoFunctions } from "./eso-functions.ts";
import { sprigFunctions } from "./sprig.ts";
import type { Value } from "./values.ts";
import { randomBytes } from "node:crypto";

/**
 * eso: External Secrets Operator v2.9.0, runtime/template/v2: its sprig copy (Masterminds/sprig
 * 8cb06fe plus hexdec and the 3-argument htpasswd, without env/expandenv/getHostByName), ESO's
 * helpers, missingkey=error; library behaviour as that release's runtime/go.mod pins it (spf13/cast
 * v1.10.0, xstrings v1.5.0, sigs.k8s.io/yaml v1.6.0).
 * sealed-secrets: Sealed Secrets (Sprig v3.3.0, default missingkey: missing keys print "<no value>").
 */
export type TemplateProfile = "eso" | "sealed-secrets";

export interface TemplateOptions {
  profile?: TemplateProfile;
  /** Overrides the profile's missingkey option. */
  missingKey?: MissingKey;
  leftDelim?: string;
  rightDelim?: string;
  limits?: Partial<TemplateLimits>;
  /** Clock for now/date (defaults to the system clock). */
  now?: () => Date;
  /** Randomness for uuidv4, htpasswd salts, rand* (defaults to node:crypto). */
  randomBytes?: (n: number) => Uint8Array;
  /** Shared by every template of one object: spent as they render (see RenderBudget). */
  budget?: RenderBudget;
}

/**
 * What one object's templates may spend together, on top of each template's own limits: an object
 * of thirty keys cannot render thirty times the output limit, nor generate sixteen keys per key.
 */
export interface RenderBudget {
  /** Characters of output left. */
  outputBytes: number;
  /** Key generations and password derivations left. */
  cryptoOperations: number;
}

/** An object's budget: a Secret holds at most 1 MiB of data, so more output is never useful. */
export function objectBudget(): RenderBudget {
  return { outputBytes: 1 << 20, cryptoOperations: 4 };
}

const funcCache = new Map<TemplateProfile, FuncMap>();

export function functionsFor(profile: TemplateProfile): FuncMap {
  let m = funcCache.get(profile);
  if (m === undefined) {
    const all = new Map<string, TemplateFunction>();
    if (profile === "eso") for (const [k, v] of esoFunctions()) all.set(k, v);
    for (const [k, v] of sprigFunctions(profile)) all.set(k, v);
    for (const [k, v] of builtinFuncs()) if (!all.has(k)) all.set(k, v);
    // Builtins win over nothing; user funcs (sprig) may not shadow and/or/not etc. in Go either:
    // text/template looks functions up in the template's FuncMap first, then builtins.
    m = all;
    funcCache.set(profile, m);
  }
  return m;
}

export interface ParsedTemplate {
  readonly name: string;
  readonly trees: ReadonlyMap<string, Tree>;
  readonly options: Required<Pick<TemplateOptions, "profile">> & TemplateOptions;
}

/** Parses a template; throws TemplateError (phase "parse") with the line and column. */
export function parse(name: string, text: string, options: TemplateOptions = {}): ParsedTemplate {
  const profile = options.profile ?? "eso";
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (text.length > limits.maxTemplateBytes) {
    throw new TemplateError({ phase: "limit", name, line: 0, column: 0, message: `template: ${name}: template exceeds the limit of ${limits.maxTemplateBytes} bytes` });
  }
  const funcs = functionsFor(profile);
  const parserOptions: ConstructorParameters<typeof Parser>[2] = {
    hasFunction: (f) => funcs.has(f),
    maxExpressionDepth: limits.maxExpressionDepth,
  };
  if (options.leftDelim !== undefined) parserOptions.leftDelim = options.leftDelim;
  if (options.rightDelim !== undefined) parserOptions.rightDelim = options.rightDelim;
  let trees: Map<string, Tree>;
  try {
    trees = new Parser(name, text, parserOptions).parse();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new TemplateError({ phase: "limit", name, line: 0, column: 0, message: `template: ${name}: template nesting too deep` });
    }
    throw e;
  }
  return { name, trees, options: { ...options, profile } };
}

export interface ExecuteResult {
  output: string;
}

/** Executes a parsed template against data; throws TemplateError (phase "exec" or "limit"). */
export function execute(t: ParsedTemplate, data: Value): string {
  const tree = t.trees.get(t.name);
  if (tree === undefined) {
    throw new TemplateError({ phase: "exec", name: t.name, line: 0, column: 0, message: `template: ${t.name}: "${t.name}" is an incomplete or empty template` });
  }
  const limits = { ...DEFAULT_LIMITS, ...t.options.limits };
  const budget = t.options.budget;
  if (budget) {
    limits.maxOutputBytes = Math.max(0, Math.min(limits.maxOutputBytes, budget.outputBytes));
    limits.maxCryptoOperations = Math.max(0, Math.min(limits.maxCryptoOperations, budget.cryptoOperations));
  }
  const clock = t.options.now ?? (() => new Date());
  const rnd = t.options.randomBytes ?? ((n: number) => new Uint8Array(randomBytes(n)));
  let cryptoOperations = 0;
  const ctx: CallContext = {
    now: clock,
    randomBytes: rnd,
    checkSize(n) {
      if (n > limits.maxOutputBytes) throw new TemplateError({ phase: "limit", name: t.name, line: 0, column: 0, message: `template: ${t.name}: value of ${n} bytes exceeds the limit of ${limits.maxOutputBytes} bytes` });
    },
    chargeCrypto() {
      if (++cryptoOperations > limits.maxCryptoOperations) {
        throw new TemplateError({ phase: "limit", name: t.name, line: 0, column: 0, message: `template: ${t.name}: more than ${limits.maxCryptoOperations} key generations or password derivations` });
      }
    },
  };
  const missingKey: MissingKey = t.options.missingKey ?? (t.options.profile === "eso" ? "error" : "default");
  try {
    const output = new Executor(t.trees, tree, { funcs: functionsFor(t.options.profile), missingKey, limits, ctx }).run(data);
    if (budget) budget.outputBytes -= output.length;
    return output;
  } finally {
    if (budget) budget.cryptoOperations -= Math.min(cryptoOperations, limits.maxCryptoOperations);
  }
}

/** Parses and executes in one step. */
export function render(name: string, text: string, data: Value, options: TemplateOptions = {}): string {
  return execute(parse(name, text, options), data);
}
