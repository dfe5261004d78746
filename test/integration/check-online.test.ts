// `sealbridge check` online against a running controller on the real control plane: each deployed
// SealedSecret (as its overlay renders it) through POST /v1/verify, each AgeSecret and SopsSecret
// against /v1/age-recipients for its rendered scope; at --controller-url and, as kubeseal reaches
// the controller, through the API server's service proxy.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { stringify } from "yaml";
import { startAgeSecrets, type AgeSecretsRuntime } from "../../src/age-secrets.ts";
import { run } from "../../src/cli/run.ts";
import { generateSealingKeyPair } from "../../src/crypto/certificate.ts";
import { createLogger } from "../../src/log.ts";
import { startSealedSecrets, type SealedSecretsRuntime } from "../../src/sealed-secrets.ts";
import type { ProcessServer } from "../../src/server/http.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { exposeThroughServiceProxy, serve, skipUnlessExposed } from "../support/sealed-controller.ts";
import { sopsDocument } from "../support/sops-document.ts";

const CANARY = "CANARY-online-91be-never-printed";

let cluster: TestCluster;
let keyNs = "";
let ns = "";
let dir = "";
let age: AgeSecretsRuntime;
let sealed: SealedSecretsRuntime;
let server: ProcessServer;
const logs: string[] = [];

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], stdin = ""): Promise<Out> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    readStdin: () => Promise.resolve(Buffer.from(stdin)),
    stdout: (c) => (stdout += typeof c === "string" ? c : Buffer.from(c).toString("utf8")),
    stderr: (c) => (stderr += c),
    env: { PATH: "", HOME: dir },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

function secretYaml(name: string, namespace: string | undefined): string {
  return stringify({ apiVersion: "v1", kind: "Secret", metadata: { name, ...(namespace !== undefined ? { namespace } : {}) }, stringData: { password: CANARY } });
}

interface Report {
  summary: { online: boolean };
  findings: { rule: string; severity: string; file: string; line: number; object?: string; message: string }[];
}

function failingOf(report: Report): string[] {
  return report.findings.filter((f) => f.severity !== "notice").map((f) => `${f.file} ${f.rule} ${f.object ?? ""}`);
}

before(async () => {
  cluster = await testCluster();
  keyNs = await freshNamespace(cluster, "checkkeys");
  ns = await freshNamespace(cluster, "check");
  dir = await mkdtemp(join(tmpdir(), "sb-check-online-"));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: "info", destination: sink });
  age = await startAgeSecrets(cluster.kube, log, { keyNamespace: keyNs, workers: 2, keyRenewPeriodMs: 0, ageSecrets: true, sopsSecrets: true });
  sealed = await startSealedSecrets(cluster.kube, log, { keyNamespace: keyNs, watchNamespace: ns, workers: 2, keyPrefix: "sealed-secrets-key", keyBits: 2048, keyRenewPeriodMs: 0 });
  // All interfaces: the API server's service proxy reaches it through a veth the support code makes.
  server = await serve(sealed, log, "0.0.0.0:0", { ageRecipients: (q) => age.ageRecipients(q) });
  const api = `http://127.0.0.1:${server.api.port}`;

  const seal = async (input: string, extra: string[] = []) => {
    const r = await cli(["seal", ...(extra.includes("--age") ? [] : ["--cert", `${api}/v1/cert.pem`]), "-o", "yaml", ...extra], input);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const recipient = async (scope: string, namespace: string, name: string) => (await (await fetch(`${api}/v1/age-recipients?scope=${scope}&namespace=${namespace}&name=${name}`)).text()).trim();
  const foreign = await generateSealingKeyPair({ now: new Date(), bits: 2048 });
  await put("foreign.pem", foreign.certificatePem);
  const stranger = await identityToRecipient(await generateX25519Identity());

  // base: a strict SealedSecret and a strict AgeSecret; overlay prod prefixes both.
  await put("base/kustomization.yaml", "resources: [app.yaml, api.yaml]\n");
  await put("base/app.yaml", await seal(secretYaml("app", ns)));
  await put("base/api.yaml", await seal(secretYaml("api", ns), ["--age", "--recipient", await recipient("strict", ns, "api")]));
  await put("overlays/prod/kustomization.yaml", "namePrefix: prod-\nresources: [../../base]\n");
  // Loose: one that opens, one sealed to another key (same size, no record: unverifiable offline),
  // one without a namespace (opens with -n), SopsSecrets for the controller's recipient and not.
  await put("loose/ok.yaml", await seal(secretYaml("ok", ns)));
  const kubesealLike = await cli(["seal", "--cert", "foreign.pem", "-o", "json"], secretYaml("foreign", ns));
  const foreignDoc = JSON.parse(kubesealLike.stdout) as { metadata: { annotations?: Record<string, string> } };
  delete foreignDoc.metadata.annotations;
  await put("loose/foreign.json", JSON.stringify(foreignDoc, null, 2));
  await put("loose/nons.yaml", await seal(secretYaml("nons", undefined), ["-n", ns]).then((y) => y.replace(`\n  namespace: ${ns}\n`, "\n")));
  const sopsSecret = async (name: string, recipients: string[]) =>
    stringify({ apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name, namespace: ns }, spec: { document: await sopsDocument({ values: { password: CANARY }, recipients, format: "yaml" }) } });
  await put("loose/sops-ok.yaml", await sopsSecret("db", [await recipient("strict", ns, "db")]));
  await put("loose/sops-stranger.yaml", await sopsSecret("other", [stranger]));
});

after(async () => {
  await server.close();
  await sealed.stop();
  await age.stop();
  await rm(dir, { recursive: true, force: true });
  assert.equal(logs.join("").includes(CANARY), false, "no value reached the controller's logs");
});

describe("sealbridge check online", () => {
  it("offline it cannot tell; at --controller-url the controller's /v1/verify and recipients decide", { timeout: 180_000 }, async () => {
    const offline = JSON.parse((await cli(["check", "-o", "json", "--kustomize", "builtin", "."])).stdout) as Report;
    assert.equal(offline.summary.online, false);
    assert.ok(offline.findings.some((f) => f.file === "loose/foreign.json" && f.rule === "sealed-unverifiable-offline"));
    assert.equal(failingOf(offline).includes("loose/foreign.json sealed-does-not-decrypt SealedSecret " + `${ns}/foreign`), false);

    const url = `http://127.0.0.1:${server.api.port}`;
    const r = await cli(["check", "-o", "json", "--kustomize", "builtin", "--controller-url", url, "-n", ns, "."]);
    assert.equal(r.stderr, "");
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.summary.online, true);
    const nons = report.findings.find((f) => f.file === "loose/nons.yaml");
    assert.equal(nons, undefined, nons?.message);
    assert.deepEqual(failingOf(report), [
      `base/api.yaml age-unknown-recipient AgeSecret ${ns}/prod-api`,
      `base/api.yaml scope-broken-by-rendering AgeSecret ${ns}/api`,
      `base/app.yaml sealed-does-not-decrypt SealedSecret ${ns}/prod-app`,
      `base/app.yaml scope-broken-by-rendering SealedSecret ${ns}/app`,
      `loose/foreign.json sealed-does-not-decrypt SealedSecret ${ns}/foreign`,
      `loose/sops-stranger.yaml sops-recipients-mismatch SopsSecret ${ns}/other`,
    ]);
    const verify = report.findings.find((f) => f.rule === "sealed-does-not-decrypt" && f.file === "base/app.yaml");
    assert.match(verify?.message ?? "", /^the controller at http:\/\/127\.0\.0\.1:\d+ cannot decrypt it as rendered by the overlay: [A-Z]\w+: /);
    assert.match(report.findings.find((f) => f.file === "loose/foreign.json" && f.rule === "sealed-does-not-decrypt")?.message ?? "", /cannot decrypt it: \w+: /);
    assert.equal(report.findings.some((f) => f.rule === "sealed-unverifiable-offline"), false, "online, nothing is left unverifiable");
    assert.equal(r.stdout.includes(CANARY), false);

    // Without -n the namespace-less SealedSecret is verified as it is, and does not open.
    const noNs = JSON.parse((await cli(["check", "-o", "json", "--controller-url", url, "loose/nons.yaml"])).stdout) as Report;
    assert.deepEqual(failingOf(noNs), ["loose/nons.yaml sealed-does-not-decrypt SealedSecret nons"]);

    // An unreachable controller is a usage error (exit 2), not a finding per object.
    const down = await cli(["check", "--controller-url", "http://127.0.0.1:9", "."]);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /^error: cannot reach the controller at http:\/\/127\.0\.0\.1:9/);
  });

  it("--controller reaches it through the API server's service proxy, as kubeseal does", { timeout: 180_000 }, async (t) => {
    const exposed = await exposeThroughServiceProxy(cluster, keyNs, server.api.port).catch(skipUnlessExposed(t));
    if (!exposed) return;
    t.after(() => exposed.remove());
    const args = ["check", "-o", "json", "--kustomize", "builtin", "--controller", "--kubeconfig", cluster.kubeconfigPath, "--controller-namespace", keyNs, "-n", ns, "."];
    let r = await cli(args);
    // The Endpoints may take a moment to be served by the proxy.
    for (let i = 0; i < 50 && r.code === 2; i++) {
      await new Promise((res) => setTimeout(res, 200));
      r = await cli(args);
    }
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.ok(failingOf(report).includes(`base/app.yaml sealed-does-not-decrypt SealedSecret ${ns}/prod-app`));
    assert.ok(failingOf(report).includes(`loose/foreign.json sealed-does-not-decrypt SealedSecret ${ns}/foreign`));
    assert.equal(failingOf(report).some((f) => f.startsWith("loose/ok.yaml")), false);
    assert.match(report.findings.find((f) => f.rule === "sealed-does-not-decrypt")?.message ?? "", new RegExp(`^controller ${keyNs}/sealed-secrets-controller cannot decrypt it`));
  });
});
