// external-secrets.io/v1 SecretStore and ClusterSecretStore: the provider configuration parsed into
// typed values for the two providers sealbridge serves (aws SecretsManager and ParameterStore, vault). Any other
// provider parses to `{ kind: "unsupported" }` so the store gets a clear Ready=False, never a crash.
import { DurationError, parseGoDuration } from "./go-duration.ts";
import {
  SpecError,
  bool,
  isObject,
  int,
  obj,
  objList,
  oneOf,
  requiredStr,
  secretKeyRef,
  str,
  strList,
  type Json,
  type SecretKeyRef,
} from "./eso-fields.ts";

export interface ServiceAccountRef {
  name: string;
  namespace?: string;
  audiences?: string[];
}

export type AwsAuth =
  | { kind: "default" }
  | { kind: "secretRef"; accessKeyId: SecretKeyRef; secretAccessKey: SecretKeyRef; sessionToken?: SecretKeyRef }
  | { kind: "jwt"; serviceAccountRef: ServiceAccountRef };

export interface AwsProviderSpec {
  kind: "aws";
  service: "SecretsManager" | "ParameterStore";
  region: string;
  role?: string;
  additionalRoles: string[];
  externalId?: string;
  prefix?: string;
  /** `secretsManager`: how PushSecret deletions remove secrets. */
  secretsManager?: { forceDeleteWithoutRecovery?: boolean; recoveryWindowInDays?: number };
  auth: AwsAuth;
}

export type VaultAuth =
  | { kind: "token"; tokenSecretRef: SecretKeyRef }
  | { kind: "appRole"; path: string; roleId?: string; roleRef?: SecretKeyRef; secretRef: SecretKeyRef }
  | { kind: "kubernetes"; mountPath: string; role: string; serviceAccountRef?: ServiceAccountRef; secretRef?: SecretKeyRef }
  | {
      kind: "jwt";
      path: string;
      role?: string;
      secretRef?: SecretKeyRef;
      kubernetesServiceAccountToken?: { serviceAccountRef: ServiceAccountRef; audiences?: string[]; expirationSeconds?: number };
    };

export interface VaultProviderSpec {
  kind: "vault";
  server: string;
  /** KV mount path, e.g. "secret". */
  path?: string;
  version: "v1" | "v2";
  namespace?: string;
  /** PEM bytes (caBundle is base64 in the manifest). */
  caBundle?: string;
  caProvider?: { type: "Secret" | "ConfigMap"; name: string; key: string; namespace?: string };
  auth: VaultAuth;
}

export interface UnsupportedProviderSpec {
  kind: "unsupported";
  /** The provider name(s) found under spec.provider, or a description of what is wrong. */
  what: string;
}

export type ProviderSpec = AwsProviderSpec | VaultProviderSpec | UnsupportedProviderSpec;

export interface NamespaceCondition {
  namespaceSelector?: LabelSelector;
  namespaces: string[];
  namespaceRegexes: string[];
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values: string[] }[];
}

export interface SecretStoreSpec {
  /** ESO controller class; empty means "any controller". */
  controller: string;
  provider: ProviderSpec;
  /** ClusterSecretStore only: which namespaces may use it (any condition matching allows). */
  conditions: NamespaceCondition[];
  /** Store-level default refresh of the store's validation, milliseconds (0 = none). */
  refreshIntervalMs: number;
}

export function parseSecretStoreSpec(raw: unknown): SecretStoreSpec {
  if (!isObject(raw)) throw new SpecError("spec is required");
  const p = "spec";
  let refreshIntervalMs = 0;
  const refresh = raw["refreshInterval"];
  if (typeof refresh === "number" && Number.isInteger(refresh) && refresh >= 0) refreshIntervalMs = refresh * 1000;
  else if (typeof refresh === "string" && refresh !== "") {
    try {
      refreshIntervalMs = Math.max(0, parseGoDuration(refresh));
    } catch (err) {
      if (err instanceof DurationError) throw new SpecError(`${p}.refreshInterval: ${err.message}`);
      throw err;
    }
  }
  return {
    controller: str(raw, "controller", p) ?? "",
    provider: parseProvider(obj(raw, "provider", p), `${p}.provider`),
    conditions: objList(raw, "conditions", p).map(({ item, path }) => parseCondition(item, path)),
    refreshIntervalMs,
  };
}

function parseProvider(provider: Json | undefined, path: string): ProviderSpec {
  if (!provider) throw new SpecError(`${path} is required`);
  const names = Object.keys(provider).filter((k) => provider[k] !== undefined && provider[k] !== null);
  if (names.length !== 1) {
    throw new SpecError(`${path} must configure exactly one provider, found ${names.length === 0 ? "none" : names.join(", ")}`);
  }
  const name = names[0] ?? "";
  const config = obj(provider, name, path);
  if (name === "aws" && config) return parseAws(config, `${path}.aws`);
  if (name === "vault" && config) return parseVault(config, `${path}.vault`);
  return { kind: "unsupported", what: name };
}

function parseAws(aws: Json, path: string): ProviderSpec {
  const service = requiredStr(aws, "service", path);
  if (service !== "SecretsManager" && service !== "ParameterStore") return { kind: "unsupported", what: `aws service ${service}` };
  const auth = obj(aws, "auth", path);
  const ap = `${path}.auth`;
  let parsedAuth: AwsAuth = { kind: "default" };
  if (auth) {
    const secretRef = obj(auth, "secretRef", ap);
    const jwt = obj(auth, "jwt", ap);
    if (secretRef && jwt) throw new SpecError(`${ap}: set only one of secretRef and jwt`);
    if (secretRef) {
      const sp = `${ap}.secretRef`;
      const accessKeyId = secretKeyRef(secretRef, "accessKeyIDSecretRef", sp);
      const secretAccessKey = secretKeyRef(secretRef, "secretAccessKeySecretRef", sp);
      if (!accessKeyId || !secretAccessKey) throw new SpecError(`${sp}: accessKeyIDSecretRef and secretAccessKeySecretRef are required`);
      const sessionToken = secretKeyRef(secretRef, "sessionTokenSecretRef", sp);
      parsedAuth = { kind: "secretRef", accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    } else if (jwt) {
      const sa = parseServiceAccountRef(obj(jwt, "serviceAccountRef", `${ap}.jwt`), `${ap}.jwt.serviceAccountRef`);
      if (!sa) throw new SpecError(`${ap}.jwt.serviceAccountRef is required`);
      parsedAuth = { kind: "jwt", serviceAccountRef: sa };
    }
  }
  const role = str(aws, "role", path);
  const externalId = str(aws, "externalID", path);
  const prefix = str(aws, "prefix", path);
  const sm = obj(aws, "secretsManager", path);
  const force = sm ? bool(sm, "forceDeleteWithoutRecovery", `${path}.secretsManager`) : undefined;
  const window = sm ? int(sm, "recoveryWindowInDays", `${path}.secretsManager`) : undefined;
  if (window !== undefined && (window < 7 || window > 30)) throw new SpecError(`${path}.secretsManager.recoveryWindowInDays must be between 7 and 30`);
  if (force && window !== undefined) throw new SpecError(`${path}.secretsManager: set only one of forceDeleteWithoutRecovery and recoveryWindowInDays`);
  return {
    kind: "aws",
    service,
    region: requiredStr(aws, "region", path),
    ...(role ? { role } : {}),
    additionalRoles: strList(aws, "additionalRoles", path),
    ...(externalId ? { externalId } : {}),
    ...(prefix ? { prefix } : {}),
    ...(force || window !== undefined ? { secretsManager: { ...(force ? { forceDeleteWithoutRecovery: true } : {}), ...(window !== undefined ? { recoveryWindowInDays: window } : {}) } } : {}),
    auth: parsedAuth,
  };
}

function parseServiceAccountRef(ref: Json | undefined, path: string): ServiceAccountRef | undefined {
  if (!ref) return undefined;
  const namespace = str(ref, "namespace", path);
  const audiences = strList(ref, "audiences", path);
  return { name: requiredStr(ref, "name", path), ...(namespace ? { namespace } : {}), ...(audiences.length ? { audiences } : {}) };
}

function parseVault(vault: Json, path: string): VaultProviderSpec {
  const server = requiredStr(vault, "server", path);
  try {
    new URL(server);
  } catch {
    throw new SpecError(`${path}.server must be a URL, got ${JSON.stringify(server)}`);
  }
  const auth = obj(vault, "auth", path);
  if (!auth) throw new SpecError(`${path}.auth is required`);
  const ap = `${path}.auth`;
  const methods: VaultAuth[] = [];
  const token = secretKeyRef(auth, "tokenSecretRef", ap);
  if (token) methods.push({ kind: "token", tokenSecretRef: token });
  const appRole = obj(auth, "appRole", ap);
  if (appRole) {
    const rp = `${ap}.appRole`;
    const secretRef = secretKeyRef(appRole, "secretRef", rp);
    if (!secretRef) throw new SpecError(`${rp}.secretRef is required`);
    const roleId = str(appRole, "roleId", rp);
    const roleRef = secretKeyRef(appRole, "roleRef", rp);
    if (!roleId && !roleRef) throw new SpecError(`${rp}: one of roleId or roleRef is required`);
    methods.push({ kind: "appRole", path: str(appRole, "path", rp) ?? "approle", ...(roleId ? { roleId } : {}), ...(roleRef ? { roleRef } : {}), secretRef });
  }
  const kubernetes = obj(auth, "kubernetes", ap);
  if (kubernetes) {
    const kp = `${ap}.kubernetes`;
    const sa = parseServiceAccountRef(obj(kubernetes, "serviceAccountRef", kp), `${kp}.serviceAccountRef`);
    const secretRef = secretKeyRef(kubernetes, "secretRef", kp);
    methods.push({
      kind: "kubernetes",
      mountPath: str(kubernetes, "mountPath", kp) ?? "kubernetes",
      role: requiredStr(kubernetes, "role", kp),
      ...(sa ? { serviceAccountRef: sa } : {}),
      ...(secretRef ? { secretRef } : {}),
    });
  }
  const jwt = obj(auth, "jwt", ap);
  if (jwt) {
    const jp = `${ap}.jwt`;
    const role = str(jwt, "role", jp);
    const secretRef = secretKeyRef(jwt, "secretRef", jp);
    const kst = obj(jwt, "kubernetesServiceAccountToken", jp);
    let kubernetesServiceAccountToken;
    if (kst) {
      const kp = `${jp}.kubernetesServiceAccountToken`;
      const sa = parseServiceAccountRef(obj(kst, "serviceAccountRef", kp), `${kp}.serviceAccountRef`);
      if (!sa) throw new SpecError(`${kp}.serviceAccountRef is required`);
      const audiences = strList(kst, "audiences", kp);
      const expirationSeconds = int(kst, "expirationSeconds", kp);
      kubernetesServiceAccountToken = {
        serviceAccountRef: sa,
        ...(audiences.length ? { audiences } : {}),
        ...(expirationSeconds !== undefined ? { expirationSeconds } : {}),
      };
    }
    if (!secretRef && !kubernetesServiceAccountToken) throw new SpecError(`${jp}: one of secretRef or kubernetesServiceAccountToken is required`);
    methods.push({
      kind: "jwt",
      path: str(jwt, "path", jp) ?? "jwt",
      ...(role ? { role } : {}),
      ...(secretRef ? { secretRef } : {}),
      ...(kubernetesServiceAccountToken ? { kubernetesServiceAccountToken } : {}),
    });
  }
  const others = Object.keys(auth).filter((k) => !["tokenSecretRef", "appRole", "kubernetes", "jwt"].includes(k) && auth[k] != null);
  if (methods.length === 0 && others.length > 0) unsupportedAuth(others);
  const [method, ...extra] = methods;
  if (!method) throw new SpecError(`${ap}: one auth method is required (tokenSecretRef, appRole, kubernetes or jwt)`);
  if (extra.length > 0) throw new SpecError(`${ap}: set only one auth method, found ${methods.map((m) => m.kind).join(", ")}`);
  const caBundle = str(vault, "caBundle", path);
  const caProvider = obj(vault, "caProvider", path);
  const cp = `${path}.caProvider`;
  const mountPath = str(vault, "path", path);
  const namespace = str(vault, "namespace", path);
  let parsedCaProvider: VaultProviderSpec["caProvider"];
  if (caProvider) {
    const ns = str(caProvider, "namespace", cp);
    parsedCaProvider = {
      type: oneOf(caProvider, "type", cp, ["Secret", "ConfigMap"] as const) ?? "Secret",
      name: requiredStr(caProvider, "name", cp),
      key: requiredStr(caProvider, "key", cp),
      ...(ns ? { namespace: ns } : {}),
    };
  }
  return {
    kind: "vault",
    server,
    ...(mountPath ? { path: mountPath.replace(/\/+$/, "") } : {}),
    version: oneOf(vault, "version", path, ["v1", "v2"] as const) ?? "v2",
    ...(namespace ? { namespace } : {}),
    ...(caBundle ? { caBundle: Buffer.from(caBundle, "base64").toString("utf8") } : {}),
    ...(parsedCaProvider ? { caProvider: parsedCaProvider } : {}),
    auth: method,
  };
}

function unsupportedAuth(names: string[]): never {
  throw new SpecError(`vault auth method ${names.join(", ")} is not supported by sealbridge (supported: tokenSecretRef, appRole, kubernetes, jwt)`);
}

function parseCondition(c: Json, path: string): NamespaceCondition {
  const sel = obj(c, "namespaceSelector", path);
  return {
    ...(sel ? { namespaceSelector: parseLabelSelector(sel, `${path}.namespaceSelector`) } : {}),
    namespaces: strList(c, "namespaces", path),
    namespaceRegexes: strList(c, "namespaceRegexes", path),
  };
}

export function parseLabelSelector(sel: Json, path: string): LabelSelector {
  const matchLabels: Record<string, string> = {};
  const ml = obj(sel, "matchLabels", path) ?? {};
  for (const [k, v] of Object.entries(ml)) {
    if (typeof v !== "string") throw new SpecError(`${path}.matchLabels.${k} must be a string`);
    matchLabels[k] = v;
  }
  const matchExpressions = objList(sel, "matchExpressions", path).map(({ item, path: ep }) => ({
    key: requiredStr(item, "key", ep),
    operator: oneOf(item, "operator", ep, ["In", "NotIn", "Exists", "DoesNotExist"] as const) ?? "In",
    values: strList(item, "values", ep),
  }));
  return { matchLabels, matchExpressions };
}

export function labelSelectorMatches(sel: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || value === undefined || !e.values.includes(value)) return false;
        break;
      case "NotIn":
        if (has && value !== undefined && e.values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}
