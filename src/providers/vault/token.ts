// A Vault token for one store: logged in once, renewed when two thirds of its TTL have passed, and
// logged in again only when renewal is refused or the token has expired. Concurrent callers share one
// login. The clock is injected so tests and the benchmark can simulate hours in seconds.
import { AccessDenied, AuthFailed } from "../provider.ts";
import type { VaultAuthResult, VaultPort } from "./port.ts";

export interface TokenSourceOptions {
  port: VaultPort;
  /** Performs the login for the store's auth method; undefined for a static token. */
  login?: () => Promise<VaultAuthResult>;
  /** The static token (tokenSecretRef). */
  staticToken?: string;
  now?: () => number;
  onLogin?: () => void;
  onRenew?: () => void;
}

interface Held {
  token: string;
  issuedAt: number;
  expiresAt: number; // Infinity for tokens without TTL
  renewAt: number;
  renewable: boolean;
  ttlMs: number;
}

export class VaultTokenSource {
  private readonly options: TokenSourceOptions;
  private readonly now: () => number;
  private held: Held | undefined;
  private pending: Promise<Held> | undefined;

  constructor(options: TokenSourceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** A token valid now. */
  async token(): Promise<string> {
    if (this.options.staticToken !== undefined) return this.options.staticToken;
    const held = this.held;
    const now = this.now();
    if (held && now < held.renewAt) return held.token;
    this.pending ??= (held && now < held.expiresAt - renewMargin(held) && held.renewable ? this.renew(held) : this.login()).finally(() => {
      this.pending = undefined;
    });
    return (await this.pending).token;
  }

  /** The token was refused (revoked or expired early): drop it so the next call logs in. */
  invalidate(token: string): void {
    if (this.held?.token === token) this.held = undefined;
  }

  get isStatic(): boolean {
    return this.options.staticToken !== undefined;
  }

  private async login(): Promise<Held> {
    const login = this.options.login;
    if (!login) throw new AuthFailed("no vault login method configured");
    this.options.onLogin?.();
    const result = await login();
    this.held = this.hold(result, result.leaseDuration * 1000);
    return this.held;
  }

  private async renew(held: Held): Promise<Held> {
    try {
      this.options.onRenew?.();
      const result = await this.options.port.renewSelf(held.token);
      const ttlMs = result.leaseDuration * 1000;
      // Renewal capped by the token's max TTL: when little is left, log in again instead.
      if (ttlMs < Math.min(held.ttlMs / 3, 60_000) || ttlMs === 0) return await this.login();
      this.held = this.hold({ ...result, clientToken: held.token }, held.ttlMs);
      this.held.expiresAt = this.now() + ttlMs;
      this.held.renewAt = this.now() + (ttlMs * 2) / 3;
      return this.held;
    } catch (err) {
      if (err instanceof AccessDenied || err instanceof AuthFailed) return await this.login();
      throw err;
    }
  }

  private hold(result: VaultAuthResult, ttlMs: number): Held {
    const issuedAt = this.now();
    const lease = result.leaseDuration * 1000;
    return {
      token: result.clientToken,
      issuedAt,
      ttlMs,
      renewable: result.renewable,
      expiresAt: lease > 0 ? issuedAt + lease : Infinity,
      renewAt: lease > 0 ? issuedAt + (lease * 2) / 3 : Infinity,
    };
  }
}

/**
 * How long before expiry a token is no longer worth renewing (the renewal could arrive after it
 * expired): 1 s, or a tenth of the login lease for short leases, so the renewal window (from 2/3 of
 * the lease to expiry minus this margin) stays open for most of the last third of the lease.
 */
function renewMargin(held: Held): number {
  return Math.min(1000, held.ttlMs / 10);
}
