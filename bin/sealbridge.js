#!/usr/bin/env node
// Entry point for `npx sealbridge`. Node >= 22.18 runs the TypeScript sources directly; an older
// Node on PATH re-runs this file with the project's pinned Node (the `node` devDependency).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const compiled = new URL("../dist/cli/main.js", import.meta.url);
const source = new URL("../src/cli/main.ts", import.meta.url);

if (existsSync(fileURLToPath(source)) && process.features.typescript) {
  await import(source.href);
} else if (existsSync(fileURLToPath(compiled))) {
  await import(compiled.href);
} else {
  const pinned = fileURLToPath(new URL("../node_modules/node/bin/node", import.meta.url));
  if (!existsSync(pinned)) {
    process.stderr.write("error: sealbridge needs Node.js 24; run `npm ci` in the checkout first\n");
    process.exit(1);
  }
  const child = spawnSync(pinned, [`${here}sealbridge.js`, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
