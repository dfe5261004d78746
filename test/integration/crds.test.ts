import assert from "node:assert/strict";
import { test } from "node:test";
import { CustomObjectsApi, Watch } from "@kubernetes/client-node";
import { allCrds } from "../../src/api/crds.ts";
import { resources } from "../../src/api/resources.ts";
import { freshNamespace, testCluster } from "../support/control-plane.ts";

test("every CRD is installed and Established", async () => {
  const { kube } = await testCluster();
  for (const crd of allCrds) {
    const obj = await kube.get(resources.customResourceDefinition, undefined, `${crd.plural}.${crd.group}`);
    assert.ok(obj, `${crd.kind} CRD exists`);
    const conditions = (obj["status"] as { conditions: { type: string; status: string }[] }).conditions;
    assert.ok(conditions.some((c) => c.type === "Established" && c.status === "True"), `${crd.kind} Established`);
  }
});

test("a SealedSecret can be created, read back and watched through @kubernetes/client-node", async () => {
  const cluster = await testCluster();
  const namespace = await freshNamespace(cluster);
  const api = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
  const events: string[] = [];
  const watch = new Watch(cluster.kubeConfig);
  const after: (() => void)[] = [];
  const gotAdded = new Promise<void>((resolve, reject) => {
    void watch
      .watch(`/apis/bitnami.com/v1alpha1/namespaces/${namespace}/sealedsecrets`, {}, (phase, obj: { metadata: { name: string } }) => {
        events.push(`${phase} ${obj.metadata.name}`);
        if (phase === "ADDED") resolve();
      }, (err: unknown) => reject(new Error(`watch ended before ADDED: ${String(err)}`)))
      .then((controller) => after.push(() => controller.abort()), reject);
  });
  try {
    const body = {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name: "mysecret", namespace },
      spec: { encryptedData: { password: "AgBy3i4OJSWK+PiTySYZZA==" }, template: { type: "Opaque", metadata: { labels: { app: "x" } } } },
    };
    await api.createNamespacedCustomObject({ group: "bitnami.com", version: "v1alpha1", namespace, plural: "sealedsecrets", body });
    const read = (await api.getNamespacedCustomObject({ group: "bitnami.com", version: "v1alpha1", namespace, plural: "sealedsecrets", name: "mysecret" })) as typeof body;
    assert.deepEqual(read.spec, body.spec, "spec round-trips unchanged (no server-side defaults)");
    await gotAdded;
    assert.deepEqual(events, ["ADDED mysecret"]);
  } finally {
    for (const stop of after) stop();
  }
});

test("a SealedSecret without spec is rejected by the schema", async () => {
  const cluster = await testCluster();
  const namespace = await freshNamespace(cluster);
  await assert.rejects(
    cluster.kube.create(resources.sealedSecret, { apiVersion: "bitnami.com/v1alpha1", kind: "SealedSecret", metadata: { name: "bad", namespace } }),
    (err: Error) => /spec/.test(err.message),
  );
});
