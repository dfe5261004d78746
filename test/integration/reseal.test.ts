// sealbridge reseal against the real controller on the real control plane: files sealed by the real
// kubeseal and by sealbridge seal (RSA and age, one and several documents, YAML and JSON, comments
// everywhere), the sealing keys rotated with rotate-now, then reseal. A broken file, a payload for a
// key the controller does not hold, or an age recipient that would be dropped: nothing is written.
// Otherwise only the ciphertext lines (and the annotations recording the key) change, the values open
// with the new key alone, a second run changes nothing, and no value is ever printed.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { parseAllDocuments } from "yaml";
import { resources } from "../../src/api/resources.ts";
import { decryptAge, parseAgeIdentityFile } from "../../src/crypto/age.ts";
import { deriveScopeIdentity, scopeRecipient } from "../../src/crypto/age-scope.ts";
import { generateSealingKeyPair, parseRsaPrivateKeyPem, parseSealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeFromAnnotations, scopeLabel } from "../../src/crypto/scope.ts";
import { unsealValue } from "../../src/crypto/sealed.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { runBinary, runCli, type CliResult } from "../support/cli.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { eventually, exposeThroughServiceProxy, skipUnlessExposed } from "../support/sealed-controller.ts";
import { ensureTool } from "../support/tools.ts";

const CANARY = "canary-reseal-";

function secretYaml(name: string, namespace: string, values: Record<string, string>, annotations: Record<string, string> = {}): string {
  const ann = Object.entries(annotations).map(([k, v]) => `    ${k}: "${v}"\n`).join("");
  const data = Object.entries(values).map(([k, v]) => `  ${k}: ${v}\n`).join("");
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n${ann ? `  annotations:\n${ann}` : ""}stringData:\n${data}`;
}

interface SealedDoc {
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { encryptedData: Record<string, string> };
}

function sealedDocs(text: string): SealedDoc[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as SealedDoc | null)
    .filter((d): d is SealedDoc => d !== null && (d.kind === "SealedSecret" || d.kind === "AgeSecret"));
}

/** Lines that differ must be ciphertext lines (or the annotation recording the key); every other byte is kept. */
function assertOnlyCiphertextChanged(path: string, before: string, after: string): number {
  const old = before.split("\n");
  const now = after.split("\n");
  assert.equal(now.length, old.length, `${path}: same number of lines`);
  const values = sealedDocs(before).flatMap((d) => Object.values(d.spec.encryptedData));
  let changed = 0;
  for (const [i, line] of old.entries()) {
    if (now[i] === line) continue;
    changed++;
    const t = line.trim();
    const ciphertext =
      values.some((v) => !v.includes("\n") && v.length > 40 && line.includes(v)) ||
      values.some((v) => v.includes("\n") && t !== "" && !t.startsWith("-----") && v.includes(t)) ||
      /sealbridge\.dev\/sealed-(with-cert-sha256|for-age-recipients)/.test(line);
    assert.ok(ciphertext, `${path}:${i + 1} changed but holds no ciphertext: ${JSON.stringify(line.slice(0, 60))}`);
    assert.equal(now[i]?.replace(/[A-Za-z0-9+/=,]{16,}/g, "<x>"), line.replace(/[A-Za-z0-9+/=,]{16,}/g, "<x>"), `${path}:${i + 1}: only the value changed`);
  }
  return changed;
}

describe("sealbridge reseal", () => {
  let cluster: TestCluster;
  let keyNs = "";
  let app = "";
  let dir = "";
  let repo = "";
  let controller: ControllerProcess | undefined;
  let url = "";
  let dr = { identity: "", recipient: "" };
  const outputs: CliResult[] = [];
  const files: Record<string, string> = {};
  let oldCert = "";

  const apiText = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    assert.equal(res.status, 200, path);
    return await res.text();
  };
  const reseal = async (...args: string[]) => {
    const r = await runCli(["reseal", "--controller-url", url, ...args], { cwd: repo, env: { HOME: dir } });
    outputs.push(r);
    return r;
  };
  const snapshot = async () => Object.fromEntries(await Promise.all(Object.keys(files).map(async (f) => [f, await readFile(join(repo, f), "utf8")] as const)));
  const put = async (file: string, text: string) => {
    await mkdir(dirname(join(repo, file)), { recursive: true });
    await writeFile(join(repo, file), text);
    files[file] = text;
  };

  before(async () => {
    cluster = await testCluster();
    [keyNs, app] = await Promise.all([freshNamespace(cluster, "rs-keys"), freshNamespace(cluster, "rs-app")]);
    dir = await mkdtemp(join(tmpdir(), "sb-reseal-"));
    repo = join(dir, "repo");
    controller = startControllerProcess([
      "--kubeconfig", cluster.kubeconfigPath,
      "--key-namespace", keyNs,
      // All interfaces: the API server's service proxy reaches it through a veth pair of the test's own.
      "--listen-addr", ":0",
      "--metrics-addr", "127.0.0.1:0",
      "--key-bits", "2048",
      "--disable-external-secrets",
    ]);
    await controller.waitFor(/"msg":"reconcilers running"/, 90_000);
    url = `http://127.0.0.1:${(await controller.ports()).api}`; // loopback, whatever it listens on
    oldCert = await apiText("/v1/cert.pem");
    await writeFile(join(dir, "cert.pem"), oldCert);
    const identity = await generateX25519Identity();
    dr = { identity, recipient: await identityToRecipient(identity) };

    // The real kubeseal, YAML and JSON, strict scope; then comments of our own around and inside.
    const kubeseal = await ensureTool("kubeseal");
    const env = { PATH: process.env["PATH"] ?? "", HOME: dir };
    const ks = await runBinary(kubeseal, ["--cert", join(dir, "cert.pem"), "-o", "yaml"], { env, cwd: dir, stdin: secretYaml("db", app, { password: `${CANARY}db-password`, user: `${CANARY}db-user` }) });
    assert.equal(ks.code, 0, ks.stderr);
    await put(
      "apps/db/sealed-db.yaml",
      "# Database credentials for team A.\n# Re-sealed after every key rotation.\n" +
        ks.stdout.replace(/^(\s+)password: (.*)$/m, "$1# the app's main password\n$1password: $2   # rotated yearly"),
    );
    const ksJson = await runBinary(kubeseal, ["--cert", join(dir, "cert.pem")], { env, cwd: dir, stdin: secretYaml("cache", app, { token: `${CANARY}cache-token` }) });
    assert.equal(ksJson.code, 0, ksJson.stderr);
    await put("apps/cache/sealed.json", ksJson.stdout);

    // sealbridge seal: a namespace-wide SealedSecret (with the certificate annotation), a ConfigMap
    // and an AgeSecret in one file; an AgeSecret also sealed to a disaster-recovery key in another.
    const sb = await runCli(["seal", "--cert", join(dir, "cert.pem"), "-o", "yaml"], { cwd: dir, stdin: secretYaml("shared", app, { apiKey: `${CANARY}shared-apikey` }, { "sealedsecrets.bitnami.com/namespace-wide": "true" }) });
    assert.equal(sb.code, 0, sb.stderr);
    const strictRecipient = (name: string) => apiText(`/v1/age-recipients?scope=strict&namespace=${app}&name=${name}`).then((t) => t.split("\n")[0] ?? "");
    const aged = await runCli(["seal", "--age", "--recipient", await strictRecipient("api"), "--recipient", dr.recipient, "-o", "yaml"], { cwd: dir, stdin: secretYaml("api", app, { key: `${CANARY}api-key`, other: `${CANARY}api-other` }) });
    assert.equal(aged.code, 0, aged.stderr);
    await put(
      "apps/multi.yaml",
      "# Everything the API needs.\n" + sb.stdout + "---\n# Not sealed: left alone.\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast  # keep\n" + aged.stdout,
    );
    const drSealed = await runCli(["seal", "--age", "--recipient", await strictRecipient("recovery"), "--recipient", dr.recipient, "-o", "yaml"], { cwd: dir, stdin: secretYaml("recovery", app, { root: `${CANARY}recovery-root` }) });
    assert.equal(drSealed.code, 0, drSealed.stderr);
    await put("apps/dr.yaml", drSealed.stdout);
    // A Helm template that is not YAML and names neither kind: skipped, never parsed.
    await put("charts/x/templates/deployment.yaml", "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: Deployment\n{{- end }}\n");

    // Rotate both key kinds the way operators do: rotate-now on a key Secret. The recipient is read
    // first: the age rotation can land before the RSA one.
    const oldAge = await apiText("/v1/age-recipients?scope=cluster-wide");
    // Keys are ordered by creationTimestamp, which has whole seconds: a key minted in the same second
    // as the one it replaces would tie with it. Rotate in a later second than the first keys'.
    const minted = (await cluster.kube.list(resources.secret, { namespace: keyNs })).map((s) => Date.parse(s.metadata?.creationTimestamp ?? "") || 0);
    await new Promise((r) => setTimeout(r, Math.max(0, Math.max(...minted) + 1100 - Date.now())));
    for (const label of ["sealedsecrets.bitnami.com/sealed-secrets-key", "sealbridge.dev/age-sealing-key"]) {
      const [key] = await cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: label });
      assert.ok(key?.metadata?.name);
      await cluster.kube.patch(resources.secret, keyNs, key.metadata.name, { metadata: { annotations: { "sealbridge.dev/rotate-now": "test" } } }, "merge");
    }
    await eventually("new RSA key", async () => ((await apiText("/v1/cert.pem")) !== oldCert ? true : undefined), 180_000);
    await eventually("new age key", async () => ((await apiText("/v1/age-recipients?scope=cluster-wide")).split("\n")[0] !== oldAge.split("\n")[0] ? true : undefined), 180_000);
  });

  after(async () => {
    await controller?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("one broken file, one payload for a foreign key, recipients that would be dropped: nothing is written", { timeout: 120_000 }, async () => {
    const before = await snapshot();
    await put("apps/broken.yaml", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: broken\nspec:\n  encryptedData: {a: [unclosed\n");
    const foreign = await generateSealingKeyPair({ now: new Date(), bits: 2048 });
    await writeFile(join(dir, "foreign.pem"), foreign.certificatePem);
    const sealedForeign = await runCli(["seal", "--cert", join(dir, "foreign.pem"), "-o", "yaml"], { cwd: dir, stdin: secretYaml("foreign", app, { x: `${CANARY}foreign` }) });
    await put("apps/foreign.yaml", sealedForeign.stdout);

    const r = await reseal("apps", "charts");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^error: apps\/broken\.yaml:7: cannot be parsed as YAML: not valid YAML \(BAD_INDENT\) \(line 7, column 1\)$/m);
    assert.match(r.stdout, /^error: apps\/foreign\.yaml:2: SealedSecret rs-app-\w+\/foreign: the controller did not re-encrypt it: SealedForUnknownKey: /m);
    assert.match(r.stdout, /^error: apps\/dr\.yaml:2: AgeSecret rs-app-\w+\/recovery: the controller did not re-encrypt it: OtherRecipientsWouldBeDropped: /m);
    // The AgeSecret's document starts after the SealedSecret's (whose length depends on its annotations).
    const multiLines = (files["apps/multi.yaml"] ?? "").split("\n");
    let apiDoc = multiLines.findIndex((l) => l.startsWith("kind: AgeSecret"));
    while (apiDoc > 0 && multiLines[apiDoc - 1] !== "---") apiDoc--;
    assert.match(r.stdout, new RegExp(`^error: apps/multi\\.yaml:${apiDoc + 1}: AgeSecret rs-app-\\w+/api: the controller did not re-encrypt it: OtherRecipientsWouldBeDropped: `, "m"));
    assert.match(r.stdout, /^apps\/dr\.yaml: failed\n  AgeSecret rs-app-\w+\/recovery: failed$/m);
    assert.match(r.stdout, /^apps\/db\/sealed-db\.yaml: not written\n  SealedSecret rs-app-\w+\/db: 2 re-encrypted, 0 unchanged$/m);
    assert.match(r.stdout, /4 problem\(s\): nothing written\n$/);
    assert.deepEqual(await snapshot().then((s) => Object.fromEntries(Object.keys(before).map((k) => [k, s[k]]))), before, "no file changed");
    assert.deepEqual((await readdir(join(repo, "apps"))).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
    await unlink(join(repo, "apps/broken.yaml"));
    await unlink(join(repo, "apps/foreign.yaml"));
    delete files["apps/broken.yaml"];
    delete files["apps/foreign.yaml"];
  });

  it("--dry-run prints the summary and writes nothing", async () => {
    const before = await snapshot();
    const r = await reseal("--dry-run", "--recipient", dr.recipient);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^apps\/multi\.yaml: would be rewritten$/m);
    assert.match(r.stdout, /dry run: 4 file\(s\) would be rewritten\n$/);
    assert.deepEqual(await snapshot(), before);
  });

  it("re-encrypts every value to the new keys, changing only the ciphertext lines", { timeout: 120_000 }, async () => {
    const before = await snapshot();
    const r = await reseal("--recipient", dr.recipient);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout,
      [
        "apps/cache/sealed.json: rewritten",
        `  SealedSecret ${app}/cache: 1 re-encrypted, 0 unchanged`,
        "apps/db/sealed-db.yaml: rewritten",
        `  SealedSecret ${app}/db: 2 re-encrypted, 0 unchanged`,
        "apps/dr.yaml: rewritten",
        `  AgeSecret ${app}/recovery: 1 re-encrypted, 0 unchanged`,
        "apps/multi.yaml: rewritten",
        `  SealedSecret ${app}/shared: 1 re-encrypted, 0 unchanged`,
        `  AgeSecret ${app}/api: 2 re-encrypted, 0 unchanged`,
        "4 file(s) with 5 sealed object(s) (1 other file(s) skipped): 7 value(s) re-encrypted, 0 unchanged; 4 file(s) rewritten",
        "",
      ].join("\n"));
    const after = await snapshot();
    for (const f of Object.keys(files)) {
      if (f.startsWith("charts/")) {
        assert.equal(after[f], before[f]);
        continue;
      }
      assert.ok(assertOnlyCiphertextChanged(f, before[f] ?? "", after[f] ?? "") > 0, `${f} changed`);
    }
    assert.match(after["apps/db/sealed-db.yaml"] ?? "", /^# Database credentials for team A\.\n# Re-sealed after every key rotation\.\n/);
    assert.match(after["apps/db/sealed-db.yaml"] ?? "", /# the app's main password\n\s+password: \S+   # rotated yearly\n/);

    // The values open with the new keys alone, not with the old ones.
    const newCert = parseSealingCertificate(await apiText("/v1/cert.pem"), new Date());
    const rsaKeys = new Map<string, ReturnType<typeof parseRsaPrivateKeyPem>>();
    for (const s of await cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: "sealedsecrets.bitnami.com/sealed-secrets-key" })) {
      const data = s["data"] as Record<string, string>;
      const fp = parseSealingCertificate(Buffer.from(data["tls.crt"] ?? "", "base64"), new Date()).fingerprint;
      rsaKeys.set(fp, parseRsaPrivateKeyPem(Buffer.from(data["tls.key"] ?? "", "base64")));
    }
    const newKey = rsaKeys.get(newCert.fingerprint);
    const oldKey = rsaKeys.get(parseSealingCertificate(oldCert, new Date()).fingerprint);
    assert.ok(newKey && oldKey && rsaKeys.size === 2);
    const ageIdentities = (await cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: "sealbridge.dev/age-sealing-key" }))
      .map((s) => parseAgeIdentityFile(Buffer.from((s["data"] as Record<string, string>)["age.key"] ?? "", "base64").toString()).identities[0] ?? "");
    const newestCw = (await apiText("/v1/age-recipients?scope=cluster-wide")).split("\n")[0];
    const newAge: string[] = [];
    const oldAge: string[] = [];
    for (const id of ageIdentities) ((await scopeRecipient(id, { scope: "cluster-wide", namespace: "", name: "" })) === newestCw ? newAge : oldAge).push(id);
    assert.equal(newAge.length, 1);
    assert.equal(oldAge.length, 1);
    const opened: string[] = [];
    for (const f of ["apps/db/sealed-db.yaml", "apps/cache/sealed.json", "apps/multi.yaml", "apps/dr.yaml"]) {
      const docs = f.endsWith(".json") ? [JSON.parse(after[f] ?? "") as SealedDoc] : sealedDocs(after[f] ?? "");
      for (const doc of docs) {
        const scope = scopeFromAnnotations(doc.metadata.annotations);
        const ref = { scope, namespace: doc.metadata.namespace, name: doc.metadata.name };
        for (const [key, value] of Object.entries(doc.spec.encryptedData)) {
          if (doc.kind === "SealedSecret") {
            const label = scopeLabel(scope, ref.namespace, ref.name);
            opened.push(Buffer.from(unsealValue({ privateKeys: [newKey], label, value }).plaintext).toString());
            assert.throws(() => unsealValue({ privateKeys: [oldKey], label, value }), `${f} ${key} no longer opens with the old key`);
          } else {
            const own = (id: string) => deriveScopeIdentity(id, ref);
            opened.push(Buffer.from((await decryptAge({ file: value, identities: newAge.map(own) })).plaintext).toString());
            await assert.rejects(decryptAge({ file: value, identities: oldAge.map(own) }), `${f} ${key} no longer opens with the old age key`);
            if (f === "apps/dr.yaml") assert.equal(Buffer.from((await decryptAge({ file: value, identities: [dr.identity] })).plaintext).toString(), `${CANARY}recovery-root`, "the recovery key still opens it");
          }
        }
        if (f === "apps/multi.yaml" && doc.kind === "SealedSecret") assert.equal(doc.metadata.annotations?.["sealbridge.dev/sealed-with-cert-sha256"], newCert.fingerprint);
        if (f === "apps/db/sealed-db.yaml") assert.equal(doc.metadata.annotations?.["sealbridge.dev/sealed-with-cert-sha256"], undefined, "no annotation added to kubeseal's file");
      }
    }
    assert.deepEqual(opened.sort(), ["api-key", "api-other", "cache-token", "db-password", "db-user", "recovery-root", "shared-apikey"].map((s) => CANARY + s).sort());

    // And the controller opens the rewritten objects.
    for (const doc of parseAllDocuments(after["apps/multi.yaml"] ?? "").map((d) => d.toJS() as KubeObject)) {
      if (doc.kind === "SealedSecret") await cluster.kube.create(resources.sealedSecret, doc);
      if (doc.kind === "AgeSecret") await cluster.kube.create(resources.ageSecret, doc);
    }
    const value = (name: string, key: string) =>
      eventually(`Secret ${name}`, async () => {
        const v = ((await cluster.kube.get(resources.secret, app, name))?.["data"] as Record<string, string> | undefined)?.[key];
        return v === undefined ? undefined : Buffer.from(v, "base64").toString();
      }, 30_000);
    assert.equal(await value("shared", "apiKey"), `${CANARY}shared-apikey`);
    assert.equal(await value("api", "key"), `${CANARY}api-key`);
  });

  it("a second run changes nothing: values already sealed to the newest key stay", async () => {
    const before = await snapshot();
    const r = await reseal("--recipient", dr.recipient);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^apps\/multi\.yaml: unchanged$/m);
    assert.match(r.stdout, /: 0 value\(s\) re-encrypted, 7 unchanged; 0 file\(s\) rewritten\n$/);
    assert.deepEqual(await snapshot(), before);
  });

  it("goes through the API server's service proxy by default, as kubeseal does (keep-current included)", { timeout: 120_000 }, async (t) => {
    assert.ok(controller);
    const exposed = await exposeThroughServiceProxy(cluster, keyNs, (await controller.ports()).api).catch(skipUnlessExposed(t));
    if (!exposed) return;
    t.after(() => exposed.remove());
    const before = await snapshot();
    const r = await runCli(["reseal", "--kubeconfig", cluster.kubeconfigPath, "--controller-namespace", keyNs, "--recipient", dr.recipient], { cwd: repo, env: { HOME: dir } });
    outputs.push(r);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /: 0 value\(s\) re-encrypted, 7 unchanged; 0 file\(s\) rewritten\n$/);
    assert.deepEqual(await snapshot(), before);
  });

  it("never prints a value, in the CLI's output or the controller's log", () => {
    assert.ok(outputs.length >= 4);
    for (const r of outputs) {
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(CANARY));
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(Buffer.from(CANARY).toString("base64").slice(0, 16)));
      assert.doesNotMatch(r.stdout + r.stderr, /AGE-SECRET-KEY|BEGIN (RSA )?PRIVATE KEY/);
    }
    assert.ok(controller);
    assert.equal(controller.lines.filter((l) => l.includes(CANARY)).length, 0);
  });
});
