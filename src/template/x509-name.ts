// pkix.Name.String() for a certificate's subject, as go-pkcs12 uses it for trust store aliases:
// the parsed well-known attributes in Go's fixed order, others first, RFC 2253 escaping.
import { DerError, TAG, children, expect, oidToString, readOne } from "./der.ts";

const NAMES: Record<string, string> = {
  "2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.3": "CN", "2.5.4.5": "SERIALNUMBER",
  "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.17": "POSTALCODE",
};
/** ToRDNSequence order of the multi-valued fields. */
const MULTI = ["2.5.4.6", "2.5.4.8", "2.5.4.7", "2.5.4.9", "2.5.4.17", "2.5.4.10", "2.5.4.11"];

interface Atv {
  type: string;
  value: string;
  raw: Uint8Array;
}

function decodeString(tag: number, body: Uint8Array): string {
  if (tag === TAG.BMP_STRING) {
    let s = "";
    for (let i = 0; i + 1 < body.length; i += 2) s += String.fromCharCode(((body[i] ?? 0) << 8) | (body[i + 1] ?? 0));
    return s;
  }
  return Buffer.from(body).toString(tag === 0x0c ? "utf8" : "latin1");
}

function marshalString(s: string): string {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/.test(s);
  const tag = printable ? 0x13 : /^[\x00-\x7f]*$/.test(s) ? 0x16 : 0x0c;
  const body = Buffer.from(s, "utf8");
  const len = body.length < 0x80 ? Buffer.of(body.length) : Buffer.of(0x81, body.length);
  return Buffer.concat([Buffer.of(tag), len, body]).toString("hex");
}

function escape(v: string): string {
  const chars = [...v];
  return chars.map((c, k) => {
    const esc = ",+\"\\<>;".includes(c) || (c === " " && (k === 0 || k === chars.length - 1)) || (c === "#" && k === 0);
    return esc ? `\\${c}` : c;
  }).join("");
}

export function subjectString(certDer: Uint8Array): string {
  let atvs: Atv[];
  try {
    const tbs = children(expect(children(readOne(certDer))[0], TAG.SEQUENCE, "tbsCertificate"));
    const offset = tbs[0]?.tag === TAG.CONTEXT0 ? 1 : 0;
    const subject = expect(tbs[offset + 4], TAG.SEQUENCE, "subject");
    atvs = children(subject).flatMap((rdn) => children(rdn).map((atv) => {
      const [t, v] = children(atv);
      const value = expect(v, v?.tag ?? -1, "value");
      return { type: oidToString(expect(t, TAG.OID, "type").body), value: decodeString(value.tag, value.body), raw: value.full };
    }));
  } catch (e) {
    if (e instanceof DerError) return "";
    throw e;
  }
  const rdns: Atv[][] = [];
  for (const a of atvs) if (!(a.type in NAMES)) rdns.push([a]);
  for (const t of MULTI) {
    const vals = atvs.filter((a) => a.type === t);
    if (vals.length > 0) rdns.push(vals);
  }
  for (const t of ["2.5.4.3", "2.5.4.5"]) {
    const last = atvs.filter((a) => a.type === t).at(-1);
    if (last !== undefined && last.value !== "") rdns.push([last]);
  }
  return rdns.reverse().map((rdn) => rdn.map((a) => {
    const name = NAMES[a.type];
    return name === undefined ? `${a.type}=#${marshalString(a.value)}` : `${name}=${escape(a.value)}`;
  }).join("+")).join(",");
}
