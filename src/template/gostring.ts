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
