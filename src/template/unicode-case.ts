// Go's package unicode as Sprig's string functions use it: simple (one rune to one rune) case
// mapping, and the predicates IsUpper, IsLower, IsTitle, IsLetter, IsSpace, IsPunct. JavaScript's
// toUpperCase applies full mappings (ß → SS) and context (final sigma); Go never does.
import { runes } from "./gostring.ts";
import { FLAG_DIGIT, FLAG_LETTER, FLAG_LOWER, FLAG_NUMBER, FLAG_PUNCT, FLAG_TITLE, FLAG_UPPER, GO_CASE, goFlags } from "./unicode-go15.ts";

const RUNE_ERROR = 0xfffd;

/** Full mappings that still have a simple one: Greek letters with ypogegrammeni. */
const SIMPLE_UPPER = new Map<number, number>([[0x1fb3, 0x1fbc], [0x1fc3, 0x1fcc], [0x1ff3, 0x1ffc]]);
for (const base of [0x1f80, 0x1f90, 0x1fa0]) for (let i = 0; i < 8; i++) SIMPLE_UPPER.set(base + i, base + i + 8);

/** The DŽ family has separate title case letters; Georgian Mkhedruli title-cases to itself. */
function simpleTitleSpecial(cp: number): number | undefined {
  if (cp >= 0x1c4 && cp <= 0x1c6) return 0x1c5;
  if (cp >= 0x1c7 && cp <= 0x1c9) return 0x1c8;
  if (cp >= 0x1ca && cp <= 0x1cc) return 0x1cb;
  if (cp >= 0x1f1 && cp <= 0x1f3) return 0x1f2;
  if ((cp >= 0x10d0 && cp <= 0x10fa) || (cp >= 0x10fd && cp <= 0x10ff)) return cp;
  return undefined;
}

function single(s: string): number | undefined {
  const cp = s.codePointAt(0);
  return cp !== undefined && s.length === (cp > 0xffff ? 2 : 1) ? cp : undefined;
}

/** unicode.ToUpper */
export function toUpperRune(cp: number): number {
  if (cp < 0x80) return cp >= 0x61 && cp <= 0x7a ? cp - 32 : cp;
  const go = GO_CASE.get(cp);
  if (go !== undefined) return go[0];
  return single(String.fromCodePoint(cp).toUpperCase()) ?? SIMPLE_UPPER.get(cp) ?? cp;
}

/** unicode.ToLower */
export function toLowerRune(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  if (cp === 0x130) return 0x69; // İ: the full mapping adds a combining dot
  const go = GO_CASE.get(cp);
  if (go !== undefined) return go[1];
  return single(String.fromCodePoint(cp).toLowerCase()) ?? cp;
}

/** unicode.ToTitle */
export function toTitleRune(cp: number): number {
  const go = GO_CASE.get(cp);
  if (go !== undefined) return go[2];
  return simpleTitleSpecial(cp) ?? toUpperRune(cp);
}

const test = (re: RegExp, flag: number) => (cp: number): boolean => {
  if (cp === RUNE_ERROR) return false;
  const go = cp < 0x80 ? undefined : goFlags(cp);
  return go !== undefined ? (go & flag) !== 0 : re.test(String.fromCodePoint(cp));
};

export const isUpper = test(/^\p{Lu}$/u, FLAG_UPPER);
export const isLower = test(/^\p{Ll}$/u, FLAG_LOWER);
export const isTitle = test(/^\p{Lt}$/u, FLAG_TITLE);
export const isLetter = test(/^\p{L}$/u, FLAG_LETTER);
export const isDigit = test(/^\p{Nd}$/u, FLAG_DIGIT);
export const isNumber = test(/^\p{N}$/u, FLAG_NUMBER);
export const isPunct = test(/^\p{P}$/u, FLAG_PUNCT);

/** unicode.IsSpace: Latin-1 spaces, then the White_Space property (no U+FEFF, unlike JS \s). */
export function isSpace(cp: number): boolean {
  if (cp <= 0xff) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0xa0;
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/** strings.Map: each rune mapped; an invalid byte is mapped as U+FFFD (and so becomes one). */
export function mapRunes(s: string, f: (cp: number) => number): string {
  let out = "";
  for (const r of runes(s)) out += String.fromCodePoint(f(r.rune));
  return out;
}

/** strings.ToUpper */
export function goToUpper(s: string): string {
  if (!/[^\x00-\x7f]/.test(s)) return s.toUpperCase();
  return mapRunes(s, toUpperRune);
}

/** strings.ToLower */
export function goToLower(s: string): string {
  if (!/[^\x00-\x7f]/.test(s)) return s.toLowerCase();
  return mapRunes(s, toLowerRune);
}

/** strings.Title's separator test. */
function isSeparator(cp: number): boolean {
  if (cp <= 0x7f) return !((cp >= 0x30 && cp <= 0x39) || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || cp === 0x5f);
  if (isLetter(cp) || isDigit(cp)) return false;
  return isSpace(cp);
}

/** strings.Title: the first letter of each word in title case. */
export function goTitle(s: string): string {
  let prev = 0x20;
  return mapRunes(s, (cp) => {
    const sep = isSeparator(prev);
    prev = cp;
    return sep ? toTitleRune(cp) : cp;
  });
}
