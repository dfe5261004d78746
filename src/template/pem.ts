// PEM decoding and encoding with Go's encoding/pem behaviour (64-column base64, headers skipped).

export interface PemBlock {
  type: string;
  bytes: Uint8Array;
}

export function pemEncode(type: string, bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.map((l) => l + "\n").join("")}-----END ${type}-----\n`;
}

/** Decodes the first PEM block; returns it and the rest, or undefined and the whole input. */
export function pemDecode(data: string): { block: PemBlock | undefined; rest: string } {
  let rest = data;
  for (;;) {
    const begin = rest.startsWith("-----BEGIN ") ? 0 : rest.indexOf("\n-----BEGIN ");
    if (begin < 0) return { block: undefined, rest: data };
    const start = begin === 0 ? 0 : begin + 1;
    const afterBegin = rest.slice(start + "-----BEGIN ".length);
    const eol = afterBegin.indexOf("\n");
    const typeLine = (eol < 0 ? afterBegin : afterBegin.slice(0, eol)).replace(/[ \t\r]+$/, "");
    if (eol < 0 || !typeLine.endsWith("-----")) {
      rest = afterBegin;
      continue;
    }
    const type = typeLine.slice(0, -5);
    const body = afterBegin.slice(eol + 1);
    const endMarker = `-----END ${type}-----`;
    const endIdx = body.indexOf(endMarker);
    if (endIdx < 0) {
      rest = afterBegin;
      continue;
    }
    let content = body.slice(0, endIdx);
    // skip RFC 1421 headers
    if (/^[\w-]+:/.test(content)) {
      const blank = content.search(/\r?\n\r?\n/);
      if (blank >= 0) content = content.slice(blank).replace(/^\r?\n\r?\n/, "");
    }
    const b64 = content.replace(/[\s]/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      rest = afterBegin;
      continue;
    }
    let after = body.slice(endIdx + endMarker.length);
    after = after.replace(/^[ \t\r]*\n?/, "");
    return { block: { type, bytes: new Uint8Array(Buffer.from(b64, "base64")) }, rest: after };
  }
}

export function pemDecodeAll(data: string): { blocks: PemBlock[]; rest: string } {
  const blocks: PemBlock[] = [];
  let rest = data;
  for (;;) {
    const r = pemDecode(rest);
    if (r.block === undefined) return { blocks, rest };
    blocks.push(r.block);
    rest = r.rest;
  }
}
