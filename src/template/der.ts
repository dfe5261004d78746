// A minimal DER reader and writer: enough ASN.1 for PKCS#12 (tags, lengths, OIDs, integers).

export interface DerNode {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  tag: number;
  /** Contents octets. */
  body: Uint8Array;
  /** The whole encoding, header included. */
  full: Uint8Array;
}

export class DerError extends Error {}

export const TAG = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONTEXT0: 0xa0,
} as const;

/** Reads one element at offset; returns it and the offset after it. */
export function readDer(buf: Uint8Array, offset = 0): { node: DerNode; next: number } {
  const tag = buf[offset];
  if (tag === undefined) throw new DerError("asn1: syntax error: sequence truncated");
  if ((tag & 0x1f) === 0x1f) throw new DerError("asn1: high-tag-number form not supported");
  let p = offset + 1;
  const first = buf[p++];
  if (first === undefined) throw new DerError("asn1: syntax error: truncated tag or length");
  let len = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new DerError("asn1: structure error: length too large");
    len = 0;
    for (let i = 0; i < count; i++) {
      const b = buf[p++];
      if (b === undefined) throw new DerError("asn1: syntax error: truncated tag or length");
      len = len * 256 + b;
    }
  }
  if (p + len > buf.length) throw new DerError("asn1: syntax error: data truncated");
  return { node: { tag, body: buf.subarray(p, p + len), full: buf.subarray(offset, p + len) }, next: p + len };
}

/** Reads exactly one element; trailing bytes are an error (go-pkcs12's unmarshal). */
export function readOne(buf: Uint8Array): DerNode {
  const { node, next } = readDer(buf);
  if (next !== buf.length) throw new DerError("pkcs12: trailing data found");
  return node;
}

/** The elements of a constructed value. */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let p = 0;
  while (p < node.body.length) {
    const r = readDer(node.body, p);
    out.push(r.node);
    p = r.next;
  }
  return out;
}

export function expect(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined || node.tag !== tag) throw new DerError(`asn1: structure error: ${what}`);
  return node;
}

export function oidToString(body: Uint8Array): string {
  const parts: number[] = [];
  let v = 0;
  for (const b of body) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}

export function intValue(node: DerNode): number {
  let v = 0;
  for (const b of node.body) v = v * 256 + b;
  return v;
}

// --- writing ---

function header(tag: number, len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(tag, len);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Uint8Array.of(tag, 0x80 | bytes.length, ...bytes);
}

export function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  return Buffer.concat([header(tag, len), ...parts]);
}

export const seq = (...parts: Uint8Array[]): Uint8Array => der(TAG.SEQUENCE, ...parts);
export const octets = (b: Uint8Array): Uint8Array => der(TAG.OCTET_STRING, b);
export const explicit0 = (...parts: Uint8Array[]): Uint8Array => der(TAG.CONTEXT0, ...parts);

/** A SET OF, with its elements in DER order (sorted by encoding). */
export function setOf(...parts: Uint8Array[]): Uint8Array {
  const sorted = [...parts].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return der(TAG.SET, ...sorted);
}

export function integer(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return der(TAG.INTEGER, Uint8Array.from(bytes));
}

export function oid(dotted: string): Uint8Array {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const out: number[] = [];
  for (const n of [a * 40 + b, ...rest]) {
    const chunk: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return der(TAG.OID, Uint8Array.from(out));
}
