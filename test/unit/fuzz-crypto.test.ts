// Fuzz suite, part 2: the decrypt paths — Sealed Secrets values (real kubeseal ciphertexts and our
// own, mutated), scopes, age files (armor, binary, base64; mutated real files), identities, and SOPS
// documents in all three formats (valid files built from our primitives, then mutated), as text and
// as structured objects. Properties and counts: test/support/fuzz.ts.
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from "age-encryption";
import fc from "fast-check";
import { parse } from "yaml";
import { ageFileBytes, ageIdentityKind, decryptAge, encryptAge, parseAgeHeader, parseAgeIdentityFile } from "../../src/crypto/age.ts";
import { parseRsaPrivateKeyPem } from "../../src/crypto/certificate.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import { decodeBase64Strict, sealValue, unsealValue } from "../../src/crypto/sealed.ts";
import { parseScope, requireScopeLabel, scopeFromAnnotations, scopeLabel, SEALING_SCOPES } from "../../src/crypto/scope.ts";
import { decryptSops, decryptSopsObject, parseSopsDocument, SOPS_FORMATS } from "../../src/crypto/sops.ts";
import { CANARY, applyMutations, fuzz, fuzzTotals, mutatedFrom, mutations, structural, structuralText } from "../support/fuzz.ts";
import { sopsDocument } from "../support/sops-document.ts";

const fixtures = fileURLToPath(new URL("../fixtures/kubeseal/", import.meta.url));
const key = parseRsaPrivateKeyPem(readFileSync(`${fixtures}tls.key`));
const label = scopeLabel("strict", "payments", "db-credentials");
const kubesealValues = Object.values((JSON.parse(readFileSync(`${fixtures}sealed-strict.json`, "utf8")) as { spec: { encryptedData: Record<string, string> } }).spec.encryptedData);

/** Base64 and its near misses. */
const base64ish = fc.oneof(fc.constantFrom("A", "Q", "+", "/", "=", "==", "\n", "\r\n", " ", "-", "_", "AAAA", "////"), structural);

after(() => console.log(fuzzTotals()));

describe("fuzz: Sealed Secrets values and scopes", () => {
  const ours = sealValue({ publicKey: key, plaintext: Buffer.from(CANARY), label });
  const values = [...kubesealValues, ours];

  it("unsealValue on mutated real values (text and bytes)", async (t) => {
    const byteMutated = fc.tuple(fc.constantFrom(...values), mutations(fc.string({ maxLength: 4 }))).map(([v, ops]) =>
      Buffer.from(applyMutations(Buffer.from(v, "base64").toString("latin1"), ops), "latin1").toString("base64"),
    );
    const input = fc.oneof(mutatedFrom(values, base64ish), byteMutated, fc.string({ maxLength: 40 }));
    await fuzz(t, "Sealed Secrets unseal", input, (value) => unsealValue({ privateKeys: [key], label, value }).plaintext.length, { runs: 300, allowed: [CryptoError] });
  });

  it("decodeBase64Strict", async (t) => {
    await fuzz(t, "strict base64", fc.oneof(mutatedFrom(values, base64ish), fc.string()), (text) => decodeBase64Strict(text).length, { runs: 500, allowed: [CryptoError] });
  });

  it("scope parsing and labels", async (t) => {
    const scopeText = fc.oneof(fc.constantFrom(...SEALING_SCOPES, "", "Strict", "cluster", "namespace-wide "), fc.string({ maxLength: 30 }), fc.string({ maxLength: 10 }).map((s) => s.repeat(500)));
    const input = fc.tuple(scopeText, fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), fc.dictionary(fc.constantFrom("sealedsecrets.bitnami.com/cluster-wide", "sealedsecrets.bitnami.com/namespace-wide", "x"), fc.constantFrom("true", "false", "", "TRUE")));
    await fuzz(
      t,
      "scopes",
      input,
      ([text, namespace, name, annotations]) => {
        scopeFromAnnotations(annotations);
        return requireScopeLabel(parseScope(text), namespace, name).length;
      },
      { runs: 800, allowed: [CryptoError], canary: false, maxMessage: 200 },
    );
  });
});

describe("fuzz: age files and identities", () => {
  let x25519 = "";
  let pq = "";
  const files: string[] = [];
  before(async () => {
    x25519 = await generateX25519Identity();
    pq = await generateHybridIdentity();
    const recipients = [await identityToRecipient(x25519), await identityToRecipient(pq)];
    for (const r of [[recipients[0] ?? ""], recipients]) {
      const armored = (await encryptAge({ recipients: r, plaintext: Buffer.from(CANARY) })) as string;
      const binary = (await encryptAge({ recipients: r, plaintext: Buffer.from(CANARY), armored: false })) as Uint8Array;
      files.push(armored, Buffer.from(binary).toString("base64"), Buffer.from(binary).toString("latin1"));
    }
  });

  it("decryptAge on mutated real files (armor, base64, binary)", async (t) => {
    // Bases are made in before(): build the arbitrary lazily.
    const stanzas = fc.constantFrom("-> X25519 ", "-> scrypt ", "--- ", "age-encryption.org/v1\n");
    const input = fc.constant(null).chain(() => fc.oneof(mutatedFrom(files, fc.oneof(base64ish, stanzas)), structuralText));
    await fuzz(
      t,
      "age decrypt",
      input,
      async (file) => {
        // Binary files travel as latin1 strings here; give them back as bytes half of the time.
        const asBytes = file.startsWith("age-encryption.org/") ? Buffer.from(file, "latin1") : file;
        return (await decryptAge({ file: asBytes, identities: [x25519, pq] })).plaintext.length;
      },
      { runs: 250, allowed: [CryptoError] },
    );
  });

  it("ageFileBytes and parseAgeHeader", async (t) => {
    const input = fc.constant(null).chain(() => fc.oneof(mutatedFrom(files, base64ish), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1"))));
    await fuzz(t, "age framing and header", input, (file) => parseAgeHeader(ageFileBytes(Buffer.from(file, "latin1"))).stanzas.length, { runs: 500, allowed: [CryptoError] });
  });

  it("identity files and identities never echo a key", async (t) => {
    const identityish = fc.constant(null).chain(() =>
      fc.oneof(mutatedFrom([x25519, pq, `# created\n${x25519}\n`, `AGE-SECRET-KEY-1${CANARY}`], fc.constantFrom("1", "Q", "\n", "#", " ", "-", CANARY)), fc.string()),
    );
    await fuzz(
      t,
      "age identities",
      identityish,
      (text) => {
        const parsed = parseAgeIdentityFile(text);
        for (const p of parsed.problems) if (p.includes(CANARY) || p.includes("AGE-SECRET-KEY-1")) throw new Error("a problem quotes the identity");
        return ageIdentityKind(text);
      },
      { runs: 500, allowed: [CryptoError] },
    );
  });
});

describe("fuzz: SOPS documents", () => {
  let identity = "";
  const documents: string[] = [];
  const objects: Record<string, unknown>[] = [];
  before(async () => {
    identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    for (const format of SOPS_FORMATS) {
      const values =
        format === "dotenv" ? { PASSWORD: CANARY, NOTE_unencrypted: "clear" } : { password: CANARY, db: { user: CANARY, port: "5432" }, note_unencrypted: "clear" };
      documents.push(await sopsDocument({ values, recipients: [recipient], format }));
    }
    objects.push(parse(documents[0] ?? "") as Record<string, unknown>);
  });
  // Keys are shown in errors by design (paths); the canary only sits in encrypted values.
  const insertion = fc.oneof(fc.constantFrom("ENC[AES256_GCM,data:", ",iv:", ",tag:", ",type:str]", ",type:int]", "sops_", "__map_", "__list_", "__list_99999999", "__proto__", "mac_only_encrypted: true\n", "encrypted_regex: (a+)+$\n", "unencrypted_suffix: \n"), structural.filter((s) => s !== CANARY));

  it("decryptSops on mutated valid documents (YAML, JSON, dotenv)", async (t) => {
    const input = fc.constant(null).chain(() => fc.tuple(mutatedFrom(documents, insertion), fc.constantFrom<"yaml" | "json" | "dotenv" | undefined>(undefined, "yaml", "json", "dotenv")));
    await fuzz(
      t,
      "SOPS decrypt",
      input,
      async ([document, format]) => (await decryptSops({ document, identities: [identity], ...(format ? { format } : {}) })).branches.length,
      { runs: 400, allowed: [CryptoError] },
    );
  });

  it("parseSopsDocument on random text", async (t) => {
    const input = fc.tuple(structuralText.filter((s) => !s.includes(CANARY)), fc.constantFrom(...SOPS_FORMATS));
    await fuzz(t, "SOPS parse", input, ([text, format]) => parseSopsDocument(text, format).branches.length, { runs: 600, allowed: [CryptoError] });
  });

  it("decryptSopsObject on mutated structured documents", async (t) => {
    const replacement = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.integer({ min: 1, max: 20_000 }).map((n) => {
      let v: unknown = "x";
      for (let i = 0; i < n; i++) v = { k: v };
      return v;
    }));
    const input = fc.constant(null).chain(() =>
      fc.tuple(fc.constantFrom(...objects), fc.array(fc.tuple(fc.integer({ min: 0, max: 999_999 }).map((n) => n / 1_000_000), replacement), { minLength: 1, maxLength: 3 })).map(([base, edits]) => {
        const copy = structuredClone(base);
        for (const [at, value] of edits) {
          const slots: [Record<string, unknown>, string][] = [];
          const stack: unknown[] = [copy];
          while (stack.length > 0) {
            const node = stack.pop();
            if (typeof node !== "object" || node === null) continue;
            for (const [k, v] of Object.entries(node)) {
              slots.push([node as Record<string, unknown>, k]);
              stack.push(v);
            }
          }
          const slot = slots[Math.floor(at * slots.length)];
          if (slot !== undefined) slot[0][slot[1]] = value;
        }
        return copy;
      }),
    );
    await fuzz(t, "SOPS structured decrypt", input, async (object) => (await decryptSopsObject(object, [identity])).branches.length, { runs: 300, allowed: [CryptoError] });
  });
});
