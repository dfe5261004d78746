// The release this build is, read from the package.json that ships beside src/ and dist/ (the image
// copies it to /app), so `--version` and `sealbridge version` cannot drift from the package.
import { readFileSync } from "node:fs";

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    const parsed = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
    cached = typeof parsed.version === "string" && parsed.version !== "" ? parsed.version : "0.0.0";
  }
  return cached;
}

/** The line Sealed Secrets' controller prints for `--version` ("controller version: v0.36.6"). */
export function controllerVersionLine(): string {
  return `controller version: v${packageVersion()}\n`;
}
