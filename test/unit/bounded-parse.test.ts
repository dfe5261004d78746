// Bounded parsing (src/api/bounded-parse.ts): the worst inputs of issue 13 and every crash or hang
// the fuzz suite found, as regression cases. Each must end in a typed, reasoned error, fast.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BoundedParseError, checkDepth, parseJson, parseJsonOrYaml, parseYaml, parseYamlDocuments } from "../../src/api/bounded-parse.ts";
import { parseSealedSecret } from "../../src/api/sealed-secret.ts";
import { parseSealFlags } from "../../src/cli/kubeseal-flags.ts";
import type { RsaPool } from "../../src/controller/keys/rsa-pool.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import { decryptSops, parseSopsDocument, parseSopsObject } from "../../src/crypto/sops.ts";
import { SealingApi } from "../../src/controller/sealed-secret/sealing-api.ts";

const MB = 1 << 20;

/** Billion laughs: level k lists ten aliases of level k-1. */
function aliasBomb(levels: number): string {
  const lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let k = 1; k <= levels; k++) lines.push(`l${k}: &l${k} [${Array(10).fill(`*l${k - 1}`).join(", ")}]`);
  return lines.join("\n") + "\n";
}

function refusal(fn: () => unknown): { reason: string; message: string; ms: number } {
  const started = performance.now();
  try {
    fn();
  } catch (err) {
    const ms = performance.now() - started;
    assert.ok(err instanceof BoundedParseError || err instanceof CryptoError, `typed error, got ${String(err)}`);
    return { reason: err.reason, message: err.message, ms };
  }
  assert.fail("expected a refusal");
}

describe("bounded parsing: the issue's worst inputs", () => {
  const cases: [string, string, string][] = [
    ["alias bomb, 6 levels", aliasBomb(6), "TooManyAliases"],
    ["alias bomb, 9 levels", aliasBomb(9), "TooManyAliases"],
    ["1 MiB of [", "[".repeat(MB - 1), "TooDeep"],
    ["block nesting, 1000 levels", Array.from({ length: 1000 }, (_, i) => `${" ".repeat(i)}k:`).join("\n") + " v\n", "TooDeep"],
    ["compact sequences, 5000 levels", "- ".repeat(5000) + "x\n", "TooDeep"],
    ["a flood of keys", Array.from({ length: 60_000 }, (_, i) => `k${i}: v`).join("\n"), "TooManyNodes"],
    ["a 500k-item flow list", "[" + "1,".repeat(MB / 2 - 2) + "1]", "TooManyNodes"],
  ];
  for (const [name, text, reason] of cases) {
    it(`${name} → ${reason}, well under a second`, () => {
      const r = refusal(() => parseYamlDocuments(text));
      assert.equal(r.reason, reason);
      assert.ok(r.ms < 500, `${r.ms.toFixed(0)} ms`);
      const sops = refusal(() => parseSopsDocument(text));
      assert.equal(sops.reason, reason, "the SOPS path reports the same reason");
    });
  }

  it("JSON: size before work, depth exactly", () => {
    assert.equal(refusal(() => parseJson("[".repeat(2 * MB))).reason, "DocumentTooLarge");
    assert.equal(refusal(() => parseJson("[".repeat(101) + "]".repeat(101))).reason, "TooDeep");
    assert.deepEqual(parseJson("[".repeat(100) + "]".repeat(100)), nestedArrays(100));
    assert.equal(refusal(() => parseJson('{"a": "s3cret')).reason, "MalformedJson");
  });

  it("messages name the limit and the position, never the content", () => {
    const r = refusal(() => parseYaml("password: s3cret\n  bad: [\n"));
    assert.equal(r.reason, "MalformedYaml");
    assert.match(r.message, /line \d+, column \d+/);
    assert.ok(!r.message.includes("s3cret"));
    assert.match(refusal(() => parseYaml("[".repeat(200))).message, /deeper than 100 levels \(line 1, column 101\)/);
  });

  it("aliases within limits still resolve, circular ones are refused", () => {
    assert.deepEqual(parseYaml("a: &x [1, 2]\nb: *x\n"), { a: [1, 2], b: [1, 2] });
    assert.equal(refusal(() => parseYaml("a: &x [*x]\n")).reason, "MalformedYaml");
    assert.equal(refusal(() => parseYaml("a: *nothing\n")).reason, "MalformedYaml");
    assert.equal(refusal(() => parseYaml("a: 1\na: 2\n")).reason, "MalformedYaml", "duplicate keys, checked in linear time");
  });

  it("already-parsed values are checked for depth without recursion", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = { k: deep };
    assert.throws(() => checkDepth(deep, 100), BoundedParseError);
    assert.equal(refusal(() => parseSopsObject({ spec: deep, sops: {} })).reason, "TooDeep");
  });
});

function nestedArrays(depth: number): unknown {
  let v: unknown[] = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

describe("bounded parsing: what the fuzz suite found", () => {
  it("'a: a: a: …' on one line overflowed the yaml parser's stack (RangeError out of /v1/verify)", () => {
    const r = refusal(() => parseYamlDocuments('sion": '.repeat(5000)));
    assert.equal(r.reason, "TooDeep");
  });

  it("100k invalid escapes in one double-quoted scalar took 4 s (an Error with a stack per escape)", () => {
    const r = refusal(() => parseYamlDocuments('"' + "\\u".repeat(100_000) + '"'));
    assert.equal(r.reason, "MalformedYaml");
    assert.ok(r.ms < 500, `${r.ms.toFixed(0)} ms`);
  });

  it("the pre-scan does not count a comma before a bracket as a node", () => {
    assert.deepEqual(parseYaml("[{},[]]", { limits: { maxNodes: 3 } }), [{}, []]);
  });

  it("a secret in kind, or after -o, is not echoed", () => {
    assert.throws(() => parseSealedSecret({ kind: "s3cret-Value", apiVersion: "bitnami.com/v1alpha1", spec: {} }), (err: Error) => !err.message.includes("s3cret"));
    assert.throws(() => parseSealFlags(["-o", "--token=s3cret-Value"], {}), (err: Error) => !err.message.includes("s3cret"));
    assert.throws(() => parseSealFlags(["-token=s3cret-Value"], {}), (err: Error) => !err.message.includes("s3cret"));
  });
});

describe("SOPS decrypt paths (found while bounding them)", () => {
  it("dotenv metadata keys cannot reach Object.prototype", () => {
    assert.throws(() => parseSopsDocument("A=1\nsops_age__map___proto____map_polluted=yes\nsops_mac=x\n", "dotenv"));
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  it("a huge dotenv list index is refused at once (it built a sparse array: 3.4 s)", () => {
    const started = performance.now();
    assert.throws(() => parseSopsDocument("A=1\nsops_age__list_99999999__map_enc=x\nsops_mac=x\n", "dotenv"), CryptoError);
    assert.ok(performance.now() - started < 200);
  });

  it("an ENC value full of ',iv:' and ',tag:' does not backtrack (RE2, linear)", async () => {
    const value = "ENC[AES256_GCM,data:" + ",iv:,tag:,type:".repeat(20_000);
    const doc = `a: ${value}\nsops:\n  age: []\n  lastmodified: x\n  mac: x\n`;
    const started = performance.now();
    await assert.rejects(decryptSops({ document: doc, identities: [] }), CryptoError);
    assert.ok(performance.now() - started < 500);
  });
});

describe("the HTTP API answers 400 with the reason, never 500", () => {
  const pool = { open: () => Promise.reject(new Error("not reached")) } as unknown as RsaPool;
  const api = new SealingApi({ keyring: () => ({ keys: [], problems: [] }), pool });
  for (const [name, body, reason] of [
    ["2 MB of nested brackets", "[".repeat(2 * MB - 16), "TooDeep"],
    ["an alias bomb", `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData: {}\nx:\n${aliasBomb(9).replace(/^/gm, "  ")}`, "TooManyAliases"],
    ["one-line nested keys", 'a: '.repeat(5000), "TooDeep"],
  ] as const) {
    it(name, async () => {
      const started = performance.now();
      const answer = await api.verify(Buffer.from(body));
      assert.equal(answer.status, 400);
      assert.match(answer.body, new RegExp(reason));
      assert.ok(performance.now() - started < 500);
    });
  }
  it("JSON bodies take the fast path", () => {
    assert.equal((parseJsonOrYaml('{"kind": "SealedSecret"}')[0] as { kind: string }).kind, "SealedSecret");
  });
});
