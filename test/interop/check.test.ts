// `sealbridge check` on a repository made by the real tools: SealedSecrets sealed by kubeseal, SOPS
// files encrypted by sops to keys from age-keygen, overlays rendered by the real kustomize (built
// from its Go module). Also the differential: the built-in renderer against kustomize on the same
// overlays (names, namespaces, sources and named transformations of every object).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { stringify } from "yaml";
import { run } from "../../src/cli/run.ts";
import { renderBuiltin, type Rendering } from "../../src/check/rendering.ts";
import { renderWithTool } from "../../src/check/render-tool.ts";
import { DiskTree } from "../../src/check/tree.ts";
import { generateSealingKeyPair } from "../../src/crypto/certificate.ts";
import { ensureAge, ensureTool } from "../support/tools.ts";

const CANARY = "CANARY-interop-5c1d-never-printed";

let dir = "";
let kustomize = "";
let clusterRecipient = "";

function exec(file: string, args: string[], opts: { stdin?: string; cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { cwd: opts.cwd ?? dir, env: { PATH: process.env["PATH"] ?? "", HOME: dir, ...opts.env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${file} ${args.join(" ")}: ${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(opts.stdin ?? "");
  });
}

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), content);
}

function secretYaml(ns: string, name: string, annotations: Record<string, string> = {}): string {
  return stringify({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns, annotations }, stringData: { password: CANARY } });
}

interface Report {
  summary: { renderers: string[]; overlays: number };
  findings: { rule: string; severity: string; file: string; line: number; object?: string; message: string }[];
}

async function check(args: string[], path: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(["check", ...args], {
    readStdin: () => Promise.resolve(Buffer.alloc(0)),
    stdout: (c) => (stdout += typeof c === "string" ? c : Buffer.from(c).toString("utf8")),
    stderr: (c) => (stderr += c),
    env: { PATH: path, HOME: dir },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

before(async () => {
  const [kubeseal, sops, age] = await Promise.all([ensureTool("kubeseal"), ensureTool("sops"), ensureAge()]);
  kustomize = await ensureTool("kustomize");
  dir = await mkdtemp(join(tmpdir(), "sb-check-interop-"));
  const now = new Date();
  const [cluster, foreign] = await Promise.all([generateSealingKeyPair({ now, bits: 2048 }), generateSealingKeyPair({ now, bits: 3072 })]);
  await put("cluster/cert.pem", cluster.certificatePem);
  await put("foreign.pem", foreign.certificatePem);
  const seal = (cert: string, input: string, extra: string[] = []) => exec(kubeseal, ["--cert", cert, "-o", "yaml", ...extra], { stdin: input });

  // age keys from age-keygen: the cluster's and someone else's.
  const ageKeygen = join(dirname(age), "age-keygen");
  await exec(ageKeygen, ["-o", "cluster.key"]);
  await exec(ageKeygen, ["-o", "other.key"]);
  const recipientOf = async (f: string) => (await exec(ageKeygen, ["-y", f])).trim();
  clusterRecipient = await recipientOf("cluster.key");
  const otherRecipient = await recipientOf("other.key");
  await put("cluster/recipients.txt", `${clusterRecipient}\n`);
  const sopsEncrypt = async (file: string, recipient: string) => exec(sops, ["--encrypt", "--age", recipient, "--encrypted-regex", "^(data|stringData)$", file]);

  // base: a strict SealedSecret, a cluster-wide one, an ExternalSecret with its SecretStore.
  await put("base/kustomization.yaml", "resources:\n- sealed.yaml\n- wide.yaml\n- external.yaml\n- sops-secret.yaml\n");
  await put("base/sealed.yaml", await seal("cluster/cert.pem", secretYaml("team", "app")));
  await put("base/wide.yaml", await seal("cluster/cert.pem", secretYaml("team", "wide"), ["--scope", "cluster-wide"]));
  await put(
    "base/external.yaml",
    stringify({ apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name: "db", namespace: "team" }, spec: { secretStoreRef: { name: "vault", kind: "SecretStore" }, target: { name: "db" }, data: [{ secretKey: "pw", remoteRef: { key: "db" } }] } }) +
      "---\n" +
      stringify({ apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: "vault", namespace: "team" }, spec: { provider: { vault: { server: "http://127.0.0.1:8200", path: "secret" } } } }),
  );
  await put("plain-db.yaml", secretYaml("team", "db"));
  const document = await sopsEncrypt("plain-db.yaml", clusterRecipient);
  await put("base/sops-secret.yaml", stringify({ apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name: "db-sops", namespace: "team", annotations: { "sealedsecrets.bitnami.com/namespace-wide": "true" } }, spec: { document } }));
  // Overlays: a prefix (strict breaks, the store link breaks), a namespace (both scoped ones break), a nested suffix.
  await put("overlays/prod/kustomization.yaml", "namePrefix: prod-\nresources:\n- ../../base\n");
  await put("overlays/moved/kustomization.yaml", "namespace: elsewhere\nresources:\n- ../../base\n");
  await put("overlays/mid/kustomization.yaml", "nameSuffix: -v2\nresources:\n- ../../base\n");
  await put("overlays/top/kustomization.yaml", "namespace: team\nresources:\n- ../mid\n");
  // Loose files: a foreign-key SealedSecret (kubeseal, RSA-3072), SOPS files for and not for the cluster.
  await put("loose/foreign.yaml", await seal("foreign.pem", secretYaml("team", "foreign")));
  await put("loose/ok.enc.yaml", await sopsEncrypt("plain-db.yaml", clusterRecipient));
  await put("loose/other.enc.yaml", await sopsEncrypt("plain-db.yaml", otherRecipient));
  await writeFile(join(dir, "plain-db.yaml"), "# removed: the plaintext is not part of the repository\n");
});

describe("sealbridge check with kubeseal, sops, age-keygen and kustomize", () => {
  it("finds what will not decrypt or sync once merged, through the real kustomize, and prints no value", { timeout: 300_000 }, async () => {
    const path = dirname(kustomize);
    const args = ["--cert", "cluster/cert.pem", "--recipients-file", "cluster/recipients.txt", "."];
    const r = await check(["-o", "json", ...args], path);
    assert.equal(r.stderr, "");
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(report.summary.renderers, ["kustomize"]);
    assert.equal(report.summary.overlays, 3, "prod, moved and top (mid is included by top)");
    const failing = report.findings.filter((f) => f.severity !== "notice").map((f) => `${f.file} ${f.rule} ${f.object ?? ""}`);
    assert.deepEqual(failing, [
      "base/external.yaml store-not-found ExternalSecret team/db-v2",
      "base/external.yaml store-not-found ExternalSecret team/prod-db",
      "base/sealed.yaml scope-broken-by-rendering SealedSecret team/app",
      "base/sealed.yaml scope-broken-by-rendering SealedSecret team/app",
      "base/sealed.yaml scope-broken-by-rendering SealedSecret team/app",
      "base/sops-secret.yaml scope-broken-by-rendering SopsSecret team/db-sops",
      "loose/foreign.yaml sealed-key-size-mismatch SealedSecret team/foreign",
      "loose/other.enc.yaml sops-recipients-mismatch Secret team/db",
    ]);
    const messages = report.findings.map((f) => f.message);
    assert.ok(messages.includes("namePrefix 'prod-' in overlays/prod/kustomization.yaml renames team/app → team/prod-app when overlays/prod is rendered; strict scope breaks: its values were sealed for team/app: re-seal for team/prod-app, or seal it namespace-wide or cluster-wide"), messages.join("\n"));
    assert.ok(messages.some((m) => m.startsWith("nameSuffix '-v2' in overlays/mid/kustomization.yaml renames team/app → team/app-v2 when overlays/top is rendered")), messages.join("\n"));
    assert.ok(messages.some((m) => m.startsWith("namespace 'elsewhere' in overlays/moved/kustomization.yaml renames team/db-sops → elsewhere/db-sops") && /namespace-wide scope breaks/.test(m)));
    assert.ok(messages.some((m) => /SecretStore vault is rendered as team\/prod-vault, renamed by namePrefix 'prod-' in overlays\/prod\/kustomization.yaml/.test(m)));
    // kubeseal records no certificate: the strict base value is unverifiable offline, the RSA-3072 one is foreign.
    assert.ok(report.findings.some((f) => f.file === "base/sealed.yaml" && f.rule === "sealed-unverifiable-offline" && f.severity === "notice"));
    for (const output of ["human", "json", "github", "junit"]) {
      const o = await check(["-o", output, ...args], path);
      assert.equal(o.code, 1);
      assert.equal(o.stdout.includes(CANARY) || o.stderr.includes(CANARY), false, `${output} prints no value`);
    }
  });

  it("a kustomize error is a finding with the overlay's file, and does not stop the rest", { timeout: 120_000 }, async () => {
    await put("broken/kustomization.yaml", `resources:\n- missing.yaml\nsecretGenerator:\n- name: x\n  literals: [pw=${CANARY}]\n`);
    try {
      const r = await check(["-o", "json", "broken", "loose"], dirname(kustomize));
      const report = JSON.parse(r.stdout) as Report;
      const err = report.findings.find((f) => f.rule === "kustomize-error");
      assert.equal(err?.file, "broken/kustomization.yaml");
      assert.match(err?.message ?? "", /^kustomize build failed: .*missing\.yaml/);
      assert.ok(report.findings.some((f) => f.file === "loose/foreign.yaml"));
      assert.equal(r.stdout.includes(CANARY), false);
      // kustomize quotes a malformed literal in its error: the value is replaced, the error kept.
      await put("broken2/kustomization.yaml", `secretGenerator:\n- name: x\n  literals:\n  - ${CANARY}\n`);
      const quoted = await check(["-o", "json", "broken2"], dirname(kustomize));
      const line = (JSON.parse(quoted.stdout) as Report).findings.find((f) => f.rule === "kustomize-error")?.message ?? "";
      assert.match(line, /^kustomize build failed: loading KV pairs: .*invalid literal source \[redacted\]/);
      assert.equal(quoted.stdout.includes(CANARY), false);
    } finally {
      await writeFile(join(dir, "broken/kustomization.yaml"), "resources: []\n");
      await writeFile(join(dir, "broken2/kustomization.yaml"), "resources: []\n");
    }
  });

  it("differential: the built-in renderer names and places every object as kustomize does", { timeout: 300_000 }, async () => {
    const tree = new DiskTree(dir);
    const shape = (r: Rendering) =>
      r.objects
        .map((o) => {
          const meta = (o.value["metadata"] ?? {}) as { name?: string; namespace?: string };
          const renames = o.transformations.filter((t) => ["namePrefix", "nameSuffix", "namespace"].includes(t.field)).map((t) => `${t.field}=${t.value}@${tree.display(t.file)}`);
          return `${String(o.value["kind"])} ${meta.namespace ?? ""}/${meta.name ?? ""} from ${o.source ? `${o.source.file}#${o.source.index}` : "?"} by [${renames.sort().join(", ")}]`;
        })
        .sort();
    const tool = { name: "kustomize" as const, command: kustomize, args: ["build"] };
    for (const overlay of ["overlays/prod", "overlays/moved", "overlays/top", "overlays/mid", "base"]) {
      const root = join(dir, overlay);
      const real = await renderWithTool({ tool, root, loader: tree, env: { PATH: process.env["PATH"] ?? "" }, redact: (t) => t });
      assert.deepEqual(real.findings, [], overlay);
      const builtin = renderBuiltin(root, tree);
      assert.deepEqual(builtin.findings, [], overlay);
      assert.ok(real.objects.length >= 5, `${overlay} renders the base`);
      assert.deepEqual(shape(builtin), shape(real), overlay);
    }
    // And the built-in renderer's findings equal kustomize's for the whole repository.
    const args = ["-o", "json", "--cert", "cluster/cert.pem", "--recipients-file", "cluster/recipients.txt", "overlays", "base"];
    const viaTool = JSON.parse((await check(args, dirname(kustomize))).stdout) as Report;
    const viaBuiltin = JSON.parse((await check([...args, "--kustomize", "builtin"], "")).stdout) as Report;
    const failing = (r: Report) => r.findings.filter((f) => f.severity !== "notice");
    assert.deepEqual(failing(viaBuiltin), failing(viaTool));
    assert.deepEqual(viaBuiltin.summary.renderers, ["builtin"]);
    assert.equal((await readFile(join(dir, "base/sealed.yaml"), "utf8")).includes("buildMetadata"), false, "the user's files are not touched");

    // Two resources with one id: kustomize refuses the overlay, and so does the built-in renderer.
    const cm = stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "same", namespace: "team" }, data: { a: "b" } });
    await put("dupcase/kustomization.yaml", "resources: [a.yaml, b.yaml]\n");
    await put("dupcase/a.yaml", cm);
    await put("dupcase/b.yaml", cm);
    const refusals = async (extra: string[], path: string) =>
      (JSON.parse((await check(["-o", "json", ...extra, "dupcase"], path)).stdout) as Report).findings.filter((f) => f.rule === "kustomize-error").map((f) => f.file);
    assert.deepEqual(await refusals([], dirname(kustomize)), ["dupcase/kustomization.yaml"]);
    assert.deepEqual(await refusals(["--kustomize", "builtin"], ""), ["dupcase/kustomization.yaml"]);
  });
});
