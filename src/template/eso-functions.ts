// ESO's template helpers (external-secrets runtime/template/v2): toYaml/fromYaml, PEM filters,
// certificate SANs, PKCS#12 and JWK conversions.
import { X509Certificate, constants, createPrivateKey, createPublicKey, privateDecrypt } from "node:crypto";
import YAML from "yaml";
import { FuncError } from "./errors.ts";
import { type CallContext, type TemplateFunction, fn } from "./funcs.ts";
import { bytesToGoString, goStringToBytes } from "./gostring.ts";
import { decodeChain, encodeModern, encodeTrustStoreModern } from "./pkcs12.ts";
import { subjectString } from "./x509-name.ts";
import { TAG, children, expect, oidToString, readOne } from "./der.ts";
import { marshal, unmarshal } from "./json.ts";
import { formatValue } from "./printf.ts";
import { pemDecode, pemDecodeAll, pemEncode } from "./pem.ts";
import { type GoMap, type Value, typedSlice } from "./values.ts";
import { fromYamlV2 } from "./yaml-v2.ts";

/** sigs.k8s.io/yaml Marshal: through JSON, then YAML in go-yaml v2 style; trailing newline trimmed. */
export function toYaml(v: Value): string {
  let json: unknown;
  try {
    json = JSON.parse(marshal(v, { escapeHTML: false }));
  } catch {
    return "";
  }
  const doc = new YAML.Document(json, { version: "1.1", sortMapEntries: true });
  // go-yaml v2 double-quotes strings that would read back as another type, single-quotes the rest that need quoting.
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== "string" || node.value.includes("\n")) return;
      if (node.value === "" || readsAsNonString(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  const out = doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0, singleQuote: true });
  return out.replace(/\n$/, "");
}

function readsAsNonString(s: string): boolean {
  try {
    const v: unknown = YAML.parse(s, { version: "1.1" });
    return v === null || typeof v === "number" || typeof v === "boolean" || v instanceof Date;
  } catch {
    return false;
  }
}

/** ESO fromYaml: a map; parse errors land in m["Error"]. */
export function fromYaml(s: string): GoMap {
  return fromYamlV2(s);
}

/** hex.DecodeString; an invalid byte is reported before an odd length. */
export function hexdec(s: string): string {
  const src = goStringToBytes(s);
  const nibble = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);
  const invalid = (c: number): string => `encoding/hex: invalid byte: ${formatValue(BigInt(c), "U", { sharp: true })}`;
  const out = new Uint8Array(src.length >> 1);
  let j = 1;
  for (; j < src.length; j += 2) {
    const a = nibble(src[j - 1] ?? 0);
    const b = nibble(src[j] ?? 0);
    if (a < 0) return invalid(src[j - 1] ?? 0);
    if (b < 0) return invalid(src[j] ?? 0);
    out[(j - 1) >> 1] = (a << 4) | b;
  }
  if (src.length % 2 === 1) {
    if (nibble(src[j - 1] ?? 0) < 0) return invalid(src[j - 1] ?? 0);
    return "encoding/hex: odd length hex string";
  }
  return bytesToGoString(out);
}

function trimJunk(input: string): string {
  const i = input.indexOf("-----BEGIN");
  return i < 0 ? input : input.slice(i);
}

export function filterPEM(pemType: string, input: string): string {
  const { blocks, rest } = pemDecodeAll(trimJunk(input));
  const out = blocks.filter((b) => b.type.toLowerCase() === pemType.toLowerCase()).map((b) => pemEncode(b.type, b.bytes, b.headers));
  if (out.length === 0 && rest.length !== 0) throw new FuncError("error filtering pem: found junk");
  return out.join("");
}

interface ParsedCert {
  raw: Uint8Array;
  ski: string | undefined;
  aki: string | undefined;
}

/** x509.ParseCertificate, keeping what chain ordering needs: SubjectKeyId and AuthorityKeyId. */
function parseCert(der: Uint8Array): ParsedCert {
  try {
    new X509Certificate(Buffer.from(der));
  } catch (e) {
    throw new FuncError(`x509: malformed certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  let ski: string | undefined;
  let aki: string | undefined;
  try {
    const tbs = children(expect(children(readOne(der))[0], TAG.SEQUENCE, "tbsCertificate"));
    const exts = tbs.find((n) => n.tag === 0xa3);
    for (const ext of exts === undefined ? [] : children(expect(children(exts)[0], TAG.SEQUENCE, "extensions"))) {
      const parts = children(ext);
      const id = oidToString(expect(parts[0], TAG.OID, "extension id").body);
      const value = readOne(expect(parts[parts.length - 1], TAG.OCTET_STRING, "extension value").body);
      if (id === "2.5.29.14") ski = Buffer.from(expect(value, TAG.OCTET_STRING, "subject key id").body).toString("hex");
      if (id === "2.5.29.35") {
        const keyId = children(expect(value, TAG.SEQUENCE, "authority key id")).find((c) => c.tag === 0x80);
        if (keyId !== undefined) aki = Buffer.from(keyId.body).toString("hex");
      }
    }
  } catch (e) {
    throw new FuncError(`x509: malformed extension: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { raw: der, ski, aki };
}

function certChain(input: string): ParsedCert[] {
  const { blocks } = pemDecodeAll(input);
  const nodes = blocks.map((b) => ({ cert: parseCert(b.bytes), parent: undefined as number | undefined, isParent: false }));
  nodes.forEach((n, i) => {
    for (let j = 0; j < nodes.length; j++) {
      const other = nodes[j];
      if (i === j || other === undefined) continue;
      if ((n.cert.aki ?? "") === (other.cert.ski ?? "")) {
        other.isParent = true;
        n.parent = j;
        break;
      }
    }
  });
  let leaf: number | undefined;
  nodes.forEach((n, i) => {
    if (!n.isParent) {
      if (leaf !== undefined) throw new FuncError("found multiple leaf or disjunct certificates");
      leaf = i;
    }
  });
  if (leaf === undefined) throw new FuncError("no leaf certificate found");
  const out: ParsedCert[] = [];
  let cur: number | undefined = leaf;
  while (cur !== undefined) {
    if (out.length >= nodes.length) throw new FuncError("constructing chain resulted in cycle");
    const n: (typeof nodes)[number] | undefined = nodes[cur];
    if (n === undefined) break;
    out.push(n.cert);
    cur = n.parent;
  }
  return out;
}

const isRoot = (c: ParsedCert): boolean => c.aki === undefined || c.aki === c.ski;

export function filterCertChain(certType: string, input: string): string {
  const ordered = certChain(input);
  const first = ordered[0];
  switch (certType) {
    case "leaf":
      if (first && first.aki !== undefined && first.aki !== first.ski) return pemEncode("CERTIFICATE", first.raw);
      return "";
    case "intermediate": {
      if (ordered.length < 2) return "";
      let out = "";
      for (const c of ordered.slice(1)) {
        if (isRoot(c)) break;
        out += pemEncode("CERTIFICATE", c.raw);
      }
      return out;
    }
    case "root": {
      const last = ordered[ordered.length - 1];
      if (last && isRoot(last)) return pemEncode("CERTIFICATE", last.raw);
      return "";
    }
  }
  return "";
}

/** net.IP.String(): IPv4 dotted, IPv6 in RFC 5952 form (longest zero run as "::"). */
function goIPString(ip: string): string {
  if (!ip.includes(":")) return ip;
  const groups = ip.toLowerCase().split(":").map((g) => g.replace(/^0+(?=.)/, ""));
  if (groups.length === 8 && groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff") {
    const v4 = groups.slice(6).flatMap((g) => { const n = parseInt(g, 16); return [n >> 8, n & 0xff]; });
    return v4.join(".");
  }
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== "0") { i++; continue; }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

export function certSANs(input: string): string[] {
  const { block } = pemDecode(trimJunk(input));
  if (block === undefined) throw new FuncError("failed to decode PEM block");
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(block.bytes));
  } catch (e) {
    throw new FuncError(`failed to parse certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  const entries = (cert.subjectAltName ?? "").split(", ").filter(Boolean);
  const dns: string[] = [];
  const ips: string[] = [];
  const emails: string[] = [];
  const uris: string[] = [];
  for (const e of entries) {
    const i = e.indexOf(":");
    const kind = e.slice(0, i);
    let val = e.slice(i + 1);
    if (val.startsWith('"')) val = JSON.parse(val) as string;
    if (kind === "DNS") dns.push(val);
    else if (kind === "IP Address") ips.push(goIPString(val));
    else if (kind === "email") emails.push(val);
    else if (kind === "URI") uris.push(val);
  }
  return [...dns, ...ips, ...emails, ...uris];
}

function pkcs8Of(der: Uint8Array): Uint8Array {
  // x509.ParsePKCS8PrivateKey then MarshalPKCS8PrivateKey: re-encoded, not passed through.
  return new Uint8Array(createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" }).export({ format: "der", type: "pkcs8" }));
}

function p12(input: string, pass: string, what: "key" | "cert"): string {
  const prefix = what === "key" ? "unable to decode pkcs12 with password" : "unable to decode pkcs12 certificate with password";
  let chain: ReturnType<typeof decodeChain>;
  let key: Uint8Array;
  try {
    chain = decodeChain(goStringToBytes(input), pass);
    for (const c of [chain.cert, ...chain.caCerts]) parseCert(c);
    key = pkcs8Of(chain.pkcs8);
  } catch (e) {
    throw new FuncError(`${prefix}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (what === "key") return pemEncode("PRIVATE KEY", key);
  const pemData = [chain.cert, ...chain.caCerts].map((d) => pemEncode("CERTIFICATE", d)).join("");
  try {
    return certChain(pemData).map((c) => pemEncode("CERTIFICATE", c.raw)).join("");
  } catch {
    return pemData;
  }
}

const NIL_DEREF = "runtime error: invalid memory address or nil pointer dereference";

/** x509.ParseCertificate of the first PEM block; a missing block is Go's nil dereference. */
function firstCert(certPem: string): { der: Uint8Array; rest: string } {
  const { block, rest } = pemDecode(certPem);
  if (block === undefined) throw new FuncError(NIL_DEREF);
  parseCert(block.bytes);
  return { der: block.bytes, rest };
}

/** ESO parseCaCerts: every remaining PEM block must be a certificate; leftover junk is a nil dereference. */
function caCerts(rest: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  let r = rest;
  while (r.length > 0) {
    const d = pemDecode(r);
    if (d.block === undefined) throw new FuncError(NIL_DEREF);
    parseCert(d.block.bytes);
    out.push(d.block.bytes);
    r = d.rest;
  }
  return out;
}

/** ESO parsePrivateKey: PKCS#1, then PKCS#8, then SEC 1; the result as PKCS#8 DER. */
function parsePrivateKey(der: Uint8Array): Uint8Array {
  for (const type of ["pkcs1", "pkcs8", "sec1"] as const) {
    try {
      return new Uint8Array(createPrivateKey({ key: Buffer.from(der), format: "der", type }).export({ format: "der", type: "pkcs8" }));
    } catch {
      // try the next encoding
    }
  }
  throw new FuncError("unable to parse private key type");
}

function toPkcs12(certPem: string, keyPem: string, pass: string, withChain: boolean, ctx: CallContext): string {
  const leaf = firstCert(certPem);
  const cas = withChain ? caCerts(leaf.rest) : [];
  const keyBlock = pemDecode(keyPem).block;
  if (keyBlock === undefined) throw new FuncError(NIL_DEREF);
  const key = parsePrivateKey(keyBlock.bytes);
  try {
    return Buffer.from(encodeModern((n) => ctx.randomBytes(n), key, leaf.der, cas, pass)).toString("base64");
  } catch (e) {
    throw new FuncError(e instanceof Error ? e.message : String(e));
  }
}

function truststoreToPkcs12(certPem: string, pass: string, ctx: CallContext): string {
  const certs = caCerts(certPem).map((der) => ({ der, friendlyName: subjectString(der) }));
  try {
    return Buffer.from(encodeTrustStoreModern((n) => ctx.randomBytes(n), certs, pass)).toString("base64");
  } catch (e) {
    throw new FuncError(e instanceof Error ? e.message : String(e));
  }
}

/** ESO rsaDecrypt(scheme, hash, ciphertext, privateKeyPem): RSA-OAEP with the named hash, or "None". */
function rsaDecrypt(scheme: string, hash: string, input: string, keyPem: string): string {
  if (scheme === "None") return input;
  if (scheme !== "RSA-OAEP") throw new FuncError(`decryption scheme ${scheme} is not supported`);
  const block = pemDecode(keyPem).block;
  if (block === undefined) throw new FuncError("failed to decode PEM block");
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey({ key: Buffer.from(parsePrivateKey(block.bytes)), format: "der", type: "pkcs8" });
  } catch (e) {
    throw new FuncError(`could not parse private key: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (key.asymmetricKeyType !== "rsa") throw new FuncError("could not parse RSA private key");
  const oaepHash = hash === "SHA1" ? "sha1" : hash === "SHA512" ? "sha512" : "sha256";
  try {
    return bytesToGoString(privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, goStringToBytes(input)));
  } catch {
    throw new FuncError("error decrypting data with RSA: crypto/rsa: decryption error");
  }
}

function jwkKey(s: string, kind: "public" | "private"): string {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(s) as Record<string, unknown>;
  } catch (e) {
    throw new FuncError(`failed to unmarshal JSON into key hint: ${e instanceof Error ? e.message : String(e)}`);
  }
  // jwx's Raw gives the private key for a private JWK and the public one otherwise; x509 rejects the mismatch.
  const goType = (priv: boolean): string =>
    jwk["kty"] === "RSA" ? (priv ? "*rsa.PrivateKey" : "*rsa.PublicKey")
    : jwk["kty"] === "EC" ? (priv ? "*ecdsa.PrivateKey" : "*ecdsa.PublicKey")
    : jwk["crv"] === "Ed25519" ? (priv ? "ed25519.PrivateKey" : "ed25519.PublicKey")
    : (priv ? "*ecdh.PrivateKey" : "*ecdh.PublicKey");
  const known = ["RSA", "EC", "OKP"].includes(String(jwk["kty"]));
  if (known && kind === "public" && jwk["d"] !== undefined) throw new FuncError(`x509: unsupported public key type: ${goType(true)}`);
  if (known && kind === "private" && jwk["d"] === undefined) throw new FuncError(`x509: unknown key type while marshaling PKCS#8: ${goType(false)}`);
  try {
    if (kind === "public") {
      return createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" }) as string;
    }
    return createPrivateKey({ key: jwk, format: "jwk" }).export({ type: "pkcs8", format: "pem" }) as string;
  } catch (e) {
    throw new FuncError(`failed to parse key: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function esoFunctions(): Map<string, TemplateFunction> {
  const s = (f: (x: string) => Value) => fn(["string"], ([a]) => f(a as string));
  return new Map<string, TemplateFunction>([
    ["toYaml", fn(["any"], ([v]) => toYaml(v))],
    ["fromYaml", s(fromYaml)],
    // From ESO's sprig copy: the error text is the result.
    ["hexdec", s(hexdec)],
    ["filterPEM", fn(["string", "string"], ([t, i]) => filterPEM(t as string, i as string))],
    ["filterCertChain", fn(["string", "string"], ([t, i]) => filterCertChain(t as string, i as string))],
    ["certSANs", s((x) => typedSlice(certSANs(x), "string"))],
    ["pkcs12key", s((x) => p12(x, "", "key"))],
    ["pkcs12keyPass", fn(["string", "string"], ([p, x]) => p12(x as string, p as string, "key"))],
    ["pkcs12cert", s((x) => p12(x, "", "cert"))],
    ["pkcs12certPass", fn(["string", "string"], ([p, x]) => p12(x as string, p as string, "cert"))],
    ["pemToPkcs12", fn(["string", "string"], ([c, k], ctx) => toPkcs12(c as string, k as string, "", false, ctx))],
    ["pemToPkcs12Pass", fn(["string", "string", "string"], ([c, k, p], ctx) => toPkcs12(c as string, k as string, p as string, false, ctx))],
    ["fullPemToPkcs12", fn(["string", "string"], ([c, k], ctx) => toPkcs12(c as string, k as string, "", true, ctx))],
    ["fullPemToPkcs12Pass", fn(["string", "string", "string"], ([c, k, p], ctx) => toPkcs12(c as string, k as string, p as string, true, ctx))],
    ["pemTruststoreToPKCS12", fn(["string"], ([c], ctx) => truststoreToPkcs12(c as string, "", ctx))],
    ["pemTruststoreToPKCS12Pass", fn(["string", "string"], ([c, p], ctx) => truststoreToPkcs12(c as string, p as string, ctx))],
    ["rsaDecrypt", fn(["string", "string", "string", "string"], ([scheme, hash, data, key]) => rsaDecrypt(scheme as string, hash as string, data as string, key as string))],
    ["jwkPublicKeyPem", s((x) => jwkKey(x, "public"))],
    ["jwkPrivateKeyPem", s((x) => jwkKey(x, "private"))],
  ]);
}

export { unmarshal };
