// Leader election that cannot split, shown on the server's own record. Two controller processes
// with --leader-elect, each with its own token (so the API server's audit log names who sent every
// request), keep reconciling a stream of new SealedSecrets; then the API server (or the leader's own
// process) is frozen with SIGSTOP for longer than the lease duration and resumed. The audit log must
// show one writer, then the other, never both: every write of the old leader was done before the new
// leader took the Lease and before its first write, and the old leader stopped writing before its
// lease could expire for the other. After the resume exactly one replica leads, and new SealedSecrets
// get their Secrets.
//
// This file starts its own control plane: it needs audit flags, and freezing the shared one would
// stall every other test.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { setTimeout as setTimeoutPromise } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { resources } from "../../src/api/resources.ts";
import { parseSealingCertificate } from "../../src/crypto/certificate.ts";
import { scopeLabel } from "../../src/crypto/scope.ts";
import { sealValue } from "../../src/crypto/sealed.ts";
import { ClientNodeKube } from "../../src/kube/client-node-adapter.ts";
import { installCrds } from "../../src/kube/install-crds.ts";
import type { KubeObject } from "../../src/kube/port.ts";
import { startControlPlane, type ControlPlane } from "../../src/sandbox/control-plane.ts";
import { leaderElectedArgs, startControllerProcess, type ControllerProcess } from "../support/controller-process.ts";
import { eventually } from "../support/sealed-controller.ts";

const LEASE = { duration: 4_000, renew: 3_000, retry: 500 };
const PAUSE_MS = 7_000; // longer than the lease duration
const REPLICAS = ["replica-a", "replica-b"] as const;

// Metadata level: who, what, when, and the answer's code; never a request or response body.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    users: ["replica-a", "replica-b"]
  - level: None
`;

interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
}

interface Request {
  user: string;
  verb: string;
  what: string;
  resource: string;
  namespace: string;
  name: string;
  code: number;
  received: number;
  completed: number;
}

const MUTATING = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/** RFC 3339 with microseconds → epoch milliseconds with the fraction kept. */
function epochMs(micro: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(micro);
  if (!m?.[1]) throw new Error(`unexpected timestamp ${micro}`);
  return Date.parse(`${m[1]}Z`) + Number(m[2] ?? "0") * 1000;
}

function completedRequests(log: string): Request[] {
  const out: Request[] = [];
  for (const line of log.split("\n")) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as AuditEvent;
    if (e.stage !== "ResponseComplete" && e.stage !== "Panic") continue;
    const ref = e.objectRef ?? {};
    out.push({
      user: e.user.username,
      verb: e.verb,
      what: `${ref.resource ?? "?"}${ref.subresource ? `/${ref.subresource}` : ""} ${ref.namespace ?? ""}/${ref.name ?? ""}`,
      resource: ref.resource ?? "",
      namespace: ref.namespace ?? "",
      name: ref.name ?? "",
      code: e.responseStatus?.code ?? 0,
      received: epochMs(e.requestReceivedTimestamp),
      completed: epochMs(e.stageTimestamp),
    });
  }
  return out.sort((x, y) => x.received - y.received);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUnless = (ms: number, signal: AbortSignal) => setTimeoutPromise(ms, undefined, { signal }).catch(() => undefined);
const iso = (ms: number) => new Date(ms).toISOString();

type Frozen = "api-server" | "old-leader";

async function freezeUnderTwoReplicas(t: TestContext, frozen: Frozen): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "sealbridge-split-"));
  const auditLog = join(dir, "audit.log");
  await writeFile(join(dir, "audit-policy.yaml"), AUDIT_POLICY);
  let cp: ControlPlane | undefined;
  let frozenPid: number | undefined;
  const procs: ControllerProcess[] = [];
  let churning = true;
  let churn: Promise<void> | undefined;
  try {
    cp = await startControlPlane({
      users: REPLICAS,
      apiServerArgs: [`--audit-policy-file=${join(dir, "audit-policy.yaml")}`, `--audit-log-path=${auditLog}`, "--audit-log-mode=blocking"],
      onProgress: (line) => t.diagnostic(line),
    });
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfigPath);
    const kube = new ClientNodeKube(kc);
    await installCrds(kube);
    const suffix = Math.random().toString(36).slice(2, 8);
    const [keyNamespace, appNamespace] = [`split-keys-${suffix}`, `split-app-${suffix}`];
    for (const name of [keyNamespace, appNamespace]) await kube.create(resources.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name } });

    const userKubeconfigs = cp.userKubeconfigPaths;
    const start = (identity: (typeof REPLICAS)[number]) => {
      const kubeconfig = userKubeconfigs[identity];
      assert.ok(kubeconfig);
      const p = startControllerProcess(
        [...leaderElectedArgs({ kubeconfig, keyNamespace, lease: LEASE }), "--log-level", "debug"], // debug: the write gate's "write admitted" lines
        { POD_NAME: identity },
      );
      procs.push(p);
      return p;
    };
    const a = start("replica-a");
    await a.waitFor(/"msg":"reconcilers running"/, 90_000);
    const b = start("replica-b");
    const [pa] = await Promise.all([a.ports(), b.ports()]);
    // The first key is written by the leader; on a loaded machine its first attempt can meet a write
    // gate that has not seen a renewal yet and is retried (10 s later): wait for the certificate.
    const certPem = await eventually("the leader's certificate", async () => {
      const res = await fetch(`http://127.0.0.1:${pa.api}/v1/cert.pem`);
      const body = await res.text();
      return res.status === 200 ? body : undefined;
    }, 60_000);
    const cert = parseSealingCertificate(certPem, new Date());
    const sealed = (name: string): KubeObject => ({
      apiVersion: "bitnami.com/v1alpha1",
      kind: "SealedSecret",
      metadata: { name, namespace: appNamespace },
      spec: { encryptedData: { password: sealValue({ publicKey: cert.publicKey, plaintext: Buffer.from(`value-of-${name}`), label: scopeLabel("strict", appNamespace, name) }) } },
    });
    const opened = async (name: string) => {
      const s = await kube.get(resources.secret, appNamespace, name);
      const data = (s?.["data"] as Record<string, string> | undefined)?.["password"];
      return data === undefined ? undefined : Buffer.from(data, "base64").toString();
    };

    // Keep the leader writing (a Secret, a status and an event per object) up to and through the freeze.
    const churned: string[] = [];
    churn = (async () => {
      for (let i = 0; churning; i++) {
        const name = `churn-${i}`;
        await kube.create(resources.sealedSecret, sealed(name)).then(() => churned.push(name), () => undefined);
        await sleep(150);
      }
    })();
    await eventually("the leader writing churned Secrets", async () => {
      const names = churned.slice(0, 6);
      if (names.length < 6) return undefined;
      return (await Promise.all(names.map(opened))).every((v) => v !== undefined) ? true : undefined;
    }, 60_000);

    // Freeze the API server (setpriv execs it, so the child's pid is the apiserver's own), or the
    // leader's process as a long GC pause or a frozen VM would.
    const pid = frozen === "api-server" ? cp.pids().kubeApiserver : a.child.pid;
    assert.ok(pid !== undefined);
    if (frozen === "api-server") assert.equal((await readFile(`/proc/${pid}/comm`, "utf8")).trim(), "kube-apiserver");
    const frozenAt = Date.now();
    process.kill(pid, "SIGSTOP");
    frozenPid = pid;
    await sleep(PAUSE_MS);
    const resumeSentAt = Date.now();
    process.kill(pid, "SIGCONT");
    frozenPid = undefined;

    // The old leader gave up (during the freeze, or the moment it runs again) and ends; the other takes over.
    const lostLine = await a.waitFor(/"msg":"lost leadership/, 30_000);
    const exitTimer = new AbortController();
    const exitCode = await Promise.race([a.exited, sleepUnless(60_000, exitTimer.signal).then(() => "still running")]);
    exitTimer.abort();
    assert.equal(exitCode, 1, "the old leader exits after losing the lease");
    await b.waitFor(/"msg":"became leader"/, 60_000);
    await b.waitFor(/"msg":"reconcilers running"/, 60_000);

    // Convergence: a SealedSecret made after the resume, and every churned one, gets its Secret.
    await kube.create(resources.sealedSecret, sealed("after-resume"));
    assert.equal(await eventually("Secret after-resume", () => opened("after-resume"), 60_000), "value-of-after-resume");
    churning = false;
    await churn;
    for (const name of churned) assert.equal(await eventually(`Secret ${name}`, () => opened(name), 60_000), `value-of-${name}`);
    const lease = await kube.get(resources.lease, keyNamespace, "sealbridge-leader");
    assert.equal((lease?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity, "replica-b");
    const count = (p: ControllerProcess, re: RegExp) => p.lines.filter((l) => re.test(l)).length;
    assert.equal(count(a, /"msg":"became leader"/), 1);
    assert.equal(count(b, /"msg":"became leader"/), 1);
    await b.stop();

    // The server's record.
    const requests = completedRequests(await readFile(auditLog, "utf8"));
    const writes = (user: string) => requests.filter((r) => r.user === user && MUTATING.has(r.verb) && !r.what.startsWith("leases"));
    const leaseWrites = (user: string) => requests.filter((r) => r.user === user && MUTATING.has(r.verb) && r.what.startsWith("leases") && r.code < 300);
    const [aWrites, bWrites] = [writes("replica-a"), writes("replica-b")];
    assert.ok(aWrites.length > 0 && bWrites.length > 0, `both replicas wrote (a ${aWrites.length}, b ${bWrites.length})`);
    const aLast = Math.max(...aWrites.map((r) => r.completed));
    const bFirst = Math.min(...bWrites.map((r) => r.received));
    const bTakeover = leaseWrites("replica-b")[0];
    assert.ok(bTakeover, "replica-b wrote the Lease");
    const aRenewals = leaseWrites("replica-a");
    const aLastRenewalBeforeFreeze = Math.max(...aRenewals.filter((r) => r.completed < frozenAt).map((r) => r.completed));
    const lostAt = Date.parse((JSON.parse(lostLine) as { time: string }).time);
    const inFlight = aWrites.filter((r) => r.received >= frozenAt);
    const refused = a.lines.filter((l) => l.includes('"reason":"NotLeader"')).length;
    t.diagnostic(
      `a: ${aWrites.length} writes, last done ${iso(aLast)} (${inFlight.length} received after the freeze began); ` +
        `frozen ${iso(frozenAt)}, resumed ${iso(resumeSentAt)}; a's last renewal before the freeze ${iso(aLastRenewalBeforeFreeze)}, ` +
        `a stopped writing ${iso(lostAt)} (+${lostAt - aLastRenewalBeforeFreeze} ms); b took the lease ${iso(bTakeover.received)}, ` +
        `first write ${iso(bFirst)}, ${bWrites.length} writes; gap between writers ${(bFirst - aLast).toFixed(1)} ms; ` +
        `a's gate refused ${refused} reconcile writes after the deadline`,
    );

    // What a's gate let through, and when (a's clock, which is this machine's).
    const admitted = a.lines
      .filter((l) => l.includes('"msg":"write admitted"'))
      .map((l) => JSON.parse(l) as { time: string; resource: string; namespace?: string; name?: string })
      .map((l) => ({ at: Date.parse(l.time), resource: l.resource, namespace: l.namespace ?? "", name: l.name ?? "" }));
    assert.ok(admitted.length > 0, "a's gate logged the writes it let through");
    const show = (ws: typeof admitted) => ws.map((w) => `${w.resource} ${w.name} at ${iso(w.at)}`);
    // Its belief ended a renew deadline after the start of its last renewal, which the server
    // completed before the freeze; a frozen process lets nothing through, nor does it after.
    assert.deepEqual(show(admitted.filter((w) => w.at >= aLastRenewalBeforeFreeze + LEASE.renew)), [], "a's gate let nothing through past its renew deadline");
    if (frozen === "old-leader") assert.deepEqual(show(admitted.filter((w) => w.at >= frozenAt)), [], "a's gate let nothing through once frozen or after");
    // Writes a let through before the freeze but that reached the server only after the resume: a
    // frozen process can hold a write between the gate and the socket (a lease has no fencing token).
    const heldAcrossFreeze = aWrites.filter((r) => r.received >= resumeSentAt);
    for (const r of heldAcrossFreeze) {
      t.diagnostic(`a's write held across the freeze: ${r.verb} ${r.what} -> ${r.code} at ${iso(r.received)}`);
      assert.ok(admitted.some((w) => w.resource === r.resource && w.namespace === r.namespace && (w.name === r.name || w.name === "")), `${r.what} was let through before the freeze`);
    }

    // Never two writers: by the server's clock, the writers' intervals do not overlap, and every write
    // of the old leader was done before the new one took the Lease. When a's own process froze, what
    // it had let through before the freeze may land after; nothing it let through after does.
    const aSettled = frozen === "api-server" ? aWrites : aWrites.filter((r) => !heldAcrossFreeze.includes(r));
    if (frozen === "api-server") assert.deepEqual(heldAcrossFreeze.map((r) => r.what), [], "nothing held across a freeze of the server");
    const aSettledLast = Math.max(...aSettled.map((r) => r.completed));
    assert.ok(aSettledLast < bTakeover.received, `a wrote until ${iso(aSettledLast)}, after b took the lease at ${iso(bTakeover.received)}`);
    assert.ok(aSettledLast < bFirst, `a's last write ${iso(aSettledLast)} overlaps b's first ${iso(bFirst)}`);
    assert.ok(Math.max(...admitted.map((w) => w.at)) < bTakeover.received, "a let its last write through before b took the lease");
    let switches = 0;
    const dataWrites = requests.filter((r) => MUTATING.has(r.verb) && !r.what.startsWith("leases") && !heldAcrossFreeze.includes(r));
    for (let i = 1; i < dataWrites.length; i++) if (dataWrites[i]?.user !== dataWrites[i - 1]?.user) switches++;
    assert.equal(switches, 1, "one hand-over of writing, from a to b");
    // The old leader stopped writing before its lease could expire for the other: its gate closed
    // less than a lease duration after its last renewal, and the other waited a full lease duration
    // of its own watching after the resume (what a frozen server may still apply lands meanwhile).
    if (frozen === "api-server") {
      assert.ok(lostAt < aLastRenewalBeforeFreeze + LEASE.duration, "a gave up before its lease could expire");
      assert.ok(bTakeover.received >= resumeSentAt + LEASE.duration, `b took over ${bTakeover.received - resumeSentAt} ms after the resume`);
      assert.ok(aLast < resumeSentAt + LEASE.duration, "a's writes were all applied before its lease could expire for b");
    } else {
      // A frozen process cannot log in time, but its gate judges by the clock (checked above: it let
      // nothing through once it ran again), and b waited out the lease from a's last renewal.
      assert.ok(bTakeover.received >= aLastRenewalBeforeFreeze + LEASE.duration, "b took over only once a's lease had expired");
    }
  } finally {
    churning = false;
    if (frozenPid !== undefined) process.kill(frozenPid, "SIGCONT");
    await churn?.catch(() => undefined);
    await Promise.all(procs.map((p) => p.kill()));
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test("split brain: an API server frozen longer than the lease under two replicas never yields two writers", { timeout: 300_000 }, (t) =>
  freezeUnderTwoReplicas(t, "api-server"));

test("split brain: a leader process frozen longer than the lease starts no write once it runs again", { timeout: 300_000 }, (t) =>
  freezeUnderTwoReplicas(t, "old-leader"));
