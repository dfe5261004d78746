// The real External Secrets Operator controller (Go, built from its module by
// `scripts/build-tools.sh eso-controller`) as its own process on a sandbox: the root command
// `external-secrets` with no subcommand (the webhook and cert-controller are separate subcommands,
// not started). controller-runtime reads the kubeconfig from $KUBECONFIG; the metrics server binds
// a loopback port and stands in for a health probe (ESO sets no probe address by default).
import { spawn } from "node:child_process";
import { freePort } from "../src/sandbox/ports.ts";
import { deathSig, execdInto, wrap, type ControllerUnderTest, type SandboxTarget } from "./sealed-controllers.ts";

export interface EsoControllerOptions {
  binary: string;
  /** Extra flags, e.g. --concurrent=4. */
  flags: readonly string[];
  /** Extra environment, e.g. AWS_SECRETSMANAGER_ENDPOINT. */
  env?: Readonly<Record<string, string>>;
}

export async function startEsoController(target: SandboxTarget, opts: EsoControllerOptions): Promise<ControllerUnderTest> {
  const metrics = await freePort();
  const [command, ...argv] = deathSig([opts.binary, `--metrics-addr=127.0.0.1:${metrics}`, ...opts.flags]);
  const child = spawn(command ?? opts.binary, argv, {
    env: { ...process.env, ...opts.env, KUBECONFIG: target.kubeconfigPath },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const c = wrap(child, { port: metrics, paths: ["/metrics"] }, [metrics]);
  await execdInto(c.pid, opts.binary, c.tail);
  return c;
}
