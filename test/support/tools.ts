// Test binaries built from Go modules by scripts/build-tools.sh into a cache outside the repository.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../scripts/build-tools.sh", import.meta.url));
const building = new Map<string, Promise<string>>();

/** Builds (first time, cached afterwards) and returns the path of a tool such as "kubeseal". */
export function ensureTool(name: string): Promise<string> {
  let pending = building.get(name);
  if (pending === undefined) {
    pending = new Promise<string>((resolvePath, reject) => {
      const child = execFile("bash", [script, name], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err !== null) {
          reject(new Error(`scripts/build-tools.sh ${name} failed: ${stderr.trim().split("\n").slice(-5).join(" | ")}`));
          return;
        }
        const path = stdout.trim().split("\n").at(-1);
        if (path === undefined || path === "") reject(new Error(`scripts/build-tools.sh ${name} printed no path`));
        else resolvePath(path);
      });
      // Show build progress (a cold Go build takes a minute or more).
      child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    });
    building.set(name, pending);
  }
  return pending;
}

const ageInstaller = fileURLToPath(new URL("../../scripts/install-age.sh", import.meta.url));
let installingAge: Promise<string> | undefined;

/** The real `age` CLI (Debian package), installed by scripts/install-age.sh when missing. */
export function ensureAge(): Promise<string> {
  installingAge ??= new Promise<string>((resolvePath, reject) => {
    execFile("bash", [ageInstaller], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`scripts/install-age.sh failed: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
        return;
      }
      const path = stdout.trim().split("\n").at(-1);
      if (path === undefined || path === "") reject(new Error("scripts/install-age.sh printed no path"));
      else resolvePath(path);
    });
  });
  return installingAge;
}
