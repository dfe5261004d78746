// The node flags the image starts the controller with, read from the Dockerfile's exec-form
// ENTRYPOINT (["/nodejs/bin/node", ...flags, "dist/main.js"]), so benchmarks and the compiled-build
// test run the controller exactly as it ships.
import { readFileSync } from "node:fs";

const dockerfile = new URL("../../Dockerfile", import.meta.url);

export function shippedNodeFlags(text: string = readFileSync(dockerfile, "utf8")): string[] {
  const line = text.split("\n").find((l) => l.startsWith("ENTRYPOINT "));
  if (!line) throw new Error("Dockerfile: no ENTRYPOINT line");
  const argv = JSON.parse(line.slice("ENTRYPOINT ".length)) as unknown;
  if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === "string")) throw new Error("Dockerfile: ENTRYPOINT is not an exec-form string array");
  const main = argv.indexOf("dist/main.js");
  if (main < 1) throw new Error(`Dockerfile: ENTRYPOINT does not run dist/main.js: ${line}`);
  return argv.slice(1, main);
}
