// Event names stay valid DNS subdomains for objects with names up to the 253-character limit.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { eventName } from "../../src/controller/events.ts";

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe("eventName", () => {
  it("is the object name and the hex time, as client-go names events", () => {
    assert.equal(eventName("app", 0x1234n), "app.1234");
  });

  it("shortens long object names to keep within 253 characters, never ending the base in - or .", () => {
    for (const name of ["a".repeat(253), `${"a".repeat(235)}-b${"c".repeat(16)}`, `${"x.".repeat(126)}y`, `${"a".repeat(236)}-${"b".repeat(16)}`]) {
      const n = eventName(name, 0x18b4a3c2d1e0f000n);
      assert.ok(n.length <= 253, `${n.length}`);
      assert.match(n, DNS_SUBDOMAIN);
    }
  });
});
