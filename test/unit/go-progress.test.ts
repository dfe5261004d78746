// scripts/go-progress.sh's reader: `go build -v` package lines in, progress lines out.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const script = new URL("../../scripts/go-progress.sh", import.meta.url).pathname;

function reader(total: number, input: string[]): string[] {
  const r = spawnSync("bash", [script, "--reader", "[t] pkg:", String(total)], { input: input.join("\n") + "\n", encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.trim().split("\n");
}

test("one line per 10% of the packages, and the last one at 100%", () => {
  const lines = reader(20, Array.from({ length: 20 }, (_, i) => `example.com/m/p${i}`));
  assert.equal(lines.length, 10);
  assert.match(lines[0] ?? "", /^\[t\] pkg: 2\/20 packages compiled \(10%\), \d+s so far/);
  assert.match(lines[9] ?? "", /^\[t\] pkg: 20\/20 packages compiled \(100%\), \d+s so far$/);
});

test("lines that are not package names (errors) pass through; more packages than counted stay at 100%", () => {
  const lines = reader(4, ["a/b", "c", "# example.com/broken", "broken.go:3:1: syntax error", "d", "e", "f", "go: downloading example.com/x v1.0.0"]);
  assert.ok(lines.includes("# example.com/broken"));
  assert.ok(lines.includes("broken.go:3:1: syntax error"));
  assert.ok(lines.includes("go: downloading example.com/x v1.0.0"));
  const progress = lines.filter((l) => l.startsWith("[t] pkg:"));
  assert.deepEqual(progress.map((l) => /(\d+\/\d+)/.exec(l)?.[1]), ["1/4", "2/4", "3/4", "4/4", "4/4"]);
});

test("with no total it counts", () => {
  assert.match(reader(0, ["a", "b", "c"]).at(-1) ?? "", /^\[t\] pkg: 3 packages compiled, \d+s so far$/);
});
