// Helpers for external-secrets.io integration tests: an in-process controller wired to real provider
// servers, and polling reads of the real API server.
import { Writable } from "node:stream";
import type { KubeObject, KubePort } from "../../src/kube/port.ts";
import { resources } from "../../src/api/resources.ts";
import { createLogger } from "../../src/log.ts";
import { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import type { ProviderFactories } from "../../src/controller/secret-store/client-cache.ts";

export function quietLogger() {
  return createLogger({ level: process.env["TEST_LOG_LEVEL"] ?? "silent", destination: new Writable({ write: (_c, _e, cb) => cb() }) });
}

export async function startEsoController(kube: KubePort, factories: ProviderFactories, controllerClass = "default", workers = 8): Promise<ExternalSecretsControllers> {
  const controllers = new ExternalSecretsControllers({ kube, log: quietLogger(), factories, controllerClass, workers, credentialRecheckMs: 500 });
  await controllers.start();
  return controllers;
}

export async function waitFor<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await read();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`);
}

export function readyOf(obj: KubeObject | undefined): { status?: string; reason?: string; message?: string } | undefined {
  const conditions = (obj?.["status"] as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === "Ready");
}

export async function waitReady(kube: KubePort, ns: string, name: string, reason: string, timeoutMs?: number): Promise<KubeObject> {
  return await waitFor(`ExternalSecret ${ns}/${name} reason ${reason}`, async () => {
    const es = await kube.get(resources.externalSecret, ns, name);
    return readyOf(es)?.reason === reason ? es : undefined;
  }, timeoutMs);
}

export function secretData(secret: KubeObject | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret?.["data"] as Record<string, string> | undefined) ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  return out;
}

export async function createSecret(kube: KubePort, ns: string, name: string, data: Record<string, string>, extra: Partial<KubeObject> = {}): Promise<void> {
  await kube.create(resources.secret, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
    ...extra,
  });
}

/** A SecretStore "aws" (Secrets Manager, eu-west-1) with static keys from a Secret "aws-creds", as ESO users write it. */
export async function createAwsStaticKeyStore(kube: KubePort, namespace: string, secretKey = "test"): Promise<void> {
  await kube.create(resources.secret, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "aws-creds", namespace },
    stringData: { "access-key": "AKIDEXAMPLE", "secret-key": secretKey },
  });
  await kube.create(resources.secretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name: "aws", namespace },
    spec: {
      provider: {
        aws: {
          service: "SecretsManager",
          region: "eu-west-1",
          auth: { secretRef: { accessKeyIDSecretRef: { name: "aws-creds", key: "access-key" }, secretAccessKeySecretRef: { name: "aws-creds", key: "secret-key" } } },
        },
      },
    },
  });
}
