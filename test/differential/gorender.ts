// Builds the Go oracle (test/differential/gorender) into a cache outside the repository, keyed by
// a hash of its sources, once per profile (ESO and Sealed Secrets pin different library versions),
// and runs each case on its profile's build.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "gorender");

export interface OracleCase {
  id: string;
  profile: "eso" | "sealed-secrets";
  template: string;
  data: unknown;
  stringData?: boolean;
  /** PKCS#12 encoders read the fixed stream of counterStream (both sides) instead of real randomness. */
  deterministicRand?: boolean;
}

/** The oracle's counterStream: byte i of the stream is i mod 251. */
export function counterStream(): (n: number) => Uint8Array {
  let i = 0;
  return (n) => Uint8Array.from({ length: n }, () => i++ % 251);
}

export interface OracleResult {
  id: string;
  output?: string;
  phase?: "parse" | "exec";
  error?: string;
}

export function cacheDir(): string {
  return process.env["SEALBRIDGE_CACHE"] ?? join(homedir(), ".cache", "sealbridge");
}

/** Each profile's oracle has its own module file: the library versions that tool pins. */
const MODFILE: Record<OracleCase["profile"], string> = { eso: "go.mod", "sealed-secrets": "go.sealed-secrets.mod" };

/** Path of the built oracle for a profile; builds it with the Go toolchain when its sources changed. */
export function buildOracle(profile: OracleCase["profile"] = "eso"): string {
  const hash = createHash("sha256").update(profile);
  for (const f of readdirSync(SRC).sort()) hash.update(f).update(readFileSync(join(SRC, f)));
  const dir = join(cacheDir(), "tools", `gorender-${hash.digest("hex").slice(0, 16)}`);
  const bin = join(dir, "gorender");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  execFileSync("go", ["build", `-modfile=${MODFILE[profile]}`, "-o", tmp, "."], { cwd: SRC, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CGO_ENABLED: "0" } });
  renameSync(tmp, bin);
  return bin;
}

export function runOracle(cases: readonly OracleCase[]): OracleResult[] {
  const results: OracleResult[] = [];
  for (const profile of ["eso", "sealed-secrets"] as const) {
    const batch = cases.filter((c) => c.profile === profile);
    if (batch.length === 0) continue;
    const out = execFileSync(buildOracle(profile), [], { input: JSON.stringify(batch), env: { ...process.env, TZ: "UTC" }, maxBuffer: 256 * 1024 * 1024 });
    results.push(...(JSON.parse(out.toString("utf8")) as OracleResult[]));
  }
  return results;
}
