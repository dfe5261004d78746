import { execSync } from "node:child_process";
import { parse, parseAllDocuments } from "yaml";
import { measureYaml, parseLimits, prescanYaml, parseYamlAll } from "./src/api/bounded-parse.ts";
const repo = "/work/.mirror/yaml+yaml-test-suite/repo";
const names = execSync(`git -C ${repo} ls-tree -r --name-only HEAD src/`, { encoding: "utf8" }).trim().split("\n");
const cases: { id: string; yaml: string }[] = [];
for (const name of names) {
  const src = execSync(`git -C ${repo} show HEAD:${name}`, { encoding: "utf8" });
  const tests = parse(src) as { yaml?: string; fail?: boolean }[];
  for (const [i, t] of tests.entries()) {
    if (typeof t.yaml !== "string") continue;
    let y = t.yaml.replace(/␣/g, " ").replace(/—*»/g, "\t").replace(/↵/g, "").replace(/←/g, "\r").replace(/⇔/g, "\uFEFF");
    if (y.endsWith("∎\n")) y = y.slice(0, -2);
    cases.push({ id: `${name}#${i}`, yaml: y });
  }
}
let valid = 0, violations = 0, differ = 0;
for (const c of cases) {
  let m;
  try { m = measureYaml(c.yaml); } catch { continue; } // invalid YAML per the yaml lib
  valid++;
  const limits = parseLimits({ maxDepth: m.depth, maxNodes: m.nodes, maxAliases: m.aliases, maxTokens: Infinity, maxBytes: Infinity });
  try { prescanYaml(c.yaml, limits); } catch (e) { violations++; console.log("PRESCAN OVER", c.id, JSON.stringify(m), (e as Error).message, JSON.stringify(c.yaml).slice(0, 200)); }
  try {
    const want = JSON.stringify(parseAllDocuments(c.yaml).map((d) => d.toJS({ maxAliasCount: -1 })));
    const got = JSON.stringify(parseYamlAll(c.yaml, { limits: { maxAliases: 1000, maxDepth: 1000 } }));
    if (want !== got) { differ++; console.log("DIFF", c.id); }
  } catch (e) { differ++; console.log("REFUSED", c.id, (e as Error).message); }
}
console.log({ cases: cases.length, valid, violations, differ });
