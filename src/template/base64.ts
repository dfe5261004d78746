// encoding/base64 StdEncoding / base32 with Go's strict decoding and error offsets.

export class CorruptInputError extends Error {
  constructor(offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** base64.StdEncoding.DecodeString: padding required, \r and \n ignored. */
export function decodeStd(s: string, alphabet = B64, padded = true): Uint8Array {
  const out: number[] = [];
  let si = 0;
  const src = s;
  const n = src.length;
  // Mirrors Go's decodeQuantum loop.
  while (si < n) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let j = 0;
    for (; j < 4; ) {
      if (si === n) {
        if (j === 0) return new Uint8Array(out);
        if (j === 1 || padded) throw new CorruptInputError(si - j);
        dlen = j;
        break;
      }
      const ch = src[si];
      const chIndex = si;
      si++;
      if (ch === "\r" || ch === "\n") continue;
      const d = ch === undefined ? -1 : alphabet.indexOf(ch);
      if (d >= 0) {
        dbuf[j] = d;
        j++;
        continue;
      }
      if (ch !== "=") throw new CorruptInputError(chIndex);
      // padding
      if (!padded) throw new CorruptInputError(chIndex);
      if (j === 0 || j === 1) throw new CorruptInputError(chIndex);
      if (j === 2) {
        // expect a second '='
        while (si < n && (src[si] === "\r" || src[si] === "\n")) si++;
        if (si === n) throw new CorruptInputError(n);
        if (src[si] !== "=") throw new CorruptInputError(si - 1);
        si++;
      }
      while (si < n && (src[si] === "\r" || src[si] === "\n")) si++;
      if (si < n) throw new CorruptInputError(si);
      dlen = j;
      break;
    }
    const val = ((dbuf[0] ?? 0) << 18) | ((dbuf[1] ?? 0) << 12) | ((dbuf[2] ?? 0) << 6) | (dbuf[3] ?? 0);
    const b0 = (val >> 16) & 0xff;
    const b1 = (val >> 8) & 0xff;
    const b2 = val & 0xff;
    if (dlen === 4) out.push(b0, b1, b2);
    else if (dlen === 3) {
      out.push(b0, b1);
    } else if (dlen === 2) out.push(b0);
    if (dlen < 4) break;
  }
  return new Uint8Array(out);
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function encodeBase32(b: Uint8Array): string {
  let out = "";
  for (let i = 0; i < b.length; i += 5) {
    const chunk = [...b.subarray(i, i + 5)];
    const len = chunk.length;
    while (chunk.length < 5) chunk.push(0);
    let bits = 0n;
    for (const x of chunk) bits = (bits << 8n) | BigInt(x);
    let s = "";
    for (let k = 7; k >= 0; k--) s += B32[Number((bits >> BigInt(k * 5)) & 31n)];
    const keep = [0, 2, 4, 5, 7, 8][len] ?? 8;
    out += s.slice(0, keep) + "=".repeat(8 - keep);
  }
  return out;
}

export function decodeBase32(s: string): Uint8Array {
  const clean = s.replace(/[\r\n]/g, "");
  if (clean.length % 8 !== 0) throw new Error(`illegal base32 data at input byte ${clean.length - (clean.length % 8)}`);
  const out: number[] = [];
  for (let i = 0; i < clean.length; i += 8) {
    const q = clean.slice(i, i + 8);
    const data = q.replace(/=+$/, "");
    let bits = 0n;
    for (let k = 0; k < 8; k++) {
      const c = data[k];
      const d = c === undefined ? 0 : B32.indexOf(c);
      if (d < 0) throw new Error(`illegal base32 data at input byte ${i + k}`);
      bits = (bits << 5n) | BigInt(d);
    }
    const n = [0, 0, 1, 1, 2, 3, 3, 4, 5][data.length] ?? 5;
    for (let k = 0; k < n; k++) out.push(Number((bits >> BigInt(32 - k * 8)) & 0xffn));
  }
  return new Uint8Array(out);
}
