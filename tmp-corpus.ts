import { readFileSync } from "node:fs";
import { execSync } from "node:child_process";
import { parseAllDocuments } from "yaml";
import { parseYamlAll, parseLimits } from "./src/api/bounded-parse.ts";
const files = execSync("find . /work/wt-bounded/node_modules -name '*.yaml' -o -name '*.yml' | grep -v '/\\.git/' | head -3000", { encoding: "utf8" }).trim().split("\n");
let ok = 0, differ = 0, refused = 0, bothBad = 0;
const big = parseLimits({ maxBytes: 64 << 20, maxNodes: 10_000_000, maxTokens: 10_000_000, maxAliases: 10000 });
for (const f of files) {
  const text = readFileSync(f, "utf8");
  let want: string; let wantOk = true;
  try { const docs = parseAllDocuments(text); if (!Array.isArray(docs) ) { want = "[]"; } else { if (docs.some((d) => d.errors.length)) throw new Error("bad"); want = JSON.stringify(docs.map((d) => d.toJS({ maxAliasCount: -1 }))); } } catch { wantOk = false; want = ""; }
  try {
    const got = JSON.stringify(parseYamlAll(text, { limits: big }));
    if (!wantOk) { console.log("accepted-but-yaml-refuses", f); differ++; }
    else if (got !== want) { console.log("DIFF", f); differ++; } else ok++;
  } catch (e) {
    if (!wantOk) { bothBad++; continue; }
    refused++; console.log("REFUSED", f, (e as Error).message);
  }
}
console.log({ files: files.length, ok, differ, refused, bothBad });
