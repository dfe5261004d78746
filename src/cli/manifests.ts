// Reading manifest streams (multi-document YAML, or concatenated JSON objects as kubeseal writes
// them) and writing them back the way kubeseal's Kubernetes encoders do: JSON in Go struct field
// order, 2-space indent, HTML-escaped; YAML with "---" and sorted keys (JSON converted to YAML).
import { stringify } from "yaml";
import { isBoundedParseError, parseJson, parseLimits, parseYamlDocuments, yamlDocumentToJs, type BoundedParseError, type ParseLimits } from "../api/bounded-parse.ts";
import {
  type ObjectMeta,
  type OwnerReference,
  type SealedSecret,
  type SecretTemplate,
} from "../api/sealed-secret.ts";
import { CliError } from "./io.ts";
import type { OutputFormat } from "./kubeseal-flags.ts";

/**
 * The CLI reads the user's own files, which may be larger than one object (a stream of manifests, a
 * key backup), so its limits are wider than the controller's; they still bound the work.
 */
export const CLI_PARSE_LIMITS: Partial<ParseLimits> = { maxBytes: 16 << 20, maxNodes: 500_000, maxTokens: 2_000_000 };

/** Splits a stream of concatenated JSON values (whitespace between them). */
function splitJsonStream(text: string, source: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) out.push(text.slice(start, i + 1));
    } else if (depth === 0 && !/\s/.test(c)) {
      throw new CliError(`${source}: unexpected text between JSON documents (after document ${out.length})`);
    }
  }
  if (depth !== 0 || inString) throw new CliError(`${source}: JSON document is truncated`);
  return out;
}

function parseFailure(err: BoundedParseError, source: string): CliError {
  const what = err.reason === "MalformedYaml" ? "invalid YAML" : err.reason === "MalformedJson" ? "invalid JSON" : `refused (${err.reason})`;
  return new CliError(`${source}: ${what}: ${err.message}`);
}

/**
 * Parses every non-empty document of a YAML or JSON stream. `source` names the input in errors.
 * Values are never quoted in errors: a parser message can echo input, so only positions are kept.
 */
export function parseManifestStream(bytes: Uint8Array, source: string, limits: Partial<ParseLimits> = CLI_PARSE_LIMITS): unknown[] {
  try {
    const max = parseLimits(limits).maxBytes;
    if (bytes.length > max) throw new CliError(`${source}: refused (DocumentTooLarge): the input is ${bytes.length} bytes, over the ${max}-byte limit`);
    const text = Buffer.from(bytes).toString("utf8");
    if (text.includes("\uFFFD") && !Buffer.from(text, "utf8").equals(Buffer.from(bytes))) {
      throw new CliError(`${source}: input is not valid UTF-8`);
    }
    const trimmed = text.trimStart();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      return splitJsonStream(trimmed, source).map((doc, i) => {
        try {
          return parseJson(doc, { limits });
        } catch (err) {
          if (isBoundedParseError(err)) throw parseFailure(err, `${source}: document ${i + 1}`);
          throw err;
        }
      });
    }
    const out: unknown[] = [];
    for (const doc of parseYamlDocuments(text, { limits, yaml: { uniqueKeys: true } })) {
      const value = yamlDocumentToJs(doc, { limits });
      if (value !== null && value !== undefined) out.push(value);
    }
    return out;
  } catch (err) {
    if (isBoundedParseError(err)) throw parseFailure(err, source);
    throw err;
  }
}

type Ordered = Record<string, unknown>;

/** Go's encoding/json sorts map keys bytewise. */
function sortedMap<T>(map: Readonly<Record<string, T>>): Record<string, T> {
  const keys = Object.keys(map).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: Record<string, T> = {};
  for (const k of keys) out[k] = map[k] as T;
  return out;
}

function setIf(target: Ordered, key: string, value: unknown): void {
  if (value === undefined || value === "" || value === 0 || value === false) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return;
  target[key] = value;
}

function orderedOwnerReference(ref: OwnerReference): Ordered {
  const out: Ordered = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid };
  if (ref.controller !== undefined) out["controller"] = ref.controller;
  if (ref.blockOwnerDeletion !== undefined) out["blockOwnerDeletion"] = ref.blockOwnerDeletion;
  return out;
}

/** ObjectMeta in Go field order with omitempty. */
export function orderedObjectMeta(meta: ObjectMeta): Ordered {
  const out: Ordered = {};
  setIf(out, "name", meta.name);
  setIf(out, "generateName", meta.generateName);
  setIf(out, "namespace", meta.namespace);
  setIf(out, "selfLink", meta.selfLink);
  setIf(out, "uid", meta.uid);
  setIf(out, "resourceVersion", meta.resourceVersion);
  setIf(out, "generation", meta.generation);
  setIf(out, "creationTimestamp", meta.creationTimestamp);
  setIf(out, "deletionTimestamp", meta.deletionTimestamp);
  setIf(out, "deletionGracePeriodSeconds", meta.deletionGracePeriodSeconds);
  setIf(out, "labels", meta.labels && sortedMap(meta.labels));
  setIf(out, "annotations", meta.annotations && sortedMap(meta.annotations));
  setIf(out, "ownerReferences", meta.ownerReferences?.map(orderedOwnerReference));
  setIf(out, "finalizers", meta.finalizers);
  setIf(out, "managedFields", meta.managedFields);
  return out;
}

function orderedTemplate(template: SecretTemplate): Ordered {
  // `metadata` is a struct with omitempty: Go's encoder never omits it.
  const out: Ordered = { metadata: orderedObjectMeta(template.metadata ?? {}) };
  setIf(out, "type", template.type);
  if (template.immutable !== undefined) out["immutable"] = template.immutable;
  setIf(out, "data", template.data && sortedMap(template.data));
  return out;
}

/** A SealedSecret laid out as kubeseal prints it. */
/** Also lays out an AgeSecret, which has the same shape under another kind. */
export function orderedSealedSecret(sealed: Omit<SealedSecret, "kind" | "apiVersion"> & { kind: string; apiVersion: string }): Ordered {
  const spec: Ordered = { template: orderedTemplate(sealed.spec.template ?? {}) };
  setIf(spec, "data", sealed.spec.data);
  spec["encryptedData"] = sortedMap(sealed.spec.encryptedData);
  const out: Ordered = {
    kind: sealed.kind,
    apiVersion: sealed.apiVersion,
    metadata: orderedObjectMeta(sealed.metadata),
    spec,
  };
  if (sealed.status !== undefined) {
    const status: Ordered = {};
    setIf(status, "observedGeneration", sealed.status.observedGeneration);
    setIf(
      status,
      "conditions",
      sealed.status.conditions?.map((c) => {
        const o: Ordered = { type: c.type, status: c.status };
        setIf(o, "lastUpdateTime", c.lastUpdateTime);
        setIf(o, "lastTransitionTime", c.lastTransitionTime);
        setIf(o, "reason", c.reason);
        setIf(o, "message", c.message);
        return o;
      }),
    );
    out["status"] = status;
  }
  return out;
}

/** A core/v1 Secret as sealbridge handles it: values are bytes. */
export interface SecretManifest {
  metadata: ObjectMeta;
  immutable?: boolean;
  data: Record<string, Uint8Array>;
  stringData: Record<string, string>;
  type?: string;
}

/** A Secret laid out as kubeseal prints it (--recovery-unseal). */
export function orderedSecret(secret: SecretManifest): Ordered {
  const out: Ordered = { kind: "Secret", apiVersion: "v1", metadata: orderedObjectMeta(secret.metadata) };
  if (secret.immutable !== undefined) out["immutable"] = secret.immutable;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data)) data[k] = Buffer.from(v).toString("base64");
  setIf(out, "data", sortedMap(data));
  setIf(out, "stringData", sortedMap(secret.stringData));
  setIf(out, "type", secret.type);
  return out;
}

/** Go's encoding/json escapes these even inside strings. */
function goJsonEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
      out[k] = sortKeysDeep((value as Record<string, unknown>)[k]);
    }
    return out;
  }
  return value;
}

/** One document as kubeseal writes it: JSON plus a newline, or "---\n" plus YAML. */
export function formatDocument(doc: Ordered, format: OutputFormat): string {
  if (format === "json") return goJsonEscape(JSON.stringify(doc, null, 2)) + "\n";
  return "---\n" + stringify(sortKeysDeep(doc), { indentSeq: false, lineWidth: 0, minContentWidth: 0 });
}
