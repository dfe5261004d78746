// Starts the SealedSecret feature in-process against the test control plane, scoped to one
// namespace for SealedSecrets and one for keys, with RSA-2048 keys unless asked otherwise.
import { Writable } from "node:stream";
import type { TestContext } from "node:test";
import { resources } from "../../src/api/resources.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { createLogger } from "../../src/log.ts";
import { Registry } from "prom-client";
import { exposeThroughServiceProxy as exposeServiceEndpoint, ServiceEndpointUnavailable, type ServiceEndpoint } from "../../src/sandbox/service-endpoint.ts";
import { startSealedSecrets, type SealedSecretsRuntime } from "../../src/sealed-secrets.ts";
import { startProcessServer, type ProcessServer } from "../../src/server/http.ts";
import { processMetrics } from "../../src/server/metrics.ts";
import type { TestCluster } from "./control-plane.ts";

export interface StartOptions {
  keyNamespace: string;
  watchNamespace: string;
  keyBits?: number;
  keyRenewPeriodMs?: number;
  listenAddr?: string;
  ciphertextCacheBytes?: number;
}

export interface Started extends SealedSecretsRuntime {
  logs: string[];
  api: ProcessServer["api"];
  metrics: ProcessServer["metrics"];
}

/** The process-level server over a SealedSecrets runtime, as main.ts starts it. */
export async function serve(runtime: SealedSecretsRuntime, log: Parameters<typeof startSealedSecrets>[1], listenAddr = "127.0.0.1:0", extra: { ageRecipients?: (q: URLSearchParams) => Promise<{ status: number; contentType: string; body: string }> } = {}): Promise<ProcessServer> {
  const registry = new Registry();
  runtime.registerMetrics(registry);
  processMetrics({ kinds: [runtime.kind], cache: () => [] }, registry);
  return startProcessServer({ handlers: { ...runtime.handlers, ...extra }, log, addr: listenAddr, metricsAddr: "127.0.0.1:0", registry, ready: () => runtime.ready() });
}

export async function startController(cluster: TestCluster, opts: StartOptions): Promise<Started> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level: process.env["SEALBRIDGE_TEST_LOG"] ?? "info", destination: sink });
  const runtime = await startSealedSecrets(cluster.kube, log, {
    keyNamespace: opts.keyNamespace,
    watchNamespace: opts.watchNamespace,
    workers: 4,
    keyPrefix: "sealed-secrets-key",
    keyBits: opts.keyBits ?? 2048,
    keyRenewPeriodMs: opts.keyRenewPeriodMs ?? 0,
    ...(opts.ciphertextCacheBytes !== undefined ? { ciphertextCacheBytes: opts.ciphertextCacheBytes } : {}),
  });
  const server = await serve(runtime, log, opts.listenAddr ?? "127.0.0.1:0");
  const stopRuntime = runtime.stop;
  return Object.assign(runtime, {
    logs,
    api: server.api,
    metrics: server.metrics,
    stop: async () => {
      await server.close();
      await stopRuntime();
    },
  });
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Synced {
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  generation?: number;
}

export async function syncedOf(cluster: TestCluster, namespace: string, name: string): Promise<Synced | undefined> {
  const obj = await cluster.kube.get(resources.sealedSecret, namespace, name);
  const status = obj?.["status"] as { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined;
  const c = status?.conditions?.find((x) => x.type === "Synced");
  if (!c) return undefined;
  return {
    status: c.status,
    reason: c.reason ?? "",
    message: c.message ?? "",
    ...(status?.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    ...(obj?.metadata?.generation !== undefined ? { generation: obj.metadata.generation } : {}),
  };
}

/** Waits until the SealedSecret's Synced condition has `reason` for its current generation. */
export function waitForReason(cluster: TestCluster, namespace: string, name: string, reason: string, timeoutMs?: number): Promise<Synced> {
  return eventually(`${namespace}/${name} Synced reason ${reason}`, async () => {
    const s = await syncedOf(cluster, namespace, name);
    return s && s.reason === reason && s.observedGeneration === s.generation ? s : undefined;
  }, timeoutMs);
}

export function secretData(secret: KubeObject | undefined): Record<string, string> {
  const data = (secret?.["data"] ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

/**
 * Makes the in-process controller reachable as kubeseal reaches it: through the API server's service
 * proxy to Service "sealed-secrets-controller", first port named "http". The "Pod IP" is the host end
 * of a veth pair into a network namespace made for this (src/sandbox/service-endpoint.ts), never this
 * host's own interface address, so the controller must listen on all interfaces (listenAddr ":0").
 * Throws ServiceEndpointUnavailable where that namespace cannot be made (not root, no iproute2):
 * callers skip with `skipUnlessExposed`. Callers remove() the endpoint when done.
 */
export async function exposeThroughServiceProxy(cluster: TestCluster, namespace: string, apiPort: number): Promise<ServiceEndpoint> {
  return exposeServiceEndpoint({ kube: cluster.kube, namespace, apiPort });
}

/** For `.catch()` on exposeThroughServiceProxy: skips the test (undefined) when no endpoint can be made here. */
export function skipUnlessExposed(t: TestContext): (err: unknown) => undefined {
  return (err) => {
    // A controller that does not answer on the veth address is the test's bug, not the machine's.
    if (!(err instanceof ServiceEndpointUnavailable) || err.reason === "ControllerUnreachable") throw err;
    t.skip(`the service proxy needs a veth namespace, which this machine does not allow: ${err.message}`);
    return undefined;
  };
}
