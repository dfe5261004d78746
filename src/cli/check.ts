// `sealbridge check [PATH…]`: finds what will not decrypt or sync once merged (src/check/).
// Exit status: 0 clean, 1 findings (errors or warnings; notices only inform), 2 usage errors.
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { parseYamlAll, isBoundedParseError } from "../api/bounded-parse.ts";
import { isRecord } from "../api/sealed-secret.ts";
import { runCheck, type OnlineController } from "../check/check.ts";
import { failing } from "../check/finding.ts";
import { renderBuiltin, type Rendering } from "../check/rendering.ts";
import { findRenderTool, renderWithTool } from "../check/render-tool.ts";
import { formatReport, OUTPUT_FORMATS, type OutputFormat } from "../check/report.ts";
import type { ClusterKeys, PublishedCertificate } from "../check/sealing-key.ts";
import { DiskTree } from "../check/tree.ts";
import { readCertificateSource } from "./cert-source.ts";
import { ageRecipientKind } from "../crypto/age.ts";
import { isCryptoError } from "../crypto/errors.ts";
import { CliError, type CliIo } from "./io.ts";

const USAGE = `Usage: sealbridge check [flags] [PATH...]

Finds SealedSecrets, AgeSecrets, SopsSecrets (and SOPS-encrypted files), ExternalSecrets and stores in
every YAML/JSON file and every kustomize overlay under the paths (default "."), and reports what will
not decrypt or sync once merged. Exit status: 0 clean, 1 findings (errors or warnings), 2 usage error.

Flags:
  -o, --output FORMAT           human (default), json, github (workflow annotations) or junit (XML)
      --cert FILE|URL           the cluster's sealing certificate(s): PEM, or a ConfigMap manifest holding
                                them (repeatable); compared offline with each SealedSecret
      --recipient AGE           an age recipient the cluster decrypts for (repeatable)
      --recipients-file FILE    age recipients, one per line (as age -R), or a ConfigMap manifest (repeatable)
      --controller              online: ask the controller through the API server's service proxy
                                (as kubeseal): /v1/verify for each rendered SealedSecret,
                                /v1/age-recipients for each AgeSecret and SopsSecret
      --controller-url URL      online, at the controller's HTTP API directly (e.g. a port-forward)
      --controller-name NAME    the controller's Service (default sealed-secrets-controller)
      --controller-namespace NS its namespace (default kube-system)
      --kubeconfig FILE         kubeconfig for --controller (default $KUBECONFIG or ~/.kube/config)
      --context NAME            kubeconfig context for --controller
  -n, --namespace NS            namespace for objects that have none when verifying online
      --request-timeout DURATION  per request to the controller, e.g. 10s (default 30s)
      --kustomize MODE          auto (default: kustomize, else kubectl kustomize, else built in),
                                kustomize, kubectl, builtin, or off (overlays not rendered)
  -h, --help                    this help

check never prints a value: findings name files, lines, objects, keys, fingerprints and transformations.
`;

type KustomizeMode = "auto" | "kustomize" | "kubectl" | "builtin" | "off";
const KUSTOMIZE_MODES: readonly KustomizeMode[] = ["auto", "kustomize", "kubectl", "builtin", "off"];

interface CheckFlags {
  output: OutputFormat;
  certs: string[];
  recipients: string[];
  recipientsFiles: string[];
  controller: boolean;
  controllerUrl?: string;
  controllerName: string;
  controllerNamespace: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  requestTimeoutMs: number;
  kustomize: KustomizeMode;
  help: boolean;
  paths: string[];
}

const VALUE_FLAGS = new Map<string, string>([
  ["-o", "output"],
  ["--output", "output"],
  ["--cert", "cert"],
  ["--recipient", "recipient"],
  ["--recipients-file", "recipients-file"],
  ["--controller-url", "controller-url"],
  ["--controller-name", "controller-name"],
  ["--controller-namespace", "controller-namespace"],
  ["--kubeconfig", "kubeconfig"],
  ["--context", "context"],
  ["-n", "namespace"],
  ["--namespace", "namespace"],
  ["--request-timeout", "request-timeout"],
  ["--kustomize", "kustomize"],
]);
const MAX_PATHS = 10_000;

/** A flag value as an error may show it: only when it looks like one (never echo a pasted secret). */
function shown(text: string): string {
  return /^[A-Za-z0-9._:/+-]{0,40}$/.test(text) ? `"${text}"` : "(value not shown)";
}

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (m === null) throw new CliError(`--request-timeout: invalid duration ${shown(text)} (e.g. 10s, 1m, 500ms)`, 2);
  const n = Number(m[1]);
  return m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
}

export function parseCheckFlags(args: readonly string[]): CheckFlags {
  const flags: CheckFlags = {
    output: "human",
    certs: [],
    recipients: [],
    recipientsFiles: [],
    controller: false,
    controllerName: "sealed-secrets-controller",
    controllerNamespace: "kube-system",
    requestTimeoutMs: 30_000,
    kustomize: "auto",
    help: false,
    paths: [],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") {
      flags.paths.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      flags.help = true;
      continue;
    }
    if (arg === "--controller") {
      flags.controller = true;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      flags.paths.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_FLAGS.get(name);
    if (key === undefined) throw new CliError(`unknown flag: ${/^-{1,2}[A-Za-z0-9-]{1,40}$/.test(name) ? name : "(not shown)"}; run 'sealbridge check --help'`, 2);
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined) throw new CliError(`flag needs an argument: ${name}`, 2);
      value = next;
      i++;
    }
    switch (key) {
      case "output": {
        const f = OUTPUT_FORMATS.find((x) => x === value);
        if (f === undefined) throw new CliError(`--output: unsupported format ${shown(value)} (use ${OUTPUT_FORMATS.join(", ")})`, 2);
        flags.output = f;
        break;
      }
      case "kustomize": {
        const m = KUSTOMIZE_MODES.find((x) => x === value);
        if (m === undefined) throw new CliError(`--kustomize: unsupported mode ${shown(value)} (use ${KUSTOMIZE_MODES.join(", ")})`, 2);
        flags.kustomize = m;
        break;
      }
      case "cert":
        flags.certs.push(value);
        break;
      case "recipient":
        checkRecipientFlag(value);
        flags.recipients.push(value);
        break;
      case "recipients-file":
        flags.recipientsFiles.push(value);
        break;
      case "controller-url":
        flags.controllerUrl = value;
        break;
      case "controller-name":
        flags.controllerName = value;
        break;
      case "controller-namespace":
        flags.controllerNamespace = value;
        break;
      case "kubeconfig":
        flags.kubeconfig = value;
        break;
      case "context":
        flags.context = value;
        break;
      case "namespace":
        flags.namespace = value;
        break;
      case "request-timeout":
        flags.requestTimeoutMs = parseDuration(value);
        break;
    }
  }
  if (flags.paths.length > MAX_PATHS) throw new CliError(`more than ${MAX_PATHS} paths given; pass directories instead`, 2);
  if (flags.controller && flags.controllerUrl !== undefined) throw new CliError("use --controller or --controller-url, not both", 2);
  if (flags.paths.length === 0) flags.paths.push(".");
  return flags;
}

function checkRecipient(value: string, where: string): void {
  try {
    ageRecipientKind(value);
  } catch (err) {
    if (isCryptoError(err)) throw new CliError(`${where}: ${err.message}`, 2);
    throw err;
  }
}

function checkRecipientFlag(value: string): void {
  checkRecipient(value, "--recipient");
}

/** PEM text(s), or the string values of a ConfigMap (or any manifest's data) that hold PEM. */
function textsOf(bytes: Uint8Array, source: string): string[] {
  const text = Buffer.from(bytes).toString("utf8");
  if (text.trimStart().startsWith("-----BEGIN") || text.trimStart().startsWith("#")) return [text];
  let docs: unknown[];
  try {
    docs = parseYamlAll(text, { limits: { maxBytes: 4 << 20 } });
  } catch (err) {
    if (isBoundedParseError(err)) return [text];
    throw err;
  }
  const out: string[] = [];
  for (const d of docs) {
    if (!isRecord(d)) continue;
    const data = d["data"];
    if (isRecord(data)) for (const v of Object.values(data)) if (typeof v === "string") out.push(v);
  }
  if (out.length === 0 && docs.length > 0 && docs.every((d) => isRecord(d))) throw new CliError(`${source}: a manifest without data values`, 2);
  return out.length > 0 ? out : [text];
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export function certificatesIn(bytes: Uint8Array, source: string): PublishedCertificate[] {
  const out: PublishedCertificate[] = [];
  for (const text of textsOf(bytes, source)) {
    for (const m of text.matchAll(CERT_BLOCK)) {
      const pem = m[0].split("\n").map((l) => l.trim()).join("\n");
      let x509: X509Certificate;
      try {
        x509 = new X509Certificate(pem);
      } catch {
        throw new CliError(`${source}: a CERTIFICATE block is not a valid X.509 certificate`, 2);
      }
      const bits = x509.publicKey.asymmetricKeyDetails?.modulusLength;
      if (x509.publicKey.asymmetricKeyType !== "rsa" || bits === undefined) throw new CliError(`${source}: the certificate's key is not RSA`, 2);
      out.push({ fingerprint: x509.fingerprint256.replaceAll(":", "").toLowerCase(), modulusBytes: Math.ceil(bits / 8) });
    }
  }
  if (out.length === 0) throw new CliError(`${source}: no PEM CERTIFICATE in it`, 2);
  return out;
}

export function recipientsIn(bytes: Uint8Array, source: string): string[] {
  const out: string[] = [];
  for (const text of textsOf(bytes, source)) {
    for (const [i, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#") || line.startsWith("-----")) continue;
      if (line.startsWith("AGE-SECRET-KEY-")) throw new CliError(`${source}: line ${i + 1} is a private identity, not a recipient`, 2);
      if (!line.startsWith("age1")) continue;
      checkRecipient(line, `${source}: line ${i + 1}`);
      out.push(line);
    }
  }
  if (out.length === 0) throw new CliError(`${source}: no age recipients in it`, 2);
  return out;
}

async function readLocal(file: string, cwd: string, flag: string): Promise<Uint8Array> {
  try {
    return await readFile(resolve(cwd, file));
  } catch (err) {
    throw new CliError(`${flag}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "read error"}`, 2);
  }
}

/** The online adapters (and the Kubernetes client they need) load only when asked for: offline stays fast. */
async function onlineController(flags: CheckFlags, io: CliIo): Promise<(OnlineController & { certificate(): Promise<string> }) | undefined> {
  if (flags.controllerUrl === undefined && !flags.controller) return undefined;
  const { directController, proxiedController } = await import("./check-controller.ts");
  if (flags.controllerUrl !== undefined) return directController(flags.controllerUrl, flags.requestTimeoutMs);
  const [{ ControllerClient }, { loadKubeConnection }] = await Promise.all([import("./controller-client.ts"), import("./kube-connection.ts")]);
  const connection = await loadKubeConnection({
    connection: { insecureSkipTlsVerify: false, requestTimeoutMs: flags.requestTimeoutMs, ...(flags.context !== undefined ? { context: flags.context } : {}) },
    env: io.env,
    cwd: io.cwd,
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
  });
  if (connection === undefined) throw new CliError("--controller: no kubeconfig found (set --kubeconfig or KUBECONFIG), or use --controller-url", 2);
  const ref = { namespace: flags.controllerNamespace, name: flags.controllerName };
  return proxiedController(new ControllerClient({ connection, controller: ref, timeoutMs: flags.requestTimeoutMs }), ref);
}

/** An online check fills in the namespace kubectl apply -n would give objects without one. */
function withDefaultNamespace(controller: OnlineController, namespace: string | undefined): OnlineController {
  if (namespace === undefined) return controller;
  const fill = (obj: Record<string, unknown>): Record<string, unknown> => {
    const meta = isRecord(obj["metadata"]) ? obj["metadata"] : {};
    return typeof meta["namespace"] === "string" && meta["namespace"] !== "" ? obj : { ...obj, metadata: { ...meta, namespace } };
  };
  return {
    describe: controller.describe,
    verify: (sealed) => controller.verify(fill(sealed)),
    ageRecipients: (scope, ns, name) => controller.ageRecipients(scope, ns === "" ? namespace : ns, name),
  };
}

export async function checkCommand(args: readonly string[], io: CliIo): Promise<number> {
  const flags = parseCheckFlags(args);
  if (flags.help) {
    io.stdout(USAGE);
    return 0;
  }
  const certificates: PublishedCertificate[] = [];
  for (const c of flags.certs) {
    let bytes: Uint8Array;
    try {
      bytes = await readCertificateSource(c, io.cwd);
    } catch (err) {
      if (err instanceof CliError) throw new CliError(err.message, 2);
      throw err;
    }
    certificates.push(...certificatesIn(bytes, c));
  }
  const recipients = [...flags.recipients];
  for (const f of flags.recipientsFiles) recipients.push(...recipientsIn(await readLocal(f, io.cwd, "--recipients-file"), f));
  for (const p of flags.paths) {
    const tree = new DiskTree(io.cwd);
    if (tree.pathKind(resolve(io.cwd, p)) === "missing") throw new CliError(`${shown(p)}: no such file or directory`, 2);
  }

  const online = await onlineController(flags, io);
  if (online !== undefined) {
    // One request up front: an unreachable controller is a usage problem, not a finding per object.
    try {
      await online.certificate();
    } catch (err) {
      if (err instanceof CliError) throw new CliError(err.message, 2);
      throw err;
    }
  }
  const keys: ClusterKeys = { certificates, recipients, online: online !== undefined };
  const tree = new DiskTree(io.cwd);
  const env: NodeJS.ProcessEnv = { ...io.env };
  let render: ((root: string) => Promise<Rendering>) | undefined;
  if (flags.kustomize === "builtin") render = async (root) => renderBuiltin(root, tree);
  else if (flags.kustomize !== "off") {
    const tool = await findRenderTool(io.env["PATH"], flags.kustomize);
    if (tool === undefined && flags.kustomize !== "auto") throw new CliError(`--kustomize ${flags.kustomize}: no ${flags.kustomize} on PATH`, 2);
    render =
      tool === undefined
        ? async (root) => renderBuiltin(root, tree)
        : (root) => renderWithTool({ tool, root, loader: tree, env, redact: (t) => t });
  }
  const result = await runCheck({
    paths: flags.paths,
    tree,
    keys,
    ...(render !== undefined ? { render } : {}),
    ...(online !== undefined ? { online: withDefaultNamespace(online, flags.namespace) } : {}),
    // Renderings are child processes, mostly waiting: a few more than the cores keeps them busy.
    concurrency: Math.max(4, availableParallelism()),
  });
  io.stdout(formatReport(result, flags.output));
  return failing(result.findings) ? 1 : 0;
}

export default checkCommand;
