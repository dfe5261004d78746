// fromYaml / fromJson inside templates are bounded: alias bombs and deep nesting come back as the
// function's error within a fraction of a second, never a frozen event loop or a stack overflow.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromYaml } from "../../src/template/eso-functions.ts";
import { unmarshal, JsonError } from "../../src/template/json.ts";
import { yamlToStringMap, YamlStringMapError } from "../../src/template/yaml-v2.ts";

function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(",")}]`);
  return lines.join("\n");
}

function timed<T>(f: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = f();
  return { value, ms: performance.now() - started };
}

describe("template parsers under hostile input", () => {
  it("fromYaml refuses a nine-level alias bomb quickly, with go-yaml's reason", () => {
    const { value, ms } = timed(() => fromYaml(aliasBomb(9)));
    assert.match(value.get("Error") as string, /excessive aliasing/);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it("fromYaml still expands a few aliases as before", () => {
    const m = fromYaml("base: &b {k: v}\nother: *b\n");
    assert.equal(m.get("Error"), undefined);
    assert.deepEqual([...(m.get("other") as Map<string, unknown>)], [["k", "v"]]);
  });

  it("fromYaml and the KeysAndValues reader refuse deep nesting", () => {
    const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    const { value, ms } = timed(() => fromYaml(deep));
    assert.match(value.get("Error") as string, /exceeded max depth/);
    assert.ok(ms < 1000, `${ms} ms`);
    assert.throws(() => yamlToStringMap(deep), YamlStringMapError);
  });

  it("fromJson refuses nesting past encoding/json's 10,000 levels", () => {
    const { ms } = timed(() => assert.throws(() => unmarshal(`${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`), (e: unknown) => e instanceof JsonError && /exceeded max depth/.test(e.message)));
    assert.ok(ms < 1000, `${ms} ms`);
    assert.ok(Array.isArray(unmarshal(`${"[".repeat(500)}${"]".repeat(500)}`)));
  });
});
