// `npm start`'s sandbox registers kube-system/sealed-secrets-controller behind the API server's
// service proxy, so the real kubeseal and `sealbridge seal` work with the printed KUBECONFIG and no
// flags; stopping leaves no veth or network namespace behind; where it cannot work, one line says
// which --cert to use instead.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test, type TestContext } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";
import { resources } from "../../src/api/resources.ts";
import { run } from "../../src/cli/run.ts";
import { ClientNodeKube } from "../../src/kube/client-node-adapter.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { alive, startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { eventually, secretData } from "../support/sealed-controller.ts";
import { ensureTool } from "../support/tools.ts";

function startSandbox(listenAddr: string): ControllerProcess {
  // --sandbox: always the local control plane. The build cache and Go paths stay where they are
  // even though HOME is a fresh folder (no ~/.kube/config).
  const home = mkdtempSync(join(tmpdir(), "sb-kubeseal-home-"));
  const cache = process.env["SEALBRIDGE_CACHE"] ?? join(homedir(), ".cache", "sealbridge");
  return startControllerProcess(["--sandbox", "--listen-addr", listenAddr, "--metrics-addr", "127.0.0.1:0", "--key-bits", "2048"], {
    HOME: home,
    SEALBRIDGE_CACHE: cache,
    GOPATH: process.env["GOPATH"] ?? join(homedir(), "go"),
    GOCACHE: process.env["GOCACHE"] ?? join(homedir(), ".cache", "go-build"),
  });
}

function linkExists(name: string): boolean {
  return spawnSync("ip", ["-o", "link", "show", "dev", name], { stdio: "ignore" }).status === 0;
}

function exec(file: string, args: string[], env: NodeJS.ProcessEnv, stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(stdin);
  });
}

interface Registered {
  interface: string;
  address: string;
  namespaceHolderPid: number;
}

/** The "service proxy endpoint registered" log line, or a skip when the machine does not allow it. */
async function registeredOrSkip(t: TestContext, proc: ControllerProcess): Promise<Registered | undefined> {
  const line = await proc.waitFor(/"msg":"service proxy endpoint registered"|^sealbridge: the API server's service proxy cannot reach/, 120_000);
  if (line.startsWith("sealbridge:")) {
    t.skip(`no veth namespace on this machine: ${line}`);
    return undefined;
  }
  return JSON.parse(line) as Registered;
}

test("npm start's sandbox: kubeseal and sealbridge seal need no flags; stop leaves no veth or namespace", { timeout: 600_000 }, async (t) => {
  const kubeseal = await ensureTool("kubeseal");
  const proc = startSandbox(":0");
  try {
    const kubeconfigPath = (await proc.waitFor(/^KUBECONFIG=/, 120_000)).slice("KUBECONFIG=".length);
    const { api } = await proc.ports();
    const registered = await registeredOrSkip(t, proc);
    if (!registered) return;
    assert.match(registered.address, /^198\.1[89]\./, "an address from the benchmarking range, not this host's");
    assert.ok(linkExists(registered.interface), "the host end of the veth pair is up while the sandbox runs");
    assert.ok(alive(registered.namespaceHolderPid), "the namespace's holder runs while the sandbox runs");

    const expected = await (await fetch(`http://127.0.0.1:${api}/v1/cert.pem`)).text();
    const env = { PATH: process.env["PATH"] ?? "", HOME: mkdtempSync(join(tmpdir(), "sb-kubeseal-user-")), KUBECONFIG: kubeconfigPath };
    // The real kubeseal, with only KUBECONFIG: the default kube-system/sealed-secrets-controller.
    const fetched = await eventually("kubeseal --fetch-cert through the proxy", async () => {
      const r = await exec(kubeseal, ["--fetch-cert"], env);
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout;
    });
    assert.equal(fetched, expected);

    let out = "";
    let err = "";
    const code = await run(["seal", "--fetch-cert"], {
      readStdin: () => Promise.resolve(Buffer.alloc(0)),
      stdout: (c) => (out += typeof c === "string" ? c : Buffer.from(c).toString()),
      stderr: (c) => (err += c),
      env,
      cwd: env.HOME,
    });
    assert.equal(code, 0, err);
    assert.equal(out, expected);

    // kubeseal seals with the cert it fetched itself; the sandbox's controller opens it.
    const secretYaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: noflags\n  namespace: default\nstringData:\n  greeting: hello-from-kubeseal\n";
    const sealed = await exec(kubeseal, ["-o", "yaml"], env, secretYaml);
    assert.equal(sealed.code, 0, sealed.stderr);
    assert.ok(!sealed.stdout.includes("hello-from-kubeseal"));
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const kube = new ClientNodeKube(kc);
    await kube.create(resources.sealedSecret, parse(sealed.stdout) as KubeObject);
    const secret = await eventually("the unsealed Secret", () => kube.get(resources.secret, "default", "noflags"));
    assert.deepEqual(secretData(secret), { greeting: "hello-from-kubeseal" });

    // The commands printed after KUBECONFIG= work as printed (real kubeseal and kubectl).
    await proc.waitFor(/^ {2}kubectl get secret demo /);
    const steps = proc.lines.slice(proc.lines.findIndex((l) => l.startsWith("next, in another shell:")) + 1).filter((l) => l.startsWith("  "));
    assert.equal(steps.length, 4);
    if (spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status !== 0) {
      t.diagnostic("kubectl is not on PATH: the printed next steps were not run");
    } else {
      const shell = { ...env, PATH: `${dirname(kubeseal)}:${env.PATH}` };
      const r = spawnSync("bash", ["-euo", "pipefail", "-c", steps.join("\n")], { cwd: env.HOME, env: shell, encoding: "utf8", timeout: 120_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /condition met\nchange-me\n$/);
    }

    await proc.stop();
    assert.equal(await proc.exited, 0);
    assert.ok(proc.lines.some((l) => /"msg":"stopped"/.test(l)));
    assert.equal(linkExists(registered.interface), false, "the veth pair is gone");
    assert.equal(alive(registered.namespaceHolderPid), false, "the namespace's holder is gone, and with it the namespace");
  } finally {
    await proc.kill();
  }
});

test("a sandbox controller on loopback only prints the --cert line and leaves no veth behind", { timeout: 300_000 }, async () => {
  const before = spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout;
  const proc = startSandbox("127.0.0.1:0");
  try {
    await proc.waitFor(/^KUBECONFIG=/, 120_000);
    const { api } = await proc.ports();
    const line = await proc.waitFor(/^sealbridge: the API server's service proxy cannot reach this sandbox controller/);
    // Without root it says why the namespace could not be made; as root, that nothing listens on the veth.
    assert.match(line, new RegExp(`\\(.+\\); use kubeseal --cert http://127\\.0\\.0\\.1:${api}/v1/cert\\.pem$`));
    assert.ok(!proc.lines.some((l) => /"msg":"service proxy endpoint registered"/.test(l)));
    const created = [...spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout.matchAll(/^\d+: (sbh[0-9a-f]+)/gm)].map((m) => m[1] ?? "");
    const ours = created.filter((name) => !before.includes(name));
    assert.deepEqual(ours, [], "the veth made for the probe is removed at once");
    await proc.stop();
    assert.equal(await proc.exited, 0);
  } finally {
    await proc.kill();
  }
});

test("without root: the namespace is refused with a reason that says so, and nothing is left", async (t) => {
  if (process.getuid?.() !== 0) return t.skip("needs root to run a child as another user");
  const module = new URL("../../src/sandbox/veth-namespace.ts", import.meta.url).pathname;
  const script = `
    const { createVethNamespace } = await import(${JSON.stringify(module)});
    try { await createVethNamespace(); console.log("created"); } catch (e) { console.log(JSON.stringify({ name: e.name, reason: e.reason, message: e.message })); }
  `;
  const before = spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout;
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", process.execPath, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout.trim()) as { name: string; reason: string; message: string };
  assert.equal(result.name, "NetworkNamespaceUnavailable");
  assert.equal(result.reason, "NotPermitted");
  assert.match(result.message, /Operation not permitted \(needs root\)/);
  assert.equal(spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout.match(/sbh[0-9a-f]+/g)?.length ?? 0, before.match(/sbh[0-9a-f]+/g)?.length ?? 0);
});

test("a SIGKILLed sandbox leaves no veth or namespace behind either", { timeout: 300_000 }, async (t) => {
  const proc = startSandbox(":0");
  try {
    const kubeconfigPath = (await proc.waitFor(/^KUBECONFIG=/, 120_000)).slice("KUBECONFIG=".length);
    // A killed sandbox cannot remove its temp folder (etcd data, kubeconfig): the test does.
    t.after(() => rm(dirname(kubeconfigPath), { recursive: true, force: true }));
    const registered = await registeredOrSkip(t, proc);
    if (!registered) return;
    assert.ok(linkExists(registered.interface));
    await proc.kill();
    // No cleanup code runs: the holder dies with its parent and the kernel frees the namespace.
    await eventually("the veth pair and the holder gone", () => (linkExists(registered.interface) || alive(registered.namespaceHolderPid) ? undefined : true), 10_000);
  } finally {
    await proc.kill();
  }
});
