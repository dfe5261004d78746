import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Writable } from "node:stream";
import { test } from "node:test";
import { allCrds, crdManifest, type JsonSchema } from "../../src/api/crds.ts";
import { ConfigError, parseControllerArgs } from "../../src/config.ts";
import { keyOf, parseKey } from "../../src/controller/object-key.ts";
import { findClusterConfig } from "../../src/kube/cluster-config.ts";
import { resourcePath } from "../../src/kube/port.ts";
import { createLogger } from "../../src/log.ts";
import { LogTail } from "../../src/sandbox/log-tail.ts";

function walk(schema: JsonSchema, visit: (s: JsonSchema, path: string) => void, path = ""): void {
  visit(schema, path);
  for (const [k, v] of Object.entries(schema.properties ?? {})) walk(v, visit, `${path}.${k}`);
  if (schema.items) walk(schema.items, visit, `${path}[]`);
  if (typeof schema.additionalProperties === "object") walk(schema.additionalProperties, visit, `${path}{}`);
}

test("CRDs are structural, have a status subresource and never inject defaults", () => {
  for (const crd of allCrds) {
    const manifest = crdManifest(crd) as { spec: { versions: { subresources: unknown }[] } };
    assert.deepEqual(manifest.spec.versions[0]?.subresources, { status: {} });
    walk(crd.schema, (s, path) => {
      assert.ok(!("default" in s), `${crd.kind}${path} has a default`);
      assert.ok(s.type !== undefined || s["x-kubernetes-int-or-string"], `${crd.kind}${path} has a type`);
    });
  }
});

test("controller flags: defaults, switches and clear errors", () => {
  const config = parseControllerArgs([], {});
  assert.ok(typeof config === "object");
  assert.equal(config.listenAddr, ":8080");
  assert.equal(config.keyNamespace, "kube-system");
  assert.equal(config.enable.externalSecrets, true);
  const off = parseControllerArgs(["--disable-external-secrets", "--key-namespace", "sb", "--workers", "8"], {});
  assert.ok(typeof off === "object");
  assert.equal(off.enable.externalSecrets, false);
  assert.equal(off.enable.pushSecrets, false, "PushSecrets are part of the external-secrets reconcilers");
  assert.equal(config.enable.pushSecrets, true);
  const noPush = parseControllerArgs(["--disable-push-secrets"], {});
  assert.ok(typeof noPush === "object");
  assert.deepEqual([noPush.enable.externalSecrets, noPush.enable.pushSecrets], [true, false]);
  assert.equal(off.keyNamespace, "sb");
  // API requests over HTTP/2 unless turned off (watches use HTTP/1.1 either way).
  assert.equal(config.kubeApi.http2, true);
  const h1 = parseControllerArgs(["--disable-kube-api-http2"], {});
  assert.ok(typeof h1 === "object");
  assert.equal(h1.kubeApi.http2, false);
  assert.equal(off.workers, 8);
  assert.equal(parseControllerArgs(["--help"], {}), "help");
  assert.equal(parseControllerArgs(["--version"], {}), "version");
  assert.throws(() => parseControllerArgs(["--workers", "zero"], {}), ConfigError);
  assert.throws(() => parseControllerArgs(["--bogus"], {}), /bogus/);
  // RSA worker threads: absent means "the CPUs the process may use", decided where the pool is made.
  assert.equal(config.rsaWorkers, undefined);
  const rsa = parseControllerArgs(["--rsa-workers", "3"], {});
  assert.ok(typeof rsa === "object");
  assert.equal(rsa.rsaWorkers, 3);
  assert.throws(() => parseControllerArgs(["--rsa-workers", "0"], {}), /--rsa-workers must be an integer/);
  assert.throws(() => parseControllerArgs(["--rsa-workers", "1.5"], {}), ConfigError);
});

test("cluster detection: flag, KUBECONFIG, ~/.kube/config, in-cluster, none", () => {
  const home = mkdtempSync(join(tmpdir(), "sb-home-"));
  const noSa = join(home, "no-service-account");
  assert.deepEqual(findClusterConfig({ env: { HOME: home } }), { kind: "none" });
  assert.deepEqual(findClusterConfig({ explicitPath: "/x/kc", env: { HOME: home } }), { kind: "kubeconfig", paths: ["/x/kc"] });
  assert.deepEqual(findClusterConfig({ explicitPath: "kc", env: { HOME: home }, cwd: "/w" }), { kind: "kubeconfig", paths: ["/w/kc"] });
  assert.deepEqual(findClusterConfig({ env: { HOME: home, KUBECONFIG: "/does/not/exist" } }), { kind: "none" });
  mkdirSync(join(home, ".kube"));
  writeFileSync(join(home, ".kube", "config"), "apiVersion: v1\n");
  assert.deepEqual(findClusterConfig({ env: { HOME: home } }), { kind: "kubeconfig", paths: [join(home, ".kube", "config")] });
  // $KUBECONFIG, when set, is the whole list (client-go): missing files are skipped, ~/.kube/config is not added.
  writeFileSync(join(home, "a"), "apiVersion: v1\n");
  writeFileSync(join(home, "b"), "apiVersion: v1\n");
  assert.deepEqual(findClusterConfig({ env: { HOME: home, KUBECONFIG: ["b", "missing", "a"].map((f) => join(home, f)).join(delimiter) } }), { kind: "kubeconfig", paths: [join(home, "b"), join(home, "a")] });
  assert.deepEqual(findClusterConfig({ env: { HOME: home, KUBECONFIG: join(home, "missing"), KUBERNETES_SERVICE_HOST: "10.0.0.1" }, serviceAccountDir: noSa }), { kind: "none" });
  const sa = join(home, "sa");
  mkdirSync(sa);
  writeFileSync(join(sa, "token"), "t\n");
  assert.deepEqual(findClusterConfig({ env: { HOME: home, KUBECONFIG: join(home, "missing"), KUBERNETES_SERVICE_HOST: "10.0.0.1" }, serviceAccountDir: sa }), { kind: "in-cluster" });
});

test("object keys and REST paths", () => {
  assert.equal(keyOf({ metadata: { namespace: "ns", name: "a" } }), "ns/a");
  assert.equal(keyOf({ metadata: { name: "cluster-wide" } }), "cluster-wide");
  assert.deepEqual(parseKey("ns/a"), { namespace: "ns", name: "a" });
  assert.deepEqual(parseKey("a"), { name: "a" });
  const ss = { group: "bitnami.com", version: "v1alpha1", kind: "SealedSecret", plural: "sealedsecrets", namespaced: true };
  assert.equal(resourcePath(ss, "ns", "x", "status"), "/apis/bitnami.com/v1alpha1/namespaces/ns/sealedsecrets/x/status");
  assert.equal(resourcePath({ group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true }), "/api/v1/secrets");
});

test("the logger redacts data fields even if someone passes them", () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ destination });
  log.child({ kind: "Secret", name: "x" }).info({ secret: { data: { password: "aHVudGVyMg==" } }, token: "s3cr3t" }, "hello");
  const line = lines.join("");
  assert.match(line, /"msg":"hello"/);
  assert.match(line, /"kind":"Secret"/);
  assert.doesNotMatch(line, /aHVudGVyMg==|s3cr3t/);
});

test("log tail keeps the last lines, including a partial one", () => {
  const tail = new LogTail(2);
  tail.push(Buffer.from("one\ntwo\nthr"));
  tail.push(Buffer.from("ee\nfour"));
  assert.deepEqual(tail.lines(), ["two", "three", "four"]);
});

test("crds/ is generated from src/api/crds.ts and up to date (run `npm run crds`)", async () => {
  const { readFileSync } = await import("node:fs");
  const { allCrdFiles } = await import("../../src/api/crd-yaml.ts");
  for (const dir of ["crds", "charts/sealbridge/files/crds"]) {
    for (const file of allCrdFiles()) {
      const onDisk = readFileSync(new URL(`../../${dir}/${file.fileName}`, import.meta.url), "utf8");
      assert.equal(onDisk, file.content, `${dir}/${file.fileName} is stale`);
    }
  }
});
