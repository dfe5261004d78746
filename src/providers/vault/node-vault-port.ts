// VaultPort over node-vault: one node-vault client per store (server, namespace, CA), tokens passed
// per request. Vault HTTP errors and network failures become provider errors here.
import NodeVault from "node-vault";
import {
  AccessDenied,
  AuthFailed,
  InvalidProviderConfig,
  ProviderError,
  ProviderUnavailable,
  SecretNotFound,
} from "../provider.ts";
import type { VaultAuthResult, VaultPort, VaultWritePort } from "./port.ts";

export interface NodeVaultPortOptions {
  server: string;
  namespace?: string;
  /** PEM CA bundle for the server's certificate. */
  ca?: string;
  /** Called for every HTTP request sent to Vault, with a short operation name. */
  onRequest?: (operation: string) => void;
  timeoutMs?: number;
}

export class NodeVaultPort implements VaultPort, VaultWritePort {
  private readonly client: NodeVault.client;
  private readonly onRequest: ((operation: string) => void) | undefined;

  constructor(options: NodeVaultPortOptions) {
    this.client = NodeVault({
      endpoint: options.server,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      // node-vault falls back to VAULT_TOKEN from the environment; an empty token disables that.
      token: "",
      requestOptions: { timeout: options.timeoutMs ?? 15_000, ...(options.ca ? { ca: options.ca } : {}) },
    });
    this.onRequest = options.onRequest;
  }

  async read(path: string, token: string): Promise<Record<string, unknown> | undefined> {
    try {
      return asRecord(await this.call("read", () => this.client.request({ path: `/${path}`, method: "GET", headers: { "X-Vault-Token": token } })));
    } catch (err) {
      if (err instanceof SecretNotFound) return undefined;
      throw err;
    }
  }

  async write(path: string, body: Record<string, unknown>, token: string): Promise<void> {
    // Vault's error texts for a write describe the request's problem, never echo the values.
    await this.call("write", () => this.client.request({ path: `/${path}`, method: "POST", json: body, headers: { "X-Vault-Token": token } }));
  }

  async remove(path: string, token: string): Promise<void> {
    try {
      await this.call("delete", () => this.client.request({ path: `/${path}`, method: "DELETE", headers: { "X-Vault-Token": token } }));
    } catch (err) {
      if (!(err instanceof SecretNotFound)) throw err;
    }
  }

  async list(path: string, token: string): Promise<string[]> {
    try {
      const body = asRecord(await this.call("list", () => this.client.request({ path: `/${path}?list=true`, method: "GET", headers: { "X-Vault-Token": token } })));
      const keys = asRecord(body?.["data"])?.["keys"];
      return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === "string") : [];
    } catch (err) {
      if (err instanceof SecretNotFound) return [];
      throw err;
    }
  }

  async login(mount: string, body: Record<string, unknown>): Promise<VaultAuthResult> {
    try {
      return authOf(await this.call("login", () => this.client.request({ path: `/auth/${mount}/login`, method: "POST", json: body })));
    } catch (err) {
      if (err instanceof ProviderError && (err.reason === "AccessDenied" || err.reason === "InvalidProviderConfig" || err.reason === "SecretNotFound")) {
        throw new AuthFailed(`vault login at auth/${mount} failed: ${err.message}`);
      }
      throw err;
    }
  }

  async renewSelf(token: string): Promise<VaultAuthResult> {
    return authOf(await this.call("renew", () => this.client.request({ path: "/auth/token/renew-self", method: "POST", json: {}, headers: { "X-Vault-Token": token } })));
  }

  async lookupSelf(token: string): Promise<{ ttl: number; renewable: boolean }> {
    const body = asRecord(await this.call("lookup", () => this.client.request({ path: "/auth/token/lookup-self", method: "GET", headers: { "X-Vault-Token": token } })));
    const data = asRecord(body?.["data"]);
    return { ttl: Number(data?.["ttl"] ?? 0), renewable: data?.["renewable"] === true };
  }

  private async call(operation: string, send: () => Promise<unknown>): Promise<unknown> {
    this.onRequest?.(operation);
    try {
      return await send();
    } catch (err) {
      throw translate(err, operation);
    }
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function authOf(body: unknown): VaultAuthResult {
  const auth = asRecord(asRecord(body)?.["auth"]);
  const token = auth?.["client_token"];
  if (typeof token !== "string" || token === "") throw new AuthFailed("vault returned no client token");
  return { clientToken: token, leaseDuration: Number(auth?.["lease_duration"] ?? 0), renewable: auth?.["renewable"] === true };
}

function translate(err: unknown, operation: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const response = asRecord(asRecord(err)?.["response"]);
  const status = response?.["statusCode"];
  // Vault error texts describe the failure (e.g. "permission denied"), never secret data.
  const message = err instanceof Error ? err.message : String(err);
  if (typeof status === "number") {
    const text = `vault ${operation}: HTTP ${status}: ${message}`;
    if (status === 404) return new SecretNotFound(text);
    if (status === 401 || status === 403) return new AccessDenied(text);
    if (status === 400) return new InvalidProviderConfig(text);
    return new ProviderUnavailable(text);
  }
  const code = asRecord(err)?.["code"];
  return new ProviderUnavailable(`vault ${operation}: ${typeof code === "string" ? `${code}: ` : ""}${message}`);
}
