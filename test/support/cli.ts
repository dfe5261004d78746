// Runs the sealbridge CLI in-process (run(argv, io)) with its own stdin, environment and folder, and
// real binaries (kubeseal, …) as child processes, collecting what each prints.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";
import { run } from "../../src/cli/run.ts";
import type { TestCluster } from "./control-plane.ts";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: { stdin?: string; env?: Record<string, string>; cwd: string }): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    readStdin: () => Promise.resolve(Buffer.from(opts.stdin ?? "")),
    stdout: (chunk) => {
      stdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    },
    stderr: (chunk) => {
      stderr += chunk;
    },
    env: opts.env ?? {},
    cwd: opts.cwd,
  });
  return { code, stdout, stderr };
}

export function runBinary(file: string, args: string[], opts: { stdin?: string; env?: Record<string, string>; cwd: string }): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { cwd: opts.cwd, env: opts.env ?? {}, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(opts.stdin ?? "");
  });
}

/** A kubeconfig file for a bearer token against the test cluster's API server (the token is never printed). */
export async function tokenKubeconfig(cluster: TestCluster, path: string, token: string, namespace?: string): Promise<string> {
  const admin = cluster.kubeConfig.getCurrentCluster();
  if (admin === null) throw new Error("no cluster in the test kubeconfig");
  await writeFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: admin.server, ...(admin.caData ? { "certificate-authority-data": admin.caData } : {}), ...(admin.skipTLSVerify ? { "insecure-skip-tls-verify": true } : {}) } }],
      users: [{ name: "u", user: { token } }],
      contexts: [{ name: "u", context: { cluster: "c", user: "u", ...(namespace ? { namespace } : {}) } }],
      "current-context": "u",
    }),
    { mode: 0o600 },
  );
  return path;
}

