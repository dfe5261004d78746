// Differential test: every corpus template renders byte-for-byte like Go's text/template with
// Sprig and ESO's helpers (the oracle in ./gorender), or fails in the same phase at the same place.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { TemplateError } from "../../src/template/errors.ts";
import { bytesToGoString, goStringToBytes } from "../../src/template/gostring.ts";
import { render } from "../../src/template/template.ts";
import { type Value, fromPlain, stringMap } from "../../src/template/values.ts";
import { esoCryptoCases } from "./eso-crypto-cases.ts";
import { type OracleCase, counterStream, runOracle } from "./gorender.ts";
import { regexCases } from "./regex-cases.ts";
import { sprigFunctionCases } from "./sprig-functions-cases.ts";

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), "corpus");

function loadCorpus(): OracleCase[] {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => JSON.parse(readFileSync(join(CORPUS, f), "utf8")) as OracleCase[])
    .concat(esoCryptoCases(), regexCases(), sprigFunctionCases());
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

void test("template engine matches Go text/template + Sprig + ESO helpers on the corpus", () => {
  const cases = loadCorpus();
  const oracle = new Map(runOracle(cases).map((r) => [r.id, r]));
  const failures: string[] = [];
  let sameMessage = 0;
  let errors = 0;
  for (const c of cases) {
    const want = oracle.get(c.id);
    assert.ok(want, `oracle has no result for ${c.id}`);
    let got: { output?: string; phase?: string; error?: string };
    try {
      const options = { profile: c.profile, now: () => FIXED_NOW, ...(c.deterministicRand === true ? { randomBytes: counterStream() } : {}) };
      got = { output: render("tpl", c.template, toData(c), options) };
    } catch (e) {
      if (!(e instanceof TemplateError)) {
        failures.push(`${c.id}: crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        continue;
      }
      got = { phase: e.phase, error: e.message };
    }
    if (want.phase === undefined) {
      // Compared as bytes: Go strings may hold any bytes (b64dec of a keystore).
      const wantBytes = Buffer.from(want.output ?? "", "base64");
      const wantOut = bytesToGoString(wantBytes);
      if (got.error !== undefined) failures.push(`${c.id}: Go rendered ${JSON.stringify(wantOut)}, we failed: ${got.error}`);
      else if (!wantBytes.equals(goStringToBytes(got.output ?? ""))) failures.push(`${c.id}: output differs\n   go: ${JSON.stringify(wantOut)}\n   ts: ${JSON.stringify(got.output)}`);
      continue;
    }
    errors++;
    if (got.error === undefined) {
      failures.push(`${c.id}: Go failed (${want.error}), we rendered ${JSON.stringify(got.output)}`);
    } else if (got.phase !== want.phase || location(got.error) !== location(want.error ?? "")) {
      failures.push(`${c.id}: error differs\n   go: [${want.phase}] ${want.error}\n   ts: [${got.phase}] ${got.error}`);
    } else if (got.error === want.error) sameMessage++;
    else process.stdout.write(`# message wording differs for ${c.id}\n#   go: ${want.error}\n#   ts: ${got.error}\n`);
  }
  process.stdout.write(`# differential corpus: ${cases.length} cases, ${cases.length - failures.length} agree; ${errors} error cases, ${sameMessage} with identical messages\n`);
  assert.deepEqual(failures, [], failures.join("\n"));
});
