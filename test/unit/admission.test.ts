// Admission of /v1/verify and /v1/rotate: a cap in flight, a token bucket per client, 429 with
// Retry-After before the body is read, and the probes unaffected.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientOf, RequestAdmission } from "../../src/server/admission.ts";
import { startApiServer } from "../../src/server/http.ts";
import { createLogger } from "../../src/log.ts";
import { Writable } from "node:stream";

describe("RequestAdmission", () => {
  it("admits a burst per client, then the sustained rate, with a Retry-After", () => {
    let now = 0;
    const a = new RequestAdmission({ maxInFlight: 100, perClientRate: 2, perClientBurst: 3 }, () => now);
    const results = Array.from({ length: 5 }, () => a.admit("c1"));
    assert.deepEqual(results.map((r) => r.admitted), [true, true, true, false, false]);
    const refused = results[3];
    assert.ok(refused && !refused.admitted && refused.why === "rate" && refused.retryAfterSeconds === 1);
    assert.equal(a.admit("c2").admitted, true, "another client has its own bucket");
    now += 500; // one token back at 2/s
    assert.equal(a.admit("c1").admitted, true);
    assert.equal(a.admit("c1").admitted, false);
  });

  it("caps requests in flight for all clients together and frees a slot on release", () => {
    const a = new RequestAdmission({ maxInFlight: 2, perClientRate: 100, perClientBurst: 100 }, () => 0);
    const first = a.admit("a");
    const second = a.admit("b");
    const third = a.admit("c");
    assert.ok(first.admitted && second.admitted);
    assert.ok(!third.admitted && third.why === "busy");
    first.release();
    first.release(); // twice counts once
    assert.equal(a.active, 1);
    assert.equal(a.admit("c").admitted, true);
    assert.equal(a.admit("d").admitted, false);
  });

  it("names the client by the peer and the proxy's last X-Forwarded-For entry", () => {
    assert.equal(clientOf(undefined, "10.0.0.1"), "10.0.0.1");
    assert.equal(clientOf("1.1.1.1, 2.2.2.2", "10.0.0.1"), "10.0.0.1 for 2.2.2.2");
    assert.equal(clientOf(["9.9.9.9", "3.3.3.3"], "10.0.0.1"), "10.0.0.1 for 3.3.3.3");
    assert.equal(clientOf(" , ", undefined), "unknown");
  });
});

describe("API server admission", () => {
  it("answers 429 with Retry-After past the caps while /healthz stays fast", async () => {
    const log = createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, done) => done() }) });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    const server = await startApiServer({
      log,
      addr: "127.0.0.1:0",
      admission: { maxInFlight: 2, perClientRate: 1, perClientBurst: 5 },
      handlers: {
        verify: async () => {
          handled++;
          await gate;
          return { status: 200, contentType: "text/plain", body: "ok\n" };
        },
      },
    });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const posts = Array.from({ length: 8 }, () => fetch(`${url}/v1/verify`, { method: "POST", body: "{}" }).then(async (r) => ({ status: r.status, retry: r.headers.get("retry-after"), body: await r.text() })));
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      assert.ok(Date.now() - started < 1000, "/healthz answers while verify is busy");
      release();
      const answers = await Promise.all(posts);
      const ok = answers.filter((a) => a.status === 200).length;
      const limited = answers.filter((a) => a.status === 429);
      assert.equal(ok, 2, "two in flight at most");
      assert.equal(handled, 2);
      assert.equal(limited.length, 6);
      for (const a of limited) {
        assert.ok(Number(a.retry) >= 1);
        assert.match(a.body, /too many requests/);
      }
    } finally {
      await server.close();
    }
  });
});
