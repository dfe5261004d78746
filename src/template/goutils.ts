// Masterminds/goutils as Sprig calls it (abbrev, abbrevboth, initials, nospace, wrap, wrapWith,
// swapcase, untitle). Most of it walks bytes, not runes: lengths and cuts are byte offsets, and
// initials/nospace turn each byte into the rune of the same number (so "é" becomes "Ã©").
import { bytesToGoString, goStringToBytes, runes } from "./gostring.ts";
import { isLower, isSpace, isTitle, isUpper, toLowerRune, toTitleRune, toUpperRune } from "./unicode-case.ts";

const cut = (b: Uint8Array, from: number, to: number): string => bytesToGoString(b.subarray(from, to));

/** AbbreviateFull(str, offset, maxWidth), errors as "" (Sprig drops them). */
export function abbreviateFull(s: string, offset: number, maxWidth: number): string {
  if (s === "") return "";
  if (maxWidth < 4) return "";
  const b = goStringToBytes(s);
  const n = b.length;
  if (n <= maxWidth) return s;
  if (offset > n) offset = n;
  if (n - offset < maxWidth - 3) offset = n - (maxWidth - 3);
  if (offset <= 4) return cut(b, 0, maxWidth - 3) + "...";
  if (maxWidth < 7) return "";
  if (offset + maxWidth - 3 < n) return "..." + abbreviateFull(cut(b, offset, n), 0, maxWidth - 3);
  return "..." + cut(b, n - (maxWidth - 3), n);
}

/** A byte read as a rune, written back as UTF-8. */
const byteRune = (c: number): string => String.fromCharCode(c);

/** Initials: the first byte of each word (words split at unicode.IsSpace of single bytes). */
export function initials(s: string): string {
  if (s === "") return s;
  let out = "";
  let lastWasGap = true;
  for (const c of goStringToBytes(s)) {
    if (isSpace(c)) lastWasGap = true;
    else if (lastWasGap) {
      out += byteRune(c);
      lastWasGap = false;
    }
  }
  return out;
}

/** DeleteWhiteSpace: drops space bytes; any other byte becomes its rune, unless nothing was dropped. */
export function deleteWhiteSpace(s: string): string {
  if (s === "") return s;
  const b = goStringToBytes(s);
  let out = "";
  let count = 0;
  for (const c of b) {
    if (!isSpace(c)) {
      out += byteRune(c);
      count++;
    }
  }
  return count === b.length ? s : out;
}

/** WrapCustom(str, wrapLength, newLine, wrapLongWords) over byte offsets. */
export function wrapCustom(s: string, wrapLength: number, newLine: string, wrapLongWords: boolean): string {
  if (s === "") return "";
  if (newLine === "") newLine = "\n";
  if (wrapLength < 1) wrapLength = 1;
  const b = Buffer.from(goStringToBytes(s));
  const n = b.length;
  let offset = 0;
  let out = "";
  while (n - offset > wrapLength) {
    if (b[offset] === 0x20) {
      offset++;
      continue;
    }
    const end = wrapLength + offset + 1;
    const spaceToWrapAt = b.subarray(offset, end).lastIndexOf(0x20) + offset;
    if (spaceToWrapAt >= offset) {
      out += cut(b, offset, spaceToWrapAt) + newLine;
      offset = spaceToWrapAt + 1;
    } else if (wrapLongWords) {
      out += cut(b, offset, wrapLength + offset) + newLine;
      offset += wrapLength;
    } else {
      const e = wrapLength + offset;
      const index = b.subarray(e).indexOf(0x20);
      if (index === -1) {
        out += cut(b, offset, n);
        offset = n;
      } else {
        out += cut(b, offset, index + e) + newLine;
        offset = index + e + 1;
      }
    }
  }
  return out + cut(b, offset, n);
}

/** SwapCase: upper and title to lower; lower to title after a space, else to upper. */
export function swapCase(s: string): string {
  if (s === "") return s;
  let out = "";
  let whitespace = true;
  for (const r of runes(s)) {
    let ch = r.rune;
    if (isUpper(ch) || isTitle(ch)) {
      ch = toLowerRune(ch);
      whitespace = false;
    } else if (isLower(ch)) {
      ch = whitespace ? toTitleRune(ch) : toUpperRune(ch);
      whitespace = false;
    } else whitespace = isSpace(ch);
    out += String.fromCodePoint(ch);
  }
  return out;
}

/** Uncapitalize: the first rune after each space in lower case. */
export function uncapitalize(s: string): string {
  if (s === "") return s;
  let out = "";
  let next = true;
  for (const r of runes(s)) {
    let ch = r.rune;
    if (isSpace(ch)) next = true;
    else if (next) {
      ch = toLowerRune(ch);
      next = false;
    }
    out += String.fromCodePoint(ch);
  }
  return out;
}
