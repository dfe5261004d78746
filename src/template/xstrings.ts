// huandu/xstrings v1.5.0 case conversion behind Sprig's camelcase (ToPascalCase), snakecase and
// kebabcase, word splitting included. Strings are walked as Go decodes them: an invalid byte is
// U+FFFD when a rune is written, and kept as is when a word is copied whole.
import { type Rune, runes } from "./gostring.ts";
import { isLetter, isNumber, isPunct, isSpace, isUpper, toLowerRune, toUpperRune } from "./unicode-case.ts";

const RUNE_ERROR = 0xfffd;

function isConnector(r: number): boolean {
  return r === 0x2d || r === 0x5f || isSpace(r);
}

/** A letter that is not CJK. */
function isAlphabet(r: number): boolean {
  if (!isLetter(r)) return false;
  if (r < 0x3400) return true;
  if (r >= 0x4e00 && r <= 0x9fcc) return false;
  if (r >= 0x3400 && r <= 0x4d85) return false;
  if (r >= 0x20000 && r <= 0x2b81d) return false;
  return true;
}

const write = (r: number): string => String.fromCodePoint(r);

/** ToCamelCase (isBig false) and ToPascalCase (isBig true). */
export function toCamelCase(s: string, isBig: boolean): string {
  const rs = [...runes(s)];
  if (rs.length === 0) return "";
  let out = "";
  let isFirstRuneUpper = false;
  let r0 = 0;
  let i = 0;
  let decoded = false;
  while (i < rs.length) {
    r0 = rs[i++]?.rune ?? 0;
    decoded = true;
    if (!isConnector(r0)) {
      isFirstRuneUpper = isUpper(r0);
      r0 = isBig ? toUpperRune(r0) : toLowerRune(r0);
      break;
    }
    out += write(r0);
  }
  if (i >= rs.length) {
    // One rune after the connectors, or only connectors: Go writes the last rune again.
    if (decoded) out += write(r0);
    return out;
  }
  while (i < rs.length) {
    const r1 = r0;
    r0 = rs[i++]?.rune ?? 0;
    if (isConnector(r0) && isConnector(r1)) {
      out += write(r1);
      continue;
    }
    if (isConnector(r1)) {
      isFirstRuneUpper = isUpper(r0);
      r0 = toUpperRune(r0);
    } else {
      if (isFirstRuneUpper) {
        if (isUpper(r0)) r0 = toLowerRune(r0);
        else isFirstRuneUpper = false;
      }
      out += write(r1);
    }
  }
  if (isFirstRuneUpper && !isBig) r0 = toLowerRune(r0);
  return out + write(r0);
}

type WordType = "invalid" | "number" | "upper" | "alphabet" | "connector" | "punct" | "other";

/** nextValidRune: skips RuneErrors; size counts every rune it read. */
function nextValidRune(rs: readonly Rune[], from: number, prev: number): { r: number; size: number } {
  let size = 0;
  for (let i = from; i < rs.length; i++) {
    size++;
    const r = rs[i]?.rune ?? RUNE_ERROR;
    if (r !== RUNE_ERROR) return { r, size };
  }
  return { r: prev, size };
}

/** nextWord: the word type and its length in runes from `start` (the rest follows it). */
function nextWord(rs: readonly Rune[], start: number): { wt: WordType; len: number } {
  const n = rs.length;
  let offset = 0;
  let { r, size } = nextValidRune(rs, start, RUNE_ERROR);
  offset += size;
  if (r === RUNE_ERROR) return { wt: "invalid", len: offset };
  let rem = start + size;
  const runWhile = (pred: (x: number) => boolean): void => {
    while (rem < n) {
      const next = nextValidRune(rs, rem, r);
      r = next.r;
      if (!pred(r)) break;
      offset += next.size;
      rem += next.size;
    }
  };
  let wt: WordType;
  if (isConnector(r)) {
    wt = "connector";
    runWhile(isConnector);
  } else if (isPunct(r)) {
    wt = "punct";
    runWhile(isPunct);
  } else if (isUpper(r)) {
    wt = "upper";
    if (rem < n) {
      const next = nextValidRune(rs, rem, r);
      r = next.r;
      size = next.size;
      if (isUpper(r)) {
        let prevSize = size;
        offset += size;
        rem += size;
        while (rem < n) {
          const nx = nextValidRune(rs, rem, r);
          r = nx.r;
          if (!isUpper(r)) break;
          prevSize = nx.size;
          offset += nx.size;
          rem += nx.size;
        }
        // "HTTPStatus": the S starts the next word.
        if (rem < n && isAlphabet(r)) offset -= prevSize;
      } else if (isAlphabet(r)) {
        offset += size;
        rem += size;
        runWhile((x) => isAlphabet(x) && !isUpper(x));
      }
    }
  } else if (isAlphabet(r)) {
    wt = "alphabet";
    runWhile((x) => isAlphabet(x) && !isUpper(x));
  } else if (isNumber(r)) {
    wt = "number";
    runWhile(isNumber);
  } else {
    wt = "other";
    runWhile((x) => !(isConnector(x) || isAlphabet(x) || isNumber(x) || isPunct(x)));
  }
  return { wt, len: offset };
}

/** toLower: upper-case and connector words rune by rune, the others copied as they are. */
function lowerWord(rs: readonly Rune[], wt: WordType, from: number, to: number, connector: string): string {
  let out = "";
  for (let i = from; i < to; i++) {
    const x = rs[i];
    if (x === undefined) break;
    if (wt !== "upper" && wt !== "connector") out += x.text;
    else if (isConnector(x.rune)) out += connector;
    else if (isUpper(x.rune)) out += write(toLowerRune(x.rune));
    else out += write(x.rune);
  }
  return out;
}

/** camelCaseToLowerCase: ToSnakeCase (connector "_") and ToKebabCase ("-"). */
export function camelCaseToLowerCase(s: string, connector: string): string {
  const rs = [...runes(s)];
  if (rs.length === 0) return "";
  let out = "";
  let pos = 0;
  const next = (): { wt: WordType; from: number; to: number } => {
    const w = nextWord(rs, pos);
    const word = { wt: w.wt, from: pos, to: pos + w.len };
    pos += w.len;
    return word;
  };
  let w = next();
  while (pos < rs.length) {
    if (w.wt !== "connector") out += lowerWord(rs, w.wt, w.from, w.to, connector);
    const prev = w;
    w = next();
    switch (prev.wt) {
      case "number":
        while (w.wt === "alphabet" || w.wt === "number") {
          out += lowerWord(rs, w.wt, w.from, w.to, connector);
          w = next();
        }
        if (w.wt !== "invalid" && w.wt !== "punct" && w.wt !== "connector") out += connector;
        break;
      case "connector":
        out += lowerWord(rs, prev.wt, prev.from, prev.to, connector);
        break;
      case "punct":
        break;
      default: {
        if (w.wt !== "number") {
          if (w.wt !== "connector" && w.wt !== "punct") out += connector;
          break;
        }
        if (pos >= rs.length) break;
        const last = w;
        w = next();
        // "Bld4Floor" → "bld4_floor"
        if (w.wt !== "alphabet") {
          out += lowerWord(rs, "number", last.from, last.to, connector);
          if (w.wt !== "connector" && w.wt !== "punct") out += connector;
          break;
        }
        // "HTTP2xx" → "http_2xx"
        out += connector + lowerWord(rs, "number", last.from, last.to, connector);
        while (w.wt === "alphabet" || w.wt === "number") {
          out += lowerWord(rs, w.wt, w.from, w.to, connector);
          w = next();
        }
        if (w.wt !== "invalid" && w.wt !== "connector" && w.wt !== "punct") out += connector;
      }
    }
  }
  return out + lowerWord(rs, w.wt, w.from, w.to, connector);
}
