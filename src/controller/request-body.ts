// The controller API's request bodies and answers, shared by /v1/verify, /v1/rotate and their age
// counterparts: a body is exactly one readable manifest of the expected kind, or a 400 with the
// reason (never a 500).
import { isBoundedParseError, parseJsonOrYaml, type ParseLimits } from "../api/bounded-parse.ts";
import { ManifestError } from "../api/sealed-secret.ts";
import type { ApiAnswer } from "../server/answer.ts";

/**
 * Request bodies: as large as the HTTP server accepts (2 MiB), parsed on the event loop, so the
 * node and token budgets keep any body to a fraction of a second.
 */
export const API_PARSE_LIMITS: Partial<ParseLimits> = { maxBytes: 2 << 20 };

export function jsonAnswer(status: number, value: unknown): ApiAnswer {
  return { status, contentType: "application/json", body: JSON.stringify(value) };
}

export function textAnswer(status: number, message: string): ApiAnswer {
  return { status, contentType: "text/plain; charset=utf-8", body: `${message}\n` };
}

/** The body's one manifest of `kind`, read by `read` (which throws ManifestError), or the 400 to send. */
export function parseOneManifest<T>(body: Uint8Array, kind: string, read: (doc: unknown) => T): { value: T } | { answer: ApiAnswer } {
  let docs: unknown[];
  try {
    docs = parseJsonOrYaml(body, { limits: API_PARSE_LIMITS }).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    if (isBoundedParseError(err)) return { answer: textAnswer(400, `request body refused: ${err.reason}: ${err.message}`) };
    throw err;
  }
  if (docs.length !== 1) return { answer: textAnswer(400, `expected exactly one ${kind}, got ${docs.length} documents`) };
  try {
    return { value: read(docs[0]) };
  } catch (err) {
    if (err instanceof ManifestError) return { answer: textAnswer(400, err.message) };
    throw err;
  }
}
