// One comparison of the engine against the Go oracle, shared by the differential test and the
// per-class agreement report: same output bytes, or a failure in the same phase at the same place.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TemplateError } from "../../src/template/errors.ts";
import { bytesToGoString, goStringToBytes } from "../../src/template/gostring.ts";
import { render } from "../../src/template/template.ts";
import { type Value, fromPlain, stringMap } from "../../src/template/values.ts";
import { esoCryptoCases } from "./eso-crypto-cases.ts";
import { goFidelityCases } from "./go-fidelity-cases.ts";
import { type OracleCase, type OracleResult, counterStream } from "./gorender.ts";
import { regexCases } from "./regex-cases.ts";
import { sprigFunctionCases } from "./sprig-functions-cases.ts";

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), "corpus");

/** The corpus and the generated cases. */
export function loadCases(): OracleCase[] {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => JSON.parse(readFileSync(join(CORPUS, f), "utf8")) as OracleCase[])
    .concat(esoCryptoCases(), regexCases(), sprigFunctionCases(), goFidelityCases());
}

function toData(c: OracleCase): Value {
  if (c.stringData === true && c.data !== null && typeof c.data === "object") {
    return stringMap(Object.entries(c.data as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? v : ""]));
  }
  return fromPlain(c.data);
}

/** "template: tpl:3:5: ..." → "3:5"; "template: tpl:3: ..." → "3". */
function location(message: string): string {
  return /^template: [^:]+:(\d+(?::\d+)?):/.exec(message)?.[1] ?? "";
}

const FIXED_NOW = new Date("2024-05-06T07:08:09Z");

export interface Comparison {
  id: string;
  /** Undefined when the engine agrees with Go. */
  failure?: string;
  /** Both failed alike, but the message words differ. */
  wording?: string;
  goFailed: boolean;
  sameMessage: boolean;
}

export function compare(c: OracleCase, want: OracleResult): Comparison {
  const base = { id: c.id, goFailed: want.phase !== undefined, sameMessage: false };
  let got: { output?: string; phase?: string; error?: string };
  try {
    const options = { profile: c.profile, now: () => FIXED_NOW, ...(c.deterministicRand === true ? { randomBytes: counterStream() } : {}) };
    got = { output: render("tpl", c.template, toData(c), options) };
  } catch (e) {
    if (!(e instanceof TemplateError)) return { ...base, failure: `${c.id}: crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
    got = { phase: e.phase, error: e.message };
  }
  if (want.phase === undefined) {
    // Compared as bytes: Go strings may hold any bytes (b64dec of a keystore).
    const wantBytes = Buffer.from(want.output ?? "", "base64");
    const wantOut = bytesToGoString(wantBytes);
    if (got.error !== undefined) return { ...base, failure: `${c.id}: Go rendered ${JSON.stringify(wantOut)}, we failed: ${got.error}` };
    if (!wantBytes.equals(goStringToBytes(got.output ?? ""))) return { ...base, failure: `${c.id}: output differs\n   go: ${JSON.stringify(wantOut)}\n   ts: ${JSON.stringify(got.output)}` };
    return base;
  }
  if (got.error === undefined) return { ...base, failure: `${c.id}: Go failed (${want.error}), we rendered ${JSON.stringify(got.output)}` };
  if (got.phase !== want.phase || location(got.error) !== location(want.error ?? "")) {
    return { ...base, failure: `${c.id}: error differs\n   go: [${want.phase}] ${want.error}\n   ts: [${got.phase}] ${got.error}` };
  }
  if (got.error === want.error) return { ...base, sameMessage: true };
  return { ...base, wording: `${c.id}\n#   go: ${want.error}\n#   ts: ${got.error}` };
}
