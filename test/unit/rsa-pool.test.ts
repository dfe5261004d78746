// The RSA worker pool with real worker threads: a healthy pool opens values; a worker module that is
// missing, throws while loading, or exits right after starting is respawned a bounded number of
// times with backoff, then the pool gives up with one error line and a typed, non-retryable error,
// which the SealedSecret reconciler writes as its condition (over an in-memory fake of the kube port).
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { resources } from "../../src/api/resources.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import type { Keyring } from "../../src/controller/keys/keyring.ts";
import { SealedSecretReconciler } from "../../src/controller/sealed-secret/reconcile.ts";
import { SealedSecretStats } from "../../src/controller/decrypted-secret/stats.ts";
import type { KubeObject, KubePort, Resource } from "../../src/kube/port.ts";
import { DecryptWorkerStoppedError, DecryptWorkerUnavailableError, RsaPool } from "../../src/controller/keys/rsa-pool.ts";
import { createLogger } from "../../src/log.ts";
import { siblingModule } from "../../src/runtime/sibling-module.ts";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "sealbridge-rsa-pool-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function memoryLog(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = () =>
    chunks
      .join("")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log: createLogger({ level: "debug", destination: sink }), lines };
}

const request = { values: [["password", "AAAA"]] as const, labels: [""], keys: [] };

async function rejection(pool: RsaPool): Promise<unknown> {
  // Opens posted while workers are still failing get a plain (retryable) error; once the pool gives
  // up every open gets the typed one.
  for (;;) {
    try {
      await pool.open(request);
    } catch (err) {
      if (err instanceof DecryptWorkerUnavailableError) return err;
      assert.ok(err instanceof DecryptWorkerStoppedError && err.retryable, `a retryable stop, got ${String(err)}`);
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    throw new Error("open succeeded with a broken worker");
  }
}

async function assertGivesUp(workerFile: URL, expected: RegExp): Promise<void> {
  const { log, lines } = memoryLog();
  const pool = new RsaPool({ size: 2, log, workerFile, maxFailures: 4, respawnDelayMs: 10 });
  try {
    const err = await rejection(pool);
    assert.ok(err instanceof DecryptWorkerUnavailableError);
    assert.equal(err.reason, "DecryptWorkerUnavailable");
    assert.equal(err.retryable, false);
    assert.match(err.message, expected);
    assert.equal(pool.unavailable, err);
    const spawned = pool.spawns;
    // Four failures end it; the other slot may have a fresh worker starting at that moment.
    assert.ok(spawned >= 4 && spawned <= 5, `${spawned} workers started for maxFailures 4 and 2 slots`);
    // No respawn after giving up.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(pool.spawns, spawned);
    await assert.rejects(pool.open(request), DecryptWorkerUnavailableError);
    const errors = lines().filter((l) => l["level"] === 50);
    assert.equal(errors.length, 1, "one error line");
    assert.equal(errors[0]?.["reason"], "DecryptWorkerUnavailable");
    assert.match(String(errors[0]?.["error"]), expected);
    assert.ok(lines().filter((l) => l["level"] === 40).length <= 1, "at most one warning before giving up");
  } finally {
    await pool.close();
  }
}

test("a worker module that does not exist: bounded spawns, then DecryptWorkerUnavailable naming the missing module", async () => {
  await assertGivesUp(pathToFileURL(join(dir, "no-such-worker.js")), /ERR_MODULE_NOT_FOUND|Cannot find module/);
});

test("a worker module that throws while loading: bounded spawns, then DecryptWorkerUnavailable with its message", async () => {
  const file = join(dir, "throws-at-load.js");
  await writeFile(file, 'throw new Error("broken at load");\n');
  await assertGivesUp(pathToFileURL(file), /before it was ready: broken at load/);
});

test("a worker that starts and exits at once, again and again, is not respawned forever", async () => {
  const file = join(dir, "exits.js");
  await writeFile(file, 'import { parentPort } from "node:worker_threads";\nparentPort.postMessage({ type: "ready" });\nprocess.exit(3);\n');
  await assertGivesUp(pathToFileURL(file), /exited with code 3/);
});

test("respawns back off: the delay doubles with each failure in a row", async () => {
  const pool = new RsaPool({ size: 1, workerFile: pathToFileURL(join(dir, "missing.js")), maxFailures: 4, respawnDelayMs: 100 });
  const started = Date.now();
  try {
    await rejection(pool);
    // 100 + 200 + 400 ms of waiting between the four attempts.
    assert.ok(Date.now() - started >= 700, `gave up after ${Date.now() - started} ms`);
  } finally {
    await pool.close();
  }
});

function testKeyring(): { keyring: Keyring; publicKey: ReturnType<typeof generateKeyPairSync>["publicKey"] } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return {
    keyring: { keys: [{ name: "k", fingerprint: "f1", privateKey, privateKeyPem, certificatePem: "", createdAt: new Date(0), compromised: false }], problems: [] },
    publicKey,
  };
}

test("a healthy pool (the real worker) opens values with the keys it was sent", async () => {
  const { keyring, publicKey } = testKeyring();
  const { log, lines } = memoryLog();
  const pool = new RsaPool({ size: 2, log });
  try {
    pool.setKeys(keyring);
    const label = scopeLabel("strict", "ns", "db");
    const values = await Promise.all(
      ["one", "two", "three"].map((v) => pool.open({ values: [[v, sealValue({ publicKey, plaintext: Buffer.from(`value-${v}`), label })]], labels: ["ns/db"], keys: ["f1"] })),
    );
    const opened = values.flatMap((r) => r.values).map((v) => (v.ok ? [v.name, Buffer.from(v.plaintext).toString(), v.fingerprint] : [v.name, v.reason]));
    assert.deepEqual(opened, [
      ["one", "value-one", "f1"],
      ["two", "value-two", "f1"],
      ["three", "value-three", "f1"],
    ]);
    assert.equal(pool.spawns, 0, "values that open take the thread-pool path: no worker started");
    assert.equal(pool.rsaOps, 3);
    // A value that does not open (sealed for another name) goes to the workers, which diagnose it.
    const other = sealValue({ publicKey, plaintext: Buffer.from("value-four"), label: scopeLabel("strict", "ns", "other") });
    const failed = await pool.open({ values: [["ok", sealValue({ publicKey, plaintext: Buffer.from("value-five"), label })], ["moved", other]], labels: ["ns/db", "ns/other"], keys: ["f1"] });
    assert.deepEqual(failed.values.map((v) => [v.name, v.ok, v.ok ? Buffer.from(v.plaintext).toString() : v.reason]), [["ok", true, "value-five"], ["moved", false, "NoKeyCouldDecrypt"]]);
    const moved = failed.values[1];
    assert.equal(moved && !moved.ok ? moved.openedWithLabel : undefined, 1, "the worker found the label that opens it");
    assert.equal(pool.spawns, 2);
    assert.equal(pool.unavailable, undefined);
    assert.deepEqual(lines().filter((l) => Number(l["level"]) >= 40), []);
  } finally {
    await pool.close();
  }
});

/** Objects by resource/namespace/name; only what the SealedSecret reconciler calls. */
class MemoryKube implements Partial<KubePort> {
  readonly objects = new Map<string, KubeObject>();
  private key(resource: Resource, namespace: string | undefined, name: string): string {
    return `${resource.plural}/${namespace ?? ""}/${name}`;
  }
  get(resource: Resource, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    return Promise.resolve(this.objects.get(this.key(resource, namespace, name)));
  }
  create(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    this.objects.set(this.key(resource, obj.metadata?.namespace, obj.metadata?.name ?? `${this.objects.size}`), obj);
    return Promise.resolve(obj);
  }
  replaceStatus(resource: Resource, obj: KubeObject): Promise<KubeObject> {
    this.objects.set(this.key(resource, obj.metadata?.namespace, obj.metadata?.name ?? ""), obj);
    return Promise.resolve(obj);
  }
}

test("the SealedSecret reconciler turns a pool that gave up into Synced=False DecryptWorkerUnavailable, without a retry", async () => {
  const { keyring } = testKeyring();
  const pool = new RsaPool({ size: 1, workerFile: pathToFileURL(join(dir, "absent.js")), maxFailures: 2, respawnDelayMs: 10 });
  try {
    await rejection(pool);
    const kube = new MemoryKube();
    const sealed: KubeObject = {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name: "db", namespace: "ns", uid: "u1", generation: 1 },
      spec: { encryptedData: { password: "AAAA" } },
    };
    await kube.create(resources.sealedSecret, sealed);
    const reconciler = new SealedSecretReconciler({ kube: kube as unknown as KubePort, keyring: () => keyring, pool, stats: new SealedSecretStats(), now: () => new Date(0) });
    // Resolves (no throw): the condition says it all, so the queue does not retry in a loop.
    await reconciler.reconcile({ namespace: "ns", name: "db" }, { log: memoryLog().log, cached: () => undefined, cachedSecondary: () => undefined, listSecondary: () => [] });
    const status = (await kube.get(resources.sealedSecret, "ns", "db"))?.["status"] as { observedGeneration?: number; conditions?: { type: string; status: string; reason: string; message: string }[] };
    assert.equal(status.observedGeneration, 1);
    const synced = status.conditions?.find((c) => c.type === "Synced");
    assert.equal(synced?.status, "False");
    assert.equal(synced?.reason, "DecryptWorkerUnavailable");
    assert.match(synced?.message ?? "", /cannot start .*absent\.js/);
    assert.equal(await kube.get(resources.secret, "ns", "db"), undefined, "no Secret written");
    const events = [...kube.objects.values()].filter((o) => o.kind === "Event");
    assert.deepEqual(events.map((e) => e["reason"]), ["ErrUnsealFailed"]);
  } finally {
    await pool.close();
  }
});

test("siblingModule keeps the caller's extension: src/*.ts finds .ts workers, dist/*.js finds .js", () => {
  assert.equal(siblingModule("file:///app/src/controller/keys/rsa-pool.ts", "./rsa-worker").href, "file:///app/src/controller/keys/rsa-worker.ts");
  assert.equal(siblingModule("file:///app/dist/controller/keys/rsa-pool.js", "./rsa-worker").href, "file:///app/dist/controller/keys/rsa-worker.js");
  assert.equal(siblingModule("file:///app/dist/a/b.js", "../c/d").href, "file:///app/dist/c/d.js");
  assert.throws(() => siblingModule("file:///app/dist/a.js", "./w.ts"), TypeError);
  assert.throws(() => siblingModule("file:///app/dist/a.js", "w"), TypeError);
});

async function sourceFiles(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? sourceFiles(join(path, e.name)) : Promise.resolve(e.name.endsWith(".ts") ? [join(path, e.name)] : []))));
  return nested.flat();
}

test("every worker thread in src/ is spawned from a file resolved by siblingModule", async () => {
  const src = new URL("../../src/", import.meta.url).pathname;
  const spawning: string[] = [];
  for (const file of await sourceFiles(src)) {
    const text = await readFile(file, "utf8");
    if (!/new Worker\(/.test(text)) continue;
    spawning.push(file.slice(src.length));
    assert.match(text, /siblingModule\(import\.meta\.url, "\.\/[\w-]+"\)/, `${file}: resolve the worker file with siblingModule`);
    assert.doesNotMatch(text, /new Worker\(\s*new URL\(/, `${file}: a literal worker URL keeps the .ts extension in dist/`);
  }
  assert.deepEqual(spawning.sort(), ["controller/keys/rsa-pool.ts", "controller/templates/pool.ts"]);
});
