// The SealedSecret controller end to end on the real control plane: keys, scopes, templates,
// ownership annotations, restoration, diagnostics, rotation annotations, the HTTP API, the CLI
// (through the API server's service proxy), a SealedSecret sealed by the real kubeseal, and a restart
// that costs no RSA work and no writes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { resources } from "../../src/api/resources.ts";
import { SEALED_WITH_CERT_ANNOTATION } from "../../src/api/sealed-secret.ts";
import { run } from "../../src/cli/run.ts";
import { generateSealingKeyPair, parseRsaPrivateKeyPem, parseSealingCertificate, type SealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel, type SealingScope } from "../../src/crypto/scope.ts";
import { sealValue, unsealValue } from "../../src/crypto/sealed.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { eventually, exposeThroughServiceProxy, secretData, skipUnlessExposed, startController, waitForReason, type Started } from "../support/sealed-controller.ts";
import { ensureTool } from "../support/tools.ts";

const KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key";

let cluster: TestCluster;

function seal(cert: SealingCertificate, ns: string, name: string, scope: SealingScope, values: Record<string, string>): Record<string, string> {
  const label = scopeLabel(scope, ns, name);
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(v), label })]));
}

function scopeAnnotations(scope: SealingScope): Record<string, string> {
  if (scope === "cluster-wide") return { "sealedsecrets.bitnami.com/cluster-wide": "true" };
  if (scope === "namespace-wide") return { "sealedsecrets.bitnami.com/namespace-wide": "true" };
  return {};
}

function sealedSecret(ns: string, name: string, encryptedData: Record<string, string>, extra: { annotations?: Record<string, string>; template?: unknown } = {}): KubeObject {
  return {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { name, namespace: ns, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { encryptedData, ...(extra.template ? { template: extra.template } : {}) },
  };
}

async function certOf(rt: Started): Promise<SealingCertificate> {
  const res = await fetch(`http://127.0.0.1:${rt.api.port}/v1/cert.pem`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-pem-file");
  return parseSealingCertificate(await res.text(), new Date());
}

async function metricsText(rt: Started): Promise<string> {
  return (await fetch(`http://127.0.0.1:${rt.metrics.port}/metrics`)).text();
}

async function keySecrets(ns: string): Promise<KubeObject[]> {
  return cluster.kube.list(resources.secret, { namespace: ns, labelSelector: KEY_LABEL });
}

async function getSecret(ns: string, name: string): Promise<KubeObject | undefined> {
  return cluster.kube.get(resources.secret, ns, name);
}

async function eventReasons(ns: string, name: string): Promise<string[]> {
  const events = await cluster.kube.list(resources.event, { namespace: ns });
  return events.filter((e) => (e["regarding"] as { name?: string } | undefined)?.name === name).map((e) => String(e["reason"]));
}

/** Waits until the controller is idle (queue empty, nothing in flight) for a moment. */
async function settle(rt: Started): Promise<void> {
  let quietSince = 0;
  await eventually("controller idle", () => {
    const idle = rt.controller.queue.length === 0 && rt.controller.queue.busy === 0;
    if (!idle) quietSince = 0;
    else if (quietSince === 0) quietSince = Date.now();
    return idle && Date.now() - quietSince > 700 ? true : undefined;
  });
}

before(async () => {
  cluster = await testCluster();
});

describe("SealedSecret controller", () => {
  let keyNs = "";
  let ns = "";
  let rt: Started;
  let cert: SealingCertificate;

  before(async () => {
    keyNs = await freshNamespace(cluster, "keys");
    ns = await freshNamespace(cluster, "ss");
    // ":0" (all interfaces) so the API server's service proxy can reach the API on the veth address.
    rt = await startController(cluster, { keyNamespace: keyNs, watchNamespace: ns, listenAddr: ":0" });
    cert = await certOf(rt);
  });
  after(async () => {
    await rt.stop();
  });

  it("mints one key on first start, stored as Sealed Secrets stores it", async () => {
    const keys = await keySecrets(keyNs);
    assert.equal(keys.length, 1);
    const key = keys[0];
    assert.equal(key?.["type"], "kubernetes.io/tls");
    assert.match(key?.metadata?.name ?? "", /^sealed-secrets-key[a-z0-9]{5}$/);
    assert.equal(key?.metadata?.labels?.[KEY_LABEL], "active");
    assert.equal(rt.keys.minted, 1);
    assert.equal(cert.fingerprint, rt.keys.sealingKey?.fingerprint);
  });

  it("unseals all three scopes, with an owner reference, Synced=True and an Unsealed event", async () => {
    for (const [name, scope] of [["strict", "strict"], ["nswide", "namespace-wide"], ["cwide", "cluster-wide"]] as const) {
      await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, name, seal(cert, ns, name, scope, { password: `pw-${name}` }), { annotations: scopeAnnotations(scope) }));
    }
    for (const name of ["strict", "nswide", "cwide"]) {
      const synced = await waitForReason(cluster, ns, name, "Unsealed");
      assert.equal(synced.status, "True");
      assert.equal(synced.observedGeneration, 1);
      const secret = await getSecret(ns, name);
      assert.deepEqual(secretData(secret), { password: `pw-${name}` });
      const ss = await cluster.kube.get(resources.sealedSecret, ns, name);
      const owner = secret?.metadata?.ownerReferences?.[0];
      assert.equal(owner?.kind, "SealedSecret");
      assert.equal(owner?.uid, ss?.metadata?.uid);
      assert.equal(owner?.controller, true);
    }
    await eventually("Unsealed event", async () => ((await eventReasons(ns, "strict")).includes("Unsealed") ? true : undefined));
  });

  it("applies spec.template: metadata, type, immutable and Go-templated data", async () => {
    const enc = seal(cert, ns, "tmpl", "strict", { username: "admin", password: "s3cret" });
    await cluster.kube.create(
      resources.sealedSecret,
      sealedSecret(ns, "tmpl", enc, {
        template: {
          metadata: { labels: { app: "db" }, annotations: { team: "core" } },
          type: "kubernetes.io/basic-auth",
          immutable: true,
          data: { url: "postgres://{{ .username }}:{{ .password }}@db:5432" },
        },
      }),
    );
    await waitForReason(cluster, ns, "tmpl", "Unsealed");
    const secret = await getSecret(ns, "tmpl");
    assert.equal(secret?.["type"], "kubernetes.io/basic-auth");
    assert.equal(secret?.["immutable"], true);
    assert.equal(secret?.metadata?.labels?.["app"], "db");
    assert.equal(secret?.metadata?.annotations?.["team"], "core");
    assert.deepEqual(secretData(secret), { username: "admin", password: "s3cret", url: "postgres://admin:s3cret@db:5432" });
  });

  it("reports a broken template with reason TemplateFailed and no value", async () => {
    const enc = seal(cert, ns, "badtmpl", "strict", { password: "topsecretvalue" });
    await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "badtmpl", enc, { template: { data: { x: "{{ .password | nosuchfunc }}", y: "{{ fail .password }}" } } }));
    const synced = await waitForReason(cluster, ns, "badtmpl", "TemplateFailed");
    assert.equal(synced.status, "False");
    assert.match(synced.message, /spec\.template\.data: x: .*nosuchfunc/);
    assert.match(synced.message, /y: execution failed at line 1, column \d+ in fail/);
    assert.doesNotMatch(synced.message, /topsecretvalue/);
    assert.equal(await getSecret(ns, "badtmpl"), undefined);
  });

  it("refuses a Secret it does not own until it is annotated managed; patch merges", async () => {
    await cluster.kube.create(resources.secret, { apiVersion: "v1", kind: "Secret", metadata: { name: "pre", namespace: ns }, data: { other: Buffer.from("keep").toString("base64") } });
    await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "pre", seal(cert, ns, "pre", "strict", { password: "new" })));
    const refused = await waitForReason(cluster, ns, "pre", "SecretNotOwned");
    assert.match(refused.message, /already exists and is not managed by SealedSecret/);
    assert.deepEqual(secretData(await getSecret(ns, "pre")), { other: "keep" });
    await eventually("ErrUpdateFailed event", async () => ((await eventReasons(ns, "pre")).includes("ErrUpdateFailed") ? true : undefined));

    await cluster.kube.patch(resources.secret, ns, "pre", { metadata: { annotations: { "sealedsecrets.bitnami.com/managed": "true" } } }, "merge");
    await waitForReason(cluster, ns, "pre", "Unsealed");
    const taken = await getSecret(ns, "pre");
    assert.deepEqual(secretData(taken), { password: "new" });
    assert.equal(taken?.metadata?.ownerReferences?.[0]?.kind, "SealedSecret");

    await cluster.kube.create(resources.secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "patched", namespace: ns, annotations: { "sealedsecrets.bitnami.com/patch": "true" } },
      data: { other: Buffer.from("keep").toString("base64") },
    });
    await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "patched", seal(cert, ns, "patched", "strict", { password: "merged" })));
    await waitForReason(cluster, ns, "patched", "Unsealed");
    const patched = await getSecret(ns, "patched");
    assert.deepEqual(secretData(patched), { other: "keep", password: "merged" });
    assert.equal(patched?.metadata?.ownerReferences, undefined, "patch without managed leaves owner references alone");
  });

  it("skip-set-owner-references: no owner reference, and the Secret stays managed", async () => {
    const template = { metadata: { annotations: { "sealedsecrets.bitnami.com/skip-set-owner-references": "true" } } };
    await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "noowner", seal(cert, ns, "noowner", "strict", { k: "v" }), { template }));
    await waitForReason(cluster, ns, "noowner", "Unsealed");
    const secret = await getSecret(ns, "noowner");
    assert.equal(secret?.metadata?.ownerReferences, undefined);
    await cluster.kube.delete(resources.secret, ns, "noowner");
    await eventually("noowner restored", async () => (secretData(await getSecret(ns, "noowner"))["k"] === "v" ? true : undefined));
    assert.equal((await waitForReason(cluster, ns, "noowner", "Unsealed")).status, "True");
  });

  it("restores a deleted or hand-edited Secret (the synced object is cached without its ciphertexts and read whole to restore)", async () => {
    // Synced: the cache keeps the value names only; the API server still has the ciphertexts.
    await eventually("cached without ciphertexts", () => {
      const cached = rt.controller.cachedObjects(ns).find((o) => o.metadata?.name === "strict");
      const data = (cached?.["spec"] as { encryptedData?: Record<string, string> } | undefined)?.encryptedData;
      return data && Object.keys(data).join() === "password" && data["password"] === "" ? true : undefined;
    });
    const stored = (await cluster.kube.get(resources.sealedSecret, ns, "strict"))?.["spec"] as { encryptedData: Record<string, string> };
    assert.ok((stored.encryptedData["password"] ?? "").length > 100, "the API server keeps the ciphertext");
    const readsBefore = rt.stats.sourceReads;
    await cluster.kube.delete(resources.secret, ns, "strict");
    await eventually("deleted Secret restored", async () => (secretData(await getSecret(ns, "strict"))["password"] === "pw-strict" ? true : undefined));
    assert.ok(rt.stats.sourceReads > readsBefore, "the object was read whole to open its value again");
    await cluster.kube.patch(resources.secret, ns, "strict", { data: { password: Buffer.from("tampered").toString("base64"), extra: "eA==" } }, "merge");
    await eventually("edited Secret restored", async () => {
      const data = secretData(await getSecret(ns, "strict"));
      return data["password"] === "pw-strict" && data["extra"] === undefined ? true : undefined;
    });
  });

  it("diagnoses a scope mismatch and names the scope that works", async () => {
    await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "scoped", seal(cert, ns, "scoped", "cluster-wide", { password: "x" })));
    const synced = await waitForReason(cluster, ns, "scoped", "ScopeMismatch");
    assert.equal(synced.status, "False");
    assert.match(synced.message, /scope strict/);
    assert.match(synced.message, /sealed with scope cluster-wide/);
    assert.match(synced.message, /sealedsecrets\.bitnami\.com\/cluster-wide: "true"/);
    // Sealed strict for another name: no scope label opens it, but the OAEP structure shows our key.
    await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "renamed", seal(cert, ns, "original-name", "strict", { password: "x" })));
    const other = await waitForReason(cluster, ns, "renamed", "ScopeMismatch");
    assert.match(other.message, /^sealed with this cluster's key for another name or namespace/);
    await eventually("ErrUnsealFailed event", async () => ((await eventReasons(ns, "scoped")).includes("ErrUnsealFailed") ? true : undefined));
  });

  it("diagnoses a key it does not hold, with the fingerprints on both sides", async () => {
    const foreign = await generateSealingKeyPair({ now: new Date(), bits: 2048 });
    const foreignCert = parseSealingCertificate(foreign.certificatePem, new Date());
    await cluster.kube.create(
      resources.sealedSecret,
      sealedSecret(ns, "foreign", seal(foreignCert, ns, "foreign", "strict", { password: "x" }), { annotations: { [SEALED_WITH_CERT_ANNOTATION]: foreign.fingerprint } }),
    );
    const synced = await waitForReason(cluster, ns, "foreign", "SealedForUnknownKey");
    assert.ok(synced.message.includes(cert.fingerprint), "names the held certificate");
    assert.ok(synced.message.includes(foreign.fingerprint), "names the certificate it was sealed with");
    assert.match(synced.message, /does not hold/);
  });

  it("reports malformed ciphertext and never blanks a Secret that was good", async () => {
    await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "breaks", seal(cert, ns, "breaks", "strict", { password: "good" })));
    await waitForReason(cluster, ns, "breaks", "Unsealed");
    await cluster.kube.patch(resources.sealedSecret, ns, "breaks", { spec: { encryptedData: { password: "not base64!" } } }, "merge");
    const synced = await waitForReason(cluster, ns, "breaks", "InvalidCiphertext");
    assert.equal(synced.observedGeneration, 2);
    assert.deepEqual(secretData(await getSecret(ns, "breaks")), { password: "good" });
  });

  let imported: Awaited<ReturnType<typeof generateSealingKeyPair>>;

  it("picks up a Sealed Secrets key Secret added while running (RSA-4096)", async () => {
    imported = await generateSealingKeyPair({ now: new Date() }); // 4096 bits, as Sealed Secrets makes them
    const importedCert = parseSealingCertificate(imported.certificatePem, new Date());
    await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "imported", seal(importedCert, ns, "imported", "strict", { password: "from-old-cluster" })));
    await waitForReason(cluster, ns, "imported", "SealedForUnknownKey");
    await cluster.kube.create(resources.secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "sealed-secrets-keyimprt", namespace: keyNs, labels: { [KEY_LABEL]: "active" } },
      type: "kubernetes.io/tls",
      data: { "tls.key": Buffer.from(imported.privateKeyPem).toString("base64"), "tls.crt": Buffer.from(imported.certificatePem).toString("base64") },
    });
    await waitForReason(cluster, ns, "imported", "Unsealed");
    assert.deepEqual(secretData(await getSecret(ns, "imported")), { password: "from-old-cluster" });
    assert.equal(rt.keys.minted, 1, "a restored key never causes a new one");
    assert.equal((await certOf(rt)).fingerprint, imported.fingerprint, "the newest key seals");
  });

  it("a key marked compromised stops sealing; its dependents get a condition and are counted", async () => {
    const before = (await cluster.kube.get(resources.sealedSecret, ns, "imported"))?.["spec"] as { encryptedData: Record<string, string> };
    await eventually("cached without ciphertexts", () => {
      const cached = rt.controller.cachedObjects(ns).find((o) => o.metadata?.name === "imported");
      return (cached?.["spec"] as { encryptedData?: Record<string, string> } | undefined)?.encryptedData?.["password"] === "" ? true : undefined;
    });
    await cluster.kube.patch(resources.secret, keyNs, "sealed-secrets-keyimprt", { metadata: { annotations: { "sealbridge.dev/key-status": "compromised" } } }, "merge");
    const synced = await waitForReason(cluster, ns, "imported", "SealedWithCompromisedKey");
    assert.equal(synced.status, "True");
    assert.ok(synced.message.includes(imported.fingerprint));
    assert.match(synced.message, /re-seal/);
    assert.equal((await certOf(rt)).fingerprint, cert.fingerprint, "cert.pem falls back to the newest key not compromised");
    assert.deepEqual(secretData(await getSecret(ns, "imported")), { password: "from-old-cluster" }, "still unsealed");
    // The status was written from the cached copy without ciphertexts: the stored spec is untouched.
    const after = (await cluster.kube.get(resources.sealedSecret, ns, "imported"))?.["spec"] as { encryptedData: Record<string, string> };
    assert.deepEqual(after.encryptedData, before.encryptedData);
    const metrics = await metricsText(rt);
    assert.match(metrics, /^sealbridge_sealedsecrets_on_compromised_keys 1$/m);
    assert.match(metrics, new RegExp(`^sealbridge_sealing_key_dependents\\{key="sealed-secrets-keyimprt",fingerprint="${imported.fingerprint}",compromised="true"\\} 1$`, "m"));
    assert.match(metrics, new RegExp(`^sealbridge_sealing_key_dependents\\{key="[^"]+",fingerprint="${cert.fingerprint}",compromised="false"\\} \\d+$`, "m"));
    await eventually("SealedWithCompromisedKey event", async () => ((await eventReasons(ns, "imported")).includes("SealedWithCompromisedKey") ? true : undefined));
  });

  it("rotate-now on a key Secret mints a new key once and clears the request", async () => {
    const [first] = (await keySecrets(keyNs)).filter((s) => s.metadata?.name !== "sealed-secrets-keyimprt");
    assert.ok(first?.metadata?.name);
    await cluster.kube.patch(resources.secret, keyNs, first.metadata.name, { metadata: { annotations: { "sealbridge.dev/rotate-now": "please" } } }, "merge");
    await eventually("three keys", async () => ((await keySecrets(keyNs)).length === 3 ? true : undefined));
    await eventually("request cleared", async () => ((await getSecret(keyNs, first.metadata?.name ?? ""))?.metadata?.annotations?.["sealbridge.dev/rotate-now"] === undefined ? true : undefined));
    await settle(rt);
    assert.equal((await keySecrets(keyNs)).length, 3, "exactly one new key");
    assert.equal(rt.keys.minted, 2);
    const newest = await certOf(rt);
    assert.notEqual(newest.fingerprint, cert.fingerprint);
    assert.equal((await waitForReason(cluster, ns, "strict", "Unsealed")).status, "True", "old SealedSecrets keep decrypting");
    cert = newest;
  });

  it("HTTP API: /healthz, /v1/verify (200/409 with a reason), /v1/rotate, /metrics", async () => {
    const base = `http://127.0.0.1:${rt.api.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const good = await cluster.kube.get(resources.sealedSecret, ns, "nswide");
    assert.equal((await fetch(`${base}/v1/verify`, { method: "POST", body: JSON.stringify(good) })).status, 200);
    const bad = await cluster.kube.get(resources.sealedSecret, ns, "foreign");
    const refused = await fetch(`${base}/v1/verify`, { method: "POST", body: JSON.stringify(bad) });
    assert.equal(refused.status, 409);
    assert.equal(((await refused.json()) as { reason: string }).reason, "SealedForUnknownKey");
    assert.equal((await fetch(`${base}/v1/verify`, { method: "POST", body: "{not json" })).status, 400);

    const rotated = await fetch(`${base}/v1/rotate`, { method: "POST", body: JSON.stringify(good) });
    assert.equal(rotated.status, 200);
    const body = (await rotated.json()) as { metadata: { annotations: Record<string, string> }; spec: { encryptedData: Record<string, string> } };
    assert.equal(body.metadata.annotations[SEALED_WITH_CERT_ANNOTATION], cert.fingerprint);
    assert.equal(body.metadata.annotations["sealedsecrets.bitnami.com/namespace-wide"], "true");
    const newestKey = rt.keys.sealingKey;
    assert.ok(newestKey);
    const opened = unsealValue({ privateKeys: [parseRsaPrivateKeyPem(newestKey.privateKeyPem)], label: scopeLabel("namespace-wide", ns, "nswide"), value: body.spec.encryptedData["password"] ?? "" });
    assert.equal(Buffer.from(opened.plaintext).toString(), "pw-nswide");

    const metrics = await metricsText(rt);
    assert.match(metrics, /^sealbridge_sealedsecret_unseal_total \d+$/m);
    assert.match(metrics, /^sealbridge_sealedsecret_unseal_errors_total\{reason="ScopeMismatch"\} \d+$/m);
    assert.match(metrics, /^sealbridge_process_resident_memory_bytes \d+/m);
  });

  it("sealbridge seal: --cert URL, and --fetch-cert/--validate/--re-encrypt through the service proxy", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "sb-cli-"));
    const cli = async (args: string[], stdin = "") => {
      let stdout = "";
      let stderr = "";
      const code = await run(["seal", ...args], {
        readStdin: () => Promise.resolve(Buffer.from(stdin)),
        stdout: (c) => {
          stdout += typeof c === "string" ? c : Buffer.from(c).toString("utf8");
        },
        stderr: (c) => {
          stderr += c;
        },
        env: {},
        cwd: dir,
      });
      return { code, stdout, stderr };
    };
    const secretYaml = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: viacli\n  namespace: ${ns}\ndata:\n  token: ${Buffer.from("cli-token").toString("base64")}\n`;
    const sealedOut = await cli(["--cert", `http://127.0.0.1:${rt.api.port}/v1/cert.pem`, "-o", "yaml"], secretYaml);
    assert.equal(sealedOut.code, 0, sealedOut.stderr);
    await cluster.kube.create(resources.sealedSecret, parse(sealedOut.stdout) as KubeObject);
    await waitForReason(cluster, ns, "viacli", "Unsealed");
    assert.deepEqual(secretData(await getSecret(ns, "viacli")), { token: "cli-token" });

    // kubeseal's path: the API server's service proxy → Service "sealed-secrets-controller".
    const exposed = await exposeThroughServiceProxy(cluster, keyNs, rt.api.port).catch(skipUnlessExposed(t));
    if (!exposed) return;
    t.after(() => exposed.remove());
    const conn = ["--kubeconfig", cluster.kubeconfigPath, "--controller-namespace", keyNs];
    const fetched = await eventually("--fetch-cert through the proxy", async () => {
      const r = await cli(["--fetch-cert", ...conn]);
      if (r.code !== 0) throw new Error(r.stderr);
      return r;
    });
    assert.equal(parseSealingCertificate(fetched.stdout, new Date()).fingerprint, cert.fingerprint);

    const sealedFile = join(dir, "viacli.yaml");
    await writeFile(sealedFile, sealedOut.stdout);
    const valid = await cli(["--validate", "-f", sealedFile, ...conn]);
    assert.equal(valid.code, 0, valid.stderr);
    const foreign = await cluster.kube.get(resources.sealedSecret, ns, "foreign");
    const foreignFile = join(dir, "foreign.json");
    await writeFile(foreignFile, JSON.stringify(foreign));
    const invalid = await cli(["--validate", "-f", foreignFile, ...conn]);
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /unable to decrypt sealed secret: foreign/);

    // With only -f, --re-encrypt rewrites the file in place (kubeseal's behaviour).
    const reencrypted = await cli(["--re-encrypt", "-f", sealedFile, "-o", "yaml", ...conn]);
    assert.equal(reencrypted.code, 0, reencrypted.stderr);
    const rewritten = await readFile(sealedFile, "utf8");
    assert.notEqual(rewritten, sealedOut.stdout);
    const doc = parse(rewritten) as KubeObject;
    assert.equal(doc.metadata?.annotations?.[SEALED_WITH_CERT_ANNOTATION], cert.fingerprint);
    assert.equal(rewritten.includes("cli-token"), false);
    assert.equal((await cli(["--validate", "-f", sealedFile, ...conn])).code, 0, "the re-encrypted SealedSecret validates");
  });

  it("unseals a SealedSecret made by the real kubeseal", { timeout: 600_000 }, async () => {
    const kubeseal = await ensureTool("kubeseal");
    const dir = await mkdtemp(join(tmpdir(), "sb-kubeseal-"));
    const certFile = join(dir, "cert.pem");
    await writeFile(certFile, await (await fetch(`http://127.0.0.1:${rt.api.port}/v1/cert.pem`)).text());
    const secretYaml = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: bykubeseal\n  namespace: ${ns}\ntype: Opaque\nstringData:\n  api-key: from-kubeseal\n`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile(kubeseal, ["--cert", certFile, "-o", "yaml"], { env: { PATH: process.env["PATH"] ?? "", HOME: dir } }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kubeseal failed: ${stderr}`));
        else resolve(stdout);
      });
      child.stdin?.on("error", () => undefined); // if kubeseal dies early, its own error is what counts
      child.stdin?.end(secretYaml);
    });
    await cluster.kube.create(resources.sealedSecret, parse(out) as KubeObject);
    await waitForReason(cluster, ns, "bykubeseal", "Unsealed");
    assert.deepEqual(secretData(await getSecret(ns, "bykubeseal")), { "api-key": "from-kubeseal" });
  });
});

describe("SealedSecret controller restart", () => {
  it("with nothing changed: zero RSA decrypts, zero API writes, no new key", async () => {
    const keyNs = await freshNamespace(cluster, "keys");
    const ns = await freshNamespace(cluster, "ss");
    const first = await startController(cluster, { keyNamespace: keyNs, watchNamespace: ns });
    const cert = await certOf(first);
    const names: string[] = [];
    try {
      for (const scope of ["strict", "namespace-wide", "cluster-wide"] as const) {
        for (let i = 0; i < 4; i++) {
          const name = `r-${scope}-${i}`;
          names.push(name);
          await cluster.kube.create(
            resources.sealedSecret,
            sealedSecret(ns, name, seal(cert, ns, name, scope, { a: `${name}-a`, b: `${name}-b` }), {
              annotations: scopeAnnotations(scope),
              template: { metadata: { labels: { i: String(i) } }, data: { both: "{{ .a }}/{{ .b }}" } },
            }),
          );
        }
      }
      for (const name of names) await waitForReason(cluster, ns, name, "Unsealed");
      await settle(first);
    } finally {
      await first.stop();
    }
    const second = await startController(cluster, { keyNamespace: keyNs, watchNamespace: ns });
    try {
      await eventually("every SealedSecret reconciled", () => (second.stats.reconciles >= names.length ? true : undefined));
      await settle(second);
      assert.equal(second.pool.rsaOps, 0, "RSA decrypts after restart");
      assert.equal(second.stats.apiWrites, 0, "API writes after restart");
      assert.equal(second.keys.minted, 0, "no new key");
      assert.equal(second.stats.skippedDecrypt, second.stats.reconciles);
      assert.equal((await keySecrets(keyNs)).length, 1);
    } finally {
      await second.stop();
    }
  });
});

describe("SealedSecret controller with no room for ciphertexts in the cache", () => {
  it("reads each object whole before opening it, and unseals all of them", async () => {
    const keyNs = await freshNamespace(cluster, "keys");
    const ns = await freshNamespace(cluster, "ss");
    const rt = await startController(cluster, { keyNamespace: keyNs, watchNamespace: ns, ciphertextCacheBytes: 0 });
    try {
      const cert = await certOf(rt);
      const names = ["nr-0", "nr-1", "nr-2"];
      for (const name of names) await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, name, seal(cert, ns, name, "strict", { v: `${name}-v` })));
      for (const name of names) {
        await waitForReason(cluster, ns, name, "Unsealed");
        assert.deepEqual(secretData(await getSecret(ns, name)), { v: `${name}-v` });
      }
      assert.ok(rt.stats.sourceReads >= names.length, `read whole: ${rt.stats.sourceReads}`);
      assert.match(await metricsText(rt), /^sealbridge_source_reads_total\{kind="SealedSecret"\} [1-9]\d*$/m);
    } finally {
      await rt.stop();
    }
  });
});
