// HttpKube over HTTP/2 (src/kube/http2-client.ts): requests share one HTTP/2 session to an https
// server, watches keep HTTP/1.1 connections of their own, a server without h2 gets HTTP/1.1, and a
// request the server never answers ends in Timeout without stopping the next one.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectionFor } from "../../src/kube/connection.ts";
import { HttpKube } from "../../src/kube/http-kube.ts";
import { KubeApiError, type Resource } from "../../src/kube/port.ts";

const configMaps: Resource = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true };

let key = "";
let cert = "";
let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "sealbridge-h2-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
  key = readFileSync(join(dir, "key.pem"), "utf8");
  cert = readFileSync(join(dir, "cert.pem"), "utf8");
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  method: string;
  path: string;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** Answers like a tiny API server: GET echoes a ConfigMap, POST returns the body, watch streams two events. */
function handler(seen: Seen[]) {
  return (req: Request, answer: Response) => {
    // Both answer types take these calls alike (the union's overloads do not type-check as one).
    const res = answer as ServerResponse;
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      const path = req.url ?? "";
      seen.push({ method: req.method ?? "", path, httpVersion: req.httpVersion, headers: { ...req.headers }, body });
      if (path.startsWith("/hang")) return; // never answers
      res.setHeader("content-type", "application/json");
      if (path.includes("watch=1")) {
        res.write(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: "a", namespace: "x", resourceVersion: "1" } } })}\n`);
        res.end(`${JSON.stringify({ type: "MODIFIED", object: { metadata: { name: "a", namespace: "x", resourceVersion: "2" } } })}\n`);
        return;
      }
      if (req.method === "POST") {
        res.statusCode = 201;
        res.end(body);
        return;
      }
      res.end(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: path.split("/").pop(), namespace: "x", managedFields: [{ manager: "m" }] }, data: { k: "v".repeat(200_000) } }));
    });
  };
}

async function listening(server: { listen(port: number, host: string, cb: () => void): unknown; address(): AddressInfo | string | null }): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return `https://127.0.0.1:${address.port}`;
}

async function kubeFor(server: string, options: ConstructorParameters<typeof HttpKube>[1] = {}, user: Record<string, unknown> = { token: "t0k" }): Promise<HttpKube> {
  const connection = await connectionFor({ contextName: "c", clusterName: "c", userName: "u", cluster: { server, "certificate-authority-data": Buffer.from(cert).toString("base64") }, user });
  return new HttpKube(connection, options);
}

describe("HttpKube over HTTP/2", () => {
  const seen: Seen[] = [];
  let server: ReturnType<typeof createSecureServer>;
  let url = "";
  before(async () => {
    server = createSecureServer({ key, cert, allowHTTP1: true }, handler(seen));
    url = await listening(server);
  });
  after(() => server.close());

  it("sends requests as HTTP/2 streams on one connection, with the auth and impersonation headers", async () => {
    seen.length = 0;
    const sessions = new Set<unknown>();
    const onSession = (s: unknown) => sessions.add(s);
    server.on("session", onSession);
    const kube = await kubeFor(url, {}, { token: "t0k", as: "jane", "as-groups": ["devs", "ops"] });
    try {
      const [a, b] = await Promise.all([kube.get(configMaps, "x", "a"), kube.get(configMaps, "x", "b")]);
      assert.equal(a?.metadata?.name, "a");
      assert.equal(b?.metadata?.name, "b");
      assert.equal(a?.metadata?.managedFields, undefined, "managedFields dropped as over HTTP/1.1");
      assert.equal((a?.["data"] as Record<string, string>)["k"]?.length, 200_000, "a body larger than the stream window arrives whole");
      const created = await kube.create(configMaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "x" }, data: { k: "v" } });
      assert.equal(created.metadata?.name, "c");
    } finally {
      await kube.close();
      server.off("session", onSession);
    }
    assert.deepEqual(seen.map((s) => s.httpVersion), ["2.0", "2.0", "2.0"]);
    assert.equal(sessions.size, 1, "one HTTP/2 connection for all three requests");
    assert.equal(seen[0]?.headers["authorization"], "Bearer t0k");
    assert.equal(seen[0]?.headers["impersonate-user"], "jane");
    const groups = seen[0]?.headers["impersonate-group"];
    assert.deepEqual(Array.isArray(groups) ? groups : String(groups).split(", "), ["devs", "ops"]);
    assert.equal(seen[2]?.method, "POST");
    assert.equal((JSON.parse(seen[2]?.body ?? "{}") as { metadata?: { name?: string } }).metadata?.name, "c");
  });

  it("keeps watches on HTTP/1.1 connections of their own", async () => {
    seen.length = 0;
    const kube = await kubeFor(url);
    const events: string[] = [];
    try {
      await kube.watch(configMaps, { namespace: "x", resourceVersion: "0", timeoutSeconds: 5, signal: new AbortController().signal }, (e) => events.push(`${e.type} ${e.object.metadata?.resourceVersion}`));
    } finally {
      await kube.close();
    }
    assert.deepEqual(events, ["ADDED 1", "MODIFIED 2"]);
    assert.equal(seen[0]?.httpVersion, "1.1");
  });

  it("a request the server never answers ends in Timeout; the next one is answered", async () => {
    const kube = await kubeFor(url, { requestTimeoutMs: 300 });
    try {
      await assert.rejects(kube.request("GET", "/hang"), (err: unknown) => err instanceof KubeApiError && err.reason === "Timeout" && /no answer within 300 ms|not read within 300 ms/.test(err.message));
      const a = await kube.get(configMaps, "x", "after");
      assert.equal(a?.metadata?.name, "after");
    } finally {
      await kube.close();
    }
  });

  it("after a GOAWAY, the next request opens a new session", async () => {
    seen.length = 0;
    const sessions: { goaway(): void }[] = [];
    const onSession = (s: { goaway(): void }) => sessions.push(s);
    server.on("session", onSession);
    const kube = await kubeFor(url);
    try {
      assert.equal((await kube.get(configMaps, "x", "one"))?.metadata?.name, "one");
      sessions[0]?.goaway();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await kube.get(configMaps, "x", "two"))?.metadata?.name, "two");
    } finally {
      await kube.close();
      server.off("session", onSession);
    }
    assert.equal(sessions.length, 2);
  });

  it("http2: false keeps every request on HTTP/1.1", async () => {
    seen.length = 0;
    const kube = await kubeFor(url, { http2: false });
    try {
      await kube.get(configMaps, "x", "a");
    } finally {
      await kube.close();
    }
    assert.equal(seen[0]?.httpVersion, "1.1");
  });
});

describe("HttpKube to a server that never finishes the TLS handshake", () => {
  it("each request ends in Timeout; a stuck handshake does not hold the next request", async () => {
    const held: Socket[] = [];
    const server = createNetServer((socket) => held.push(socket));
    const url = await listening(server);
    const kube = await kubeFor(url, { requestTimeoutMs: 300 });
    try {
      for (const name of ["a", "b"]) {
        const started = Date.now();
        await assert.rejects(kube.get(configMaps, "x", name), (err: unknown) => err instanceof KubeApiError && err.reason === "Timeout");
        assert.ok(Date.now() - started < 5_000, "bounded by the request timeout");
      }
    } finally {
      await kube.close();
      for (const socket of held) socket.destroy();
      server.close();
    }
    assert.ok(held.length >= 1);
  });
});

describe("HttpKube to a server without HTTP/2", () => {
  it("falls back to HTTP/1.1 (ALPN) and stays there", async () => {
    const seen: Seen[] = [];
    const server = createHttpsServer({ key, cert }, handler(seen));
    const url = await listening(server);
    const kube = await kubeFor(url);
    try {
      assert.equal((await kube.get(configMaps, "x", "a"))?.metadata?.name, "a");
      assert.equal((await kube.get(configMaps, "x", "b"))?.metadata?.name, "b");
    } finally {
      await kube.close();
      server.close();
    }
    assert.deepEqual(seen.map((s) => s.httpVersion), ["1.1", "1.1"]);
  });
});
