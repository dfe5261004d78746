// The Secret a SealedSecret becomes, sealbridge next to the real Sealed Secrets controller (Go,
// kubeseal's version, built by scripts/build-tools.sh sealed-secrets-controller): the same
// SealedSecrets and pre-existing Secrets in two namespaces, one controller each, then data, type,
// immutable, labels, annotations and owner references compared case by case, and the reasons of the
// events each SealedSecret got.
// The Go controller reads only in-cluster config, given in a private mount namespace
// (bench/sealed-controllers.ts): needs root or CAP_SYS_ADMIN, skipped otherwise.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startGoController, type SandboxTarget } from "../../bench/sealed-controllers.ts";
import { sandboxClient } from "../../bench/sandbox-client.ts";
import { resources } from "../../src/api/resources.ts";
import { generateSealingKeyPair, parseSealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { freshNamespace, testCluster } from "../support/control-plane.ts";
import { eventually, startController } from "../support/sealed-controller.ts";
import { ensureTool } from "../support/tools.ts";

const MANAGED = "sealedsecrets.bitnami.com/managed";
const PATCH = "sealedsecrets.bitnami.com/patch";
const SKIP = "sealedsecrets.bitnami.com/skip-set-owner-references";
const b64 = (s: string) => Buffer.from(s).toString("base64");

interface Case {
  name: string;
  template?: Record<string, unknown>;
  /** A Secret of the same name that exists before the SealedSecret. */
  existing?: { annotations: Record<string, string>; type?: string };
  /** Sealed for another name: does not open. */
  wrongLabel?: boolean;
  /** A known, deliberate difference in the events: [Sealed Secrets' reasons, sealbridge's], and why. */
  events?: { sealedSecrets: string[]; sealbridge: string[]; why: string };
}

const CASES: Case[] = [
  { name: "plain" },
  { name: "meta", template: { metadata: { labels: { app: "db" }, annotations: { team: "core" } } } },
  { name: "typed", template: { type: "kubernetes.io/basic-auth" } },
  { name: "immutable", template: { immutable: true } },
  { name: "templated", template: { data: { url: "postgres://admin:{{ .password }}@db" } } },
  {
    name: "skip-owner",
    template: { metadata: { annotations: { [SKIP]: "true", team: "core" } } },
    events: {
      sealedSecrets: ["ErrUpdateFailed"],
      sealbridge: ["Unsealed"],
      why: "Sealed Secrets creates the Secret, then its ownership check (no owner reference, not managed) fails on the Secret it just made and reports Synced=False; sealbridge reports what happened",
    },
  },
  { name: "ex-managed", template: { metadata: { labels: { app: "db" } } }, existing: { annotations: { [MANAGED]: "true", other: "x" } } },
  { name: "ex-managed-patch", template: { metadata: { labels: { app: "db" }, annotations: { team: "core" } } }, existing: { annotations: { [MANAGED]: "true", [PATCH]: "true", other: "x" } } },
  { name: "ex-patch", template: { metadata: { labels: { app: "db" } } }, existing: { annotations: { [PATCH]: "true" } } },
  { name: "ex-managed-immutable", template: { immutable: true }, existing: { annotations: { [MANAGED]: "true" } } },
  { name: "ex-foreign", existing: { annotations: { other: "x" } } },
  { name: "wrong-label", wrongLabel: true },
];

/** What is compared: the Secret's content and metadata, the owner's uid replaced by its kind and name. */
function shape(secret: KubeObject | undefined): unknown {
  if (!secret) return "no Secret";
  const m = secret.metadata ?? {};
  return {
    data: secret["data"] ?? {},
    type: secret["type"],
    immutable: secret["immutable"] ?? null,
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
    owners: (m.ownerReferences ?? []).map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, name: r.name, controller: r.controller ?? null, blockOwnerDeletion: r.blockOwnerDeletion ?? null })),
  };
}

test("a Secret made from a SealedSecret is the Secret Sealed Secrets makes", { timeout: 600_000 }, async (t) => {
  if (process.getuid?.() !== 0 || spawnSync("unshare", ["--mount", "true"]).status !== 0) return t.skip("the Go controller needs a private mount namespace (root)");
  const [binary, cluster] = await Promise.all([ensureTool("sealed-secrets-controller"), testCluster()]);
  const client = await sandboxClient(cluster.kubeconfigPath);
  t.after(() => client.close());
  const keyNamespace = await freshNamespace(cluster, "shape-keys");
  const key = await generateSealingKeyPair({ now: new Date(), bits: 2048 });
  await cluster.kube.create(resources.secret, {
    apiVersion: "v1",
    kind: "Secret",
    type: "kubernetes.io/tls",
    metadata: { name: "sealed-secrets-keyshape", namespace: keyNamespace, labels: { "sealedsecrets.bitnami.com/sealed-secrets-key": "active" } },
    data: { "tls.key": b64(key.privateKeyPem), "tls.crt": b64(key.certificatePem) },
  });
  const cert = parseSealingCertificate(key.certificatePem, new Date());

  const apply = async (ns: string) => {
    for (const c of CASES) {
      if (c.existing) {
        await cluster.kube.create(resources.secret, {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: c.name, namespace: ns, labels: { app: "old", extra: "y" }, annotations: c.existing.annotations },
          type: c.existing.type ?? "Opaque",
          data: { password: b64("old"), kept: b64("kept") },
        });
      }
      const label = scopeLabel("strict", ns, c.wrongLabel ? "another-name" : c.name);
      await cluster.kube.create(resources.sealedSecret, {
        apiVersion: "bitnami.com/v1alpha1",
        kind: "SealedSecret",
        metadata: { name: c.name, namespace: ns },
        spec: { encryptedData: { password: sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from("s3cret"), label }) }, ...(c.template ? { template: c.template } : {}) },
      });
    }
  };
  const outcome = async (ns: string) => {
    // Settled: every SealedSecret has a Synced condition (the Go controller writes it after the Secret).
    await eventually(`every SealedSecret in ${ns} synced`, async () => {
      const all = await cluster.kube.list(resources.sealedSecret, { namespace: ns });
      const synced = all.filter((o) => ((o["status"] as { conditions?: unknown[] } | undefined)?.conditions ?? []).length > 0);
      return synced.length === CASES.length ? true : undefined;
    }, 120_000);
    // Event reasons per SealedSecret (Sealed Secrets writes core/v1 Events, sealbridge events.k8s.io/v1:
    // one store, both listed here).
    const reasons = await eventually(`events in ${ns}`, async () => {
      const byName = new Map<string, Set<string>>();
      for (const e of await cluster.kube.list(resources.event, { namespace: ns })) {
        const name = (e["regarding"] as { name?: string } | undefined)?.name ?? "";
        byName.set(name, (byName.get(name) ?? new Set()).add(String(e["reason"])));
      }
      return CASES.every((c) => byName.has(c.name)) ? byName : undefined;
    }, 60_000);
    const out = new Map<string, unknown>();
    for (const c of CASES) {
      out.set(c.name, { secret: shape(await cluster.kube.get(resources.secret, ns, c.name)), events: [...(reasons.get(c.name) ?? [])].sort() });
    }
    return out;
  };

  // The Go controller alone first (it watches every namespace), then sealbridge on its own namespace.
  const goNs = await freshNamespace(cluster, "shape-go");
  await apply(goNs);
  const dir = await freshDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const target: SandboxTarget = { client, kubeconfigPath: cluster.kubeconfigPath, dir, keyNamespace };
  const go = await startGoController(target, { binary, flags: ["--kubeclient-qps=-1"] });
  let expected: Map<string, unknown>;
  try {
    await go.ready();
    expected = await outcome(goNs);
  } finally {
    await go.stop();
  }

  const sbNs = await freshNamespace(cluster, "shape-sb");
  await apply(sbNs);
  const sb = await startController(cluster, { keyNamespace, watchNamespace: sbNs });
  t.after(() => sb.stop());
  const actual = await outcome(sbNs);

  const comparable = (c: Case, side: "sealedSecrets" | "sealbridge", o: unknown) => {
    const { secret, events } = o as { secret: unknown; events: string[] };
    // A known difference is checked as such (it shows if either side changes), then set aside.
    if (c.events) assert.deepEqual(events, c.events[side], `${c.name}: ${side} events (${c.events.why})`);
    return JSON.stringify(c.events ? { secret } : { secret, events });
  };
  const differ = CASES.filter((c) => comparable(c, "sealbridge", actual.get(c.name)) !== comparable(c, "sealedSecrets", expected.get(c.name)));
  assert.deepEqual(
    differ.map((c) => c.name),
    [],
    differ.map((c) => `${c.name}:\n  Sealed Secrets: ${JSON.stringify(expected.get(c.name))}\n  sealbridge:     ${JSON.stringify(actual.get(c.name))}`).join("\n"),
  );
});

function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "sb-shape-"));
}
