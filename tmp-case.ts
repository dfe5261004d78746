import { readFileSync } from "node:fs";
import { parseYamlDocuments, yamlDocumentToJs } from "./src/api/bounded-parse.ts";
const input = (JSON.parse(readFileSync(process.argv[2]!, "utf8")) as { input: string }).input;
try { const docs = parseYamlDocuments(input); console.log("parsed", docs.length); for (const d of docs) yamlDocumentToJs(d); console.log("ok"); } catch (e) { const err = e as Error; console.log(err.name, err.message.slice(0, 100)); console.log((err.stack ?? "").split("\n").slice(1, 30).map(l => l.trim().slice(0, 120)).join("\n")); }
