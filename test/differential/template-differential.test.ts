// Differential test: every corpus template renders byte-for-byte like Go's text/template with
// Sprig and ESO's helpers (the oracle in ./gorender), or fails in the same phase at the same place.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compare, loadCases } from "./compare.ts";
import { runOracle } from "./gorender.ts";

void test("template engine matches Go text/template + Sprig + ESO helpers on the corpus", () => {
  const cases = loadCases();
  const oracle = new Map(runOracle(cases).map((r) => [r.id, r]));
  const failures: string[] = [];
  let sameMessage = 0;
  let errors = 0;
  for (const c of cases) {
    const want = oracle.get(c.id);
    assert.ok(want, `oracle has no result for ${c.id}`);
    const r = compare(c, want);
    if (r.goFailed) errors++;
    if (r.sameMessage) sameMessage++;
    if (r.failure !== undefined) failures.push(r.failure);
    else if (r.wording !== undefined) process.stdout.write(`# message wording differs for ${r.wording}\n`);
  }
  process.stdout.write(`# differential corpus: ${cases.length} cases, ${cases.length - failures.length} agree; ${errors} error cases, ${sameMessage} with identical messages\n`);
  assert.deepEqual(failures, [], failures.join("\n"));
});
