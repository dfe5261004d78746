// The layout's import rules (STYLE.md "Layout that shows the architecture"): imports point inward,
// and only main.ts knows concrete adapters. Read from the sources' import statements.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every file's imports: repository-relative paths for relative specifiers, the specifier otherwise. */
function imports(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of sourceFiles(join(root, "src"))) {
    const text = readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1] ?? m[2] ?? "");
    out.set(
      relative(root, file),
      specifiers.map((s) => (s.startsWith(".") ? relative(root, resolve(dirname(file), s)) : s)),
    );
  }
  return out;
}

const rules: { from: string; not: RegExp; why: string }[] = [
  { from: "src/api/", not: /^src\/(kube|template|controller|server|providers)\//, why: "API types and parsing stand alone" },
  { from: "src/server/", not: /^src\/controller\//, why: "the HTTP server serves whatever reconcilers run, through answers main.ts wires" },
  { from: "src/crypto/", not: /^(src\/(kube|controller|providers|server)\/|node:(fs|net|http|https)$)/, why: "crypto is bytes in, bytes out" },
  {
    from: "src/controller/",
    not: /^src\/(kube\/(http-kube|client-node-adapter|connection)\.ts|providers\/(aws|vault)\/)/,
    why: "only main.ts knows concrete adapters: controllers use the kube port and providers/provider.ts",
  },
  {
    from: "src/controller/decrypted-secret/",
    not: /^src\/controller\/(sealed-secret|age-secret|sops-secret|external-secret)\//,
    why: "the shared machinery of the decrypted kinds knows no kind: each brings its decrypt step",
  },
  { from: "src/controller/external-secret/", not: /^src\/controller\/decrypted-secret\//, why: "ExternalSecret has its own plan and writes" },
];

test("imports point inward, as the layout says", () => {
  const all = imports();
  assert.ok(all.size > 150, `read ${all.size} source files`);
  assert.ok((all.get("src/controller/sealed-secret/reconcile.ts") ?? []).includes("src/controller/decrypted-secret/reconciler.ts"), "the import reader sees relative imports");
  const broken: string[] = [];
  for (const [file, specifiers] of all) {
    for (const rule of rules) {
      if (!file.startsWith(rule.from)) continue;
      for (const s of specifiers) if (rule.not.test(s)) broken.push(`${file} imports ${s}: ${rule.why}`);
    }
  }
  assert.deepEqual(broken, []);
});
