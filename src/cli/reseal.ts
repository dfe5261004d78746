// `sealbridge reseal [PATH…]`: after a key rotation, re-encrypt every SealedSecret and AgeSecret file
// under the paths, in place, to the controller's newest key (POST /v1/rotate and /v1/age-rotate),
// keeping the YAML as it was but for the encrypted values (reseal-plan.ts). Every rewritten file is
// parsed again and verified with the controller (/v1/verify, /v1/age-verify) before anything is
// written; one failure anywhere and no file is written. Prints a summary; never a value.
import { randomBytes } from "node:crypto";
import { lstat, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseAgeSecret } from "../api/age-secret.ts";
import { ManifestError, parseSealedSecret } from "../api/sealed-secret.ts";
import { ControllerClient, ProxyRefused, apiReason, type ControllerResponse } from "./controller-client.ts";
import { CliError, type CliIo } from "./io.ts";
import { loadKubeConnection } from "./kube-connection.ts";
import { CLI_PARSE_LIMITS } from "./manifests.ts";
import {
  applyEdits,
  checkRewrite,
  formatSummary,
  objectLabel,
  scalarEdit,
  scanFile,
  type Edit,
  type FileResult,
  type Finding,
  type IntendedDocument,
  type ObjectResult,
  type SealedDocument,
} from "./reseal-plan.ts";
import { checkRecipient, readRecipientsFile } from "./seal-age.ts";

const USAGE = `Usage: sealbridge reseal [flags] [PATH...]

Re-encrypts every SealedSecret (bitnami.com/v1alpha1) and AgeSecret (sealbridge.dev/v1alpha1) in the
YAML or JSON files under PATH (default: the current directory) to the controller's newest sealing key,
in place, changing nothing else in the files. Values already sealed to the newest key are left as they
are. Every new file is verified with the controller before any is written; if one file fails, none is.

Flags:
      --dry-run                       print the summary only; write nothing
      --controller-namespace string   namespace of the controller Service (default "kube-system")
      --controller-name string        name of the controller Service (default "sealed-secrets-controller")
      --controller-url URL            talk to the controller's API at URL instead of through the API
                                      server's service proxy (e.g. after kubectl port-forward)
      --kubeconfig string             path to a kubeconfig (default: $KUBECONFIG, ~/.kube/config)
      --context string                kubeconfig context
  -n, --namespace string              namespace for objects whose metadata has none
      --recipient string              (AgeSecrets) also seal to this age recipient, e.g. a disaster-
                                      recovery key; repeatable
      --recipients-file string        (AgeSecrets) also seal to the recipients in FILE; repeatable
      --request-timeout duration      bound on each request (default 30s)
  -h, --help                          this help
`;

/** Bounds on what one run reads. */
const MAX_FILES = 20_000;
const MAX_OBJECTS = 5_000;
const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

interface ResealOptions {
  paths: string[];
  dryRun: boolean;
  namespace?: string;
  extraRecipients: string[];
  client: ControllerClient;
}

export async function resealCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        "dry-run": { type: "boolean" },
        "controller-namespace": { type: "string" },
        "controller-name": { type: "string" },
        "controller-url": { type: "string" },
        kubeconfig: { type: "string" },
        context: { type: "string" },
        namespace: { type: "string", short: "n" },
        recipient: { type: "string", multiple: true },
        "recipients-file": { type: "string", multiple: true },
        "request-timeout": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new CliError(`${err instanceof Error ? err.message.split("\n")[0] ?? "" : String(err)}; run 'sealbridge reseal --help'`, 2);
  }
  const v = parsed.values;
  if (v.help === true) {
    io.stdout(USAGE);
    return 0;
  }
  const timeoutMs = parseTimeout(v["request-timeout"] ?? "30s");
  const extraRecipients: string[] = [];
  for (const [i, r] of (v.recipient ?? []).entries()) {
    checkRecipient(r, `--recipient #${i + 1}`);
    extraRecipients.push(r.trim());
  }
  for (const file of v["recipients-file"] ?? []) extraRecipients.push(...(await readRecipientsFile(file, io.cwd)));
  const controller = { namespace: v["controller-namespace"] ?? "kube-system", name: v["controller-name"] ?? "sealed-secrets-controller" };
  const url = v["controller-url"];
  const connection =
    url !== undefined
      ? undefined
      : await loadKubeConnection({
          connection: { insecureSkipTlsVerify: false, requestTimeoutMs: timeoutMs, ...(v.context !== undefined ? { context: v.context } : {}) },
          env: io.env,
          cwd: io.cwd,
          ...(v.kubeconfig !== undefined ? { kubeconfig: v.kubeconfig } : {}),
        });
  if (url === undefined && connection === undefined) {
    throw new CliError("no kubeconfig found to reach the controller (set --kubeconfig or KUBECONFIG, or pass --controller-url)");
  }
  const client = new ControllerClient({ controller, timeoutMs, ...(connection !== undefined ? { connection } : {}), ...(url !== undefined ? { url } : {}) });
  return reseal(
    {
      paths: parsed.positionals.length > 0 ? parsed.positionals : ["."],
      dryRun: v["dry-run"] === true,
      ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
      extraRecipients,
      client,
    },
    io,
  );
}

export default resealCommand;

function parseTimeout(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (m === null) throw new CliError(`--request-timeout: use e.g. 30s, 2m or 500ms`, 2);
  return Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
}

// ---------------------------------------------------------------------------------------------
// Files

/** Manifest files under the paths: directories recursively (hidden ones and node_modules skipped, symlinks not followed). */
async function listFiles(paths: readonly string[], cwd: string, findings: Finding[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (out.length >= MAX_FILES) throw new CliError(`more than ${MAX_FILES} manifest files under the paths given; reseal a smaller tree at a time`);
    out.push(file);
  };
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      findings.push({ path: relative(cwd, dir) || dir, message: `cannot read the folder: ${(err as NodeJS.ErrnoException).code ?? "error"}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) add(full);
    }
  };
  for (const p of paths) {
    const full = resolve(cwd, p);
    let info;
    try {
      info = await lstat(full);
    } catch (err) {
      findings.push({ path: p, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? "error"}` });
      continue;
    }
    if (info.isDirectory()) await walk(full);
    else if (info.isFile()) add(full);
    else findings.push({ path: p, message: "not a regular file or directory" });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The controller

/** The controller's reason for a refusal: its JSON diagnosis ({reason, message}), its text, or the status. */
function refusal(res: ControllerResponse): string {
  const text = res.body.toString("utf8").slice(0, 2000);
  try {
    const parsed = JSON.parse(text) as { reason?: unknown; message?: unknown; kind?: unknown };
    if (typeof parsed.reason === "string" && typeof parsed.message === "string" && parsed.kind !== "Status") return `${parsed.reason}: ${parsed.message}`;
  } catch {
    // Plain text.
  }
  if (/^[\x20-\x7e\n]*$/.test(text) && !text.trimStart().startsWith("{") && text.trim() !== "") return `HTTP ${res.status}: ${text.trim().split("\n")[0] ?? ""}`;
  return apiReason(res);
}

interface Rotated {
  values: Record<string, string>;
  recorded?: string;
}

async function rotate(client: ControllerClient, doc: SealedDocument, request: Record<string, unknown>, extras: readonly string[]): Promise<Rotated | { failure: string }> {
  const params = new URLSearchParams({ "keep-current": "true" });
  if (doc.kind === "AgeSecret") for (const r of extras) params.append("recipient", r);
  const path = `${doc.kind === "SealedSecret" ? "/v1/rotate" : "/v1/age-rotate"}?${params.toString()}`;
  let res: ControllerResponse;
  try {
    res = await client.call("POST", path, Buffer.from(JSON.stringify(request)));
  } catch (err) {
    if (!(err instanceof ProxyRefused)) throw err;
    throw new CliError(`${err.message}; reseal needs the controller itself (it decrypts): run kubectl port-forward to its Service and pass --controller-url`);
  }
  if (res.status !== 200) return { failure: `the controller did not re-encrypt it: ${refusal(res)}` };
  let answer: unknown;
  try {
    answer = JSON.parse(res.body.toString("utf8"));
  } catch {
    return { failure: "the controller's answer is not JSON" };
  }
  try {
    const parsed = doc.kind === "SealedSecret" ? parseSealedSecret(answer, "controller answer") : parseAgeSecret(answer, "controller answer");
    const recorded = parsed.metadata.annotations?.[doc.recorded?.key ?? ""];
    return { values: parsed.spec.encryptedData, ...(recorded !== undefined ? { recorded } : {}) };
  } catch (err) {
    if (err instanceof ManifestError) return { failure: `the controller's answer is not a ${doc.kind}: ${err.message}` };
    throw err;
  }
}

async function verify(client: ControllerClient, doc: SealedDocument, request: Record<string, unknown>): Promise<string | undefined> {
  const res = await client.call("POST", doc.kind === "SealedSecret" ? "/v1/verify" : "/v1/age-verify", Buffer.from(JSON.stringify(request)));
  return res.status === 200 ? undefined : `the re-encrypted values do not verify: ${refusal(res)}`;
}

/** The document as sent to the controller: with -n's namespace when it has none (the file keeps none). */
function requestFor(doc: SealedDocument, namespace: string | undefined): Record<string, unknown> {
  const request = structuredClone(doc.object);
  if (doc.namespace === "" && namespace !== undefined) {
    const meta = (typeof request["metadata"] === "object" && request["metadata"] !== null ? request["metadata"] : {}) as Record<string, unknown>;
    request["metadata"] = { ...meta, namespace };
  }
  delete request["status"];
  return request;
}

// ---------------------------------------------------------------------------------------------
// The run

interface Pending {
  path: string;
  text: string;
}

async function reseal(options: ResealOptions, io: CliIo): Promise<number> {
  const findings: Finding[] = [];
  const files = await listFiles(options.paths, io.cwd, findings);
  const shown = (file: string) => relative(io.cwd, file) || file;
  const results: FileResult[] = [];
  const pending: Pending[] = [];
  let skipped = 0;
  let objects = 0;
  for (const file of files) {
    const path = shown(file);
    let bytes: Buffer;
    try {
      const size = (await stat(file)).size;
      if (size > (CLI_PARSE_LIMITS.maxBytes ?? 16 << 20)) {
        findings.push({ path, message: `refused (DocumentTooLarge): ${size} bytes` });
        continue;
      }
      bytes = await readFile(file);
    } catch (err) {
      findings.push({ path, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? "error"}` });
      continue;
    }
    const text = bytes.toString("utf8");
    if (!Buffer.from(text, "utf8").equals(bytes)) {
      if (text.includes("SealedSecret") || text.includes("AgeSecret")) findings.push({ path, message: "not valid UTF-8" });
      else skipped++;
      continue;
    }
    const scanned = scanFile(path, text);
    if (scanned.kind === "skipped") {
      skipped++;
      continue;
    }
    if (scanned.kind === "failed") {
      findings.push(scanned.finding);
      continue;
    }
    objects += scanned.documents.length;
    if (objects > MAX_OBJECTS) throw new CliError(`more than ${MAX_OBJECTS} sealed objects under the paths given; reseal a smaller tree at a time`);
    const result = await resealFile(options, path, scanned.text, scanned.documents, findings);
    results.push(result.file);
    if (result.newText !== undefined) pending.push({ path: file, text: result.newText });
  }
  let written = 0;
  if (findings.length === 0 && !options.dryRun && pending.length > 0) written = await writeAll(pending);
  io.stdout(formatSummary({ files: results, findings, skipped, dryRun: options.dryRun, written }));
  return findings.length > 0 ? 1 : 0;
}

async function resealFile(options: ResealOptions, path: string, text: string, documents: SealedDocument[], findings: Finding[]): Promise<{ file: FileResult; newText?: string }> {
  const objects: ObjectResult[] = [];
  const edits: Edit[] = [];
  const intended: IntendedDocument[] = [];
  let failed = false;
  const fail = (doc: SealedDocument, message: string) => {
    findings.push({ path, line: doc.line, object: objectLabel(doc), message });
    failed = true;
    const label = objectLabel(doc);
    const known = objects.find((o) => o.label === label);
    if (known !== undefined) known.failed = true;
    else objects.push({ label, reencrypted: 0, unchanged: 0, failed: true });
  };
  for (const doc of documents) {
    const label = objectLabel(doc);
    if (doc.values.size === 0) {
      objects.push({ label, reencrypted: 0, unchanged: 0 });
      continue;
    }
    const rotated = await rotate(options.client, doc, requestFor(doc, options.namespace), options.extraRecipients);
    if ("failure" in rotated) {
      fail(doc, rotated.failure);
      continue;
    }
    const got = Object.keys(rotated.values).sort();
    const had = [...doc.values.keys()].sort();
    if (got.join("\0") !== had.join("\0")) {
      fail(doc, "the controller's answer holds other keys than the file");
      continue;
    }
    const changed: Record<string, string> = {};
    let unchanged = 0;
    for (const [key, { value, site }] of doc.values) {
      const next = rotated.values[key] ?? value;
      if (next === value) {
        unchanged++;
        continue;
      }
      changed[key] = next;
      edits.push(scalarEdit(site, next));
    }
    const want: IntendedDocument = { index: doc.index, values: changed };
    if (Object.keys(changed).length > 0 && doc.recorded !== undefined && rotated.recorded !== undefined && rotated.recorded !== doc.recorded.value) {
      edits.push(scalarEdit(doc.recorded.site, rotated.recorded));
      want.recorded = { key: doc.recorded.key, value: rotated.recorded };
    }
    intended.push(want);
    objects.push({ label, reencrypted: Object.keys(changed).length, unchanged });
  }
  const file: FileResult = { path, objects, changed: edits.length > 0 };
  if (failed) file.failed = true;
  if (failed || edits.length === 0) return { file };
  const newText = applyEdits(text, edits);
  const check = checkRewrite(path, documents, newText, intended);
  if (!check.ok) {
    findings.push({ path, message: check.message });
    file.failed = true;
    return { file };
  }
  // Verify what would be written, as it parses from the new text.
  for (const doc of check.documents) {
    if (!intended.some((d) => d.index === doc.index && Object.keys(d.values).length > 0)) continue;
    const problem = await verify(options.client, doc, requestFor(doc, options.namespace));
    if (problem !== undefined) fail(doc, problem);
  }
  if (failed) file.failed = true;
  return failed ? { file } : { file, newText };
}

/**
 * Writes every file atomically (temporary file beside it, then rename), and only once every
 * temporary file is written: a failure before the renames leaves every file as it was.
 */
async function writeAll(pending: readonly Pending[]): Promise<number> {
  const temps: { tmp: string; path: string }[] = [];
  try {
    for (const p of pending) {
      const tmp = join(dirname(p.path), `.${basename(p.path)}.${randomBytes(6).toString("hex")}.reseal.tmp`);
      const mode = (await stat(p.path)).mode & 0o777;
      await writeFile(tmp, p.text, { mode, flag: "wx" });
      temps.push({ tmp, path: p.path });
    }
  } catch (err) {
    await Promise.all(temps.map((t) => unlink(t.tmp).catch(() => undefined)));
    throw new CliError(`cannot write the new files (${(err as NodeJS.ErrnoException).code ?? "write error"}); nothing was changed`);
  }
  let done = 0;
  for (const t of temps) {
    try {
      await rename(t.tmp, t.path);
      done++;
    } catch (err) {
      await Promise.all(temps.slice(done).map((r) => unlink(r.tmp).catch(() => undefined)));
      throw new CliError(`cannot replace ${t.path} (${(err as NodeJS.ErrnoException).code ?? "rename error"}) after ${done} file(s) were replaced; the others are unchanged`);
    }
  }
  return done;
}
