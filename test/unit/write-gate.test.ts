import assert from "node:assert/strict";
import { test } from "node:test";
import { resources } from "../../src/api/resources.ts";
import { KubeApiError } from "../../src/kube/port.ts";
import { WriteGate } from "../../src/kube/write-gate.ts";
import { FakeKubePort } from "../support/fake-kube-port.ts";

const secret = (name: string) => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "app" }, data: { password: "c2VjcmV0" } });
const serviceAccounts = { group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true };
const pods = { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true };

function refusedAsNotLeader(err: unknown): boolean {
  assert.ok(err instanceof KubeApiError);
  assert.equal(err.reason, "NotLeader");
  assert.equal(err.retryable, true);
  assert.match(err.message, /does not hold the leader lease/);
  assert.doesNotMatch(err.message, /c2VjcmV0|secret-value/, "no object content in the message");
  return true;
}

test("a closed gate refuses every mutating call before it reaches the port", async () => {
  const port = new FakeKubePort();
  const gate = new WriteGate(port, () => false);
  const writes: (() => Promise<unknown>)[] = [
    () => gate.create(resources.secret, secret("a")),
    () => gate.replace(resources.secret, secret("a")),
    () => gate.replaceStatus(resources.sealedSecret, { metadata: { name: "a", namespace: "app" } }),
    () => gate.patch(resources.secret, "app", "a", { metadata: { labels: { x: "y" } } }, "merge"),
    () => gate.delete(resources.secret, "app", "a"),
    () => gate.createSubresource(pods, "app", "p", "eviction", {}),
  ];
  for (const write of writes) await assert.rejects(write(), refusedAsNotLeader);
  assert.deepEqual(port.calls, [], "nothing was sent");
});

test("reads, watches and TokenRequest pass a closed gate", async () => {
  const port = new FakeKubePort();
  await port.create(resources.secret, secret("a"));
  port.calls.length = 0;
  const gate = new WriteGate(port, () => false);
  assert.equal((await gate.get(resources.secret, "app", "a"))?.metadata?.name, "a");
  assert.equal((await gate.list(resources.secret)).length, 1);
  await gate.listPage(resources.secret, {});
  await gate.watch(resources.secret, { resourceVersion: "1", timeoutSeconds: 1, signal: new AbortController().signal }, () => undefined);
  assert.equal((await gate.createSubresource(serviceAccounts, "app", "sa", "token", { spec: {} })).kind, "TokenRequest");
  assert.deepEqual(port.calls.map((c) => c.method), ["get", "list", "listPage", "watch", "create/token"]);
});

test("the gate is asked at each call: it opens and closes as leadership comes and goes", async () => {
  const port = new FakeKubePort();
  let leading = true;
  const asked: string[] = [];
  const gate = new WriteGate(port, () => {
    asked.push(`asked with ${port.calls.length} calls sent`);
    return leading;
  });
  await gate.create(resources.secret, secret("a"));
  leading = false;
  await assert.rejects(gate.create(resources.secret, secret("b")), refusedAsNotLeader);
  leading = true;
  await gate.delete(resources.secret, "app", "a");
  assert.deepEqual(port.calls.map((c) => `${c.method} ${c.name}`), ["create a", "delete a"]);
  // Asked right before each send, never after: the count of calls already sent says so.
  assert.deepEqual(asked, ["asked with 0 calls sent", "asked with 1 calls sent", "asked with 1 calls sent"]);
});

test("errors of the port pass through an open gate unchanged", async () => {
  const port = new FakeKubePort();
  const gate = new WriteGate(port, () => true);
  await gate.create(resources.secret, secret("a"));
  await assert.rejects(gate.create(resources.secret, secret("a")), (err: unknown) => err instanceof KubeApiError && err.reason === "AlreadyExists");
});
