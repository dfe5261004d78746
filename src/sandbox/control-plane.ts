// A real local control plane: etcd and kube-apiserver as child processes on loopback, with an
// admin kubeconfig in a temp folder. Used by `npm start` when no cluster is configured, and by tests.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { locateControlPlaneBinaries, type ControlPlaneBinaries } from "./binaries.ts";
import { freePort } from "./ports.ts";
import { LogTail } from "./log-tail.ts";
import { numberToIpv4, SUBNET_RANGE } from "./veth-namespace.ts";

export interface ControlPlane {
  /** Path of the admin kubeconfig (token auth, loopback server). */
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly dir: string;
  /** A kubeconfig per extra user of StartOptions.users (its own token, so the audit log tells them apart). */
  readonly userKubeconfigPaths: Readonly<Record<string, string>>;
  /** Process ids, e.g. for a test that pauses the API server (SIGSTOP); undefined once exited. */
  pids(): { etcd: number | undefined; kubeApiserver: number | undefined };
  /** Stops both processes and removes the temp folder. Safe to call more than once. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Progress lines (building binaries, starting, ready). */
  onProgress?: (line: string) => void;
  /** How long to wait for /readyz once started. */
  readyTimeoutMs?: number;
  binaries?: ControlPlaneBinaries;
  /** Extra kube-apiserver flags (e.g. --audit-log-path and --audit-policy-file). */
  apiServerArgs?: readonly string[];
  /** Extra admin users (system:masters), each with its own token and kubeconfig. */
  users?: readonly string[];
}

export class ControlPlaneError extends Error {
  override readonly name = "ControlPlaneError";
}

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));

const ADDRESS_IN_USE = /address already in use|bind: address/i;

export async function startControlPlane(options: StartOptions = {}): Promise<ControlPlane> {
  const progress = options.onProgress ?? (() => {});
  const binaries = options.binaries ?? (await locateControlPlaneBinaries(progress));
  // A port can be taken between picking and binding: retry with fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binaries, options, progress);
    } catch (err) {
      if (attempt < 4 && err instanceof PortTakenError) {
        progress(`port taken (${err.message}); retrying with other ports`);
        continue;
      }
      throw err;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(
  binaries: ControlPlaneBinaries,
  options: StartOptions,
  progress: (line: string) => void,
): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), "sealbridge-cp-"));
  const children: Child[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // apiserver first, so it does not log a storm of etcd errors.
    for (const child of [...children].reverse()) await child.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    progress(`starting etcd on ${etcdUrl}`);
    const etcd = new Child("etcd", binaries.etcd, [
      "--name=sandbox",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=sandbox=${peerUrl}`,
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ]);
    children.push(etcd);
    await waitFor(etcd, async () => (await httpStatus(`${etcdUrl}/health`)) === 200, 30_000);

    const token = randomBytes(24).toString("hex");
    const userTokens = (options.users ?? []).map((user) => ({ user, token: randomBytes(24).toString("hex") }));
    const tokenLines = [{ user: "admin", token }, ...userTokens].map(({ user, token: t }) => `${t},${user},${user}-uid,"system:masters"\n`);
    await writeFile(join(dir, "tokens.csv"), tokenLines.join(""), { mode: 0o600 });
    const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await writeFile(join(dir, "sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    await writeFile(join(dir, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
    const server = `https://127.0.0.1:${apiPort}`;
    progress(`starting kube-apiserver on ${server}`);
    const apiserver = new Child("kube-apiserver", binaries.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${join(dir, "pki")}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      "--service-cluster-ip-range=10.0.0.0/24",
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      "--disable-admission-plugins=ServiceAccount",
      "--allow-privileged=true",
      "--enable-priority-and-fairness=false",
      "--v=0",
      ...(options.apiServerArgs ?? []),
    ], serviceProxyEnv());
    children.push(apiserver);
    await waitFor(
      apiserver,
      async () => (await httpStatus(`${server}/readyz`, token)) === 200,
      options.readyTimeoutMs ?? 90_000,
    );
    const ca = await readFile(join(dir, "pki", "apiserver.crt"));
    const kubeconfigPath = join(dir, "kubeconfig");
    await writeFile(kubeconfigPath, kubeconfigYaml(server, ca, token), { mode: 0o600 });
    const userKubeconfigPaths: Record<string, string> = {};
    for (const { user, token: t } of userTokens) {
      userKubeconfigPaths[user] = join(dir, `kubeconfig-${user}`);
      await writeFile(userKubeconfigPaths[user], kubeconfigYaml(server, ca, t, user), { mode: 0o600 });
    }
    progress(`kube-apiserver ready at ${server}`);
    const pids = () => ({ etcd: etcd.exited ? undefined : etcd.process.pid, kubeApiserver: apiserver.exited ? undefined : apiserver.process.pid });
    return { kubeconfigPath, server, dir, userKubeconfigPaths, pids, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The service proxy dials Endpoints through http.ProxyFromEnvironment: a configured HTTP(S)_PROXY
 * must not get the sandbox's own veth addresses (src/sandbox/veth-namespace.ts), which only this
 * machine can reach.
 */
function serviceProxyEnv(): NodeJS.ProcessEnv {
  const noProxy = [process.env["NO_PROXY"] || process.env["no_proxy"], `${numberToIpv4(SUBNET_RANGE.base)}/${SUBNET_RANGE.prefix}`].filter(Boolean).join(",");
  return { ...process.env, NO_PROXY: noProxy, no_proxy: noProxy };
}

function kubeconfigYaml(server: string, ca: Buffer, token: string, user = "admin"): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: sealbridge-sandbox",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${ca.toString("base64")}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: sealbridge-sandbox",
    "  context:",
    "    cluster: sealbridge-sandbox",
    `    user: ${user}`,
    "    namespace: default",
    "current-context: sealbridge-sandbox",
    "",
  ].join("\n");
}

/** One child process with the tail of its output kept for error messages. */
class Child {
  readonly name: string;
  readonly tail = new LogTail(40);
  readonly process: ChildProcess;
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exitPromise: Promise<void>;

  constructor(name: string, file: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.name = name;
    // With setpriv (util-linux) the kernel kills the child if we die without cleaning up (SIGKILL,
    // crash), so even then no etcd or kube-apiserver is left behind.
    const [command, argv] = SETPRIV ? [SETPRIV, ["--pdeathsig", "SIGKILL", "--", file, ...args]] : [file, args];
    this.process = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"], env });
    this.process.stdout?.on("data", (chunk: Buffer) => this.tail.push(chunk));
    this.process.stderr?.on("data", (chunk: Buffer) => this.tail.push(chunk));
    this.exitPromise = new Promise((resolve) => {
      this.process.once("exit", (code, signal) => {
        this.exited = { code, signal };
        resolve();
      });
      this.process.once("error", (err) => {
        this.tail.push(Buffer.from(`spawn failed: ${err.message}\n`));
        this.exited = { code: null, signal: null };
        resolve();
      });
    });
    untrackedChildren.add(this);
  }

  failure(): Error {
    const lines = this.tail.lines().join("\n");
    const how = this.exited ? `exited (code ${this.exited.code}, signal ${this.exited.signal})` : "did not become ready";
    const message = `${this.name} ${how}; last log lines:\n${lines}`;
    return ADDRESS_IN_USE.test(lines) ? new PortTakenError(message) : new ControlPlaneError(message);
  }

  async stop(): Promise<void> {
    untrackedChildren.delete(this);
    if (this.exited) return;
    this.process.kill("SIGTERM");
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 10_000);
    await this.exitPromise;
    clearTimeout(timer);
  }
}

// Last resort if the parent exits without stop(): never leave a child process behind.
const untrackedChildren = new Set<Child>();
process.once("exit", () => {
  for (const child of untrackedChildren) if (!child.exited) child.process.kill("SIGKILL");
});

async function waitFor(child: Child, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited) throw child.failure();
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw child.failure();
}

async function httpStatus(url: string, token?: string): Promise<number | undefined> {
  try {
    // The apiserver's serving certificate is generated at start; this probe only checks readiness
    // on loopback, the kubeconfig written afterwards pins that certificate for real clients.
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    return await new Promise((resolve) => {
      const req = request(
        url,
        { rejectUnauthorized: false, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 2000 },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on("error", () => resolve(undefined));
      req.on("timeout", () => req.destroy());
      req.end();
    });
  } catch {
    return undefined;
  }
}
