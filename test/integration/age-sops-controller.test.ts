// AgeSecret and SopsSecret end to end on the real control plane: age sealing keys in labelled
// Secrets, GET /v1/age-recipients, values sealed by the real age CLI and by `sealbridge seal --age`,
// an AgeSecret copied to another namespace, garbage and unknown recipients, a compromised key; SOPS
// files encrypted by the real sops with each rule, identities from `age.key` and `*.agekey` Secrets,
// a tampered document, a bad identity entry, the controller's own scope recipient, and the
// sops-encrypted SopsSecret form whose MAC cannot be checked.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { generateX25519Identity } from "age-encryption";
import { parse } from "yaml";
import { startAgeSecrets, type AgeSecretsRuntime } from "../../src/age-secrets.ts";
import { resources } from "../../src/api/resources.ts";
import { run } from "../../src/cli/run.ts";
import { ageRecipientOf, encryptAge } from "../../src/crypto/age.ts";
import { scopeRecipient } from "../../src/crypto/age-scope.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { createLogger } from "../../src/log.ts";
import { startSealedSecrets, type SealedSecretsRuntime } from "../../src/sealed-secrets.ts";
import { TemplatePool } from "../../src/controller/templates/pool.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { eventually, exposeThroughServiceProxy, secretData, serve, skipUnlessExposed } from "../support/sealed-controller.ts";
import type { ProcessServer } from "../../src/server/http.ts";
import { ensureAge, ensureTool } from "../support/tools.ts";

let cluster: TestCluster;
let keyNs = "";
let nsA = "";
let nsB = "";
let age: AgeSecretsRuntime;
let sealed: SealedSecretsRuntime;
let templates: TemplatePool;
let server: ProcessServer;
let dir = "";
let ageCli = "";
let sops = "";
const logs: string[] = [];

function exec(file: string, args: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveResult) => {
    const child = execFile(file, args, { cwd: dir, env: { PATH: process.env["PATH"] ?? "", HOME: dir } }, (err, stdout, stderr) => {
      resolveResult({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
    // A tool that does not read stdin may exit before we write: EPIPE then is not a failure.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(stdin);
  });
}

async function recipientsFor(scope: string, namespace: string, name: string): Promise<{ status: number; body: string }> {
  const q = new URLSearchParams({ scope, namespace, name });
  const res = await fetch(`http://127.0.0.1:${server.api.port}/v1/age-recipients?${q.toString()}`);
  return { status: res.status, body: await res.text() };
}

interface Synced {
  status: string;
  reason: string;
  message: string;
}

async function synced(resource: typeof resources.ageSecret, ns: string, name: string): Promise<Synced | undefined> {
  const obj = await cluster.kube.get(resource, ns, name);
  const status = obj?.["status"] as { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined;
  const c = status?.conditions?.find((x) => x.type === "Synced");
  if (!c || status?.observedGeneration !== obj?.metadata?.generation) return undefined;
  return { status: c.status, reason: c.reason ?? "", message: c.message ?? "" };
}

function waitFor(resource: typeof resources.ageSecret, ns: string, name: string, reason: string): Promise<Synced> {
  return eventually(`${resource.kind} ${ns}/${name} reason ${reason}`, async () => {
    const s = await synced(resource, ns, name);
    return s?.reason === reason ? s : undefined;
  });
}

function ageSecret(ns: string, name: string, encryptedData: Record<string, string>, extra: { annotations?: Record<string, string>; template?: unknown } = {}): KubeObject {
  return {
    apiVersion: "sealbridge.dev/v1alpha1",
    kind: "AgeSecret",
    metadata: { name, namespace: ns, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { encryptedData, ...(extra.template ? { template: extra.template } : {}) },
  };
}

function sopsSecret(ns: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject {
  return { apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) }, spec };
}

async function identitySecret(ns: string, name: string, data: Record<string, string>): Promise<void> {
  await cluster.kube.create(resources.secret, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
  });
}

async function sopsEncrypt(file: string, content: string, flags: string[]): Promise<string> {
  await writeFile(join(dir, file), content);
  const r = await exec(sops, ["--encrypt", ...flags, file]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

const SECRET_MANIFEST = `apiVersion: v1
kind: Secret
metadata:
  name: app
type: kubernetes.io/basic-auth
stringData:
  username: admin
  password: s3cr3t
data:
  blob: AAEC
`;

before(async () => {
  cluster = await testCluster();
  keyNs = await freshNamespace(cluster, "agekeys");
  nsA = await freshNamespace(cluster, "age-a");
  nsB = await freshNamespace(cluster, "age-b");
  dir = await mkdtemp(join(tmpdir(), "sealbridge-age-it-"));
  [ageCli, sops] = await Promise.all([ensureAge(), ensureTool("sops")]);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: "info", destination: sink });
  // One template thread for both features, as main.ts wires them.
  templates = new TemplatePool({ log });
  age = await startAgeSecrets(cluster.kube, log, { keyNamespace: keyNs, workers: 4, keyRenewPeriodMs: 0, ageSecrets: true, sopsSecrets: true, templates });
  sealed = await startSealedSecrets(cluster.kube, log, {
    keyNamespace: keyNs,
    watchNamespace: nsA,
    workers: 2,
    keyPrefix: "sealed-secrets-key",
    keyBits: 2048,
    keyRenewPeriodMs: 0,
    templates,
  });
  // All interfaces: the API server's service proxy reaches it (see exposeThroughServiceProxy).
  server = await serve(sealed, log, "0.0.0.0:0", { ageRecipients: (q) => age.ageRecipients(q) });
});

after(async () => {
  await server.close();
  await sealed.stop();
  await age.stop();
  // A feature never closes the shared template thread: its owner does, after every feature stopped.
  const rendered = await templates.renderSealed({ templateData: { t: "{{ .v }}" }, decrypted: { v: Buffer.from("x") }, now: new Date() });
  assert.deepEqual(rendered.errors, []);
  assert.equal(Buffer.from(rendered.data["t"] ?? new Uint8Array()).toString("utf8"), "x");
  await templates.close();
  await rm(dir, { recursive: true, force: true });
  // Keys, identities and values never reach the logs.
  const all = logs.join("");
  assert.ok(!/AGE-SECRET-KEY-/.test(all), "an age identity was logged");
  assert.ok(!all.includes("s3cr3t") && !all.includes("hunter2"), "a value was logged");
});

describe("age sealing keys and /v1/age-recipients", () => {
  it("mints an age key Secret and serves per-scope recipients", async () => {
    const keys = await cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: "sealbridge.dev/age-sealing-key" });
    assert.equal(keys.length, 1);
    const entry = Buffer.from(String((keys[0]?.["data"] as Record<string, string>)["age.key"]), "base64").toString();
    const master = entry.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-")) ?? "";
    const r = await recipientsFor("strict", nsA, "db");
    assert.equal(r.status, 200);
    assert.equal(r.body, `${await scopeRecipient(master, { scope: "strict", namespace: nsA, name: "db" })}\n`);
    assert.notEqual((await recipientsFor("namespace-wide", nsA, "")).body, r.body);
    assert.equal((await recipientsFor("strict", nsA, "")).status, 400);
    assert.equal((await recipientsFor("bogus", nsA, "x")).status, 400);
  });
});

describe("AgeSecret", () => {
  it("values sealed by the real age CLI and by seal --age (with a DR recipient) unseal into the Secret", async () => {
    const recipient = (await recipientsFor("strict", nsA, "db")).body.trim();
    const fromAge = await exec(ageCli, ["-a", "-r", recipient], "hunter2");
    assert.equal(fromAge.code, 0, fromAge.stderr);
    await cluster.kube.create(resources.ageSecret, ageSecret(nsA, "db", { password: fromAge.stdout }, { template: { type: "Opaque", metadata: { labels: { app: "db" } } } }));
    await waitFor(resources.ageSecret, nsA, "db", "Unsealed");
    const secret = await cluster.kube.get(resources.secret, nsA, "db");
    assert.deepEqual(secretData(secret), { password: "hunter2" });
    assert.equal(secret?.metadata?.labels?.["app"], "db");
    assert.equal(secret?.metadata?.ownerReferences?.[0]?.kind, "AgeSecret");

    const dr = await generateX25519Identity();
    const input = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: ${nsA}\nstringData:\n  token: t0k3n\n`;
    let out = "";
    let err = "";
    const code = await run(["seal", "--age", "--recipient", (await recipientsFor("strict", nsA, "api")).body.trim(), "--recipient", await ageRecipientOf(dr), "-o", "yaml"], {
      readStdin: () => Promise.resolve(Buffer.from(input)),
      stdout: (c) => (out += typeof c === "string" ? c : Buffer.from(c).toString()),
      stderr: (c) => (err += c),
      env: {},
      cwd: dir,
    });
    assert.equal(code, 0, err);
    await cluster.kube.create(resources.ageSecret, parse(out) as KubeObject);
    await waitFor(resources.ageSecret, nsA, "api", "Unsealed");
    assert.deepEqual(secretData(await cluster.kube.get(resources.secret, nsA, "api")), { token: "t0k3n" });
  });

  it("seal --age asks the controller for the scope recipient through the API server's service proxy", async (t) => {
    const exposed = await exposeThroughServiceProxy(cluster, keyNs, server.api.port).catch(skipUnlessExposed(t));
    if (!exposed) return;
    t.after(() => exposed.remove());
    const cli = async (args: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> => {
      let stdout = "";
      let stderr = "";
      const code = await run(["seal", ...args, "--kubeconfig", cluster.kubeconfigPath, "--controller-namespace", keyNs], {
        readStdin: () => Promise.resolve(Buffer.from(stdin)),
        stdout: (c) => (stdout += typeof c === "string" ? c : Buffer.from(c).toString()),
        stderr: (c) => (stderr += c),
        env: {},
        cwd: dir,
      });
      return { code, stdout, stderr };
    };
    const fetched = await eventually("--fetch-cert --age through the proxy", async () => {
      const r = await cli(["--age", "--fetch-cert", "--scope", "namespace-wide", "-n", nsA]);
      if (r.code !== 0) throw new Error(r.stderr);
      return r;
    });
    assert.equal(fetched.stdout, (await recipientsFor("namespace-wide", nsA, "")).body);
    const input = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: viacli\n  namespace: ${nsA}\nstringData:\n  key: from-cli\n`;
    const out = await cli(["--age", "-o", "yaml"], input);
    assert.equal(out.code, 0, out.stderr);
    await cluster.kube.create(resources.ageSecret, parse(out.stdout) as KubeObject);
    await waitFor(resources.ageSecret, nsA, "viacli", "Unsealed");
    assert.deepEqual(secretData(await cluster.kube.get(resources.secret, nsA, "viacli")), { key: "from-cli" });
  });

  it("an AgeSecret copied to another namespace fails with ScopeMismatch and leaves no Secret", async () => {
    const original = await cluster.kube.get(resources.ageSecret, nsA, "api");
    const spec = original?.["spec"] as Record<string, unknown>;
    await cluster.kube.create(resources.ageSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "AgeSecret", metadata: { name: "api", namespace: nsB, annotations: original?.metadata?.annotations ?? {} }, spec });
    const s = await waitFor(resources.ageSecret, nsB, "api", "ScopeMismatch");
    assert.equal(s.status, "False");
    assert.match(s.message, new RegExp(`^sealed with this cluster's key for another name or namespace: token was sealed \\(strict\\) for ${nsA}/api`));
    assert.equal(await cluster.kube.get(resources.secret, nsB, "api"), undefined);
  });

  it("the wrong scope annotation is diagnosed with the annotation that would open it", async () => {
    const recipient = (await recipientsFor("namespace-wide", nsA, "")).body.trim();
    const value = String(await encryptAge({ recipients: [recipient], plaintext: Buffer.from("v") }));
    await cluster.kube.create(resources.ageSecret, ageSecret(nsA, "nswide", { k: value }));
    const s = await waitFor(resources.ageSecret, nsA, "nswide", "ScopeMismatch");
    assert.match(s.message, /sealedsecrets\.bitnami\.com\/namespace-wide: "true"/);
    const obj = await cluster.kube.get(resources.ageSecret, nsA, "nswide");
    await cluster.kube.replace(resources.ageSecret, { ...obj, metadata: { ...obj?.metadata, annotations: { "sealedsecrets.bitnami.com/namespace-wide": "true" } } });
    await waitFor(resources.ageSecret, nsA, "nswide", "Unsealed");
  });

  it("bad input (malformed armor, scrypt, not age) and an unknown recipient get clear reasons", async () => {
    const good = String(await encryptAge({ recipients: [(await recipientsFor("strict", nsA, "bad")).body.trim()], plaintext: Buffer.from("x") }));
    const lines = good.split("\n");
    const broken = [lines[0], (lines[1] ?? "").slice(0, 50), ...lines.slice(2)].join("\n");
    await cluster.kube.create(resources.ageSecret, ageSecret(nsA, "bad", { a: broken, b: "not an age file" }));
    const s = await waitFor(resources.ageSecret, nsA, "bad", "InvalidCiphertext");
    assert.match(s.message, /a: AgeMalformedArmor/);
    assert.match(s.message, /b: AgeNotAnAgeFile/);

    const stranger = await ageRecipientOf(await generateX25519Identity());
    const value = String(await encryptAge({ recipients: [stranger], plaintext: Buffer.from("x") }));
    const { ageRecipientFingerprint } = await import("../../src/crypto/age.ts");
    await cluster.kube.create(resources.ageSecret, ageSecret(nsA, "foreign", { k: value }, { annotations: { "sealbridge.dev/sealed-for-age-recipients": ageRecipientFingerprint(stranger) } }));
    const f = await waitFor(resources.ageSecret, nsA, "foreign", "SealedForUnknownKey");
    assert.match(f.message, new RegExp(`${ageRecipientFingerprint(stranger)}: not a recipient of this controller`));
    assert.equal(await cluster.kube.get(resources.secret, nsA, "foreign"), undefined);
  });

  it("marking the age key compromised mints a new one; values sealed to the old key say so", async () => {
    const [key] = await cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: "sealbridge.dev/age-sealing-key" });
    assert.ok(key?.metadata?.name);
    await cluster.kube.patch(resources.secret, keyNs, key.metadata.name, { metadata: { annotations: { "sealbridge.dev/key-status": "compromised" } } }, "merge");
    await eventually("a second age key", async () => {
      const keys = await cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: "sealbridge.dev/age-sealing-key" });
      return keys.length === 2 ? true : undefined;
    });
    const s = await waitFor(resources.ageSecret, nsA, "db", "SealedWithCompromisedKey");
    assert.equal(s.status, "True");
    const lines = (await recipientsFor("strict", nsA, "db")).body.trim().split("\n");
    assert.equal(lines.length, 1, "compromised keys are not offered for sealing");
  });
});

describe("SopsSecret", () => {
  let id1 = "";
  let id2 = "";
  let r1 = "";
  let r2 = "";
  before(async () => {
    id1 = await generateX25519Identity();
    id2 = await generateX25519Identity();
    r1 = await ageRecipientOf(id1);
    r2 = await ageRecipientOf(id2);
    // What `kubectl create secret generic sops-age --from-file=age.key` makes, and Flux's *.agekey.
    await identitySecret(nsA, "sops-age", { "age.key": `# created: now\n# public key: ${r1}\n${id1}\n` });
    await identitySecret(nsA, "flux-sops", { "team.agekey": `${id2}\n`, "bad.agekey": "this is not a key\n", "README": "ignored" });
  });

  const rules: [string, string[]][] = [
    ["plain", []],
    ["encrypted-regex", ["--encrypted-regex", "^(data|stringData)$"]],
    ["encrypted-suffix", ["--encrypted-suffix", "word"]],
    ["unencrypted-suffix", ["--unencrypted-suffix", "name"]],
    ["unencrypted-regex", ["--unencrypted-regex", "^(apiVersion|kind|metadata|type)$"]],
    ["mac-only", ["--encrypted-regex", "^(data|stringData)$", "--mac-only-encrypted"]],
  ];
  for (const [name, flags] of rules) {
    it(`a Secret manifest encrypted by sops (${name}, two recipients) becomes the Secret`, async () => {
      const document = await sopsEncrypt(`${name}.yaml`, SECRET_MANIFEST, ["--age", `${r1},${r2}`, ...flags]);
      await cluster.kube.create(resources.sopsSecret, sopsSecret(nsA, `sops-${name}`, { document, identitySecretRefs: [{ name: "sops-age" }] }));
      const s = await waitFor(resources.sopsSecret, nsA, `sops-${name}`, "Unsealed");
      assert.equal(s.status, "True");
      const secret = await cluster.kube.get(resources.secret, nsA, `sops-${name}`);
      const expected = name === "encrypted-suffix" ? { username: "admin", password: "s3cr3t", blob: "\u0000\u0001\u0002" } : { username: "admin", password: "s3cr3t", blob: "\u0000\u0001\u0002" };
      assert.deepEqual(secretData(secret), expected);
      assert.equal(secret?.["type"], "kubernetes.io/basic-auth");
    });
  }

  it("dotenv from a Flux *.agekey Secret; a bad identity entry is reported in status", async () => {
    const document = await sopsEncrypt("app.env", "DB_USER=admin\nDB_PASSWORD=s3cr3t\n", ["--age", r2]);
    await cluster.kube.create(resources.sopsSecret, sopsSecret(nsA, "env", { document, format: "dotenv", identitySecretRefs: [{ name: "flux-sops" }] }));
    const s = await waitFor(resources.sopsSecret, nsA, "env", "IdentitySecretProblem");
    assert.equal(s.status, "True");
    assert.match(s.message, /Secret flux-sops entry bad\.agekey: line 1 is not an age identity/);
    assert.deepEqual(secretData(await cluster.kube.get(resources.secret, nsA, "env")), { DB_USER: "admin", DB_PASSWORD: "s3cr3t" });
  });

  it("a tampered document fails with SopsMacMismatch and leaves the Secret untouched", async () => {
    const document = await sopsEncrypt("tamper.yaml", SECRET_MANIFEST, ["--age", r1, "--encrypted-regex", "^(data|stringData)$"]);
    await cluster.kube.create(resources.sopsSecret, sopsSecret(nsA, "tamper", { document, identitySecretRefs: [{ name: "sops-age" }] }));
    await waitFor(resources.sopsSecret, nsA, "tamper", "Unsealed");
    const before = await cluster.kube.get(resources.secret, nsA, "tamper");
    const obj = await cluster.kube.get(resources.sopsSecret, nsA, "tamper");
    await cluster.kube.replace(resources.sopsSecret, { ...obj, spec: { ...(obj?.["spec"] as object), document: document.replace("type: kubernetes.io/basic-auth", "type: Opaque") } });
    const s = await waitFor(resources.sopsSecret, nsA, "tamper", "SopsMacMismatch");
    assert.equal(s.status, "False");
    const after = await cluster.kube.get(resources.secret, nsA, "tamper");
    assert.equal(after?.metadata?.resourceVersion, before?.metadata?.resourceVersion);
  });

  it("no matching identity lists the file's recipients and the held ones; no metadata and oversize get their reasons", async () => {
    const stranger = await ageRecipientOf(await generateX25519Identity());
    const document = await sopsEncrypt("stranger.yaml", SECRET_MANIFEST, ["--age", stranger]);
    await cluster.kube.create(resources.sopsSecret, sopsSecret(nsA, "stranger", { document, identitySecretRefs: [{ name: "sops-age" }, { name: "missing" }] }));
    const s = await waitFor(resources.sopsSecret, nsA, "stranger", "SopsNoMatchingIdentity");
    assert.ok(s.message.includes(stranger), s.message);
    assert.ok(s.message.includes(r1), s.message);
    assert.match(s.message, /Secret missing not found/);
    await cluster.kube.create(resources.sopsSecret, sopsSecret(nsA, "plain", { document: SECRET_MANIFEST, identitySecretRefs: [{ name: "sops-age" }] }));
    await waitFor(resources.sopsSecret, nsA, "plain", "SopsMetadataMissing");
    await cluster.kube.create(resources.sopsSecret, sopsSecret(nsA, "huge", { document: `a: "${"x".repeat(1100 * 1024)}"\n` }));
    await waitFor(resources.sopsSecret, nsA, "huge", "DocumentTooLarge");
  });

  it("a file encrypted to the controller's own scope recipient needs no identity Secret; the wrong scope is named", async () => {
    const recipient = (await recipientsFor("namespace-wide", nsA, "")).body.trim();
    const document = await sopsEncrypt("own.yaml", "token: abc\n", ["--age", recipient]);
    await cluster.kube.create(resources.sopsSecret, sopsSecret(nsA, "own", { document }, { "sealedsecrets.bitnami.com/namespace-wide": "true" }));
    await waitFor(resources.sopsSecret, nsA, "own", "Unsealed");
    assert.deepEqual(secretData(await cluster.kube.get(resources.secret, nsA, "own")), { token: "abc" });
    await cluster.kube.create(resources.sopsSecret, sopsSecret(nsA, "own-strict", { document }));
    const s = await waitFor(resources.sopsSecret, nsA, "own-strict", "ScopeMismatch");
    assert.match(s.message, /namespace-wide recipient/);
  });

  it("a SopsSecret that is itself sops-encrypted decrypts with MacNotChecked", async () => {
    const manifest = `apiVersion: sealbridge.dev/v1alpha1\nkind: SopsSecret\nmetadata:\n  name: inline\n  namespace: ${nsA}\nspec:\n  identitySecretRefs:\n    - name: sops-age\n  stringData:\n    password: s3cr3t\n`;
    const encrypted = await sopsEncrypt("inline.yaml", manifest, ["--age", r1, "--encrypted-regex", "^(data|stringData)$"]);
    await cluster.kube.create(resources.sopsSecret, parse(encrypted) as KubeObject);
    const s = await waitFor(resources.sopsSecret, nsA, "inline", "MacNotChecked");
    assert.equal(s.status, "True");
    assert.deepEqual(secretData(await cluster.kube.get(resources.secret, nsA, "inline")), { password: "s3cr3t" });
  });
});
