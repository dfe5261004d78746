// Composition root: the only place that wires concrete adapters together.
// `npm start` runs the controller against the configured cluster, or against a local sandbox
// control plane when none is configured, and prints `KUBECONFIG=<path>` once it is ready.
import { KubeConfig } from "@kubernetes/client-node";
import { CONTROLLER_USAGE, ConfigError, parseControllerArgs, type ControllerConfig } from "./config.ts";
import { LeaderElector } from "./controller/leader-election.ts";
import { ExternalSecretsControllers } from "./controller/external-secret/controllers.ts";
import { ClientNodeKube } from "./kube/client-node-adapter.ts";
import { findClusterConfig } from "./kube/cluster-config.ts";
import { installCrds } from "./kube/install-crds.ts";
import type { KubePort } from "./kube/port.ts";
import { WriteGate } from "./kube/write-gate.ts";
import { createLogger, type Logger } from "./log.ts";
import { startControlPlane, type ControlPlane } from "./sandbox/control-plane.ts";
import { startSealedSecrets, type SealedSecretsRuntime } from "./sealed-secrets.ts";
import { startAgeSecrets, type AgeSecretsRuntime } from "./age-secrets.ts";

interface Running {
  stop(): Promise<void>;
}

async function connect(config: ControllerConfig, log: Logger): Promise<{ kc: KubeConfig; kubeconfigPath?: string; sandbox?: ControlPlane }> {
  const source = config.sandbox ? { kind: "none" as const } : findClusterConfig(config.kubeconfig);
  const kc = new KubeConfig();
  switch (source.kind) {
    case "kubeconfig":
      if (!config.kubeconfig && process.env["KUBECONFIG"]) kc.loadFromDefault();
      else kc.loadFromFile(source.path);
      if (config.context) kc.setCurrentContext(config.context);
      log.info({ kubeconfig: source.path, context: kc.getCurrentContext() }, "using configured cluster");
      return { kc, kubeconfigPath: source.path };
    case "in-cluster":
      kc.loadFromCluster();
      log.info("using in-cluster configuration");
      return { kc };
    case "none": {
      log.info("no cluster configured: starting the local sandbox control plane");
      const sandbox = await startControlPlane({ onProgress: (line) => log.info(line) });
      kc.loadFromFile(sandbox.kubeconfigPath);
      return { kc, kubeconfigPath: sandbox.kubeconfigPath, sandbox };
    }
  }
}

async function start(config: ControllerConfig, log: Logger): Promise<Running> {
  const { kc, kubeconfigPath, sandbox } = await connect(config, log);
  let sealed: SealedSecretsRuntime | undefined;
  let age: AgeSecretsRuntime | undefined;
  let externalSecrets: ExternalSecretsControllers | undefined;
  let elector: LeaderElector | undefined;
  let campaign: Promise<void> | undefined;
  const stop = async () => {
    // A leader releases the Lease first so a follower takes over at once.
    await elector?.stop();
    await campaign;
    await externalSecrets?.stop();
    await sealed?.stop();
    await age?.stop();
    await sandbox?.stop();
  };
  try {
    const rawKube = new ClientNodeKube(kc);
    if (sandbox) await installCrds(rawKube);
    // With --leader-elect everything but the elector writes through a gate that is open only while
    // this replica holds the Lease within its renew deadline; the elector keeps the raw port.
    if (config.leaderElection.enabled) {
      const { namespace, name, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs } = config.leaderElection;
      elector = new LeaderElector(rawKube, { namespace, name, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs }, log);
    }
    const le = elector;
    const kube: KubePort = le ? new WriteGate(rawKube, () => le.mayWrite(), log) : rawKube;
    // Every replica loads the sealing keys and serves the HTTP API and metrics (so kubeseal and
    // probes reach any of them); with --leader-elect only the Lease holder reconciles and mints keys.
    const awaitLeadership = config.leaderElection.enabled;
    // AgeSecrets and SopsSecrets: age keys (same lifecycle as the RSA keys), both reconcilers;
    // their /v1/age-recipients is served by the SealedSecret API server.
    if (config.enable.ageSecrets || config.enable.sopsSecrets) {
      age = await startAgeSecrets(kube, log, {
        keyNamespace: config.keyNamespace,
        workers: config.workers,
        keyRenewPeriodMs: config.keyRenewPeriodMs,
        ageKeyType: config.ageKeyType,
        ageSecrets: config.enable.ageSecrets,
        sopsSecrets: config.enable.sopsSecrets,
        awaitLeadership,
      });
    }
    const ageRuntime = age;
    // SealedSecrets: keys, RSA pool, reconciler, HTTP API, metrics.
    if (config.enable.sealedSecrets) {
      sealed = await startSealedSecrets(kube, log, {
        ...config,
        awaitLeadership,
        ...(ageRuntime ? { ageRecipients: (q: URLSearchParams) => ageRuntime.ageRecipients(q) } : {}),
      });
    }
    const reconcile = async () => {
      await age?.lead();
      await sealed?.lead();
      if (config.enable.externalSecrets) {
        externalSecrets = new ExternalSecretsControllers({
          kube,
          log,
          controllerClass: config.esoControllerClass,
          workers: config.workers,
          factories: {
            // Endpoint overrides use ESO's environment variable names.
            aws: (input) =>
              // Provider SDKs load on first use: a controller with no AWS (or no Vault) store never
              // pays their memory (AWS SDK ≈ 28 MiB, node-vault ≈ 31 MiB resident).
              import("./providers/aws/secrets-manager.ts").then(({ createAwsClient }) => createAwsClient({
                ...input,
                options: {
                  ...(process.env["AWS_SECRETSMANAGER_ENDPOINT"] ? { secretsManagerEndpoint: process.env["AWS_SECRETSMANAGER_ENDPOINT"] } : {}),
                  ...(process.env["AWS_STS_ENDPOINT"] ? { stsEndpoint: process.env["AWS_STS_ENDPOINT"] } : {}),
                },
              })),
            vault: (input) => import("./providers/vault/kv.ts").then(({ createVaultClient }) => createVaultClient({ ...input, options: {} })),
          },
        });
        await externalSecrets.start();
      }
      log.info("reconcilers running");
    };
    if (elector) {
      // Losing the lease ends the process (as controller-runtime does) so a restart begins from a
      // clean state; a follower has already been serving the API and takes over the writing. The
      // elector runs reconcile() beside its renew loop; if it fails, the elector gives the lease up
      // and calls onStoppedLeading.
      campaign = elector.run({
        onStartedLeading: reconcile,
        onStoppedLeading: () => {
          log.error("leadership lost; exiting");
          process.exitCode = 1;
          process.kill(process.pid, "SIGTERM");
        },
      });
    } else {
      await reconcile();
    }
    if (kubeconfigPath) process.stdout.write(`KUBECONFIG=${kubeconfigPath}\n`);
    log.info({ leaderElection: config.leaderElection.enabled }, "sealbridge ready");
    return { stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let config;
  try {
    config = parseControllerArgs(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n${CONTROLLER_USAGE}`);
      return 2;
    }
    throw err;
  }
  if (config === "help") {
    process.stdout.write(CONTROLLER_USAGE);
    return 0;
  }
  const log = createLogger({ level: config.logLevel });
  let running: Running | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    if (stopping) return;
    log.info({ signal }, "shutting down");
    stopping = (running?.stop() ?? Promise.resolve()).catch((err: unknown) => {
      log.error({ error: err instanceof Error ? err.message : String(err) }, "error while stopping");
    });
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  try {
    running = await start(config, log);
  } catch (err) {
    log.error({ error: err instanceof Error ? err.message : String(err) }, "start failed");
    return 1;
  }
  const exitCode = () => (typeof process.exitCode === "number" ? process.exitCode : 0);
  if (stopping) await running.stop();
  // Stay up until a signal arrives, then wait for a clean stop.
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (stopping) {
        clearInterval(check);
        void stopping.then(resolve);
      }
    }, 100);
  });
  log.info("stopped");
  return exitCode();
}

process.exitCode = await main(process.argv.slice(2));
