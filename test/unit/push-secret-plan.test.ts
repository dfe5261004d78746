// PushSecret's pure parts: spec parsing (ESO defaults, bounds, unsupported fields), the push
// decision with the clock passed in, desired/stale entries for deletionPolicy Delete, the next
// status (ESO's reasons and messages), and the values pushed (ESO's JSON of the whole Secret,
// property merges).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SpecError } from "../../src/api/eso-fields.ts";
import { parsePushSecretSpec, statusRef, syncedEntry } from "../../src/api/push-secret.ts";
import { desiredSynced, mergeSynced, needsPush, nextPushStatus, parsePushStatus, pushStatusEqual, staleEntries, statusObject } from "../../src/controller/push-secret/plan.ts";
import { setJsonProperty } from "../../src/providers/json-property.ts";
import { InvalidProviderConfig, InvalidSecretValue } from "../../src/providers/provider.ts";
import { metadataTags, pushMetadataSpec, pushValue } from "../../src/providers/push-value.ts";

const base = { secretStoreRefs: [{ name: "aws" }], selector: { secret: { name: "src" } } };
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => Buffer.from(b).toString("utf8");

describe("PushSecret spec", () => {
  test("ESO's defaults: refresh 1h, Replace, None, SecretStore kind", () => {
    const spec = parsePushSecretSpec({ ...base, data: [{ match: { secretKey: "k", remoteRef: { remoteKey: "r", property: "p" } } }] });
    assert.equal(spec.refreshIntervalMs, 3_600_000);
    assert.equal(spec.updatePolicy, "Replace");
    assert.equal(spec.deletionPolicy, "None");
    assert.deepEqual(spec.secretStoreRefs, [{ kind: "SecretStore", name: "aws" }]);
    assert.equal(spec.sourceSecret, "src");
    assert.deepEqual(spec.data, [{ secretKey: "k", remoteKey: "r", property: "p", conversionStrategy: "None" }]);
    assert.equal(parsePushSecretSpec({ ...base, refreshInterval: "0s" }).refreshIntervalMs, 0);
  });

  test("bad and unsupported input names the field", () => {
    const bad = (spec: unknown, re: RegExp) => assert.throws(() => parsePushSecretSpec(spec), (e: unknown) => e instanceof SpecError && re.test(e.message));
    bad({ selector: base.selector }, /secretStoreRefs needs at least one store/);
    bad({ ...base, secretStoreRefs: [{ kind: "SecretStore" }] }, /one of name or labelSelector is required/);
    bad({ ...base, selector: { generatorRef: { kind: "Password", name: "p" } } }, /generatorRef is not supported/);
    bad({ ...base, selector: { secret: { selector: { matchLabels: { a: "b" } } } } }, /label-selected source\) is not supported/);
    bad({ ...base, dataTo: [{ storeRef: { name: "aws" } }] }, /spec\.dataTo is not supported/);
    bad({ ...base, updatePolicy: "Always" }, /updatePolicy must be one of Replace, IfNotExists/);
    bad({ ...base, refreshInterval: "soon" }, /spec\.refreshInterval/);
    bad({ ...base, data: [{ match: { remoteRef: {} } }] }, /remoteRef\.remoteKey is required/);
    bad({ ...base, data: [{ match: { remoteRef: { remoteKey: "x".repeat(2049) } } }] }, /at most 2048/);
    bad({ ...base, data: [{ match: { remoteRef: { remoteKey: "r" } }, conversionStrategy: "ReverseUnicode" }] }, /ReverseUnicode is not supported/);
    bad({ ...base, data: Array.from({ length: 501 }, (_, i) => ({ match: { remoteRef: { remoteKey: `r${i}` } } })) }, /at most 500/);
    bad({ ...base, data: [{ match: { remoteRef: { remoteKey: "r" } } }, { match: { secretKey: "x", remoteRef: { remoteKey: "r" } } }] }, /appears twice/);
  });

  test("status entries are keyed and shaped as ESO writes them", () => {
    assert.equal(statusRef({ remoteKey: "a/b", property: "p" }), "a/b/p");
    assert.equal(statusRef({ remoteKey: "a/b" }), "a/b");
    assert.deepEqual(syncedEntry({ remoteKey: "r", conversionStrategy: "None" }), { match: { remoteRef: { remoteKey: "r" } }, conversionStrategy: "None" });
  });
});

describe("PushSecret plan", () => {
  const spec = parsePushSecretSpec({ ...base, data: [{ match: { secretKey: "a", remoteRef: { remoteKey: "ra" } } }, { match: { secretKey: "b", remoteRef: { remoteKey: "rb", property: "x" } } }] });
  const now = new Date("2025-01-01T01:00:00Z");
  const synced = (over: Partial<Parameters<typeof nextPushStatus>[0]> = {}) =>
    nextPushStatus({ previous: undefined, outcome: { kind: "synced", synced: desiredSynced(spec.data, ["SecretStore/aws"]), sourceVersion: "10" }, syncVersion: "1-h", updatePolicy: "Replace", now: new Date("2025-01-01T00:30:00Z"), ...over });

  test("needsPush: never synced, changed PushSecret, new source version, failed last push, interval", () => {
    assert.deepEqual(needsPush({ spec, status: undefined, syncVersion: "1-h", sourceVersion: "10", now }), { push: true, why: "never synced" });
    const status = synced();
    assert.deepEqual(needsPush({ spec, status, syncVersion: "2-h", sourceVersion: "10", now }), { push: true, why: "PushSecret changed" });
    assert.deepEqual(needsPush({ spec, status, syncVersion: "1-h", sourceVersion: "11", now }), { push: true, why: "source Secret changed" });
    assert.deepEqual(needsPush({ spec, status, syncVersion: "1-h", sourceVersion: "10", now }), { push: false, nextInMs: 30 * 60_000 });
    assert.deepEqual(needsPush({ spec, status, syncVersion: "1-h", sourceVersion: "10", now: new Date("2025-01-01T01:30:00Z") }), { push: true, why: "refresh interval elapsed" });
    const failed = nextPushStatus({ previous: status, outcome: { kind: "error", reason: "AccessDenied", message: "no", synced: status.syncedPushSecrets }, syncVersion: "1-h", updatePolicy: "Replace", now });
    assert.deepEqual(needsPush({ spec, status: failed, syncVersion: "1-h", sourceVersion: "10", now }), { push: true, why: "last push failed" });
    assert.deepEqual(needsPush({ spec: { ...spec, refreshIntervalMs: 0 }, status, syncVersion: "1-h", sourceVersion: "10", now: new Date("2030-01-01T00:00:00Z") }), { push: false, nextInMs: undefined });
  });

  test("status: Synced / Errored / SourceDeleted with ESO's messages; lastTransitionTime kept while the status holds", () => {
    const ok = synced();
    assert.deepEqual(ok.conditions, [{ type: "Ready", status: "True", reason: "Synced", message: "PushSecret synced successfully", lastTransitionTime: "2025-01-01T00:30:00Z" }]);
    assert.equal(ok.refreshTime, "2025-01-01T00:30:00Z");
    assert.equal(ok.sourceResourceVersion, "10");
    assert.deepEqual(Object.keys(ok.syncedPushSecrets["SecretStore/aws"] ?? {}), ["ra", "rb/x"]);
    assert.equal(synced({ updatePolicy: "IfNotExists" }).conditions[0]?.message, "PushSecret synced successfully. Existing secrets in providers unchanged.");
    const again = synced({ previous: ok, now });
    assert.equal(again.conditions[0]?.lastTransitionTime, "2025-01-01T00:30:00Z");
    const err = nextPushStatus({ previous: ok, outcome: { kind: "error", reason: "RemoteSecretNotOwned", message: "secret x: not managed", synced: ok.syncedPushSecrets }, syncVersion: "1-h", updatePolicy: "Replace", now });
    assert.deepEqual(err.conditions[0], { type: "Ready", status: "False", reason: "Errored", message: "RemoteSecretNotOwned: secret x: not managed", lastTransitionTime: "2025-01-01T01:00:00Z" });
    assert.equal(err.refreshTime, ok.refreshTime, "a failure keeps the last refresh");
    const gone = nextPushStatus({ previous: ok, outcome: { kind: "sourceDeleted" }, syncVersion: "1-h", updatePolicy: "Replace", now });
    assert.equal(gone.conditions[0]?.reason, "SourceDeleted");
    assert.deepEqual(statusObject(gone)["syncedPushSecrets"], undefined, "an empty map is omitted");
    assert.ok(pushStatusEqual(parsePushStatus(JSON.parse(JSON.stringify(statusObject(ok)))), ok), "round trip through the API server's JSON");
    assert.ok(!pushStatusEqual(ok, err));
  });

  test("stale entries: a removed entry, a removed store; merge keeps older entries under newer ones", () => {
    const previous = { "SecretStore/aws": { ra: { a: 1 }, "rb/x": { b: 1 } }, "ClusterSecretStore/old": { z: { z: 1 } } };
    const desired = { "SecretStore/aws": { ra: { a: 2 } } };
    assert.deepEqual(staleEntries(previous, desired).map((s) => `${s.storeKey} ${s.ref}`), ["SecretStore/aws rb/x", "ClusterSecretStore/old z"]);
    assert.deepEqual(staleEntries(previous, previous), []);
    assert.deepEqual(mergeSynced(desired, previous), { "SecretStore/aws": { ra: { a: 2 }, "rb/x": { b: 1 } }, "ClusterSecretStore/old": { z: { z: 1 } } });
  });
});

describe("pushed values", () => {
  const data = { b: bytes("2"), a: bytes("<&>\u2028\u0001") };

  test("one key as bytes; the whole Secret as Go's JSON (keys sorted, HTML not escaped, U+2028 escaped); base64 for Parameter Store's default", () => {
    assert.equal(text(pushValue({ ref: { remoteKey: "r" }, secretKey: "b", data })), "2");
    assert.equal(text(pushValue({ ref: { remoteKey: "r" }, data })), '{"a":"<&>\\u2028\\u0001","b":"2"}');
    assert.equal(text(pushValue({ ref: { remoteKey: "r" }, data: { k: bytes("v") } }, "base64")), '{"k":"dg=="}');
    assert.throws(() => pushValue({ ref: { remoteKey: "r" }, secretKey: "nope", data }), (e: unknown) => e instanceof InvalidSecretValue && /secret key nope does not exist/.test(e.message));
  });

  test("property: one field set (nested, escaped dots), the others kept; a non-JSON remote is refused without quoting it", () => {
    assert.equal(text(setJsonProperty('{"keep":1,"user":"old"}', "user", bytes("new"))), '{"keep":1,"user":"new"}');
    assert.equal(text(setJsonProperty("", "a.b", bytes("v"))), '{"a":{"b":"v"}}');
    assert.equal(text(setJsonProperty("{}", "a\\.b", bytes("v"))), '{"a.b":"v"}');
    assert.equal(text(setJsonProperty("{}", "__proto__", bytes("v"))), '{"__proto__":"v"}');
    assert.throws(() => setJsonProperty("plain secret text", "p", bytes("v")), (e: unknown) => e instanceof InvalidSecretValue && !e.message.includes("plain secret text"));
  });

  test("metadata: apiVersion, kind and fields checked as ESO does; managed-by may not be set", () => {
    const meta = (spec: unknown) => ({ apiVersion: "kubernetes.external-secrets.io/v1alpha1", kind: "PushSecretMetadata", spec });
    assert.deepEqual(pushMetadataSpec(undefined, ["tags"], "x"), {});
    assert.deepEqual(pushMetadataSpec(meta({ tags: { a: "b" } }), ["tags"], "x"), { tags: { a: "b" } });
    const refused = (raw: unknown, re: RegExp) => assert.throws(() => pushMetadataSpec(raw, ["tags"], "AWS"), (e: unknown) => e instanceof InvalidProviderConfig && re.test(e.message));
    refused({ ...meta({}), apiVersion: "v1" }, /unexpected apiVersion/);
    refused({ ...meta({}), kind: "Other" }, /unexpected kind/);
    refused(meta({ replicationLocations: [] }), /replicationLocations is not supported by sealbridge for AWS/);
    assert.throws(() => metadataTags({ tags: { "managed-by": "me" } }), /Cannot specify a 'managed-by' tag/);
  });
});
