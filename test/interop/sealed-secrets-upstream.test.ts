// Sealed Secrets' own integration suite (github.com/bitnami-labs/sealed-secrets `integration/`, Ginkgo,
// compiled by scripts/build-tools.sh at kubeseal's version) run against sealbridge as users run it:
// `node src/main.ts` on the sandbox control plane, reached by the real kubeseal through the API
// server's service proxy (a veth namespace endpoint), and `controller --version` answered by
// sealbridge's own entry point. Every spec of the suite must pass.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { resources } from "../../src/api/resources.ts";
import { freshNamespace, testCluster } from "../support/control-plane.ts";
import { startControllerProcess } from "../support/controller-process.ts";
import { eventually, exposeThroughServiceProxy, skipUnlessExposed } from "../support/sealed-controller.ts";
import { ensureTool } from "../support/tools.ts";

const root = new URL("../../", import.meta.url).pathname;
/** The suite at v0.36.6 holds 41 specs; a different count means a different suite, not a pass. */
const EXPECTED_SPECS = 41;
/** The suite's own namespaces: generateName "create" (controller_test.go). */
const SUITE_NAMESPACE = /^create[a-z0-9]{5}$/;

/** One spec of Ginkgo's JSON report (the fields read here). */
interface SpecReport {
  ContainerHierarchyTexts?: string[] | null;
  LeafNodeText?: string;
  LeafNodeType?: string;
  State?: string;
  RunTime?: number;
  Failure?: { Message?: string; Location?: { FileName?: string; LineNumber?: number } };
}

interface SuiteReport {
  SuiteSucceeded?: boolean;
  SpecReports?: SpecReport[] | null;
}

function specName(s: SpecReport): string {
  return [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText ?? ""].join(" ").trim();
}

function summary(specs: readonly SpecReport[]): string {
  return specs
    .map((s) => {
      const where = s.Failure?.Location ? ` (${s.Failure.Location.FileName?.split("/").pop() ?? "?"}:${s.Failure.Location.LineNumber ?? "?"})` : "";
      const why = s.State === "passed" ? "" : `\n      ${(s.Failure?.Message ?? "").split("\n").slice(0, 6).join("\n      ")}`;
      return `  ${s.State ?? "?"}: ${specName(s)}${where}${why}`;
    })
    .join("\n");
}

function runSuite(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, cwd, maxBuffer: 64 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, output: `${stdout}${stderr}` });
    });
  });
}

test("Sealed Secrets' integration suite (kubeseal's version) passes against sealbridge", { timeout: 900_000 }, async (t) => {
  const [suite, kubeseal, cluster] = await Promise.all([ensureTool("sealed-secrets-integration"), ensureTool("kubeseal"), testCluster()]);
  const keyNs = await freshNamespace(cluster, "ssupstream");
  const dir = await mkdtemp(join(tmpdir(), "sb-ss-upstream-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // The controller as deployed: its own process, every namespace, keys in keyNs. It listens on all
  // interfaces so the service proxy reaches it at the veth address made for this test.
  const proc = startControllerProcess([
    "--kubeconfig", cluster.kubeconfigPath,
    "--key-namespace", keyNs,
    "--listen-addr", ":0",
    "--metrics-addr", "127.0.0.1:0",
    "--key-bits", "2048",
    // Only the Sealed Secrets reconciler: on a control plane shared with earlier test files, their
    // leftover AgeSecrets, SopsSecrets and ExternalSecrets are none of this test's business.
    "--disable-external-secrets",
    "--disable-age-secrets",
    "--disable-sops-secrets",
  ]);
  t.after(() => proc.stop());
  const { api } = await proc.ports();
  const endpoint = await exposeThroughServiceProxy(cluster, keyNs, api).catch(skipUnlessExposed(t));
  if (!endpoint) return;
  t.after(() => endpoint.remove());
  await proc.waitFor(/"msg":"sealbridge ready"/, 120_000);
  await eventually("a sealing key in the key namespace", async () => {
    const keys = await cluster.kube.list(resources.secret, { namespace: keyNs, labelSelector: "sealedsecrets.bitnami.com/sealed-secrets-key=active" });
    return keys.length > 0 ? true : undefined;
  }, 60_000);

  // The suite's `controller --version` spec runs --controller-bin: sealbridge's controller entry.
  const controllerBin = join(dir, "controller");
  await writeFile(controllerBin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, "src/main.ts"))} "$@"\n`);
  await chmod(controllerBin, 0o755);

  // The suite deletes its namespaces, but the sandbox has no namespace controller or garbage
  // collector: remove what it left (SealedSecrets, Secrets) so later files on a shared control
  // plane see none of it.
  t.after(async () => {
    for (const resource of [resources.sealedSecret, resources.secret]) {
      const left = (await cluster.kube.list(resource)).filter((o) => SUITE_NAMESPACE.test(o.metadata?.namespace ?? ""));
      for (const o of left) await cluster.kube.delete(resource, o.metadata?.namespace, o.metadata?.name ?? "").catch(() => undefined);
    }
  });

  const report = join(dir, "report.json");
  const started = Date.now();
  const result = await runSuite(
    suite,
    [
      "--kubeconfig", cluster.kubeconfigPath,
      "--namespace", keyNs,
      "--kubeseal-bin", kubeseal,
      "--controller-bin", controllerBin,
      "--ginkgo.json-report", report,
      "--ginkgo.no-color",
      "--ginkgo.timeout", "10m",
    ],
    // kubeseal finds the controller's Service in keyNs (its --controller-namespace from the
    // environment). TMPDIR: the suite's temporary files (kubeconfigs, a copy of the sealing keys for
    // --recovery-unseal, which it does not remove) stay in this test's folder, removed afterwards.
    { PATH: process.env["PATH"] ?? "", HOME: dir, TMPDIR: dir, SEALED_SECRETS_CONTROLLER_NAMESPACE: keyNs },
    dir,
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  const suites = JSON.parse(await readFile(report, "utf8").catch(() => "[]")) as SuiteReport[];
  const specs = suites.flatMap((s) => s.SpecReports ?? []).filter((s) => s.LeafNodeType === "It");
  const passed = specs.filter((s) => s.State === "passed");
  const failed = specs.filter((s) => s.State !== "passed");
  t.diagnostic(`upstream suite: ${passed.length} passed, ${failed.length} not passed, in ${seconds}s`);
  const detail =
    `\n${summary(specs)}\n--- suite output (tail) ---\n${result.output.split("\n").slice(-40).join("\n")}` +
    `\n--- controller log (warnings and reconciles, tail) ---\n${proc.lines.filter((l) => /"level":[4-6]0|"msg":"reconciled"/.test(l)).slice(-30).join("\n")}`;
  assert.equal(specs.length, EXPECTED_SPECS, `the report holds ${specs.length} specs, not ${EXPECTED_SPECS}${detail}`);
  assert.deepEqual(failed.map(specName), [], `specs that did not pass:${detail}`);
  assert.equal(result.code, 0, `the suite exited ${result.code}${detail}`);
});
