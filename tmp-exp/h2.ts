import { connect, constants } from "node:http2";
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
  console.log(`${tag}: N=${N} C=${C} wall ${(Date.now() - t0)} ms, cpu ${((c.user + c.system) / 1000).toFixed(0)} ms = ${((c.user + c.system) / N / 1000).toFixed(3)} ms/req (user ${(c.user/N/1000).toFixed(3)}, sys ${(c.system/N/1000).toFixed(3)})`);
}

const conn = await loadConnection({ source: { kind: "kubeconfig", paths: [cp.kubeconfigPath] } });
const kube = new HttpKube(conn!);
const res = { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true } as never;
for (const round of [1, 2]) {
  await run(`h1-${round}`, (i) => kube.create(res, body(i, `h1r${round}`) as never));
  const session = connect(client.server, { ca: client.caPem });
  const h2one = (i: number) => new Promise<unknown>((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body(i, `h2r${round}`)));
    const req = session.request({ [constants.HTTP2_HEADER_METHOD]: "POST", [constants.HTTP2_HEADER_PATH]: "/api/v1/namespaces/x/configmaps", authorization: `Bearer ${client.token}`, accept: "application/json", "content-type": "application/json", "content-length": payload.length });
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (text += c));
    req.on("end", () => resolve(JSON.parse(text)));
    req.on("error", reject);
    req.end(payload);
  });
  await run(`h2-${round}`, h2one);
  session.close();
}
await cp.stop?.();
process.exit(0);
