// kubeseal's command line, parsed the way kubeseal (spf13/pflag) parses it, so that
// `alias kubeseal='sealbridge seal'` keeps scripts working. Every flag can also come from a
// SEALED_SECRETS_<FLAG_NAME> environment variable (dashes as underscores); flags win over the
// environment, and list flags given on the command line are appended to the environment's list.
import { parseScope, type SealingScope } from "../crypto/scope.ts";
import { isCryptoError } from "../crypto/errors.ts";
import { CliError } from "./io.ts";

type Kind = "string" | "bool" | "list";

interface FlagSpec {
  name: string;
  kind: Kind;
  short?: string;
  help: string;
  /** Shown in --help; the parser itself only records what was given. */
  default?: string;
  /** Accepted by kubeseal, not implemented here: refusing beats silently ignoring. */
  unsupported?: boolean;
  deprecated?: string;
}

export const ENV_PREFIX = "SEALED_SECRETS";

const FLAGS: readonly FlagSpec[] = [
  { name: "cert", kind: "string", help: "Certificate / public key file/URL to use for encryption. Overrides --controller-*" },
  { name: "controller-namespace", kind: "string", default: "kube-system", help: "Namespace of sealed-secrets controller." },
  { name: "controller-name", kind: "string", default: "sealed-secrets-controller", help: "Name of sealed-secrets controller." },
  { name: "format", short: "o", kind: "string", default: "json", help: "Output format for sealed secret. Either json or yaml" },
  { name: "sealed-secret-file", short: "w", kind: "string", help: "Sealed-secret (output) file" },
  { name: "secret-file", short: "f", kind: "string", help: "Secret (input) file" },
  { name: "fetch-cert", kind: "bool", help: "Write certificate to stdout. Useful for later use with --cert" },
  { name: "allow-empty-data", kind: "bool", help: "Allow empty data in the secret object" },
  { name: "validate", kind: "bool", help: "Validate that the sealed secret can be decrypted" },
  { name: "merge-into", kind: "string", help: "Merge items from secret into an existing sealed secret file, updating the file in-place instead of writing to stdout." },
  { name: "raw", kind: "bool", help: "Encrypt a raw value passed via the --from-* flags instead of the whole secret object" },
  { name: "name", kind: "string", help: "Name of the sealed secret (required with --raw and default (strict) scope)" },
  { name: "from-file", kind: "list", help: "(only with --raw) Secret items can be sourced from files. Pro-tip: you can use /dev/stdin to read pipe input. This flag tries to follow the same syntax as in kubectl" },
  { name: "kubeconfig", kind: "string", help: "Path to a kube config. Only required if out-of-cluster" },
  { name: "scope", kind: "string", help: "Set the scope of the sealed secret: strict, namespace-wide, cluster-wide (defaults to strict). Mandatory for --raw, otherwise the 'sealedsecrets.bitnami.com/cluster-wide' and 'sealedsecrets.bitnami.com/namespace-wide' annotations on the input secret can be used to select the scope." },
  { name: "rotate", kind: "bool", help: "", deprecated: "please use --re-encrypt instead" },
  { name: "re-encrypt", kind: "bool", help: "Re-encrypt the given sealed secret to use the latest cluster key." },
  { name: "recovery-unseal", kind: "bool", help: "Decrypt a sealed secrets file obtained from stdin, using the private key passed with --recovery-private-key. Intended to be used in disaster recovery mode." },
  { name: "recovery-private-key", kind: "list", help: "Private key filename used by the --recovery-unseal command. Multiple files accepted either via comma separated list or by repetition of the flag. Either PEM encoded private keys or a backup of a json/yaml encoded k8s sealed-secret controller secret (and v1.List) are accepted. " },
  // sealbridge's own: age sealing (AgeSecret).
  { name: "age", kind: "bool", help: "Seal into an AgeSecret with age instead of RSA (recipients from the controller, --recipient or --recipients-file)" },
  { name: "recipient", kind: "list", help: "(with --age) Seal to this age recipient (age1... or age1pq1...); repeatable, e.g. a disaster-recovery key" },
  { name: "recipients-file", kind: "list", help: "(with --age) Seal to the recipients listed in FILE, one per line (# comments), as age -R reads them" },
  { name: "controller-recipient", kind: "bool", help: "(with --age) Also seal to the controller's scope recipient when --recipient/--recipients-file are given (it is used by default when they are not)" },
  { name: "public-keys-configmap", kind: "string", default: "sealbridge-public-keys", help: "ConfigMap the controller publishes its certificate and cluster-wide age recipients in; read when the API server refuses the service proxy (403/404). \"\" turns the fallback off" },
  { name: "public-keys-configmap-namespace", kind: "string", help: "Namespace of that ConfigMap (defaults to --controller-namespace)" },
  { name: "help", kind: "bool", help: "Print this help message" },
  { name: "version", kind: "bool", help: "Print version information and exit" },
  // kubectl's connection flags (client-go's RecommendedConfigOverrideFlags).
  { name: "namespace", short: "n", kind: "string", help: "If present, the namespace scope for this CLI request" },
  { name: "context", kind: "string", help: "The name of the kubeconfig context to use" },
  { name: "cluster", kind: "string", help: "The name of the kubeconfig cluster to use" },
  { name: "user", kind: "string", help: "The name of the kubeconfig user to use" },
  { name: "server", kind: "string", help: "The address and port of the Kubernetes API server" },
  { name: "token", kind: "string", help: "Bearer token for authentication to the API server" },
  { name: "certificate-authority", kind: "string", help: "Path to a cert file for the certificate authority" },
  { name: "client-certificate", kind: "string", help: "Path to a client certificate file for TLS" },
  { name: "client-key", kind: "string", help: "Path to a client key file for TLS" },
  { name: "insecure-skip-tls-verify", kind: "bool", help: "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure" },
  { name: "tls-server-name", kind: "string", help: "If provided, this name will be used to validate server certificate." },
  { name: "request-timeout", kind: "string", default: "0", help: "The length of time to wait before giving up on a single server request (e.g. 1s, 2m, 3h; 0 means no timeout)." },
  { name: "as", kind: "string", unsupported: true, help: "Username to impersonate for the operation" },
  { name: "as-group", kind: "list", unsupported: true, help: "Group to impersonate for the operation" },
  { name: "as-uid", kind: "string", unsupported: true, help: "UID to impersonate for the operation" },
  { name: "username", kind: "string", unsupported: true, help: "Username for basic authentication to the API server" },
  { name: "password", kind: "string", unsupported: true, help: "Password for basic authentication to the API server" },
  { name: "proxy-url", kind: "string", unsupported: true, help: "If provided, this URL will be used to connect via proxy" },
  { name: "disable-compression", kind: "bool", unsupported: true, help: "If true, opt-out of response compression" },
];

export type OutputFormat = "json" | "yaml";

/** What the command line and environment asked for. `undefined` means "not given". */
export interface SealFlags {
  cert?: string;
  controllerNamespace: string;
  controllerName: string;
  format: OutputFormat;
  /** True when --format/-o (or SEALED_SECRETS_FORMAT) was given. */
  formatGiven: boolean;
  outputFile?: string;
  inputFile?: string;
  fetchCert: boolean;
  allowEmptyData: boolean;
  validate: boolean;
  mergeInto?: string;
  raw: boolean;
  name?: string;
  fromFile: string[];
  kubeconfig?: string;
  /** Undefined when --scope was not given: the input's annotations decide. */
  scope?: SealingScope;
  reEncrypt: boolean;
  recoveryUnseal: boolean;
  /** RSA PEM keys, controller key backups, or age identity files. */
  recoveryPrivateKeys: string[];
  age: boolean;
  recipients: string[];
  recipientsFiles: string[];
  controllerRecipient: boolean;
  /** The public-keys ConfigMap to fall back to (undefined: no fallback). */
  publicKeys?: { namespace: string; name: string };
  help: boolean;
  version: boolean;
  connection: ConnectionFlags;
  /** Arguments that are not flags: kubeseal ignores them. */
  positional: string[];
  warnings: string[];
}

export interface ConnectionFlags {
  namespace?: string;
  context?: string;
  cluster?: string;
  user?: string;
  server?: string;
  token?: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  /** Milliseconds; 0 means none. */
  requestTimeoutMs: number;
}

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));
const BY_SHORT = new Map(FLAGS.filter((f) => f.short !== undefined).map((f) => [f.short ?? "", f]));

/**
 * A flag value as an error quotes it (pflag quotes them all): only when it looks like a value of
 * that sort, since a token that landed in the wrong place ("-o --token=…") must not be echoed.
 */
function shown(text: string): string {
  return /^[A-Za-z0-9._:/+-]{0,40}$/.test(text) && !text.startsWith("--") ? `"${text}"` : "(value not shown)";
}

/** strconv.ParseBool's spellings. */
function parseBool(text: string, where: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw new CliError(`${where}: invalid boolean ${shown(text)} (use true or false)`);
}

/** pflag's StringSlice reads a CSV record: commas split, double quotes protect. */
function splitList(text: string): string[] {
  if (text === "") return [];
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text.charAt(i + 1) === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      out.push(field);
      field = "";
    } else field += c;
  }
  out.push(field);
  return out;
}

export function envName(flag: string): string {
  return `${ENV_PREFIX}_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** `"30s"`, `"1m30s"`, `"500ms"`, `"0"` → milliseconds (Go's time.ParseDuration, the common units). */
function parseDuration(text: string, where: string): number {
  if (text === "0" || text === "") return 0;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (unitMs[m[2] ?? ""] ?? 0);
    at = re.lastIndex;
  }
  if (at !== text.length || at === 0) {
    throw new CliError(`${where}: invalid duration ${shown(text)} (e.g. 30s, 1m, 2h)`);
  }
  return total;
}

type Values = Map<string, string | boolean | string[]>;

function setValue(values: Values, spec: FlagSpec, raw: string | undefined, where: string, fromCommandLine: boolean): void {
  switch (spec.kind) {
    case "bool":
      values.set(spec.name, raw === undefined ? true : parseBool(raw, where));
      return;
    case "string":
      values.set(spec.name, raw ?? "");
      return;
    case "list": {
      const prev = values.get(spec.name);
      const items = splitList(raw ?? "");
      // Like pflag: the first command-line use appends to what the environment set.
      values.set(spec.name, fromCommandLine && Array.isArray(prev) ? [...prev, ...items] : items);
      return;
    }
  }
}

/** Parses kubeseal's arguments (without the command name) and SEALED_SECRETS_* variables. */
export function parseSealFlags(args: readonly string[], env: Readonly<Record<string, string | undefined>>): SealFlags {
  const values: Values = new Map();
  const given = new Set<string>();
  const warnings: string[] = [];
  for (const spec of FLAGS) {
    const value = env[envName(spec.name)];
    if (value !== undefined) {
      setValue(values, spec, value, envName(spec.name), false);
      given.add(spec.name);
    }
  }
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    let label: string;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      spec = BY_NAME.get(name);
      label = `--${name}`;
      if (spec === undefined) throw new CliError(`unknown flag: --${name}`);
    } else {
      const short = arg.charAt(1);
      spec = BY_SHORT.get(short);
      label = `-${short}`;
      if (spec === undefined) throw new CliError(`unknown shorthand flag: '${short}' in ${shown(arg)}`);
      const rest = arg.slice(2);
      if (rest !== "") inline = rest.startsWith("=") ? rest.slice(1) : rest;
    }
    if (spec.kind !== "bool" && inline === undefined) {
      const next = args[i + 1];
      if (next === undefined) throw new CliError(`flag needs an argument: ${label}`);
      inline = next;
      i++;
    }
    setValue(values, spec, inline, label, true);
    given.add(spec.name);
    if (spec.deprecated !== undefined) warnings.push(`Flag --${spec.name} has been deprecated, ${spec.deprecated}`);
  }
  for (const name of given) {
    const spec = BY_NAME.get(name);
    if (spec?.unsupported === true) {
      throw new CliError(`--${name} (or ${envName(name)}) is not supported by sealbridge seal; use a kubeconfig instead`);
    }
  }

  const str = (name: string): string | undefined => {
    const v = values.get(name);
    return typeof v === "string" ? v : undefined;
  };
  /** A string flag whose empty value means "not set" (as the Go zero value does). */
  const nonEmpty = (name: string): string | undefined => {
    const v = str(name);
    return v === undefined || v === "" ? undefined : v;
  };
  const bool = (name: string): boolean => values.get(name) === true;
  const list = (name: string): string[] => {
    const v = values.get(name);
    return Array.isArray(v) ? v.filter((s) => s !== "") : [];
  };

  const format = (str("format") ?? "json").toLowerCase();
  if (format !== "json" && format !== "yaml" && format !== "") {
    throw new CliError(`unsupported output format: ${shown(str("format") ?? "")} (use json or yaml)`);
  }
  let scope: SealingScope | undefined;
  const scopeText = str("scope");
  if (scopeText !== undefined && scopeText !== "") {
    try {
      scope = parseScope(scopeText);
    } catch (err) {
      if (isCryptoError(err)) throw new CliError(`invalid argument ${shown(scopeText)} for "--scope" flag: must be one of: strict, namespace-wide, cluster-wide`);
      throw err;
    }
  }

  const flags: SealFlags = {
    controllerNamespace: nonEmpty("controller-namespace") ?? "kube-system",
    controllerName: nonEmpty("controller-name") ?? "sealed-secrets-controller",
    format: format === "yaml" ? "yaml" : "json",
    formatGiven: given.has("format"),
    fetchCert: bool("fetch-cert"),
    allowEmptyData: bool("allow-empty-data"),
    validate: bool("validate"),
    raw: bool("raw"),
    fromFile: list("from-file"),
    reEncrypt: bool("re-encrypt") || bool("rotate"),
    recoveryUnseal: bool("recovery-unseal"),
    recoveryPrivateKeys: list("recovery-private-key"),
    age: bool("age"),
    recipients: list("recipient"),
    recipientsFiles: list("recipients-file"),
    controllerRecipient: bool("controller-recipient"),
    help: bool("help"),
    version: bool("version"),
    connection: {
      insecureSkipTlsVerify: bool("insecure-skip-tls-verify"),
      requestTimeoutMs: parseDuration(str("request-timeout") ?? "0", "--request-timeout"),
    },
    positional,
    warnings,
  };
  const optional: [keyof SealFlags, string][] = [
    ["cert", "cert"],
    ["outputFile", "sealed-secret-file"],
    ["inputFile", "secret-file"],
    ["mergeInto", "merge-into"],
    ["name", "name"],
    ["kubeconfig", "kubeconfig"],
  ];
  for (const [key, name] of optional) {
    const v = nonEmpty(name);
    if (v !== undefined) (flags as unknown as Record<string, unknown>)[key] = v;
  }
  if (scope !== undefined) flags.scope = scope;
  const publicKeysName = str("public-keys-configmap") ?? "sealbridge-public-keys";
  if (publicKeysName !== "") flags.publicKeys = { namespace: nonEmpty("public-keys-configmap-namespace") ?? flags.controllerNamespace, name: publicKeysName };
  const conn: [keyof ConnectionFlags, string][] = [
    ["namespace", "namespace"],
    ["context", "context"],
    ["cluster", "cluster"],
    ["user", "user"],
    ["server", "server"],
    ["token", "token"],
    ["certificateAuthority", "certificate-authority"],
    ["clientCertificate", "client-certificate"],
    ["clientKey", "client-key"],
    ["tlsServerName", "tls-server-name"],
  ];
  for (const [key, name] of conn) {
    const v = nonEmpty(name);
    if (v !== undefined) (flags.connection as unknown as Record<string, unknown>)[key] = v;
  }
  return flags;
}

/** The --help text, in kubeseal's shape. */
export function sealUsage(program: string): string {
  const lines = [`Usage of ${program}:`];
  for (const f of FLAGS) {
    if (f.deprecated !== undefined) continue;
    const head = f.short !== undefined ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    const type = f.kind === "bool" ? "" : f.kind === "list" ? " strings" : " string";
    const def = f.default !== undefined && f.default !== "" && f.default !== "0" ? ` (default "${f.default}")` : "";
    const note = f.unsupported === true ? " (not supported by sealbridge)" : "";
    lines.push(`${(head + type).padEnd(40)} ${f.help}${def}${note}`);
  }
  lines.push("", `Every flag can also be set with ${ENV_PREFIX}_<FLAG> (e.g. ${envName("controller-namespace")}).`);
  return lines.join("\n") + "\n";
}
