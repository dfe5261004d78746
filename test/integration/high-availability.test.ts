// Two controller processes with --leader-elect against one control plane, as two replicas of the
// chart's Deployment: both serve the HTTP API (same certificate) and metrics, only the Lease holder
// writes (keys, Secrets, statuses); SIGKILL the leader and the follower takes over within the lease
// duration and reconciles.
import assert from "node:assert/strict";
import { test } from "node:test";
import { resources } from "../../src/api/resources.ts";
import { parseSealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { freshNamespace, testCluster } from "../support/control-plane.ts";
import { leaderElectedArgs, metricValue, startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { eventually } from "../support/sealed-controller.ts";

const LEASE = { duration: 3_000, renew: 2_000, retry: 500 };

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

test("HA: every replica serves the API, only the leader writes, a killed leader is replaced within the lease duration", { timeout: 90_000 }, async () => {
  const cluster = await testCluster();
  const keyNamespace = await freshNamespace(cluster, "ha-keys");
  const appNamespace = await freshNamespace(cluster, "ha-app");
  const args = leaderElectedArgs({ kubeconfig: cluster.kubeconfigPath, keyNamespace, lease: LEASE });
  const procs: ControllerProcess[] = [];
  try {
    const a = startControllerProcess(args, { POD_NAME: "replica-a" });
    procs.push(a);
    await a.waitFor(/"msg":"became leader"/);
    await a.waitFor(/"msg":"reconcilers running"/);
    const b = startControllerProcess(args, { POD_NAME: "replica-b" });
    procs.push(b);
    const [pa, pb] = await Promise.all([a.ports(), b.ports()]);

    // Both serve the API, probes and metrics, with the one key the leader minted.
    const certA = await get(pa.api, "/v1/cert.pem");
    const certB = await eventually("the follower serves the leader's certificate", async () => {
      const r = await get(pb.api, "/v1/cert.pem");
      return r.status === 200 ? r : undefined;
    });
    assert.equal(certA.status, 200);
    assert.equal(certB.body, certA.body, "same certificate from both replicas");
    const recipients = await Promise.all(
      [pa.api, pb.api].map(async (port) => {
        assert.equal((await get(port, "/healthz")).status, 200);
        assert.equal((await get(port, "/readyz")).status, 200);
        return await eventually("age recipients", async () => {
          const r = await get(port, "/v1/age-recipients?scope=cluster-wide");
          return r.status === 200 ? r.body : undefined;
        });
      }),
    );
    assert.equal(recipients[0], recipients[1], "same age recipients from both replicas");
    const keys = await cluster.kube.list(resources.secret, { namespace: keyNamespace });
    assert.equal(keys.filter((s) => s.metadata?.labels?.["sealedsecrets.bitnami.com/sealed-secrets-key"] !== undefined).length, 1, "one RSA key, minted once");
    assert.equal(b.lines.some((l) => /"msg":"became leader"/.test(l)), false);

    const cert = parseSealingCertificate(certA.body, new Date());
    const sealed = (name: string): KubeObject => ({
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name, namespace: appNamespace },
      spec: {
        encryptedData: { password: sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(`value-of-${name}`), label: scopeLabel("strict", appNamespace, name) }) },
      },
    });
    const opened = (name: string) =>
      eventually(`Secret ${name}`, async () => {
        const s = await cluster.kube.get(resources.secret, appNamespace, name);
        const data = (s?.["data"] as Record<string, string> | undefined)?.["password"];
        return data === undefined ? undefined : Buffer.from(data, "base64").toString();
      });
    await cluster.kube.create(resources.sealedSecret, sealed("first"));
    assert.equal(await opened("first"), "value-of-first");

    // Writes are counted per process: the leader made them, the follower none (its metrics say so).
    const metricsA = (await get(pa.metrics, "/metrics")).body;
    const metricsB = (await get(pb.metrics, "/metrics")).body;
    assert.ok(metricsValueOf(metricsA, "secret") >= 1, "the leader wrote the Secret");
    assert.equal(metricsValueOf(metricsB, "secret") + metricsValueOf(metricsB, "status") + metricsValueOf(metricsB, "event"), 0, "the follower wrote nothing");
    assert.equal(metricValue(metricsB, "sealbridge_sealing_keys_generated_total"), 0, "the follower minted no key");
    assert.ok(metricValue(metricsB, "sealbridge_sealing_keys") >= 1, "the follower holds the key");

    // SIGKILL: no lease release. The follower takes over once the lease has not been renewed for a
    // lease duration (plus up to two retry periods to notice), then reconciles.
    const killedAt = Date.now();
    await a.kill();
    await b.waitFor(/"msg":"became leader"/, LEASE.duration * 4);
    const takeover = Date.now() - killedAt;
    assert.ok(takeover <= LEASE.duration + 2 * LEASE.retry + 1_000, `takeover after ${takeover} ms`);
    await cluster.kube.create(resources.sealedSecret, sealed("second"));
    assert.equal(await opened("second"), "value-of-second");
    const lease = await cluster.kube.get(resources.lease, keyNamespace, "sealbridge-leader");
    assert.equal((lease?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity, "replica-b");
    assert.ok(metricsValueOf((await get(pb.metrics, "/metrics")).body, "secret") >= 1, "the new leader wrote");
    const keysAfter = await cluster.kube.list(resources.secret, { namespace: keyNamespace });
    assert.equal(keysAfter.filter((s) => s.metadata?.labels?.["sealedsecrets.bitnami.com/sealed-secrets-key"] !== undefined).length, 1, "the new leader reuses the key");

    // A graceful stop of the leader releases the lease and exits cleanly.
    await b.stop();
    assert.equal(await b.exited, 0);
    const released = await cluster.kube.get(resources.lease, keyNamespace, "sealbridge-leader");
    assert.equal((released?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity, "");
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
  }
});

function metricsValueOf(exposition: string, kind: string): number {
  return metricValue(exposition, "sealbridge_sealedsecret_api_writes_total", { kind });
}
