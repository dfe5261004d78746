import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { run } from "../../src/cli/run.ts";
import { parseSealFlags } from "../../src/cli/kubeseal-flags.ts";
import { selfSignedCertificatePem } from "../../src/crypto/certificate.ts";

const fixtures = fileURLToPath(new URL("../fixtures/kubeseal/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sealbridge-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function seal(args: string[], stdin = "", env: Record<string, string> = {}): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const code = await run(["seal", ...args], {
    readStdin: () => Promise.resolve(Buffer.from(stdin)),
    stdout: (c) => {
      stdout += typeof c === "string" ? c : Buffer.from(c).toString();
    },
    stderr: (c) => {
      stderr += c;
    },
    // No kubeconfig anywhere: HOME points at an empty folder.
    env: { HOME: dir, ...env },
    cwd: fixtures,
  });
  return { code, stdout, stderr };
}

function failsWith(r: Result, pattern: RegExp): void {
  assert.notEqual(r.code, 0, "expected a failure");
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^error: [^\n]*\n$/, "one line on stderr");
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.match(r.stderr, pattern);
}

const secret = (body: string): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: ns\n${body}`;

void describe("flags and environment", () => {
  void it("parses kubeseal's flag forms", () => {
    const f = parseSealFlags(["-oyaml", "--cert=c.pem", "-n", "x", "--raw", "--from-file", "a=b,c", "--recovery-private-key=k1", "--recovery-private-key", "k2"], {});
    assert.equal(f.format, "yaml");
    assert.equal(f.cert, "c.pem");
    assert.equal(f.connection.namespace, "x");
    assert.equal(f.raw, true);
    assert.deepEqual(f.fromFile, ["a=b", "c"]);
    assert.deepEqual(f.recoveryPrivateKeys, ["k1", "k2"]);
    assert.equal(f.controllerName, "sealed-secrets-controller");
    assert.equal(f.controllerNamespace, "kube-system");
  });
  void it("reads SEALED_SECRETS_* variables; flags win", () => {
    const env = { SEALED_SECRETS_CONTROLLER_NAMESPACE: "sealed", SEALED_SECRETS_FORMAT: "yaml", SEALED_SECRETS_SCOPE: "cluster-wide" };
    const f = parseSealFlags(["-o", "json"], env);
    assert.equal(f.controllerNamespace, "sealed");
    assert.equal(f.format, "json");
    assert.equal(f.scope, "cluster-wide");
  });
  void it("seals with the certificate named by SEALED_SECRETS_CERT", async () => {
    const r = await seal([], secret("stringData:\n  k: v\n"), { SEALED_SECRETS_CERT: "tls.crt", SEALED_SECRETS_FORMAT: "yaml" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^---\napiVersion: bitnami.com\/v1alpha1\n/);
    assert.match(r.stdout, /sealbridge.dev\/sealed-with-cert-sha256: [0-9a-f]{64}\n/);
  });
  void it("records the target it sealed for in sealbridge.dev/sealed-for (kubeseal ignores it), and --merge-into keeps it right", async () => {
    for (const [scope, want] of [["strict", "strict:ns/app"], ["namespace-wide", "namespace-wide:ns"], ["cluster-wide", "cluster-wide"]]) {
      const r = await seal(["--cert", "tls.crt", "-o", "yaml", "--scope", scope ?? ""], secret("stringData:\n  k: v\n"));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`\n    sealbridge.dev/sealed-for: ${want}\n`));
    }
    // A file copied by hand to another name still records what its values were sealed for, until
    // values are merged into it: those are sealed for the file's own name.
    const first = await seal(["--cert", "tls.crt", "-o", "yaml"], secret("stringData:\n  k: v\n"));
    const file = join(dir, "merge-target.yaml");
    writeFileSync(file, first.stdout.replace(/\n  name: app\n/, "\n  name: app-copy\n"));
    const merged = await seal(["--cert", "tls.crt", "--merge-into", file], secret("stringData:\n  k: v2\n"));
    assert.equal(merged.code, 0, merged.stderr);
    assert.match(readFileSync(file, "utf8"), /\n    sealbridge.dev\/sealed-for: strict:ns\/app-copy\n/);
  });
  void it("rejects unknown flags and scopes", async () => {
    failsWith(await seal(["--bogus"]), /unknown flag: --bogus/);
    failsWith(await seal(["--scope", "global"]), /--scope.*strict, namespace-wide, cluster-wide/);
    failsWith(await seal(["--from-file", "x"]), /--from-file requires --raw/);
  });
});

void describe("bad input: one line, non-zero, nothing written", () => {
  const out = join(dir, "out.json");
  const cases: [string, string[], string, RegExp][] = [
    ["a Secret without data", ["--cert", "tls.crt", "-w", out], secret("type: Opaque\n"), /Secret "app": data is empty/],
    ["non-base64 data", ["--cert", "tls.crt", "-w", out], secret("data:\n  password: not*base64\n"), /data\["password"\]: is not valid standard base64/],
    ["no namespace for strict scope", ["--cert", "tls.crt", "-w", out], "kind: Secret\nmetadata: {name: a}\nstringData: {k: v}\n", /Secret "a": no namespace for scope strict/],
    ["a missing name", ["--cert", "tls.crt"], "kind: Secret\nmetadata: {namespace: a}\nstringData: {k: v}\n", /missing metadata.name/],
    ["a non-Secret document", ["--cert", "tls.crt"], "kind: ConfigMap\nmetadata: {name: a}\n", /is "ConfigMap", expected a Secret/],
    ["invalid YAML", ["--cert", "tls.crt"], "kind: Secret\n  bad: [\n", /invalid YAML/],
    ["an empty input", ["--cert", "tls.crt"], "", /no secrets found/],
    ["a non-RSA certificate", ["--cert", "ec.crt"], secret("stringData: {k: v}\n"), /ec\.crt: certificate has a ec public key/],
    ["a missing certificate file", ["--cert", "nope.crt"], secret("stringData: {k: v}\n"), /--cert: cannot read nope\.crt: ENOENT/],
    ["--raw without --name", ["--cert", "tls.crt", "--raw", "-n", "x"], "v", /must provide the --name flag with --raw and --scope strict/],
    ["--raw without a namespace", ["--cert", "tls.crt", "--raw", "--name", "x"], "v", /must provide the --namespace flag/],
  ];
  for (const [what, args, stdin, pattern] of cases) {
    void it(what, async () => {
      failsWith(await seal(args, stdin), pattern);
      assert.equal(existsSync(out), false);
    });
  }

  void it("an expired certificate", async () => {
    const expired = selfSignedCertificatePem(readFileSync(join(fixtures, "tls.key"), "utf8"), {
      now: new Date("2020-01-01T00:00:00Z"),
      commonName: "old",
      validityMs: 1000,
    });
    writeFileSync(join(dir, "expired.crt"), expired);
    failsWith(await seal(["--cert", join(dir, "expired.crt")], secret("stringData: {k: v}\n")), /certificate expired on 2020-01-01/);
  });

  void it("a second bad document leaves -w untouched", async () => {
    writeFileSync(out, "previous");
    const input = secret("stringData: {k: v}\n") + "---\n" + secret("data: {k: '!!'}\n");
    failsWith(await seal(["--cert", "tls.crt", "-w", out], input), /data\["k"\]/);
    assert.equal(readFileSync(out, "utf8"), "previous");
    rmSync(out);
  });
});

void describe("--recovery-unseal of damaged values", () => {
  const sealed = JSON.parse(readFileSync(join(fixtures, "sealed-strict.json"), "utf8")) as {
    metadata: { name: string; annotations?: Record<string, string> };
    spec: { encryptedData: Record<string, string> };
  };
  const unseal = (doc: unknown): Promise<Result> => seal(["--recovery-unseal", "--recovery-private-key", "tls.key"], JSON.stringify(doc));
  const withValue = (value: string): unknown => ({ ...sealed, spec: { ...sealed.spec, encryptedData: { ...sealed.spec.encryptedData, password: value } } });
  const good = sealed.spec.encryptedData["password"] ?? "";
  const bytes = Buffer.from(good, "base64");

  void it("opens the kubeseal fixture", async () => {
    const r = await unseal(sealed);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"password": "czNjcjN0IQ=="/);
  });
  void it("names the key with non-base64", async () => {
    failsWith(await unseal(withValue("%%%")), /encryptedData\["password"\]: is not valid standard base64/);
  });
  void it("names the key with a truncated value", async () => {
    failsWith(await unseal(withValue(bytes.subarray(0, 100).toString("base64"))), /encryptedData\["password"\]: length prefix says 256 bytes/);
  });
  void it("names the key with a wrong-size RSA block", async () => {
    const bad = Buffer.concat([Buffer.of(0, 128), bytes.subarray(2, 130), bytes.subarray(258)]);
    failsWith(await unseal(withValue(bad.toString("base64"))), /encryptedData\["password"\]: RSA block is 128 bytes but the keys take 256/);
  });
  void it("says when a value was sealed for another scope", async () => {
    const doc = { ...sealed, metadata: { ...sealed.metadata, annotations: { "sealedsecrets.bitnami.com/cluster-wide": "true" } } };
    failsWith(await unseal(doc), /sealed with scope strict, but the SealedSecret's annotations say cluster-wide/);
  });
  void it("a renamed SealedSecret: sealed with the key given for another name, naming the recorded target; never a value", async () => {
    const doc = { ...sealed, metadata: { ...sealed.metadata, name: "renamed" } };
    const r = await unseal(doc);
    failsWith(r, /sealed with the private key for another name or namespace: sealed \(strict\) for payments\/db-credentials \(recorded in spec\.template\.metadata\), but this SealedSecret is payments\/renamed/);
    assert.doesNotMatch(r.stderr, /s3cr3t|admin/);
    const bare = { ...doc, spec: { encryptedData: sealed.spec.encryptedData } };
    failsWith(await unseal(bare), /sealed with the private key for another name or namespace \(none of its scopes or recorded targets\)/);
  });
  void it("a key that did not seal it, and a damaged value", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    writeFileSync(join(dir, "other.key"), other);
    const r = await seal(["--recovery-unseal", "--recovery-private-key", join(dir, "other.key")], JSON.stringify(sealed));
    failsWith(r, /none of the 1 private key\(s\) given sealed it/);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
    failsWith(await unseal(withValue(damaged.toString("base64"))), /the RSA block is for the private key but the AES-GCM data does not authenticate/);
  });
});
