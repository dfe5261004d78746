// The pure parts of the ClusterExternalSecret reconciler: spec parsing with ESO's defaults and the
// API server's selector checks, namespace selection, the desired ExternalSecret (no write when it
// already matches), ownership and the next status.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseClusterExternalSecretSpec } from "../../src/api/cluster-external-secret.ts";
import {
  cesStatusEqual,
  desiredExternalSecret,
  externalSecretNameOf,
  isOwnedBy,
  nextCesStatus,
  selects,
} from "../../src/controller/cluster-external-secret/plan.ts";
import type { KubeObject } from "../../src/kube/port.ts";

const esSpec = { secretStoreRef: { name: "aws", kind: "ClusterSecretStore" }, dataFrom: [{ extract: { key: "db" } }] };
const ces = { name: "db", uid: "u-1", annotations: {} };

describe("ClusterExternalSecret spec", () => {
  test("defaults: refreshTime 1h, name from the ClusterExternalSecret; selectors ORed with names", () => {
    const spec = parseClusterExternalSecretSpec({
      externalSecretSpec: esSpec,
      namespaceSelector: { matchLabels: { a: "1" } },
      namespaceSelectors: [{ matchExpressions: [{ key: "b", operator: "Exists" }] }, null],
      namespaces: ["named"],
    });
    assert.equal(spec.refreshIntervalMs, 3_600_000);
    assert.equal(externalSecretNameOf(ces, spec), "db");
    assert.equal(spec.namespaceSelectors.length, 2);
    assert.ok(selects(spec, { name: "x", labels: { a: "1" } }));
    assert.ok(selects(spec, { name: "y", labels: { b: "" } }));
    assert.ok(selects(spec, { name: "named", labels: {} }));
    assert.ok(!selects(spec, { name: "z", labels: { a: "2" } }));
    assert.ok(!selects(parseClusterExternalSecretSpec({ externalSecretSpec: esSpec }), { name: "z", labels: {} }), "no selector selects nothing");
    assert.ok(selects(parseClusterExternalSecretSpec({ externalSecretSpec: esSpec, namespaceSelectors: [{}] }), { name: "z", labels: {} }), "an empty selector selects all");
    assert.equal(parseClusterExternalSecretSpec({ externalSecretSpec: esSpec, refreshTime: "30s", externalSecretName: "other" }).refreshIntervalMs, 30_000);
  });

  test("invalid specs name the field", () => {
    assert.throws(() => parseClusterExternalSecretSpec({}), /spec\.externalSecretSpec is required/);
    assert.throws(() => parseClusterExternalSecretSpec({ externalSecretSpec: esSpec, externalSecretName: "Bad_Name" }), /externalSecretName must be a DNS subdomain/);
    assert.throws(() => parseClusterExternalSecretSpec({ externalSecretSpec: esSpec, namespaces: ["UPPER"] }), /namespaces\[0\] must be a namespace name/);
    assert.throws(() => parseClusterExternalSecretSpec({ externalSecretSpec: esSpec, refreshTime: "1d" }), /spec\.refreshTime: time: unknown unit/);
    assert.throws(
      () => parseClusterExternalSecretSpec({ externalSecretSpec: esSpec, namespaceSelectors: [{ matchExpressions: [{ key: "a", operator: "In" }] }] }),
      /matchExpressions\[0\]\.values must be non-empty for operator In/,
    );
  });
});

describe("the ExternalSecret a ClusterExternalSecret wants", () => {
  const spec = parseClusterExternalSecretSpec({ externalSecretSpec: esSpec, externalSecretMetadata: { labels: { l: "1" }, annotations: { a: "1" } } });

  test("ESO's mutate: exact metadata, spec, controller reference; none written when it matches", () => {
    const created = desiredExternalSecret({ ces, spec, namespace: "ns", existing: undefined });
    assert.ok(created);
    assert.deepEqual(created.metadata?.labels, { l: "1" });
    assert.deepEqual(created.metadata?.annotations, { a: "1" });
    assert.deepEqual(created["spec"], esSpec);
    assert.deepEqual(created.metadata?.ownerReferences, [{ apiVersion: "external-secrets.io/v1", kind: "ClusterExternalSecret", name: "db", uid: "u-1", controller: true, blockOwnerDeletion: true }]);
    // As read back from the API server: keys in another order, server fields added.
    const stored: KubeObject = {
      ...created,
      metadata: { ...created.metadata, uid: "es-1", resourceVersion: "7", annotations: { a: "1" } },
      spec: { dataFrom: [{ extract: { key: "db" } }], secretStoreRef: { kind: "ClusterSecretStore", name: "aws" } },
      status: { refreshTime: "2026-01-01T00:00:00Z" },
    };
    assert.equal(desiredExternalSecret({ ces, spec, namespace: "ns", existing: stored }), undefined);
    assert.ok(isOwnedBy(stored, "db"));
    assert.ok(!isOwnedBy(stored, "other"));
    // An edit is reverted; extra labels and annotations go (ESO replaces them).
    const edited = { ...stored, metadata: { ...stored.metadata, labels: { l: "2", extra: "x" } } };
    const restored = desiredExternalSecret({ ces, spec, namespace: "ns", existing: edited });
    assert.deepEqual(restored?.metadata?.labels, { l: "1" });
    assert.equal(restored?.metadata?.resourceVersion, "7", "a guarded update");
    // force-sync on the ClusterExternalSecret is copied.
    const forced = desiredExternalSecret({ ces: { ...ces, annotations: { "external-secrets.io/force-sync": "now" } }, spec, namespace: "ns", existing: stored });
    assert.equal(forced?.metadata?.annotations?.["external-secrets.io/force-sync"], "now");
  });

  test("a foreign ExternalSecret is not owned: no controller reference, or another controller", () => {
    assert.ok(!isOwnedBy({ metadata: { name: "db" } }, "db"));
    assert.ok(!isOwnedBy({ metadata: { ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "db", uid: "x", controller: true }] } }, "db"));
    assert.ok(!isOwnedBy({ metadata: { ownerReferences: [{ apiVersion: "external-secrets.io/v1", kind: "ClusterExternalSecret", name: "db", uid: "x" }] } }, "db"), "not the controller");
  });
});

describe("ClusterExternalSecret status", () => {
  const now = new Date("2026-02-01T10:00:00.123Z");
  test("sorted lists, Ready with ESO's message, lastTransitionTime kept while unchanged", () => {
    const failed = new Map([["zz", "external secret already exists in namespace"], ["aa", "boom"]]);
    const s1 = nextCesStatus(undefined, { kind: "provisioned", externalSecretName: "db", provisioned: ["c", "a", "b"], failed }, now);
    assert.deepEqual(s1, {
      externalSecretName: "db",
      failedNamespaces: [{ namespace: "aa", reason: "boom" }, { namespace: "zz", reason: "external secret already exists in namespace" }],
      provisionedNamespaces: ["a", "b", "c"],
      conditions: [{ type: "Ready", status: "False", reason: "NamespacesFailed", message: "one or more namespaces failed", lastTransitionTime: "2026-02-01T10:00:00Z" }],
    });
    const later = new Date("2026-02-01T11:00:00Z");
    const s2 = nextCesStatus(s1, { kind: "provisioned", externalSecretName: "db", provisioned: ["a", "b", "c"], failed }, later);
    assert.ok(cesStatusEqual(s1, s2), "nothing changed: no status write");
    const s3 = nextCesStatus(s2, { kind: "provisioned", externalSecretName: "db", provisioned: ["a"], failed: new Map() }, later);
    assert.deepEqual(s3.conditions, [{ type: "Ready", status: "True", reason: "Provisioned", lastTransitionTime: "2026-02-01T11:00:00Z" }]);
    assert.equal(s3.failedNamespaces, undefined);
    const s4 = nextCesStatus(s3, { kind: "invalid", message: "spec.refreshTime: bad" }, later);
    assert.deepEqual(s4.provisionedNamespaces, ["a"], "an invalid spec keeps the lists");
    assert.equal(s4.conditions[0]?.reason, "InvalidSpec");
  });
});
