// A file's YAML (or JSON) documents with the line of each document and of any field in it, so a
// finding can point at `path:line`. Parsing is the bounded parser's; a file it refuses becomes a
// finding with the line of the problem, never an exception and never a quote of the input.
import { isMap, isSeq, type Document, type Node } from "yaml";
import { isBoundedParseError, parseYamlDocuments, yamlDocumentToJs, type ParseLimits } from "../api/bounded-parse.ts";
import type { Finding } from "./finding.ts";

/** A checked repository's files are small; these bound the work per file (and so per repository). */
export const CHECK_PARSE_LIMITS: Partial<ParseLimits> = { maxBytes: 4 << 20, maxNodes: 200_000, maxTokens: 800_000 };

export type FieldPath = readonly (string | number)[];

export interface SourceDocument {
  /** Display path of the file (relative to the working directory). */
  file: string;
  /** 0-based position of the document in its file. */
  index: number;
  /** 1-based line where the document's content starts. */
  line: number;
  value: unknown;
  /** The 1-based line of the node at `path` (the document's line when there is no such node). */
  lineOf(path: FieldPath): number;
}

export type ParsedFile = { documents: SourceDocument[] } | { finding: Finding };

/** Offsets of line starts, for offset → line by binary search. */
function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) out.push(i + 1);
  return out;
}

function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function nodeAt(doc: Document.Parsed, path: FieldPath): Node | undefined {
  let node: unknown = doc.contents;
  let last: Node | undefined = isMap(node) || isSeq(node) ? node : undefined;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === step);
      if (pair === undefined) return last;
      // Point at the key: that is the line a reader looks for.
      last = (pair.key as Node | null) ?? last;
      node = pair.value;
    } else if (isSeq(node) && typeof step === "number") {
      const item = node.items[step] as Node | undefined;
      if (item === undefined) return last;
      last = item;
      node = item;
    } else return last;
  }
  return last;
}

/** Parses every non-empty document of a file. `file` names it in findings. */
export function parseSourceFile(file: string, bytes: Uint8Array, limits: Partial<ParseLimits> = CHECK_PARSE_LIMITS): ParsedFile {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  if (text.includes("\uFFFD") && !Buffer.from(text, "utf8").equals(Buffer.from(bytes))) {
    return { finding: { rule: "parse-error", severity: "error", file, line: 0, message: "not valid UTF-8" } };
  }
  let docs: Document.Parsed[];
  try {
    docs = parseYamlDocuments(text, { limits, yaml: { uniqueKeys: true } });
  } catch (err) {
    if (!isBoundedParseError(err)) throw err;
    // The bounded parser's messages name the problem and its position, never the input.
    const reason = err.message.replace(/ \(line \d+, column \d+\)$/, "");
    const message = err.reason === "MalformedYaml" ? reason : `refused (${err.reason}): ${reason}`;
    return { finding: { rule: "parse-error", severity: "error", file, line: err.line ?? 0, message: `${message}${err.column !== undefined ? ` (column ${err.column})` : ""}` } };
  }
  let starts: number[] | undefined;
  const lineOfOffset = (offset: number): number => lineAt((starts ??= lineStarts(text)), offset);
  const documents: SourceDocument[] = [];
  for (const [index, doc] of docs.entries()) {
    let value: unknown;
    try {
      value = yamlDocumentToJs(doc, { limits });
    } catch (err) {
      if (!isBoundedParseError(err)) throw err;
      const line = lineOfOffset((doc.contents as Node | null)?.range?.[0] ?? 0);
      return { finding: { rule: "parse-error", severity: "error", file, line, message: `document ${index + 1}: refused (${err.reason}): ${err.message}` } };
    }
    if (value === null || value === undefined) continue;
    const line = lineOfOffset((doc.contents as Node | null)?.range?.[0] ?? 0);
    documents.push({
      file,
      index,
      line,
      value,
      lineOf: (path) => {
        const node = nodeAt(doc, path);
        return node?.range ? lineOfOffset(node.range[0]) : line;
      },
    });
  }
  return { documents };
}

/** A document that did not come from a file we parsed (a renderer's output): only its own line. */
export function renderedDocument(file: string, value: unknown, line = 0): SourceDocument {
  return { file, index: 0, line, value, lineOf: () => line };
}
