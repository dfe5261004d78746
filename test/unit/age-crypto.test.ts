// age helpers and per-scope identities: round trips, known answers, and every bad-input reason.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { Encrypter, armor, generateHybridIdentity, generateX25519Identity, identityToRecipient, type Stanza } from "age-encryption";
import {
  ageFileBytes,
  ageIdentityKind,
  ageRecipientFingerprint,
  ageRecipientKind,
  ageRecipientOf,
  decryptAge,
  encryptAge,
  parseAgeHeader,
  parseAgeIdentityFile,
} from "../../src/crypto/age.ts";
import { deriveScopeIdentity, scopeRecipient } from "../../src/crypto/age-scope.ts";
import { bech32Decode, bech32Encode } from "../../src/crypto/bech32.ts";
import { CryptoError } from "../../src/crypto/errors.ts";

async function rejectsWith(p: Promise<unknown>, reason: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CryptoError, `expected CryptoError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

function throwsWith(fn: () => unknown, reason: string): void {
  assert.throws(fn, (err: unknown) => err instanceof CryptoError && err.reason === reason);
}

describe("age files", () => {
  it("round-trips random values to mixed X25519 and post-quantum recipients, armored and binary", async () => {
    const x = await generateX25519Identity();
    const pq = await generateHybridIdentity();
    const recipients = [await ageRecipientOf(x), await ageRecipientOf(pq)];
    for (const size of [0, 1, 100, 64 * 1024 + 3]) {
      const plaintext = randomBytes(size);
      const armored = await encryptAge({ recipients, plaintext });
      assert.equal(typeof armored, "string");
      const binary = await encryptAge({ recipients, plaintext, armored: false });
      for (const [file, identity, index] of [
        [armored, x, 0],
        [armored, pq, 0],
        [binary, pq, 0],
        [Buffer.from(binary as Uint8Array).toString("base64"), x, 0],
      ] as const) {
        const out = await decryptAge({ file, identities: [identity] });
        assert.deepEqual(Buffer.from(out.plaintext), plaintext);
        assert.equal(out.identityIndex, index);
      }
      // The identity that opened it is reported.
      const other = await generateX25519Identity();
      assert.equal((await decryptAge({ file: armored, identities: [other, pq] })).identityIndex, 1);
    }
  });

  it("lists stanza types when no identity matches (X25519 stanzas do not name a recipient)", async () => {
    const file = await encryptAge({ recipients: [await ageRecipientOf(await generateX25519Identity())], plaintext: Buffer.from("v") });
    await rejectsWith(decryptAge({ file, identities: [await generateX25519Identity()] }), "AgeNoMatchingIdentity", /\(X25519\)/);
    // A post-quantum identity does not even try X25519 stanzas.
    await rejectsWith(decryptAge({ file, identities: [await generateHybridIdentity()] }), "AgeNoMatchingIdentity", /mlkem768x25519/);
    await rejectsWith(decryptAge({ file, identities: [] }), "AgeNoIdentities");
  });

  it("classifies malformed armor, non-age input, unknown stanzas, scrypt-only files and tampering", async () => {
    const id = await generateX25519Identity();
    const good = String(await encryptAge({ recipients: [await ageRecipientOf(id)], plaintext: Buffer.from("secret") }));
    const lines = good.split("\n");
    // A body line of the wrong length.
    const badArmor = [lines[0], (lines[1] ?? "").slice(0, 60), ...lines.slice(2)].join("\n");
    await rejectsWith(decryptAge({ file: badArmor, identities: [id] }), "AgeMalformedArmor", /line length/);
    await rejectsWith(decryptAge({ file: good.replace("END AGE", "END PGP"), identities: [id] }), "AgeMalformedArmor");
    await rejectsWith(decryptAge({ file: "-----BEGIN PGP MESSAGE-----\nxx\n", identities: [id] }), "AgeMalformedArmor");
    await rejectsWith(decryptAge({ file: "hello, world!", identities: [id] }), "AgeNotAnAgeFile");
    await rejectsWith(decryptAge({ file: Buffer.from("not age at all").toString("base64"), identities: [id] }), "AgeNotAnAgeFile");
    await rejectsWith(decryptAge({ file: "age-encryption.org/v2\n-> X\n", identities: [id] }), "AgeMalformedHeader");

    const custom = new Encrypter();
    custom.addRecipient({ wrapFileKey: (): Stanza[] => [{ args: ["example.com/hsm", "abc"], body: new Uint8Array(32) }] });
    const unknown = await custom.encrypt(Buffer.from("x"));
    await rejectsWith(decryptAge({ file: unknown, identities: [id] }), "AgeUnknownStanzaType", /example\.com\/hsm/);

    const scrypt = new Encrypter();
    scrypt.setPassphrase("correct horse battery staple");
    scrypt.setScryptWorkFactor(2);
    await rejectsWith(decryptAge({ file: armor.encode(await scrypt.encrypt(Buffer.from("x"))), identities: [id] }), "AgeScryptOnly");

    const binary = ageFileBytes(good);
    const { header } = parseAgeHeader(binary);
    const tamperedHeader = Buffer.from(binary);
    tamperedHeader.writeUInt8((tamperedHeader[header.length - 5] ?? 0) ^ 1, header.length - 5); // inside the header MAC
    await rejectsWith(decryptAge({ file: tamperedHeader, identities: [id] }), "AgeHeaderMacMismatch");
    const tamperedPayload = Buffer.from(binary);
    tamperedPayload.writeUInt8((tamperedPayload[tamperedPayload.length - 1] ?? 0) ^ 1, tamperedPayload.length - 1);
    await rejectsWith(decryptAge({ file: tamperedPayload, identities: [id] }), "AgePayloadCorrupt");
    await rejectsWith(decryptAge({ file: binary.subarray(0, header.length + 10), identities: [id] }), "AgePayloadCorrupt");
    assert.throws(() => ageFileBytes(good, 100), (e: unknown) => e instanceof CryptoError && e.reason === "AgeFileTooLarge");
  });

  it("validates identities and recipients without quoting identities", async () => {
    const id = await generateX25519Identity();
    assert.equal(ageIdentityKind(id), "x25519");
    assert.equal(ageIdentityKind(await generateHybridIdentity()), "pq");
    const broken = id.slice(0, -1) + (id.endsWith("Q") ? "P" : "Q");
    assert.throws(() => ageIdentityKind(broken), (e: unknown) => e instanceof CryptoError && e.reason === "AgeInvalidIdentity" && !e.message.includes(broken));
    throwsWith(() => ageRecipientKind("age1notarecipient"), "AgeInvalidRecipient");
    throwsWith(() => ageRecipientKind("ssh-ed25519 AAAA"), "AgeInvalidRecipient");
    assert.equal(ageRecipientKind(await ageRecipientOf(await generateHybridIdentity())), "pq");
    const fp = ageRecipientFingerprint("age1abc");
    assert.match(fp, /^[0-9a-f]{16}$/);
    assert.equal(fp, ageRecipientFingerprint(" age1abc\n"));
  });

  it("reads identity files as age-keygen writes them, reporting bad lines by number only", async () => {
    const id = await generateX25519Identity();
    const file = `# created: 2026-01-01T00:00:00Z\n# public key: ${await ageRecipientOf(id)}\n${id}\n\nnot-a-key\n`;
    const parsed = parseAgeIdentityFile(file);
    assert.deepEqual(parsed.identities, [id]);
    assert.deepEqual(parsed.problems, ["line 5 is not an age identity"]);
    assert.deepEqual(parseAgeIdentityFile("# only comments\n").problems, ["no identity in it"]);
  });

  it("Bech32 round-trips and matches typage's encoding", async () => {
    const id = await generateX25519Identity();
    const decoded = bech32Decode(id);
    assert.ok(decoded);
    assert.equal(bech32Encode("AGE-SECRET-KEY-", decoded.bytes), id);
    assert.equal(bech32Decode(id.toLowerCase())?.hrp, "age-secret-key-");
    assert.equal(bech32Decode(id.slice(0, -1) + "x"), undefined);
  });
});

describe("per-scope age identities", () => {
  // Known answers, checked independently: the HKDF/Bech32 in Python (hmac + hashlib) and the
  // recipient with the real `age-keygen -y`.
  const masterX = bech32Encode("AGE-SECRET-KEY-", new Uint8Array(32).fill(1));
  const masterPq = bech32Encode("AGE-SECRET-KEY-PQ-", new Uint8Array(32).fill(2));

  it("derives the known identities and recipients for each scope", async () => {
    assert.equal(masterX, "AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZ9K4CN");
    const cases = [
      [{ scope: "strict", namespace: "ns-a", name: "db" }, "AGE-SECRET-KEY-1QF7J6ZTSA82DRAVX2YAJADNH5A5PYACV72CZ66ARESE8P05UDZAQA9YNU4", "age1lus426p2mf9nm3uxur89mjshmhaww2nywq5xh9vtsn0m0k49w9as86jxzv"],
      [{ scope: "namespace-wide", namespace: "ns-a", name: "" }, "AGE-SECRET-KEY-13Y956DQ73D5TKLGC0EACVVW7F95Z886XGJ0Q4XFM07P3NURTW06QRYWMSH", "age1hlnptym65uyurpac645k4mmqtue9fw5k8t4x2sep0ppahassf4mqk0frsg"],
      [{ scope: "cluster-wide", namespace: "", name: "" }, "AGE-SECRET-KEY-1CQU3QWV3WKTQ34X29XK5STV0HCV2MCPUZTUDDHN507WA390MH6PQUH6H04", "age1js3v0mspn64lm55p3nhr2cnnlyrhqg2cjxsuz0eav46rgv3jr5wsvffenw"],
    ] as const;
    for (const [ref, identity, recipient] of cases) {
      assert.equal(deriveScopeIdentity(masterX, ref), identity);
      assert.equal(await scopeRecipient(masterX, ref), recipient);
    }
    const pq = deriveScopeIdentity(masterPq, { scope: "strict", namespace: "ns-a", name: "db" });
    assert.equal(pq, "AGE-SECRET-KEY-PQ-1LQHY9UA87C5JCD03FH2QZWQPD6R8GNMVGZTX509RDVD69PJVNRGSF3989E");
    assert.ok((await identityToRecipient(pq)).startsWith("age1pq1yzuxuzs2h6fa58z4zywcce92d83ze47zt"));
  });

  it("a value sealed for one scope opens only with that scope's identity", async () => {
    for (const master of [await generateX25519Identity(), await generateHybridIdentity()]) {
      const a = { scope: "strict", namespace: "team-a", name: "db" } as const;
      const others = [
        { scope: "strict", namespace: "team-b", name: "db" },
        { scope: "strict", namespace: "team-a", name: "db2" },
        { scope: "namespace-wide", namespace: "team-a", name: "" },
        { scope: "cluster-wide", namespace: "", name: "" },
      ] as const;
      const file = await encryptAge({ recipients: [await scopeRecipient(master, a)], plaintext: Buffer.from("pw") });
      assert.equal(Buffer.from((await decryptAge({ file, identities: [deriveScopeIdentity(master, a)] })).plaintext).toString(), "pw");
      await rejectsWith(decryptAge({ file, identities: [master] }), "AgeNoMatchingIdentity");
      for (const ref of others) {
        await rejectsWith(decryptAge({ file, identities: [deriveScopeIdentity(master, ref)] }), "AgeNoMatchingIdentity");
      }
    }
  });

  it("is deterministic and refuses scopes without their namespace or name", () => {
    const master = masterX;
    const ref = { scope: "namespace-wide", namespace: "x", name: "ignored" } as const;
    assert.equal(deriveScopeIdentity(master, ref), deriveScopeIdentity(master, { ...ref, name: "other" }));
    throwsWith(() => deriveScopeIdentity(master, { scope: "strict", namespace: "x", name: "" }), "MissingName");
    throwsWith(() => deriveScopeIdentity(master, { scope: "namespace-wide", namespace: "", name: "" }), "MissingNamespace");
    throwsWith(() => deriveScopeIdentity("AGE-SECRET-KEY-1NOPE", ref), "AgeInvalidIdentity");
  });
});
