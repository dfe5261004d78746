// ExternalSecrets against a real HashiCorp Vault dev server (v1.21.4, built from its Go module by
// scripts/build-tools.sh) and the real control plane: KV v2 and v1, properties, versions, extract,
// find, metadata; token, AppRole, kubernetes (TokenReview by the control plane) and JWT auth; an HTTPS
// server with caBundle/caProvider; tokens cached per store, renewed before expiry, re-login on expiry
// and revocation, counted by Vault's own audit log.
// Vault namespaces are an Enterprise feature (the open-source server has none): only the header the
// provider sends is checked, against a loopback HTTP listener.
import assert from "node:assert/strict";
import { createPublicKey, type JsonWebKey } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { resources } from "../../src/api/resources.ts";
import type { ExternalSecretsControllers } from "../../src/controller/external-secret/controllers.ts";
import type { KubePort, Resource } from "../../src/kube/port.ts";
import { AccessDenied, ProviderUnavailable } from "../../src/providers/provider.ts";
import { createVaultClient } from "../../src/providers/vault/kv.ts";
import { NodeVaultPort } from "../../src/providers/vault/node-vault-port.ts";
import { VaultTokenSource } from "../../src/providers/vault/token.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { createSecret, readyOf, secretData, startEsoController, waitFor, waitReady } from "../support/eso.ts";
import { startVault, type VaultServer } from "../support/servers.ts";

const clusterRoleBinding: Resource = { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false };

let cluster: TestCluster;
let kube: KubePort;
let vault: VaultServer;
let tlsVault: VaultServer;
let controllers: ExternalSecretsControllers;
let auditDir: string;
/** Logins the provider performed, by auth mount (client side; the audit log is the server side). */
const clientLogins = new Map<string, number>();

before(async () => {
  cluster = await testCluster();
  kube = cluster.kube;
  [vault, tlsVault] = await Promise.all([startVault(), startVault({ tls: true })]);
  auditDir = await mkdtemp(join(tmpdir(), "sealbridge-vault-audit-"));
  await api("PUT", "sys/audit/file", { type: "file", options: { file_path: join(auditDir, "audit.log") } });
  await api("PUT", "sys/policies/acl/read", { policy: 'path "*" { capabilities = ["read", "list"] }' });
  controllers = await startEsoController(kube, {
    aws: () => Promise.reject(new Error("no AWS in this file")),
    vault: (input) => {
      const auth = input.spec.auth;
      const mount = auth.kind === "appRole" || auth.kind === "jwt" ? auth.path : auth.kind === "kubernetes" ? auth.mountPath : "token";
      return createVaultClient({ ...input, options: { onLogin: () => clientLogins.set(mount, (clientLogins.get(mount) ?? 0) + 1) } });
    },
  });
});

after(async () => {
  await controllers?.stop();
  await Promise.all([vault?.stop(), tlsVault?.stop()]);
  if (auditDir) await rm(auditDir, { recursive: true, force: true });
});

/** The Vault HTTP API with the root token (test setup only). */
async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${vault.url}/v1/${path}`, {
    method,
    headers: { "X-Vault-Token": vault.rootToken, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`vault ${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function kvPut(path: string, data: Record<string, unknown>, customMetadata?: Record<string, string>): Promise<void> {
  await api("POST", `secret/data/${path}`, { data });
  if (customMetadata) await api("POST", `secret/metadata/${path}`, { custom_metadata: customMetadata });
}

interface AuditEntry {
  type: string;
  request?: { path?: string };
  error?: string;
}

/** Successful responses Vault audited for a request path (logins, renewals, reads). */
async function audited(path: string | RegExp): Promise<number> {
  const text = await readFile(join(auditDir, "audit.log"), "utf8");
  let n = 0;
  for (const line of text.split("\n")) {
    if (!line) continue;
    const e = JSON.parse(line) as AuditEntry;
    const p = e.request?.path ?? "";
    if (e.type === "response" && !e.error && (typeof path === "string" ? p === path : path.test(p))) n++;
  }
  return n;
}

async function store(ns: string, vaultSpec: Record<string, unknown>, name = "vault"): Promise<void> {
  await kube.create(resources.secretStore, {
    apiVersion: "external-secrets.io/v1",
    kind: "SecretStore",
    metadata: { name, namespace: ns },
    spec: { provider: { vault: { server: vault.url, path: "secret", version: "v2", ...vaultSpec } } },
  });
}

async function tokenStore(ns: string, name = "vault", vaultSpec: Record<string, unknown> = {}): Promise<void> {
  if (!(await kube.get(resources.secret, ns, "vault-token"))) await createSecret(kube, ns, "vault-token", { token: vault.rootToken });
  await store(ns, { auth: { tokenSecretRef: { name: "vault-token", key: "token" } }, ...vaultSpec }, name);
}

async function externalSecret(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "vault", kind: "SecretStore" }, ...spec },
  });
}

async function storeReady(ns: string, name = "vault"): Promise<{ status?: string; reason?: string; message?: string }> {
  return await waitFor(`store ${ns}/${name} status`, async () => readyOf(await kube.get(resources.secretStore, ns, name)));
}

async function appRole(mount: string, role: Record<string, unknown>): Promise<{ roleId: string; secretId: string }> {
  await api("POST", `sys/auth/${mount}`, { type: "approle" });
  await api("POST", `auth/${mount}/role/eso`, { token_policies: ["read"], ...role });
  const roleId = (await api("GET", `auth/${mount}/role/eso/role-id`))["data"] as { role_id: string };
  const secretId = (await api("POST", `auth/${mount}/role/eso/secret-id`, {}))["data"] as { secret_id: string };
  return { roleId: roleId.role_id, secretId: secretId.secret_id };
}

const uniq = () => Math.random().toString(36).slice(2, 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sandbox API server's URL, CA and admin bearer token, from the test kubeconfig. */
function apiServer(): { server: string; ca: string; token: string } {
  const c = cluster.kubeConfig.getCurrentCluster();
  const token = cluster.kubeConfig.getCurrentUser()?.token;
  if (!c?.caData || !token) throw new Error("the test kubeconfig has no CA data or token");
  return { server: c.server, ca: Buffer.from(c.caData, "base64").toString("utf8"), token };
}

function httpsJson(url: string, ca: string, token: string): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    httpsGet(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => (res.statusCode === 200 ? resolveBody(JSON.parse(body)) : reject(new Error(`GET ${url}: HTTP ${res.statusCode ?? 0}`))));
    }).on("error", reject);
  });
}

async function serviceAccount(ns: string, name: string): Promise<void> {
  await kube.create(resources.serviceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns } });
}

describe("ExternalSecret with HashiCorp Vault (real dev server)", () => {
  test("KV v2, token auth: properties (nested gjson), versions, whole secret, extract (nested), metadataPolicy Fetch, mount in the key", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const p = `app-${uniq()}`;
    await kvPut(`${p}/db`, { user: "admin", password: "pw1", nested: { deep: { k: "v" }, list: ["a", "b"] }, port: 5432 });
    await kvPut(`${p}/db`, { user: "admin2", password: "pw2", nested: { deep: { k: "v2" }, list: ["a", "b"] }, port: 5432 }, { owner: "team-a", tier: "gold" });
    await tokenStore(ns);
    assert.equal((await storeReady(ns)).reason, "Valid");
    await externalSecret(ns, "es", {
      target: { name: "out" },
      data: [
        { secretKey: "user", remoteRef: { key: `${p}/db`, property: "user" } },
        { secretKey: "user-v1", remoteRef: { key: `${p}/db`, property: "user", version: "1" } },
        { secretKey: "deep-k", remoteRef: { key: `${p}/db`, property: "nested.deep.k" } },
        { secretKey: "second", remoteRef: { key: `${p}/db`, property: "nested.list.1" } },
        { secretKey: "port", remoteRef: { key: `${p}/db`, property: "port" } },
        { secretKey: "whole-v1", remoteRef: { key: `${p}/db`, version: "1" } },
        { secretKey: "meta-owner", remoteRef: { key: `${p}/db`, property: "owner", metadataPolicy: "Fetch" } },
      ],
      dataFrom: [{ extract: { key: `${p}/db`, property: "nested" } }, { extract: { key: `${p}/db`, metadataPolicy: "Fetch" } }],
    });
    await waitReady(kube, ns, "es", "SecretSynced");
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "out")), {
      user: "admin2",
      "user-v1": "admin",
      "deep-k": "v2",
      deep: '{"k":"v2"}',
      list: '["a","b"]',
      second: "b",
      port: "5432",
      "whole-v1": '{"nested":{"deep":{"k":"v"},"list":["a","b"]},"password":"pw1","port":5432,"user":"admin"}',
      "meta-owner": "team-a",
      owner: "team-a",
      tier: "gold",
    });
    // A store without spec.path: the mount is the key's first segment (ESO's path building).
    await tokenStore(ns, "nopath", { path: undefined });
    await externalSecret(ns, "nopath", { secretStoreRef: { name: "nopath" }, data: [{ secretKey: "pw", remoteRef: { key: `secret/${p}/db`, property: "password" } }] });
    await waitReady(kube, ns, "nopath", "SecretSynced");
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "nopath")), { pw: "pw2" });
  });

  test("KV v1 mount: property, gjson path, extract; a missing secret and a bad token are reported", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const mount = `kv1-${uniq()}`;
    await api("POST", `sys/mounts/${mount}`, { type: "kv", options: { version: "1" } });
    await api("POST", `${mount}/app/cfg`, { a: "1", obj: { x: "y" } });
    await tokenStore(ns, "vault", { path: mount, version: "v1" });
    await externalSecret(ns, "es", {
      data: [
        { secretKey: "a", remoteRef: { key: "app/cfg", property: "a" } },
        { secretKey: "x", remoteRef: { key: `${mount}/app/cfg`, property: "obj.x" } },
      ],
      dataFrom: [{ extract: { key: "app/cfg" } }],
    });
    await waitReady(kube, ns, "es", "SecretSynced");
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "es")), { a: "1", x: "y", obj: '{"x":"y"}' });

    await externalSecret(ns, "missing", { data: [{ secretKey: "v", remoteRef: { key: "app/none" } }] });
    const missing = await waitReady(kube, ns, "missing", "SecretSyncedError");
    assert.match(readyOf(missing)?.message ?? "", /SecretNotFound/);

    await createSecret(kube, ns, "bad-token", { token: "hvs.not-a-token" });
    await store(ns, { path: mount, version: "v1", auth: { tokenSecretRef: { name: "bad-token", key: "token" } } }, "bad");
    const bad = await storeReady(ns, "bad");
    assert.equal(bad.reason, "ValidationFailed");
    assert.match(bad.message ?? "", /AccessDenied/);
    assert.doesNotMatch(bad.message ?? "", /not-a-token/, "the token is never echoed");
  });

  test("find on KV v2: name regexp, path, custom-metadata tags, with rewrite", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const p = `find-${uniq()}`;
    await kvPut(`${p}/svc/a`, { v: "va" }, { team: "blue" });
    await kvPut(`${p}/svc/b`, { v: "vb" }, { team: "red" });
    await kvPut(`${p}/other/c`, { v: "vc" }, { team: "blue" });
    await tokenStore(ns);
    await externalSecret(ns, "find", {
      dataFrom: [
        { find: { name: { regexp: `^${p}/svc/.*` } }, rewrite: [{ regexp: { source: `${p}/svc/(.*)`, target: "name-$1" } }] },
        { find: { tags: { team: "blue" }, path: p }, rewrite: [{ regexp: { source: `^${p}/(\\w+)/(\\w+)`, target: "tag-$1-$2" } }] },
        { find: { path: `${p}/other` } },
      ],
    });
    await waitReady(kube, ns, "find", "SecretSynced");
    const data = secretData(await kube.get(resources.secret, ns, "find"));
    assert.deepEqual(data, { "name-a": '{"v":"va"}', "name-b": '{"v":"vb"}', "tag-svc-a": '{"v":"va"}', "tag-other-c": '{"v":"vc"}', [`${p}_other_c`]: '{"v":"vc"}' });
  });

  test("AppRole (roleRef and secretRef from Secrets): one login for many ExternalSecrets over many reconciles", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const mount = `approle-${uniq()}`;
    const { roleId, secretId } = await appRole(mount, { token_ttl: "1h" });
    const p = `ar-${uniq()}`;
    await kvPut(`${p}/s`, { v: "from-approle" });
    await createSecret(kube, ns, "approle", { "role-id": roleId, "secret-id": secretId });
    await store(ns, { auth: { appRole: { path: mount, roleRef: { name: "approle", key: "role-id" }, secretRef: { name: "approle", key: "secret-id" } } } });
    const names = ["a", "b", "c", "d", "e"];
    const readsBefore = await audited(`secret/data/${p}/s`);
    for (const n of names) await externalSecret(ns, n, { refreshInterval: "1s", data: [{ secretKey: "v", remoteRef: { key: `${p}/s`, property: "v" } }] });
    for (const n of names) await waitReady(kube, ns, n, "SecretSynced");
    await sleep(4000);
    const reads = (await audited(`secret/data/${p}/s`)) - readsBefore;
    assert.ok(reads >= names.length * 3, `reads: ${reads}`);
    assert.equal(await audited(`auth/${mount}/login`), 1, "one login for the store");
    assert.equal(clientLogins.get(mount), 1);
    assert.equal(secretData(await kube.get(resources.secret, ns, "e"))["v"], "from-approle");
  });

  test("AppRole with short TTLs: renewed before expiry, re-login at max TTL, after revocation and after idling past the TTL", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const mount = `approle-ttl-${uniq()}`;
    // token_ttl 4s, max 12s: renew-self at ~2.7s, a new login once the max TTL caps the renewal.
    const { roleId, secretId } = await appRole(mount, { token_ttl: "4s", token_max_ttl: "12s" });
    const p = `ttl-${uniq()}`;
    await kvPut(`${p}/s`, { v: "one" });
    await createSecret(kube, ns, "approle", { "secret-id": secretId });
    await store(ns, { auth: { appRole: { path: mount, roleId, secretRef: { name: "approle", key: "secret-id" } } } });
    for (const n of ["a", "b"]) await externalSecret(ns, n, { refreshInterval: "1s", data: [{ secretKey: "v", remoteRef: { key: `${p}/s`, property: "v" } }] });
    for (const n of ["a", "b"]) await waitReady(kube, ns, n, "SecretSynced");
    const renewsBefore = await audited("auth/token/renew-self");
    const start = Date.now();
    while (Date.now() - start < 17_000) {
      for (const n of ["a", "b"]) {
        const ready = readyOf(await kube.get(resources.externalSecret, ns, n));
        assert.equal(ready?.reason, "SecretSynced", `${n} stays synced (${ready?.message ?? ""})`);
      }
      await sleep(500);
    }
    const logins = await audited(`auth/${mount}/login`);
    const renewals = (await audited("auth/token/renew-self")) - renewsBefore;
    // ~20 s of token use with a 12 s max TTL: 2 logins (3 at most with timing), renewals in between.
    assert.ok(logins >= 2 && logins <= 3, `logins: ${logins}`);
    assert.ok(renewals >= 2, `renewals: ${renewals}`);
    assert.equal(clientLogins.get(mount), logins, "client and server agree on the login count");

    // Revoke every token of the mount: the next read is refused, the provider logs in again.
    await api("PUT", `sys/leases/revoke-prefix/auth/${mount}`, {});
    await kvPut(`${p}/s`, { v: "two" });
    await waitFor("value after revocation", async () => (secretData(await kube.get(resources.secret, ns, "a"))["v"] === "two" ? true : undefined));
    const afterRevoke = await audited(`auth/${mount}/login`);
    assert.ok(afterRevoke >= logins + 1 && afterRevoke <= logins + 2, `logins after revocation: ${afterRevoke}`);

    // A token source left idle past its token's TTL logs in again instead of renewing a dead token.
    const port = new NodeVaultPort({ server: vault.url });
    let direct = 0;
    const tokens = new VaultTokenSource({
      port,
      login: () => {
        direct++;
        return port.login(mount, { role_id: roleId, secret_id: secretId });
      },
    });
    const first = await tokens.token();
    assert.equal((await port.lookupSelf(first)).renewable, true);
    await sleep(4500);
    await assert.rejects(port.lookupSelf(first), AccessDenied, "the idle token has expired in Vault");
    const second = await tokens.token();
    assert.notEqual(second, first);
    assert.equal(direct, 2);
    assert.ok((await port.lookupSelf(second)).ttl > 0);
  });

  test("kubernetes auth: a TokenRequest JWT reviewed by the control plane's TokenReview", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const mount = `k8s-${uniq()}`;
    const { server, ca } = apiServer();
    // Vault's token reviewer: a service account allowed to create TokenReviews.
    await serviceAccount(ns, "vault-reviewer");
    await kube.create(clusterRoleBinding, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${ns}-vault-reviewer` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
      subjects: [{ kind: "ServiceAccount", name: "vault-reviewer", namespace: ns }],
    });
    const review = await kube.createSubresource(resources.serviceAccount, ns, "vault-reviewer", "token", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    });
    const reviewerJwt = String((review["status"] as Record<string, unknown>)["token"]);
    await api("POST", `sys/auth/${mount}`, { type: "kubernetes" });
    await api("POST", `auth/${mount}/config`, { kubernetes_host: server, kubernetes_ca_cert: ca, token_reviewer_jwt: reviewerJwt, disable_local_ca_jwt: true });
    await api("POST", `auth/${mount}/role/eso`, { bound_service_account_names: ["eso"], bound_service_account_namespaces: [ns], token_policies: ["read"], token_ttl: "1h" });
    await serviceAccount(ns, "eso");
    await serviceAccount(ns, "other");
    const p = `k8s-${uniq()}`;
    await kvPut(`${p}/s`, { v: "from-kubernetes-auth" });
    await store(ns, { auth: { kubernetes: { mountPath: mount, role: "eso", serviceAccountRef: { name: "eso" } } } });
    assert.equal((await storeReady(ns)).reason, "Valid");
    for (const n of ["a", "b", "c"]) await externalSecret(ns, n, { refreshInterval: "1s", data: [{ secretKey: "v", remoteRef: { key: `${p}/s`, property: "v" } }] });
    for (const n of ["a", "b", "c"]) await waitReady(kube, ns, n, "SecretSynced");
    assert.equal(secretData(await kube.get(resources.secret, ns, "c"))["v"], "from-kubernetes-auth");
    await sleep(2000);
    assert.equal(await audited(`auth/${mount}/login`), 1);

    // A service account the role does not name is refused by Vault.
    await store(ns, { auth: { kubernetes: { mountPath: mount, role: "eso", serviceAccountRef: { name: "other" } } } }, "other");
    const other = await storeReady(ns, "other");
    assert.equal(other.reason, "ValidationFailed");
    assert.match(other.message ?? "", /AuthFailed/);
  });

  test("JWT auth: a service-account token checked against the control plane's signing keys", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const mount = `jwt-${uniq()}`;
    const { server, ca, token } = apiServer();
    const jwks = (await httpsJson(`${server}/openid/v1/jwks`, ca, token)) as { keys: JsonWebKey[] };
    const pems = jwks.keys.map((k) => createPublicKey({ key: k, format: "jwk" }).export({ type: "spki", format: "pem" }).toString());
    await api("POST", `sys/auth/${mount}`, { type: "jwt" });
    await api("POST", `auth/${mount}/config`, { jwt_validation_pubkeys: pems, bound_issuer: server });
    await api("POST", `auth/${mount}/role/eso`, {
      role_type: "jwt",
      user_claim: "sub",
      bound_audiences: ["vault"],
      bound_subject: `system:serviceaccount:${ns}:eso`,
      token_policies: ["read"],
      token_ttl: "1h",
    });
    await serviceAccount(ns, "eso");
    const p = `jwt-${uniq()}`;
    await kvPut(`${p}/s`, { v: "from-jwt-auth" });
    await store(ns, { auth: { jwt: { path: mount, role: "eso", kubernetesServiceAccountToken: { serviceAccountRef: { name: "eso" }, audiences: ["vault"] } } } });
    assert.equal((await storeReady(ns)).reason, "Valid");
    for (const n of ["a", "b"]) await externalSecret(ns, n, { data: [{ secretKey: "v", remoteRef: { key: `${p}/s`, property: "v" } }] });
    for (const n of ["a", "b"]) await waitReady(kube, ns, n, "SecretSynced");
    assert.equal(secretData(await kube.get(resources.secret, ns, "b"))["v"], "from-jwt-auth");
    assert.equal(await audited(`auth/${mount}/login`), 1);

    // Wrong audience: Vault refuses the JWT.
    await store(ns, { auth: { jwt: { path: mount, role: "eso", kubernetesServiceAccountToken: { serviceAccountRef: { name: "eso" }, audiences: ["other"] } } } }, "wrong-aud");
    const wrong = await storeReady(ns, "wrong-aud");
    assert.equal(wrong.reason, "ValidationFailed");
    assert.match(wrong.message ?? "", /AuthFailed/);
  });

  test("HTTPS server: caBundle and caProvider (ConfigMap) trust its CA; without them the connection is refused", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const caPem = tlsVault.caPem ?? "";
    assert.match(caPem, /BEGIN CERTIFICATE/);
    await tlsVault.cli(["kv", "put", "-mount=secret", "tls/s", "v=over-tls"]);
    await createSecret(kube, ns, "vault-token", { token: tlsVault.rootToken });
    const auth = { tokenSecretRef: { name: "vault-token", key: "token" } };
    const tlsStore = async (name: string, extra: Record<string, unknown>) =>
      await kube.create(resources.secretStore, {
        apiVersion: "external-secrets.io/v1",
        kind: "SecretStore",
        metadata: { name, namespace: ns },
        spec: { provider: { vault: { server: tlsVault.url, path: "secret", version: "v2", auth, ...extra } } },
      });
    await kube.create(resources.configMap, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "vault-ca", namespace: ns }, data: { "ca.crt": caPem } });
    await tlsStore("bundle", { caBundle: Buffer.from(caPem).toString("base64") });
    await tlsStore("provider", { caProvider: { type: "ConfigMap", name: "vault-ca", key: "ca.crt" } });
    await tlsStore("untrusted", {});
    for (const name of ["bundle", "provider"]) {
      assert.equal((await storeReady(ns, name)).reason, "Valid", name);
      await externalSecret(ns, name, { secretStoreRef: { name }, data: [{ secretKey: "v", remoteRef: { key: "tls/s", property: "v" } }] });
      await waitReady(kube, ns, name, "SecretSynced");
      assert.equal(secretData(await kube.get(resources.secret, ns, name))["v"], "over-tls");
    }
    const untrusted = await storeReady(ns, "untrusted");
    assert.equal(untrusted.reason, "ValidationFailed");
    assert.match(untrusted.message ?? "", /ProviderUnavailable/);
  });

  test("namespaces (Vault Enterprise only): the provider sends X-Vault-Namespace on logins and reads", async () => {
    // The open-source dev server has no namespaces, so this checks the wire only.
    const seen: { url: string; namespace: string | undefined }[] = [];
    const listener = createServer((req, res) => {
      seen.push({ url: req.url ?? "", namespace: req.headers["x-vault-namespace"]?.toString() });
      res.setHeader("content-type", "application/json");
      if (req.url?.startsWith("/v1/auth/approle/login")) res.end(JSON.stringify({ auth: { client_token: "t", lease_duration: 3600, renewable: true } }));
      else res.end(JSON.stringify({ data: { data: { v: "ns-value" }, metadata: {} } }));
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    try {
      const address = listener.address();
      const portNumber = typeof address === "object" && address ? address.port : 0;
      const client = await createVaultClient({
        spec: { kind: "vault", server: `http://127.0.0.1:${portNumber}`, path: "secret", version: "v2", namespace: "team-a/apps", auth: { kind: "appRole", path: "approle", roleId: "r", secretRef: { name: "s", key: "k" } } },
        credentials: {
          secretValue: () => Promise.resolve("secret-id"),
          configMapValue: () => Promise.reject(new Error("unused")),
          serviceAccountToken: () => Promise.reject(new Error("unused")),
          serviceAccountAnnotations: () => Promise.resolve({}),
        },
        options: {},
      });
      assert.equal(Buffer.from(await client.getSecret({ key: "app", property: "v" })).toString(), "ns-value");
      assert.deepEqual(seen.map((s) => s.namespace), ["team-a/apps", "team-a/apps"]);
      assert.deepEqual(seen.map((s) => s.url), ["/v1/auth/approle/login", "/v1/secret/data/app"]);
    } finally {
      listener.close();
    }
  });

  test("an unreachable server is ProviderUnavailable, not a crash", async () => {
    const port = new NodeVaultPort({ server: "http://127.0.0.1:1", timeoutMs: 2000 });
    await assert.rejects(port.read("secret/data/x", "t"), ProviderUnavailable);
  });

  test("a JSON null is an empty value through extract and property, as ESO's GetByteValue makes it", async () => {
    const ns = await freshNamespace(cluster, "vault");
    const p = `null-${uniq()}`;
    await kvPut(`${p}/cfg`, { empty: null, text: "t" });
    await tokenStore(ns);
    await externalSecret(ns, "nulls", {
      data: [{ secretKey: "by-property", remoteRef: { key: `${p}/cfg`, property: "empty" } }],
      dataFrom: [{ extract: { key: `${p}/cfg` } }],
    });
    await waitReady(kube, ns, "nulls", "SecretSynced");
    assert.deepEqual(secretData(await kube.get(resources.secret, ns, "nulls")), { empty: "", text: "t", "by-property": "" });
  });
});
