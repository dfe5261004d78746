// Benchmark: Vault logins per hour at steady state. N ExternalSecrets (default 1,000; BENCH_N) on one
// AppRole SecretStore against a real Vault dev server (v1.21.4, built by scripts/build-tools.sh),
// reconciled by the in-process controller on the sandbox control plane.
//
// Time is compressed: the AppRole token lives BENCH_TTL seconds (default 30) and at most
// BENCH_MAX_TTL_FACTOR times that (default 3), and every ExternalSecret refreshes once per token TTL.
// So one token TTL stands in for one hour of a store with a 1h token TTL, a 3h max TTL and a 1h
// refreshInterval; the token source's schedule (renew at 2/3 of the lease, log in again when the max
// TTL caps the renewal) scales with the lease, so the counts per TTL are the counts per hour there.
// Logins and renewals are counted by Vault itself (a file audit device), and by the provider.
// Run: npm run bench:vault
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { resources } from "../src/api/resources.ts";
import { ClientNodeKube } from "../src/kube/client-node-adapter.ts";
import { installCrds } from "../src/kube/install-crds.ts";
import { createVaultClient } from "../src/providers/vault/kv.ts";
import { startControlPlane } from "../src/sandbox/control-plane.ts";
import { startEsoController } from "../test/support/eso.ts";
import { startVault } from "../test/support/servers.ts";

const N = Number(process.env["BENCH_N"] ?? "1000");
const TTL_S = Number(process.env["BENCH_TTL"] ?? "30");
const MAX_FACTOR = Number(process.env["BENCH_MAX_TTL_FACTOR"] ?? "3");
const REFRESH_S = Number(process.env["BENCH_REFRESH"] ?? String(TTL_S));
const WINDOW_TTLS = Number(process.env["BENCH_WINDOW_TTLS"] ?? "6");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cp = await startControlPlane({ onProgress: () => undefined });
const vault = await startVault();
const auditDir = await mkdtemp(join(tmpdir(), "sealbridge-bench-audit-"));
try {
  const api = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${vault.url}/v1/${path}`, {
      method,
      headers: { "X-Vault-Token": vault.rootToken },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`vault ${method} ${path}: HTTP ${res.status}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  await api("PUT", "sys/audit/file", { type: "file", options: { file_path: join(auditDir, "audit.log") } });
  await api("PUT", "sys/policies/acl/read", { policy: 'path "secret/*" { capabilities = ["read"] }' });
  await api("POST", "sys/auth/approle", { type: "approle" });
  await api("POST", "auth/approle/role/eso", { token_policies: ["read"], token_ttl: `${TTL_S}s`, token_max_ttl: `${TTL_S * MAX_FACTOR}s` });
  const roleId = ((await api("GET", "auth/approle/role/eso/role-id"))["data"] as { role_id: string }).role_id;
  const secretId = ((await api("POST", "auth/approle/role/eso/secret-id", {}))["data"] as { secret_id: string }).secret_id;
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, j) => api("POST", `secret/data/bench/s${i + j}`, { data: { v: `value-${i + j}` } })));
  }

  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const kube = new ClientNodeKube(kc);
  await installCrds(kube);
  const ns = "bench";
  await kube.create(resources.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await kube.create(resources.secret, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "approle", namespace: ns },
    data: { "secret-id": Buffer.from(secretId).toString("base64") },
  });
  await kube.create(resources.secretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name: "vault", namespace: ns },
    spec: { provider: { vault: { server: vault.url, path: "secret", version: "v2", auth: { appRole: { path: "approle", roleId, secretRef: { name: "approle", key: "secret-id" } } } } } },
  });
  for (let i = 0; i < N; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, N - i) }, (_, j) =>
        kube.create(resources.externalSecret, {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: `es${i + j}`, namespace: ns },
          spec: { refreshInterval: `${REFRESH_S}s`, secretStoreRef: { name: "vault" }, data: [{ secretKey: "v", remoteRef: { key: `bench/s${i + j}`, property: "v" } }] },
        }),
      ),
    );
  }

  let clientLogins = 0;
  const start = Date.now();
  const controllers = await startEsoController(kube, {
    aws: () => Promise.reject(new Error("no AWS in this benchmark")),
    vault: (input) => createVaultClient({ ...input, options: { onLogin: () => clientLogins++ } }),
  });
  try {
    const syncedCount = async () => (await kube.list(resources.secret, { namespace: ns, labelSelector: "reconcile.external-secrets.io/managed=true" })).length;
    while ((await syncedCount()) < N) await sleep(250);
    const firstSyncMs = Date.now() - start;

    const audit = async () => {
      const counts = { logins: 0, renewals: 0, reads: 0, errors: 0 };
      for (const line of (await readFile(join(auditDir, "audit.log"), "utf8")).split("\n")) {
        if (!line) continue;
        const e = JSON.parse(line) as { type: string; error?: string; request?: { path?: string } };
        if (e.type !== "response") continue;
        if (e.error) counts.errors++;
        const path = e.request?.path ?? "";
        if (path === "auth/approle/login") counts.logins++;
        else if (path === "auth/token/renew-self") counts.renewals++;
        else if (path.startsWith("secret/data/bench/")) counts.reads++;
      }
      return counts;
    };
    const first = await audit();
    const firstClientLogins = clientLogins;
    const windowStart = Date.now();
    await sleep(WINDOW_TTLS * TTL_S * 1000);
    const windowS = (Date.now() - windowStart) / 1000;
    const end = await audit();
    const ess = await kube.list(resources.externalSecret, { namespace: ns });
    const notReady = ess.filter((e) => !((e["status"] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")).length;

    const logins = end.logins - first.logins;
    const renewals = end.renewals - first.renewals;
    const reads = end.reads - first.reads;
    const simulatedHours = windowS / TTL_S;
    const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(62)} ${v}\n`);
    line("ExternalSecrets / token TTL / max TTL / refreshInterval", `${N} / ${TTL_S}s / ${TTL_S * MAX_FACTOR}s / ${REFRESH_S}s (one TTL stands in for 1h)`);
    line("time to first sync of all (ms)", String(firstSyncMs));
    line("logins during first sync (audit log / provider)", `${first.logins} / ${firstClientLogins}`);
    line(`steady-state window (s; simulated hours)`, `${windowS.toFixed(0)} (${simulatedHours.toFixed(1)})`);
    line("logins / renew-self / KV reads in the window (audit log)", `${logins} / ${renewals} / ${reads}`);
    line("logins in the window counted by the provider", String(clientLogins - firstClientLogins));
    line(`Vault logins per hour, simulated (TTL ${TTL_S}s, wall clock)`, (logins * (3600 / windowS)).toFixed(1));
    line(`Vault logins per hour, extrapolated to 1h TTL, ${MAX_FACTOR}h max TTL, ${((60 * REFRESH_S) / TTL_S).toFixed(0)}m refresh`, `${(logins / simulatedHours).toFixed(2)} (renewals/hour ${(renewals / simulatedHours).toFixed(2)}; reads/hour ${(reads / simulatedHours).toFixed(0)})`);
    line("for comparison: a login per reconcile (ESO without its token cache)", `${(reads / simulatedHours).toFixed(0)} logins per hour`);
    line("Vault errors in the audit log / ExternalSecrets not Ready", `${end.errors} / ${notReady}`);
  } finally {
    await controllers.stop();
  }
} finally {
  await vault.stop();
  await cp.stop();
  await rm(auditDir, { recursive: true, force: true });
}
