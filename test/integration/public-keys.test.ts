// Publishing without the service proxy: the controller keeps its certificate and cluster-wide age
// recipients in a ConfigMap (written only when they change, kept current on rotation), and
// `sealbridge seal` reads it when the API server refuses the proxy — here for a service account whose
// only permission is to get that ConfigMap, on the real API server with RBAC. The output is what
// sealing with the certificate file gives, and the controller opens it.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { resources } from "../../src/api/resources.ts";
import { parseSealingCertificate } from "../../src/crypto/certificate.ts";
import type { KubeObject, Resource } from "../../src/kube/port.ts";
import { runBinary, runCli, tokenKubeconfig } from "../support/cli.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { eventually } from "../support/sealed-controller.ts";
import { ensureTool } from "../support/tools.ts";

const CONFIGMAP = "sealbridge-public-keys";
const role: Resource = { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true };
const roleBinding: Resource = { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true };

describe("the public-keys ConfigMap and sealbridge seal without the service proxy", () => {
  let cluster: TestCluster;
  let keyNs = "";
  let app = "";
  let dir = "";
  let restricted = "";
  let controller: ControllerProcess | undefined;
  let api = 0;

  const start = async () => {
    controller = startControllerProcess([
      "--kubeconfig", cluster.kubeconfigPath,
      "--key-namespace", keyNs,
      "--listen-addr", "127.0.0.1:0",
      "--metrics-addr", "127.0.0.1:0",
      "--key-bits", "2048",
      "--disable-external-secrets",
    ]);
    await controller.waitFor(/"msg":"reconcilers running"/, 90_000);
    api = (await controller.ports()).api;
  };
  const apiText = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${api}${path}`);
    assert.equal(res.status, 200, path);
    return await res.text();
  };
  const configMap = async () => {
    const cm = await cluster.kube.get(resources.configMap, keyNs, CONFIGMAP);
    return cm === undefined ? undefined : { rv: cm.metadata?.resourceVersion ?? "", data: (cm["data"] ?? {}) as Record<string, string> };
  };
  const secretValue = (name: string, key: string) =>
    eventually(`Secret ${app}/${name}`, async () => {
      const v = ((await cluster.kube.get(resources.secret, app, name))?.["data"] as Record<string, string> | undefined)?.[key];
      return v === undefined ? undefined : Buffer.from(v, "base64").toString();
    }, 30_000);

  before(async () => {
    cluster = await testCluster();
    [keyNs, app] = await Promise.all([freshNamespace(cluster, "pk-keys"), freshNamespace(cluster, "pk-app")]);
    dir = await mkdtemp(join(tmpdir(), "sb-public-keys-"));
    await start();
    // A service account whose only permission is getting that one ConfigMap: no services, no proxy.
    await cluster.kube.create(resources.serviceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sealer", namespace: app } });
    await cluster.kube.create(role, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "public-keys-reader", namespace: keyNs },
      rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [CONFIGMAP], verbs: ["get"] }],
    });
    await cluster.kube.create(roleBinding, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "public-keys-reader", namespace: keyNs },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "public-keys-reader" },
      subjects: [{ kind: "ServiceAccount", name: "sealer", namespace: app }],
    });
    const tr = await cluster.kube.createSubresource(resources.serviceAccount, app, "sealer", "token", { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } });
    restricted = await tokenKubeconfig(cluster, join(dir, "restricted.kubeconfig"), (tr["status"] as { token: string }).token, app);
  });

  after(async () => {
    await controller?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("holds the certificate and the cluster-wide age recipients the API serves", async () => {
    const published = await eventually("the ConfigMap", configMap, 30_000);
    const pem = await apiText("/v1/cert.pem");
    assert.equal(published.data["cert.pem"], pem);
    assert.equal(published.data["cert-sha256"], parseSealingCertificate(pem, new Date()).fingerprint);
    assert.equal(published.data["age-recipients-cluster-wide"], await apiText("/v1/age-recipients?scope=cluster-wide"));
    assert.deepEqual(Object.keys(published.data).sort(), ["age-recipients-cluster-wide", "cert-sha256", "cert.pem"], "public material only");
  });

  it("seal reads it when the proxy is refused; the output is what --cert gives, and it unseals", { timeout: 120_000 }, async () => {
    const env = { KUBECONFIG: restricted, HOME: dir };
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${app}\nstringData:\n  password: canary-proxyless-7d1\n`;
    // The real kubeseal cannot: the service proxy (and the Service itself) is forbidden to this user.
    const kubeseal = await ensureTool("kubeseal");
    const refused = await runBinary(kubeseal, ["--fetch-cert", "--controller-namespace", keyNs], { env: { ...env, PATH: process.env["PATH"] ?? "" }, cwd: dir });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /forbidden/i);

    const fetched = await runCli(["seal", "--fetch-cert", "--controller-namespace", keyNs], { env, cwd: dir });
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(fetched.stdout, await apiText("/v1/cert.pem"));

    const viaConfigMap = await runCli(["seal", "-o", "yaml", "--controller-namespace", keyNs], { env, cwd: dir, stdin: secret });
    assert.equal(viaConfigMap.code, 0, viaConfigMap.stderr);
    assert.equal(viaConfigMap.stderr, "");
    await writeFile(join(dir, "cert.pem"), fetched.stdout);
    const viaCert = await runCli(["seal", "-o", "yaml", "--cert", "cert.pem"], { env, cwd: dir, stdin: secret });
    assert.equal(viaCert.code, 0, viaCert.stderr);
    const masked = (yaml: string) => yaml.replace(/^(\s+password: ).*$/m, "$1<sealed>");
    assert.equal(masked(viaConfigMap.stdout), masked(viaCert.stdout), "the same document but for the random ciphertext");
    await cluster.kube.create(resources.sealedSecret, parse(viaConfigMap.stdout) as KubeObject);
    assert.equal(await secretValue("db", "password"), "canary-proxyless-7d1");

    // age: the ConfigMap serves the cluster-wide scope; the other scopes say why they cannot.
    const cw = await runCli(["seal", "--age", "--scope", "cluster-wide", "-o", "yaml", "--controller-namespace", keyNs], { env, cwd: dir, stdin: secret.replace("name: db", "name: aged") });
    assert.equal(cw.code, 0, cw.stderr);
    await cluster.kube.create(resources.ageSecret, parse(cw.stdout) as KubeObject);
    assert.equal(await secretValue("aged", "password"), "canary-proxyless-7d1");
    const strict = await runCli(["seal", "--age", "-o", "yaml", "--controller-namespace", keyNs], { env, cwd: dir, stdin: secret });
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /holds the cluster-wide age recipients only: seal with --scope cluster-wide/);

    // A Service that does not exist (404) falls back too; with the fallback off the refusal is reported.
    const admin = { KUBECONFIG: cluster.kubeconfigPath, HOME: dir };
    const missing = await runCli(["seal", "--fetch-cert", "--controller-namespace", keyNs, "--controller-name", "no-such-service"], { env: admin, cwd: dir });
    assert.equal(missing.code, 0, missing.stderr);
    const off = await runCli(["seal", "--fetch-cert", "--controller-namespace", keyNs, "--public-keys-configmap", ""], { env, cwd: dir });
    assert.equal(off.code, 1);
    assert.match(off.stderr, /forbidden/i);
    for (const r of [viaConfigMap, fetched, cw, strict, off]) assert.doesNotMatch(r.stdout + r.stderr, /canary-proxyless|token/i);
  });

  it("a restart with nothing changed writes nothing; a rotation updates it", { timeout: 300_000 }, async () => {
    const before = await eventually("the ConfigMap", configMap, 30_000);
    await controller?.stop();
    await start();
    assert.ok(controller);
    assert.equal(controller.lines.filter((l) => /public keys ConfigMap (created|updated)/.test(l)).length, 0, "no write on a restart with nothing changed");
    assert.equal((await configMap())?.rv, before.rv);

    const keys = await cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: "sealedsecrets.bitnami.com/sealed-secrets-key" });
    const key = keys[0]?.metadata?.name;
    assert.ok(key);
    await cluster.kube.patch(resources.secret, keyNs, key, { metadata: { annotations: { "sealbridge.dev/rotate-now": "reseal-test" } } }, "merge");
    const rotated = await eventually("the new certificate in the ConfigMap", async () => {
      const now = await configMap();
      return now !== undefined && now.data["cert.pem"] !== before.data["cert.pem"] ? now : undefined;
    }, 180_000);
    assert.equal(rotated.data["cert.pem"], await apiText("/v1/cert.pem"));
    assert.equal(rotated.data["age-recipients-cluster-wide"], before.data["age-recipients-cluster-wide"], "the age keys did not rotate");
    assert.equal(controller.lines.filter((l) => /public keys ConfigMap updated/.test(l)).length, 1);
  });
});
