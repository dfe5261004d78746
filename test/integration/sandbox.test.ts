// `npm start` end to end on the sandbox control plane, and how the sandbox fails.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { resources } from "../../src/api/resources.ts";
import { ClientNodeKube } from "../../src/kube/client-node-adapter.ts";
import { ControlPlaneError, startControlPlane } from "../../src/sandbox/control-plane.ts";
import { alive } from "../support/controller-process.ts";

const root = new URL("../../", import.meta.url).pathname;

function childPids(pid: number): number[] {
  const out = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).stdout;
  return out.split("\n").map((s) => Number(s.trim())).filter((n) => n > 0);
}

test("npm start without a cluster: sandbox, KUBECONFIG= line, watches, clean SIGTERM", { timeout: 120_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), "sb-start-home-"));
  // A HOME without ~/.kube/config means "no cluster configured"; the build cache stays where it is.
  const cache = process.env["SEALBRIDGE_CACHE"] ?? join(homedir(), ".cache", "sealbridge");
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SEALBRIDGE_CACHE: cache, GOPATH: process.env["GOPATH"] ?? join(homedir(), "go") };
  delete env["KUBECONFIG"];
  const child = spawn(process.execPath, [join(root, "src/main.ts"), "--listen-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr.on("data", (c: Buffer) => stderr.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = createInterface(child.stdout);
  const seen: string[] = [];
  const waitFor = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const hit = seen.find((l) => pattern.test(l));
      if (hit) return resolve(hit);
      const onLine = (line: string) => {
        if (pattern.test(line)) {
          lines.off("line", onLine);
          resolve(line);
        }
      };
      lines.on("line", onLine);
      void exited.then((code) => reject(new Error(`exited ${code} before ${pattern}: ${seen.join("\n")} ${stderr.join("")}`)));
    });
  lines.on("line", (l) => seen.push(l));
  try {
    const kubeconfigLine = await waitFor(/^KUBECONFIG=/);
    const kubeconfigPath = kubeconfigLine.slice("KUBECONFIG=".length);
    assert.match(readFileSync(kubeconfigPath, "utf8"), /server: https:\/\/127\.0\.0\.1:\d+/);
    // Then the commands a newcomer runs next: seal (kubeseal or sealbridge seal), apply, read the Secret.
    await waitFor(/^ {2}kubectl get secret demo /);
    const next = seen.slice(seen.indexOf(kubeconfigLine) + 1).filter((l) => !l.startsWith("{"));
    assert.match(next[0] ?? "", /^next, in another shell: seal a Secret, apply it/);
    assert.equal(next[1], `  export KUBECONFIG=${kubeconfigPath}`);
    assert.match(next[2] ?? "", /^ {2}kubectl create secret generic demo .*\| kubeseal( --cert http:\/\/127\.0\.0\.1:\d+\/v1\/cert\.pem)? -o yaml > demo-sealed\.yaml .*npx sealbridge seal/);
    assert.match(next[3] ?? "", /^ {2}kubectl apply -f demo-sealed\.yaml && kubectl wait --for=condition=Ready sealedsecret\/demo/);
    const sandboxChildren = childPids(child.pid ?? -1);
    assert.equal(sandboxChildren.length, 2, "etcd and kube-apiserver run as children");

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const kube = new ClientNodeKube(kc);
    await kube.create(resources.sealedSecret, {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name: "hello", namespace: "default" },
      spec: { encryptedData: { x: "AgA=" } },
    });
    const observed = await waitFor(/"name":"hello"/);
    assert.match(observed, /"level":30/, "pino JSON log line");

    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    for (const pid of sandboxChildren) assert.equal(alive(pid), false, `child ${pid} is gone`);
    assert.ok(seen.some((l) => /"msg":"stopped"/.test(l)));
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});

function fakeAssets(etcdScript: string): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-assets-"));
  writeFileSync(join(dir, "etcd"), `#!/bin/sh\n${etcdScript}\n`);
  writeFileSync(join(dir, "kube-apiserver"), "#!/bin/sh\nexit 1\n");
  chmodSync(join(dir, "etcd"), 0o755);
  chmodSync(join(dir, "kube-apiserver"), 0o755);
  return dir;
}

test("a crashed child fails the start with its last log lines", async () => {
  const dir = fakeAssets('echo "opening data dir"; echo "fatal: disk on fire" >&2; exit 7');
  await assert.rejects(
    startControlPlane({ binaries: { etcd: join(dir, "etcd"), kubeApiserver: join(dir, "kube-apiserver") } }),
    (err: Error) => err instanceof ControlPlaneError && /etcd exited \(code 7/.test(err.message) && /disk on fire/.test(err.message),
  );
});

test("a port taken at bind time is retried with other ports", async () => {
  const dir = fakeAssets(`echo x >> "${tmpdir()}/sb-port-attempts-$PPID"; echo "listen tcp 127.0.0.1:1: bind: address already in use" >&2; exit 1`);
  const counter = join(tmpdir(), `sb-port-attempts-${process.pid}`);
  writeFileSync(counter, "");
  await assert.rejects(startControlPlane({ binaries: { etcd: join(dir, "etcd"), kubeApiserver: join(dir, "kube-apiserver") } }), /address already in use/);
  assert.equal(readFileSync(counter, "utf8").trim().split("\n").length, 4, "four attempts");
});

test("KUBEBUILDER_ASSETS without binaries, and no Go: clear messages, no hang", () => {
  const empty = mkdtempSync(join(tmpdir(), "sb-empty-"));
  const result = spawnSync("bash", [join(root, "scripts/build-control-plane.sh")], {
    env: { PATH: "/usr/bin:/bin", HOME: empty, SEALBRIDGE_CACHE: join(empty, "cache") },
    encoding: "utf8",
    timeout: 10_000,
  });
  assert.equal(result.status, 3);
  assert.match(result.stderr, /Go is not installed and KUBEBUILDER_ASSETS is not set/);
  assert.match(result.stderr, /KUBEBUILDER_ASSETS to a folder that holds kube-apiserver and etcd/);
});

test("a SIGKILLed parent leaves no etcd or kube-apiserver behind", { timeout: 60_000 }, async () => {
  const script = `
    import { startControlPlane } from ${JSON.stringify(join(root, "src/sandbox/control-plane.ts"))};
    const cp = await startControlPlane();
    console.log("READY " + cp.kubeconfigPath);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface(child.stdout);
  await new Promise<void>((resolve, reject) => {
    lines.on("line", (l) => l.startsWith("READY") && resolve());
    child.once("exit", (code) => reject(new Error(`exited ${code}`)));
  });
  const pids = childPids(child.pid ?? -1).flatMap((pid) => [pid, ...childPids(pid)]);
  assert.ok(pids.length >= 2);
  child.kill("SIGKILL");
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(pids.filter(alive), [], "no process survives its parent");
});
