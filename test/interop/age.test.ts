// sealbridge's age code against the real `age` CLI (Debian package, installed when missing): files
// either side writes open on the other, with several recipients, scope recipients, identities from
// `sealbridge keygen`, and `sealbridge seal --age` / --recovery-unseal. Debian's age 1.1.1 has no
// post-quantum recipients; those are checked against sops (filippo.io/age v1.3) in sops.test.ts.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { run } from "../../src/cli/run.ts";
import { ageRecipientFingerprint, decryptAge, encryptAge } from "../../src/crypto/age.ts";
import { deriveScopeIdentity, scopeRecipient } from "../../src/crypto/age-scope.ts";
import { ensureAge } from "../support/tools.ts";

let age = "";
let ageKeygen = "";
let dir = "";

interface Result {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function exec(file: string, args: string[], stdin: Uint8Array | string = ""): Promise<Result> {
  return new Promise((resolveResult) => {
    const child = execFile(file, args, { cwd: dir, encoding: "buffer" }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolveResult({ code, stdout, stderr: stderr.toString("utf8") });
    });
    // A tool that does not read stdin may exit before we write: EPIPE then is not a failure.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(stdin);
  });
}

async function sealbridge(args: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    readStdin: () => Promise.resolve(Buffer.from(stdin)),
    stdout: (c) => (stdout += typeof c === "string" ? c : Buffer.from(c).toString("utf8")),
    stderr: (c) => (stderr += c),
    env: {},
    cwd: dir,
  });
  return { code, stdout, stderr };
}

async function keygen(name: string): Promise<{ identity: string; recipient: string; file: string }> {
  const file = join(dir, name);
  const r = await exec(ageKeygen, ["-o", file]);
  assert.equal(r.code, 0, r.stderr);
  const text = await readFile(file, "utf8");
  const identity = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")) ?? "";
  const recipient = /public key: (age1\S+)/.exec(text)?.[1] ?? "";
  return { identity, recipient, file };
}

before(async () => {
  age = await ensureAge();
  ageKeygen = join(age, "..", "age-keygen");
  dir = await mkdtemp(join(tmpdir(), "sealbridge-age-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("age CLI interop", () => {
  it("reports its version", async () => {
    const r = await exec(age, ["--version"]);
    assert.equal(r.code, 0);
    process.stderr.write(`# age ${r.stdout.toString().trim()}\n`);
  });

  it("age -r (armored and binary, several recipients) → sealbridge decrypts", async () => {
    const a = await keygen("a.txt");
    const b = await keygen("b.txt");
    const plaintext = Buffer.from("from the real age CLI \u00e9\n");
    for (const armorFlag of [["-a"], []]) {
      const r = await exec(age, [...armorFlag, "-r", a.recipient, "-r", b.recipient], plaintext);
      assert.equal(r.code, 0, r.stderr);
      for (const id of [a.identity, b.identity]) {
        const out = await decryptAge({ file: armorFlag.length > 0 ? r.stdout.toString() : r.stdout, identities: [id] });
        assert.deepEqual(Buffer.from(out.plaintext), plaintext);
      }
      // base64 of the binary file, as a Kubernetes data field holds it
      if (armorFlag.length === 0) {
        const out = await decryptAge({ file: r.stdout.toString("base64"), identities: [b.identity] });
        assert.deepEqual(Buffer.from(out.plaintext), plaintext);
      }
    }
  });

  it("sealbridge encrypts → age -d opens it, for each recipient", async () => {
    const a = await keygen("c.txt");
    const b = await keygen("d.txt");
    const plaintext = Buffer.from("sealed by sealbridge");
    const armored = await encryptAge({ recipients: [a.recipient, b.recipient], plaintext });
    const binary = await encryptAge({ recipients: [a.recipient, b.recipient], plaintext, armored: false });
    for (const file of [a.file, b.file]) {
      for (const input of [armored, binary]) {
        const r = await exec(age, ["-d", "-i", file], input);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.stdout, plaintext);
      }
    }
  });

  it("plain `age -r <scope recipient>` seals for a scope; only that scope's derived identity opens it", async () => {
    const master = (await keygen("master.txt")).identity;
    const ref = { scope: "strict", namespace: "team-a", name: "db" } as const;
    const r = await exec(age, ["-a", "-r", await scopeRecipient(master, ref)], "pw");
    assert.equal(r.code, 0, r.stderr);
    const out = await decryptAge({ file: r.stdout.toString(), identities: [deriveScopeIdentity(master, ref)] });
    assert.equal(Buffer.from(out.plaintext).toString(), "pw");
    await assert.rejects(decryptAge({ file: r.stdout.toString(), identities: [deriveScopeIdentity(master, { ...ref, namespace: "team-b" })] }));
    // and the derived identity works with the real CLI too
    await writeFile(join(dir, "scope.txt"), deriveScopeIdentity(master, ref) + "\n", { mode: 0o600 });
    const d = await exec(age, ["-d", "-i", join(dir, "scope.txt")], r.stdout);
    assert.equal(d.stdout.toString(), "pw");
  });

  it("sealbridge keygen writes identity files the real age reads, and age-keygen files read by keygen -y", async () => {
    const k = await sealbridge(["keygen", "-o", "sb.txt"]);
    assert.equal(k.code, 0, k.stderr);
    const recipient = /Public key: (age1\S+)/.exec(k.stderr)?.[1] ?? "";
    const y = await exec(ageKeygen, ["-y", join(dir, "sb.txt")]);
    assert.equal(y.stdout.toString().trim(), recipient);
    const enc = await exec(age, ["-r", recipient], "x");
    const dec = await exec(age, ["-d", "-i", join(dir, "sb.txt")], enc.stdout);
    assert.equal(dec.stdout.toString(), "x");
    const theirs = await keygen("theirs.txt");
    const mine = await sealbridge(["keygen", "-y", "theirs.txt"]);
    assert.equal(mine.stdout.trim(), theirs.recipient);
    assert.notEqual((await sealbridge(["keygen", "-o", "sb.txt"])).code, 0, "never overwrites an identity file");
  });

  it("seal --age to a controller-less recipient list, then age -d and --recovery-unseal open the values", async () => {
    const cluster = await keygen("cluster.txt");
    const dr = await keygen("dr.txt");
    await writeFile(join(dir, "recipients.txt"), `# cluster\n${cluster.recipient}\n`);
    const input = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team-a\ntype: Opaque\nstringData:\n  password: hunter2\ndata:\n  blob: AAEC\n";
    const s = await sealbridge(["seal", "--age", "--recipients-file", "recipients.txt", "--recipient", dr.recipient, "-o", "yaml"], input);
    assert.equal(s.code, 0, s.stderr);
    const doc = parse(s.stdout) as {
      kind: string;
      metadata: { annotations: Record<string, string> };
      spec: { encryptedData: Record<string, string>; template: { type: string } };
    };
    assert.equal(doc.kind, "AgeSecret");
    assert.equal(doc.spec.template.type, "Opaque");
    assert.equal(
      doc.metadata.annotations["sealbridge.dev/sealed-for-age-recipients"],
      [dr.recipient, cluster.recipient].map(ageRecipientFingerprint).join(","),
    );
    const r = await exec(age, ["-d", "-i", dr.file], doc.spec.encryptedData["password"] ?? "");
    assert.equal(r.stdout.toString(), "hunter2");
    await writeFile(join(dir, "sealed.yaml"), s.stdout);
    const u = await sealbridge(["seal", "--recovery-unseal", "--recovery-private-key", "dr.txt", "-f", "sealed.yaml", "-o", "yaml"]);
    assert.equal(u.code, 0, u.stderr);
    const secret = parse(u.stdout) as { data: Record<string, string>; type: string };
    assert.equal(Buffer.from(secret.data["password"] ?? "", "base64").toString(), "hunter2");
    assert.equal(secret.data["blob"], "AAEC");
    const wrong = await keygen("wrong.txt");
    const w = await sealbridge(["seal", "--recovery-unseal", "--recovery-private-key", "wrong.txt", "-f", "sealed.yaml"]);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /sealed for recipient fingerprints/);
    assert.ok(!w.stderr.includes(wrong.identity));
  });

  it("--recovery-unseal with a controller master key finds the scope, and says when the scope is wrong", async () => {
    const master = await keygen("m2.txt");
    const recipient = await scopeRecipient(master.identity, { scope: "namespace-wide", namespace: "team-a", name: "" });
    const input = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: team-a\nstringData:\n  token: t0k3n\n";
    const s = await sealbridge(["seal", "--age", "--scope", "namespace-wide", "--recipient", recipient, "-o", "yaml"], input);
    assert.equal(s.code, 0, s.stderr);
    await writeFile(join(dir, "ns.yaml"), s.stdout);
    const u = await sealbridge(["seal", "--recovery-unseal", "--recovery-private-key", "m2.txt", "-f", "ns.yaml", "-o", "yaml"]);
    assert.equal(u.code, 0, u.stderr);
    // Drop the scope annotation: the value no longer opens under strict, and the error names the scope.
    await writeFile(join(dir, "strict.yaml"), s.stdout.replace(/ +sealedsecrets\.bitnami\.com\/namespace-wide: "true"\n/, ""));
    const w = await sealbridge(["seal", "--recovery-unseal", "--recovery-private-key", "m2.txt", "-f", "strict.yaml"]);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /sealed with scope namespace-wide, but the AgeSecret's annotations say strict/);
  });

  it("--recovery-unseal of a renamed AgeSecret names the target seal --age recorded", async () => {
    const master = await keygen("m3.txt");
    const recipient = await scopeRecipient(master.identity, { scope: "strict", namespace: "team-a", name: "app" });
    const input = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: team-a\nstringData:\n  token: t0k3n\n";
    const s = await sealbridge(["seal", "--age", "--recipient", recipient, "-o", "yaml"], input);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /\n    sealbridge\.dev\/sealed-for: strict:team-a\/app\n/);
    await writeFile(join(dir, "renamed.yaml"), s.stdout.replace(/\n  name: app\n/, "\n  name: pre-app\n"));
    const w = await sealbridge(["seal", "--recovery-unseal", "--recovery-private-key", "m3.txt", "-f", "renamed.yaml"]);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /sealed for another name or namespace: sealed \(strict\) for team-a\/app \(recorded in sealbridge\.dev\/sealed-for\), but this AgeSecret is team-a\/pre-app/);
    assert.ok(!w.stderr.includes("t0k3n"));
  });
});
