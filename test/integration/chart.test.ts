// The Helm chart: `helm lint` and `helm template` (helm built from its Go module, cached), what the
// rendered objects promise (security context, Service name and first port for kubeseal, metrics,
// ServiceMonitor, PDB, leader election, CRDs optional, RBAC per reconciler), and the controller run
// as deployed: the chart's RBAC applied to the real control plane, a TokenRequest token for its
// ServiceAccount, the Deployment's own arguments, and every reconciler working as that service
// account — which also cannot do what it does not need.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { KubeConfig } from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { allCrds } from "../../src/api/crds.ts";
import { resources } from "../../src/api/resources.ts";
import { encryptAge } from "../../src/crypto/age.ts";
import { parseSealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import { ClientNodeKube } from "../../src/kube/client-node-adapter.ts";
import type { KubeObject, Resource } from "../../src/kube/port.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { createAwsStaticKeyStore } from "../support/eso.ts";
import { eventually } from "../support/sealed-controller.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";
import { ensureTool } from "../support/tools.ts";

const chart = new URL("../../charts/sealbridge", import.meta.url).pathname;
let helm = "";

function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 << 20, ...options }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, stdout, stderr });
    });
  });
}

/** `helm template` with --set values, parsed into objects. */
async function render(namespace: string, values: Record<string, string | number | boolean> = {}): Promise<KubeObject[]> {
  const sets = Object.entries(values).flatMap(([k, v]) => ["--set", `${k}=${String(v)}`]);
  const r = await run(helm, ["template", "sb", chart, "--namespace", namespace, ...sets]);
  assert.equal(r.code, 0, r.stderr);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

const ofKind = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: KubeObject[], kind: string, name?: string): KubeObject => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  assert.equal(found.length, 1, `one ${kind}${name ? ` ${name}` : ""}, got ${found.length}`);
  return found[0] as KubeObject;
};

interface Container {
  args: string[];
  env?: { name: string }[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
}
const podSpec = (d: KubeObject) => (d["spec"] as { template: { spec: PodSpec } }).template.spec;
const container = (d: KubeObject): Container => {
  const c = podSpec(d).containers[0];
  assert.ok(c);
  return c;
};
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
const rules = (o: KubeObject) => (o["rules"] as Rule[] | undefined) ?? [];

before(async () => {
  helm = await ensureTool("helm");
});

describe("Helm chart", () => {
  it("helm lint passes with defaults and with the optional parts on", async () => {
    for (const sets of [[], ["--set", "replicaCount=3", "--set", "metrics.serviceMonitor.enabled=true", "--set", "crds.install=false", "--set", "controller.externalSecrets=false"]]) {
      const r = await run(helm, ["lint", "--strict", chart, ...sets]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    }
  });

  it("renders what kubeseal and a hardened cluster expect", async () => {
    const objs = await render("kube-system");
    const deployment = one(objs, "Deployment");
    const pod = podSpec(deployment);
    const c = container(deployment);
    assert.deepEqual(pod.securityContext["seccompProfile"], { type: "RuntimeDefault" });
    assert.equal(pod.securityContext["runAsNonRoot"], true);
    assert.equal(c.securityContext["allowPrivilegeEscalation"], false);
    assert.equal(c.securityContext["readOnlyRootFilesystem"], true);
    assert.equal(c.securityContext["runAsNonRoot"], true);
    assert.deepEqual(c.securityContext["capabilities"], { drop: ["ALL"] });
    assert.ok(!("privileged" in c.securityContext) || c.securityContext["privileged"] === false);
    assert.equal(c.livenessProbe.httpGet.path, "/healthz");
    assert.equal(c.readinessProbe.httpGet.path, "/readyz");
    assert.ok(c.args.includes("--key-namespace=kube-system"));
    assert.ok(!c.args.includes("--leader-elect"), "one replica: no leader election");

    // kubeseal --controller-name sealed-secrets-controller --controller-namespace kube-system, first port.
    const service = one(objs, "Service", "sealed-secrets-controller");
    const ports = (service["spec"] as { ports: { name: string; port: number; targetPort: string }[] }).ports;
    assert.equal(ports[0]?.name, "http");
    assert.equal(ports[0]?.port, 8080);
    assert.equal(c.ports.find((p) => p.name === ports[0]?.targetPort)?.containerPort, 8080);
    assert.ok(c.args.includes("--listen-addr=:8080"));
    const metrics = one(objs, "Service", "sealed-secrets-controller-metrics");
    assert.equal((metrics["spec"] as { ports: { name: string }[] }).ports[0]?.name, "metrics");
    assert.equal(ofKind(objs, "ServiceMonitor").length, 0);
    one(objs, "PodDisruptionBudget");
    assert.equal(pod.serviceAccountName, "sealed-secrets-controller");
    one(objs, "ServiceAccount", "sealed-secrets-controller");

    // CRDs: the generated ones, kept on uninstall; or none.
    const crds = ofKind(objs, "CustomResourceDefinition");
    assert.deepEqual(crds.map((o) => o.metadata?.name).sort(), allCrds.map((c) => `${c.plural}.${c.group}`).sort());
    for (const crd of crds) assert.equal(crd.metadata?.annotations?.["helm.sh/resource-policy"], "keep");
    assert.equal(ofKind(await render("kube-system", { "crds.install": false }), "CustomResourceDefinition").length, 0);
  });

  it("replicaCount > 1 turns on leader election, its Lease rule and a PDB that keeps one up; ServiceMonitor optional", async () => {
    const objs = await render("sb", { replicaCount: 3, "metrics.serviceMonitor.enabled": true });
    const c = container(one(objs, "Deployment"));
    assert.ok(c.args.includes("--leader-elect"));
    assert.ok(c.args.includes("--leader-election-id=sealed-secrets-controller"));
    assert.ok(c.env?.some((e) => e.name === "POD_NAME"), "POD_NAME is the Lease identity");
    const role = one(objs, "Role", "sealed-secrets-controller");
    assert.ok(rules(role).some((r) => r.resources.includes("leases") && r.verbs.includes("update")));
    assert.deepEqual((one(objs, "PodDisruptionBudget")["spec"] as { minAvailable?: number }).minAvailable, 1);
    const sm = one(objs, "ServiceMonitor");
    assert.equal((sm["spec"] as { endpoints: { port: string }[] }).endpoints[0]?.port, "metrics");
  });

  it("RBAC follows the reconcilers that are on", async () => {
    const all = one(await render("sb"), "ClusterRole");
    const text = JSON.stringify(rules(all));
    for (const r of ["sealedsecrets", "agesecrets", "sopssecrets", "externalsecrets", "clustersecretstores"]) assert.match(text, new RegExp(`"${r}"`));
    for (const rule of rules(all)) {
      assert.ok(!rule.verbs.includes("*") && !rule.resources.includes("*") && !rule.apiGroups.includes("*"), "no wildcards");
      assert.ok(!rule.resources.some((r) => ["pods", "customresourcedefinitions", "clusterroles", "roles", "nodes"].includes(r)));
      if (rule.resources.includes("configmaps")) assert.deepEqual(rule.verbs, ["get"]);
    }
    const sealedOnly = one(
      await render("sb", { "controller.ageSecrets": false, "controller.sopsSecrets": false, "controller.externalSecrets": false }),
      "ClusterRole",
    );
    const sealedText = JSON.stringify(rules(sealedOnly));
    assert.doesNotMatch(sealedText, /external-secrets\.io|sealbridge\.dev|configmaps|serviceaccounts|namespaces/);
    const secretRule = rules(sealedOnly).find((r) => r.resources.includes("secrets"));
    assert.deepEqual(secretRule?.verbs, ["get", "list", "watch", "create", "update"], "no delete without ExternalSecrets");
    const esoOnly = await render("sb", { "controller.sealedSecrets": false, "controller.ageSecrets": false, "controller.sopsSecrets": false });
    assert.doesNotMatch(JSON.stringify(rules(one(esoOnly, "ClusterRole"))), /bitnami\.com|sealbridge\.dev/);
    assert.equal(ofKind(esoOnly, "Role").length, 0, "no sealing keys, no leader election: no Role");
    // PushSecret: its own rules (patch for the finalizer), dropped with controller.pushSecrets=false.
    assert.ok(rules(all).some((r) => r.resources.includes("pushsecrets") && r.verbs.includes("patch") && !r.verbs.includes("update")));
    assert.ok(rules(all).some((r) => r.resources.includes("pushsecrets/status")));
    const noPush = await render("sb", { "controller.pushSecrets": false });
    assert.doesNotMatch(JSON.stringify(rules(one(noPush, "ClusterRole"))), /pushsecrets/);
    const args = (objs: KubeObject[]) => JSON.stringify(one(objs, "Deployment")["spec"]);
    assert.match(args(noPush), /--disable-push-secrets/);
    assert.doesNotMatch(args(await render("sb")), /--disable-push-secrets/);
  });

  it("the public-keys ConfigMap: the controller writes that one, every authenticated user may get it", async () => {
    const objs = await render("kube-system");
    assert.ok(container(one(objs, "Deployment")).args.includes("--public-keys-configmap=sealbridge-public-keys"));
    const writer = rules(one(objs, "Role", "sealed-secrets-controller-public-keys-writer"));
    assert.deepEqual(writer, [
      { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
      { apiGroups: [""], resources: ["configmaps"], resourceNames: ["sealbridge-public-keys"], verbs: ["get", "update"] },
    ]);
    const reader = rules(one(objs, "Role", "sealed-secrets-controller-public-keys-reader"));
    assert.deepEqual(reader, [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["sealbridge-public-keys"], verbs: ["get"] }]);
    const binding = one(objs, "RoleBinding", "sealed-secrets-controller-public-keys-reader");
    assert.deepEqual(binding["subjects"], [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:authenticated" }]);
    const off = await render("kube-system", { "publicKeys.configMapName": "" });
    assert.equal(ofKind(off, "Role").filter((r) => /public-keys/.test(r.metadata?.name ?? "")).length, 0, "publishing off: no RBAC for it");
    const private_ = await render("kube-system", { "publicKeys.readableByAuthenticated": false });
    assert.equal(ofKind(private_, "RoleBinding").filter((r) => r.metadata?.name?.endsWith("-public-keys-reader")).length, 0);
  });
});

describe("the controller as deployed by the chart (its service account, its arguments)", () => {
  let cluster: TestCluster;
  let moto: RunningServer;
  let dir = "";
  let ns = "";
  let app = "";
  let controller: ControllerProcess | undefined;
  let saKube: ClientNodeKube;
  const fullname = `sb-${Math.random().toString(36).slice(2, 8)}`;

  before(async () => {
    cluster = await testCluster();
    [moto, ns, app] = await Promise.all([startMoto(), freshNamespace(cluster, "sb-system"), freshNamespace(cluster, "sb-app")]);
    dir = await mkdtemp(join(tmpdir(), "sb-chart-"));
    // Two replicas' worth of RBAC and arguments (leader election on); one process runs here.
    const objs = await render(ns, { fullnameOverride: fullname, replicaCount: 2, "crds.install": false });
    const rbacKinds: [string, Resource][] = [
      ["ServiceAccount", resources.serviceAccount],
      ["ClusterRole", { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false }],
      ["ClusterRoleBinding", { group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false }],
      ["Role", { group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true }],
      ["RoleBinding", { group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true }],
    ];
    for (const [kind, resource] of rbacKinds) for (const obj of ofKind(objs, kind)) await cluster.kube.create(resource, obj);

    // A TokenRequest token for the chart's ServiceAccount, in a kubeconfig of its own (never printed).
    const tokenRequest = await cluster.kube.createSubresource(resources.serviceAccount, ns, fullname, "token", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { expirationSeconds: 3600 },
    });
    const token = (tokenRequest["status"] as { token?: string } | undefined)?.token;
    assert.ok(token, "TokenRequest returned a token");
    const admin = cluster.kubeConfig.getCurrentCluster();
    assert.ok(admin);
    const kubeconfigPath = join(dir, "sa.kubeconfig");
    await writeFile(
      kubeconfigPath,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: admin.server, ...(admin.caData ? { "certificate-authority-data": admin.caData } : {}) } }],
        users: [{ name: "sa", user: { token } }],
        contexts: [{ name: "sa", context: { cluster: "c", user: "sa" } }],
        "current-context": "sa",
      }),
      { mode: 0o600 },
    );
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    saKube = new ClientNodeKube(kc);

    // The Deployment's arguments, with local addresses instead of the pod's ports.
    const deployed = container(one(objs, "Deployment")).args.filter((a) => !/^--(listen|metrics)-addr=/.test(a));
    assert.ok(deployed.includes("--leader-elect"));
    controller = startControllerProcess(
      [...deployed, "--kubeconfig", kubeconfigPath, "--listen-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--key-bits", "2048"],
      { POD_NAMESPACE: ns, POD_NAME: `${fullname}-0`, AWS_SECRETSMANAGER_ENDPOINT: moto.url },
    );
    await controller.waitFor(/"msg":"reconcilers running"/, 60_000);
  });

  after(async () => {
    await controller?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function apiGet(path: string): Promise<string> {
    assert.ok(controller);
    const { api } = await controller.ports();
    const res = await fetch(`http://127.0.0.1:${api}${path}`);
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return await res.text();
  }

  async function secretValue(name: string, key: string): Promise<string> {
    return await eventually(
      `Secret ${app}/${name}`,
      async () => {
        const s = await cluster.kube.get(resources.secret, app, name);
        const v = (s?.["data"] as Record<string, string> | undefined)?.[key];
        return v === undefined ? undefined : Buffer.from(v, "base64").toString();
      },
      30_000,
    );
  }

  it("every reconciler works with the chart's RBAC", { timeout: 90_000 }, async () => {
    // SealedSecret, sealed to the certificate the controller serves.
    const cert = parseSealingCertificate(await apiGet("/v1/cert.pem"), new Date());
    await cluster.kube.create(resources.sealedSecret, {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name: "sealed", namespace: app },
      spec: { encryptedData: { password: sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from("rsa-value"), label: scopeLabel("strict", app, "sealed") }) } },
    });

    // AgeSecret, to the recipient the controller serves for its scope.
    const ageRecipient = (await apiGet(`/v1/age-recipients?scope=strict&namespace=${app}&name=aged`)).trim().split("\n")[0] ?? "";
    await cluster.kube.create(resources.ageSecret, {
      apiVersion: "sealbridge.dev/v1alpha1",
      kind: "AgeSecret",
      metadata: { name: "aged", namespace: app },
      spec: { encryptedData: { password: String(await encryptAge({ recipients: [ageRecipient], plaintext: Buffer.from("age-value") })) } },
    });

    // SopsSecret, a Secret manifest encrypted by the real sops to the controller's recipient.
    const sops = await ensureTool("sops");
    const sopsRecipient = (await apiGet(`/v1/age-recipients?scope=strict&namespace=${app}&name=sopsed`)).trim().split("\n")[0] ?? "";
    await writeFile(join(dir, "secret.yaml"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sopsed\nstringData:\n  password: sops-value\n");
    const encrypted = await run(sops, ["--encrypt", "--age", sopsRecipient, "secret.yaml"], { cwd: dir, env: { PATH: process.env["PATH"] ?? "", HOME: dir } });
    assert.equal(encrypted.code, 0, encrypted.stderr);
    await cluster.kube.create(resources.sopsSecret, {
      apiVersion: "sealbridge.dev/v1alpha1",
      kind: "SopsSecret",
      metadata: { name: "sopsed", namespace: app },
      spec: { document: encrypted.stdout },
    });

    // ExternalSecret from AWS Secrets Manager (moto), through a SecretStore with static keys.
    const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    await sm.send(new CreateSecretCommand({ Name: `${app}/db`, SecretString: JSON.stringify({ password: "aws-value" }) }));
    await createAwsStaticKeyStore(cluster.kube, app, "secret");
    await cluster.kube.create(resources.externalSecret, {
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "external", namespace: app },
      spec: { secretStoreRef: { name: "aws", kind: "SecretStore" }, data: [{ secretKey: "password", remoteRef: { key: `${app}/db`, property: "password" } }] },
    });

    assert.equal(await secretValue("sealed", "password"), "rsa-value");
    assert.equal(await secretValue("aged", "password"), "age-value");
    assert.equal(await secretValue("sopsed", "password"), "sops-value");
    assert.equal(await secretValue("external", "password"), "aws-value");
    const store = await eventually("SecretStore Ready", async () => {
      const s = await cluster.kube.get(resources.secretStore, app, "aws");
      const ready = (s?.["status"] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.find((c) => c.type === "Ready");
      return ready?.status === "True" ? ready : undefined;
    });
    assert.equal(store.status, "True");
    const lease = await cluster.kube.get(resources.lease, ns, fullname);
    assert.equal((lease?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity, `${fullname}-0`);
    assert.ok(controller);
    assert.equal(controller.lines.filter((l) => /forbidden/i.test(l)).length, 0, `no RBAC denials:\n${controller.lines.filter((l) => /forbidden/i.test(l)).slice(0, 3).join("\n")}`);
  });

  it("and cannot do what it does not need", async () => {
    const review: Resource = { group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", plural: "selfsubjectaccessreviews", namespaced: false };
    const can = async (verb: string, resource: string, group: string, namespace?: string, subresource?: string) => {
      const r = await saKube.create(review, {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { verb, resource, group, ...(namespace ? { namespace } : {}), ...(subresource ? { subresource } : {}) } },
      });
      return (r["status"] as { allowed?: boolean } | undefined)?.allowed === true;
    };
    // What it needs.
    assert.equal(await can("list", "secrets", "", app), true);
    assert.equal(await can("get", "configmaps", "", app), true);
    assert.equal(await can("update", "sealedsecrets", "bitnami.com", app, "status"), true);
    assert.equal(await can("update", "leases", "coordination.k8s.io", ns), true);
    assert.equal(await can("patch", "secrets", "", ns), true, "rotate-now on its own key Secrets");
    // ClusterExternalSecret (as ESO's chart grants): its ExternalSecrets, namespaces and their finalizers, Password generators.
    assert.equal(await can("update", "externalsecrets", "external-secrets.io", app), true);
    assert.equal(await can("watch", "namespaces", "", undefined), true);
    assert.equal(await can("patch", "namespaces", "", undefined), true);
    assert.equal(await can("watch", "passwords", "generators.external-secrets.io", app), true);
    // What it does not.
    const denied: [string, string, string, string | undefined, string?][] = [
      ["list", "configmaps", "", app],
      ["watch", "configmaps", "", undefined],
      ["list", "pods", "", app],
      ["create", "pods", "", app],
      ["get", "nodes", "", undefined],
      ["create", "customresourcedefinitions", "apiextensions.k8s.io", undefined],
      ["update", "customresourcedefinitions", "apiextensions.k8s.io", undefined],
      ["delete", "customresourcedefinitions", "apiextensions.k8s.io", undefined],
      ["patch", "secrets", "", app],
      ["update", "sealedsecrets", "bitnami.com", app],
      ["delete", "sealedsecrets", "bitnami.com", app],
      ["update", "secretstores", "external-secrets.io", app],
      ["delete", "namespaces", "", undefined],
      ["update", "passwords", "generators.external-secrets.io", app],
      ["update", "leases", "coordination.k8s.io", app],
      ["create", "clusterrolebindings", "rbac.authorization.k8s.io", undefined],
      ["create", "serviceaccounts", "", app],
      ["impersonate", "serviceaccounts", "", app],
      ["create", "deployments", "apps", app],
    ];
    for (const [verb, resource, group, namespace, sub] of denied) {
      assert.equal(await can(verb, resource, group, namespace, sub), false, `${verb} ${group}/${resource}${namespace ? ` in ${namespace}` : ""} must be denied`);
    }
    // And by trying: the API server refuses it.
    await assert.rejects(saKube.list(resources.configMap, { namespace: app }), /403|forbidden/i);
  });

  it("publishes the public-keys ConfigMap that any authenticated user, and only it, may read", { timeout: 60_000 }, async () => {
    const published = await eventually("the public-keys ConfigMap", () => cluster.kube.get(resources.configMap, ns, "sealbridge-public-keys"), 30_000);
    const data = published["data"] as Record<string, string>;
    assert.equal(data["cert.pem"], await apiGet("/v1/cert.pem"));
    assert.equal(data["age-recipients-cluster-wide"], await apiGet("/v1/age-recipients?scope=cluster-wide"));
    // Another service account with no role at all: authenticated, so it may get that one ConfigMap.
    await cluster.kube.create(resources.serviceAccount, { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "nobody", namespace: app } });
    const tr = await cluster.kube.createSubresource(resources.serviceAccount, app, "nobody", "token", { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } });
    const admin = cluster.kubeConfig.getCurrentCluster();
    assert.ok(admin);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: admin.server, ...(admin.caData ? { caData: admin.caData } : {}), skipTLSVerify: admin.skipTLSVerify }],
      users: [{ name: "nobody", token: (tr["status"] as { token: string }).token }],
      contexts: [{ name: "nobody", cluster: "c", user: "nobody" }],
      currentContext: "nobody",
    });
    const nobody = new ClientNodeKube(kc);
    assert.equal((await nobody.get(resources.configMap, ns, "sealbridge-public-keys"))?.["data"] !== undefined, true);
    await cluster.kube.create(resources.configMap, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "other", namespace: ns }, data: { a: "b" } });
    await assert.rejects(nobody.get(resources.configMap, ns, "other"), /403|forbidden/i);
    await assert.rejects(nobody.list(resources.configMap, { namespace: ns }), /403|forbidden/i);
    await assert.rejects(nobody.get(resources.secret, ns, "sealbridge-public-keys"), /403|forbidden/i);
  });
});
