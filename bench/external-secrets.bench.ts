// Benchmark: N ExternalSecrets (default 1,000; BENCH_N) on one AWS SecretsManager store served by a
// real moto server, reconciled by the in-process controller against the sandbox control plane.
// Prints: time to first sync of all, provider API calls for the first sync and for one forced
// refresh cycle (counted at the SDK middleware), credential fetches, controller RSS.
// Run: npm run bench:external-secrets
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { KubeConfig } from "@kubernetes/client-node";
import { resources } from "../src/api/resources.ts";
import { ClientNodeKube } from "../src/kube/client-node-adapter.ts";
import { installCrds } from "../src/kube/install-crds.ts";
import { createAwsClient } from "../src/providers/aws/secrets-manager.ts";
import { createVaultClient } from "../src/providers/vault/kv.ts";
import { startControlPlane } from "../src/sandbox/control-plane.ts";
import { startEsoController } from "../test/support/eso.ts";
import { startMoto } from "../test/support/servers.ts";

const N = Number(process.env["BENCH_N"] ?? "1000");
// Enough concurrent reconciles to fill 20-id batches (reads wait up to 50 ms to be coalesced).
const WORKERS = Number(process.env["BENCH_WORKERS"] ?? "40");
const cp = await startControlPlane({ onProgress: () => undefined });
const moto = await startMoto();
try {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const kube = new ClientNodeKube(kc);
  await installCrds(kube);
  const ns = "bench";
  await kube.create(resources.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "t", secretAccessKey: "t" } });
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, j) => sm.send(new CreateSecretCommand({ Name: `bench/s${i + j}`, SecretString: JSON.stringify({ v: `value-${i + j}` }) }))));
  }
  sm.destroy();
  await kube.create(resources.serviceAccount, {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "eso", namespace: ns, annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/eso" } },
  });
  await kube.create(resources.secretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name: "aws", namespace: ns },
    spec: { provider: { aws: { service: "SecretsManager", region: "eu-west-1", auth: { jwt: { serviceAccountRef: { name: "eso" } } } } } },
  });
  for (let i = 0; i < N; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, j) =>
        kube.create(resources.externalSecret, {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: `es${i + j}`, namespace: ns },
          spec: { refreshInterval: "1h", secretStoreRef: { name: "aws" }, data: [{ secretKey: "v", remoteRef: { key: `bench/s${i + j}`, property: "v" } }] },
        }),
      ),
    );
  }
  const calls = new Map<string, number>();
  let credentialFetches = 0;
  const count = (op: string) => calls.set(op, (calls.get(op) ?? 0) + 1);
  const snapshot = () => Object.fromEntries(calls);
  const start = Date.now();
  const controllers = await startEsoController(kube, {
    aws: (input) => createAwsClient({ ...input, options: { secretsManagerEndpoint: moto.url, stsEndpoint: moto.url, batchWindowMs: 50, onApiCall: count, onCredentialFetch: () => credentialFetches++ } }),
    vault: (input) => createVaultClient({ ...input, options: {} }),
  }, "default", WORKERS);
  const syncedCount = async () => (await kube.list(resources.secret, { namespace: ns, labelSelector: "reconcile.external-secrets.io/managed=true" })).length;
  while ((await syncedCount()) < N) await new Promise((r) => setTimeout(r, 250));
  const firstSyncMs = Date.now() - start;
  const firstCalls = snapshot();
  const rssFirst = process.memoryUsage().rss;
  // One refresh cycle: every ExternalSecret's refresh comes due at once (worst case for batching);
  // a force-sync annotation change makes all N refresh now.
  calls.clear();
  const before = Date.now();
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, j) => kube.patch(resources.externalSecret, ns, `es${i + j}`, { metadata: { annotations: { "force-sync": "1" } } }, "merge")));
  }
  const refreshed = async () => (await kube.list(resources.externalSecret, { namespace: ns })).filter((e) => String((e["status"] as { syncedResourceVersion?: string } | undefined)?.syncedResourceVersion ?? "").startsWith("1-") && Date.parse(String((e["status"] as { refreshTime?: string }).refreshTime)) >= before - 1000).length;
  while ((await refreshed()) < N) await new Promise((r) => setTimeout(r, 250));
  const refreshCalls = snapshot();
  const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  const rss = process.memoryUsage().rss;
  await controllers.stop();
  const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(48)} ${v}\n`);
  line("ExternalSecrets / workers", `${N} / ${WORKERS}`);
  line("time to first sync of all (ms)", String(firstSyncMs));
  line("provider API calls, first sync", `${total(firstCalls)} ${JSON.stringify(firstCalls)}`);
  line("provider API calls, one refresh cycle", `${total(refreshCalls)} ${JSON.stringify(refreshCalls)}`);
  line("secrets per API call, refresh cycle", (N / Math.max(1, total(refreshCalls))).toFixed(1));
  line("credential fetches (STS AssumeRoleWithWebIdentity)", String(credentialFetches));
  line("controller RSS after first sync / after refresh (MiB)", `${(rssFirst / 2 ** 20).toFixed(0)} / ${(rss / 2 ** 20).toFixed(0)} (includes the bench driver in the same process)`);
} finally {
  await moto.stop();
  await cp.stop();
}
