// Unit tests for the pure parts of the ExternalSecret controller and providers: Go durations, gjson,
// rewrite/convert/decode, plan.ts decisions, read coalescing and Vault token renewal (fake ports).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseGoDuration } from "../../src/api/go-duration.ts";
import { parseExternalSecretSpec } from "../../src/api/external-secret.ts";
import { parseSecretStoreSpec } from "../../src/api/secret-store.ts";
import { compileRe2, convertKey, decodeValue, replaceAllGo, rewriteKeys } from "../../src/controller/external-secret/keys.ts";
import { needsRefresh, nextStatus, parseStatus, statusEqual, syncVersionOf, withOwnRefresh, type EsMeta } from "../../src/controller/external-secret/plan.ts";
import { Coalescer } from "../../src/providers/aws/coalescer.ts";
import { gjsonGet } from "../../src/providers/gjson.ts";
import { AccessDenied } from "../../src/providers/provider.ts";
import { VaultTokenSource } from "../../src/providers/vault/token.ts";
import { buildPath } from "../../src/providers/vault/kv.ts";

describe("Go durations", () => {
  test("valid and invalid", () => {
    assert.equal(parseGoDuration("1h"), 3_600_000);
    assert.equal(parseGoDuration("2h45m30.5s"), 9_930_500);
    assert.equal(parseGoDuration("300ms"), 300);
    assert.equal(parseGoDuration("1.5us"), 0.0015);
    assert.equal(parseGoDuration("0"), 0);
    assert.equal(parseGoDuration("-1m"), -60_000);
    for (const bad of ["", "1", "1d", "h", ".s", "1h 2m"]) assert.throws(() => parseGoDuration(bad), /time:/, bad);
  });
});

describe("gjson", () => {
  const doc = '{"a":{"b":"c","n":1.50,"o":{"x":[1, 2]}},"dotted.key":"d","list":[{"k":"v1"},{"k":"v2"}],"nil":null,"esc":"q\\"t"}';
  test("paths", () => {
    assert.deepEqual(gjsonGet(doc, "a.b"), { exists: true, text: "c" });
    assert.equal(gjsonGet(doc, "a.n").text, "1.50");
    assert.equal(gjsonGet(doc, "a.o").text, '{"x":[1, 2]}');
    assert.equal(gjsonGet(doc, "dotted\\.key").text, "d");
    assert.equal(gjsonGet(doc, "dotted.key").exists, false);
    assert.equal(gjsonGet(doc, "list.1.k").text, "v2");
    assert.equal(gjsonGet(doc, "list.#").text, "2");
    assert.equal(gjsonGet(doc, "list.#.k").text, '["v1","v2"]');
    assert.equal(gjsonGet(doc, "a.?").text, "c");
    assert.equal(gjsonGet(doc, "d*").text, "d");
    assert.deepEqual(gjsonGet(doc, "nil"), { exists: true, text: "" });
    assert.equal(gjsonGet(doc, "esc").text, 'q"t');
    assert.equal(gjsonGet("not json", "a").exists, false);
  });
});

describe("keys: rewrite, conversion, decoding", () => {
  test("Go ReplaceAll semantics", () => {
    assert.equal(replaceAllGo(compileRe2("a*"), "baaac", "X"), "XbXcX");
    assert.equal(replaceAllGo(compileRe2("(?P<n>\\w+)-(\\d)"), "ab-1 cd-2", "${2}_$n$$"), "1_ab$ 2_cd$");
    assert.equal(replaceAllGo(compileRe2("x"), "axb", "$1z"), "ab", "$1z is the (missing) group named 1z");
    assert.deepEqual(Object.keys(rewriteKeys({ "path/a": new Uint8Array(), "path/b": new Uint8Array() }, [{ regexp: { source: "^path/", target: "p-" } }, { transform: { template: "{{ .value | upper }}" } }])), ["P-A", "P-B"]);
    assert.throws(() => compileRe2("(?=x)"), /error parsing regexp/);
  });
  test("conversion and decoding", () => {
    assert.equal(convertKey("a/b c.d-e_f", "Default"), "a_b_c.d-e_f");
    assert.equal(convertKey("a/b", "Unicode"), "a_U002f_b");
    const enc = (s: string) => new TextEncoder().encode(s);
    const dec = (b: Uint8Array) => Buffer.from(b).toString();
    assert.equal(dec(decodeValue(enc("aGVsbG8="), "Base64", "k")), "hello");
    assert.equal(dec(decodeValue(enc("-_-_"), "Base64URL", "k")), Buffer.from("-_-_", "base64url").toString());
    assert.equal(dec(decodeValue(enc("not base64!"), "Auto", "k")), "not base64!");
    assert.throws(() => decodeValue(enc("not base64!"), "Base64", "k"), /illegal base64/);
  });
});

describe("parsing", () => {
  test("ESO defaults and errors", () => {
    const spec = parseExternalSecretSpec({ secretStoreRef: { name: "s" }, data: [{ secretKey: "k", remoteRef: { key: "r" } }] });
    assert.equal(spec.refreshIntervalMs, 3_600_000);
    assert.equal(spec.target.creationPolicy, "Owner");
    assert.equal(spec.target.deletionPolicy, "Retain");
    assert.equal(spec.storeRef?.kind, "SecretStore");
    assert.throws(() => parseExternalSecretSpec({ secretStoreRef: { name: "s" }, refreshInterval: "1d", data: [] }), /refreshInterval: time: unknown unit "d"/);
    assert.throws(() => parseExternalSecretSpec({ secretStoreRef: { name: "s" }, target: { creationPolicy: "Merge", deletionPolicy: "Delete" }, data: [{ secretKey: "k", remoteRef: { key: "r" } }] }), /cannot be used/);
    assert.equal(parseSecretStoreSpec({ provider: { gcpsm: {} } }).provider.kind, "unsupported");
    assert.throws(() => parseSecretStoreSpec({ provider: { vault: { server: "http://v", auth: { ldap: {} } } } }), /ldap is not supported/);
  });
  test("vault paths as ESO builds them", () => {
    assert.equal(buildPath({ path: "secret", version: "v2" }, "app/db"), "secret/data/app/db");
    assert.equal(buildPath({ path: "secret", version: "v2" }, "secret/data/app/db"), "secret/data/app/db");
    assert.equal(buildPath({ path: "kv", version: "v1" }, "kv/app"), "kv/app");
    assert.equal(buildPath({ version: "v2" }, "secret/app"), "secret/data/app");
  });
});

describe("plan", () => {
  const meta: EsMeta = { name: "es", namespace: "ns", uid: "u", generation: 1, labels: {}, annotations: {} };
  const spec = parseExternalSecretSpec({ secretStoreRef: { name: "s" }, refreshInterval: "1m", data: [{ secretKey: "k", remoteRef: { key: "r" } }] });
  const v = syncVersionOf(meta);
  const t0 = new Date("2026-01-01T00:00:00Z");
  const synced = nextStatus({ previous: undefined, outcome: { kind: "synced", targetName: "es" }, syncVersion: v, generation: 1, now: t0 });
  const intact = { exists: true, intact: true };
  test("needsRefresh", () => {
    assert.equal(needsRefresh({ spec, status: undefined, syncVersion: v, target: intact, now: t0 }).refresh, true);
    assert.deepEqual(needsRefresh({ spec, status: synced, syncVersion: v, target: intact, now: new Date(t0.getTime() + 30_000) }), { refresh: false, nextInMs: 30_000 });
    assert.equal(needsRefresh({ spec, status: synced, syncVersion: v, target: intact, now: new Date(t0.getTime() + 60_000) }).refresh, true);
    assert.equal(needsRefresh({ spec, status: synced, syncVersion: v, target: { exists: false, intact: false }, now: t0 }).refresh, true);
    const forced = syncVersionOf({ ...meta, annotations: { "force-sync": "1" } });
    assert.equal(needsRefresh({ spec, status: synced, syncVersion: forced, target: intact, now: t0 }).refresh, true);
    const once = { ...spec, refreshPolicy: "CreatedOnce" as const };
    assert.equal(needsRefresh({ spec: once, status: synced, syncVersion: v, target: intact, now: new Date(t0.getTime() + 3_600_000) }).refresh, false);
  });
  test("a refresh this process made counts while the cached status still lags it", () => {
    const own = { syncVersion: v, refreshTime: t0.toISOString() };
    // The cached copy has no status yet (our status write not seen): no second refresh.
    assert.deepEqual(needsRefresh({ spec, status: withOwnRefresh(undefined, own), syncVersion: v, target: intact, now: new Date(t0.getTime() + 1000) }), { refresh: false, nextInMs: 59_000 });
    // A cached status as new as ours or newer is used as it is.
    const newer = nextStatus({ previous: undefined, outcome: { kind: "synced", targetName: "es" }, syncVersion: v, generation: 1, now: new Date(t0.getTime() + 10_000) });
    assert.equal(withOwnRefresh(newer, own), newer);
    // Ours for another version of the object: that change still refreshes.
    const forced = syncVersionOf({ ...meta, annotations: { "force-sync": "2" } });
    assert.equal(needsRefresh({ spec, status: withOwnRefresh(undefined, own), syncVersion: forced, target: intact, now: t0 }).refresh, true);
    assert.equal(withOwnRefresh(synced, undefined), synced);
  });
  test("nextStatus keeps transition time and the last sync on errors", () => {
    const later = new Date(t0.getTime() + 5000);
    const failed = nextStatus({ previous: synced, outcome: { kind: "error", reason: "ProviderUnavailable", message: "down" }, syncVersion: v, generation: 1, now: later });
    assert.equal(failed.refreshTime, synced.refreshTime);
    assert.equal(failed.conditions[0]?.reason, "SecretSyncedError");
    assert.equal(failed.conditions[0]?.lastTransitionTime, "2026-01-01T00:00:05Z");
    const again = nextStatus({ previous: synced, outcome: { kind: "synced", targetName: "es" }, syncVersion: v, generation: 1, now: later });
    assert.equal(again.conditions[0]?.lastTransitionTime, "2026-01-01T00:00:00Z");
  });
  test("nextStatus records the generation it was made for, on success and on failure", () => {
    assert.equal(synced.observedGeneration, 1);
    const v2 = syncVersionOf({ ...meta, generation: 2 });
    const failed = nextStatus({ previous: synced, outcome: { kind: "error", reason: "ProviderUnavailable", message: "down" }, syncVersion: v2, generation: 2, now: t0 });
    assert.equal(failed.observedGeneration, 2);
    assert.equal(statusEqual(synced, { ...synced, observedGeneration: 2 }), false);
    // A status without the field (ESO's CRD prunes it) is not rewritten for it alone.
    const pruned = { ...synced };
    delete pruned.observedGeneration;
    assert.equal(statusEqual(pruned, synced), true);
    assert.equal(parseStatus(JSON.parse(JSON.stringify(failed)))?.observedGeneration, 2);
  });
});

describe("batching and tokens", () => {
  test("concurrent reads coalesce into batches of at most 20", async () => {
    const batches: number[] = [];
    const c = new Coalescer<string, string>({
      windowMs: 5,
      maxBatch: 20,
      loadBatch: (keys) => {
        batches.push(keys.length);
        return Promise.resolve(new Map(keys.filter((k) => k !== "gone").map((k) => [k, `v-${k}`])));
      },
      missing: (k) => new Error(`missing ${k}`),
    });
    const keys = Array.from({ length: 45 }, (_, i) => `k${i % 44}`);
    const values = await Promise.all(keys.map((k) => c.load(k)));
    assert.equal(values[44], "v-k0");
    assert.deepEqual(batches, [20, 20, 5]); // k0 again after its batch left: read again
    await assert.rejects(c.load("gone"), /missing gone/);
  });

  test("a full batch waits for the reads of its keys made in the same tick; calls in flight are limited", async () => {
    const batches: string[][] = [];
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const c = new Coalescer<string, string>({
      windowMs: 5,
      maxBatch: 3,
      maxInFlight: 2,
      loadBatch: async (keys) => {
        batches.push([...keys]);
        most = Math.max(most, ++inFlight);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        return new Map(keys.map((k) => [k, `v-${k}`]));
      },
      missing: (k) => new Error(`missing ${k}`),
    });
    // "c" fills the first batch; its second read comes right after, in the same tick, and joins it.
    const keys = ["a", "b", "c", "c", "d", "e", "f", "g", "h", "i", "j"];
    const all = Promise.all(keys.map((k) => c.load(k)));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(batches, [["a", "b", "c"], ["d", "e", "f"]], "two calls started, the others wait for a slot");
    while (release.length > 0 || batches.length < 4) {
      release.shift()?.();
      await new Promise((r) => setTimeout(r, 10));
    }
    const values = await all;
    assert.deepEqual(values, keys.map((k) => `v-${k}`));
    assert.deepEqual(batches, [["a", "b", "c"], ["d", "e", "f"], ["g", "h", "i"], ["j"]], "no key read twice");
    assert.equal(most, 2);
  });

  test("vault tokens: one login, renewals at 2/3 TTL, re-login when renewal is capped or refused", async () => {
    let now = 0;
    let logins = 0;
    let renewals = 0;
    let refuse = false;
    const port = {
      renewSelf: () => {
        renewals++;
        if (refuse) return Promise.reject(new AccessDenied("permission denied"));
        return Promise.resolve({ clientToken: "", leaseDuration: renewals > 3 ? 10 : 60, renewable: true });
      },
      read: () => Promise.resolve(undefined),
      list: () => Promise.resolve([]),
      login: () => Promise.reject(new Error("unused")),
      lookupSelf: () => Promise.resolve({ ttl: 0, renewable: false }),
    };
    const tokens = new VaultTokenSource({
      port,
      now: () => now,
      login: () => {
        logins++;
        return Promise.resolve({ clientToken: `t${logins}`, leaseDuration: 60, renewable: true });
      },
    });
    assert.deepEqual(await Promise.all([tokens.token(), tokens.token()]), ["t1", "t1"]);
    for (now = 0; now < 150_000; now += 1000) await tokens.token();
    assert.equal(logins, 1);
    assert.equal(renewals, 3);
    now += 60_000; // fourth renewal is capped (10 s left): log in again
    assert.equal(await tokens.token(), "t2");
    refuse = true;
    now += 50_000;
    assert.equal(await tokens.token(), "t3");
    assert.equal(logins, 3);
  });
});
