// The SealedSecret controller on the local control plane: N SealedSecrets (one RSA-4096 value each)
// applied → time until all their Secrets exist; then a restart with nothing changed → RSA decrypts and
// API writes (target 0 and 0); event-loop delay while decrypting; RSS. Prints figures, asserts nothing.
// Run: npm run bench:sealed            (N=1000)   BENCH_N=10000 npm run bench:sealed
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Writable } from "node:stream";
import { KubeConfig } from "@kubernetes/client-node";
import { resources } from "../src/api/resources.ts";
import { parseSealingCertificate } from "../src/crypto/certificate.ts";
import { scopeLabel } from "../src/crypto/scope.ts";
import { sealValue } from "../src/crypto/sealed.ts";
import { ClientNodeKube } from "../src/kube/client-node-adapter.ts";
import { installCrds } from "../src/kube/install-crds.ts";
import { createLogger } from "../src/log.ts";
import { startControlPlane, type ControlPlane } from "../src/sandbox/control-plane.ts";
import { startSealedSecrets, type SealedSecretsRuntime } from "../src/sealed-secrets.ts";

const N = Number(process.env["BENCH_N"] ?? "1000");
const WORKERS = Number(process.env["BENCH_WORKERS"] ?? "16");
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

let cp: ControlPlane | undefined;
let kubeconfigPath = process.env["SEALBRIDGE_TEST_KUBECONFIG"];
if (!kubeconfigPath) {
  cp = await startControlPlane({ onProgress: () => undefined });
  kubeconfigPath = cp.kubeconfigPath;
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const kube = new ClientNodeKube(kc);
if (cp) await installCrds(kube);

const suffix = Math.random().toString(36).slice(2, 8);
const keyNs = `bench-keys-${suffix}`;
const ns = `bench-ss-${suffix}`;
for (const name of [keyNs, ns]) await kube.create(resources.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name } });

const quiet = createLogger({ level: "warn", destination: new Writable({ write: (_c, _e, done) => done() }) });
const start = () =>
  startSealedSecrets(kube, quiet, {
    keyNamespace: keyNs,
    watchNamespace: ns,
    workers: WORKERS,
    keyPrefix: "sealed-secrets-key",
    keyBits: 4096,
    keyRenewPeriodMs: 0,
  });

async function idle(rt: SealedSecretsRuntime, atLeast: number): Promise<void> {
  let quietSince = 0;
  for (;;) {
    const isIdle = rt.stats.reconciles >= atLeast && rt.controller.queue.length === 0 && rt.controller.queue.busy === 0;
    if (!isIdle) quietSince = 0;
    else if (quietSince === 0) quietSince = Date.now();
    else if (Date.now() - quietSince > 1000) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

console.log(`SealedSecret controller benchmark: N=${N}, one RSA-4096 value each, ${WORKERS} reconcile workers, RSA pool of ${(await import("../src/runtime/cpus.ts")).cpusAvailable()} threads`);
const first = await start();
const cert = parseSealingCertificate(first.keys.sealingKey?.certificatePem ?? "", new Date());

// Seal up front so the timed part is the controller's work.
const manifests = Array.from({ length: N }, (_, i) => {
  const name = `s-${i}`;
  return {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { name, namespace: ns },
    spec: { encryptedData: { password: sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(`value-${i}`), label: scopeLabel("strict", ns, name) }) } },
  };
});

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const t0 = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < manifests.length) {
      const m = manifests[next++];
      if (m) await kube.create(resources.sealedSecret, m);
    }
  }),
);
const applied = Date.now() - t0;
while (first.stats.writes.secret < N) await new Promise((r) => setTimeout(r, 20));
const allSecrets = Date.now() - t0;
lag.disable();
const listed = (await kube.list(resources.secret, { namespace: ns })).length;
await idle(first, N);
console.log(`apply ${N} SealedSecrets:              ${applied} ms`);
console.log(`until all ${N} Secrets exist:           ${allSecrets} ms  (${((N / allSecrets) * 1000).toFixed(0)} Secrets/s; ${listed} listed)`);
console.log(`RSA decrypts (first run):              ${first.pool.rsaOps}`);
console.log(`API writes (first run):                ${first.stats.writes.secret} Secrets, ${first.stats.writes.status} statuses, ${first.stats.writes.event} events`);
console.log(`event-loop delay while unsealing:      p50 ${(lag.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`);
console.log(`RSS after first run:                   ${mb(process.memoryUsage().rss)} (this process: controller + benchmark driver)`);
await first.stop();

const t1 = Date.now();
const second = await start();
await idle(second, N);
console.log(`restart, nothing changed:              ${Date.now() - t1 - 1000} ms to reconcile all ${second.stats.reconciles}`);
console.log(`RSA decrypts after restart:            ${second.pool.rsaOps}   (target 0)`);
console.log(`API writes after restart:              ${second.stats.apiWrites}   (target 0)`);
console.log(`keys minted after restart:             ${second.keys.minted}`);
console.log(`RSS at the end:                        ${mb(process.memoryUsage().rss)}`);
await second.stop();
await cp?.stop();
