import { startControlPlane } from "../src/sandbox/control-plane.ts";
import { sandboxClient } from "../bench/sandbox-client.ts";
import { HttpKube } from "../src/kube/http-kube.ts";
import { loadConnection } from "../src/kube/connection.ts";

const cp = await startControlPlane({ onProgress: () => undefined });
const client = await sandboxClient(cp.kubeconfigPath);
await client.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } });
const N = Number(process.env.N ?? 2000);
const C = Number(process.env.C ?? 8);
const body = (i: number, tag: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `${tag}-${i}`, namespace: "x" }, data: { a: "x".repeat(600) } });
async function run(tag: string, one: (i: number) => Promise<unknown>) {
  const c0 = process.cpuUsage(); const t0 = Date.now();
  let next = 0;
  await Promise.all(Array.from({ length: C }, async () => { while (next < N) await one(next++); }));
  const c = process.cpuUsage(c0);
  console.log(`${tag}: N=${N} C=${C} wall ${(Date.now() - t0)} ms, cpu ${((c.user + c.system) / N / 1000).toFixed(3)} ms/req`);
}
const res = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true } as never;
for (const round of [1, 2]) for (const h2 of [false, true]) {
  const conn = await loadConnection({ source: { kind: "kubeconfig", paths: [cp.kubeconfigPath] } });
  const kube = new HttpKube(conn!, { http2: h2 });
  let events = 0;
  const ac = new AbortController();
  const w = kube.watch(res, { namespace: "x", resourceVersion: "0", timeoutSeconds: 300, signal: ac.signal } as never, () => events++).then(() => console.log("  watch ended at", events), (e) => console.log("  WATCH FAILED", e.message));
  await run(`${h2 ? "h2" : "h1"}-${round}`, (i) => kube.create(res, body(i, `r${round}${h2}`) as never));
  const list = await kube.list(res, { namespace: "x" } as never);
  for (let k = 0; k < 40 && events < list.length + 2; k++) await new Promise((r) => setTimeout(r, 250));
  console.log(`  watch events ${events}, list ${list.length}`, h2 ? JSON.stringify((globalThis as any).__ws?.state) : "");
  if (h2) { await new Promise((r) => setTimeout(r, 15000)); console.log("  later", events, JSON.stringify((globalThis as any).__ws?.state), (globalThis as any).__ws?.readableFlowing, (globalThis as any).__ws?.readableLength); }
  ac.abort(); await w; await kube.close();
}
await cp.stop();
process.exit(0);
