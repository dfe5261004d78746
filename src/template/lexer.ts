// Tokenizer with the behaviour of Go's text/template/parse lexer: trim markers, comments,
// raw strings, numbers, field chains and the same error messages.

export type TokenType =
  | "error" | "eof" | "text" | "leftDelim" | "rightDelim" | "space" | "comment"
  | "bool" | "char" | "charConstant" | "complex" | "assign" | "declare" | "field" | "identifier"
  | "leftParen" | "number" | "pipe" | "rawString" | "rightParen" | "string" | "variable"
  // keywords
  | "block" | "break" | "continue" | "dot" | "define" | "else" | "end" | "if" | "nil" | "range"
  | "template" | "with";

export interface Token {
  type: TokenType;
  /** Offset of the token in the template text. */
  pos: number;
  value: string;
  line: number;
}

const KEYWORDS: Record<string, TokenType> = {
  ".": "dot", block: "block", break: "break", continue: "continue", define: "define", else: "else",
  end: "end", if: "if", range: "range", nil: "nil", template: "template", with: "with",
};

export const KEYWORD_TYPES: ReadonlySet<TokenType> = new Set(Object.values(KEYWORDS));

const LEFT_COMMENT = "/*";
const RIGHT_COMMENT = "*/";

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

const ALNUM = /^[\p{L}\p{Nd}_]$/u;
function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && ALNUM.test(c);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === "-" && isSpace(s[at + 1]);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at]) && s[at + 1] === "-";
}

function goQuoteRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  const printable = cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0);
  return printable ? `U+${hex} '${c}'` : `U+${hex}`;
}

export interface LexOptions {
  leftDelim?: string;
  rightDelim?: string;
  /** Keep comments as tokens (Go's ParseComments mode). */
  emitComments?: boolean;
  /** When false, "break"/"continue" lex as identifiers (they were defined as functions). */
  breakOK?: boolean;
  continueOK?: boolean;
}

/** Tokenizes the whole input; the list ends with an "eof" or an "error" token. */
export function lex(input: string, options: LexOptions = {}): Token[] {
  const leftDelim = options.leftDelim || "{{";
  const rightDelim = options.rightDelim || "}}";
  const tokens: Token[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const countNl = (a: number, b: number): number => {
    let n = 0;
    for (let i = a; i < b; i++) if (input.charCodeAt(i) === 10) n++;
    return n;
  };
  const emit = (type: TokenType): void => {
    tokens.push({ type, pos: start, value: input.slice(start, pos), line: startLine });
    line += countNl(start, pos);
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    line += countNl(start, pos);
    start = pos;
    startLine = line;
  };
  const fail = (message: string): Token[] => {
    tokens.push({ type: "error", pos: start, value: message, line: startLine });
    return tokens;
  };
  const next = (): string | undefined => {
    if (pos >= input.length) {
      pos = input.length + 1; // so backup() is symmetric at EOF
      return undefined;
    }
    const cp = input.codePointAt(pos) ?? 0;
    const ch = String.fromCodePoint(cp);
    pos += ch.length;
    return ch;
  };
  let lastWidth = 0;
  const nextW = (): string | undefined => {
    const before = pos;
    const c = next();
    lastWidth = pos - before;
    return c;
  };
  const backup = (): void => {
    pos -= lastWidth;
  };
  const peek = (): string | undefined => {
    if (pos >= input.length) return undefined;
    return String.fromCodePoint(input.codePointAt(pos) ?? 0);
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(rightDelim, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(rightDelim, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const r = peek();
    if (r === undefined || isSpace(r)) return true;
    if (".,|:)(".includes(r)) return true;
    return input.startsWith(rightDelim, pos);
  };
  const leftTrimLength = (from: number): number => {
    let i = from;
    while (i < input.length && isSpace(input[i])) i++;
    return i - from;
  };
  const accept = (valid: string): boolean => {
    const c = nextW();
    if (c !== undefined && valid.includes(c)) return true;
    backup();
    return false;
  };
  const acceptRun = (valid: string): void => {
    for (;;) {
      const c = nextW();
      if (c === undefined || !valid.includes(c)) {
        backup();
        return;
      }
    }
  };
  const scanNumber = (): boolean => {
    accept("+-");
    let digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (accept("oO")) digits = "01234567_";
      else if (accept("bB")) digits = "01_";
    }
    acceptRun(digits);
    if (accept(".")) acceptRun(digits);
    if (digits.length === 11 && accept("eE")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    if (digits.length === 23 && accept("pP")) {
      accept("+-");
      acceptRun("0123456789_");
    }
    accept("i");
    if (isAlphaNumeric(peek())) {
      nextW();
      return false;
    }
    return true;
  };

  // Text and actions alternate.
  for (;;) {
    // lexText
    const x = input.indexOf(leftDelim, pos);
    if (x < 0) {
      pos = input.length;
      if (pos > start) emit("text");
      tokens.push({ type: "eof", pos, value: "", line });
      return tokens;
    }
    if (x > pos || x > start) {
      pos = x;
      let trimLength = 0;
      const delimEnd = pos + leftDelim.length;
      if (hasLeftTrimMarker(input, delimEnd)) {
        let i = pos;
        while (i > start && isSpace(input[i - 1])) i--;
        trimLength = pos - i;
      }
      pos -= trimLength;
      if (pos > start) emit("text");
      pos += trimLength;
      ignore();
    }
    pos = x;
    // lexLeftDelim
    pos += leftDelim.length;
    const trimSpace = hasLeftTrimMarker(input, pos);
    const afterMarker = trimSpace ? 2 : 0;
    if (input.startsWith(LEFT_COMMENT, pos + afterMarker)) {
      pos += afterMarker;
      ignore();
      // lexComment
      pos += LEFT_COMMENT.length;
      const end = input.indexOf(RIGHT_COMMENT, pos);
      if (end < 0) return fail("unclosed comment");
      pos = end + RIGHT_COMMENT.length;
      const rd = atRightDelim();
      if (!rd.delim) return fail("comment ends before closing delimiter");
      const commentStart = start;
      const commentLine = startLine;
      const commentEnd = pos;
      if (rd.trim) pos += 2;
      pos += rightDelim.length;
      if (rd.trim) pos += leftTrimLength(pos);
      if (options.emitComments) {
        tokens.push({ type: "comment", pos: commentStart, value: input.slice(commentStart, commentEnd), line: commentLine });
      }
      ignore();
      continue;
    }
    emit("leftDelim");
    pos += afterMarker;
    ignore();
    parenDepth = 0;
    // lexInsideAction until the right delimiter.
    for (;;) {
      const rd = atRightDelim();
      if (rd.delim) {
        if (parenDepth !== 0) return fail("unclosed left paren");
        if (rd.trim) {
          pos += 2;
          ignore();
        }
        pos += rightDelim.length;
        emit("rightDelim");
        if (rd.trim) {
          pos += leftTrimLength(pos);
          ignore();
        }
        break;
      }
      const r = nextW();
      if (r === undefined) return fail("unclosed action");
      if (isSpace(r)) {
        backup();
        // lexSpace
        let numSpaces = 0;
        while (isSpace(peek())) {
          nextW();
          numSpaces++;
        }
        if (hasRightTrimMarker(input, pos - 1) && input.startsWith(rightDelim, pos - 1 + 2)) {
          pos -= 1;
          if (numSpaces === 1) continue; // on the delimiter
        }
        emit("space");
        continue;
      }
      if (r === "=") emit("assign");
      else if (r === ":") {
        if (nextW() !== "=") return fail("expected :=");
        emit("declare");
      } else if (r === "|") emit("pipe");
      else if (r === '"') {
        for (;;) {
          const c = nextW();
          if (c === "\\") {
            const e = nextW();
            if (e !== undefined && e !== "\n") continue;
            return fail("unterminated quoted string");
          }
          if (c === undefined || c === "\n") return fail("unterminated quoted string");
          if (c === '"') break;
        }
        emit("string");
      } else if (r === "`") {
        for (;;) {
          const c = nextW();
          if (c === undefined) return fail("unterminated raw quoted string");
          if (c === "`") break;
        }
        emit("rawString");
      } else if (r === "$" || (r === "." && !(peek() !== undefined && /[0-9]/.test(peek() ?? "")))) {
        // lexVariable / lexField
        const type: TokenType = r === "$" ? "variable" : "field";
        if (atTerminator()) {
          emit(type === "variable" ? "variable" : "dot");
          continue;
        }
        let c: string | undefined;
        for (;;) {
          c = nextW();
          if (!isAlphaNumeric(c)) {
            backup();
            break;
          }
        }
        if (!atTerminator()) return fail(`bad character ${goQuoteRune(c ?? "")}`);
        emit(type);
      } else if (r === "'") {
        for (;;) {
          const c = nextW();
          if (c === "\\") {
            const e = nextW();
            if (e !== undefined && e !== "\n") continue;
            return fail("unterminated character constant");
          }
          if (c === undefined || c === "\n") return fail("unterminated character constant");
          if (c === "'") break;
        }
        emit("charConstant");
      } else if (r === "+" || r === "-" || r === "." || (r >= "0" && r <= "9")) {
        backup();
        if (!scanNumber()) return fail(`bad number syntax: ${JSON.stringify(input.slice(start, Math.min(pos, input.length)))}`);
        const sign = peek();
        if (sign === "+" || sign === "-") {
          if (!scanNumber() || input[pos - 1] !== "i") {
            return fail(`bad number syntax: ${JSON.stringify(input.slice(start, Math.min(pos, input.length)))}`);
          }
          emit("complex");
        } else emit("number");
      } else if (isAlphaNumeric(r)) {
        for (;;) {
          const c = nextW();
          if (!isAlphaNumeric(c)) {
            backup();
            const word = input.slice(start, pos);
            if (!atTerminator()) return fail(`bad character ${goQuoteRune(c ?? "")}`);
            const kw = Object.hasOwn(KEYWORDS, word) ? KEYWORDS[word] : undefined;
            if (kw !== undefined && kw !== "dot") {
              if ((kw === "break" && options.breakOK === false) || (kw === "continue" && options.continueOK === false)) {
                emit("identifier");
              } else emit(kw);
            } else if (word === "true" || word === "false") emit("bool");
            else emit("identifier");
            break;
          }
        }
      } else if (r === "(") {
        parenDepth++;
        emit("leftParen");
      } else if (r === ")") {
        parenDepth--;
        if (parenDepth < 0) return fail("unexpected right paren");
        emit("rightParen");
      } else if (r.length === 1 && r >= " " && r <= "~") {
        emit("char");
      } else {
        return fail(`unrecognized character in action: ${goQuoteRune(r)}`);
      }
    }
  }
}
