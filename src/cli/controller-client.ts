// The Sealed Secrets controller's HTTP API, reached as kubeseal reaches it: through the API server's
// service proxy, on the Service's first port (its name, or its number when unnamed), scheme http.
import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { CliError } from "./io.ts";

export interface ControllerRef {
  namespace: string;
  name: string;
}

interface Response {
  status: number;
  body: Buffer;
}

export class ControllerClient {
  readonly #kc: KubeConfig;
  readonly #controller: ControllerRef;
  readonly #timeoutMs: number;
  #proxyBase: string | undefined;

  constructor(opts: { kubeConfig: KubeConfig; controller: ControllerRef; timeoutMs: number }) {
    this.#kc = opts.kubeConfig;
    this.#controller = opts.controller;
    this.#timeoutMs = opts.timeoutMs;
  }

  async #request(method: "GET" | "POST", path: string, body?: Uint8Array, accept = "application/json"): Promise<Response> {
    const cluster = this.#kc.getCurrentCluster();
    if (cluster === null) throw new CliError("no cluster in the kubeconfig context");
    const url = new URL(cluster.server.replace(/\/+$/, "") + path);
    const opts: https.RequestOptions = {
      method,
      headers: { Accept: accept, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    };
    await this.#kc.applyToHTTPSOptions(opts);
    const transport = url.protocol === "http:" ? http : https;
    return new Promise((resolveResponse, reject) => {
      const req = transport.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolveResponse({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      if (this.#timeoutMs > 0) {
        req.setTimeout(this.#timeoutMs, () => req.destroy(new Error(`request timed out after ${this.#timeoutMs} ms`)));
      }
      req.on("error", (err) => reject(new CliError(`cannot reach the API server at ${url.origin}: ${err.message}`)));
      req.end(body);
    });
  }

  /** `/api/v1/namespaces/<ns>/services/http:<name>:<port>/proxy`, with the port read from the Service. */
  async #proxy(): Promise<string> {
    if (this.#proxyBase !== undefined) return this.#proxyBase;
    const { namespace, name } = this.#controller;
    const ns = encodeURIComponent(namespace);
    const svc = encodeURIComponent(name);
    const res = await this.#request("GET", `/api/v1/namespaces/${ns}/services/${svc}`);
    if (res.status !== 200) {
      throw new CliError(
        `cannot get sealed secret service ${namespace}/${name}: ${apiReason(res)}; ` +
          "use --controller-name and --controller-namespace to name the sealed secrets controller",
      );
    }
    let port = "";
    try {
      const parsed = JSON.parse(res.body.toString("utf8")) as { spec?: { ports?: { name?: string; port?: number }[] } };
      const first = parsed.spec?.ports?.[0];
      port = first?.name !== undefined && first.name !== "" ? first.name : String(first?.port ?? "");
    } catch {
      throw new CliError(`service ${namespace}/${name}: the API server returned an unreadable Service`);
    }
    if (port === "") throw new CliError(`service ${namespace}/${name} has no ports`);
    this.#proxyBase = `/api/v1/namespaces/${ns}/services/${encodeURIComponent(`http:${name}:${port}`)}/proxy`;
    return this.#proxyBase;
  }

  /** GET /v1/cert.pem */
  async fetchCertificate(): Promise<Uint8Array> {
    const res = await this.#request("GET", `${await this.#proxy()}/v1/cert.pem`, undefined, "application/x-pem-file, */*");
    if (res.status !== 200) throw new CliError(`cannot fetch certificate: ${apiReason(res)}`);
    return res.body;
  }

  /** GET /v1/age-recipients: the age recipients for a scope, newest key first. */
  async fetchAgeRecipients(query: { scope: string; namespace: string; name: string }): Promise<string[]> {
    const params = new URLSearchParams({ scope: query.scope, namespace: query.namespace, name: query.name });
    const res = await this.#request("GET", `${await this.#proxy()}/v1/age-recipients?${params.toString()}`, undefined, "text/plain, */*");
    if (res.status !== 200) throw new CliError(`cannot fetch age recipients: ${apiReason(res)}`);
    const lines = res.body.toString("utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    if (lines.length === 0) throw new CliError("the controller has no age sealing key yet");
    return lines;
  }

  /** POST /v1/verify: resolves when the controller can decrypt it; 409 means it cannot. */
  async verify(sealedSecretJson: string, name: string): Promise<void> {
    const res = await this.#request("POST", `${await this.#proxy()}/v1/verify`, Buffer.from(sealedSecretJson));
    if (res.status === 409) throw new CliError(`unable to decrypt sealed secret: ${name}`);
    if (res.status < 200 || res.status > 299) throw new CliError(`cannot validate sealed secret: ${apiReason(res)}`);
  }

  /** POST /v1/verify, answered as it came (for `check`): 200 opens, 409 carries the controller's {reason, message}. */
  async verifyAnswer(sealedSecretJson: string): Promise<{ status: number; body: string }> {
    const res = await this.#request("POST", `${await this.#proxy()}/v1/verify`, Buffer.from(sealedSecretJson));
    return { status: res.status, body: res.body.toString("utf8") };
  }

  /** POST /v1/rotate: the SealedSecret re-encrypted to the controller's newest key. */
  async rotate(sealedSecretJson: string, name: string): Promise<unknown> {
    const res = await this.#request("POST", `${await this.#proxy()}/v1/rotate`, Buffer.from(sealedSecretJson));
    if (res.status === 409) throw new CliError(`unable to rotate secret: ${name}`);
    if (res.status < 200 || res.status > 299) throw new CliError(`cannot re-encrypt secret: ${apiReason(res)}`);
    try {
      return JSON.parse(res.body.toString("utf8")) as unknown;
    } catch {
      throw new CliError(`cannot re-encrypt secret ${name}: the controller returned something that is not JSON`);
    }
  }
}

/** A one-line reason from an API error response (a metav1.Status message, or the HTTP status). */
function apiReason(res: Response): string {
  try {
    const status = JSON.parse(res.body.toString("utf8")) as { message?: unknown };
    if (typeof status.message === "string") return `${res.status}: ${status.message.split("\n")[0] ?? ""}`;
  } catch {
    // Not a Status object; fall through.
  }
  return `HTTP ${res.status}`;
}
