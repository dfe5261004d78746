// Composition root: the only place that wires concrete adapters together.
// `npm start` runs the controller against the configured cluster, or against a local sandbox
// control plane when none is configured, and prints `KUBECONFIG=<path>` once it is ready.
// One shared cache (the manager) feeds every reconciler; one process-level HTTP server answers the
// API, probes and metrics whichever reconcilers are enabled.
import { delimiter } from "node:path";
import { Registry } from "prom-client";
import { CONTROLLER_USAGE, ConfigError, parseControllerArgs, type ControllerConfig } from "./config.ts";
import { LeaderElector } from "./controller/leader-election.ts";
import type { ExternalSecretsControllers } from "./controller/external-secret/controllers.ts";
import { findClusterConfig, type ClusterSource } from "./kube/cluster-config.ts";
import { KubeConfigError, loadConnection, type KubeConnection } from "./kube/connection.ts";
import { HttpKube } from "./kube/http-kube.ts";
import { installCrds } from "./kube/install-crds.ts";
import { Manager } from "./kube/manager.ts";
import type { KubePort } from "./kube/port.ts";
import { createLogger, type Logger } from "./log.ts";
import type { ControlPlane } from "./sandbox/control-plane.ts";
import { startProcessServer, type ApiHandlers, type ProcessServer } from "./server/http.ts";
import { processMetrics, type KindSource } from "./server/metrics.ts";
import type { SealedSecretsRuntime } from "./sealed-secrets.ts";
import type { AgeSecretsRuntime } from "./age-secrets.ts";
import { controllerVersionLine } from "./version.ts";
import { cpusAvailable } from "./runtime/cpus.ts";
import type { TemplatePool } from "./controller/templates/pool.ts";
import type { PublicKeysPublisher } from "./controller/keys/public-keys-publisher.ts";

interface Running {
  stop(): Promise<void>;
}

async function connect(config: ControllerConfig, log: Logger): Promise<{ connection: KubeConnection; kubeconfigPath?: string; sandbox?: ControlPlane }> {
  const source = config.sandbox ? { kind: "none" as const } : findClusterConfig({ explicitPath: config.kubeconfig });
  const overrides = config.context ? { context: config.context } : {};
  const open = async (from: ClusterSource): Promise<KubeConnection> => {
    const connection = await loadConnection({ source: from, overrides });
    if (connection === undefined) throw new KubeConfigError("no cluster configuration");
    return connection;
  };
  switch (source.kind) {
    case "kubeconfig": {
      const connection = await open(source);
      // A KUBECONFIG value: the merged files in precedence order.
      const kubeconfigPath = source.paths.join(delimiter);
      log.info({ kubeconfig: kubeconfigPath, server: connection.server }, "using configured cluster");
      return { connection, kubeconfigPath };
    }
    case "in-cluster":
      log.info("using in-cluster configuration");
      return { connection: await open(source) };
    case "none": {
      log.info("no cluster configured: starting the local sandbox control plane");
      const { startControlPlane } = await import("./sandbox/control-plane.ts");
      const sandbox = await startControlPlane({ onProgress: (line) => log.info(line) });
      const connection = await open({ kind: "kubeconfig", paths: [sandbox.kubeconfigPath] });
      return { connection, kubeconfigPath: sandbox.kubeconfigPath, sandbox };
    }
  }
}

async function start(config: ControllerConfig, log: Logger): Promise<Running> {
  const { connection, kubeconfigPath, sandbox } = await connect(config, log);
  const userAgent = `sealbridge/${config.leaderElection.identity}`;
  // With --leader-elect everything but the elector writes through the HTTP adapter's gate, open only
  // while this replica holds the Lease within its renew deadline and asked at the moment each write
  // leaves (after the rate limit). The elector has a port of its own: Lease renewals never wait
  // behind reconcile writes.
  let elector: LeaderElector | undefined;
  if (config.leaderElection.enabled) {
    const { namespace, name, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs } = config.leaderElection;
    const leaseKube = new HttpKube(connection, { requestTimeoutMs: config.kubeApi.timeoutMs, userAgent, http2: config.kubeApi.http2 });
    elector = new LeaderElector(leaseKube, { namespace, name, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs }, log);
  }
  const le = elector;
  const httpKube = new HttpKube(connection, {
    requestTimeoutMs: config.kubeApi.timeoutMs,
    writeQps: config.kubeApi.qps,
    writeBurst: config.kubeApi.burst,
    userAgent,
    http2: config.kubeApi.http2,
    ...(le ? { mayWrite: () => le.mayWrite(), log } : {}),
  });
  const kube: KubePort = httpKube;
  const cache = new Manager(kube);
  let sealed: SealedSecretsRuntime | undefined;
  let age: AgeSecretsRuntime | undefined;
  let externalSecrets: ExternalSecretsControllers | undefined;
  // One template thread for every feature (SealedSecret, AgeSecret and SopsSecret templates,
  // ExternalSecret target templates): loaded and made on first need, its thread started on first
  // render and stopped when idle; closed once every feature has stopped.
  let templates: TemplatePool | undefined;
  const templatePool = async (): Promise<TemplatePool> => {
    if (templates === undefined) {
      const { TemplatePool } = await import("./controller/templates/pool.ts");
      templates ??= new TemplatePool({ log });
    }
    return templates;
  };
  let publicKeys: PublicKeysPublisher | undefined;
  let server: ProcessServer | undefined;
  let campaign: Promise<void> | undefined;
  let sandboxEndpoint: { proxied: boolean; remove(): Promise<void> } | undefined;
  let reconciling = false;
  const kinds: KindSource[] = [];
  const stop = async () => {
    // A leader releases the Lease first so a follower takes over at once.
    await elector?.stop();
    await campaign;
    await publicKeys?.stop();
    await externalSecrets?.stop();
    await sealed?.stop();
    await age?.stop();
    await templates?.close();
    await sandboxEndpoint?.remove();
    await server?.close();
    await cache.stop();
    await httpKube.close().catch(() => undefined);
    await sandbox?.stop();
  };
  try {
    if (sandbox) await installCrds(kube);
    // Every replica loads the sealing keys and serves the HTTP API and metrics (so kubeseal and
    // probes reach any of them); with --leader-elect only the Lease holder reconciles and mints keys.
    const awaitLeadership = config.leaderElection.enabled;
    const registry = new Registry();
    const handlers: ApiHandlers = {};
    if (config.enable.ageSecrets || config.enable.sopsSecrets) {
      const { startAgeSecrets } = await import("./age-secrets.ts");
      age = await startAgeSecrets(kube, log, {
        cache,
        keyNamespace: config.keyNamespace,
        workers: config.workers,
        keyRenewPeriodMs: config.keyRenewPeriodMs,
        ageKeyType: config.ageKeyType,
        ageSecrets: config.enable.ageSecrets,
        sopsSecrets: config.enable.sopsSecrets,
        awaitLeadership,
        templates: await templatePool(),
      });
      const runtime = age;
      handlers.ageRecipients = (q) => runtime.ageRecipients(q);
      handlers.ageVerify = (body) => runtime.ageVerify(body);
      handlers.ageRotate = (body, q) => runtime.ageRotate(body, q);
      kinds.push(...age.kinds);
    }
    if (config.enable.sealedSecrets) {
      const { startSealedSecrets } = await import("./sealed-secrets.ts");
      sealed = await startSealedSecrets(kube, log, {
        cache,
        keyNamespace: config.keyNamespace,
        workers: config.workers,
        keyPrefix: config.keyPrefix,
        keyBits: config.keyBits,
        keyRenewPeriodMs: config.keyRenewPeriodMs,
        ...(config.rsaWorkers !== undefined ? { rsaWorkers: config.rsaWorkers } : {}),
        awaitLeadership,
        templates: await templatePool(),
      });
      Object.assign(handlers, sealed.handlers);
      kinds.push(sealed.kind);
      sealed.registerMetrics(registry);
    }
    processMetrics({ kinds, cache: () => cache.cacheSizes(), kube: httpKube, conditions: (kind, type) => cache.conditionCounts(kind, type) }, registry);
    // Ready: keys loaded and, once reconciling, every shared cache synced.
    const ready = () => (sealed?.ready() ?? true) && (age?.ready() ?? true) && (!reconciling || cache.synced);
    server = await startProcessServer({ handlers, log, addr: config.listenAddr, metricsAddr: config.metricsAddr, registry, ready });
    log.info({ api: server.api.port, metrics: server.metrics.port }, "HTTP API and metrics listening");
    // kubeseal's default route to the controller (kube-system/sealed-secrets-controller through the
    // service proxy), so it needs no flags against the sandbox; prints the --cert line when it cannot.
    if (sandbox && sealed) {
      const { registerSandboxController } = await import("./sandbox/service-endpoint.ts");
      sandboxEndpoint = await registerSandboxController({ kube, namespace: "kube-system", apiPort: server.api.port, log, print: (line) => process.stdout.write(`${line}\n`) });
    }
    const reconcile = async () => {
      await age?.lead();
      await sealed?.lead();
      if (config.publicKeysConfigMap && (sealed || age)) {
        // The leader keeps the certificate and cluster-wide age recipients in a ConfigMap for
        // clients whose RBAC refuses the service proxy.
        const [{ PublicKeysPublisher }, { publicMaterial }] = await Promise.all([
          import("./controller/keys/public-keys-publisher.ts"),
          import("./controller/keys/public-keys.ts"),
        ]);
        const [s, a] = [sealed, age];
        const publisher = new PublicKeysPublisher({
          kube,
          log,
          ...config.publicKeysConfigMap,
          material: () => publicMaterial({ rsa: s?.keys.keyring, age: a?.keys.keyring }),
        });
        publicKeys = publisher;
        s?.keys.onChange(() => void publisher.changed());
        a?.keys.onChange(() => void publisher.changed());
        await publisher.start();
      }
      if (config.enable.externalSecrets) {
        const { ExternalSecretsControllers } = await import("./controller/external-secret/controllers.ts");
        const { loadOrCreateHashKey } = await import("./controller/keys/hash-key.ts");
        externalSecrets = new ExternalSecretsControllers({
          kube,
          cache,
          log,
          hashKey: await loadOrCreateHashKey(cache.client, config.keyNamespace, log),
          templates: await templatePool(),
          controllerClass: config.esoControllerClass,
          allowNamespacedAmbient: config.allowNamespacedAmbientCredentials,
          workers: config.workers,
          pushSecrets: config.enable.pushSecrets,
          factories: {
            // Endpoint overrides use ESO's environment variable names.
            aws: (input) =>
              // Provider SDKs load on first use: a controller with no AWS (or no Vault) store never
              // pays their memory (AWS SDK ≈ 28 MiB, node-vault ≈ 31 MiB resident).
              import("./providers/aws/client.ts").then(({ createAwsStoreClient }) => createAwsStoreClient({
                ...input,
                options: {
                  ...(process.env["AWS_SECRETSMANAGER_ENDPOINT"] ? { secretsManagerEndpoint: process.env["AWS_SECRETSMANAGER_ENDPOINT"] } : {}),
                  ...(process.env["AWS_SSM_ENDPOINT"] ? { ssmEndpoint: process.env["AWS_SSM_ENDPOINT"] } : {}),
                  ...(process.env["AWS_STS_ENDPOINT"] ? { stsEndpoint: process.env["AWS_STS_ENDPOINT"] } : {}),
                },
              })),
            vault: (input) => import("./providers/vault/kv.ts").then(({ createVaultClient }) => createVaultClient({ ...input, options: {} })),
          },
        });
        kinds.push(...externalSecrets.kinds());
        await externalSecrets.start();
      }
      reconciling = true;
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
    if (kubeconfigPath && sandboxEndpoint && server) {
      const { nextSteps } = await import("./sandbox/next-steps.ts");
      process.stdout.write(nextSteps({ kubeconfigPath, proxied: sandboxEndpoint.proxied, apiPort: server.api.port }).map((l) => `${l}\n`).join(""));
    }
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
  if (config === "version") {
    process.stdout.write(controllerVersionLine());
    return 0;
  }
  // RSA opens run on libuv's thread pool (see rsa-pool.ts): give it room for the reconcilers' and
  // the API's opens beside fs and DNS work. libuv reads this once, at the pool's first use, which
  // is later than this line; a value set by the operator is kept.
  process.env["UV_THREADPOOL_SIZE"] ??= String(Math.max(4, (config.rsaWorkers ?? cpusAvailable()) + 2));
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
