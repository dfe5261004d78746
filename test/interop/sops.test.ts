// sealbridge's SOPS decryption against the real sops binary (built from its Go module, cached):
// files sops encrypts to one or several age recipients (X25519 and post-quantum), with each
// encrypted_*/unencrypted_* rule and mac_only_encrypted, in YAML, JSON and dotenv, decrypt to what
// `sops --decrypt` prints, with the MAC verified; tampering, missing metadata, wrong identities and
// oversized documents fail with their own reasons.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateHybridIdentity, generateX25519Identity } from "age-encryption";
import { parse } from "yaml";
import { ageRecipientOf, decryptAge, encryptAge } from "../../src/crypto/age.ts";
import { CryptoError } from "../../src/crypto/errors.ts";
import { decryptSops, decryptSopsObject, parseSopsDocument, type SopsFormat, type SopsMap, type SopsValue } from "../../src/crypto/sops.ts";
import { ensureTool } from "../support/tools.ts";

let sops = "";
let dir = "";
const ids: { x1: string; x2: string; pq: string } = { x1: "", x2: "", pq: "" };
const rcp: { x1: string; x2: string; pq: string } = { x1: "", x2: "", pq: "" };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function runSops(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolveResult) => {
    execFile(sops, args, { cwd: dir, env: { PATH: process.env["PATH"] ?? "", HOME: dir, ...env }, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolveResult({ code, stdout, stderr });
    });
  });
}

const SECRET_YAML = `apiVersion: v1
kind: Secret
metadata:
  name: db
  labels:
    app: api
type: Opaque
stringData:
  password: "hunter2: with colon"
  port: 5432
  ratio: 1.50
  big: 1234567890123456789
  enabled: true
  empty: ""
  nothing: null
  multiline: |
    line one
    line two
  list:
    - a
    - 7
  user_unencrypted: admin
  api_secret: s3cr3t
data:
  blob: AAECAw==
`;

/** Encrypts `plain` (written as `name`) with sops and the given flags; returns the encrypted text. */
async function encrypt(name: string, plain: string, flags: string[]): Promise<string> {
  await writeFile(join(dir, name), plain);
  const r = await runSops(["--encrypt", ...flags, name]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** What `sops --decrypt` prints, parsed (YAML/JSON) or as dotenv pairs. */
async function sopsDecrypt(name: string, encrypted: string, format: SopsFormat, identity: string): Promise<unknown> {
  await writeFile(join(dir, `enc-${name}`), encrypted);
  const r = await runSops(["--decrypt", "--input-type", format, "--output-type", format, `enc-${name}`], { SOPS_AGE_KEY: identity });
  assert.equal(r.code, 0, r.stderr);
  if (format === "dotenv") return Object.fromEntries(r.stdout.trim().split("\n").filter((l) => !l.startsWith("#")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  return parse(r.stdout, { intAsBigInt: true });
}

/** Our decrypted tree in the shape `yaml`/JSON parsing gives for sops' output. */
function plain(value: SopsValue): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CryptoError, String(err));
    return err.reason;
  }
  return "none";
}

before(async () => {
  sops = await ensureTool("sops");
  dir = await mkdtemp(join(tmpdir(), "sealbridge-sops-"));
  ids.x1 = await generateX25519Identity();
  ids.x2 = await generateX25519Identity();
  ids.pq = await generateHybridIdentity();
  rcp.x1 = await ageRecipientOf(ids.x1);
  rcp.x2 = await ageRecipientOf(ids.x2);
  rcp.pq = await ageRecipientOf(ids.pq);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sops interop", () => {
  it("reports its version", async () => {
    const r = await runSops(["--version", "--disable-version-check"]);
    process.stderr.write(`# ${r.stdout.split("\n")[0] ?? ""}\n`);
    assert.match(r.stdout, /sops 3\./);
  });

  const rules: [string, string[]][] = [
    ["default rules (everything but *_unencrypted)", []],
    ["encrypted_regex", ["--encrypted-regex", "^(data|stringData)$"]],
    ["encrypted_suffix", ["--encrypted-suffix", "_secret"]],
    ["unencrypted_suffix", ["--unencrypted-suffix", "_unencrypted"]],
    ["unencrypted_regex", ["--unencrypted-regex", "^(apiVersion|kind|metadata|type)$"]],
    ["mac_only_encrypted with encrypted_regex", ["--encrypted-regex", "^(data|stringData)$", "--mac-only-encrypted"]],
    ["mac_only_encrypted alone", ["--mac-only-encrypted"]],
  ];
  for (const [title, flags] of rules) {
    it(`YAML, ${title}: our decryption equals sops --decrypt, MAC verified`, async () => {
      const name = `rule-${rules.findIndex((r) => r[0] === title)}.yaml`;
      const encrypted = await encrypt(name, SECRET_YAML, ["--age", rcp.x1, ...flags]);
      const ours = await decryptSops({ document: encrypted, identities: [ids.x1] });
      assert.deepEqual(ours.mac, { status: "Verified" });
      assert.equal(ours.format, "yaml");
      assert.deepEqual(plain(ours.branches[0] ?? new Map()), await sopsDecrypt(name, encrypted, "yaml", ids.x1));
    });
  }

  it("several recipients, X25519 and post-quantum (sops uses filippo.io/age 1.3): each identity alone decrypts", async () => {
    const encrypted = await encrypt("multi.yaml", SECRET_YAML, ["--age", `${rcp.x1},${rcp.x2},${rcp.pq}`]);
    assert.match(encrypted, /recipient: age1pq1/);
    const expected = await sopsDecrypt("multi.yaml", encrypted, "yaml", ids.pq);
    for (const [i, id] of [ids.x1, ids.x2, ids.pq].entries()) {
      const ours = await decryptSops({ document: encrypted, identities: [id] });
      assert.deepEqual(plain(ours.branches[0] ?? new Map()), expected, `identity ${i}`);
      assert.deepEqual(ours.recipients, [rcp.x1, rcp.x2, rcp.pq]);
    }
  });

  it("a post-quantum data-key stanza written by sealbridge opens in sops (filippo.io/age 1.3)", async () => {
    const encrypted = await encrypt("ours-pq.yaml", SECRET_YAML, ["--age", rcp.x1]);
    const parsed = parseSopsDocument(encrypted);
    const entry = parsed.metadata.age[0];
    assert.ok(entry);
    const dataKey = (await decryptAge({ file: entry.enc, identities: [ids.x1] })).plaintext;
    const ourEnc = String(await encryptAge({ recipients: [rcp.pq], plaintext: dataKey }));
    // Swap the recipient entry for one sealbridge wrote, to the post-quantum recipient.
    const indentedEnc = ourEnc.trimEnd().split("\n").map((l) => `            ${l}`).join("\n");
    const swapped = encrypted.replace(/- enc: \|\n(?: {12}.*\n)+ {10}recipient: age1\S+/, `- enc: |\n${indentedEnc}\n          recipient: ${rcp.pq}`);
    assert.notEqual(swapped, encrypted);
    const fromSops = await sopsDecrypt("ours-pq.yaml", swapped, "yaml", ids.pq);
    assert.equal((fromSops as { stringData: { password: string } }).stringData.password, "hunter2: with colon");
    const ours = await decryptSops({ document: swapped, identities: [ids.pq] });
    assert.deepEqual(plain(ours.branches[0] ?? new Map()), fromSops);
  });

  it("JSON and dotenv documents", async () => {
    const json = JSON.stringify({ "10": "integer-like key stays in place", user: "u", password: "p", nested: { n: 1.25, b: false }, list: [1, "two"] }, null, 2);
    const encJson = await encrypt("s.json", json, ["--age", rcp.x1]);
    const ours = await decryptSops({ document: encJson, identities: [ids.x1] });
    assert.equal(ours.format, "json");
    assert.deepEqual(ours.mac, { status: "Verified" });
    assert.deepEqual(plain(ours.branches[0] ?? new Map()), await sopsDecrypt("s.json", encJson, "json", ids.x1));
    assert.deepEqual([...(ours.branches[0]?.keys() ?? [])], ["10", "user", "password", "nested", "list"]);

    const env = "DB_USER=admin\nDB_PASSWORD=p@ss=word\nMULTI=a\\nb\n# a comment\nEMPTY=\n";
    const encEnv = await encrypt("s.env", env, ["--age", `${rcp.x1},${rcp.x2}`]);
    const oursEnv = await decryptSops({ document: encEnv, identities: [ids.x2] });
    assert.equal(oursEnv.format, "dotenv");
    assert.deepEqual(oursEnv.mac, { status: "Verified" });
    const theirs = (await sopsDecrypt("s.env", encEnv, "dotenv", ids.x2)) as Record<string, string>;
    const mine = Object.fromEntries([...(oursEnv.branches[0] ?? new Map<string, SopsValue>())].map(([k, v]) => [k, (typeof v === "string" ? v : "").replaceAll("\n", "\\n")]));
    assert.deepEqual(mine, theirs);
  });

  it("multi-document YAML: metadata in the first document, every document decrypted", async () => {
    const enc = await encrypt("multi-doc.yaml", "a: 1\nb: two\n---\nc: three\n", ["--age", rcp.x1]);
    const ours = await decryptSops({ document: enc, identities: [ids.x1] });
    assert.equal(ours.branches.length, 2);
    assert.equal(ours.branches[1]?.get("c"), "three");
  });

  it("tampering gives the MAC-mismatch reason: a changed unencrypted value, a changed ciphertext, swapped values", async () => {
    const enc = await encrypt("tamper.yaml", SECRET_YAML, ["--age", rcp.x1, "--encrypted-regex", "^(data|stringData)$"]);
    assert.equal(await reason(decryptSops({ document: enc.replace("name: db", "name: db2"), identities: [ids.x1] })), "SopsMacMismatch");
    const lines = enc.split("\n");
    const i = lines.findIndex((l) => l.includes("password: ENC["));
    const j = lines.findIndex((l) => l.includes("api_secret: ENC["));
    const flip = (l: string): string => l.replace(/data:(.)/, (_m, c: string) => `data:${c === "A" ? "B" : "A"}`);
    const flipped = [...lines];
    flipped[i] = flip(lines[i] ?? "");
    assert.equal(await reason(decryptSops({ document: flipped.join("\n"), identities: [ids.x1] })), "SopsMacMismatch");
    // Moving a value to another key breaks its additional data (the path).
    const swapped = [...lines];
    swapped[i] = (lines[i] ?? "").replace(/ENC\[.*\]/, /ENC\[.*\]/.exec(lines[j] ?? "")?.[0] ?? "");
    assert.equal(await reason(decryptSops({ document: swapped.join("\n"), identities: [ids.x1] })), "SopsMacMismatch");
    // Removing a value changes what is hashed.
    assert.equal(await reason(decryptSops({ document: lines.filter((_, k) => k !== j).join("\n"), identities: [ids.x1] })), "SopsMacMismatch");
  });

  it("mac_only_encrypted: unencrypted values are outside the MAC, as in sops", async () => {
    const enc = await encrypt("maconly.yaml", SECRET_YAML, ["--age", rcp.x1, "--encrypted-regex", "^(data|stringData)$", "--mac-only-encrypted"]);
    const changed = enc.replace("name: db", "name: db2");
    assert.deepEqual((await decryptSops({ document: changed, identities: [ids.x1] })).mac, { status: "Verified" });
    await writeFile(join(dir, "enc-maconly-changed.yaml"), changed);
    assert.equal((await runSops(["--decrypt", "enc-maconly-changed.yaml"], { SOPS_AGE_KEY: ids.x1 })).code, 0);
  });

  it("a re-serialised object (keys re-ordered, as read from the API server) gets MAC NotChecked, values still authenticated", async () => {
    const enc = await encrypt("reser.yaml", SECRET_YAML, ["--age", rcp.x1, "--encrypted-regex", "^(data|stringData)$"]);
    const obj = parse(enc) as Record<string, unknown>;
    const sortedKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(sortedKeys) : typeof v === "object" && v !== null ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortedKeys((v as Record<string, unknown>)[k])])) : v;
    const ours = await decryptSopsObject(sortedKeys(obj) as Record<string, unknown>, [ids.x1]);
    assert.equal(ours.mac.status, "NotChecked");
    assert.equal((ours.branches[0]?.get("stringData") as SopsMap).get("password"), "hunter2: with colon");
    // In the original order the MAC checks out even from the object form.
    const same = await decryptSopsObject(JSON.parse(JSON.stringify(parse(enc))) as Record<string, unknown>, [ids.x1]);
    assert.equal(same.mac.status, "Verified");
  });

  it("bad input: no sops metadata, wrong identities (both sides listed), oversized, malformed", async () => {
    assert.equal(await reason(decryptSops({ document: SECRET_YAML, identities: [ids.x1] })), "SopsMetadataMissing");
    const enc = await encrypt("wrong.yaml", SECRET_YAML, ["--age", `${rcp.x1},${rcp.pq}`]);
    const other = await generateX25519Identity();
    try {
      await decryptSops({ document: enc, identities: [other] });
      assert.fail("decrypted with a wrong identity");
    } catch (err) {
      assert.ok(err instanceof CryptoError);
      assert.equal(err.reason, "SopsNoMatchingIdentity");
      assert.ok(err.message.includes(rcp.x1), err.message);
      assert.ok(err.message.includes(rcp.pq.slice(0, 16)), err.message);
      assert.ok(err.message.includes(await ageRecipientOf(other)), err.message);
      assert.ok(!err.message.includes(other), "never quotes an identity");
    }
    assert.equal(await reason(decryptSops({ document: enc, identities: [ids.x1], maxBytes: 100 })), "DocumentTooLarge");
    assert.equal(await reason(decryptSops({ document: `${enc}\n  bad: [unclosed`, identities: [ids.x1] })), "SopsMalformedDocument");
    assert.equal(await reason(decryptSops({ document: enc.replace(/ENC\[AES256_GCM,data:[^,]*,/, "ENC[AES256_GCM,"), identities: [ids.x1] })), "SopsMalformedValue");
    const noAge = enc.replace(/ {4}age:\n(?: {8}.*\n| {10}.*\n| {12}.*\n)+/, "");
    assert.equal(await reason(decryptSops({ document: noAge, identities: [ids.x1] })), "SopsNoAgeRecipients");
  });
});

// The YAML parser must not read `on`, `yes` and the like as booleans (sops' YAML 1.2 reading).
describe("sops YAML scalars", () => {
  it("are typed as go-yaml v3 types them for the MAC", async () => {
    const doc = "on: yes\nhex: 0x1F\noct: 0o17\nexp: 1e3\ninf: .inf\nstr: '012'\n";
    const enc = await encrypt("scalars.yaml", doc, ["--age", rcp.x1, "--unencrypted-regex", "^(on|hex)$"]);
    const ours = await decryptSops({ document: enc, identities: [ids.x1] });
    assert.deepEqual(ours.mac, { status: "Verified" });
    // sops prints the float 1000 as `1000`, which reads back as an integer: compare numbers as text.
    const text = (v: unknown): unknown =>
      typeof v === "object" && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, text(x)])) : typeof v === "bigint" || typeof v === "number" ? String(v) : v;
    assert.deepEqual(text(plain(ours.branches[0] ?? new Map())), text(await sopsDecrypt("scalars.yaml", enc, "yaml", ids.x1)));
  });
});

