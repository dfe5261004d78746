// Go strings are byte sequences; the engine's strings are JS strings. Valid UTF-8 maps to the same
// text; each byte that is not part of valid UTF-8 becomes the lone surrogate U+DC00+byte (Python's
// "surrogateescape"), so binary secret data (a PKCS#12 keystore, b64dec output) survives a render
// byte for byte and text functions still see ordinary strings.

const ESCAPE_BASE = 0xdc00;

/** Decodes bytes as Go would hold them in a string: invalid UTF-8 bytes are kept as escapes. */
export function bytesToGoString(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b0 = bytes[i] ?? 0;
    if (b0 < 0x80) {
      // Runs of ASCII are the common case.
      let j = i + 1;
      while (j < n && (bytes[j] ?? 0) < 0x80) j++;
      out += Buffer.from(bytes.subarray(i, j)).toString("latin1");
      i = j;
      continue;
    }
    const cp = decodeRune(bytes, i);
    if (cp === undefined) {
      out += String.fromCharCode(ESCAPE_BASE + b0);
      i++;
    } else {
      out += String.fromCodePoint(cp.rune);
      i += cp.size;
    }
  }
  return out;
}

/** utf8.DecodeRune for a non-ASCII lead byte; undefined where Go would return RuneError, 1. */
function decodeRune(b: Uint8Array, i: number): { rune: number; size: number } | undefined {
  const b0 = b[i] ?? 0;
  const cont = (k: number, lo = 0x80, hi = 0xbf): number | undefined => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi ? x & 0x3f : undefined;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 === undefined ? undefined : { rune: ((b0 & 0x1f) << 6) | c1, size: 2 };
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 === undefined ? undefined : cont(2);
    return c1 === undefined || c2 === undefined ? undefined : { rune: ((b0 & 0x0f) << 12) | (c1 << 6) | c2, size: 3 };
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    const c1 = cont(1, lo, hi);
    const c2 = c1 === undefined ? undefined : cont(2);
    const c3 = c2 === undefined ? undefined : cont(3);
    return c1 === undefined || c2 === undefined || c3 === undefined ? undefined : { rune: ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, size: 4 };
  }
  return undefined;
}

/** The bytes a Go string holds: UTF-8, with escaped bytes restored. */
export function goStringToBytes(s: string): Uint8Array {
  if (!/[\ud800-\udfff]/.test(s)) return new Uint8Array(Buffer.from(s, "utf8"));
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        for (const b of Buffer.from(s.slice(i, i + 2), "utf8")) out.push(b);
        i++;
        continue;
      }
      out.push(0xef, 0xbf, 0xbd);
    } else if (c >= ESCAPE_BASE + 0x80 && c <= ESCAPE_BASE + 0xff) {
      out.push(c - ESCAPE_BASE);
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      out.push(0xef, 0xbf, 0xbd);
    } else {
      for (const b of Buffer.from(s[i] ?? "", "utf8")) out.push(b);
    }
  }
  return new Uint8Array(out);
}

// Go string semantics over the representation above. Text that is valid UTF-8 holds no lone
// surrogate, so each helper checks that once and takes the JS fast path.

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NON_ASCII = /[^\x00-\x7f]/;

/** The string holds bytes that are not valid UTF-8 (escapes, or a stray surrogate from JS input). */
export function hasInvalidUTF8(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** The one representation of a Go string: adjacent escaped bytes that form UTF-8 become text. */
export function canonical(s: string): string {
  return hasInvalidUTF8(s) ? bytesToGoString(goStringToBytes(s)) : s;
}

/** len(s): the number of bytes. */
export function byteLength(s: string): number {
  if (!NON_ASCII.test(s)) return s.length;
  if (!hasInvalidUTF8(s)) return Buffer.byteLength(s, "utf8");
  return goStringToBytes(s).length;
}

/** s[from:to] by byte offsets (the caller checks the bounds). */
export function byteSlice(s: string, from: number, to?: number): string {
  if (!NON_ASCII.test(s)) return s.slice(from, to);
  const b = goStringToBytes(s);
  return bytesToGoString(b.subarray(from, to ?? b.length));
}

/** One step of Go's `for range` over a string: an invalid byte is U+FFFD of width 1. */
export interface Rune {
  /** The code point (0xFFFD for an invalid byte). */
  rune: number;
  /** The JS text of this step (the escape itself for an invalid byte). */
  text: string;
  /** True when this step is an invalid byte. */
  invalid: boolean;
}

const RUNE_ERROR = 0xfffd;

export function isEscape(code: number): boolean {
  return code >= ESCAPE_BASE + 0x80 && code <= ESCAPE_BASE + 0xff;
}

/** Decodes s as Go's range loop does. */
export function* runes(s: string): Generator<Rune> {
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) yield { rune: RUNE_ERROR, text: ch, invalid: true };
    else yield { rune: cp, text: ch, invalid: false };
  }
}

/** utf8.RuneCountInString. */
export function runeCount(s: string): number {
  if (!NON_ASCII.test(s)) return s.length;
  let n = 0;
  for (const ch of s) {
    void ch;
    n++;
  }
  return n;
}

/** Go's string comparison: bytewise (code point order, escaped bytes by their value). */
export function compareGo(a: string, b: string): number {
  if (!/[\ud800-\udfff]/.test(a) && !/[\ud800-\udfff]/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(goStringToBytes(a)), Buffer.from(goStringToBytes(b)));
}

/** Replaces each invalid byte with U+FFFD, as strings.Map, strings.ToUpper and friends do. */
export function toValidUTF8(s: string): string {
  if (!hasInvalidUTF8(s)) return s;
  let out = "";
  for (const r of runes(s)) out += r.invalid ? "\ufffd" : r.text;
  return out;
}

/** strings.Index for any needle: JS search is exact for valid needles, bytes otherwise. */
export function goIndex(s: string, sub: string): number {
  if (!hasInvalidUTF8(sub)) {
    const i = s.indexOf(sub);
    return i < 0 ? -1 : byteLength(s.slice(0, i));
  }
  return Buffer.from(goStringToBytes(s)).indexOf(Buffer.from(goStringToBytes(sub)));
}

export function goContains(s: string, sub: string): boolean {
  if (!hasInvalidUTF8(sub)) return s.includes(sub);
  return goIndex(s, sub) >= 0;
}

export function goHasPrefix(s: string, prefix: string): boolean {
  if (!hasInvalidUTF8(prefix)) return s.startsWith(prefix);
  const b = goStringToBytes(prefix);
  const a = goStringToBytes(s);
  return a.length >= b.length && Buffer.from(a.subarray(0, b.length)).equals(Buffer.from(b));
}

export function goHasSuffix(s: string, suffix: string): boolean {
  if (!hasInvalidUTF8(suffix)) return s.endsWith(suffix);
  const b = goStringToBytes(suffix);
  const a = goStringToBytes(s);
  return a.length >= b.length && Buffer.from(a.subarray(a.length - b.length)).equals(Buffer.from(b));
}

/** strings.Split(s, sep) with n < 0; an empty sep explodes into UTF-8 sequences (invalid bytes alone). */
export function goSplit(s: string, sep: string): string[] {
  if (sep === "") return [...s];
  if (!hasInvalidUTF8(sep)) return s.split(sep);
  const a = Buffer.from(goStringToBytes(s));
  const b = Buffer.from(goStringToBytes(sep));
  const out: string[] = [];
  let from = 0;
  for (let i = a.indexOf(b, from); i >= 0; i = a.indexOf(b, from)) {
    out.push(bytesToGoString(a.subarray(from, i)));
    from = i + b.length;
  }
  out.push(bytesToGoString(a.subarray(from)));
  return out;
}

/** strings.Replace(s, old, new, -1); an empty old inserts new at every rune boundary. */
export function goReplaceAll(s: string, old: string, repl: string): string {
  if (old === "") {
    let out = repl;
    for (const ch of s) out += ch + repl;
    return out;
  }
  return goSplit(s, old).join(repl);
}
