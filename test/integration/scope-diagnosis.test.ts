// A SealedSecret or AgeSecret renamed or moved after sealing (what a kustomize namePrefix,
// nameSuffix or namespace does) is reported as ScopeMismatch — "sealed with this cluster's key for
// another name or namespace", naming the target when it was recorded — and not as a foreign key; a
// value sealed to a foreign key stays SealedForUnknownKey. On the real control plane, with values
// sealed by the real kubeseal (our controller's certificate) and by `sealbridge seal`.
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
import { SEALED_FOR_ANNOTATION } from "../../src/api/sealed-for.ts";
import { run } from "../../src/cli/run.ts";
import { generateSealingKeyPair } from "../../src/crypto/certificate.ts";
import { ageRecipientOf, encryptAge } from "../../src/crypto/age.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { createLogger } from "../../src/log.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { eventually, secretData, startController, waitForReason, type Started } from "../support/sealed-controller.ts";
import { ensureTool } from "../support/tools.ts";

const MOVED = "sealed with this cluster's key for another name or namespace";
/** Long enough for a loaded 2-core machine shared with other suites. */
const DEADLINE_MS = 90_000;

let cluster: TestCluster;
let keyNs = "";
let nsA = "";
let nsB = "";
let dir = "";
let kubeseal = "";
let rtA: Started;
let rtB: Started;
let ageA: AgeSecretsRuntime;
let ageB: AgeSecretsRuntime;
const ageLogs: string[] = [];

function exec(file: string, args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveResult) => {
    const child = execFile(file, args, { cwd: dir, env: { PATH: process.env["PATH"] ?? "", HOME: dir } }, (err, stdout, stderr) => {
      resolveResult({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(stdin);
  });
}

async function sealbridge(args: string[], stdin: string): Promise<string> {
  let out = "";
  let err = "";
  const code = await run(["seal", ...args], {
    readStdin: () => Promise.resolve(Buffer.from(stdin)),
    stdout: (c) => (out += typeof c === "string" ? c : Buffer.from(c).toString()),
    stderr: (c) => (err += c),
    env: {},
    cwd: dir,
  });
  assert.equal(code, 0, err);
  return out;
}

function secretYaml(ns: string, name: string, value: string): string {
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nstringData:\n  password: ${JSON.stringify(value)}\n`;
}

/** What a kustomize namePrefix/namespace does to the object: metadata only, spec untouched. */
function moveTo(doc: KubeObject, ns: string, name: string): KubeObject {
  return { ...doc, metadata: { ...doc.metadata, name, namespace: ns } };
}

async function sealWithKubeseal(certFile: string, ns: string, name: string, value: string): Promise<KubeObject> {
  const r = await exec(kubeseal, ["--cert", certFile, "-o", "yaml"], secretYaml(ns, name, value));
  assert.equal(r.code, 0, r.stderr);
  return parse(r.stdout) as KubeObject;
}

async function ageSynced(ns: string, name: string, reason: string): Promise<{ status: string; message: string }> {
  return eventually(`AgeSecret ${ns}/${name} reason ${reason}`, async () => {
    const obj = await cluster.kube.get(resources.ageSecret, ns, name);
    const status = obj?.["status"] as { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined;
    const c = status?.conditions?.find((x) => x.type === "Synced");
    if (c?.reason !== reason || status?.observedGeneration !== obj?.metadata?.generation) return undefined;
    return { status: c.status, message: c.message ?? "" };
  }, DEADLINE_MS);
}

before(async () => {
  cluster = await testCluster();
  [kubeseal, keyNs, nsA, nsB] = await Promise.all([ensureTool("kubeseal"), freshNamespace(cluster, "scope-keys"), freshNamespace(cluster, "scope-a"), freshNamespace(cluster, "scope-b")]);
  dir = await mkdtemp(join(tmpdir(), "sealbridge-scope-"));
  // One key namespace, a controller per watched namespace (the second loads the key the first minted).
  rtA = await startController(cluster, { keyNamespace: keyNs, watchNamespace: nsA });
  rtB = await startController(cluster, { keyNamespace: keyNs, watchNamespace: nsB });
  const cert = await (await fetch(`http://127.0.0.1:${rtA.api.port}/v1/cert.pem`)).text();
  await writeFile(join(dir, "cert.pem"), cert);
  const foreign = await generateSealingKeyPair({ now: new Date(), bits: 2048 });
  await writeFile(join(dir, "foreign.pem"), foreign.certificatePem);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      ageLogs.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: "info", destination: sink });
  const ageConfig = { keyNamespace: keyNs, workers: 2, keyRenewPeriodMs: 0, ageSecrets: true, sopsSecrets: false };
  ageA = await startAgeSecrets(cluster.kube, log, { ...ageConfig, watchNamespace: nsA });
  ageB = await startAgeSecrets(cluster.kube, log, { ...ageConfig, watchNamespace: nsB });
});

after(async () => {
  await Promise.all([rtA.stop(), rtB.stop(), ageA.stop(), ageB.stop()]);
  await rm(dir, { recursive: true, force: true });
  const all = [...rtA.logs, ...rtB.logs, ...ageLogs].join("");
  assert.ok(!all.includes("hunter2") && !all.includes("t0k3n"), "a value was logged");
});

describe("SealedSecret renamed or moved after sealing", () => {
  it("kubeseal, strict for A/old-name, applied as A/new-name and as B/old-name: ScopeMismatch naming A/old-name, no Secret", async () => {
    const sealed = await sealWithKubeseal("cert.pem", nsA, "old-name", "hunter2");
    await cluster.kube.create(resources.sealedSecret, moveTo(sealed, nsA, "new-name"));
    await cluster.kube.create(resources.sealedSecret, moveTo(sealed, nsB, "old-name"));
    const renamed = await waitForReason(cluster, nsA, "new-name", "ScopeMismatch", DEADLINE_MS);
    assert.equal(renamed.status, "False");
    assert.ok(renamed.message.startsWith(`${MOVED}: password was sealed (strict) for ${nsA}/old-name (recorded in spec.template.metadata)`), renamed.message);
    assert.match(renamed.message, new RegExp(`this SealedSecret is ${nsA}/new-name with scope strict`));
    const moved = await waitForReason(cluster, nsB, "old-name", "ScopeMismatch", DEADLINE_MS);
    assert.ok(moved.message.startsWith(`${MOVED}: password was sealed (strict) for ${nsA}/old-name`), moved.message);
    assert.equal(await cluster.kube.get(resources.secret, nsA, "new-name"), undefined);
    assert.equal(await cluster.kube.get(resources.secret, nsB, "old-name"), undefined);
  });

  it("kubeseal namespace-wide for A, moved to B: ScopeMismatch 'sealed namespace-wide for namespace A'", async () => {
    const r = await exec(kubeseal, ["--cert", "cert.pem", "-o", "yaml", "--scope", "namespace-wide"], secretYaml(nsA, "nswide", "hunter2"));
    assert.equal(r.code, 0, r.stderr);
    await cluster.kube.create(resources.sealedSecret, moveTo(parse(r.stdout) as KubeObject, nsB, "nswide"));
    const s = await waitForReason(cluster, nsB, "nswide", "ScopeMismatch", DEADLINE_MS);
    assert.ok(s.message.startsWith(`${MOVED}: password was sealed namespace-wide for namespace ${nsA} (recorded in spec.template.metadata)`), s.message);
    assert.match(s.message, new RegExp(`this SealedSecret is ${nsB}/nswide with scope namespace-wide \\(label "${nsB}"\\)`));
  });

  it("with nothing recorded (template metadata removed) it is still ScopeMismatch, not a foreign key", async () => {
    const sealed = await sealWithKubeseal("cert.pem", nsA, "bare", "hunter2");
    const spec = sealed["spec"] as { template?: unknown };
    delete spec.template;
    await cluster.kube.create(resources.sealedSecret, moveTo(sealed, nsA, "pre-bare"));
    const s = await waitForReason(cluster, nsA, "pre-bare", "ScopeMismatch", DEADLINE_MS);
    assert.ok(s.message.startsWith(`${MOVED}: password was sealed with key sealed-secrets-key`), s.message);
    assert.match(s.message, /it records no target/);
  });

  it("sealbridge seal records the target in sealbridge.dev/sealed-for, and the condition names it", async () => {
    const out = await sealbridge(["--cert", "cert.pem", "-o", "yaml"], secretYaml(nsA, "old-cli", "t0k3n"));
    const sealed = parse(out) as KubeObject;
    assert.equal(sealed.metadata?.annotations?.[SEALED_FOR_ANNOTATION], `strict:${nsA}/old-cli`);
    await cluster.kube.create(resources.sealedSecret, moveTo(sealed, nsA, "old-cli-suffix"));
    await cluster.kube.create(resources.sealedSecret, moveTo(sealed, nsB, "old-cli"));
    for (const [ns, name] of [[nsA, "old-cli-suffix"], [nsB, "old-cli"]] as const) {
      const s = await waitForReason(cluster, ns, name, "ScopeMismatch", DEADLINE_MS);
      assert.ok(s.message.startsWith(`${MOVED}: password was sealed (strict) for ${nsA}/old-cli (recorded in ${SEALED_FOR_ANNOTATION})`), s.message);
      assert.equal(await cluster.kube.get(resources.secret, ns, name), undefined);
    }
    // The same file where it was sealed for unseals.
    await cluster.kube.create(resources.sealedSecret, sealed);
    await waitForReason(cluster, nsA, "old-cli", "Unsealed", DEADLINE_MS);
    assert.deepEqual(secretData(await cluster.kube.get(resources.secret, nsA, "old-cli")), { password: "t0k3n" });
  });

  it("a good Secret is kept, not blanked, when its SealedSecret gets values sealed for another name", async () => {
    const good = await sealWithKubeseal("cert.pem", nsA, "keep", "hunter2");
    await cluster.kube.create(resources.sealedSecret, good);
    await waitForReason(cluster, nsA, "keep", "Unsealed", DEADLINE_MS);
    const other = await sealWithKubeseal("cert.pem", nsA, "someone-else", "other");
    const encryptedData = (other["spec"] as { encryptedData: Record<string, string> }).encryptedData;
    await cluster.kube.patch(resources.sealedSecret, nsA, "keep", { spec: { encryptedData } }, "merge");
    const s = await waitForReason(cluster, nsA, "keep", "ScopeMismatch", DEADLINE_MS);
    assert.ok(s.message.startsWith(MOVED), s.message);
    assert.deepEqual(secretData(await cluster.kube.get(resources.secret, nsA, "keep")), { password: "hunter2" });
  });

  it("sealed to a foreign key (kubeseal with another certificate) stays SealedForUnknownKey", async () => {
    const sealed = await sealWithKubeseal("foreign.pem", nsA, "foreign", "hunter2");
    await cluster.kube.create(resources.sealedSecret, moveTo(sealed, nsA, "foreign-renamed"));
    await cluster.kube.create(resources.sealedSecret, sealed);
    for (const name of ["foreign", "foreign-renamed"]) {
      const s = await waitForReason(cluster, nsA, name, "SealedForUnknownKey", DEADLINE_MS);
      assert.match(s.message, /cannot be opened by any of the 1 key\(s\) held/);
      assert.ok(!s.message.includes(MOVED));
    }
  });

  it("POST /v1/verify gives the same diagnosis", async () => {
    const sealed = await cluster.kube.get(resources.sealedSecret, nsA, "new-name");
    const res = await fetch(`http://127.0.0.1:${rtA.api.port}/v1/verify`, { method: "POST", body: JSON.stringify(sealed) });
    assert.equal(res.status, 409);
    const body = (await res.json()) as { reason: string; message: string };
    assert.equal(body.reason, "ScopeMismatch");
    assert.ok(body.message.startsWith(`${MOVED}: password was sealed (strict) for ${nsA}/old-name`), body.message);
  });

  it("POST /v1/rotate (--re-encrypt) re-records the target for the object's own name", async () => {
    const good = await cluster.kube.get(resources.sealedSecret, nsA, "keep");
    const edited = { ...good, metadata: { ...good?.metadata, annotations: { [SEALED_FOR_ANNOTATION]: "strict:elsewhere/stale" } } };
    // "keep" now holds values sealed for someone-else: rotate refuses with the same diagnosis.
    const refused = await fetch(`http://127.0.0.1:${rtA.api.port}/v1/rotate`, { method: "POST", body: JSON.stringify(edited) });
    assert.equal(refused.status, 409);
    const sealed = await cluster.kube.get(resources.sealedSecret, nsA, "old-cli");
    const stale = { ...sealed, metadata: { ...sealed?.metadata, annotations: { ...sealed?.metadata?.annotations, [SEALED_FOR_ANNOTATION]: "strict:elsewhere/stale" } } };
    const res = await fetch(`http://127.0.0.1:${rtA.api.port}/v1/rotate`, { method: "POST", body: JSON.stringify(stale) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { metadata: { annotations: Record<string, string> } };
    assert.equal(body.metadata.annotations[SEALED_FOR_ANNOTATION], `strict:${nsA}/old-cli`);
  });
});

describe("AgeSecret renamed or moved after sealing", () => {
  async function recipient(name: string): Promise<string> {
    const answer = await ageA.ageRecipients(new URLSearchParams({ scope: "strict", namespace: nsA, name }));
    assert.equal(answer.status, 200, answer.body);
    return answer.body.trim().split("\n")[0] ?? "";
  }

  it("sealbridge seal --age for A/old-age, applied as A/new-age and B/old-age: ScopeMismatch naming A/old-age, no Secret", async () => {
    const out = await sealbridge(["--age", "--recipient", await recipient("old-age"), "-o", "yaml"], secretYaml(nsA, "old-age", "t0k3n"));
    const sealed = parse(out) as KubeObject;
    assert.equal(sealed.metadata?.annotations?.[SEALED_FOR_ANNOTATION], `strict:${nsA}/old-age`);
    await cluster.kube.create(resources.ageSecret, moveTo(sealed, nsA, "new-age"));
    await cluster.kube.create(resources.ageSecret, moveTo(sealed, nsB, "old-age"));
    for (const [ns, name] of [[nsA, "new-age"], [nsB, "old-age"]] as const) {
      const s = await ageSynced(ns, name, "ScopeMismatch");
      assert.equal(s.status, "False");
      assert.ok(s.message.startsWith(`${MOVED}: password was sealed (strict) for ${nsA}/old-age (recorded in ${SEALED_FOR_ANNOTATION})`), s.message);
      assert.equal(await cluster.kube.get(resources.secret, ns, name), undefined);
    }
    await cluster.kube.create(resources.ageSecret, sealed);
    await ageSynced(nsA, "old-age", "Unsealed");
  });

  it("sealed to a foreign age key stays SealedForUnknownKey", async () => {
    const stranger = await ageRecipientOf(await generateX25519Identity());
    const value = String(await encryptAge({ recipients: [stranger], plaintext: Buffer.from("x") }));
    await cluster.kube.create(resources.ageSecret, {
      apiVersion: "sealbridge.dev/v1alpha1",
      kind: "AgeSecret",
      metadata: { name: "age-foreign", namespace: nsA, annotations: { [SEALED_FOR_ANNOTATION]: `strict:${nsA}/age-foreign-old` } },
      spec: { encryptedData: { k: value } },
    });
    const s = await ageSynced(nsA, "age-foreign", "SealedForUnknownKey");
    assert.ok(!s.message.includes(MOVED));
  });
});
