// Fuzz suite, part 1: the bounded YAML/JSON parser, the manifest parsers of src/api, the Go-duration
// parser, kubeseal's flag parser, the CLI's manifest reader and the HTTP API's body handling, on
// random and mutated inputs (see test/support/fuzz.ts for the properties and the counts printed).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { parse } from "yaml";
import { parseAgeSecret } from "../../src/api/age-secret.ts";
import { BoundedParseError, measureYaml, parseJsonOrYaml, parseLimits, parseYamlDocuments, prescanYaml, yamlDocumentToJs } from "../../src/api/bounded-parse.ts";
import { SpecError } from "../../src/api/eso-fields.ts";
import { parseExternalSecretSpec } from "../../src/api/external-secret.ts";
import { DurationError, parseGoDuration } from "../../src/api/go-duration.ts";
import { ManifestError, parseSealedSecret } from "../../src/api/sealed-secret.ts";
import { parseSecretStoreSpec } from "../../src/api/secret-store.ts";
import { parseSopsSecret } from "../../src/api/sops-secret.ts";
import { CliError } from "../../src/cli/io.ts";
import { parseSealFlags } from "../../src/cli/kubeseal-flags.ts";
import { parseManifestStream } from "../../src/cli/manifests.ts";
import { parseSecretManifest } from "../../src/cli/secret-manifest.ts";
import type { RsaPool } from "../../src/controller/keys/rsa-pool.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import { SealingApi } from "../../src/controller/sealed-secret/sealing-api.ts";
import { CANARY, fuzz, fuzzTotals, mutatedFrom, structural, structuralText } from "../support/fuzz.ts";

const fixtures = fileURLToPath(new URL("../fixtures/", import.meta.url));
const readFixture = (path: string): string => readFileSync(fixtures + path, "utf8");
const docsExamples = ["eso", "sealed-secrets"].flatMap((d) => readdirSync(`${fixtures}docs-examples/${d}`).map((f) => readFixture(`docs-examples/${d}/${f}`)));

const sealedJson = JSON.parse(readFixture("kubeseal/sealed-strict.json")) as Record<string, unknown>;
/** A SealedSecret with the canary where secrets and user text go. */
const sealedWithCanary = {
  ...sealedJson,
  metadata: { name: "db-credentials", namespace: "payments", annotations: { note: CANARY } },
  spec: { ...(sealedJson["spec"] as object), template: { metadata: { labels: { a: "b" } }, data: { dsn: `{{ .password }}${CANARY}` } } },
};
const sealedYaml = `apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: a\n  namespace: b\n  annotations:\n    note: &n "${CANARY}"\n    again: *n\nspec:\n  encryptedData:\n    password: AgB${CANARY}==\n  template:\n    data:\n      dsn: |\n        {{ .password }} ${CANARY} [[[ {{{\n`;
const yamlBases = [...docsExamples, sealedYaml, readFixture("kubeseal/secret.yaml")];
const jsonBases = [JSON.stringify(sealedWithCanary, null, 2), readFixture("kubeseal/sealed-cluster-wide.json")];

after(() => console.log(fuzzTotals()));

describe("fuzz: bounded YAML and JSON parsing", () => {
  const yamlInput = fc.oneof({ weight: 3, arbitrary: mutatedFrom(yamlBases, structural) }, { weight: 2, arbitrary: structuralText });

  it("YAML: random and mutated documents get values or a BoundedParseError", async (t) => {
    await fuzz(
      t,
      "bounded YAML",
      yamlInput,
      (text) => {
        for (const doc of parseYamlDocuments(text, { yaml: { uniqueKeys: true } })) yamlDocumentToJs(doc);
      },
      { runs: 600, allowed: [BoundedParseError] },
    );
  });

  it("JSON: random and mutated documents get values or a BoundedParseError", async (t) => {
    const json = fc.oneof(mutatedFrom(jsonBases, structural), fc.json({ maxDepth: 4 }), structuralText);
    await fuzz(t, "bounded JSON", json, (text) => parseJsonOrYaml(text), { runs: 400, allowed: [BoundedParseError] });
  });

  it("the pre-scan never counts more than the exact walk (it refuses only what parsing would)", async (t) => {
    let checked = 0;
    await fuzz(
      t,
      "pre-scan from below",
      fc.oneof(yamlInput, fc.anything().map((v) => { try { return JSON.stringify(v) ?? ""; } catch { return ""; } })),
      (text) => {
        if (text.length > 40_000) return;
        let exact;
        try {
          exact = measureYaml(text);
        } catch {
          return; // not valid YAML: nothing to compare
        }
        checked++;
        const limits = parseLimits({ maxDepth: exact.depth, maxNodes: exact.nodes, maxAliases: exact.aliases, maxTokens: Infinity, maxBytes: Infinity });
        prescanYaml(text, limits); // any throw fails: nothing is allowed here
      },
      { runs: 500, allowed: [] },
    );
    t.diagnostic(`pre-scan compared with the exact walk on ${checked} valid documents`);
    assert.ok(checked > 0);
  });
});

/** Replaces, in place, the value at one path of a JSON-like object (by a fraction of its paths). */
function replaceAt(copy: unknown, at: number, value: unknown): unknown {
  const slots: [Record<string, unknown> | unknown[], string | number][] = [];
  const stack: unknown[] = [copy];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    for (const [k, v] of Object.entries(node)) {
      slots.push([node as Record<string, unknown>, Array.isArray(node) ? Number(k) : k]);
      stack.push(v);
    }
  }
  const slot = slots[Math.floor(at * slots.length)];
  if (slot === undefined) return value;
  (slot[0] as Record<string | number, unknown>)[slot[1]] = value;
  return copy;
}

function nested(depth: number): unknown {
  let v: unknown = CANARY;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

// Fresh objects for every insertion: a shared one could be inserted into itself (a cycle).
const replacement = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(CANARY),
  fc.constant(null).map(() => ({ [CANARY.slice(0, 3)]: CANARY })),
  fc.integer({ min: 1, max: 20_000 }).map(nested),
  fc.constantFrom<unknown>(null, "", 0, -1, 1e308, true, [], {}, "SealedSecret", "bitnami.com/v1alpha1").map((v) => structuredClone(v)),
);

function mutatedObject(bases: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.constantFrom(...bases), fc.array(fc.tuple(fc.integer({ min: 0, max: 999_999 }).map((n) => n / 1_000_000), replacement), { minLength: 1, maxLength: 4 }))
    .map(([base, edits]) => edits.reduce<unknown>((obj, [at, value]) => replaceAt(obj, at, value), structuredClone(base)));
}

describe("fuzz: manifest parsers (src/api)", () => {
  const ageBase = { ...sealedWithCanary, apiVersion: "sealbridge.dev/v1alpha1", kind: "AgeSecret" };
  const sopsBase = {
    apiVersion: "sealbridge.dev/v1alpha1",
    kind: "SopsSecret",
    metadata: { name: "db", namespace: "team-a" },
    spec: { document: `password: ENC[AES256_GCM,data:${CANARY},iv:x,tag:y,type:str]\n`, format: "yaml", identitySecretRefs: [{ name: "sops-age" }], template: { type: "Opaque" } },
  };
  const sopsStructured = { apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name: "db" }, spec: { stringData: { password: CANARY } }, sops: { age: [], mac: "x" } };
  const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }));

  const manifestInput = fc.oneof(mutatedObject([sealedWithCanary, ageBase, sopsBase, sopsStructured]), anyJson);
  const manifestParsers: [string, (v: unknown) => unknown][] = [
    ["parseSealedSecret", (v) => parseSealedSecret(v)],
    ["parseAgeSecret", (v) => parseAgeSecret(v)],
    ["parseSopsSecret", (v) => parseSopsSecret(v)],
    ["the CLI's parseSecretManifest", (v) => parseSecretManifest(v, "input")],
  ];
  for (const [name, parseOne] of manifestParsers) {
    it(name, async (t) => {
      await fuzz(t, name, manifestInput, parseOne, { runs: 400, allowed: [ManifestError] });
    });
  }

  it("ExternalSecret and SecretStore specs", async (t) => {
    const specs = docsExamples.flatMap((text) => {
      try {
        return [(parse(text) as { spec?: unknown }).spec].filter((s) => s !== undefined);
      } catch {
        return [];
      }
    });
    await fuzz(
      t,
      "ExternalSecret/SecretStore specs",
      fc.oneof(mutatedObject(specs), anyJson),
      (spec) => {
        // Both parsers on each spec: a failure of the first must not hide the second.
        let failure: Error | undefined;
        for (const parseOne of [parseExternalSecretSpec, parseSecretStoreSpec]) {
          try {
            parseOne(spec);
          } catch (err) {
            failure = err instanceof Error ? err : new Error(String(err));
          }
        }
        if (failure !== undefined) throw failure;
      },
      { runs: 600, allowed: [SpecError], canary: false, maxMessage: 2000 },
    );
  });
});

describe("fuzz: Go durations, kubeseal flags, CLI manifests, HTTP API bodies", () => {
  it("parseGoDuration", async (t) => {
    const durationText = fc.oneof(
      fc.array(fc.constantFrom("0", "1", "9", ".", "-", "+", "h", "m", "s", "ms", "us", "µs", "μs", "ns", "x", " ", "9".repeat(30), "e5"), { maxLength: 20 }).map((a) => a.join("")),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40 }).map((s) => s.repeat(200)),
    );
    await fuzz(t, "Go duration", durationText, (text) => parseGoDuration(text), { runs: 1000, allowed: [DurationError], canary: false, maxMessage: 300 });
  });

  it("kubeseal's flag parser", async (t) => {
    const flagNames = ["cert", "format", "o", "w", "f", "fetch-cert", "validate", "raw", "name", "from-file", "scope", "re-encrypt", "recovery-unseal", "recovery-private-key", "age", "recipient", "namespace", "n", "token", "request-timeout", "password", "as", "bogus", "allow-empty-data"];
    const arg = fc.oneof(
      fc.constantFrom(...flagNames).map((f) => (f.length === 1 ? `-${f}` : `--${f}`)),
      fc.tuple(fc.constantFrom(...flagNames), fc.string({ maxLength: 10 })).map(([f, v]) => (f.length === 1 ? `-${f}${v}` : `--${f}=${v}`)),
      fc.constantFrom("--token", `--token=${CANARY}`, CANARY, "--password", "--", "-", "true", "false", "yaml", "json", "strict", "cluster-wide", "1m30s", "5x", ""),
      fc.string({ maxLength: 12 }),
    );
    const env = fc.dictionary(
      fc.constantFrom("SEALED_SECRETS_FORMAT", "SEALED_SECRETS_SCOPE", "SEALED_SECRETS_TOKEN", "SEALED_SECRETS_RAW", "SEALED_SECRETS_REQUEST_TIMEOUT", "SEALED_SECRETS_FROM_FILE", "SEALED_SECRETS_RECIPIENT"),
      fc.oneof(fc.string({ maxLength: 10 }), fc.constant(CANARY)),
    );
    // The canary is a token: a flag whose value may legitimately be echoed (a scope, a format) never gets it.
    const argv = fc.array(arg, { maxLength: 8 }).map((args) => args.filter((a, i) => a !== CANARY || args[i - 1] === "--token" || args[i - 1] === "--password"));
    const safeEnv = env.map((e) => Object.fromEntries(Object.entries(e).filter(([k, v]) => v !== CANARY || k === "SEALED_SECRETS_TOKEN")));
    await fuzz(t, "kubeseal flags", fc.tuple(argv, safeEnv), ([args, environment]) => parseSealFlags(args, environment), { runs: 1000, allowed: [CliError, CryptoError], maxMessage: 400 });
  });

  it("the CLI's manifest streams", async (t) => {
    const input = fc.oneof(mutatedFrom([...yamlBases, ...jsonBases, jsonBases.join("\n")], structural), structuralText);
    await fuzz(t, "CLI manifest streams", input, (text) => parseManifestStream(Buffer.from(text), "input").length, { runs: 500, allowed: [CliError] });
  });

  it("POST /v1/verify and /v1/rotate answer every body, 400 for what does not parse", async (t) => {
    const pool = { open: () => Promise.reject(new Error("no keys: the pool is not reached")) } as unknown as RsaPool;
    const api = new SealingApi({ keyring: () => ({ keys: [], problems: [] }), pool });
    const input = fc.oneof(mutatedFrom([...yamlBases, ...jsonBases], structural), structuralText);
    await fuzz(
      t,
      "HTTP API bodies",
      input,
      async (body) => {
        for (const answer of [await api.verify(Buffer.from(body)), await api.rotate(Buffer.from(body))]) {
          // 200: a manifest that parses but holds no encryptedData values has nothing that fails to open.
          assert.ok([200, 400, 409, 500].includes(answer.status), `status ${answer.status}`);
          if (answer.status === 500) assert.match(answer.body, /no usable sealing key/);
          assert.ok(!answer.body.includes(CANARY), "the answer quotes the secret");
        }
      },
      { runs: 400, allowed: [] },
    );
  });
});
