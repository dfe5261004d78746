// The Dockerfile, checked statically (no container engine runs the tests), and the compiled output
// its final stage ships, run with the test's Node 24: `node dist/main.js --help` works and imports
// only production dependencies.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { test } from "node:test";

const root = new URL("../../", import.meta.url).pathname;

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

function stages(text: string): Stage[] {
  const out: Stage[] = [];
  const joined = text.replace(/\\\n/g, " ");
  for (const raw of joined.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      out.push({ from: from[1] ?? "", ...(from[2] ? { name: from[2] } : {}), lines: [] });
      continue;
    }
    out.at(-1)?.lines.push(line);
  }
  return out;
}

test("Dockerfile: multi-stage; the final stage is a minimal Node 24 runtime, non-root, compiled JS and production modules only", () => {
  const all = stages(readFileSync(join(root, "Dockerfile"), "utf8"));
  assert.ok(all.length >= 2, "multi-stage");
  const build = all[0];
  const final = all.at(-1);
  assert.ok(build && final);
  assert.match(build.from, /^node:24\b/);
  assert.ok(build.lines.some((l) => /npm run build/.test(l)), "compiles TypeScript");
  assert.ok(build.lines.some((l) => /npm prune --omit=dev/.test(l)), "drops dev dependencies before copying node_modules");
  assert.match(final.from, /^gcr\.io\/distroless\/nodejs24-debian12:nonroot$/, "distroless Node 24 (no shell, no npm)");
  assert.equal(final.lines.filter((l) => /^RUN\b/i.test(l)).length, 0, "nothing runs in the final stage");
  const copies = final.lines.filter((l) => /^(COPY|ADD)\b/i.test(l));
  assert.deepEqual(
    copies.map((l) => l.replace(/\s+/g, " ")),
    [`COPY --from=${build.name ?? "0"} /src/package.json ./package.json`, `COPY --from=${build.name ?? "0"} /src/node_modules ./node_modules`, `COPY --from=${build.name ?? "0"} /src/dist ./dist`],
    "only package.json, production node_modules and compiled dist/",
  );
  const user = final.lines.find((l) => /^USER\b/i.test(l));
  assert.match(user ?? "", /^USER\s+65532(:65532)?$/, "non-root numeric user (runAsNonRoot can verify it)");
  const entrypoint = final.lines.find((l) => /^ENTRYPOINT\b/i.test(l)) ?? "";
  assert.deepEqual(JSON.parse(entrypoint.replace(/^ENTRYPOINT\s+/i, "")), ["/nodejs/bin/node", "dist/main.js"], "exec form, node runs the compiled JS");
  assert.doesNotMatch(final.lines.join("\n"), /\bnpm\b|\.ts\b|tsx|ts-node/, "no npm and no TypeScript at run time");
  assert.ok(final.lines.some((l) => /^HEALTHCHECK\b.*\/healthz/.test(l)), "a healthcheck that needs no shell");
  assert.ok(final.lines.some((l) => /^EXPOSE\s+8080\s+8081$/.test(l)));
});

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? jsFiles(path) : path.endsWith(".js") ? [path] : [];
  });
}

test("the compiled output runs on Node 24 and imports only production dependencies", { timeout: 120_000 }, async () => {
  const out = join(root, ".tmp", `dist-test-${process.pid}`);
  try {
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", out], (err, stdout) => (err ? reject(new Error(`tsc: ${stdout}`)) : resolve())),
    );
    const help = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(out, "main.js"), "--help"], (err, stdout) => (err ? reject(new Error(err.message)) : resolve(stdout))),
    );
    assert.match(help, /--leader-elect-lease-duration/);
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const imported = new Set<string>();
    for (const file of jsFiles(out)) {
      for (const m of readFileSync(file, "utf8").matchAll(/(?:from\s+|import\()\s*["']([^"'.][^"']*)["']/g)) {
        const spec = (m[1] ?? "").replace(/^node:/, "");
        const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? "");
        imported.add(name);
      }
    }
    for (const name of imported) assert.ok(allowed.has(name), `dist imports ${name}, which is not a production dependency`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
