// Where the sealing certificate comes from: --cert FILE or URL (http, https, file), or the
// controller through the API server.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError } from "./io.ts";

/** kubeseal's rule: no URL scheme (or a one-letter one, a Windows drive) means a file name. */
export function isFileName(value: string): boolean {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value);
  if (m === null) return true;
  return (m[1] ?? "").length === 1;
}

export async function readCertificateSource(source: string, cwd: string): Promise<Uint8Array> {
  if (isFileName(source)) {
    try {
      return await readFile(resolve(cwd, source));
    } catch (err) {
      throw new CliError(`--cert: cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? "read error"}`);
    }
  }
  const url = new URL(source);
  if (url.protocol === "file:") {
    try {
      return await readFile(fileURLToPath(url));
    } catch (err) {
      throw new CliError(`--cert: cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? "read error"}`);
    }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CliError(`--cert: unsupported URL scheme "${url.protocol}" (use a file, file://, http:// or https://)`);
  }
  let res: globalThis.Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new CliError(`--cert: cannot fetch ${url.href}: ${err instanceof Error ? err.message : "network error"}`);
  }
  if (res.status !== 200) throw new CliError(`cannot fetch "${url.href}": ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}
