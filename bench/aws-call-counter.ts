// A counting HTTP proxy on 127.0.0.1 in front of moto, set as the AWS endpoint of the controller
// under test: every controller's AWS calls are counted the same way, on the wire, whatever SDK it
// uses. A JSON-protocol call (Secrets Manager, SSM) is named by its X-Amz-Target header, e.g.
// "secretsmanager.BatchGetSecretValue"; a query-protocol call (STS) by the Action of its form body,
// e.g. "sts.AssumeRoleWithWebIdentity"; anything else by method and path.
import { Agent, createServer, request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** The name a request is counted under (pure: headers and body in, a name out). */
export function awsCallName(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): string {
  const target = headers["x-amz-target"];
  if (typeof target === "string" && target !== "") {
    // "secretsmanager.GetSecretValue" as sent; SSM sends "AmazonSSM.GetParameter".
    return target;
  }
  const type = headers["content-type"] ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const action = new URLSearchParams(body.toString("utf8")).get("Action");
    if (action) return `sts.${action}`;
  }
  return `${method} ${path.split("?")[0] ?? path}`;
}

/** How many secrets a Secrets Manager read asks for: 1 for GetSecretValue, the ids of a BatchGetSecretValue by id list; 0 otherwise. */
export function secretsAskedFor(name: string, body: Buffer): number {
  if (name === "secretsmanager.GetSecretValue") return 1;
  if (name !== "secretsmanager.BatchGetSecretValue") return 0;
  try {
    const ids = (JSON.parse(body.toString("utf8")) as { SecretIdList?: unknown }).SecretIdList;
    return Array.isArray(ids) ? ids.length : 0;
  } catch {
    return 0;
  }
}

export interface CallCounter {
  /** http://127.0.0.1:PORT, the endpoint to give the controller. */
  url: string;
  /** Calls counted so far, by name. */
  counts(): Map<string, number>;
  /** Secrets asked for by Secrets Manager reads so far (see secretsAskedFor). */
  secretsRead(): number;
  close(): Promise<void>;
}

export async function startCallCounter(upstream: string): Promise<CallCounter> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const counts = new Map<string, number>();
  let secretsRead = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const name = awsCallName(req.method ?? "GET", req.url ?? "/", req.headers, body);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      secretsRead += secretsAskedFor(name, body);
      // The request goes on unchanged (the SigV4 signature covers the Host header: keep it).
      const up = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on("error", (err) => {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
        res.end(`proxy: ${err.message}`);
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => new Map(counts),
    secretsRead: () => secretsRead,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
