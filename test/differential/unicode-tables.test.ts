// The engine's Unicode answers are Go's for every code point: the runtime's ICU tables plus
// src/template/unicode-go15.ts. A Node whose ICU moves on fails here, listing what to add there.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isPrint } from "../../src/template/strconv.ts";
import { isDigit, isLetter, isLower, isNumber, isPunct, isSpace, isTitle, isUpper, toLowerRune, toTitleRune, toUpperRune } from "../../src/template/unicode-case.ts";
import { cacheDir } from "./gorender.ts";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "unicode-dump");

function buildDump(): string {
  const hash = createHash("sha256");
  for (const f of readdirSync(SRC).sort()) hash.update(f).update(readFileSync(join(SRC, f)));
  const dir = join(cacheDir(), "tools", `unicode-dump-${hash.digest("hex").slice(0, 16)}`);
  const bin = join(dir, "unicode-dump");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  execFileSync("go", ["build", "-o", tmp, "."], { cwd: SRC, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CGO_ENABLED: "0" } });
  renameSync(tmp, bin);
  return bin;
}

void test("case mapping and character classes agree with Go's unicode package on every code point", () => {
  const out = execFileSync(buildDump(), [], { maxBuffer: 64 * 1024 * 1024 }).toString("utf8");
  const diffs: string[] = [];
  for (const line of out.split("\n")) {
    if (line === "") continue;
    const [cp = 0, up, lo, ti, flags] = line.split(" ").map((x) => parseInt(x, 16));
    const ours = (isUpper(cp) ? 1 : 0) | (isLower(cp) ? 2 : 0) | (isTitle(cp) ? 4 : 0) | (isLetter(cp) ? 8 : 0) | (isDigit(cp) ? 16 : 0)
      | (isNumber(cp) ? 32 : 0) | (isPunct(cp) ? 64 : 0) | (isSpace(cp) ? 128 : 0) | (isPrint(String.fromCodePoint(cp)) ? 256 : 0);
    if (toUpperRune(cp) !== up || toLowerRune(cp) !== lo || toTitleRune(cp) !== ti || ours !== flags) {
      diffs.push(`U+${cp.toString(16)}: go ${[up, lo, ti].map((x) => (x ?? 0).toString(16)).join(" ")} flags ${flags}; ours ${[toUpperRune(cp), toLowerRune(cp), toTitleRune(cp)].map((x) => x.toString(16)).join(" ")} flags ${ours}`);
    }
  }
  assert.deepEqual(diffs.slice(0, 50), [], `${diffs.length} code points differ`);
});
