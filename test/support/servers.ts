// Real provider servers for tests and the benchmark: moto (AWS API emulator, from PyPI into a cached
// virtualenv by scripts/setup-moto.sh) and a Vault dev server (built from Go modules by
// scripts/build-tools.sh). Each runs on a free loopback port and is stopped by stop(); a test file
// registers stop() in after(), which runs whether its tests pass or fail.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../src/sandbox/ports.ts";
import { ensureTool } from "./tools.ts";

const setupMoto = fileURLToPath(new URL("../../scripts/setup-moto.sh", import.meta.url));

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function motoServerPath(): Promise<string> {
  return new Promise((resolvePath, reject) => {
    const child = execFile("bash", [setupMoto], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/setup-moto.sh failed: ${stderr.trim().split("\n").slice(-5).join(" | ")}`));
      else resolvePath(stdout.trim().split("\n").at(-1) ?? "");
    });
    child.stderr?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  });
}

async function waitFor(url: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once("exit", () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited before it was ready`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`${what} did not answer at ${url} within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
}

/** Starts moto_server; AWS clients reach it at `url` with any region and keys. */
export async function startMoto(): Promise<RunningServer> {
  const bin = await motoServerPath();
  const port = await freePort();
  const child = spawn(bin, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/moto-api/`, child, "moto_server");
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${stderr}`);
  }
  return { url, port, stop: stopper(child) };
}

export interface VaultServer extends RunningServer {
  rootToken: string;
  /** PEM of the CA that signed the server's certificate (tls: true only). */
  caPem?: string;
  /** Runs `vault <args>` against the server with the root token. */
  cli(args: readonly string[], input?: string): Promise<string>;
}

export interface VaultServerOptions {
  /** Serve HTTPS with a certificate from a CA the dev server makes (`-dev-tls`). */
  tls?: boolean;
}

/** Starts `vault server -dev` (in-memory, unsealed, KV v2 at secret/). */
export async function startVault(options: VaultServerOptions = {}): Promise<VaultServer> {
  const bin = await ensureTool("vault");
  const port = await freePort();
  const rootToken = `root-${randomBytes(12).toString("hex")}`;
  const certDir = options.tls ? await mkdtemp(join(tmpdir(), "sealbridge-vault-tls-")) : undefined;
  const url = `${certDir ? "https" : "http"}://127.0.0.1:${port}`;
  const args = ["server", "-dev", `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`, "-dev-no-store-token"];
  if (certDir) args.push("-dev-tls", `-dev-tls-cert-dir=${certDir}`);
  const child = spawn(bin, args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, VAULT_DISABLE_MLOCK: "true", HOME: process.env["HOME"] ?? "/tmp" },
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const stop = stopper(child);
  let caPem: string | undefined;
  try {
    if (certDir) {
      // The CA file appears once the dev server has made its certificates.
      caPem = await pollFile(join(certDir, "vault-ca.pem"), child, "vault server -dev -dev-tls");
      await waitForTls(`${url}/v1/sys/health`, caPem, child);
    } else {
      await waitFor(`${url}/v1/sys/health`, child, "vault server -dev");
    }
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${stderr}`);
  }
  const env = { ...process.env, VAULT_ADDR: url, VAULT_TOKEN: rootToken, ...(certDir ? { VAULT_CACERT: join(certDir, "vault-ca.pem") } : {}) };
  const cli = (cliArgs: readonly string[], input?: string) =>
    new Promise<string>((resolveOut, reject) => {
      const c = execFile(bin, [...cliArgs], { env }, (err, stdout, errOut) => {
        if (err) reject(new Error(`vault ${cliArgs.join(" ")}: ${errOut || err.message}`));
        else resolveOut(stdout);
      });
      c.stdin?.on("error", () => undefined); // if vault dies early, its own error is what counts
      if (input !== undefined) c.stdin?.end(input);
    });
  return {
    url,
    port,
    rootToken,
    ...(caPem ? { caPem } : {}),
    cli,
    stop: async () => {
      await stop();
      if (certDir) await rm(certDir, { recursive: true, force: true });
    },
  };
}

async function pollFile(path: string, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited before it was ready`);
    try {
      const text = await readFile(path, "utf8");
      if (text.includes("END CERTIFICATE")) return text;
    } catch {
      // not written yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} wrote no ${path} within ${timeoutMs} ms`);
}

async function waitForTls(url: string, ca: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error("vault server -dev -dev-tls exited before it was ready");
    const ok = await new Promise<boolean>((resolveOk) => {
      const req = httpsGet(url, { ca, timeout: 2000 }, (res) => {
        res.resume();
        res.on("end", () => resolveOk(true));
      });
      req.on("error", () => resolveOk(false));
      req.on("timeout", () => req.destroy());
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`vault server -dev -dev-tls did not answer at ${url} within ${timeoutMs} ms`);
}
