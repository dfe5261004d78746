import { parseYamlDocuments, yamlDocumentToJs } from "./src/api/bounded-parse.ts";
const N = 100_000;
const cases: Record<string, string> = {
  dqEsc: '"' + '\\"'.repeat(N) + '"',
  dqBs: '"' + "\\\\".repeat(N) + '"',
  sqEsc: "'" + "''".repeat(N) + "'",
  colons: "a" + ":a".repeat(N),
  spacesFlow: "[" + " ".repeat(N * 3) + "]",
  hashes: "#".repeat(N * 3),
  blockEmpty: "a: |\n" + "\n".repeat(N) + "  x\n",
  blockTabs: "a: |\n" + "  x\t\t\n".repeat(N / 2),
  blockSpaces: "a: |\n" + " ".repeat(N * 2) + "\n x",
  plainMulti: "a: b\n" + "  c\n".repeat(N / 2),
  dqMulti: 'a: "' + "b\n".repeat(N) + '"',
  dqSpaces: 'a: "' + " \n".repeat(N) + '"',
  plainSpaces: "a: b" + " ".repeat(N * 3) + "c",
  flowPlainSpaces: "[a" + " ".repeat(N * 3) + "b]",
  tabs: "a:" + "\t".repeat(N * 3) + "b",
  bom: "\uFEFF".repeat(N),
  crs: "a: b\r".repeat(N / 4),
  dashes: "-".repeat(N * 3),
  dots: ".".repeat(N * 3),
  quoteLines: ("'a\n").repeat(N / 2),
  docsStart: "--- ".repeat(N / 2),
  flowMapColon: "{" + "a:".repeat(N) + "}",
  explicit: "? " + "a ".repeat(N),
  anchors: "&a".repeat(N),
  tags: "!a".repeat(N),
  tagsSp: "!a ".repeat(N),
  percent: "%".repeat(N * 3),
  dqEscU: '"' + "\\u".repeat(N) + '"',
  dqEscX: '"' + "\\x4".repeat(N) + '"',
};
for (const [name, input] of Object.entries(cases)) {
  const t = performance.now();
  let r = "ok";
  try { for (const d of parseYamlDocuments(input)) yamlDocumentToJs(d); } catch (e) { r = ((e as { reason?: string }).reason ?? (e as Error).name) + " " + (e as Error).message.slice(0, 50); }
  const ms = performance.now() - t;
  console.log(name.padEnd(16), String(input.length).padStart(7), ms.toFixed(0).padStart(6), "ms", r);
}
