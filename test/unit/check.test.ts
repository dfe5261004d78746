// `sealbridge check` offline, on repositories written to a temp folder: each finder, every output
// format, exit codes, the built-in kustomize renderer, and that no value ever reaches an output.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { stringify } from "yaml";
import { run } from "../../src/cli/run.ts";
import { generateSealingKeyPair, parseSealingCertificate, type SealingKeyPair } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import { sopsDocument } from "../support/sops-document.ts";

const CANARY = "CANARY-7f3a9-do-not-print";
const CANARY_B64 = Buffer.from(CANARY).toString("base64");

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

async function check(cwd: string, args: string[]): Promise<Out> {
  let stdout = "";
  let stderr = "";
  const code = await run(["check", ...args], {
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
    stdout: (c) => (stdout += typeof c === "string" ? c : Buffer.from(c).toString("utf8")),
    stderr: (c) => (stderr += c),
    env: { PATH: "" },
    cwd,
  });
  return { code, stdout, stderr };
}

interface JsonReport {
  version: number;
  summary: { files: number; errors: number; warnings: number; notices: number; overlays: number; renderers: string[] };
  findings: { rule: string; severity: string; file: string; line: number; object?: string; message: string }[];
}

async function checkJson(cwd: string, args: string[] = []): Promise<JsonReport & { code: number }> {
  const r = await check(cwd, ["-o", "json", "--kustomize", "builtin", ...args]);
  assert.equal(r.stderr, "");
  return { ...(JSON.parse(r.stdout) as JsonReport), code: r.code };
}

async function repo(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sb-check-"));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

function sealedSecretYaml(key: SealingKeyPair, ns: string, name: string, opts: { annotations?: Record<string, string>; record?: boolean } = {}): string {
  const cert = parseSealingCertificate(key.certificatePem, new Date());
  const value = sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(CANARY), label: scopeLabel("strict", ns, name) });
  const annotations = { ...(opts.record === false ? {} : { "sealbridge.dev/sealed-with-cert-sha256": key.fingerprint }), ...opts.annotations };
  return stringify({ apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name, namespace: ns, annotations }, spec: { encryptedData: { password: value } } });
}

let key2048: SealingKeyPair;
let key3072: SealingKeyPair;
let other2048: SealingKeyPair;

before(async () => {
  const now = new Date();
  [key2048, key3072, other2048] = await Promise.all([generateSealingKeyPair({ now, bits: 2048 }), generateSealingKeyPair({ now, bits: 3072 }), generateSealingKeyPair({ now, bits: 2048 })]);
});

describe("sealbridge check (offline)", () => {
  it("a clean repository exits 0; --help exits 0; usage errors exit 2", async () => {
    const dir = await repo({ "app/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n", "cert.pem": key2048.certificatePem });
    const clean = await check(dir, ["--cert", "cert.pem"]);
    assert.equal(clean.code, 0, clean.stdout);
    assert.match(clean.stdout, /0 error\(s\), 0 warning\(s\), 0 notice\(s\): 1 file\(s\)/);
    assert.equal((await check(dir, ["--help"])).code, 0);
    for (const bad of [["--output", "xml"], ["--bogus"], ["--kustomize", "maybe"], ["missing-dir"], ["--cert"], ["--recipient", "age1notarecipient"], ["--cert", "nope.pem"], ["--controller", "--controller-url", "http://127.0.0.1:1"]]) {
      const r = await check(dir, bad);
      assert.equal(r.code, 2, `${bad.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^error: /);
    }
  });

  it("plain Secrets and secretGenerators are findings naming keys, never values, in every format", async () => {
    const dir = await repo({
      "plain.yaml": `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team\ndata:\n  password: ${CANARY_B64}\nstringData:\n  token: ${CANARY}\n`,
      "empty.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: empty}\ntype: kubernetes.io/service-account-token\n",
      "gen/kustomization.yaml": `secretGenerator:\n- name: gen\n  literals:\n  - pw=${CANARY}\n`,
    });
    for (const output of ["human", "json", "github", "junit"]) {
      const r = await check(dir, ["-o", output, "--kustomize", "builtin"]);
      assert.equal(r.code, 1, output);
      assert.equal(r.stdout.includes(CANARY) || r.stdout.includes(CANARY_B64), false, `${output} prints no value`);
      assert.equal(r.stderr, "");
    }
    const report = await checkJson(dir);
    const plain = report.findings.filter((f) => f.rule === "plain-secret");
    assert.deepEqual(plain.map((f) => [f.file, f.line, f.object]), [["gen/kustomization.yaml", 2, "Secret gen"], ["plain.yaml", 6, "Secret team/db"], ["plain.yaml", 8, "Secret team/db"]]);
    assert.match(plain[1]?.message ?? "", /keys: password/);
  });

  it("a file that cannot be parsed is a finding with its path and line, not a crash", async () => {
    const dir = await repo({
      "ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
      "broken.yaml": `apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  a: ${CANARY}\n   b: [\n`,
      "dup.yaml": "a: 1\na: 2\n",
      "bomb.yaml": `a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n`,
    });
    await writeFile(join(dir, "latin1.yaml"), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    await writeFile(join(dir, "binary.json"), Buffer.from([0x00, 0xff, 0xfe, 0x7b]));
    const report = await checkJson(dir);
    const parse = report.findings.filter((f) => f.rule === "parse-error");
    assert.deepEqual(parse.map((f) => f.file).sort(), ["binary.json", "bomb.yaml", "broken.yaml", "dup.yaml", "latin1.yaml"]);
    assert.equal(parse.find((f) => f.file === "broken.yaml")?.line, 6);
    assert.equal(parse.find((f) => f.file === "dup.yaml")?.line, 2);
    assert.match(parse.find((f) => f.file === "bomb.yaml")?.message ?? "", /TooManyAliases|TooManyNodes/);
    assert.equal(JSON.stringify(report).includes(CANARY), false);
    assert.equal(report.code, 1);
  });

  it("SealedSecrets: unknown certificate, key size, broken values; kubeseal-sealed ones are unverifiable offline (a notice)", async () => {
    const dir = await repo({
      "ours.yaml": sealedSecretYaml(key2048, "team", "ours"),
      "foreign.yaml": sealedSecretYaml(other2048, "team", "foreign"),
      "kubeseal.yaml": sealedSecretYaml(key2048, "team", "bykubeseal", { record: false }),
      "big.yaml": sealedSecretYaml(key3072, "team", "big", { record: false }),
      "broken.yaml": stringify({ apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name: "broken", namespace: "team" }, spec: { encryptedData: { a: "not base64!", b: "AAAA" } } }),
      "invalid.yaml": "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: inv}\nspec: {encryptedData: [1]}\n",
      "cert.pem": key2048.certificatePem,
    });
    const report = await checkJson(dir, ["--cert", "cert.pem"]);
    const by = (file: string) => report.findings.filter((f) => f.file === file).map((f) => `${f.severity} ${f.rule}`);
    assert.deepEqual(by("ours.yaml"), []);
    assert.deepEqual(by("foreign.yaml"), ["error sealed-unknown-certificate"]);
    assert.match(report.findings.find((f) => f.file === "foreign.yaml")?.message ?? "", new RegExp(`sha256:${other2048.fingerprint.slice(0, 16)}.*publishes sha256:${key2048.fingerprint.slice(0, 16)}`));
    assert.deepEqual(by("kubeseal.yaml"), ["notice sealed-unverifiable-offline"]);
    assert.deepEqual(by("big.yaml"), ["error sealed-key-size-mismatch"]);
    assert.match(report.findings.find((f) => f.file === "big.yaml")?.message ?? "", /RSA-3072 key, but the cluster publishes RSA-2048/);
    assert.deepEqual(by("broken.yaml"), ["error sealed-invalid-ciphertext", "error sealed-invalid-ciphertext"]);
    assert.deepEqual(by("invalid.yaml"), ["error invalid-manifest"]);

    // Only notices: exit 0.
    const calm = await repo({ "kubeseal.yaml": sealedSecretYaml(key2048, "team", "bykubeseal", { record: false }) });
    const r = await checkJson(calm);
    assert.equal(r.code, 0);
    assert.deepEqual(r.findings.map((f) => f.rule), ["sealed-unverifiable-offline"]);
    assert.match(r.findings[0]?.message ?? "", /--controller/);
  });

  it("--cert takes a ConfigMap manifest holding the certificates", async () => {
    const cm = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "sealing" }, data: { "cert.pem": key2048.certificatePem + key3072.certificatePem } });
    const dir = await repo({ "cm/published.yaml": cm, "apps/ours.yaml": sealedSecretYaml(key3072, "team", "ours") });
    const report = await checkJson(dir, ["--cert", "cm/published.yaml", "apps"]);
    assert.deepEqual(report.findings, []);
    assert.equal(report.code, 0);
  });

  it("SOPS files and SopsSecrets whose recipients do not include the cluster's", async () => {
    const cluster = await identityToRecipient(await generateX25519Identity());
    const other = await identityToRecipient(await generateX25519Identity());
    const forCluster = await sopsDocument({ values: { password: CANARY }, recipients: [other, cluster], format: "yaml" });
    const forOther = await sopsDocument({ values: { password: CANARY }, recipients: [other], format: "yaml" });
    const sopsSecret = (name: string, document: string, refs: string[] = [], scope = "cluster-wide") =>
      stringify({
        apiVersion: "sealbridge.dev/v1alpha1",
        kind: "SopsSecret",
        metadata: { name, namespace: "team", annotations: scope === "cluster-wide" ? { "sealedsecrets.bitnami.com/cluster-wide": "true" } : {} },
        spec: { document, ...(refs.length > 0 ? { identitySecretRefs: refs.map((n) => ({ name: n })) } : {}) },
      });
    const dir = await repo({
      "raw-ok.enc.yaml": forCluster,
      "raw-bad.enc.yaml": forOther,
      "ss-ok.yaml": sopsSecret("ok", forCluster),
      "ss-bad.yaml": sopsSecret("bad", forOther),
      "ss-ref.yaml": sopsSecret("ref", forOther, ["sops-age"]),
      "ss-strict.yaml": sopsSecret("strict", forOther, [], "strict"),
      "recipients.txt": `# the cluster\n${cluster}\n`,
    });
    const report = await checkJson(dir, ["--recipients-file", "recipients.txt"]);
    const by = (file: string) => report.findings.filter((f) => f.file === file).map((f) => `${f.severity} ${f.rule}`);
    assert.deepEqual(by("raw-ok.enc.yaml"), []);
    assert.deepEqual(by("ss-ok.yaml"), []);
    assert.deepEqual(by("raw-bad.enc.yaml"), ["error sops-recipients-mismatch"]);
    assert.deepEqual(by("ss-bad.yaml"), ["error sops-recipients-mismatch"]);
    assert.deepEqual(by("ss-ref.yaml"), ["warning sops-recipients-mismatch"]);
    // A strict SopsSecret needs the controller's strict recipient, which the given ones may not be.
    assert.deepEqual(by("ss-strict.yaml"), ["warning sops-recipients-mismatch"]);
    assert.match(report.findings.find((f) => f.file === "ss-strict.yaml")?.message ?? "", /verify with --controller/);
    assert.match(report.findings.find((f) => f.file === "ss-ref.yaml")?.message ?? "", /identity Secret\(s\) sops-age/);
    assert.equal(JSON.stringify(report).includes(CANARY), false);

    // Without the cluster's recipients: notices, exit 0 (a SOPS file is not a plain Secret).
    const unchecked = await checkJson(dir, ["raw-ok.enc.yaml", "ss-ok.yaml"]);
    // The public-keys ConfigMap the controller publishes works as --recipients-file.
    const cm = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "sealbridge-public-keys" }, data: { "cert-sha256": "ab".repeat(32), "age-recipients-cluster-wide": `${cluster}\n` } });
    await writeFile(join(dir, "published.yaml"), cm);
    const viaCm = await checkJson(dir, ["--recipients-file", "published.yaml", "raw-ok.enc.yaml", "raw-bad.enc.yaml"]);
    assert.deepEqual(viaCm.findings.map((f) => `${f.file} ${f.rule}`), ["raw-bad.enc.yaml sops-recipients-mismatch"]);
    assert.deepEqual(unchecked.findings.map((f) => `${f.severity} ${f.rule}`), ["notice sops-recipients-unchecked", "notice sops-recipients-unchecked"]);
    assert.equal(unchecked.code, 0);
    // --recipient works like the file.
    const flag = await checkJson(dir, ["--recipient", cluster, "raw-bad.enc.yaml"]);
    assert.deepEqual(flag.findings.map((f) => f.rule), ["sops-recipients-mismatch"]);
  });

  it("built-in renderer: a strict scope broken by namePrefix/namespace names the transformation; cluster-wide is not", async () => {
    const dir = await repo({
      "base/kustomization.yaml": "resources:\n- sealed.yaml\n- wide.yaml\n- nswide.yaml\n",
      "base/sealed.yaml": sealedSecretYaml(key2048, "team", "app"),
      "base/wide.yaml": sealedSecretYaml(key2048, "team", "wide", { annotations: { "sealedsecrets.bitnami.com/cluster-wide": "true" } }),
      "base/nswide.yaml": sealedSecretYaml(key2048, "team", "nsw", { annotations: { "sealedsecrets.bitnami.com/namespace-wide": "true" } }),
      "overlays/prod/kustomization.yaml": "namePrefix: prod-\nresources:\n- ../../base\n",
      "overlays/other-ns/kustomization.yaml": "namespace: other\nresources:\n- ../../base\npatches:\n- path: patch.yaml\n",
      "overlays/other-ns/patch.yaml": "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: app}\nspec: {template: {type: Opaque}}\n",
      "cert.pem": key2048.certificatePem,
    });
    const report = await checkJson(dir, ["--cert", "cert.pem"]);
    const scope = report.findings.filter((f) => f.rule === "scope-broken-by-rendering");
    assert.deepEqual(scope.map((f) => [f.file, f.line, f.object]), [
      ["base/nswide.yaml", 5, "SealedSecret team/nsw"],
      ["base/sealed.yaml", 4, "SealedSecret team/app"],
      ["base/sealed.yaml", 5, "SealedSecret team/app"],
    ]);
    const prefix = scope.find((f) => f.message.startsWith("namePrefix"));
    assert.equal(prefix?.message.startsWith("namePrefix 'prod-' in overlays/prod/kustomization.yaml renames team/app → team/prod-app when overlays/prod is rendered; strict scope breaks"), true, prefix?.message);
    assert.match(scope.find((f) => f.file === "base/nswide.yaml")?.message ?? "", /^namespace 'other' in overlays\/other-ns\/kustomization.yaml renames team\/nsw → other\/nsw .*namespace-wide scope breaks/);
    // The built-in renderer says what it did not apply; the patch file is not checked as an object.
    assert.ok(report.findings.some((f) => f.severity === "notice" && f.file === "overlays/other-ns/kustomization.yaml" && /patches not applied by the built-in renderer/.test(f.message)));
    assert.equal(report.findings.some((f) => f.file === "overlays/other-ns/patch.yaml"), false);
    assert.equal(report.summary.overlays, 2);
    assert.deepEqual(report.summary.renderers, ["builtin"]);
  });

  it("ExternalSecrets whose store is not in the rendered output; a renamed store is explained", async () => {
    const es = (name: string, store: string, kind = "SecretStore") => stringify({ apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name }, spec: { secretStoreRef: { name: store, kind }, target: { name }, data: [{ secretKey: "a", remoteRef: { key: "k" } }] } });
    const store = (name: string, kind = "SecretStore") => stringify({ apiVersion: "external-secrets.io/v1", kind, metadata: { name }, spec: { provider: { vault: { server: "http://127.0.0.1:8200" } } } });
    const dir = await repo({
      "base/kustomization.yaml": "resources: [es.yaml, store.yaml]\n",
      "base/es.yaml": es("app", "vault"),
      "base/store.yaml": store("vault"),
      "overlays/prod/kustomization.yaml": "namePrefix: prod-\nnamespace: prod\nresources: [../../base]\n",
      "loose/es.yaml": `${es("loose-ok", "shared", "ClusterSecretStore")}---\n${es("loose-missing", "nowhere")}---\n${es("loose-store", "local")}`,
      "loose/store.yaml": store("local"),
      "loose/push.yaml": stringify({ apiVersion: "external-secrets.io/v1alpha1", kind: "PushSecret", metadata: { name: "push" }, spec: { secretStoreRefs: [{ name: "local", kind: "SecretStore" }, { name: "gone", kind: "SecretStore" }, { labelSelector: { matchLabels: { a: "b" } } }], selector: { secret: { name: "s" } } } }),
      "infra/cluster-store.yaml": store("shared", "ClusterSecretStore"),
      "infra/kustomization.yaml": "resources: [cluster-store.yaml]\n",
    });
    const report = await checkJson(dir);
    const missing = report.findings.filter((f) => f.rule === "store-not-found");
    assert.deepEqual(missing.map((f) => [f.file, f.object]), [["base/es.yaml", "ExternalSecret prod/prod-app"], ["loose/es.yaml", "ExternalSecret loose-missing"], ["loose/push.yaml", "PushSecret push"]]);
    assert.match(missing[2]?.message ?? "", /^spec\.secretStoreRefs\.1 names SecretStore gone/);
    // Not rendering: every file is taken as applied as it is, so the base's store is found.
    const off = JSON.parse((await check(dir, ["-o", "json", "--kustomize", "off"])).stdout) as JsonReport;
    assert.deepEqual(off.findings.filter((f) => f.rule === "store-not-found").map((f) => f.file), ["loose/es.yaml", "loose/push.yaml"]);
    assert.equal(off.summary.overlays, 0);
    assert.match(missing[0]?.message ?? "", /SecretStore vault, which is not in the rendered output of overlays\/prod \(SecretStore vault is rendered as prod\/prod-vault, renamed by namePrefix 'prod-' in overlays\/prod\/kustomization.yaml; kustomize does not rename storeRef\)/);
    assert.equal(missing[0]?.line, 7, "the line of spec.secretStoreRef.name");
  });

  it("sealbridge.dev/sealed-for says what the values were sealed for, after a rename by hand or by an overlay", async () => {
    const dir = await repo({
      "loose/renamed.yaml": sealedSecretYaml(key2048, "team", "new-name", { annotations: { "sealbridge.dev/sealed-for": "strict:team/old-name" } }),
      "loose/same.yaml": sealedSecretYaml(key2048, "team", "same", { annotations: { "sealbridge.dev/sealed-for": "strict:team/same" } }),
      "loose/garbage.yaml": sealedSecretYaml(key2048, "team", "g", { annotations: { "sealbridge.dev/sealed-for": `strict:${CANARY}!/x` } }),
      "base/kustomization.yaml": "resources: [moved.yaml]\n",
      "base/moved.yaml": sealedSecretYaml(key2048, "dev", "app", { annotations: { "sealbridge.dev/sealed-for": "namespace-wide:prod", "sealedsecrets.bitnami.com/namespace-wide": "true" } }),
      "overlays/prod/kustomization.yaml": "namespace: prod\nresources: [../../base]\n",
      "cert.pem": key2048.certificatePem,
    });
    const report = await checkJson(dir, ["--cert", "cert.pem"]);
    const scope = report.findings.filter((f) => f.rule === "scope-broken-by-rendering");
    assert.deepEqual(scope.map((f) => f.file), ["loose/renamed.yaml"], "the overlay moves it to the namespace it was sealed for");
    assert.match(scope[0]?.message ?? "", /^the manifest names team\/new-name; strict scope breaks: its values were sealed for team\/old-name \(recorded in sealbridge.dev\/sealed-for\)/);
    assert.equal(JSON.stringify(report).includes(CANARY), false);
  });

  it("AgeSecrets: recorded recipients against the given ones; broken age files; no record is a notice", async () => {
    const cluster = await identityToRecipient(await generateX25519Identity());
    const other = await identityToRecipient(await generateX25519Identity());
    const sealAge = async (name: string, recipient: string, scope: string) => {
      let out = "";
      const input = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: team\nstringData:\n  pw: ${CANARY}\n`;
      const code = await run(["seal", "--age", "--recipient", recipient, "--scope", scope, "-o", "yaml"], {
        readStdin: () => Promise.resolve(Buffer.from(input)),
        stdout: (c) => (out += typeof c === "string" ? c : Buffer.from(c).toString()),
        stderr: () => undefined,
        env: {},
        cwd: tmpdir(),
      });
      assert.equal(code, 0);
      return out;
    };
    const dir = await repo({
      "ok.yaml": await sealAge("ok", cluster, "cluster-wide"),
      "other-wide.yaml": await sealAge("ow", other, "cluster-wide"),
      "other-strict.yaml": await sealAge("os", other, "strict"),
      "unrecorded.yaml": stringify({ apiVersion: "sealbridge.dev/v1alpha1", kind: "AgeSecret", metadata: { name: "u", namespace: "team" }, spec: { encryptedData: { pw: "-----BEGIN AGE ENCRYPTED FILE-----\nnot armor\n-----END AGE ENCRYPTED FILE-----\n" } } }),
    });
    const report = await checkJson(dir, ["--recipient", cluster]);
    const by = (file: string) => report.findings.filter((f) => f.file === file).map((f) => `${f.severity} ${f.rule}`);
    assert.deepEqual(by("ok.yaml"), []);
    assert.deepEqual(by("other-wide.yaml"), ["error age-unknown-recipient"]);
    assert.deepEqual(by("other-strict.yaml"), ["warning age-unknown-recipient"]);
    assert.deepEqual(by("unrecorded.yaml").sort(), ["error sealed-invalid-ciphertext", "notice age-unverifiable-offline"]);
    assert.equal(JSON.stringify(report).includes(CANARY), false);
  });

  it("Helm chart templates are skipped with a notice, not reported as unparsable", async () => {
    const dir = await repo({
      "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
      "chart/values.yaml": "replicas: 1\n",
      "chart/templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\nstringData:\n  {{- toYaml .Values.secret | nindent 2 }}\n",
    });
    const report = await checkJson(dir);
    assert.deepEqual(report.findings.map((f) => `${f.severity} ${f.rule} ${f.file}`), ["notice not-rendered chart/templates"]);
    assert.equal(report.code, 0);
  });

  it("a kustomization graph that includes itself, or the same bases many times over, is bounded", async () => {
    const files: Record<string, string> = {
      "loop/a/kustomization.yaml": "resources: [../b]\n",
      "loop/b/kustomization.yaml": "resources: [../a]\n",
      "loop/top/kustomization.yaml": "resources: [../a]\n",
      "diamond/l22a/kustomization.yaml": "resources: [cm.yaml]\n",
      "diamond/l22a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaf}\n",
      "diamond/l22b/kustomization.yaml": "resources: [../l22a]\n",
    };
    // Each level includes both dirs of the next: 2^22 paths to the leaf.
    for (let i = 0; i < 22; i++) for (const side of ["a", "b"]) files[`diamond/l${i}${side}/kustomization.yaml`] = `resources: [../l${i + 1}a, ../l${i + 1}b]\n`;
    files["diamond/root/kustomization.yaml"] = "resources: [../l0a]\n";
    const dir = await repo(files);
    const started = Date.now();
    const report = await checkJson(dir);
    assert.ok(Date.now() - started < 60_000);
    const errors = report.findings.filter((f) => f.rule === "kustomize-error").map((f) => f.message);
    assert.ok(errors.some((m) => /includes itself \(a cycle\)/.test(m)), errors.join("\n"));
    assert.ok(errors.some((m) => /renders more than 200000 objects/.test(m)), errors.join("\n"));
    assert.ok(report.findings.length < 100, `${report.findings.length} findings`);
  });

  it("github and junit outputs are well-formed and escaped", async () => {
    const dir = await repo({ "a,b:c.yaml": sealedSecretYaml(other2048, "team", "x"), "cert.pem": key2048.certificatePem, "p<&>.yaml": `apiVersion: v1\nkind: Secret\nmetadata: {name: "p<&>"}\nstringData: {k: ${CANARY}}\n` });
    const gh = await check(dir, ["-o", "github", "--cert", "cert.pem"]);
    assert.equal(gh.code, 1);
    const lines = gh.stdout.trim().split("\n");
    assert.match(lines[0] ?? "", /^::error file=a%2Cb%3Ac\.yaml,line=\d+,title=sealbridge check%3A sealed-unknown-certificate::SealedSecret team\/x: sealed with certificate/);
    assert.match(lines[1] ?? "", /^::error file=p<&>\.yaml,line=4,.*::Secret \(invalid name\): stringData holds 1 value/);
    const junit = await check(dir, ["-o", "junit", "--cert", "cert.pem"]);
    assert.match(junit.stdout, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="sealbridge check" tests="3" failures="2">/);
    assert.match(junit.stdout, /<testcase classname="sealbridge.check" name="p&lt;&amp;&gt;.yaml">/);
    assert.equal(junit.stdout.includes("p<&>"), false);
    assert.match(junit.stdout, /<testcase classname="sealbridge.check" name="0 file\(s\) without findings"\/>/);
    assert.equal(junit.stdout.includes(CANARY), false);
  });
});
