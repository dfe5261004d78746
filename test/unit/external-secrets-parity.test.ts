// Pure parts of ESO's behaviours: ESO's field manager names, keys owned in managedFields, the data a
// Merge target gets, the Ready condition of each outcome, v1beta1/v1alpha1 remnants refused by name,
// and the v1beta1 versions in the generated CRDs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { clusterSecretStoreCrd, crdManifest, externalSecretCrd, secretStoreCrd } from "../../src/api/crds.ts";
import { parseExternalSecretSpec } from "../../src/api/external-secret.ts";
import { fieldManagerFor, managedKeys, NO_MANAGED_KEYS } from "../../src/controller/external-secret/field-owner.ts";
import { desiredSecret, nextStatus, targetData, type EsMeta } from "../../src/controller/external-secret/plan.ts";
import type { KubeObject } from "../../src/kube/port.ts";

const now = new Date("2026-01-02T03:04:05Z");
const es: EsMeta = { name: "es", namespace: "ns", uid: "u1", generation: 1, labels: { team: "a" }, annotations: {} };

describe("field ownership as ESO tracks it", () => {
  test("manager names: ESO's prefix, SHA3-224 of the name past 63 characters", () => {
    assert.equal(fieldManagerFor("db"), "externalsecrets.external-secrets.io/db");
    const long = "a-very-long-external-secret-name-over-the-limit";
    assert.equal(fieldManagerFor(long), `externalsecrets.external-secrets.io/sha3/${createHash("sha3-224").update(long).digest("hex")}`);
  });

  test("keys owned by one manager; other managers' and the '.' entries are not ours", () => {
    const secret: KubeObject = {
      metadata: {
        managedFields: [
          { manager: "kubectl-create", operation: "Update", fieldsV1: { "f:data": { ".": {}, "f:keep": {} } } },
          {
            manager: "externalsecrets.external-secrets.io/es",
            operation: "Update",
            fieldsV1: { "f:data": { "f:a": {}, "f:b": {} }, "f:metadata": { "f:labels": { ".": {}, "f:app": {} }, "f:annotations": { "f:note": {} } } },
          },
        ],
      },
    };
    assert.deepEqual(managedKeys(secret, "externalsecrets.external-secrets.io/es"), { data: ["a", "b"], labels: ["app"], annotations: ["note"] });
    assert.deepEqual(managedKeys(secret, "externalsecrets.external-secrets.io/other"), NO_MANAGED_KEYS);
    assert.deepEqual(managedKeys({ metadata: {} }, "x"), NO_MANAGED_KEYS);
  });
});

describe("target data", () => {
  const existing: KubeObject = { data: { keep: "a2VlcA==", stale: "c3RhbGU=", a: "b2xk" } };
  test("Merge keeps other keys and drops the ones it wrote before; Owner holds exactly what was rendered", () => {
    const managed = { data: ["stale", "a"], labels: [], annotations: [] };
    assert.deepEqual(targetData({ policy: "Merge", existing, managed, rendered: { a: "bmV3" } }), { keep: "a2VlcA==", a: "bmV3" });
    assert.deepEqual(targetData({ policy: "Owner", existing, managed, rendered: { a: "bmV3" } }), { a: "bmV3" });
  });

  test("a template stops the ExternalSecret's labels being copied; labels it set before are removed", () => {
    const spec = parseExternalSecretSpec({ secretStoreRef: { name: "s" }, target: { creationPolicy: "Merge" }, data: [{ secretKey: "a", remoteRef: { key: "k" } }] });
    const target: KubeObject = { metadata: { name: "es", namespace: "ns", labels: { app: "old", mine: "x" } }, data: {} };
    const managed = { data: [], labels: ["app"], annotations: [] };
    const rendered = { data: { a: "YQ==" }, labels: {}, annotations: {} };
    const templated = desiredSecret({ es, spec, rendered, existing: target, managed, hasTemplate: true });
    const managedLabel = { "reconcile.external-secrets.io/managed": "true" };
    assert.deepEqual(templated?.metadata?.labels, { mine: "x", ...managedLabel });
    const plain = desiredSecret({ es, spec, rendered, existing: target, managed, hasTemplate: false });
    assert.deepEqual(plain?.metadata?.labels, { mine: "x", team: "a", ...managedLabel });
    assert.equal(plain?.metadata?.managedFields, undefined);
  });
});

describe("Ready condition per outcome (ESO's reasons and messages)", () => {
  const ready = (outcome: Parameters<typeof nextStatus>[0]["outcome"]) => nextStatus({ previous: undefined, outcome, syncVersion: "1-x", generation: 1, now }).conditions[0];
  test("deleted, missing and retained are Ready=True", () => {
    assert.deepEqual(ready({ kind: "deleted" }), { type: "Ready", status: "True", reason: "SecretDeleted", message: "secret deleted due to DeletionPolicy=Delete", lastTransitionTime: "2026-01-02T03:04:05Z" });
    assert.deepEqual(ready({ kind: "missing" }), { type: "Ready", status: "True", reason: "SecretMissing", message: "secret will not be created due to CreationPolicy=Merge", lastTransitionTime: "2026-01-02T03:04:05Z" });
    assert.equal(ready({ kind: "synced", targetName: "t", retained: true })?.message, "secret retained due to DeletionPolicy=Retain");
    assert.equal(ready({ kind: "error", reason: "SecretNotFound", message: "gone" })?.status, "False");
    const missing = nextStatus({ previous: undefined, outcome: { kind: "missing" }, syncVersion: "1-x", generation: 1, now });
    assert.equal(missing.refreshTime, "2026-01-02T03:04:05Z");
    assert.equal(missing.binding, undefined);
  });
});

describe("v1beta1", () => {
  test("the three kinds serve v1beta1 beside v1 with one schema, v1 stored, no conversion webhook", () => {
    for (const crd of [externalSecretCrd, secretStoreCrd, clusterSecretStoreCrd]) {
      const spec = crdManifest(crd)["spec"] as { versions: { name: string; served: boolean; storage: boolean; schema: unknown }[]; conversion?: { strategy: string } };
      assert.deepEqual(spec.versions.map((v) => [v.name, v.served, v.storage]), [["v1", true, true], ["v1beta1", true, false]], crd.kind);
      assert.deepEqual(spec.versions[1]?.schema, spec.versions[0]?.schema);
      assert.deepEqual(spec.conversion, { strategy: "None" });
    }
  });

  test("remnants of older versions are refused with the field named", () => {
    assert.throws(() => parseExternalSecretSpec({ secretStoreRef: { name: "s" }, dataFrom: [{ key: "k" }] }), /spec\.dataFrom\[0\]\.key is the v1alpha1 form of dataFrom.*spec\.dataFrom\[0\]\.extract\.key/);
    assert.throws(
      () => parseExternalSecretSpec({ secretStoreRef: { name: "s" }, target: { template: { engineVersion: "v1" } }, data: [{ secretKey: "a", remoteRef: { key: "k" } }] }),
      /spec\.target\.template\.engineVersion v1 is not supported/,
    );
    const base = { secretStoreRef: { name: "s" }, data: [{ secretKey: "a", remoteRef: { key: "k" } }] };
    assert.throws(() => parseExternalSecretSpec({ ...base, target: { manifest: { apiVersion: "v1", kind: "ConfigMap" } } }), /spec\.target\.manifest .* is not supported/);
    assert.throws(() => parseExternalSecretSpec({ ...base, syncWindows: { kind: "Allow", windows: [] } }), /spec\.syncWindows is not supported/);
    assert.throws(() => parseExternalSecretSpec({ ...base, target: { creationPolicy: "CreateOrMerge" } }), /spec\.target\.creationPolicy must be one of Owner, Orphan, Merge, None/);
  });
});
