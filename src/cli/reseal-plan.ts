// `sealbridge reseal`, the pure part: find the SealedSecret and AgeSecret documents of a YAML (or
// JSON) file with the source position of every encrypted value, rewrite exactly those scalars (and
// the annotations that record what they were sealed for) in the original text so comments, key
// order, quoting and layout stay byte for byte, check that the rewritten text parses to what was
// intended, and word the summary. Nothing here quotes a value: findings name files, lines, objects
// and keys.
import { CST, isMap, isPair, isScalar, parse, type Document } from "yaml";
import { AGE_SECRET_API_VERSION, AGE_SECRET_KIND, SEALED_FOR_AGE_RECIPIENTS_ANNOTATION } from "../api/age-secret.ts";
import { isBoundedParseError, parseYamlDocuments, yamlDocumentToJs } from "../api/bounded-parse.ts";
import { SEALED_SECRET_API_VERSION, SEALED_SECRET_KIND, SEALED_WITH_CERT_ANNOTATION } from "../api/sealed-secret.ts";
import { CLI_PARSE_LIMITS } from "./manifests.ts";

export type SealedKind = "SealedSecret" | "AgeSecret";

/** Where a scalar sits in the file: its CST token's offset and source text. */
interface ScalarSite {
  offset: number;
  /** The token's source as in the file (value, and for a plain or quoted scalar its trailing comment/newline). */
  source: string;
  token: CST.FlowScalar | CST.BlockScalar;
  /** Inside a flow collection ({…} or […]), where "," and brackets end a plain scalar. */
  inFlow: boolean;
}

export interface SealedDocument {
  /** 1-based document number in the file. */
  index: number;
  line: number;
  kind: SealedKind;
  /** The document as data (sent to the controller). */
  object: Record<string, unknown>;
  name: string;
  namespace: string;
  /** spec.encryptedData: key → value and where it is. */
  values: Map<string, { value: string; site: ScalarSite }>;
  /** The seal-time annotation (certificate fingerprint or age recipient fingerprints), when present. */
  recorded?: { key: string; value: string; site: ScalarSite };
}

export interface Finding {
  path: string;
  line?: number;
  /** The object, when the finding is about one. */
  object?: string;
  message: string;
}

export type ScannedFile = { kind: "skipped" } | { kind: "found"; text: string; documents: SealedDocument[] } | { kind: "failed"; finding: Finding };

/** Cheap pre-filter: a file that never names either kind holds none (Helm templates and the like are never parsed). */
export function mayHoldSealedObjects(text: string): boolean {
  return text.includes(SEALED_SECRET_KIND) || text.includes(AGE_SECRET_KIND);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function kindOf(value: unknown): SealedKind | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { kind, apiVersion } = value as { kind?: unknown; apiVersion?: unknown };
  if (kind === SEALED_SECRET_KIND && apiVersion === SEALED_SECRET_API_VERSION) return "SealedSecret";
  if (kind === AGE_SECRET_KIND && apiVersion === AGE_SECRET_API_VERSION) return "AgeSecret";
  return undefined;
}

function siteOf(node: unknown, inFlow: boolean): ScalarSite | undefined {
  if (!isScalar(node)) return undefined;
  const token = node.srcToken;
  if (token === undefined) return undefined;
  if (token.type !== "scalar" && token.type !== "single-quoted-scalar" && token.type !== "double-quoted-scalar" && token.type !== "block-scalar") return undefined;
  return { offset: token.offset, source: CST.stringify(token), token, inFlow };
}

export function objectLabel(doc: Pick<SealedDocument, "kind" | "namespace" | "name" | "index">): string {
  const name = doc.name === "" ? `(document ${doc.index}, no name)` : doc.namespace === "" ? doc.name : `${doc.namespace}/${doc.name}`;
  return `${doc.kind} ${name}`;
}

/** Parses one file; a file that cannot be parsed is a finding with its line, never an exception. */
export function scanFile(path: string, text: string): ScannedFile {
  if (!mayHoldSealedObjects(text)) return { kind: "skipped" };
  let docs: Document.Parsed[];
  try {
    docs = parseYamlDocuments(text, { limits: CLI_PARSE_LIMITS, yaml: { keepSourceTokens: true, uniqueKeys: true } });
  } catch (err) {
    if (!isBoundedParseError(err)) throw err;
    const what = err.reason === "MalformedYaml" ? "cannot be parsed as YAML" : `refused (${err.reason})`;
    return { kind: "failed", finding: { path, ...(err.line !== undefined ? { line: err.line } : {}), message: `${what}: ${err.message}` } };
  }
  const documents: SealedDocument[] = [];
  for (const [i, doc] of docs.entries()) {
    const line = lineAt(text, rangeOf(doc.contents, doc));
    let object: unknown;
    try {
      object = yamlDocumentToJs(doc, { limits: CLI_PARSE_LIMITS });
    } catch (err) {
      if (!isBoundedParseError(err)) throw err;
      return { kind: "failed", finding: { path, line, message: `document ${i + 1}: ${err.message}` } };
    }
    const kind = kindOf(object);
    if (kind === undefined) {
      // Never skip sealed objects silently: a List of them is reported, not left behind.
      const items = (object as { items?: unknown } | null)?.items;
      if (Array.isArray(items) && items.some((item) => kindOf(item) !== undefined)) {
        return { kind: "failed", finding: { path, line, message: `document ${i + 1} is a List holding SealedSecrets or AgeSecrets, which reseal does not rewrite; split it into one document per object` } };
      }
      continue;
    }
    const obj = object as Record<string, unknown>;
    const meta = (typeof obj["metadata"] === "object" && obj["metadata"] !== null ? obj["metadata"] : {}) as Record<string, unknown>;
    const base = { index: i + 1, line, kind, object: obj, name: typeof meta["name"] === "string" ? meta["name"] : "", namespace: typeof meta["namespace"] === "string" ? meta["namespace"] : "" };
    const fail = (at: number, message: string): ScannedFile => ({ kind: "failed", finding: { path, line: lineAt(text, at), object: objectLabel(base), message } });
    const encrypted = doc.getIn(["spec", "encryptedData"], true);
    const values = new Map<string, { value: string; site: ScalarSite }>();
    if (encrypted !== undefined && encrypted !== null) {
      if (!isMap(encrypted)) return fail(rangeOf(encrypted, doc), "spec.encryptedData is not a mapping");
      for (const pair of encrypted.items) {
        const key = isPair(pair) && isScalar(pair.key) ? pair.key.value : undefined;
        const site = isPair(pair) ? siteOf(pair.value, encrypted.flow === true) : undefined;
        const value = isPair(pair) && isScalar(pair.value) ? pair.value.value : undefined;
        if (typeof key !== "string" || site === undefined || typeof value !== "string") {
          return fail(rangeOf(isPair(pair) ? pair.value ?? pair.key : pair, doc), `spec.encryptedData${typeof key === "string" ? `["${key}"]` : ""} is not a string written in place (an alias, a number or a collection)`);
        }
        values.set(key, { value, site });
      }
    }
    const recordedKey = kind === "SealedSecret" ? SEALED_WITH_CERT_ANNOTATION : SEALED_FOR_AGE_RECIPIENTS_ANNOTATION;
    const recordedNode = doc.getIn(["metadata", "annotations", recordedKey], true);
    const annotations = doc.getIn(["metadata", "annotations"], true);
    const recordedSite = siteOf(recordedNode, isMap(annotations) && annotations.flow === true);
    const sealed: SealedDocument = { ...base, values };
    if (recordedSite !== undefined && isScalar(recordedNode) && typeof recordedNode.value === "string") {
      sealed.recorded = { key: recordedKey, value: recordedNode.value, site: recordedSite };
    }
    documents.push(sealed);
  }
  return documents.length === 0 ? { kind: "skipped" } : { kind: "found", text, documents };
}

function rangeOf(node: unknown, doc: Document.Parsed): number {
  const range = (node as { range?: readonly number[] } | null)?.range;
  return range?.[0] ?? doc.range[0];
}

/** A value that may be written as a plain scalar here and still read back as the same string. */
function plainSafe(value: string, inFlow: boolean): boolean {
  if (!/^[A-Za-z0-9+/=,._-]+$/.test(value) || /^[-,.]/.test(value)) return false;
  if (inFlow && value.includes(",")) return false;
  try {
    return parse(value) === value;
  } catch {
    return false;
  }
}

/** The new source of a scalar token holding `value`, in the token's own style where it can hold it. */
function rewrittenSource(site: ScalarSite, value: string): string {
  const token = structuredClone(site.token);
  if (token.type === "block-scalar") {
    CST.setScalarValue(token, value, { afterKey: true });
    return CST.stringify(token);
  }
  const end = token.end ?? [];
  const tail = end.map((t) => t.source).join("");
  // Plain stays plain when the value reads back as the same string (base64, fingerprints; not one
  // that would read as a number); single quotes stay for one line; anything else becomes
  // double-quoted, whose escapes JSON shares.
  let source: string;
  if (token.type === "scalar" && plainSafe(value, site.inFlow)) source = value;
  else if (token.type === "single-quoted-scalar" && !/[\n\r]/.test(value)) source = `'${value.replaceAll("'", "''")}'`;
  else source = JSON.stringify(value);
  return source + tail;
}

export interface Edit {
  offset: number;
  /** Source expected at offset (checked before splicing). */
  before: string;
  after: string;
}

/** The edits that set a scalar to a new value. */
export function scalarEdit(site: ScalarSite, value: string): Edit {
  return { offset: site.offset, before: site.source, after: rewrittenSource(site, value) };
}

/** Applies non-overlapping edits to the text, checking that each still finds what it replaces. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.offset - a.offset);
  let out = text;
  let limit = Infinity;
  for (const e of sorted) {
    if (e.offset + e.before.length > limit) throw new Error("internal: overlapping edits");
    if (out.slice(e.offset, e.offset + e.before.length) !== e.before) throw new Error("internal: an edit does not match the text it replaces");
    out = out.slice(0, e.offset) + e.after + out.slice(e.offset + e.before.length);
    limit = e.offset;
  }
  return out;
}

export interface IntendedDocument {
  index: number;
  /** encryptedData after the edit. */
  values: Readonly<Record<string, string>>;
  recorded?: { key: string; value: string };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Whether the rewritten text parses to the old documents with only the intended values changed.
 * Returns the documents as they now parse (what gets verified with the controller), or why not.
 */
export function checkRewrite(path: string, before: readonly SealedDocument[], newText: string, intended: readonly IntendedDocument[]): { ok: true; documents: SealedDocument[] } | { ok: false; message: string } {
  const scanned = scanFile(path, newText);
  if (scanned.kind !== "found") return { ok: false, message: "the rewritten file no longer parses to the same documents" };
  if (scanned.documents.length !== before.length) return { ok: false, message: "the rewritten file has a different number of sealed documents" };
  for (const [i, now] of scanned.documents.entries()) {
    const old = before[i];
    if (old === undefined || old.index !== now.index || old.kind !== now.kind) return { ok: false, message: "the rewritten file's documents moved" };
    const want = intended.find((d) => d.index === old.index);
    const expected = structuredClone(old.object);
    if (want !== undefined) {
      const spec = expected["spec"] as Record<string, unknown>;
      spec["encryptedData"] = { ...(spec["encryptedData"] as Record<string, string>), ...want.values };
      if (want.recorded !== undefined) {
        const meta = expected["metadata"] as { annotations: Record<string, string> };
        meta.annotations[want.recorded.key] = want.recorded.value;
      }
    }
    if (!deepEqual(expected, now.object)) return { ok: false, message: `${objectLabel(old)}: the rewritten document differs from the intended one beyond its encrypted values` };
  }
  return { ok: true, documents: scanned.documents };
}

// ---------------------------------------------------------------------------------------------
// Summary

export interface ObjectResult {
  label: string;
  reencrypted: number;
  unchanged: number;
  /** It could not be re-encrypted (the finding says why). */
  failed?: boolean;
}

export interface FileResult {
  path: string;
  objects: ObjectResult[];
  /** Whether the file's content changes. */
  changed: boolean;
  /** A finding is about this file. */
  failed?: boolean;
}

export interface Summary {
  files: FileResult[];
  findings: Finding[];
  /** Files holding no sealed object (not listed one by one). */
  skipped: number;
  dryRun: boolean;
  written: number;
}

function findingLine(f: Finding): string {
  return `${f.path}${f.line !== undefined ? `:${f.line}` : ""}: ${f.object !== undefined ? `${f.object}: ` : ""}${f.message}`;
}

/** The summary the command prints: per file and object the counts, then the findings. Never a value. */
export function formatSummary(s: Summary): string {
  const out: string[] = [];
  for (const f of s.files) {
    const state = f.failed === true ? "failed" : !f.changed ? "unchanged" : s.dryRun ? "would be rewritten" : s.findings.length > 0 ? "not written" : "rewritten";
    out.push(`${f.path}: ${state}`);
    for (const o of f.objects) out.push(`  ${o.label}: ${o.failed === true ? "failed" : `${o.reencrypted} re-encrypted, ${o.unchanged} unchanged`}`);
  }
  for (const f of s.findings) out.push(`error: ${findingLine(f)}`);
  const values = s.files.flatMap((f) => f.objects);
  const ok = values.filter((o) => o.failed !== true);
  const reencrypted = ok.reduce((n, o) => n + o.reencrypted, 0);
  const unchanged = ok.reduce((n, o) => n + o.unchanged, 0);
  const changedFiles = s.files.filter((f) => f.changed).length;
  const outcome =
    s.findings.length > 0
      ? `${s.findings.length} problem(s): nothing written`
      : s.dryRun
        ? `dry run: ${changedFiles} file(s) would be rewritten`
        : `${s.written} file(s) rewritten`;
  out.push(
    `${s.files.length} file(s) with ${values.length} sealed object(s) (${s.skipped} other file(s) skipped): ` +
      `${reencrypted} value(s) re-encrypted, ${unchanged} unchanged; ${outcome}`,
  );
  return out.join("\n") + "\n";
}
