// `npx sealbridge ...` with the machine's own, older Node on PATH: quiet, no npm EBADENGINE warning
// before the command's output. npx links this checkout into its cache (~/.npm/_npx) and checks the
// linked package's engines; package.json's engines says what runs the npm scripts and the bin
// (Node >= 20: the bin re-runs itself on the pinned Node 24 devDependency, and npm scripts find that
// Node first on PATH), while the code itself runs on Node 24 (the pin, the Dockerfile).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { test } from "node:test";

const root = new URL("../../", import.meta.url).pathname;

/** A node (with its npx) on PATH older than 24, outside this project's node_modules. */
function olderNode(): { node: string; npx: string } | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "" || dir.includes("node_modules")) continue;
    const node = join(dir, "node");
    const npx = join(dir, "npx");
    if (!existsSync(node) || !existsSync(npx)) continue;
    const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
    if (Number(/^v(\d+)/.exec(version)?.[1] ?? 24) < 24) return { node, npx };
  }
  return undefined;
}

const older = olderNode();

/**
 * A user's shell on a machine where npx has not run here before: no npm_* settings of an npm this
 * test may run under, and an empty npm cache (npx warned on its first run in a checkout, and on
 * every run after the project was linked into its cache).
 */
function userEnv(path: string, cache: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: path, npm_config_cache: cache };
}

test("npx sealbridge version on an older system Node prints the version and nothing else", { skip: older === undefined ? "no Node older than 24 on PATH" : false, timeout: 60_000 }, () => {
  const { node, npx } = older ?? { node: "", npx: "" };
  const cache = mkdtempSync(join(tmpdir(), "sb-npx-cache-"));
  try {
    runs(node, npx, cache);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

function runs(node: string, npx: string, cache: string): void {
  const path = [dirname(node), ...(process.env["PATH"] ?? "").split(delimiter).filter((d) => !d.includes("node_modules"))].join(delimiter);
  const r = spawnSync(node, [npx, "sealbridge", "version"], { cwd: root, encoding: "utf8", env: userEnv(path, cache) });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^sealbridge \d+\.\d+\.\d+/);
  assert.equal(r.stderr, "", "nothing on stderr (npm's EBADENGINE warning was printed here while engines said >=24)");
  // A real error still reaches the user.
  const bad = spawnSync(node, [npx, "sealbridge", "no-such-command"], { cwd: root, encoding: "utf8", env: userEnv(path, cache) });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command "no-such-command"/);
}
