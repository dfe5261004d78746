// The CRDs against the real API server: ESO's and Sealed Secrets' documentation examples are
// accepted and read back unchanged (nothing pruned, nothing defaulted), what sealbridge validates is
// refused at apply time the way ESO's CRDs refuse it, other ESO providers are still accepted (they get
// Ready=False from the store reconciler), and every CRD stays small enough for client-side
// `kubectl apply` (its last-applied-configuration annotation holds the whole manifest as JSON).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { allCrds, crdManifest, type JsonSchema } from "../../src/api/crds.ts";
import { resources } from "../../src/api/resources.ts";
import type { KubeObject, Resource } from "../../src/kube/port.ts";
import { freshNamespace, testCluster } from "../support/control-plane.ts";

const fixtures = new URL("../fixtures/docs-examples/", import.meta.url).pathname;
/** Kubernetes' limit on the total size of an object's annotations. */
const ANNOTATION_LIMIT = 262_144;

/** Placeholder-laden examples that ESO's own CRDs (or any API server) refuse too: refused for this reason only. */
const invalidForAnyServer: Record<string, RegExp> = {
  // `acme.org/sha: 1234` is a number where ObjectMeta wants a string annotation.
  "eso/full-external-secret.yaml": /cannot unmarshal number into Go struct field ObjectMeta\.annotations/,
  // `auth: ...` is a string where ESO's CRD, like ours, wants an object.
  "eso/vault-mtls-store.yaml": /spec\.provider\.vault\.auth in body must be of type object/,
};

const served: Record<string, Resource> = {
  SealedSecret: resources.sealedSecret,
  ExternalSecret: resources.externalSecret,
  SecretStore: resources.secretStore,
  ClusterSecretStore: resources.clusterSecretStore,
  ClusterExternalSecret: resources.clusterExternalSecret,
  Password: resources.password,
};

function examples(): { file: string; obj: KubeObject }[] {
  const out: { file: string; obj: KubeObject }[] = [];
  for (const dir of ["eso", "sealed-secrets"]) {
    for (const name of readdirSync(join(fixtures, dir)).sort()) {
      const text = readFileSync(join(fixtures, dir, name), "utf8");
      for (const doc of parseAllDocuments(text)) {
        const obj = doc.toJSON() as KubeObject | null;
        if (obj && typeof obj.kind === "string" && obj.kind in served) out.push({ file: `${dir}/${name}`, obj });
      }
    }
  }
  return out;
}

function findKey(schema: unknown, key: string, path = ""): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  return Object.entries(schema).flatMap(([k, v]) => [...(k === key ? [`${path}.${k}`] : []), ...findKey(v, key, `${path}.${k}`)]);
}

test("CRDs: small enough for client-side kubectl apply, no default values, structural on the server", async () => {
  const cluster = await testCluster();
  for (const crd of allCrds) {
    const manifest = crdManifest(crd);
    const annotation = JSON.stringify(manifest).length;
    assert.ok(annotation < ANNOTATION_LIMIT / 4, `${crd.kind}: last-applied annotation would be ${annotation} bytes`);
    assert.deepEqual(findKey(manifest, "default"), [], `${crd.kind} has no default: values`);
    const installed = await cluster.kube.get(resources.customResourceDefinition, undefined, `${crd.plural}.${crd.group}`);
    const conditions = ((installed?.["status"] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []);
    assert.ok(conditions.some((c) => c.type === "Established" && c.status === "True"), `${crd.kind} Established`);
    assert.ok(!conditions.some((c) => c.type === "NonStructuralSchema" && c.status === "True"), `${crd.kind} is structural`);
    const version = ((installed?.["spec"] as { versions: { subresources?: { status?: unknown }; additionalPrinterColumns?: unknown[]; schema: { openAPIV3Schema: JsonSchema } }[] }).versions)[0];
    assert.ok(version?.subresources?.status, `${crd.kind} has the status subresource`);
    assert.ok((version?.additionalPrinterColumns ?? []).length >= 3, `${crd.kind} has printer columns`);
    assert.deepEqual(version?.schema.openAPIV3Schema, crd.schema, `${crd.kind}: the installed schema is the generated one`);
  }
});

test("CRDs: ESO's and Sealed Secrets' documentation examples are accepted and read back unchanged", { timeout: 60_000 }, async () => {
  const cluster = await testCluster();
  const namespace = await freshNamespace(cluster, "docs");
  const all = examples();
  assert.ok(all.length >= 30, `found ${all.length} examples`);
  const kinds = new Set(all.map((e) => e.obj.kind));
  assert.deepEqual([...kinds].sort(), ["ClusterExternalSecret", "ClusterSecretStore", "ExternalSecret", "Password", "SealedSecret", "SecretStore"]);
  for (const { file, obj } of all) {
    const resource = served[obj.kind ?? ""];
    assert.ok(resource);
    // Only the namespace is changed, so every example lands in this test's namespace.
    const metadata = { ...obj.metadata };
    delete metadata.namespace;
    const body: KubeObject = { ...obj, metadata: { ...metadata, ...(resource.namespaced ? { namespace } : {}) } };
    const invalid = invalidForAnyServer[file];
    if (invalid) {
      await assert.rejects(cluster.kube.create(resource, body), (err: Error) => invalid.test(err.message), file);
      continue;
    }
    let created: KubeObject;
    try {
      created = await cluster.kube.create(resource, body);
    } catch (err) {
      assert.fail(`${file}: ${obj.kind} ${obj.metadata?.name} refused: ${err instanceof Error ? err.message : String(err)}`);
    }
    const name = created.metadata?.name ?? "";
    const read = await cluster.kube.get(resource, resource.namespaced ? namespace : undefined, name);
    assert.deepEqual(read?.["spec"], obj["spec"], `${file}: spec reads back unchanged (nothing pruned or defaulted)`);
    for (const field of ["annotations", "labels"] as const) {
      for (const [k, v] of Object.entries(obj.metadata?.[field] ?? {})) assert.equal(read?.metadata?.[field]?.[k], v, `${file}: metadata.${field}.${k}`);
    }
    await cluster.kube.delete(resource, resource.namespaced ? namespace : undefined, name);
  }
});

test("CRDs: what sealbridge validates is refused at apply time; other providers are accepted", async () => {
  const cluster = await testCluster();
  const namespace = await freshNamespace(cluster, "crdval");
  const es = (name: string, spec: unknown): KubeObject => ({ apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", metadata: { name, namespace }, spec });
  const store = (name: string, provider: unknown): KubeObject => ({ apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name, namespace }, spec: { provider } });
  const refused: [string, Resource, KubeObject, RegExp][] = [
    ["bad creationPolicy", resources.externalSecret, es("a", { secretStoreRef: { name: "s" }, target: { creationPolicy: "Sometimes" }, data: [{ secretKey: "k", remoteRef: { key: "x" } }] }), /creationPolicy/],
    ["data without secretKey", resources.externalSecret, es("b", { secretStoreRef: { name: "s" }, data: [{ remoteRef: { key: "x" } }] }), /secretKey/],
    ["remoteRef without key", resources.externalSecret, es("c", { secretStoreRef: { name: "s" }, data: [{ secretKey: "k", remoteRef: { property: "p" } }] }), /key/],
    ["bad store kind", resources.externalSecret, es("d", { secretStoreRef: { name: "s", kind: "Store" }, data: [{ secretKey: "k", remoteRef: { key: "x" } }] }), /kind/],
    ["bad decodingStrategy", resources.externalSecret, es("e", { secretStoreRef: { name: "s" }, dataFrom: [{ extract: { key: "x", decodingStrategy: "Hex" } }] }), /decodingStrategy/],
    ["rewrite regexp without target", resources.externalSecret, es("f", { secretStoreRef: { name: "s" }, dataFrom: [{ find: { path: "p" }, rewrite: [{ regexp: { source: "x" } }] }] }), /target/],
    ["aws without region", resources.secretStore, store("g", { aws: { service: "SecretsManager" } }), /region/],
    ["aws unknown service", resources.secretStore, store("h", { aws: { service: "KeyVault", region: "eu-west-1" } }), /service/],
    ["vault without server", resources.secretStore, store("i", { vault: { auth: { tokenSecretRef: { name: "t", key: "k" } } } }), /server/],
    ["vault bad KV version", resources.secretStore, store("j", { vault: { server: "https://v", version: "v3", auth: { tokenSecretRef: { name: "t" } } } }), /version/],
    ["vault kubernetes auth without role", resources.secretStore, store("k", { vault: { server: "https://v", auth: { kubernetes: { mountPath: "kubernetes" } } } }), /role/],
    ["store without provider", resources.secretStore, { apiVersion: "external-secrets.io/v1", kind: "SecretStore", metadata: { name: "l", namespace }, spec: {} }, /provider/],
  ];
  for (const [what, resource, obj, message] of refused) {
    await assert.rejects(cluster.kube.create(resource, obj), (err: Error) => message.test(err.message), what);
  }
  // Providers sealbridge does not implement apply as written (the reconciler says Ready=False).
  const gcp = { gcpsm: { projectID: "p", auth: { secretRef: { secretAccessKeySecretRef: { name: "gcp", key: "k" } } } } };
  const created = await cluster.kube.create(resources.secretStore, store("gcp", gcp));
  assert.deepEqual((created["spec"] as { provider: unknown }).provider, gcp);
});
