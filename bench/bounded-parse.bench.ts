// The worst inputs of issue 13 against every user-facing parse path: YAML alias bombs, megabytes of
// nested brackets, deep block nesting, token floods. Each case runs in a child process with a time
// limit, so a hang is measured as one instead of freezing the bench. Run: npm run bench:bounded-parse
// (BENCH_TIMEOUT_SECONDS=60 by default; BENCH_CASES=name,name to pick).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseSopsDocument } from "../src/crypto/sops.ts";
import { parseManifestStream } from "../src/cli/manifests.ts";
import { SealingApi } from "../src/controller/sealed-secret/sealing-api.ts";
import type { RsaPool } from "../src/controller/keys/rsa-pool.ts";

const MB = 1 << 20;

/** A billion-laughs document: level k is a list of ten aliases of level k-1. */
function aliasBomb(levels: number, prefix = ""): string {
  const lines = [`${prefix}l0: &l0 [x, x, x, x, x, x, x, x, x, x]`];
  for (let k = 1; k <= levels; k++) lines.push(`${prefix}l${k}: &l${k} [${Array(10).fill(`*l${k - 1}`).join(", ")}]`);
  return lines.join("\n") + "\n";
}

function sealedSecretYaml(extra: string): string {
  return `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a, namespace: b}\nspec:\n  encryptedData: {}\n  template:\n    metadata:\n      annotations:\n${extra}`;
}

const blockNest = (depth: number): string => Array.from({ length: depth }, (_, i) => `${" ".repeat(i)}k:`).join("\n") + " v\n";

const inputs: Record<string, () => { target: "sops" | "verify" | "cli"; text: string }> = {
  "sops alias bomb 6 levels": () => ({ target: "sops", text: aliasBomb(6) }),
  "sops alias bomb 9 levels": () => ({ target: "sops", text: aliasBomb(9) }),
  "sops 1 MiB nested brackets": () => ({ target: "sops", text: "a: " + "[".repeat(MB - 3) }),
  "sops nested brackets 5000 deep": () => ({ target: "sops", text: "a: " + "[".repeat(5000) + "]".repeat(5000) + "\n" }),
  "sops block nesting 1000 deep": () => ({ target: "sops", text: blockNest(1000) }),
  "sops 1 MiB flow list": () => ({ target: "sops", text: "a: [" + "1,".repeat(MB / 2 - 4) + "1]\n" }),
  "sops 1 MiB of keys": () => ({ target: "sops", text: Array.from({ length: 60_000 }, (_, i) => `k${i}: v`).join("\n") }),
  "verify 2 MB nested brackets": () => ({ target: "verify", text: "[".repeat(2 * MB - 16) }),
  "verify alias bomb 9 levels": () => ({ target: "verify", text: sealedSecretYaml(aliasBomb(9, "        ")) }),
  "verify 1 MiB flow list": () => ({ target: "verify", text: "[" + "1,".repeat(MB / 2 - 4) + "1]\n" }),
  "cli 2 MB nested brackets (YAML)": () => ({ target: "cli", text: "a: " + "[".repeat(2 * MB) }),
  "cli alias bomb 9 levels": () => ({ target: "cli", text: aliasBomb(9) }),
  "cli block nesting 3000 deep": () => ({ target: "cli", text: blockNest(3000) }),
};

async function runCase(name: string): Promise<string> {
  const make = inputs[name];
  if (make === undefined) throw new Error(`no case ${name}`);
  const { target, text } = make();
  const started = performance.now();
  let outcome: string;
  try {
    if (target === "sops") {
      parseSopsDocument(text);
      outcome = "accepted";
    } else if (target === "verify") {
      const pool = { open: () => Promise.reject(new Error("not reached")) } as unknown as RsaPool;
      const api = new SealingApi({ keyring: () => ({ keys: [], problems: [] }), pool });
      const answer = await api.verify(Buffer.from(text));
      outcome = `HTTP ${answer.status}: ${answer.body.trim().slice(0, 90)}`;
    } else {
      parseManifestStream(Buffer.from(text), "input");
      outcome = "accepted";
    }
  } catch (err) {
    const e = err as { name?: string; reason?: string; message?: string };
    outcome = `${e.name ?? "?"}${e.reason !== undefined ? `(${e.reason})` : ""}: ${(e.message ?? "").slice(0, 90)}`;
  }
  return `${(performance.now() - started).toFixed(0)} ms  ${outcome}`;
}

const childCase = process.argv.indexOf("--case");
if (childCase >= 0) {
  console.log(await runCase(process.argv[childCase + 1] ?? ""));
} else {
  const timeout = Number(process.env["BENCH_TIMEOUT_SECONDS"] ?? "60");
  const picked = process.env["BENCH_CASES"]?.split(",") ?? Object.keys(inputs);
  for (const name of picked) {
    const started = performance.now();
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--case", name], { encoding: "utf8", timeout: timeout * 1000 });
    const wall = ((performance.now() - started) / 1000).toFixed(1);
    const line =
      child.error !== undefined || child.signal !== null
        ? `killed after ${timeout} s (no answer)`
        : (child.stdout.trim() || child.stderr.trim().split("\n").slice(-1)[0] || `exit ${child.status}`);
    console.log(`${name.padEnd(34)} ${line}   [child wall ${wall} s]`);
  }
}
