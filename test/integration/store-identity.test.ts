// A namespaced SecretStore may not borrow the controller's identity: AWS with no auth (the
// controller's ambient credentials) and Vault kubernetes auth with neither serviceAccountRef nor
// secretRef (the controller's own token) are refused with a condition naming the field, unless the
// operator allows it; a ClusterSecretStore may.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { resources } from "../../src/api/resources.ts";
import { parseSecretStoreSpec } from "../../src/api/secret-store.ts";
import { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import { borrowedIdentity, identityRefusal } from "../../src/controller/secret-store/identity.ts";
import { InvalidProviderConfig, type SecretsClient } from "../../src/providers/provider.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { quietLogger, readyOf, waitFor } from "../support/eso.ts";

describe("identity rules (pure)", () => {
  const spec = (provider: unknown) => parseSecretStoreSpec({ provider }).provider;
  it("names ambient AWS credentials and the controller's own token, and nothing else", () => {
    assert.match(borrowedIdentity(spec({ aws: { service: "SecretsManager", region: "eu-west-1" } })) ?? "", /aws\.auth is empty/);
    assert.match(borrowedIdentity(spec({ vault: { server: "https://v", auth: { kubernetes: { mountPath: "kubernetes", role: "r" } } } })) ?? "", /own service-account token/);
    assert.equal(borrowedIdentity(spec({ vault: { server: "https://v", auth: { kubernetes: { mountPath: "kubernetes", role: "r", serviceAccountRef: { name: "sa" } } } } })), undefined);
    assert.equal(borrowedIdentity(spec({ aws: { service: "SecretsManager", region: "eu-west-1", auth: { jwt: { serviceAccountRef: { name: "sa" } } } } })), undefined);
  });
  it("refuses only namespaced stores, and only unless allowed", () => {
    const ambient = spec({ aws: { service: "SecretsManager", region: "eu-west-1" } });
    assert.match(identityRefusal({ kind: "SecretStore" }, ambient, false) ?? "", /--allow-namespaced-ambient-credentials/);
    assert.equal(identityRefusal({ kind: "ClusterSecretStore" }, ambient, false), undefined);
    assert.equal(identityRefusal({ kind: "SecretStore" }, ambient, true), undefined);
  });
});

describe("identity rules on the API server", () => {
  let cluster: TestCluster;
  const built: string[] = [];
  const controllers: ExternalSecretsControllers[] = [];
  // Factories that record which stores got a client: no provider is contacted in this test.
  const factories = {
    aws: (input: { spec: { region: string } }): Promise<SecretsClient> => {
      built.push(`aws:${input.spec.region}`);
      return Promise.reject(new InvalidProviderConfig("test factory: no AWS here"));
    },
    vault: (input: { spec: { server: string } }): Promise<SecretsClient> => {
      built.push(`vault:${input.spec.server}`);
      return Promise.reject(new InvalidProviderConfig("test factory: no Vault here"));
    },
  };

  before(async () => {
    cluster = await testCluster();
  });
  after(async () => {
    for (const c of controllers) await c.stop();
  });

  async function start(allowNamespacedAmbient: boolean, controllerClass: string): Promise<void> {
    const c = new ExternalSecretsControllers({ kube: cluster.kube, log: quietLogger(), factories, controllerClass, workers: 2, allowNamespacedAmbient });
    await c.start();
    controllers.push(c);
  }

  function es(ns: string, name: string, store: { name: string; kind: string }): KubeObject {
    return {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name, namespace: ns },
      spec: { refreshInterval: "1h", secretStoreRef: store, target: { name }, data: [{ secretKey: "k", remoteRef: { key: "remote" } }] },
    };
  }

  it("refuses a namespaced store without auth, lets a ClusterSecretStore and an allowing operator through", async () => {
    await start(false, "strict");
    await start(true, "lenient");
    const ns = await freshNamespace(cluster, "ident");
    const stores: [string, string, unknown][] = [
      ["aws-ambient", "strict", { aws: { service: "SecretsManager", region: "eu-north-1" } }],
      ["vault-own-token", "strict", { vault: { server: "https://vault.invalid", auth: { kubernetes: { mountPath: "kubernetes", role: "r" } } } }],
      ["aws-allowed", "lenient", { aws: { service: "SecretsManager", region: "eu-south-1" } }],
    ];
    for (const [name, cls, provider] of stores) {
      await cluster.kube.create(resources.secretStore, { apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name, namespace: ns }, spec: { controller: cls, provider } });
      await cluster.kube.create(resources.externalSecret, es(ns, name, { name, kind: "SecretStore" }));
    }
    const clusterStore = `ident-${ns}`;
    await cluster.kube.create(resources.clusterSecretStore, { apiVersion: "external-secrets.io/v1", kind: "ClusterSecretStore", metadata: { name: clusterStore }, spec: { controller: "strict", provider: { aws: { service: "SecretsManager", region: "eu-west-3" } } } });
    try {
      await cluster.kube.create(resources.externalSecret, es(ns, "cluster", { name: clusterStore, kind: "ClusterSecretStore" }));
      const message = async (name: string) =>
        waitFor(`${name} condition`, async () => {
          const c = readyOf(await cluster.kube.get(resources.externalSecret, ns, name));
          return c?.status === "False" ? `${c.reason ?? ""}: ${c.message ?? ""}` : undefined;
        }, 60_000);
      assert.match(await message("aws-ambient"), /aws\.auth is empty.*namespaced SecretStore may not use the controller's identity/);
      assert.match(await message("vault-own-token"), /neither serviceAccountRef nor secretRef.*own service-account token/);
      assert.match(await message("aws-allowed"), /test factory: no AWS here/);
      assert.match(await message("cluster"), /test factory: no AWS here/);
      assert.ok(!built.includes("aws:eu-north-1") && !built.includes("vault:https://vault.invalid"), "no client was built for a refused store");
      assert.ok(built.includes("aws:eu-south-1") && built.includes("aws:eu-west-3"));
    } finally {
      await cluster.kube.delete(resources.clusterSecretStore, "", clusterStore);
    }
  });
});
