// The build the image ships, run for real. dist/ is compiled as `npm run build` does, a folder is
// laid out exactly as the Dockerfile's final stage (its COPY lines: package.json, production-only
// node_modules, dist/; its ENV; its ENTRYPOINT's script) outside the repository, so no dev dependency
// or .ts source can be reached, and `node dist/main.js` runs there on Node 24 against the real
// control plane: a SealedSecret, an AgeSecret (real age), a SopsSecret (real sops) and an
// ExternalSecret on moto all reach their Secrets, and the process is quiet once synced. Then the RSA
// worker is removed from the folder, as a broken build would ship it: the controller says so in one
// log line and in the SealedSecret's condition, and does not spin respawning workers.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { after, before, test } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import { parseSealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { cpusAvailable } from "../../src/runtime/cpus.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { shippedNodeFlags } from "../support/shipped-launch.ts";
import { dockerfileStages, finalStage, workdirOf } from "../support/dockerfile.ts";
import { createAwsStaticKeyStore, readyOf, secretData } from "../support/eso.ts";
import { eventually } from "../support/sealed-controller.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";
import { ensureAge, ensureTool } from "../support/tools.ts";

const root = new URL("../../", import.meta.url).pathname;

let cluster: TestCluster;
let moto: RunningServer;
let ageCli = "";
let sops = "";
let work = "";
let app = "";
let image: { entry: string; nodeFlags: string[]; env: Record<string, string> };
const procs: ControllerProcess[] = [];

function run(file: string, args: readonly string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolveOut, reject) => {
    const child = execFile(file, [...args], { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(" ")}: ${err.message}\n${stderr.slice(-3000)}`));
      else resolveOut(stdout);
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(options.stdin ?? "");
  });
}

/** The build stage's result in `build`, the final stage's folder in `app`, as the Dockerfile says. */
async function layOutImage(): Promise<{ app: string; entry: string; nodeFlags: string[]; env: Record<string, string> }> {
  const stages = dockerfileStages();
  const buildStage = stages[0];
  assert.ok(buildStage);
  const buildWorkdir = workdirOf(buildStage);
  const final = finalStage(stages);
  const build = join(work, "build");
  await mkdir(build);
  for (const file of ["package.json", "package-lock.json"]) await writeFile(join(build, file), await readFile(join(root, file)));
  // The build stage's `npm ci` + `npm prune --omit=dev`, in one step, from the lockfile.
  await run("npm", ["ci", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: build });
  // `npm run build` (tsc -p tsconfig.build.json), into the build folder.
  await run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json"), "--outDir", join(build, "dist")], { cwd: root });
  const appDir = join(work, "app");
  await mkdir(appDir);
  for (const copy of final.copies) {
    const from = join(build, relative(buildWorkdir, copy.from));
    const to = join(appDir, copy.to);
    await mkdir(dirname(to), { recursive: true });
    await rename(from, to);
  }
  const [node, ...afterNode] = final.entrypoint;
  assert.match(node ?? "", /\/node$/, "the entrypoint runs node");
  // node [flags...] script: the flags start with "--", the script is the last word.
  const script = afterNode.at(-1);
  const nodeFlags = afterNode.slice(0, -1);
  assert.ok(nodeFlags.every((f) => f.startsWith("--")), `the entrypoint passes node flags before the script: ${nodeFlags.join(" ")}`);
  assert.deepEqual(nodeFlags, shippedNodeFlags(), "bench and tests read the same flags");
  assert.ok(script !== undefined && existsSync(join(appDir, script)), `the entrypoint's ${script ?? "script"} is in the folder`);
  return { app: appDir, entry: script, nodeFlags, env: final.env };
}

function jsFiles(dir: string): Promise<string[]> {
  return readdir(dir, { withFileTypes: true }).then(async (entries) =>
    (await Promise.all(entries.map((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : Promise.resolve(e.name.endsWith(".js") ? [join(dir, e.name)] : []))))).flat(),
  );
}

/** utime + stime of a process, in seconds (from /proc/<pid>/stat; clock ticks are 1/100 s on Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The share of one CPU the process used over `ms` milliseconds. */
async function cpuShare(pid: number, ms: number): Promise<number> {
  const before = await cpuSeconds(pid);
  const started = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return (await cpuSeconds(pid) - before) / ((Date.now() - started) / 1000);
}

interface Condition {
  status: string;
  reason: string;
  message: string;
}

async function synced(resource: typeof resources.sealedSecret, ns: string, name: string): Promise<Condition | undefined> {
  const obj = await cluster.kube.get(resource, ns, name);
  const status = obj?.["status"] as { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined;
  const c = status?.conditions?.find((x) => x.type === "Synced");
  if (!c || status?.observedGeneration !== obj?.metadata?.generation) return undefined;
  return { status: c.status, reason: c.reason ?? "", message: c.message ?? "" };
}

function waitSynced(resource: typeof resources.sealedSecret, ns: string, name: string, reason: string): Promise<Condition> {
  return eventually(`${resource.kind} ${ns}/${name} ${reason}`, async () => {
    const c = await synced(resource, ns, name);
    return c?.reason === reason ? c : undefined;
  }, 90_000);
}

function waitSecret(ns: string, name: string): Promise<Record<string, string>> {
  return eventually(`Secret ${ns}/${name}`, async () => {
    const secret = await cluster.kube.get(resources.secret, ns, name);
    return secret ? secretData(secret) : undefined;
  }, 90_000);
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

function sealedSecret(ns: string, name: string, certPem: string, values: Record<string, string>): KubeObject {
  const cert = parseSealingCertificate(certPem, new Date());
  const label = scopeLabel("strict", ns, name);
  const encryptedData = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(v), label })]));
  return { apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name, namespace: ns }, spec: { encryptedData } };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "sealbridge-image-"));
  [cluster, moto, ageCli, sops] = await Promise.all([testCluster(), startMoto(), ensureAge(), ensureTool("sops")]);
  ({ app, ...image } = await layOutImage());
});

after(async () => {
  for (const p of procs) await p.kill();
  await moto?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("the image's folder holds compiled JS and production dependencies only, and nothing above it supplies modules", { timeout: 60_000 }, async () => {
  assert.equal(Number(process.versions.node.split(".")[0]), 24, "the test runs the build on Node 24, as the image does");
  assert.deepEqual((await readdir(app)).sort(), ["dist", "node_modules", "package.json"]);
  const files = await jsFiles(join(app, "dist"));
  assert.ok(files.some((f) => f.endsWith("/controller/keys/rsa-worker.js")), "the RSA worker is compiled");
  assert.ok(files.some((f) => f.endsWith("/controller/templates/worker.js")), "the template worker is compiled");
  assert.equal((await readdir(join(app, "dist"), { recursive: true })).filter((f) => String(f).endsWith(".ts")).length, 0, "no TypeScript in dist/");
  for (let dir = dirname(app); dir !== dirname(dir); dir = dirname(dir)) assert.ok(!existsSync(join(dir, "node_modules")), `${dir}/node_modules would leak modules into the app`);
  const pkg = JSON.parse(await readFile(join(app, "package.json"), "utf8")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  for (const dev of Object.keys(pkg.devDependencies)) {
    if (dev.startsWith("@types/")) continue;
    const present = await stat(join(app, "node_modules", dev)).then(() => true, () => false);
    assert.ok(!present, `dev dependency ${dev} is in the image's node_modules`);
  }
  // Every bare import in dist/, static or lazy (import("...")), is a production dependency.
  const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
  for (const file of files) {
    const text = await readFile(file, "utf8");
    for (const m of text.matchAll(/(?:from\s+|import\()\s*["']([^"'.][^"']*)["']/g)) {
      const spec = (m[1] ?? "").replace(/^node:/, "");
      const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? "");
      assert.ok(allowed.has(name), `${relative(app, file)} imports ${name}, which is not a production dependency`);
    }
    // Relative specifiers were rewritten to .js by tsc; a leftover .ts one would fail at run time.
    assert.doesNotMatch(text, /(?:from\s+|import\()\s*["']\.{1,2}\/[^"']*\.ts["']/, `${relative(app, file)} imports a .ts file`);
  }
  const help = await run(process.execPath, ["dist/main.js", "--help"], { cwd: app });
  assert.match(help, /--rsa-workers N/);
});

test("node dist/main.js unseals a SealedSecret, an AgeSecret and a SopsSecret and syncs an ExternalSecret from moto, then idles", { timeout: 420_000 }, async (t) => {
  const { entry, nodeFlags, env } = image;
  const keyNs = await freshNamespace(cluster, "img-keys");
  const ns = await freshNamespace(cluster, "img-app");
  const args = ["--kubeconfig", cluster.kubeconfigPath, "--key-namespace", keyNs, "--listen-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--key-bits", "2048"];
  const imageEnv = { ...env, AWS_SECRETSMANAGER_ENDPOINT: moto.url, AWS_STS_ENDPOINT: moto.url };
  const proc = startControllerProcess(args, imageEnv, { entry, nodeFlags, cwd: app });
  procs.push(proc);
  const sealedReady = JSON.parse(await proc.waitFor(/"msg":"SealedSecret controller ready"/, 90_000)) as { rsaWorkers: number };
  const listening = JSON.parse(await proc.waitFor(/"msg":"HTTP API and metrics listening"/, 90_000)) as { api: number; metrics: number };
  const ready = { ...sealedReady, ...listening };
  // Same machine and cgroup as this test: the default pool size is the CPUs this process may use.
  assert.equal(ready.rsaWorkers, cpusAvailable());
  await proc.waitFor(/"msg":"sealbridge ready"/, 90_000);
  assert.equal((await get(ready.api, "/healthz")).status, 200);

  // SealedSecret, sealed to the certificate the controller serves.
  const cert = await get(ready.api, "/v1/cert.pem");
  assert.equal(cert.status, 200);
  const applied = Date.now();
  await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "sealed-db", cert.body, { password: "sealed-pw-1" }));

  // AgeSecret, sealed by the real age CLI to the controller's strict recipient for it.
  const ageRecipient = await get(ready.api, `/v1/age-recipients?${new URLSearchParams({ scope: "strict", namespace: ns, name: "age-db" }).toString()}`);
  assert.equal(ageRecipient.status, 200);
  const armored = await run(ageCli, ["-a", "-r", ageRecipient.body.trim()], { cwd: work, stdin: "age-pw-2", env: { PATH: process.env["PATH"] ?? "", HOME: work } });
  await cluster.kube.create(resources.ageSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "AgeSecret", metadata: { name: "age-db", namespace: ns }, spec: { encryptedData: { password: armored } } });

  // SopsSecret: a Secret manifest encrypted by the real sops to the controller's recipient for it.
  const sopsRecipient = await get(ready.api, `/v1/age-recipients?${new URLSearchParams({ scope: "strict", namespace: ns, name: "sops-db" }).toString()}`);
  await writeFile(join(work, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sops-db\nstringData:\n  password: sops-pw-3\n");
  const document = await run(sops, ["--encrypt", "--age", sopsRecipient.body.trim(), "--encrypted-regex", "^(data|stringData)$", "secret.yaml"], { cwd: work, env: { PATH: process.env["PATH"] ?? "", HOME: work } });
  assert.doesNotMatch(document, /sops-pw-3/);
  await cluster.kube.create(resources.sopsSecret, { apiVersion: "sealbridge.dev/v1alpha1", kind: "SopsSecret", metadata: { name: "sops-db", namespace: ns }, spec: { document } });

  // ExternalSecret on an AWS SecretStore; the controller reaches moto through ESO's endpoint variables.
  const remoteName = `image-${ns}/db`;
  const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  try {
    await sm.send(new CreateSecretCommand({ Name: remoteName, SecretString: JSON.stringify({ password: "aws-pw-4" }) }));
  } finally {
    sm.destroy();
  }
  await createAwsStaticKeyStore(cluster.kube, ns, "test");
  await cluster.kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: "aws-db", namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, target: { name: "aws-db" }, data: [{ secretKey: "password", remoteRef: { key: remoteName, property: "password" } }] },
  });

  assert.equal((await waitSynced(resources.sealedSecret, ns, "sealed-db", "Unsealed")).status, "True");
  assert.deepEqual(await waitSecret(ns, "sealed-db"), { password: "sealed-pw-1" });
  assert.equal((await waitSynced(resources.ageSecret, ns, "age-db", "Unsealed")).status, "True");
  assert.deepEqual(await waitSecret(ns, "age-db"), { password: "age-pw-2" });
  assert.equal((await waitSynced(resources.sopsSecret, ns, "sops-db", "Unsealed")).status, "True");
  assert.deepEqual(await waitSecret(ns, "sops-db"), { password: "sops-pw-3" });
  await eventually("ExternalSecret aws-db SecretSynced", async () => (readyOf(await cluster.kube.get(resources.externalSecret, ns, "aws-db"))?.reason === "SecretSynced" ? true : undefined), 90_000);
  assert.deepEqual(await waitSecret(ns, "aws-db"), { password: "aws-pw-4" });

  t.diagnostic(`all four Secrets ${Date.now() - applied} ms after the first apply`);

  // Synced and idle: no worker respawning, no busy loop (the broken build spun at about half a CPU).
  const pid = proc.child.pid ?? 0;
  const share = await cpuShare(pid, 4000);
  t.diagnostic(`synced controller: ${(share * 100).toFixed(1)} % of a CPU over 4 s`);
  assert.ok(share < 0.15, `the idle controller used ${(share * 100).toFixed(1)} % of a CPU`);
  const logs = proc.lines.join("\n");
  assert.doesNotMatch(logs, /RSA worker|"level":50/, "no worker trouble and no errors");
  for (const value of ["sealed-pw-1", "age-pw-2", "sops-pw-3", "aws-pw-4"]) assert.ok(!logs.includes(value), "a value reached the logs");
  await proc.stop();
  assert.equal(await proc.exited, 0, "SIGTERM stops it cleanly");

  // A build without the RSA worker: one reasoned error line and a condition, no respawn loop.
  await rm(join(app, "dist", "controller", "keys", "rsa-worker.js"));
  const broken = startControllerProcess(args, imageEnv, { entry, nodeFlags, cwd: app });
  procs.push(broken);
  await broken.waitFor(/"msg":"sealbridge ready"/, 90_000);
  // Values that open take the thread-pool path and need no worker: a new SealedSecret still unseals.
  await cluster.kube.create(resources.sealedSecret, sealedSecret(ns, "after-break", cert.body, { password: "sealed-pw-5" }));
  assert.equal((await waitSynced(resources.sealedSecret, ns, "after-break", "Unsealed")).status, "True");
  assert.deepEqual(secretData(await cluster.kube.get(resources.secret, ns, "after-break")), { password: "sealed-pw-5" });
  // A value that does not open is diagnosed by a worker: that is what finds the build broken.
  const moved = sealedSecret(ns, "sealed-elsewhere", cert.body, { password: "sealed-pw-6" });
  await cluster.kube.create(resources.sealedSecret, { ...moved, metadata: { name: "after-break-moved", namespace: ns } });
  const gaveUp = JSON.parse(await broken.waitFor(/"msg":"RSA worker pool gave up/, 60_000)) as { reason: string; error: string };
  assert.equal(gaveUp.reason, "DecryptWorkerUnavailable");
  assert.match(gaveUp.error, /rsa-worker\.js/);
  const failed = await waitSynced(resources.sealedSecret, ns, "after-break-moved", "DecryptWorkerUnavailable");
  assert.equal(failed.status, "False");
  assert.match(failed.message, /cannot start .*rsa-worker\.js/);
  assert.equal(await cluster.kube.get(resources.secret, ns, "after-break-moved"), undefined);
  // What was unsealed before stays, and needs no decrypt to stay current.
  assert.equal((await synced(resources.sealedSecret, ns, "sealed-db"))?.reason, "Unsealed");
  assert.deepEqual(secretData(await cluster.kube.get(resources.secret, ns, "sealed-db")), { password: "sealed-pw-1" });
  const brokenShare = await cpuShare(broken.child.pid ?? 0, 4000);
  t.diagnostic(`controller without an RSA worker, after giving up: ${(brokenShare * 100).toFixed(1)} % of a CPU over 4 s`);
  assert.ok(brokenShare < 0.15, `the controller without a worker used ${(brokenShare * 100).toFixed(1)} % of a CPU`);
  assert.equal(broken.lines.filter((l) => l.includes('"level":50')).length, 1, "one error line");
  await broken.stop();
});
