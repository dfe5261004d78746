// What a template failure may say in a status, an Event or a log: where (key, line, column), which
// function, and what kind of problem — never a message that can carry a value. Go's execution
// errors quote arguments (`fail`, `printf … | fail`, time and JSON parsing, `required`), so only
// parse errors (about the template text, which lives in Git) and limit errors (fixed wording with
// numbers) are passed through; everything else is classified.
import { TemplateError } from "./errors.ts";
import { YamlStringMapError } from "./yaml-v2.ts";

/** Kinds of execution failure, recognised from Go's fixed wording (never copied past the match). */
const EXEC_KINDS: readonly [RegExp, string][] = [
  [/map has no entry for key/, "a key is missing from the data"],
  [/nil pointer evaluating|nil data; no entry for key/, "a value is missing (nil)"],
  [/wrong type for value|wrong number of args|can't give argument|cannot be used as|incompatible types/, "an argument has the wrong type or count"],
  [/index out of range|out of range|slice bounds/, "an index is out of range"],
  [/can't evaluate field|is not a method|has no field/, "no such field or method"],
  [/range can't iterate|range over/, "range over a value that is not a collection"],
  [/exceeded maximum template depth|too deep/, "nesting too deep"],
];

function execKind(message: string): string {
  for (const [pattern, kind] of EXEC_KINDS) if (pattern.test(message)) return kind;
  return "execution failed";
}

function describe(error: TemplateError): string {
  if (error.phase === "parse" || error.phase === "limit") return error.message;
  // Field names come from the template text: Go's whole message is safe and most useful here.
  if (/^[^\n]*map has no entry for key "[^"\n]*"$/.test(error.message) && !/error calling/.test(error.message)) return error.message;
  const fn = /error calling (\w+)/.exec(error.message)?.[1];
  const at = error.line > 0 ? ` at line ${error.line}, column ${error.column}` : "";
  return fn !== undefined ? `${fn} failed${at} (its message is not shown: it may contain a value)` : `${execKind(error.message)}${at}`;
}

/**
 * One line about a template failure, safe to publish. `cause` chains (ESO's wrapping errors) are
 * followed to the TemplateError; anything else is named by its kind only.
 */
export function templateErrorSummary(error: unknown): string {
  for (let e: unknown = error, hops = 0; e instanceof Error && hops < 4; e = (e as { cause?: unknown }).cause, hops++) {
    if (e instanceof TemplateError) return describe(e);
    if (e instanceof YamlStringMapError) return e.message;
  }
  return "template failed";
}
