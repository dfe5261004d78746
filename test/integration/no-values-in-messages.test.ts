// No value in any message: a canary value reaches the running controller (`node src/main.ts`, logs
// at trace level) through AWS (moto), a SealedSecret and an AgeSecret, then every template error
// class, provider errors and decrypt failures are driven. Logs, Events, every object's status and
// /metrics are then searched for the canary, its base64 and its hex.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { resources } from "../../src/api/resources.ts";
import { parseSealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import type { KubeObject, Resource } from "../../src/kube/port.ts";
import { freshNamespace, testCluster, type TestCluster } from "../support/control-plane.ts";
import { startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { createAwsStaticKeyStore } from "../support/eso.ts";
import { eventually } from "../support/sealed-controller.ts";
import { startMoto, type RunningServer } from "../support/servers.ts";

let cluster: TestCluster;
let moto: RunningServer;
let proc: ControllerProcess | undefined;

const canary = `cnry${randomBytes(8).toString("hex")}`;

before(async () => {
  [cluster, moto] = await Promise.all([testCluster(), startMoto()]);
});

after(async () => {
  await proc?.stop();
  await moto?.stop();
});

/** Template error classes, each fed the canary: Go's messages for these quote their argument. */
const TEMPLATES: Record<string, string> = {
  fail: "{{ fail .pw }}",
  "printf-fail": '{{ printf "value was %s" .pw | fail }}',
  "must-to-date": '{{ mustToDate "2006-01-02" .pw }}',
  "must-from-json": "{{ .pw | mustFromJson }}",
  "must-from-json-prefix": "{{ .half | mustFromJson }}",
  "regex-bad-pattern": '{{ mustRegexFind (print "(" .pw) "x" }}',
  required: '{{ required (print "missing " .pw) .nothing }}',
  "semver": "{{ semver .pw }}",
  "b64dec": "{{ .pw | b64dec | mustFromJson }}",
  "jwk": "{{ .pw | jwkPublicKeyPem }}",
  "pkcs12": "{{ .pw | pkcs12key }}",
  "atoi-div": "{{ div 1 (.pw | atoi) }}",
  "index": "{{ index .pw 99 }}",
};

function esFor(ns: string, name: string, template: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: "1h",
      secretStoreRef: { name: "aws", kind: "SecretStore" },
      target: { name, template },
      data: [
        { secretKey: "pw", remoteRef: { key: `canary-${ns}`, property: "pw" } },
        { secretKey: "half", remoteRef: { key: `canary-${ns}`, property: "half" } },
      ],
    },
  };
}

interface Stamped {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

function condition(obj: KubeObject | undefined, type: string): { status: string; reason?: string; message?: string } | undefined {
  return (obj as Stamped | undefined)?.status?.conditions?.find((c) => c.type === type);
}

test("no canary value in logs, Events, status or metrics, whatever fails", { timeout: 400_000 }, async (t) => {
  const keyNs = await freshNamespace(cluster, "cn-keys");
  const ns = await freshNamespace(cluster, "cn");
  proc = startControllerProcess(
    ["--kubeconfig", cluster.kubeconfigPath, "--key-namespace", keyNs, "--listen-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--key-bits", "2048", "--log-level", "trace"],
    { AWS_SECRETSMANAGER_ENDPOINT: moto.url, AWS_STS_ENDPOINT: moto.url },
  );
  const ports = await proc.ports();
  await proc.waitFor(/"msg":"sealbridge ready"/, 90_000);

  // The canary in AWS: as a JSON property, and half a JSON document (mustFromJson quotes input).
  const sm = new SecretsManagerClient({ region: "eu-west-1", endpoint: moto.url, credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  try {
    await sm.send(new CreateSecretCommand({ Name: `canary-${ns}`, SecretString: JSON.stringify({ pw: canary, half: `{"k": ${canary}` }) }));
    await sm.send(new CreateSecretCommand({ Name: `plain-${ns}`, SecretString: canary }));
  } finally {
    sm.destroy();
  }
  await createAwsStaticKeyStore(cluster.kube, ns, "test");

  const esNames: string[] = [];
  for (const [id, text] of Object.entries(TEMPLATES)) {
    const name = `tpl-${id}`;
    esNames.push(name);
    await cluster.kube.create(resources.externalSecret, esFor(ns, name, { data: { out: text } }));
  }
  // KeysAndValues templateFrom rendering to YAML that does not parse, with the canary on the line.
  esNames.push("tpl-keys-and-values");
  await cluster.kube.create(resources.externalSecret, esFor(ns, "tpl-keys-and-values", { templateFrom: [{ literal: "{{ .pw }}: [unclosed {{ .pw }}" }] }));
  // Provider-side failures around the canary: a property of a non-JSON value, base64 decoding of a
  // value that is not base64, a property path through the canary.
  esNames.push("provider-decoding", "provider-property");
  await cluster.kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: "provider-decoding", namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, target: { name: "provider-decoding" }, data: [{ secretKey: "pw", remoteRef: { key: `plain-${ns}`, decodingStrategy: "Base64" } }] },
  });
  await cluster.kube.create(resources.externalSecret, {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    metadata: { name: "provider-property", namespace: ns },
    spec: { refreshInterval: "1h", secretStoreRef: { name: "aws", kind: "SecretStore" }, target: { name: "provider-property" }, data: [{ secretKey: "pw", remoteRef: { key: `plain-${ns}`, property: "pw" } }], dataFrom: [{ extract: { key: `plain-${ns}` } }] },
  });

  // A SealedSecret holding the canary, with templates that fail on it.
  const certPem = await (await fetch(`http://127.0.0.1:${ports.api}/v1/cert.pem`)).text();
  const cert = parseSealingCertificate(certPem, new Date());
  const sealedNames: string[] = [];
  for (const [id, text] of Object.entries({ fail: "{{ fail .pw }}", json: "{{ .pw | mustFromJson }}", date: '{{ mustToDate "2006-01-02" .pw }}' })) {
    const name = `sealed-${id}`;
    sealedNames.push(name);
    await cluster.kube.create(resources.sealedSecret, {
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name, namespace: ns },
      spec: { encryptedData: { pw: sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(canary), label: scopeLabel("strict", ns, name) }) }, template: { data: { out: text } } },
    });
  }
  // Sealed for another name (a decrypt failure), and one with a corrupted ciphertext.
  sealedNames.push("sealed-renamed", "sealed-corrupt");
  await cluster.kube.create(resources.sealedSecret, {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { name: "sealed-renamed", namespace: ns },
    spec: { encryptedData: { pw: sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(canary), label: scopeLabel("strict", ns, "original") }) } },
  });
  const good = Buffer.from(sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(canary), label: scopeLabel("strict", ns, "sealed-corrupt") }), "base64");
  good[good.length - 3] = (good[good.length - 3] ?? 0) ^ 0xff;
  await cluster.kube.create(resources.sealedSecret, {
    apiVersion: "bitnami.com/v1alpha1",
    kind: "SealedSecret",
    metadata: { name: "sealed-corrupt", namespace: ns },
    spec: { encryptedData: { pw: good.toString("base64") } },
  });

  // Everything ends in a condition (most say it failed; a few functions return a zero value).
  let failed = 0;
  for (const name of esNames) {
    const c = await eventually(`ExternalSecret ${name} has a condition`, async () => condition(await cluster.kube.get(resources.externalSecret, ns, name), "Ready"), 90_000);
    if (c.status === "False") failed++;
    t.diagnostic(`${name}: ${c.status} ${c.reason ?? ""}: ${c.message ?? ""}`);
  }
  assert.ok(failed >= esNames.length - 3, `${failed} of ${esNames.length} ExternalSecrets failed`);
  for (const name of sealedNames) {
    const c = await eventually(`SealedSecret ${name} fails`, async () => {
      const synced = condition(await cluster.kube.get(resources.sealedSecret, ns, name), "Synced");
      return synced?.status === "False" ? synced : undefined;
    }, 90_000);
    t.diagnostic(`${name}: ${c.reason ?? ""}: ${c.message ?? ""}`);
  }
  // A retry or two has happened for each (backoff), so their log lines are in.
  await new Promise((r) => setTimeout(r, 3000));

  const needles = [canary, Buffer.from(canary).toString("base64"), Buffer.from(canary).toString("base64").slice(0, 16), Buffer.from(canary).toString("hex")];
  const haystacks: [string, string][] = [["logs", proc.lines.join("\n")]];
  const objects = async (resource: Resource) => JSON.stringify(await cluster.kube.list(resource, { namespace: ns }));
  haystacks.push(["ExternalSecrets", await objects(resources.externalSecret)]);
  haystacks.push(["SealedSecrets", await objects(resources.sealedSecret)]);
  haystacks.push(["Events", await objects(resources.event)]);
  haystacks.push(["metrics", await (await fetch(`http://127.0.0.1:${ports.metrics}/metrics`)).text()]);
  for (const [where, text] of haystacks) {
    for (const needle of needles) {
      const at = text.indexOf(needle);
      assert.equal(at, -1, `the canary (${needle === canary ? "plain" : "encoded"}) appears in ${where}: …${text.slice(Math.max(0, at - 200), at).replaceAll(canary, "<CANARY>")}<CANARY>…`);
    }
  }
  t.diagnostic(`searched ${haystacks.map(([w, s]) => `${w} ${s.length} chars`).join(", ")}`);
});
