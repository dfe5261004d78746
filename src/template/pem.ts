// PEM decoding and encoding with Go's encoding/pem behaviour (64-column base64, headers skipped).

export interface PemBlock {
  type: string;
  bytes: Uint8Array;
  /** RFC 1421 headers, e.g. Proc-Type (Go's Block.Headers). */
  headers?: ReadonlyMap<string, string>;
}

/** pem.Encode: Proc-Type first, other headers sorted, a blank line, then 64-column base64. */
export function pemEncode(type: string, bytes: Uint8Array, headers?: ReadonlyMap<string, string>): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  let head = "";
  if (headers !== undefined && headers.size > 0) {
    const proc = headers.get("Proc-Type");
    if (proc !== undefined) head += `Proc-Type: ${proc}\n`;
    for (const k of [...headers.keys()].filter((k) => k !== "Proc-Type").sort()) head += `${k}: ${headers.get(k) ?? ""}\n`;
    head += "\n";
  }
  return `-----BEGIN ${type}-----\n${head}${lines.map((l) => l + "\n").join("")}-----END ${type}-----\n`;
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
    // RFC 1421 headers: leading "Key: Value" lines (Go stops at the first line without a colon)
    const headers = new Map<string, string>();
    for (;;) {
      const nl = content.indexOf("\n");
      const line = (nl < 0 ? content : content.slice(0, nl)).replace(/[ \t\r]+$/, "");
      const colon = line.indexOf(":");
      if (content.length === 0 || colon < 0) break;
      headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      content = nl < 0 ? "" : content.slice(nl + 1);
    }
    const b64 = content.replace(/[\s]/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      rest = afterBegin;
      continue;
    }
    let after = body.slice(endIdx + endMarker.length);
    after = after.replace(/^[ \t\r]*\n?/, "");
    const block: PemBlock = { type, bytes: new Uint8Array(Buffer.from(b64, "base64")) };
    if (headers.size > 0) block.headers = headers;
    return { block, rest: after };
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
