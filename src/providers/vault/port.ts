// The narrow subset of the Vault HTTP API the Vault provider uses. node-vault-port.ts implements it
// over node-vault; HTTP status codes are translated into provider errors there.

export interface VaultAuthResult {
  clientToken: string;
  /** Seconds the token lives (0 = no expiry, e.g. a root token). */
  leaseDuration: number;
  renewable: boolean;
}

export interface VaultPort {
  /** GET a path with a token; undefined on 404. */
  read(path: string, token: string): Promise<Record<string, unknown> | undefined>;
  /** LIST a path; [] on 404. */
  list(path: string, token: string): Promise<string[]>;
  /** POST auth/<mount>/login. */
  login(mount: string, body: Record<string, unknown>): Promise<VaultAuthResult>;
  renewSelf(token: string): Promise<VaultAuthResult>;
  lookupSelf(token: string): Promise<{ ttl: number; renewable: boolean }>;
}

/** The writes PushSecret needs. */
export interface VaultWritePort {
  /** POST (write) a path with a token. */
  write(path: string, body: Record<string, unknown>, token: string): Promise<void>;
  /** DELETE a path with a token; a 404 is not an error. */
  remove(path: string, token: string): Promise<void>;
}
