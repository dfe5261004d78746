// Template failures. Messages follow Go's text/template wording so users can search them;
// line and column are also kept as fields so tools can point at the spot.

export type TemplatePhase = "parse" | "exec" | "limit";

export interface TemplateErrorInit {
  phase: TemplatePhase;
  message: string;
  /** Name of the template being parsed or executed. */
  name: string;
  /** 1-based line. */
  line: number;
  /** 1-based column (in characters), 0 when unknown. */
  column: number;
}

export class TemplateError extends Error {
  readonly phase: TemplatePhase;
  readonly templateName: string;
  readonly line: number;
  readonly column: number;
  constructor(init: TemplateErrorInit) {
    super(init.message);
    this.name = "TemplateError";
    this.phase = init.phase;
    this.templateName = init.name;
    this.line = init.line;
    this.column = init.column;
  }
}

/** Thrown by template functions; the executor wraps it as `error calling NAME: message`. */
export class FuncError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FuncError";
  }
}

/** Position of a character offset in a text: 1-based line, 1-based column and Go's 0-based byte column. */
export function positionOf(text: string, offset: number): { line: number; column: number; byteColumn: number } {
  const before = text.slice(0, offset);
  const nl = before.lastIndexOf("\n");
  const lineStart = nl + 1;
  let line = 1;
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
  const lineText = before.slice(lineStart);
  return { line, column: lineText.length + 1, byteColumn: Buffer.byteLength(lineText, "utf8") };
}
