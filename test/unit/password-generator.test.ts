// ESO's Password generator (sethvargo/go-password semantics) as a pure function of its spec and an
// injected random source: every combination of options is checked with fast-check, plus ESO's
// defaults, go-password's errors, the encodings and the generatorRef parsing of an ExternalSecret.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parseExternalSecretSpec } from "../../src/api/external-secret.ts";
import { DEFAULT_SYMBOL_CHARACTERS, parsePasswordSpec, type PasswordSpec } from "../../src/api/generator.ts";
import { base32, generatePassword, generatePasswords, PasswordSpecError } from "../../src/crypto/password.ts";

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";

/** A deterministic random source from fast-check's seed, so a failing case replays. */
function seeded(seed: number): (max: number) => number {
  let x = seed >>> 0 || 1;
  return (max) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % max;
  };
}

const symbolAlphabet = fc.oneof(
  fc.constant(DEFAULT_SYMBOL_CHARACTERS),
  fc.constant(""),
  // Disjoint from letters and digits, possibly short.
  fc.uniqueArray(fc.constantFrom(..."!#$%&*+-./:;<=>?@^_~"), { minLength: 1, maxLength: 20 }).map((a) => a.join("")),
);

const specs = fc
  .record({
    length: fc.integer({ min: 1, max: 120 }),
    digits: fc.integer({ min: 0, max: 30 }),
    symbols: fc.integer({ min: 0, max: 40 }),
    symbolCharacters: symbolAlphabet,
    noUpper: fc.boolean(),
    allowRepeat: fc.boolean(),
  })
  .map((r): PasswordSpec => ({ ...r, secretKeys: ["password"], encoding: "raw" }));

function expectedError(spec: PasswordSpec): RegExp | undefined {
  const symbols = spec.symbolCharacters === "" ? DEFAULT_SYMBOL_CHARACTERS : spec.symbolCharacters;
  const letters = spec.noUpper ? 26 : 52;
  const chars = spec.length - spec.digits - spec.symbols;
  if (chars < 0) return /number of digits and symbols must be less than total length/;
  if (!spec.allowRepeat && chars > letters) return /number of letters exceeds available letters/;
  if (!spec.allowRepeat && spec.digits > 10) return /number of digits exceeds available digits/;
  if (!spec.allowRepeat && spec.symbols > symbols.length) return /number of symbols exceeds available symbols/;
  return undefined;
}

describe("Password generator", () => {
  test("every option combination: length, digit and symbol counts, noUpper, allowRepeat, alphabet; or go-password's error", () => {
    fc.assert(
      fc.property(specs, fc.integer(), (spec, seed) => {
        const error = expectedError(spec);
        if (error) {
          assert.throws(() => generatePassword(spec, seeded(seed)), (err: unknown) => err instanceof PasswordSpecError && error.test(err.message));
          return;
        }
        const pw = generatePassword(spec, seeded(seed));
        const symbols = spec.symbolCharacters === "" ? DEFAULT_SYMBOL_CHARACTERS : spec.symbolCharacters;
        const chars = [...pw];
        assert.equal(chars.length, spec.length);
        assert.equal(chars.filter((c) => DIGITS.includes(c)).length, spec.digits, "digits");
        assert.equal(chars.filter((c) => symbols.includes(c)).length, spec.symbols, "symbols");
        const letters = chars.filter((c) => LOWER.includes(c) || UPPER.includes(c));
        assert.equal(letters.length, spec.length - spec.digits - spec.symbols, "letters");
        if (spec.noUpper) assert.ok(!chars.some((c) => UPPER.includes(c)), "no upper case");
        if (!spec.allowRepeat) assert.equal(new Set(chars).size, chars.length, "no repeats");
      }),
      { numRuns: 2000 },
    );
  });

  test("the same random draws give the same password; node:crypto gives different ones", () => {
    const spec = parsePasswordSpec({});
    assert.equal(generatePassword(spec, seeded(7)), generatePassword(spec, seeded(7)));
    const seen = new Set(Array.from({ length: 50 }, () => generatePassword(spec, randomInt)));
    assert.equal(seen.size, 50);
  });

  test("upper case and repeats do occur when allowed", () => {
    const spec: PasswordSpec = { ...parsePasswordSpec({ length: 200, digits: 0, symbols: 0, allowRepeat: true }) };
    const pw = generatePassword(spec, randomInt);
    assert.ok([...pw].some((c) => UPPER.includes(c)));
    assert.ok(new Set(pw).size < pw.length);
  });

  test("symbols that overlap letters under no-repeat fail instead of looping forever (Go would hang)", () => {
    const spec = parsePasswordSpec({ length: 29, digits: 0, symbols: 3, symbolCharacters: "abc", noUpper: true });
    assert.throws(() => generatePassword(spec, randomInt), /no unused symbols left/);
    const dup = parsePasswordSpec({ length: 4, digits: 0, symbols: 2, symbolCharacters: "!!" });
    assert.throws(() => generatePassword(dup, randomInt), /no unused symbols left/);
  });

  test("ESO's defaults: length 24, 25% digits and symbols, its symbol set, key `password`, raw", () => {
    const d = parsePasswordSpec(undefined);
    assert.deepEqual(d, {
      length: 24,
      digits: 6,
      symbols: 6,
      symbolCharacters: "~!@#$%^&*()_+`-={}|[]\\:\"<>?,./",
      noUpper: false,
      allowRepeat: false,
      secretKeys: ["password"],
      encoding: "raw",
    });
    assert.equal(parsePasswordSpec({ length: 0 }).length, 24);
    assert.equal(parsePasswordSpec({ length: -3 }).length, 24);
    assert.deepEqual([parsePasswordSpec({ length: 10 }).digits, parsePasswordSpec({ length: 10 }).symbols], [2, 2]);
    assert.equal(parsePasswordSpec({ length: 10, digits: 0 }).digits, 0);
    assert.equal(parsePasswordSpec({ symbolCharacters: "" }).symbolCharacters, DEFAULT_SYMBOL_CHARACTERS);
  });

  test("invalid specs are refused naming the field", () => {
    assert.throws(() => parsePasswordSpec({ digits: -1 }), /spec\.digits must not be negative/);
    assert.throws(() => parsePasswordSpec({ length: "24" }), /spec\.length must be an integer/);
    assert.throws(() => parsePasswordSpec({ length: 100_000 }), /spec\.length must be at most 1024/);
    assert.throws(() => parsePasswordSpec({ symbolCharacters: "é" }), /symbolCharacters may hold only printable ASCII/);
    assert.throws(() => parsePasswordSpec({ secretKeys: ["a", "a"] }), /secretKeys must be non-empty and unique/);
    assert.throws(() => parsePasswordSpec({ encoding: "rot13" }), /spec\.encoding must be one of/);
  });

  test("secretKeys and encodings as Go encodes them", () => {
    const out = generatePasswords(parsePasswordSpec({ secretKeys: ["a", "b"], length: 12 }), randomInt);
    assert.deepEqual(Object.keys(out), ["a", "b"]);
    assert.notEqual(Buffer.from(out["a"] ?? []).toString(), Buffer.from(out["b"] ?? []).toString());
    assert.equal(base32(Buffer.from("foobar")), "MZXW6YTBOI======");
    assert.equal(base32(Buffer.from("f")), "MY======");
    assert.equal(base32(Buffer.from("fooba")), "MZXW6YTB");
    for (const encoding of ["hex", "base64", "base64url", "base32"] as const) {
      const spec = parsePasswordSpec({ length: 7, digits: 0, symbols: 7, symbolCharacters: "?>~!@#$", encoding });
      const value = Buffer.from(generatePasswords(spec, seeded(3))["password"] ?? []).toString();
      const raw = generatePassword({ ...spec, encoding: "raw" }, seeded(3));
      const expected = {
        hex: Buffer.from(raw).toString("hex"),
        base64: Buffer.from(raw).toString("base64"),
        base64url: Buffer.from(raw).toString("base64url") + "=".repeat((4 - (Buffer.from(raw).toString("base64url").length % 4)) % 4),
        base32: base32(Buffer.from(raw)),
      }[encoding];
      assert.equal(value, expected, encoding);
    }
  });
});

describe("dataFrom[].sourceRef.generatorRef", () => {
  test("parsed with ESO's apiVersion default, beside other entries and rewrite; no store needed", () => {
    const spec = parseExternalSecretSpec({
      dataFrom: [
        { sourceRef: { generatorRef: { kind: "Password", name: "pw" } }, rewrite: [{ regexp: { source: "password", target: "db-password" } }] },
      ],
    });
    assert.deepEqual(spec.dataFrom[0], {
      generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "pw" },
      rewrite: [{ regexp: { source: "password", target: "db-password" } }],
    });
    const mixed = parseExternalSecretSpec({
      secretStoreRef: { name: "aws" },
      dataFrom: [{ extract: { key: "k" } }, { sourceRef: { generatorRef: { apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Password", name: "pw" } } }],
    });
    assert.equal(mixed.dataFrom.length, 2);
  });

  test("misuse is refused naming the field", () => {
    assert.throws(() => parseExternalSecretSpec({ dataFrom: [{ extract: { key: "k" }, sourceRef: { generatorRef: { kind: "Password", name: "pw" } } }] }), /extract does not support sourceRef\.generatorRef/);
    assert.throws(() => parseExternalSecretSpec({ dataFrom: [{ sourceRef: { generatorRef: { kind: "Password" } } }] }), /generatorRef\.name is required/);
    assert.throws(
      () => parseExternalSecretSpec({ secretStoreRef: { name: "s" }, data: [{ secretKey: "x", remoteRef: { key: "k" }, sourceRef: { generatorRef: { kind: "Password", name: "pw" } } }] }),
      /not implemented in data\[\]/,
    );
    assert.throws(() => parseExternalSecretSpec({ dataFrom: [{ sourceRef: { storeRef: { name: "s" }, generatorRef: { kind: "Password", name: "pw" } } }] }), /only one of storeRef and generatorRef/);
  });
});
