// The one kubeconfig loader (src/kube/kubeconfig.ts, src/kube/connection.ts) the controller and the
// CLI share: kubectl's merge rules over several files, the override flags, the connection it makes
// (native auth, impersonation, exec plugins through client-node) and the CLI's use of it.
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { resolveNamespace, loadKubeConnection } from "../../src/cli/kube-connection.ts";
import { CliError } from "../../src/cli/io.ts";
import { connectionFor, inClusterKubeconfig, loadKubeconfig } from "../../src/kube/connection.ts";
import { HttpKube } from "../../src/kube/http-kube.ts";
import { effectiveKubeconfig, KubeConfigError, mergeKubeconfigs } from "../../src/kube/kubeconfig.ts";

const NO_FLAGS = { insecureSkipTlsVerify: false, requestTimeoutMs: 0 };

function kubeconfig(parts: { current?: string; clusters?: Record<string, object>; users?: Record<string, object>; contexts?: Record<string, object> }): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: Object.entries(parts.clusters ?? {}).map(([name, cluster]) => ({ name, cluster })),
    users: Object.entries(parts.users ?? {}).map(([name, user]) => ({ name, user })),
    contexts: Object.entries(parts.contexts ?? {}).map(([name, context]) => ({ name, context })),
    ...(parts.current !== undefined ? { "current-context": parts.current } : {}),
  });
}

describe("kubeconfig merge (kubectl's rules)", () => {
  const first = {
    path: "/home/u/.kube/first",
    text: kubeconfig({
      clusters: { shared: { server: "https://first:6443", "certificate-authority": "ca.pem" } },
      users: { alice: { "client-certificate": "certs/alice.crt", "client-key": "/abs/alice.key", exec: { command: "./bin/helper" } } },
      contexts: { one: { cluster: "shared", user: "alice", namespace: "ns-one" } },
    }),
  };
  const second = {
    path: "/etc/kube/second",
    text: kubeconfig({
      current: "two",
      clusters: { shared: { server: "https://second:6443" }, other: { server: "https://other:6443", "certificate-authority": "other-ca.pem" } },
      users: { alice: { token: "never-used" }, bob: { tokenFile: "bob.token", exec: { command: "kubelogin" } } },
      contexts: { one: { cluster: "other", user: "bob" }, two: { cluster: "other", user: "bob" } },
    }),
  };
  const third = { path: "/x/third", text: kubeconfig({ current: "one" }) };

  it("the first file that names a cluster, user or context keeps it whole; current-context from the first file that sets one", () => {
    const merged = mergeKubeconfigs([first, second, third]);
    assert.equal(merged.currentContext, "two", "first has none, second sets it, third comes too late");
    assert.deepEqual(merged.clusters.get("shared"), { server: "https://first:6443", "certificate-authority": "/home/u/.kube/ca.pem" });
    assert.deepEqual(merged.contexts.get("one"), { cluster: "shared", user: "alice", namespace: "ns-one" });
    assert.equal(merged.users.get("alice")?.["token"], undefined, "no field-by-field mixing of entries");
    assert.deepEqual([...merged.clusters.keys()], ["shared", "other"]);
  });

  it("relative file paths resolve against the folder of the file that holds them (exec commands only when they name a path)", () => {
    const merged = mergeKubeconfigs([first, second]);
    assert.deepEqual(merged.users.get("alice"), {
      "client-certificate": "/home/u/.kube/certs/alice.crt",
      "client-key": "/abs/alice.key",
      exec: { command: "/home/u/.kube/bin/helper" },
    });
    assert.deepEqual(merged.users.get("bob"), { tokenFile: "/etc/kube/bob.token", exec: { command: "kubelogin" } });
    assert.equal(merged.clusters.get("other")?.["certificate-authority"], "/etc/kube/other-ca.pem");
  });

  it("unparseable files and non-mapping documents are errors naming the file", () => {
    assert.throws(() => mergeKubeconfigs([{ path: "/k/bad", text: "clusters: [\n" }]), (e: unknown) => e instanceof KubeConfigError && /\/k\/bad: cannot be parsed/.test(e.message));
    assert.throws(() => mergeKubeconfigs([{ path: "/k/list", text: "- a\n- b\n" }]), KubeConfigError);
    assert.deepEqual(mergeKubeconfigs([{ path: "/k/empty", text: "" }]).clusters.size, 0, "an empty file is an empty config");
  });

  it("overrides: --context, --cluster, --user, --server, CA, insecure, TLS server name, token, client certificate and key", () => {
    const merged = mergeKubeconfigs([first, second]);
    const plain = effectiveKubeconfig(merged, {}, "/cwd");
    assert.deepEqual([plain.contextName, plain.clusterName, plain.userName, plain.namespace], ["two", "other", "bob", undefined]);
    const one = effectiveKubeconfig(merged, { context: "one" }, "/cwd");
    assert.deepEqual([one.clusterName, one.userName, one.namespace, one.cluster["server"]], ["shared", "alice", "ns-one", "https://first:6443"]);
    const moved = effectiveKubeconfig(merged, { context: "one", cluster: "other", user: "bob", namespace: "ns-flag" }, "/cwd");
    assert.deepEqual([moved.clusterName, moved.userName, moved.namespace], ["other", "bob", "ns-flag"]);
    const withData = mergeKubeconfigs([
      { path: "/k/c", text: kubeconfig({ current: "c", clusters: { c: { server: "https://c", "certificate-authority-data": "Q0E=" } }, users: { u: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" } }, contexts: { c: { cluster: "c", user: "u" } } }) },
    ]);
    const flagged = effectiveKubeconfig(
      withData,
      { server: "https://flag:443", certificateAuthority: "ca.crt", insecureSkipTlsVerify: true, tlsServerName: "api.local", token: "tok", clientCertificate: "me.crt", clientKey: "/k/me.key" },
      "/cwd",
    );
    assert.deepEqual(flagged.cluster, { server: "https://flag:443", "certificate-authority": "/cwd/ca.crt", "insecure-skip-tls-verify": true, "tls-server-name": "api.local" });
    assert.deepEqual(flagged.user, { token: "tok", "client-certificate": "/cwd/me.crt", "client-key": "/k/me.key" });
    assert.equal(withData.clusters.get("c")?.["certificate-authority-data"], "Q0E=", "overrides never change the merged config");
  });

  it("a --context that does not exist is an error; a current-context that does not exist leaves only the overrides", () => {
    const merged = mergeKubeconfigs([first]);
    assert.throws(() => effectiveKubeconfig(merged, { context: "nope" }, "/"), /context "nope" does not exist in the kubeconfig/);
    const dangling = effectiveKubeconfig(mergeKubeconfigs([{ path: "/k/d", text: kubeconfig({ current: "gone" }) }]), { server: "https://s" }, "/");
    assert.deepEqual([dangling.contextName, dangling.cluster, dangling.user], ["gone", { server: "https://s" }, {}]);
  });
});

describe("connections from the effective config", () => {
  it("bearer token, token file, basic auth and impersonation headers, as sent on the wire", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-kubeconfig-"));
    writeFileSync(join(dir, "token"), "from-file\n");
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    assert.ok(address !== null && typeof address === "object");
    const url = `http://127.0.0.1:${address.port}/`;
    try {
      const users = [
        { token: "t0k", as: "jane", "as-groups": ["devs", "ops"], "as-uid": "42" },
        { tokenFile: join(dir, "token") },
        { username: "u", password: "p" },
        {},
      ];
      for (const user of users) {
        const connection = await connectionFor({ contextName: "c", clusterName: "c", userName: "u", cluster: { server: url }, user });
        assert.equal(connection.server, url.slice(0, -1), "no trailing slash");
        const kube = new HttpKube(connection);
        await kube.request("GET", "/api/v1/namespaces");
        await kube.close();
      }
    } finally {
      server.close();
    }
    assert.equal(seen[0]?.["authorization"], "Bearer t0k");
    assert.equal(seen[0]?.["impersonate-user"], "jane");
    assert.equal(seen[0]?.["impersonate-uid"], "42");
    assert.equal(seen[0]?.["impersonate-group"], "devs, ops", "one header per group (node joins repeated headers with a comma)");
    assert.equal(seen[1]?.["authorization"], "Bearer from-file");
    assert.equal(seen[2]?.["authorization"], `Basic ${Buffer.from("u:p").toString("base64")}`);
    assert.equal(seen[3]?.["authorization"], undefined);
  });

  it("no server: a clear error, never a request to a default address", async () => {
    await assert.rejects(connectionFor({ contextName: "c", clusterName: "x", userName: "", cluster: {}, user: {} }), /no API server: context "c" names no cluster with a server/);
    await assert.rejects(connectionFor({ contextName: "", clusterName: "", userName: "", cluster: {}, user: {} }), /no API server: no context is set/);
  });

  it("an exec user falls back to client-node's plugin support (the command runs, its token is sent)", async () => {
    const credential = JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "exec-token" } });
    const connection = await connectionFor({
      contextName: "c",
      clusterName: "c",
      userName: "u",
      cluster: { server: "https://127.0.0.1:1" },
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: ["-e", `process.stdout.write(${JSON.stringify(credential)})`], interactiveMode: "Never" } },
      namespace: "ns",
    });
    try {
      const headers = await connection.authHeaders();
      assert.equal(headers["authorization"], "Bearer exec-token");
      assert.equal(connection.namespace, "ns");
    } finally {
      await connection.close();
    }
  });

  it("in-cluster: the service account as a kubeconfig (POD_NAMESPACE first, then the mounted namespace)", () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-sa-"));
    writeFileSync(join(dir, "namespace"), "sa-ns\n");
    const env = { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" };
    const config = effectiveKubeconfig(inClusterKubeconfig(env, dir), {}, "/");
    assert.deepEqual(config.cluster, { server: "https://[fd00::1]:443", "certificate-authority": `${dir}/ca.crt` });
    assert.deepEqual(config.user, { tokenFile: `${dir}/token` });
    assert.equal(config.namespace, "sa-ns");
    assert.equal(effectiveKubeconfig(inClusterKubeconfig({ ...env, POD_NAMESPACE: "pod-ns" }, dir), {}, "/").namespace, "pod-ns");
    assert.throws(() => inClusterKubeconfig({}, dir), /not in a cluster/);
    assert.equal(loadKubeconfig({ source: { kind: "none" } }), undefined);
    assert.deepEqual(loadKubeconfig({ source: { kind: "none" }, overrides: { server: "https://s" } })?.cluster, { server: "https://s" });
  });
});

describe("the CLI over the shared loader", () => {
  const home = mkdtempSync(join(tmpdir(), "sb-cli-kube-"));
  mkdirSync(join(home, "a"));
  mkdirSync(join(home, "b"));
  writeFileSync(
    join(home, "a", "config"),
    kubeconfig({ clusters: { dev: { server: "http://127.0.0.1:9" } }, users: { dev: { token: "a" } }, contexts: { dev: { cluster: "dev", user: "dev", namespace: "dev-ns" } } }),
  );
  writeFileSync(
    join(home, "b", "config"),
    kubeconfig({ current: "prod", clusters: { prod: { server: "http://127.0.0.1:10" }, dev: { server: "http://ignored" } }, users: { prod: { token: "b" } }, contexts: { prod: { cluster: "prod", user: "prod" }, dev: { cluster: "prod", user: "prod" } } }),
  );
  const env = { HOME: home, KUBECONFIG: [join(home, "a", "config"), join(home, "b", "config")].join(delimiter) };

  it("KUBECONFIG with several files: current-context from the file that sets it, entries from the first file", async () => {
    assert.deepEqual(resolveNamespace({ connection: NO_FLAGS, env, cwd: home }), { namespace: "default", explicit: false });
    assert.deepEqual(resolveNamespace({ connection: { ...NO_FLAGS, context: "dev" }, env, cwd: home }), { namespace: "dev-ns", explicit: false });
    assert.deepEqual(resolveNamespace({ connection: { ...NO_FLAGS, namespace: "flag" }, env, cwd: home }), { namespace: "flag", explicit: true });
    const prod = await loadKubeConnection({ connection: NO_FLAGS, env, cwd: home });
    assert.equal(prod?.server, "http://127.0.0.1:10");
    assert.equal((await prod?.authHeaders())?.["authorization"], "Bearer b");
    const dev = await loadKubeConnection({ connection: { ...NO_FLAGS, context: "dev" }, env, cwd: home });
    assert.equal(dev?.server, "http://127.0.0.1:9", "the first file's dev cluster, not the second's");
    assert.equal((await dev?.authHeaders())?.["authorization"], "Bearer a");
    await prod?.close();
    await dev?.close();
  });

  it("--kubeconfig wins over KUBECONFIG (relative to the working folder); a missing one is a CLI error", async () => {
    const only = await loadKubeConnection({ kubeconfig: join("a", "config"), connection: { ...NO_FLAGS, context: "dev" }, env, cwd: home });
    assert.equal(only?.server, "http://127.0.0.1:9");
    await only?.close();
    await assert.rejects(loadKubeConnection({ kubeconfig: "nope", connection: NO_FLAGS, env, cwd: home }), (e: unknown) => e instanceof CliError && /--kubeconfig: file nope does not exist/.test(e.message));
    await assert.rejects(loadKubeConnection({ connection: { ...NO_FLAGS, context: "nope" }, env, cwd: home }), (e: unknown) => e instanceof CliError && /context "nope" does not exist/.test(e.message));
    assert.throws(() => resolveNamespace({ connection: { ...NO_FLAGS, context: "nope" }, env, cwd: home }), CliError);
  });

  it("no kubeconfig at all: no namespace and no connection, unless --server makes one", async () => {
    const empty = { HOME: mkdtempSync(join(tmpdir(), "sb-cli-empty-")) };
    assert.equal(resolveNamespace({ connection: NO_FLAGS, env: empty, cwd: home }), undefined);
    assert.equal(await loadKubeConnection({ connection: NO_FLAGS, env: empty, cwd: home }), undefined);
    const flagged = await loadKubeConnection({ connection: { ...NO_FLAGS, server: "http://127.0.0.1:11/", token: "flag-token" }, env: empty, cwd: home });
    assert.equal(flagged?.server, "http://127.0.0.1:11");
    assert.equal((await flagged?.authHeaders())?.["authorization"], "Bearer flag-token");
    await flagged?.close();
  });
});
