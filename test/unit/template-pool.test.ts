// Templates render on their own thread: the event loop keeps ticking while a template generates
// keys, a render past its deadline is stopped with a reason, errors come back as TemplateErrors.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { TemplateError } from "../../src/template/errors.ts";
import { EsoTemplateError } from "../../src/template/eso.ts";
import { TemplatePool, TemplateRenderStopped } from "../../src/controller/templates/pool.ts";

describe("TemplatePool", () => {
  const pool = new TemplatePool({ deadlineMs: 20_000 });
  after(() => pool.close());

  it("renders like renderSealedSecretTemplate, with the reconcile's clock", async () => {
    const out = await pool.renderSealed({
      templateData: { url: "postgres://app:{{ .password }}@db", year: '{{ now | date "2006" }}', bad: "{{ .password | mustFromJson }}" },
      decrypted: { password: new Uint8Array(Buffer.from("s3cret")) },
      now: new Date("2031-05-06T07:08:09Z"),
    });
    assert.equal(Buffer.from(out.data["url"] ?? []).toString(), "postgres://app:s3cret@db");
    assert.equal(Buffer.from(out.data["year"] ?? []).toString(), "2031");
    assert.equal(out.errors.length, 1);
    const e = out.errors[0]?.error;
    assert.ok(e instanceof TemplateError);
    assert.equal(e.phase, "exec");
    assert.equal(e.line, 1);
  });

  it("renders ExternalSecret templates, failures as EsoTemplateError with a safe message", async () => {
    const out = await pool.renderEso({ template: { data: { dsn: "u:{{ .pw }}" }, templateFrom: [] }, data: { pw: new Uint8Array(Buffer.from("p1")) }, now: new Date() });
    assert.equal(out.data["dsn"], "u:p1");
    await assert.rejects(
      pool.renderEso({ template: { data: { k: "{{ fail .pw }}" }, templateFrom: [] }, data: { pw: "canary-value" }, now: new Date() }),
      (e: unknown) => e instanceof EsoTemplateError && e.key === "k" && !e.message.includes("canary-value") && /fail failed/.test(e.message),
    );
  });

  it("keeps the event loop free while a template generates keys", async () => {
    let ticks = 0;
    let worst = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
      ticks++;
    }, 20);
    try {
      const out = await pool.renderSealed({ templateData: Object.fromEntries([0, 1, 2, 3].map((i) => [`k${i}`, '{{ genPrivateKey "rsa" | len }}'])), decrypted: {}, now: new Date() });
      assert.equal(out.errors.length, 0);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 3, `${ticks} ticks`);
    assert.ok(worst < 500, `the event loop stalled for ${worst.toFixed(0)} ms`);
  });

  it("stops a render past its deadline, and the next render gets a fresh thread", async () => {
    const short = new TemplatePool({ deadlineMs: 100 });
    try {
      await assert.rejects(
        short.renderSealed({ templateData: { k: '{{ range until 4 }}{{ genPrivateKey "rsa" | len }}{{ end }}' }, decrypted: {}, now: new Date() }),
        (e: unknown) => e instanceof TemplateRenderStopped && e.why === "timeout" && /longer than 0.1 s/.test(e.message),
      );
      const out = await short.renderSealed({ templateData: { k: "ok" }, decrypted: {}, now: new Date() });
      assert.equal(Buffer.from(out.data["k"] ?? []).toString(), "ok");
      assert.equal(short.spawns, 2);
    } finally {
      await short.close();
    }
  });
});
