// One object's templates share a budget: output and costly crypto are bounded per object, not only
// per key, and the check happens before the strings are built.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderEsoTemplate } from "../../src/template/eso.ts";
import { renderSealedSecretTemplate } from "../../src/template/sealed-secrets.ts";
import { boundedMessage, listSummary } from "../../src/controller/messages.ts";
import { secretDataSize } from "../../src/controller/secret-size.ts";

describe("per-object render budget", () => {
  it("thirty keys of 512 KiB each: the keys past 1 MiB in total fail, quickly, without building them", () => {
    const templateData = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, '{{ repeat 524288 "x" }}']));
    const started = performance.now();
    const rss = process.memoryUsage().rss;
    const out = renderSealedSecretTemplate({ templateData, decrypted: {} });
    assert.ok(performance.now() - started < 3000);
    assert.equal(out.errors.length, 28, "two keys fit in 1 MiB, the other 28 do not");
    assert.match(out.errors[0]?.message ?? "", /exceeds the limit/);
    assert.ok(process.memoryUsage().rss - rss < 64 << 20, "no 15 MiB of output was built");
  });

  it("costly crypto counts across keys", () => {
    const templateData = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, '{{ derivePassword 1 "long" "pw" "user" "site" }}']));
    const out = renderSealedSecretTemplate({ templateData, decrypted: {} });
    assert.equal(out.errors.length, 2, "four derivations per object");
    assert.match(out.errors[0]?.message ?? "", /key generations or password derivations/);
  });

  it("an ExternalSecret template shares one budget over data, metadata and templateFrom", () => {
    assert.throws(
      () => renderEsoTemplate({ data: {}, template: { data: { a: '{{ repeat 700000 "x" }}', b: '{{ repeat 700000 "y" }}' } } }),
      /unable to execute template at key b: .*exceeds the limit/,
    );
    const ok = renderEsoTemplate({ data: {}, template: { data: { a: '{{ repeat 400000 "x" }}', b: '{{ repeat 400000 "y" }}' } } });
    assert.equal(ok.data["b"]?.length, 400000);
  });
});

describe("bounded messages", () => {
  it("cuts long messages and says by how much", () => {
    const m = boundedMessage("x".repeat(5000));
    assert.ok(m.length <= 1024);
    assert.match(m, /more characters\)$/);
    assert.equal(boundedMessage("short"), "short");
  });
  it("summarises long lists as N of M", () => {
    assert.equal(listSummary(["b", "a"]), "a, b");
    assert.match(listSummary(Array.from({ length: 3000 }, (_, i) => `v${i}`)), /^10 of 3000 values: v0, v1, /);
  });
  it("counts a Secret's data as the API server does", () => {
    const size = secretDataSize({ data: { ab: Buffer.from("12345").toString("base64"), c: "" } });
    assert.equal(size.bytes, 2 + 5 + 1);
  });
});
