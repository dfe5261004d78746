// Controller flags. Parsed once in main.ts and passed down as a value (no package-level config).
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { DurationError, parseGoDuration } from "./api/go-duration.ts";

export interface ControllerConfig {
  kubeconfig?: string;
  context?: string;
  /** Force the local sandbox control plane even when a cluster is configured. */
  sandbox: boolean;
  /** Namespace that holds the controller's sealing keys. */
  keyNamespace: string;
  listenAddr: string;
  metricsAddr: string;
  /** Sealing key Secret name prefix (generateName). */
  keyPrefix: string;
  /** RSA modulus size of generated sealing keys. */
  keyBits: number;
  /** Kind of newly minted age sealing keys: X25519 or post-quantum ML-KEM-768+X25519. */
  ageKeyType: "x25519" | "pq";
  /** A new sealing key every this many milliseconds; 0 disables renewal. */
  keyRenewPeriodMs: number;
  logLevel: string;
  workers: number;
  /** The client side of the API: writes per second and burst (0: unlimited), request timeout. */
  kubeApi: { qps: number; burst: number; timeoutMs: number; http2: boolean };
  /** RSA decrypt worker threads; absent: the CPUs the process may use (cgroup quota included). */
  rsaWorkers?: number;
  leaderElection: {
    enabled: boolean;
    namespace: string;
    name: string;
    identity: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  enable: { sealedSecrets: boolean; ageSecrets: boolean; sopsSecrets: boolean; externalSecrets: boolean; pushSecrets: boolean };
  /** ESO controller class: SecretStores whose spec.controller names another class are left alone. */
  esoControllerClass: string;
  /** Namespaced SecretStores may use the controller's own AWS credentials / service-account token. */
  allowNamespacedAmbientCredentials: boolean;
  /** The ConfigMap the certificate and cluster-wide age recipients are published in (undefined: off). */
  publicKeysConfigMap?: { namespace: string; name: string };
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const CONTROLLER_USAGE = `Usage: npm start -- [flags]   (or: node src/main.ts [flags])

  --version                  print "controller version: v<version>" (as Sealed Secrets' controller does) and exit
  --kubeconfig PATH          kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, in-cluster,
                             else a local sandbox control plane is started)
  --context NAME             kubeconfig context
  --sandbox                  always start the local sandbox control plane
  --key-namespace NS         namespace of the sealing keys (default: $POD_NAMESPACE or kube-system)
  --listen-addr ADDR         HTTP API address (default :8080)
  --metrics-addr ADDR        metrics address (default :8081)
  --key-renew-period DUR     new sealing key this often, Go duration (default 720h; 0 disables)
  --key-prefix PREFIX        sealing key Secret name prefix (default sealed-secrets-key)
  --key-bits N               RSA size of new sealing keys: 2048, 3072 or 4096 (default 4096)
  --age-key-type TYPE        new age sealing keys: x25519 or pq (ML-KEM-768+X25519; default x25519)
  --log-level LEVEL          trace|debug|info|warn|error (default info)
  --workers N                concurrent reconciles per kind (default 4)
  --kube-api-qps N           API writes per second across the process (default 500; 0 = no limit)
  --kube-api-burst N         writes allowed above the rate in a burst (default 1000)
  --kube-api-timeout DUR     bound on every API request that is not a watch (default 30s)
  --disable-kube-api-http2   API requests over HTTP/1.1, a connection per request in flight (default:
                             HTTP/2, one connection, when the server offers it; watches always HTTP/1.1)
  --rsa-workers N            RSA decrypt threads (default: the CPUs the process may use, i.e. the
                             available cores capped by the cgroup CPU quota or limit)
  --leader-elect             HA: every replica serves the HTTP API and metrics; only the holder of a
                             coordination.k8s.io Lease reconciles and writes sealing keys
  --leader-election-namespace NS  namespace of the Lease (default: the key namespace)
  --leader-election-id NAME  name of the Lease (default sealbridge-leader)
  --leader-elect-lease-duration DUR  a follower takes over after this long without renewal (default 15s)
  --leader-elect-renew-deadline DUR  the leader gives up (and exits) after failing to renew this long (default 10s)
  --leader-elect-retry-period DUR    how often to try to acquire or renew the Lease (default 2s)
  --disable-sealed-secrets   do not reconcile bitnami.com SealedSecrets (run beside Sealed Secrets)
  --disable-age-secrets      do not reconcile AgeSecrets
  --disable-sops-secrets     do not reconcile SopsSecrets
  --disable-external-secrets do not reconcile external-secrets.io kinds (run beside ESO)
  --disable-push-secrets     do not reconcile PushSecrets (the other external-secrets.io kinds still run)
  --eso-controller-class C   serve only stores whose spec.controller is empty or C (default "default")
  --allow-namespaced-ambient-credentials
                             let namespaced SecretStores without auth use the controller's own AWS
                             credentials or service-account token (off: only ClusterSecretStores may)
  --public-keys-configmap NAME  publish the sealing certificate and cluster-wide age recipients in
                             this ConfigMap, for \`sealbridge seal\` when the service proxy is refused
                             (default sealbridge-public-keys; "" turns it off)
  --public-keys-configmap-namespace NS  its namespace (default: the key namespace)
`;

export function parseControllerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ControllerConfig | "help" | "version" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        kubeconfig: { type: "string" },
        context: { type: "string" },
        sandbox: { type: "boolean" },
        "key-namespace": { type: "string" },
        "listen-addr": { type: "string" },
        "metrics-addr": { type: "string" },
        "key-renew-period": { type: "string" },
        "key-prefix": { type: "string" },
        "key-bits": { type: "string" },
        "age-key-type": { type: "string" },
        "log-level": { type: "string" },
        workers: { type: "string" },
        "kube-api-qps": { type: "string" },
        "kube-api-burst": { type: "string" },
        "kube-api-timeout": { type: "string" },
        "disable-kube-api-http2": { type: "boolean" },
        "rsa-workers": { type: "string" },
        "leader-elect": { type: "boolean" },
        "leader-election-namespace": { type: "string" },
        "leader-election-id": { type: "string" },
        "leader-elect-lease-duration": { type: "string" },
        "leader-elect-renew-deadline": { type: "string" },
        "leader-elect-retry-period": { type: "string" },
        "disable-sealed-secrets": { type: "boolean" },
        "disable-age-secrets": { type: "boolean" },
        "disable-sops-secrets": { type: "boolean" },
        "disable-external-secrets": { type: "boolean" },
        "disable-push-secrets": { type: "boolean" },
        "eso-controller-class": { type: "string" },
        "allow-namespaced-ambient-credentials": { type: "boolean" },
        "public-keys-configmap": { type: "string" },
        "public-keys-configmap-namespace": { type: "string" },
      },
    });
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) return "help";
  if (v.version) return "version";
  const workers = Number(v.workers ?? "4");
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new ConfigError(`--workers must be an integer from 1 to 64, got "${v.workers}"`);
  }
  const rsaWorkers = v["rsa-workers"] === undefined ? undefined : Number(v["rsa-workers"]);
  if (rsaWorkers !== undefined && (!Number.isInteger(rsaWorkers) || rsaWorkers < 1 || rsaWorkers > 256)) {
    throw new ConfigError(`--rsa-workers must be an integer from 1 to 256, got "${v["rsa-workers"]}"`);
  }
  const level = v["log-level"] ?? env["LOG_LEVEL"] ?? "info";
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(level)) {
    throw new ConfigError(`--log-level must be one of trace, debug, info, warn, error; got "${level}"`);
  }
  const keyNamespace = v["key-namespace"] ?? env["POD_NAMESPACE"] ?? "kube-system";
  const keyBits = Number(v["key-bits"] ?? "4096");
  if (![2048, 3072, 4096].includes(keyBits)) throw new ConfigError(`--key-bits must be 2048, 3072 or 4096, got "${v["key-bits"]}"`);
  const keyRenewPeriodMs = parseDurationFlag("--key-renew-period", v["key-renew-period"] ?? "720h");
  const leaseDurationMs = parseDurationFlag("--leader-elect-lease-duration", v["leader-elect-lease-duration"] ?? "15s");
  const renewDeadlineMs = parseDurationFlag("--leader-elect-renew-deadline", v["leader-elect-renew-deadline"] ?? "10s");
  const retryPeriodMs = parseDurationFlag("--leader-elect-retry-period", v["leader-elect-retry-period"] ?? "2s");
  // client-go's rules: a leader must give up before a follower may take over.
  if (!(retryPeriodMs > 0 && retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs)) {
    throw new ConfigError("leader election timings must satisfy 0 < retry period < renew deadline < lease duration");
  }
  const qps = Number(v["kube-api-qps"] ?? "500");
  const burst = Number(v["kube-api-burst"] ?? "1000");
  if (!Number.isFinite(qps) || qps < 0) throw new ConfigError(`--kube-api-qps must be a number >= 0, got "${v["kube-api-qps"]}"`);
  if (!Number.isInteger(burst) || burst < 1) throw new ConfigError(`--kube-api-burst must be an integer >= 1, got "${v["kube-api-burst"]}"`);
  const timeoutMs = parseDurationFlag("--kube-api-timeout", v["kube-api-timeout"] ?? "30s");
  if (timeoutMs <= 0) throw new ConfigError("--kube-api-timeout must be positive");
  const publicKeysName = v["public-keys-configmap"] ?? "sealbridge-public-keys";
  const publicKeysNamespace = v["public-keys-configmap-namespace"] ?? keyNamespace;
  for (const [flag, value] of [["--public-keys-configmap", publicKeysName], ["--public-keys-configmap-namespace", publicKeysNamespace]] as const) {
    if (value !== "" && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(value)) throw new ConfigError(`${flag} must be a Kubernetes object name (lower-case, digits, "-" and "."), got "${value}"`);
  }
  if (publicKeysNamespace === "") throw new ConfigError("--public-keys-configmap-namespace must not be empty");
  const ageKeyType = v["age-key-type"] ?? "x25519";
  if (ageKeyType !== "x25519" && ageKeyType !== "pq") throw new ConfigError(`--age-key-type must be x25519 or pq, got "${ageKeyType}"`);
  return {
    ...(v.kubeconfig ? { kubeconfig: v.kubeconfig } : {}),
    ...(v.context ? { context: v.context } : {}),
    sandbox: v.sandbox ?? false,
    keyNamespace,
    listenAddr: v["listen-addr"] ?? ":8080",
    metricsAddr: v["metrics-addr"] ?? ":8081",
    keyPrefix: v["key-prefix"] ?? "sealed-secrets-key",
    keyBits,
    ageKeyType,
    keyRenewPeriodMs,
    logLevel: level,
    workers,
    kubeApi: { qps, burst, timeoutMs, http2: v["disable-kube-api-http2"] !== true },
    ...(rsaWorkers !== undefined ? { rsaWorkers } : {}),
    leaderElection: {
      enabled: v["leader-elect"] ?? false,
      namespace: v["leader-election-namespace"] ?? keyNamespace,
      name: v["leader-election-id"] ?? "sealbridge-leader",
      // Pod name in a cluster; host and pid elsewhere, so two local processes differ.
      identity: env["POD_NAME"] ?? `${hostname()}_${process.pid}`,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
    enable: {
      sealedSecrets: !v["disable-sealed-secrets"],
      ageSecrets: !v["disable-age-secrets"],
      sopsSecrets: !v["disable-sops-secrets"],
      externalSecrets: !v["disable-external-secrets"],
      pushSecrets: !v["disable-external-secrets"] && !v["disable-push-secrets"],
    },
    esoControllerClass: v["eso-controller-class"] ?? "default",
    allowNamespacedAmbientCredentials: v["allow-namespaced-ambient-credentials"] === true,
    ...(publicKeysName !== "" ? { publicKeysConfigMap: { namespace: publicKeysNamespace, name: publicKeysName } } : {}),
  };
}

/** A Go duration flag ("720h", "1h30m", "90s", "0") in milliseconds, by the one Go-duration parser. */
export function parseDurationFlag(flag: string, text: string): number {
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    throw new ConfigError(`${flag} must be a duration such as 720h, 30m or 0, got "${text}"`);
  }
  if (ms < 0) throw new ConfigError(`${flag} must not be negative, got "${text}"`);
  return ms;
}
