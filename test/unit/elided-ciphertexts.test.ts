// What the cache keeps of a SealedSecret or AgeSecret: value names without ciphertexts when status
// records exactly these ciphertexts (source hash) or when they do not fit the budget for objects still
// to be opened, and the object whole otherwise.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAgeSecret } from "../../src/api/age-secret.ts";
import { parseSealedSecret } from "../../src/api/sealed-secret.ts";
import { CiphertextCache, ciphertextsElided, sourceVerified, type SourceReader } from "../../src/controller/decrypted-secret/elided-ciphertexts.ts";
import { sourceHash } from "../../src/controller/decrypted-secret/hashes.ts";
import type { KubeObject } from "../../src/kube/port.ts";

const sealedReader: SourceReader = { parse: parseSealedSecret, view: (s: never) => s };
/** Elides only what status records (an unbounded budget for objects still to be opened). */
const elideCurrentCiphertexts = (raw: KubeObject, reader: SourceReader) => new CiphertextCache(reader, Number.MAX_SAFE_INTEGER).keep(raw);
const FP = "a".repeat(64);

function sealedSecret(values: Record<string, string>, kind = "SealedSecret", apiVersion = "bitnami.com/v1alpha1"): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name: "db", namespace: "ns", uid: "u-1", generation: 1, resourceVersion: "7" },
    spec: { encryptedData: values, template: { metadata: { name: "db", namespace: "ns" }, type: "Opaque" } },
  };
}

function synced(obj: KubeObject, parse: (raw: KubeObject, where: string) => unknown, hashOf = (h: string) => h): KubeObject {
  const hash = sourceHash(parse(obj, "t") as Parameters<typeof sourceHash>[0], [FP]);
  return {
    ...obj,
    status: {
      observedGeneration: 1,
      conditions: [{ type: "Synced", status: "True", reason: "Unsealed", message: "", lastTransitionTime: "2026-12-02T07:00:00Z" }],
      secret: { sourceHash: hashOf(hash), keys: [FP], resourceVersion: "9" },
    },
  };
}

test("a synced SealedSecret is cached with its value names and no ciphertexts; the original is untouched", () => {
  const raw = synced(sealedSecret({ password: "Q".repeat(740), user: "R".repeat(740) }), parseSealedSecret);
  const cached = elideCurrentCiphertexts(raw, sealedReader);
  assert.ok(ciphertextsElided(cached));
  assert.ok(sourceVerified(cached));
  assert.deepEqual((cached["spec"] as { encryptedData: Record<string, string> }).encryptedData, { password: "", user: "" });
  assert.deepEqual((cached["spec"] as { template: unknown }).template, (raw["spec"] as { template: unknown }).template);
  assert.deepEqual(cached["status"], raw["status"]);
  assert.equal((raw["spec"] as { encryptedData: Record<string, string> }).encryptedData["password"], "Q".repeat(740));
  assert.ok(!ciphertextsElided(raw));
});

test("kept whole: no status record, a record of other ciphertexts, an invalid manifest, no values", () => {
  const unsynced = sealedSecret({ password: "Q".repeat(740) });
  assert.equal(elideCurrentCiphertexts(unsynced, sealedReader), unsynced);
  // The spec changed since the record: the hash no longer matches.
  const stale = synced(sealedSecret({ password: "Q".repeat(740) }), parseSealedSecret);
  (stale["spec"] as { encryptedData: Record<string, string> }).encryptedData["password"] = "S".repeat(740);
  assert.equal(elideCurrentCiphertexts(stale, sealedReader), stale);
  const wrongHash = synced(sealedSecret({ password: "Q".repeat(740) }), parseSealedSecret, () => "0".repeat(64));
  assert.equal(elideCurrentCiphertexts(wrongHash, sealedReader), wrongHash);
  const invalid: KubeObject = { ...wrongHash, spec: { encryptedData: { password: 42 } } };
  assert.equal(elideCurrentCiphertexts(invalid, sealedReader), invalid);
  const empty = synced(sealedSecret({}), parseSealedSecret);
  assert.equal(elideCurrentCiphertexts(empty, sealedReader), empty);
  for (const obj of [unsynced, stale, wrongHash, invalid, empty]) assert.ok(!ciphertextsElided(obj));
});

test("an AgeSecret is elided the same way", () => {
  const raw = synced(sealedSecret({ token: "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n" }, "AgeSecret", "sealbridge.dev/v1alpha1"), parseAgeSecret);
  const cached = elideCurrentCiphertexts(raw, { parse: parseAgeSecret, view: (s: never) => s });
  assert.ok(ciphertextsElided(cached));
  assert.deepEqual((cached["spec"] as { encryptedData: Record<string, string> }).encryptedData, { token: "" });
});

test("a reader that throws leaves the object whole (the watch that delivered it goes on)", () => {
  const raw = synced(sealedSecret({ password: "Q".repeat(740) }), parseSealedSecret);
  const throwing = { parse: () => { throw new TypeError("unexpected"); }, view: (s: never) => s };
  assert.equal(elideCurrentCiphertexts(raw, throwing), raw);
  assert.ok(!ciphertextsElided(raw));
});

test("objects still to be opened keep their ciphertexts within the budget; beyond it they are cached without (unverified)", () => {
  const cache = new CiphertextCache(sealedReader, 2000);
  const named = (name: string) => {
    const o = sealedSecret({ password: "Q".repeat(740) });
    return { ...o, metadata: { ...o.metadata, name } };
  };
  const a = named("a");
  const b = named("b");
  const c = named("c");
  assert.equal(cache.keep(a), a);
  assert.equal(cache.keep(b), b);
  assert.equal(cache.bytes, 1480);
  const cOut = cache.keep(c);
  assert.ok(ciphertextsElided(cOut) && !sourceVerified(cOut), "over budget: no ciphertexts, and not current");
  assert.equal(cache.bytes, 1480);
  // A new version of "a" replaces the old one's share; a deletion frees it.
  assert.equal(cache.keep(named("a")).metadata?.name, "a");
  assert.equal(cache.bytes, 1480);
  cache.release("ns/b");
  assert.equal(cache.bytes, 740);
  assert.equal(cache.keep(named("c")).metadata?.name, "c");
  assert.ok(!ciphertextsElided(cache.keep(named("c"))));
  assert.equal(cache.bytes, 1480);
  // Once synced, an object leaves the budget (its copy keeps no ciphertexts).
  const syncedA = synced(named("a"), parseSealedSecret);
  assert.ok(sourceVerified(cache.keep(syncedA)));
  assert.equal(cache.bytes, 740);
});
