// Per-class agreement with the Go oracle: `npx node test/differential/agreement.ts [class...]`.
// A class is a case id's first segment; -v lists each disagreement.
import { caseClass } from "./go-fidelity-cases.ts";
import { compare, loadCases } from "./compare.ts";
import { runOracle } from "./gorender.ts";

const verbose = process.argv.includes("-v");
const only = process.argv.slice(2).filter((a) => a !== "-v");
const cases = loadCases().filter((c) => only.length === 0 || only.includes(caseClass(c.id)));
const oracle = new Map(runOracle(cases).map((r) => [r.id, r]));
const byClass = new Map<string, { total: number; agree: number; identicalErrors: number; errors: number }>();
for (const c of cases) {
  const want = oracle.get(c.id);
  if (want === undefined) throw new Error(`oracle has no result for ${c.id}`);
  const r = compare(c, want);
  const cls = c.id.includes("/") ? caseClass(c.id) : "corpus";
  const s = byClass.get(cls) ?? { total: 0, agree: 0, identicalErrors: 0, errors: 0 };
  s.total++;
  if (r.failure === undefined) s.agree++;
  if (r.goFailed) s.errors++;
  if (r.sameMessage) s.identicalErrors++;
  byClass.set(cls, s);
  if (verbose && r.failure !== undefined) process.stdout.write(`${r.failure}\n`);
}
let total = 0;
let agree = 0;
for (const [cls, s] of [...byClass].sort(([a], [b]) => (a < b ? -1 : 1))) {
  total += s.total;
  agree += s.agree;
  process.stdout.write(`${cls.padEnd(12)} ${String(s.agree).padStart(4)}/${String(s.total).padEnd(4)} agree; errors ${s.identicalErrors}/${s.errors} word for word\n`);
}
process.stdout.write(`${"all".padEnd(12)} ${String(agree).padStart(4)}/${String(total).padEnd(4)} agree (${((100 * agree) / total).toFixed(1)} %)\n`);
