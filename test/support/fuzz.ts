// The fuzz suite's harness: fast-check properties that every parser and decrypt path must keep on
// random and mutated inputs — it returns or throws one of the project's typed errors with a reason,
// within a time bound, without quoting a secret (a canary seeded in the inputs) and without touching
// Object.prototype. Counts of inputs tried are printed per target and in total.
//
// FUZZ_SCALE multiplies the runs (FUZZ_SCALE=20 for a long local run); FUZZ_SEED replays a failure
// (CI=true fixes the seed).
import { writeFileSync } from "node:fs";
import type { TestContext } from "node:test";
import fc from "fast-check";

/** Seeded where secrets go (values, plaintexts, tokens); no error message may contain it. */
export const CANARY = "c4nary-S3CRET-v4lue";

const SCALE = Number(process.env["FUZZ_SCALE"] ?? "1");
// CI runs one fixed seed (a landing must not depend on the draw); local runs draw a new one each time.
const SEED = process.env["FUZZ_SEED"] !== undefined ? Number(process.env["FUZZ_SEED"]) : process.env["CI"] ? 20261201 : undefined;
/** Generous for a loaded 2-core machine: the limits under test aim at well under a second. */
export const PER_INPUT_MS = Number(process.env["FUZZ_PER_INPUT_MS"] ?? "2000");

type ErrorClass = abstract new (...args: never[]) => Error;

export interface FuzzOptions {
  runs: number;
  /** The typed errors this target may throw. */
  allowed: readonly ErrorClass[];
  /** Whether the inputs carry CANARY where a secret would be (default true). */
  canary?: boolean;
  /** An upper bound on error message length (echoed input must be bounded). */
  maxMessage?: number;
}

const totals = { inputs: 0, refused: 0, targets: 0 };

function prototypeShape(): string {
  return [Object.prototype, Array.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort().join(",")).join("|");
}
const cleanShape = prototypeShape();

/** Messages that are typed: a non-empty message and, where the class has one, a CamelCase reason. */
function checkTyped(err: unknown, opts: FuzzOptions): Error {
  if (!(err instanceof Error) || !opts.allowed.some((cls) => err instanceof cls)) {
    const what = err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : String(err);
    throw new Error(`untyped failure: ${what}`, { cause: err });
  }
  const reason = (err as { reason?: unknown }).reason;
  if (reason !== undefined && (typeof reason !== "string" || !/^[A-Z][A-Za-z0-9]+$/.test(reason))) throw new Error(`bad reason ${JSON.stringify(reason)}`);
  if (err.message.trim() === "") throw new Error(`${err.name} without a message`);
  if (opts.canary !== false && err.message.includes(CANARY)) throw new Error(`the message quotes the secret: ${err.message.slice(0, 300)}`);
  if (opts.maxMessage !== undefined && err.message.length > opts.maxMessage) throw new Error(`a ${err.message.length}-character message (input echoed?)`);
  return err;
}

/** Runs one target's property and reports how many inputs it tried. */
export async function fuzz<T>(t: TestContext, target: string, arb: fc.Arbitrary<T>, run: (input: T) => unknown, opts: FuzzOptions): Promise<void> {
  let inputs = 0;
  let refused = 0;
  let slowest = 0;
  const reasons = new Map<string, number>();
  const check = async (input: T): Promise<void> => {
    inputs++;
    if (process.env["FUZZ_TRACE"] !== undefined) process.stderr.write(`${target} #${inputs} ${JSON.stringify(input).length}\n`);
    const started = performance.now();
    try {
      const out: unknown = await run(input);
      if (opts.canary !== false && typeof out === "string" && out.includes(CANARY)) throw new Error("the answer quotes the secret");
    } catch (err) {
      const typed = checkTyped(err, opts);
      refused++;
      const reason = (typed as { reason?: string }).reason ?? typed.name;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    const ms = performance.now() - started;
    slowest = Math.max(slowest, ms);
    if (ms > PER_INPUT_MS) throw new Error(`took ${ms.toFixed(0)} ms, over the ${PER_INPUT_MS} ms bound`);
    if (prototypeShape() !== cleanShape) throw new Error("a built-in prototype was modified");
  };
  await fc.assert(
    fc.asyncProperty(arb, async (input) => {
      try {
        await check(input);
      } catch (err) {
        // FUZZ_DUMP=dir keeps each failing input, for turning it into a regression case.
        const dump = process.env["FUZZ_DUMP"];
        if (dump !== undefined) writeFileSync(`${dump}/${target.replace(/\W+/g, "-")}-${inputs}.json`, JSON.stringify({ input, error: String(err) }));
        throw err;
      }
    }),
    { numRuns: Math.max(1, Math.round(opts.runs * SCALE)), ...(SEED !== undefined ? { seed: SEED } : {}) },
  );
  totals.inputs += inputs;
  totals.refused += refused;
  totals.targets++;
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([r, n]) => `${r} ${n}`).join(", ");
  t.diagnostic(`fuzz ${target}: ${inputs} inputs, ${refused} refused with a typed error${top ? ` (${top})` : ""}, slowest ${slowest.toFixed(0)} ms`);
}

/** Call from an after() hook: the suite's total. */
export function fuzzTotals(): string {
  return `fuzz total: ${totals.inputs} inputs over ${totals.targets} targets, ${totals.refused} refused with a typed error, 0 crashes, 0 hangs`;
}

// ---------------------------------------------------------------------------------------------
// Mutations

type Op =
  | { kind: "delete"; at: number; len: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "replace"; at: number; len: number; text: string }
  | { kind: "repeat"; at: number; len: number; times: number }
  | { kind: "truncate"; at: number };

// fast-check's doubles are uniform over their bit patterns (almost all near 0), so positions are
// drawn as integers: unbiased ones reach the middle of a file, biased ones its edges.
const position = fc.integer({ min: 0, max: 999_999 });
const fraction = fc.oneof({ weight: 3, arbitrary: fc.noBias(position) }, { weight: 1, arbitrary: position }).map((n) => n / 1_000_000);

/** Edits that keep most of a valid input: deletions, insertions, replacements, amplified repeats, truncation. */
export function mutations(insertion: fc.Arbitrary<string>): fc.Arbitrary<Op[]> {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant("delete" as const), at: fraction, len: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant("insert" as const), at: fraction, text: insertion }),
    fc.record({ kind: fc.constant("replace" as const), at: fraction, len: fc.integer({ min: 1, max: 8 }), text: insertion }),
    // Amplification finds the superlinear paths: one bracket or alias repeated ten thousand times.
    fc.record({ kind: fc.constant("repeat" as const), at: fraction, len: fc.integer({ min: 1, max: 12 }), times: fc.oneof(fc.integer({ min: 2, max: 60 }), fc.integer({ min: 500, max: 20_000 })) }),
    fc.record({ kind: fc.constant("truncate" as const), at: fraction }),
  );
  return fc.array(op, { minLength: 1, maxLength: 5 });
}

/** Repeats compound; inputs stay below this (the limits under test start at 1 MiB anyway). */
const MAX_MUTATED_LENGTH = 300_000;

export function applyMutations(base: string, ops: readonly Op[]): string {
  let s = base;
  for (const op of ops) {
    if (s.length > MAX_MUTATED_LENGTH) s = s.slice(0, MAX_MUTATED_LENGTH);
    const at = Math.floor(op.at * (s.length + 1));
    switch (op.kind) {
      case "delete":
        s = s.slice(0, at) + s.slice(at + op.len);
        break;
      case "insert":
        s = s.slice(0, at) + op.text + s.slice(at);
        break;
      case "replace":
        s = s.slice(0, at) + op.text + s.slice(at + op.len);
        break;
      case "repeat": {
        const unit = s.slice(at, at + op.len);
        const times = Math.min(op.times, Math.floor(MAX_MUTATED_LENGTH / Math.max(1, unit.length)));
        s = s.slice(0, at) + unit.repeat(times) + s.slice(at + op.len);
        break;
      }
      case "truncate":
        s = s.slice(0, at);
        break;
    }
  }
  return s;
}

/** A base input (one of `bases`) with a few mutations applied. */
export function mutatedFrom(bases: readonly string[], insertion: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...bases), mutations(insertion)).map(([base, ops]) => applyMutations(base, ops));
}

/** What YAML and JSON structure is made of, plus the canary and short random strings. */
export const structural: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("[", "]", "{", "}", ",", ":", ": ", "- ", "? ", "\n", "\n  ", "  ", "\t", "&a ", "*a", "&b [*a, *a, *a]\n", "| ", "|-\n", "> ", "'", '"', "''", "\\", "# ", "---\n", "...\n", "!!binary ", "!!str ", "<<: *a\n", "%YAML 1.1\n---\n", "\r\n", "\u0000", "\uFEFF", "\u{1F600}", "\uD800", "0x1F", "1e400", "-.inf", "~", "null", "__proto__", "constructor"),
  fc.constant(CANARY),
  fc.string({ maxLength: 12 }),
);

/** Text built only from structural pieces: random documents rather than mutated ones. */
export const structuralText: fc.Arbitrary<string> = fc.array(structural, { maxLength: 80 }).map((parts) => parts.join(""));
