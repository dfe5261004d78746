// The Vault provider: KV v1 and v2 reads with ESO's path building, property and metadata semantics,
// and find (v2) by path, name regexp and custom-metadata tags.
import { readFile } from "node:fs/promises";
import { RE2JS } from "re2js";
import type { VaultProviderSpec } from "../../api/secret-store.ts";
import { gjsonGet } from "../gjson.ts";
import {
  AccessDenied,
  InvalidProviderConfig,
  PropertyNotFound,
  SecretNotFound,
  utf8,
  type CredentialSource,
  type FindRef,
  type RemoteRef,
  type SecretsClient,
  type SecretsPusher,
} from "../provider.ts";
import { VaultKvPusher } from "./kv-push.ts";
import { NodeVaultPort } from "./node-vault-port.ts";
import type { VaultAuthResult, VaultPort, VaultWritePort } from "./port.ts";
import { VaultTokenSource } from "./token.ts";

const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface VaultClientOptions {
  now?: () => number;
  onLogin?: () => void;
  onRenew?: () => void;
  onRequest?: (operation: string) => void;
}

export interface VaultClientInput {
  spec: VaultProviderSpec;
  credentials: CredentialSource;
  options: VaultClientOptions;
}

export async function createVaultClient(input: VaultClientInput): Promise<SecretsClient> {
  const { spec, credentials, options } = input;
  let ca = spec.caBundle;
  if (spec.caProvider) {
    const ref = { name: spec.caProvider.name, key: spec.caProvider.key, namespace: spec.caProvider.namespace };
    ca = spec.caProvider.type === "ConfigMap" ? await credentials.configMapValue(ref) : await credentials.secretValue(ref);
  }
  const port = new NodeVaultPort({
    server: spec.server,
    ...(spec.namespace ? { namespace: spec.namespace } : {}),
    ...(ca ? { ca } : {}),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  });
  const tokens = await tokenSource(spec, credentials, port, options);
  return new VaultKvClient(port, tokens, spec, port);
}

async function tokenSource(spec: VaultProviderSpec, credentials: CredentialSource, port: VaultPort, options: VaultClientOptions): Promise<VaultTokenSource> {
  const common = {
    port,
    ...(options.now ? { now: options.now } : {}),
    ...(options.onLogin ? { onLogin: options.onLogin } : {}),
    ...(options.onRenew ? { onRenew: options.onRenew } : {}),
  };
  const auth = spec.auth;
  let login: () => Promise<VaultAuthResult>;
  switch (auth.kind) {
    case "token":
      return new VaultTokenSource({ ...common, staticToken: (await credentials.secretValue(auth.tokenSecretRef)).trim() });
    case "appRole": {
      // Resolved once per client; the client cache rebuilds the client when the Secret changes.
      const roleId = auth.roleRef ? (await credentials.secretValue(auth.roleRef)).trim() : (auth.roleId ?? "");
      const secretId = (await credentials.secretValue(auth.secretRef)).trim();
      login = () => port.login(auth.path, { role_id: roleId, secret_id: secretId });
      break;
    }
    case "kubernetes": {
      const jwt = async (): Promise<string> => {
        if (auth.serviceAccountRef) {
          const sa = auth.serviceAccountRef;
          return await credentials.serviceAccountToken({ name: sa.name, namespace: sa.namespace, audiences: sa.audiences, expirationSeconds: 600 });
        }
        if (auth.secretRef) return (await credentials.secretValue(auth.secretRef)).trim();
        try {
          return (await readFile(IN_CLUSTER_TOKEN, "utf8")).trim();
        } catch {
          throw new InvalidProviderConfig("vault kubernetes auth needs serviceAccountRef or secretRef outside a pod");
        }
      };
      login = async () => port.login(auth.mountPath, { role: auth.role, jwt: await jwt() });
      break;
    }
    case "jwt": {
      const jwt = async (): Promise<string> => {
        const kst = auth.kubernetesServiceAccountToken;
        if (kst) {
          return await credentials.serviceAccountToken({
            name: kst.serviceAccountRef.name,
            namespace: kst.serviceAccountRef.namespace,
            audiences: kst.audiences ?? kst.serviceAccountRef.audiences,
            expirationSeconds: kst.expirationSeconds ?? 600,
          });
        }
        if (auth.secretRef) return (await credentials.secretValue(auth.secretRef)).trim();
        throw new InvalidProviderConfig("vault jwt auth needs secretRef or kubernetesServiceAccountToken");
      };
      login = async () => port.login(auth.path, { ...(auth.role ? { role: auth.role } : {}), jwt: await jwt() });
      break;
    }
  }
  return new VaultTokenSource({ ...common, login });
}

export class VaultKvClient implements SecretsClient {
  private readonly port: VaultPort;
  private readonly tokens: VaultTokenSource;
  private readonly spec: VaultProviderSpec;
  /** PushSecret writes (kv-push.ts), when the port can write. */
  readonly pusher?: SecretsPusher;

  constructor(port: VaultPort, tokens: VaultTokenSource, spec: VaultProviderSpec, writer?: VaultWritePort) {
    this.port = port;
    this.tokens = tokens;
    this.spec = spec;
    if (writer) this.pusher = new VaultKvPusher({ reader: port, writer, spec, withToken: (call) => this.withToken(call) });
  }

  async getSecret(ref: RemoteRef): Promise<Uint8Array> {
    const data = await this.readData(ref);
    if (!ref.property) return utf8(goJson(data));
    // Literal keys win over gjson syntax (ESO's backwards-compatible order).
    if (Object.hasOwn(data, ref.property)) return typedValue(data[ref.property]);
    const found = gjsonGet(goJson(data), ref.property);
    if (!found.exists) throw new PropertyNotFound(`key ${ref.property} does not exist in secret ${ref.key}`);
    return utf8(found.text);
  }

  async getSecretMap(ref: RemoteRef): Promise<Record<string, Uint8Array>> {
    let data = await this.readData(ref);
    if (ref.property) {
      const nested = Object.hasOwn(data, ref.property) ? data[ref.property] : parseJson(Buffer.from(await this.getSecret(ref)).toString("utf8"));
      if (typeof nested !== "object" || nested === null || Array.isArray(nested)) {
        throw new PropertyNotFound(`property ${ref.property} of secret ${ref.key} is not an object`);
      }
      data = nested as Record<string, unknown>;
    }
    const out: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(data)) out[k] = typedValue(v);
    return out;
  }

  async findSecrets(find: FindRef): Promise<Record<string, Uint8Array>> {
    if (this.spec.version !== "v2") throw new InvalidProviderConfig("find is only supported for KV v2 stores");
    const mount = this.spec.path;
    if (!mount) throw new InvalidProviderConfig("find needs spec.provider.vault.path (the KV mount)");
    const nameRe = find.nameRegexp === undefined ? undefined : RE2JS.compile(find.nameRegexp);
    const root = (find.path ?? "").replace(/^\/+|\/+$/g, "");
    const paths = await this.listRecursive(mount, root);
    const out: Record<string, Uint8Array> = {};
    for (const path of paths) {
      if (nameRe && !nameRe.matcher(path).find()) continue;
      if (find.tags) {
        const meta = await this.withToken((t) => this.port.read(`${mount}/metadata/${path}`, t));
        const custom = asRecord(asRecord(meta?.["data"])?.["custom_metadata"]) ?? {};
        if (!Object.entries(find.tags).every(([k, v]) => custom[k] === v)) continue;
      }
      try {
        const data = await this.readData({ key: path });
        out[path] = utf8(goJson(data));
      } catch (err) {
        if (!(err instanceof SecretNotFound)) throw err; // deleted versions are skipped
      }
    }
    return out;
  }

  async validate(): Promise<void> {
    await this.withToken((t) => this.port.lookupSelf(t));
  }

  close(): void {
    // node-vault keeps no open resources beyond axios' keep-alive sockets
  }

  private async listRecursive(mount: string, dir: string): Promise<string[]> {
    const keys = await this.withToken((t) => this.port.list(`${mount}/metadata/${dir}`, t));
    const out: string[] = [];
    for (const k of keys) {
      const full = dir ? `${dir}/${k}` : k;
      if (k.endsWith("/")) out.push(...(await this.listRecursive(mount, full.slice(0, -1))));
      else out.push(full);
    }
    return out;
  }

  private async readData(ref: RemoteRef): Promise<Record<string, unknown>> {
    if (ref.metadataPolicy === "Fetch") {
      if (this.spec.version !== "v2") throw new InvalidProviderConfig("metadataPolicy Fetch needs a KV v2 store");
      const body = await this.withToken((t) => this.port.read(metadataPath(this.spec, ref.key), t));
      if (!body) throw new SecretNotFound(`secret ${ref.key} not found`);
      return asRecord(asRecord(body["data"])?.["custom_metadata"]) ?? {};
    }
    let path = buildPath(this.spec, ref.key);
    if (ref.version && this.spec.version === "v2") path += `?version=${encodeURIComponent(ref.version)}`;
    const body = await this.withToken((t) => this.port.read(path, t));
    if (!body) throw new SecretNotFound(`secret ${ref.key} not found`);
    const data = asRecord(body["data"]);
    if (this.spec.version === "v1") {
      if (!data) throw new SecretNotFound(`secret ${ref.key} has no data`);
      return data;
    }
    const inner = asRecord(data?.["data"]);
    // A deleted or destroyed v2 version answers 404 with metadata, or data: null.
    if (!inner) throw new SecretNotFound(`secret ${ref.key} has no data (deleted version?)`);
    return inner;
  }

  /** Runs a call with a valid token; a token refused mid-life (revoked) is replaced once. */
  private async withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.tokens.token();
    try {
      return await call(token);
    } catch (err) {
      if (!(err instanceof AccessDenied) || this.tokens.isStatic) throw err;
      this.tokens.invalidate(token);
      return await call(await this.tokens.token());
    }
  }
}

/** ESO's buildPath: the mount is prefixed unless the key already starts with it; v2 adds "data". */
export function buildPath(spec: Pick<VaultProviderSpec, "path" | "version">, key: string): string {
  let out = key;
  if (spec.path !== undefined) {
    const cut = `${spec.path}/`;
    if (out.startsWith(cut)) {
      out = out.slice(cut.length);
      if (spec.version === "v2" && out.startsWith("data/")) out = out.slice("data/".length);
    }
    return [spec.path, ...(spec.version === "v2" ? ["data"] : []), out].join("/");
  }
  if (spec.version === "v2" && !out.includes("/data/")) {
    const [mount, ...rest] = out.split("/");
    return [mount, "data", ...rest].join("/");
  }
  return out;
}

function metadataPath(spec: VaultProviderSpec, key: string): string {
  return buildPath(spec, key).replace(/\/data\//, "/metadata/");
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** encoding/json's Marshal of a map: keys sorted, compact. */
export function goJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const rec = v as Record<string, unknown>;
    return `{${Object.keys(rec).sort().map((k) => `${JSON.stringify(k)}:${goJson(rec[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** ESO's GetByteValue: strings as bytes, null as no bytes, anything else JSON-encoded. */
function typedValue(v: unknown): Uint8Array {
  if (typeof v === "string") return utf8(v);
  if (v === null || v === undefined) return new Uint8Array();
  return utf8(goJson(v));
}
