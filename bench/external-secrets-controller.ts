// The ExternalSecret controller alone, as a child process of bench/external-secrets.bench.ts, so its
// RSS is not inflated by the driver. Configured by environment (BENCH_KUBECONFIG, BENCH_MOTO_URL,
// BENCH_WORKERS); answers {type: "stats", reset} messages on the IPC channel with what it counted:
// Secrets Manager API calls (at the SDK middleware), credential fetches (STS), refresh waves,
// ExternalSecret status writes (one per refresh: refreshTime changes), Kubernetes calls, memory.
import { KubeConfig } from "@kubernetes/client-node";
import { ExternalSecretsControllers } from "../src/controller/external-secret/controllers.ts";
import { ClientNodeKube } from "../src/kube/client-node-adapter.ts";
import type { KubePort } from "../src/kube/port.ts";
import { createAwsClient } from "../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../src/providers/vault/kv.ts";
import { quietLogger } from "../test/support/eso.ts";

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const kc = new KubeConfig();
kc.loadFromFile(env("BENCH_KUBECONFIG"));
const motoUrl = env("BENCH_MOTO_URL");
const workers = Number(process.env["BENCH_WORKERS"] ?? "40");

const stats = { calls: {} as Record<string, number>, credentialFetches: 0, waves: 0, waveIds: 0, statusWrites: 0, kubeCalls: 0 };
const fresh = () => ({ calls: {}, credentialFetches: 0, waves: 0, waveIds: 0, statusWrites: 0, kubeCalls: 0 });

/** Counts the controller's Kubernetes calls (informer watches are not calls of this port). */
function counting(kube: KubePort): KubePort {
  return new Proxy(kube, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || prop === "informer") return value;
      return (...args: unknown[]) => {
        stats.kubeCalls++;
        const [resource] = args as [{ plural?: string } | undefined];
        if (prop === "replaceStatus" && resource?.plural === "externalsecrets") stats.statusWrites++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const controllers = new ExternalSecretsControllers({
  kube: counting(new ClientNodeKube(kc)),
  log: quietLogger(),
  controllerClass: "default",
  workers,
  factories: {
    aws: (input) =>
      createAwsClient({
        ...input,
        options: {
          secretsManagerEndpoint: motoUrl,
          stsEndpoint: motoUrl,
          onApiCall: (op) => (stats.calls[op] = (stats.calls[op] ?? 0) + 1),
          onCredentialFetch: () => stats.credentialFetches++,
        },
      }),
    vault: (input) => createVaultClient({ ...input, options: {} }),
  },
  onWave: (w) => {
    stats.waves++;
    stats.waveIds += w.ids;
  },
});
await controllers.start();

process.on("message", (msg: { type?: string; reset?: boolean }) => {
  if (msg.type === "stats") {
    const mem = process.memoryUsage();
    process.send?.({ type: "stats", ...structuredClone(stats), rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers, maxRssKiB: process.resourceUsage().maxRSS });
    if (msg.reset) Object.assign(stats, fresh());
  } else if (msg.type === "stop") {
    void controllers.stop().then(() => process.exit(0));
  }
});
process.send?.({ type: "ready" });
