// The leader gate, which lives in the HTTP adapter (HttpKube's mayWrite): asked as each write
// leaves the rate limiter, refusing with NotLeader, logging what it lets through. Against a
// loopback HTTP server that records what reached it.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { Writable } from "node:stream";
import { after, before, test } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { resources } from "../../src/api/resources.ts";
import { ClientNodeKube } from "../../src/kube/client-node-adapter.ts";
import { connectionFor } from "../../src/kube/connection.ts";
import { HttpKube, type HttpKubeOptions } from "../../src/kube/http-kube.ts";
import { KubeApiError } from "../../src/kube/port.ts";
import { createLogger } from "../../src/log.ts";

const secret = (name: string) => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "app" }, data: { password: "c2VjcmV0" } });
const serviceAccounts = { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
const pods = { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true };

/** What reached the server: "METHOD path" (query dropped). */
let received: string[] = [];
const created = new Set<string>();
let server: Server;
let url = "";

before(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    received.push(`${req.method} ${path}`);
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.url?.includes("watch=1")) return res.end();
      if (req.method === "GET") return res.end(path.endsWith("/secrets") ? JSON.stringify({ items: [], metadata: { resourceVersion: "1" } }) : JSON.stringify(secret("a")));
      if (path.endsWith("/token")) return res.writeHead(201).end(JSON.stringify({ kind: "TokenRequest", status: { token: "t" } }));
      if (req.method === "POST") {
        const name = (JSON.parse(body) as { metadata: { name: string } }).metadata.name;
        if (created.has(name)) return res.writeHead(409).end(JSON.stringify({ kind: "Status", reason: "AlreadyExists", message: `secrets "${name}" already exists` }));
        created.add(name);
      }
      res.end(body || "{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  url = `http://127.0.0.1:${address.port}`;
});
after(() => server.close());

async function kube(options: HttpKubeOptions): Promise<HttpKube> {
  received = [];
  created.clear();
  return new HttpKube(await connectionFor({ contextName: "c", clusterName: "c", userName: "u", cluster: { server: url }, user: {} }), options);
}

function refusedAsNotLeader(err: unknown): boolean {
  assert.ok(err instanceof KubeApiError);
  assert.equal(err.reason, "NotLeader");
  assert.equal(err.retryable, true);
  assert.match(err.message, /does not hold the leader lease/);
  assert.doesNotMatch(err.message, /c2VjcmV0|secret-value/, "no object content in the message");
  return true;
}

test("a closed gate refuses every mutating call before it reaches the server", async () => {
  const k = await kube({ mayWrite: () => false });
  const writes: (() => Promise<unknown>)[] = [
    () => k.create(resources.secret, secret("a")),
    () => k.replace(resources.secret, secret("a")),
    () => k.replaceStatus(resources.sealedSecret, { metadata: { name: "a", namespace: "app" } }),
    () => k.patch(resources.secret, "app", "a", { metadata: { labels: { x: "y" } } }, "merge"),
    () => k.delete(resources.secret, "app", "a"),
    () => k.createSubresource(pods, "app", "p", "eviction", {}),
    () => k.request("POST", "/api/v1/namespaces/app/secrets", secret("raw")),
  ];
  for (const write of writes) await assert.rejects(write(), refusedAsNotLeader);
  assert.deepEqual(received, [], "nothing was sent");
  assert.deepEqual(k.requests, {}, "refused writes are not counted as requests made");
  await k.close();
});

test("reads, watches and TokenRequest pass a closed gate", async () => {
  const k = await kube({ mayWrite: () => false });
  assert.equal((await k.get(resources.secret, "app", "a"))?.metadata?.name, "a");
  assert.equal((await k.list(resources.secret)).length, 0);
  await k.watch(resources.secret, { resourceVersion: "1", timeoutSeconds: 1, signal: new AbortController().signal }, () => undefined);
  assert.equal((await k.createSubresource(serviceAccounts, "app", "sa", "token", { spec: {} })).kind, "TokenRequest");
  assert.deepEqual(received, ["GET /api/v1/namespaces/app/secrets/a", "GET /api/v1/secrets", "GET /api/v1/secrets", "POST /api/v1/namespaces/app/serviceaccounts/sa/token"]);
  await k.close();
});

test("the gate is asked as the write leaves the rate limiter: a write that waited is refused if leadership ended meanwhile", async () => {
  let leading = true;
  const asked: string[] = [];
  const k = await kube({
    writeQps: 2,
    writeBurst: 1,
    mayWrite: () => {
      asked.push(`asked with ${received.length} requests received`);
      return leading;
    },
  });
  await k.create(resources.secret, secret("a"));
  // The bucket is empty: this write waits ~500 ms for a token; leadership ends while it waits.
  const waiting = k.create(resources.secret, secret("b"));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(asked, ["asked with 0 requests received"], "not asked while the write waits in the rate limiter");
  leading = false;
  await assert.rejects(waiting, refusedAsNotLeader);
  leading = true;
  await k.delete(resources.secret, "app", "a");
  assert.deepEqual(received, ["POST /api/v1/namespaces/app/secrets", "DELETE /api/v1/namespaces/app/secrets/a"]);
  assert.deepEqual(asked, ["asked with 0 requests received", "asked with 1 requests received", "asked with 1 requests received"]);
  assert.ok(k.writes.throttled >= 1);
  await k.close();
});

test("an open gate logs each write it lets through (kind and name, never content); errors pass unchanged", async () => {
  const lines: string[] = [];
  const log = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    }),
  });
  const k = await kube({ mayWrite: () => true, log });
  await k.create(resources.secret, secret("a"));
  await assert.rejects(k.create(resources.secret, secret("a")), (err: unknown) => err instanceof KubeApiError && err.reason === "AlreadyExists");
  await k.createSubresource(serviceAccounts, "app", "sa", "token", { spec: {} });
  const admitted = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["msg"] === "write admitted");
  assert.deepEqual(admitted.map((l) => [l["write"], l["resource"], l["namespace"], l["name"]]), [
    ["create", "secrets", "app", "a"],
    ["create", "secrets", "app", "a"],
  ], "TokenRequest is not gated, so not logged as admitted");
  assert.ok(lines.every((l) => !l.includes("c2VjcmV0")), "no content logged");
  await k.close();
});

test("the client-node adapter (exec and auth-provider users) is the same adapter, so the same gate", async () => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: url, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  received = [];
  const k = new ClientNodeKube(kc, { mayWrite: () => false });
  await assert.rejects(k.create(resources.secret, secret("a")), refusedAsNotLeader);
  assert.equal((await k.get(resources.secret, "app", "a"))?.metadata?.name, "a");
  assert.deepEqual(received, ["GET /api/v1/namespaces/app/secrets/a"]);
  await k.close();
});
