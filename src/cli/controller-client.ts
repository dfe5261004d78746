// The Sealed Secrets controller's HTTP API, reached as kubeseal reaches it: through the API server's
// service proxy, on the Service's first port (its name, or its number when unnamed), scheme http; or
// at a URL given directly (e.g. a `kubectl port-forward`). Where RBAC refuses the proxy (403, or 404
// for a Service it may not see), the certificate and the cluster-wide age recipients are read from
// the public-keys ConfigMap the controller publishes instead.
import http from "node:http";
import https from "node:https";
import { PUBLIC_AGE_CLUSTER_WIDE_ENTRY, PUBLIC_CERT_ENTRY } from "../api/public-keys.ts";
import type { KubeConnection } from "../kube/connection.ts";
import { CliError } from "./io.ts";

export interface ControllerRef {
  namespace: string;
  name: string;
}

export interface ControllerResponse {
  status: number;
  body: Buffer;
  /** Retry-After in seconds, when the controller sent one. */
  retryAfter?: number;
}
type Response = ControllerResponse;

/** The service proxy (or the Service lookup before it) answered 403 or 404. */
export class ProxyRefused extends CliError {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

export interface ControllerClientOptions {
  /** Through the API server's service proxy (kubeseal's way). */
  connection?: KubeConnection;
  controller: ControllerRef;
  /** Straight to the controller's API instead (http or https URL), without the API server. */
  url?: string;
  /** The public-keys ConfigMap to read when the proxy is refused (none: no fallback). */
  publicKeys?: ControllerRef;
  timeoutMs: number;
}

/** Largest answer read from the controller or the API server. */
const MAX_RESPONSE_BYTES = 16 << 20;

/** Times a 429 from the controller's admission caps is retried, waiting as Retry-After says. */
const MAX_RETRIES_ON_429 = 5;

export class ControllerClient {
  readonly #kube: KubeConnection | undefined;
  readonly #controller: ControllerRef;
  readonly #direct: URL | undefined;
  readonly #publicKeys: ControllerRef | undefined;
  readonly #timeoutMs: number;
  #proxyBase: string | undefined;
  #configMap: Promise<Record<string, string>> | undefined;

  constructor(opts: ControllerClientOptions) {
    this.#kube = opts.connection;
    this.#controller = opts.controller;
    this.#timeoutMs = opts.timeoutMs;
    this.#publicKeys = opts.publicKeys;
    if (opts.url !== undefined) {
      let url: URL;
      try {
        url = new URL(opts.url);
      } catch {
        throw new CliError("--controller-url: not a URL (e.g. http://127.0.0.1:8080)");
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError("--controller-url: use an http:// or https:// URL");
      this.#direct = url;
    }
    if (this.#direct === undefined && this.#kube === undefined) throw new CliError("no kubeconfig and no controller URL to reach the controller");
  }

  async #request(method: "GET" | "POST", path: string, body?: Uint8Array, accept = "application/json", direct = false): Promise<Response> {
    let url: URL;
    const opts: https.RequestOptions = {
      method,
      headers: { Accept: accept, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    };
    if (direct && this.#direct !== undefined) {
      url = new URL(this.#direct.href.replace(/\/+$/, "") + path);
    } else {
      const kube = this.#kube;
      if (kube === undefined) throw new CliError("no kubeconfig to reach the API server");
      url = new URL(kube.server + path);
      opts.agent = kube.agent;
      opts.headers = { ...(await kube.authHeaders()), ...opts.headers };
    }
    const transport = url.protocol === "http:" ? http : https;
    return new Promise((resolveResponse, reject) => {
      const req = transport.request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(`the answer is over ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(c);
        });
        const retryAfter = Number(res.headers["retry-after"]);
        res.on("end", () => resolveResponse({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter } : {}) }));
        res.on("error", reject);
      });
      if (this.#timeoutMs > 0) {
        req.setTimeout(this.#timeoutMs, () => req.destroy(new Error(`request timed out after ${this.#timeoutMs} ms`)));
      }
      const what = direct && this.#direct !== undefined ? "the controller" : "the API server";
      req.on("error", (err) => reject(new CliError(`cannot reach ${what} at ${url.origin}: ${err.message}`)));
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
    if (res.status === 403 || res.status === 404) {
      throw new ProxyRefused(
        `cannot get sealed secret service ${namespace}/${name}: ${apiReason(res)} ` +
          "(use --controller-name and --controller-namespace to name the sealed secrets controller)",
        res.status,
      );
    }
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

  /**
   * One call to the controller's API (`/v1/...`): straight to --controller-url, or through the
   * service proxy, where a 403 or 404 becomes ProxyRefused.
   */
  async call(method: "GET" | "POST", apiPath: string, body?: Uint8Array, accept = "application/json"): Promise<Response> {
    // A 429 is the controller's request caps (/v1/verify, /v1/rotate): wait as Retry-After says.
    for (let attempt = 0; ; attempt++) {
      const res = await this.#callOnce(method, apiPath, body, accept);
      if (res.status !== 429 || attempt >= MAX_RETRIES_ON_429) return res;
      await new Promise((r) => setTimeout(r, Math.min(res.retryAfter ?? 1, 10) * 1000));
    }
  }

  async #callOnce(method: "GET" | "POST", apiPath: string, body: Uint8Array | undefined, accept: string): Promise<Response> {
    if (this.#direct !== undefined) return this.#request(method, apiPath, body, accept, true);
    const res = await this.#request(method, `${await this.#proxy()}${apiPath}`, body, accept);
    // The proxy's own refusals are API Status objects; the controller's 404s are plain text.
    if (res.status === 403 || (res.status === 404 && isApiStatus(res))) {
      throw new ProxyRefused(`the API server refused the service proxy to ${this.#controller.namespace}/${this.#controller.name}: ${apiReason(res)}`, res.status);
    }
    return res;
  }

  /** The public-keys ConfigMap's data (read once), or why it cannot be read. */
  async #publicKeysData(refused: ProxyRefused): Promise<Record<string, string>> {
    const ref = this.#publicKeys;
    if (ref === undefined) throw refused;
    this.#configMap ??= (async () => {
      const res = await this.#request("GET", `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/configmaps/${encodeURIComponent(ref.name)}`);
      if (res.status !== 200) {
        throw new CliError(
          `${refused.message}; and the public-keys ConfigMap ${ref.namespace}/${ref.name} cannot be read either (${apiReason(res)}); ` +
            "use --public-keys-configmap/--public-keys-configmap-namespace to name it, or --cert FILE",
        );
      }
      try {
        const parsed = JSON.parse(res.body.toString("utf8")) as { data?: unknown };
        const data = parsed.data;
        if (typeof data !== "object" || data === null) return {};
        return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === "string"));
      } catch {
        throw new CliError(`public-keys ConfigMap ${ref.namespace}/${ref.name}: the API server returned an unreadable ConfigMap`);
      }
    })();
    return this.#configMap;
  }

  /** GET /v1/cert.pem; the public-keys ConfigMap's cert.pem when the proxy is refused. */
  async fetchCertificate(): Promise<Uint8Array> {
    let res: Response;
    try {
      res = await this.call("GET", "/v1/cert.pem", undefined, "application/x-pem-file, */*");
    } catch (err) {
      if (!(err instanceof ProxyRefused)) throw err;
      const ref = this.#publicKeys;
      const pem = (await this.#publicKeysData(err))[PUBLIC_CERT_ENTRY];
      if (pem === undefined || pem === "") throw new CliError(`${err.message}; and the public-keys ConfigMap ${ref?.namespace ?? ""}/${ref?.name ?? ""} has no ${PUBLIC_CERT_ENTRY}`);
      return Buffer.from(pem, "utf8");
    }
    if (res.status !== 200) throw new CliError(`cannot fetch certificate: ${apiReason(res)}`);
    return res.body;
  }

  /**
   * GET /v1/age-recipients: the age recipients for a scope, newest key first. When the proxy is
   * refused, the ConfigMap serves the cluster-wide scope only (the other scopes' recipients are
   * derived from private keys per namespace and name).
   */
  async fetchAgeRecipients(query: { scope: string; namespace: string; name: string }): Promise<string[]> {
    const params = new URLSearchParams({ scope: query.scope, namespace: query.namespace, name: query.name });
    let text: string;
    try {
      const res = await this.call("GET", `/v1/age-recipients?${params.toString()}`, undefined, "text/plain, */*");
      if (res.status !== 200) throw new CliError(`cannot fetch age recipients: ${apiReason(res)}`);
      text = res.body.toString("utf8");
    } catch (err) {
      if (!(err instanceof ProxyRefused)) throw err;
      const ref = this.#publicKeys;
      if (query.scope !== "cluster-wide" || ref === undefined) {
        throw new CliError(
          `${err.message}; the public-keys ConfigMap${ref !== undefined ? ` ${ref.namespace}/${ref.name}` : ""} holds the cluster-wide age recipients only: ` +
            "seal with --scope cluster-wide, pass --recipient, or use a kubeconfig allowed to reach the controller",
        );
      }
      text = (await this.#publicKeysData(err))[PUBLIC_AGE_CLUSTER_WIDE_ENTRY] ?? "";
    }
    const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    if (lines.length === 0) throw new CliError("the controller has no age sealing key yet");
    return lines;
  }

  /** POST /v1/verify: resolves when the controller can decrypt it; 409 means it cannot. */
  async verify(sealedSecretJson: string, name: string): Promise<void> {
    const res = await this.call("POST", "/v1/verify", Buffer.from(sealedSecretJson));
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
    const res = await this.call("POST", "/v1/rotate", Buffer.from(sealedSecretJson));
    if (res.status === 409) throw new CliError(`unable to rotate secret: ${name}`);
    if (res.status < 200 || res.status > 299) throw new CliError(`cannot re-encrypt secret: ${apiReason(res)}`);
    try {
      return JSON.parse(res.body.toString("utf8")) as unknown;
    } catch {
      throw new CliError(`cannot re-encrypt secret ${name}: the controller returned something that is not JSON`);
    }
  }
}

function isApiStatus(res: Response): boolean {
  try {
    return (JSON.parse(res.body.toString("utf8")) as { kind?: unknown }).kind === "Status";
  } catch {
    return false;
  }
}

/** A one-line reason from an API error response (a metav1.Status message, or the HTTP status). */
export function apiReason(res: Response): string {
  try {
    const status = JSON.parse(res.body.toString("utf8")) as { message?: unknown };
    if (typeof status.message === "string") return `${res.status}: ${status.message.split("\n")[0] ?? ""}`;
  } catch {
    // Not a Status object; fall through.
  }
  return `HTTP ${res.status}`;
}
