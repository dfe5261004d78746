// Where kube-apiserver and etcd come from: KUBEBUILDER_ASSETS (the envtest convention), or the
// project's build script, which compiles them from Go modules once per machine into a cache.
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ControlPlaneBinaries {
  kubeApiserver: string;
  etcd: string;
}

const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build-control-plane.sh", import.meta.url));

export class MissingBinariesError extends Error {
  override readonly name = "MissingBinariesError";
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function locateControlPlaneBinaries(
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ControlPlaneBinaries> {
  const assets = env["KUBEBUILDER_ASSETS"];
  if (assets) {
    const found = { kubeApiserver: join(assets, "kube-apiserver"), etcd: join(assets, "etcd") };
    for (const path of Object.values(found)) {
      if (!(await executable(path))) {
        throw new MissingBinariesError(`KUBEBUILDER_ASSETS=${assets} has no executable ${path}`);
      }
    }
    return found;
  }
  const dir = await runBuildScript(progress);
  return { kubeApiserver: join(dir, "kube-apiserver"), etcd: join(dir, "etcd") };
}

/** Runs the build script (a no-op once cached), passing its progress lines through. */
function runBuildScript(progress: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [BUILD_SCRIPT], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const messages: string[] = [];
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        messages.push(line);
        if (messages.length > 30) messages.shift();
        progress(line);
      }
    });
    child.on("error", (err) => reject(new MissingBinariesError(`cannot run ${BUILD_SCRIPT}: ${err.message}`)));
    // "close", not "exit": exit can come before stdout is drained, leaving the path unread.
    child.on("close", (code) => {
      const dir = stdout.trim().split("\n").pop();
      if (code === 0 && dir) resolve(dir);
      else reject(new MissingBinariesError(`building kube-apiserver and etcd failed (exit ${code}):\n${messages.join("\n")}`));
    });
  });
}
