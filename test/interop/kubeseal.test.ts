// sealbridge seal against the real kubeseal (built from its Go module, cached): each side reads
// what the other wrote, in every scope, raw and merge-into; and the output layout matches.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { run } from "../../src/cli/run.ts";
import { generateSealingKeyPair } from "../../src/crypto/certificate.ts";
import { ensureTool } from "../support/tools.ts";

const SCOPES = ["strict", "namespace-wide", "cluster-wide"] as const;

let kubeseal = "";
let dir = "";
let env: Record<string, string> = {};

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function runKubeseal(args: string[], stdin = ""): Promise<Result> {
  return new Promise((resolveResult) => {
    const child = execFile(kubeseal, args, { cwd: dir, env }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolveResult({ code, stdout, stderr });
    });
    // A tool that does not read stdin may exit before we write: EPIPE then is not a failure.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(stdin);
  });
}

async function runSealbridge(args: string[], stdin = ""): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const code = await run(["seal", ...args], {
    readStdin: () => Promise.resolve(Buffer.from(stdin)),
    stdout: (chunk) => {
      stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    },
    stderr: (chunk) => {
      stderr += chunk;
    },
    env,
    cwd: dir,
  });
  return { code, stdout, stderr };
}

function ok(r: Result, what: string): string {
  assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);
  return r.stdout;
}

function secretYaml(name: string, namespace: string | undefined, data: Record<string, string>, annotations = ""): string {
  const lines = ["apiVersion: v1", "kind: Secret", "metadata:", `  name: ${name}`];
  if (namespace !== undefined) lines.push(`  namespace: ${namespace}`);
  if (annotations !== "") lines.push("  annotations:", annotations);
  lines.push("type: Opaque", "stringData:");
  for (const [k, v] of Object.entries(data)) lines.push(`  ${k}: ${JSON.stringify(v)}`);
  return lines.join("\n") + "\n";
}

/** The decoded data of an unsealed Secret (JSON or YAML). */
function unsealedData(text: string): Record<string, string> {
  const secret = parse(text.replace(/^---\n/, "")) as { data?: Record<string, string> };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  return out;
}

/** Output with ciphertext and sealbridge's own annotations (sealbridge.dev/*) removed, for layout comparison. */
function layout(text: string): string {
  return text
    .replace(/(AQ|AgA)[A-Za-z0-9+/=]{100,}/g, "<sealed>")
    .replace(/\n\s*"sealbridge\.dev\/[a-z0-9-]+": "[^"]*",?/g, "") // JSON entries
    .replace(/,(\n\s*\})/g, "$1") // a comma the last removed entry left behind
    .replace(/,\n\s*"annotations": \{\n\s*\}/g, "") // an annotations object left empty
    .replace(/\n\s+sealbridge\.dev\/[a-z0-9-]+: .*/g, "") // YAML lines
    .replace(/\n  annotations:(?=\n  \S|\n\S|$)/g, ""); // a YAML annotations block left empty
}

before(async () => {
  kubeseal = await ensureTool("kubeseal");
  dir = await mkdtemp(join(tmpdir(), "sealbridge-interop-"));
  const pair = await generateSealingKeyPair({ now: new Date(), bits: 2048 });
  await writeFile(join(dir, "tls.key"), pair.privateKeyPem);
  await writeFile(join(dir, "tls.crt"), pair.certificatePem);
  await writeFile(
    join(dir, "kubeconfig"),
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]",
      "users: [{name: u, user: {token: t}}]",
      "contexts: [{name: x, context: {cluster: c, user: u, namespace: team-a}}]",
      "current-context: x",
      "",
    ].join("\n"),
  );
  env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: dir, KUBECONFIG: join(dir, "kubeconfig") };
});

after(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

void describe("kubeseal seals with our certificate, sealbridge unseals", () => {
  for (const scope of SCOPES) {
    void it(`scope ${scope}`, async () => {
      const input = secretYaml("app", "team-a", { password: "hunter2", "with space": "a b\nc", empty: "" });
      const sealed = ok(await runKubeseal(["--cert", "tls.crt", "--scope", scope], input), "kubeseal");
      const opened = ok(await runSealbridge(["--recovery-unseal", "--recovery-private-key", "tls.key"], sealed), "unseal");
      assert.deepEqual(unsealedData(opened), { password: "hunter2", "with space": "a b\nc", empty: "" });
    });
  }
});

void describe("sealbridge seals, kubeseal --recovery-unseal reads it back", () => {
  for (const scope of SCOPES) {
    void it(`scope ${scope}, json and yaml`, async () => {
      const input = secretYaml("app", undefined, { token: "t0k3n", "ü-key": "välue" });
      for (const format of ["json", "yaml"]) {
        const sealed = ok(await runSealbridge(["--cert", "tls.crt", "--scope", scope, "-o", format], input), "seal");
        const opened = ok(await runKubeseal(["--recovery-unseal", "--recovery-private-key", "tls.key"], sealed), "kubeseal unseal");
        assert.deepEqual(unsealedData(opened), { token: "t0k3n", "ü-key": "välue" });
        // And it says the same thing kubeseal's recovery output says, byte for byte.
        const ours = ok(await runSealbridge(["--recovery-unseal", "--recovery-private-key", "tls.key"], sealed), "unseal");
        assert.equal(ours, opened);
      }
    });
  }

  void it("with the scope given by annotations on the input", async () => {
    const input = secretYaml("app", "team-b", { k: "v" }, '    sealedsecrets.bitnami.com/namespace-wide: "true"');
    const sealed = ok(await runSealbridge(["--cert", "tls.crt"], input), "seal");
    const renamed = sealed.replace(/"name": "app"/g, '"name": "other"');
    assert.deepEqual(
      unsealedData(ok(await runKubeseal(["--recovery-unseal", "--recovery-private-key", "tls.key"], renamed), "kubeseal")),
      { k: "v" },
    );
  });

  void it("with an RSA-4096 key", async () => {
    const pair = await generateSealingKeyPair({ now: new Date() });
    await writeFile(join(dir, "tls4096.key"), pair.privateKeyPem);
    await writeFile(join(dir, "tls4096.crt"), pair.certificatePem);
    const sealed = ok(await runSealbridge(["--cert", "tls4096.crt"], secretYaml("big", "ns", { k: "v4096" })), "seal");
    assert.match(sealed, new RegExp(pair.fingerprint));
    const opened = ok(await runKubeseal(["--recovery-unseal", "--recovery-private-key", "tls4096.key"], sealed), "kubeseal");
    assert.deepEqual(unsealedData(opened), { k: "v4096" });
  });

  void it("multi-document input, from a key backup List both tools accept", async () => {
    const key = (await readFile(join(dir, "tls.key"))).toString("base64");
    const crt = (await readFile(join(dir, "tls.crt"))).toString("base64");
    const backup = {
      apiVersion: "v1",
      kind: "List",
      items: [{ apiVersion: "v1", kind: "Secret", metadata: { name: "k1" }, type: "kubernetes.io/tls", data: { "tls.key": key, "tls.crt": crt } }],
    };
    await writeFile(join(dir, "backup.json"), JSON.stringify(backup));
    const input = secretYaml("one", "ns", { a: "1" }) + "---\n" + secretYaml("two", "ns", { b: "2" });
    const sealed = ok(await runSealbridge(["--cert", "tls.crt", "-o", "yaml"], input), "seal");
    const docs = sealed.split(/^---\n/m).filter((d) => d !== "");
    assert.equal(docs.length, 2);
    const second = ok(await runKubeseal(["--recovery-unseal", "--recovery-private-key", "backup.json"], docs[1]), "kubeseal");
    assert.deepEqual(unsealedData(second), { b: "2" });
    const ours = ok(await runSealbridge(["--recovery-unseal", "--recovery-private-key", "backup.json"], docs[0]), "unseal");
    assert.deepEqual(unsealedData(ours), { a: "1" });
  });
});

void describe("output layout matches kubeseal", () => {
  for (const format of ["json", "yaml"]) {
    for (const scope of SCOPES) {
      void it(`${format}, scope ${scope}`, async () => {
        const input = [
          "apiVersion: v1",
          "kind: Secret",
          "metadata:",
          "  name: layout",
          "  labels: {z: '1', a: '2'}",
          "  annotations:",
          "    note: 'a & b <c>'",
          "    kubectl.kubernetes.io/last-applied-configuration: '{\"secret\":\"leak\"}'",
          "  uid: 1234",
          "  resourceVersion: '9'",
          "immutable: true",
          "type: kubernetes.io/basic-auth",
          "data: {username: YWRtaW4=, password: cGFzcw==}",
          "",
        ].join("\n");
        const args = ["--cert", "tls.crt", "-o", format, "--scope", scope];
        const theirs = ok(await runKubeseal(args, input), "kubeseal");
        const ours = ok(await runSealbridge(args, input), "seal");
        assert.equal(layout(ours), layout(theirs));
        assert.doesNotMatch(ours, /leak/);
      });
    }
  }
});

void describe("raw mode", () => {
  for (const scope of SCOPES) {
    void it(`scope ${scope}: each side opens the other's value`, async () => {
      const args = ["--cert", "tls.crt", "--raw", "--scope", scope, "--name", "app", "--namespace", "team-a"];
      const theirs = ok(await runKubeseal(args, "raw secret"), "kubeseal --raw");
      const ours = ok(await runSealbridge(args, "raw secret"), "seal --raw");
      assert.match(ours, /^[A-Za-z0-9+/]+=*$/); // no newline, like kubeseal
      for (const value of [theirs, ours]) {
        // Wrap the raw value in a SealedSecret of the same scope, then unseal it with kubeseal.
        const annotations =
          scope === "strict" ? {} : { [`sealedsecrets.bitnami.com/${scope}`]: "true" };
        const doc = {
          apiVersion: "bitnami.com/v1alpha1",
          kind: "SealedSecret",
          metadata: { name: "app", namespace: "team-a", annotations },
          spec: { template: { metadata: { name: "app", namespace: "team-a" } }, encryptedData: { v: value } },
        };
        const opened = ok(await runKubeseal(["--recovery-unseal", "--recovery-private-key", "tls.key"], JSON.stringify(doc)), "kubeseal");
        assert.deepEqual(unsealedData(opened), { v: "raw secret" });
      }
    });
  }

  void it("--from-file reads the value from a file", async () => {
    await writeFile(join(dir, "value.txt"), "from file");
    const value = ok(
      await runSealbridge(["--cert", "tls.crt", "--raw", "--scope", "cluster-wide", "--from-file", "key=value.txt"]),
      "seal",
    );
    const doc = {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name: "x", annotations: { "sealedsecrets.bitnami.com/cluster-wide": "true" } },
      spec: { template: {}, encryptedData: { v: value } },
    };
    const opened = ok(await runKubeseal(["--recovery-unseal", "--recovery-private-key", "tls.key"], JSON.stringify(doc)), "kubeseal");
    assert.deepEqual(unsealedData(opened), { v: "from file" });
  });
});

void describe("merge-into", () => {
  void it("sealbridge merges into kubeseal's file, kubeseal reads all values", async () => {
    await writeFile(join(dir, "merge.yaml"), ok(await runKubeseal(["--cert", "tls.crt", "-o", "yaml"], secretYaml("m", "team-a", { a: "1", b: "2" })), "kubeseal"));
    ok(await runSealbridge(["--cert", "tls.crt", "--merge-into", "merge.yaml"], secretYaml("ignored", undefined, { b: "two", c: "3" })), "merge");
    const merged = await readFile(join(dir, "merge.yaml"), "utf8");
    assert.match(merged, /^---\napiVersion: bitnami.com\/v1alpha1/); // stays YAML
    const opened = ok(await runKubeseal(["--recovery-unseal", "--recovery-private-key", "tls.key"], merged), "kubeseal");
    assert.deepEqual(unsealedData(opened), { a: "1", b: "two", c: "3" });
  });

  void it("kubeseal merges into sealbridge's file, sealbridge reads all values", async () => {
    await writeFile(join(dir, "merge.json"), ok(await runSealbridge(["--cert", "tls.crt", "--scope", "namespace-wide"], secretYaml("n", "team-a", { a: "1" })), "seal"));
    ok(await runKubeseal(["--cert", "tls.crt", "--scope", "namespace-wide", "--merge-into", "merge.json"], secretYaml("n", "team-a", { z: "26" })), "kubeseal merge");
    const merged = await readFile(join(dir, "merge.json"), "utf8");
    const opened = ok(await runSealbridge(["--recovery-unseal", "--recovery-private-key", "tls.key"], merged), "unseal");
    assert.deepEqual(unsealedData(opened), { a: "1", z: "26" });
  });

  void it("refuses a merge whose scope would not decrypt, leaving the file untouched", async () => {
    const before = await readFile(join(dir, "merge.json"), "utf8");
    const r = await runSealbridge(["--cert", "tls.crt", "--scope", "strict", "--merge-into", "merge.json"], secretYaml("n", "team-a", { q: "1" }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /sealed namespace-wide but the new values would be sealed strict/);
    assert.equal(await readFile(join(dir, "merge.json"), "utf8"), before);
  });
});
