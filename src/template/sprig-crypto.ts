// Sprig v3.3.0's crypto.go beyond hashes: derivePassword (Master Password over scrypt),
// encryptAES/decryptAES (AES-256-CBC, PKCS#7, IV in front), genPrivateKey, and the certificate
// builders returning sprig's certificate{Cert, Key} struct.
import {
  type KeyObject, X509Certificate, createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey,
  generateKeyPairSync, scryptSync,
} from "node:crypto";
import { CorruptInputError, decodeStd } from "./base64.ts";
import { TAG, children, der, readOne, seq } from "./der.ts";
import { FuncError } from "./errors.ts";
import { type CallContext, type TemplateFunction, fn } from "./funcs.ts";
import { bytesToGoString, goStringToBytes } from "./gostring.ts";
import { pemDecode, pemEncode } from "./pem.ts";
import { formatValue } from "./printf.ts";
import { GoStruct, type Value, isSlice } from "./values.ts";
import { CertificateError, type Parent, createCertificate, parentOf } from "./x509-build.ts";

// ---- derivePassword ----

const SEED = "com.lyndir.masterpassword";
const PASSWORD_TEMPLATES: Record<string, string[]> = {
  maximum: ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
  long: ["CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv", "CvccCvcvCvcvno", "CvcvnoCvccCvcv",
    "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv",
    "CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc", "CvccCvcvCvccno"],
  medium: ["CvcnoCvc", "CvcCvcno"],
  short: ["Cvcn"],
  basic: ["aaanaaan", "aannaaan", "aaannaaa"],
  pin: ["nnnn"],
};
const TEMPLATE_CHARACTERS: Record<string, string> = {
  V: "AEIOU",
  C: "BCDFGHJKLMNPQRSTVWXYZ",
  v: "aeiou",
  c: "bcdfghjklmnpqrstvwxyz",
  A: "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
  a: "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
  n: "0123456789",
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
};

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

function derivePassword(counter: number, type: string, password: string, user: string, site: string, ctx: CallContext): string {
  const templates = Object.hasOwn(PASSWORD_TEMPLATES, type) ? PASSWORD_TEMPLATES[type] : undefined;
  if (templates === undefined) return `cannot find password template ${type}`;
  ctx.chargeCrypto();
  const userBytes = goStringToBytes(user);
  const siteBytes = goStringToBytes(site);
  const salt = Buffer.concat([Buffer.from(SEED), u32(userBytes.length), userBytes]);
  const key = scryptSync(goStringToBytes(password), salt, 64, { N: 32768, r: 8, p: 2, maxmem: 256 * 1024 * 1024 });
  const seed = createHmac("sha256", key).update(Buffer.concat([Buffer.from(SEED), u32(siteBytes.length), siteBytes, u32(counter)])).digest();
  const temp = templates[(seed[0] ?? 0) % templates.length] ?? "";
  let out = "";
  for (let i = 0; i < temp.length; i++) {
    const chars = TEMPLATE_CHARACTERS[temp[i] ?? ""] ?? "";
    out += chars[(seed[i + 1] ?? 0) % chars.length] ?? "";
  }
  return out;
}

// ---- AES ----

function aesKey(password: string): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(goStringToBytes(password)).copy(key, 0, 0, 32);
  return key;
}

function encryptAES(password: string, plaintext: string, ctx: CallContext): string {
  if (plaintext === "") return "";
  const iv = Buffer.from(ctx.randomBytes(16));
  const cipher = createCipheriv("aes-256-cbc", aesKey(password), iv);
  const body = Buffer.concat([cipher.update(goStringToBytes(plaintext)), cipher.final()]);
  return Buffer.concat([iv, body]).toString("base64");
}

function decryptAES(password: string, crypt64: string): string {
  if (crypt64 === "") return "";
  let crypt: Uint8Array;
  try {
    crypt = decodeStd(crypt64);
  } catch (e) {
    if (e instanceof CorruptInputError) throw new FuncError(e.message);
    throw e;
  }
  // Go slices the decode buffer, whose capacity is DecodedLen of the input.
  const capacity = Math.floor(crypt64.replace(/[\r\n]/g, "").length / 4) * 3;
  if (crypt.length < 16) throw new FuncError(`runtime error: slice bounds out of range [:16] with capacity ${capacity}`);
  const body = crypt.subarray(16);
  if (body.length % 16 !== 0) throw new FuncError("crypto/cipher: input not full blocks");
  if (body.length === 0) throw new FuncError("runtime error: index out of range [-1]");
  const decipher = createDecipheriv("aes-256-cbc", aesKey(password), crypt.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(body), decipher.final()]);
  const pad = plain[plain.length - 1] ?? 0;
  const end = plain.length - pad;
  // Sprig does not check the padding; a pad byte longer than the text is a slice panic.
  if (end < 0) throw new FuncError(`runtime error: slice bounds out of range [:${end}]`);
  return bytesToGoString(plain.subarray(0, end));
}

// ---- keys ----

interface DsaKey {
  p: bigint;
  q: bigint;
  g: bigint;
  y: bigint;
  x: bigint;
}

/** A parsed private key: a node KeyObject, or DSA numbers (Go cannot sign with those). */
type PrivateKey = { kind: "node"; key: KeyObject } | { kind: "dsa"; dsa: DsaKey };

function bigFromBytes(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt("0x" + Buffer.from(b).toString("hex"));
}

function intDer(n: bigint): Uint8Array {
  let hex = (n < 0n ? -n : n).toString(16);
  if (hex.length % 2) hex = "0" + hex;
  let b = Buffer.from(hex, "hex");
  if ((b[0] ?? 0) & 0x80) b = Buffer.concat([Buffer.of(0), b]);
  return der(TAG.INTEGER, b);
}

/** pemBlockForKey: PKCS#1 for RSA, SEC 1 for EC, the asn1 DSAKeyFormat for DSA, PKCS#8 otherwise. */
function keyPem(k: PrivateKey): string {
  if (k.kind === "dsa") {
    const { p, q, g, y, x } = k.dsa;
    return pemEncode("DSA PRIVATE KEY", seq(intDer(0n), intDer(p), intDer(q), intDer(g), intDer(y), intDer(x)));
  }
  switch (k.key.asymmetricKeyType) {
    case "rsa":
      return pemEncode("RSA PRIVATE KEY", k.key.export({ type: "pkcs1", format: "der" }));
    case "ec":
      return pemEncode("EC PRIVATE KEY", k.key.export({ type: "sec1", format: "der" }));
    default:
      return pemEncode("PRIVATE KEY", k.key.export({ type: "pkcs8", format: "der" }));
  }
}

function generateDsa(): DsaKey {
  const { privateKey, publicKey } = generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 });
  // PKCS#8: {version, {oid, {p, q, g}}, OCTET STRING {INTEGER x}}; SPKI: {{oid, params}, BIT STRING {INTEGER y}}.
  const info = children(readOne(privateKey.export({ type: "pkcs8", format: "der" })));
  const params = children(children(info[1] ?? readOne(seq()))[1] ?? readOne(seq()));
  const x = readOne(info[2]?.body ?? new Uint8Array()).body;
  const spki = children(readOne(publicKey.export({ type: "spki", format: "der" })));
  const y = readOne((spki[1]?.body ?? Uint8Array.of(0)).subarray(1)).body;
  const [p, q, g] = params.map((n) => bigFromBytes(n.body));
  return { p: p ?? 0n, q: q ?? 0n, g: g ?? 0n, y: bigFromBytes(y), x: bigFromBytes(x) };
}

function generatePrivateKey(type: string, ctx: CallContext): string {
  switch (type) {
    case "":
    case "rsa":
      ctx.chargeCrypto();
      return keyPem({ kind: "node", key: generateKeyPairSync("rsa", { modulusLength: 4096 }).privateKey });
    case "dsa":
      ctx.chargeCrypto();
      return keyPem({ kind: "dsa", dsa: generateDsa() });
    case "ecdsa":
      return keyPem({ kind: "node", key: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey });
    case "ed25519":
      return keyPem({ kind: "node", key: generateKeyPairSync("ed25519").privateKey });
    default:
      return "Unknown type " + type;
  }
}

function importKey(der: Uint8Array, type: "pkcs1" | "pkcs8" | "sec1", what: string): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: "der", type });
  } catch (e) {
    throw new FuncError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** sprig parsePrivateKeyPEM, errors worded like Go's. */
function parsePrivateKeyPem(pem: string): PrivateKey {
  const { block } = pemDecode(pem);
  if (block === undefined) throw new FuncError("no PEM data in input");
  if (block.type === "PRIVATE KEY") {
    const key = importKey(block.bytes, "pkcs8", "decoding PEM as PKCS#8");
    if (!["rsa", "ec", "ed25519"].includes(key.asymmetricKeyType ?? "")) {
      throw new FuncError("decoding PEM as PKCS#8: x509: PKCS#8 wrapping contained private key with unknown algorithm");
    }
    return { kind: "node", key };
  }
  if (!block.type.endsWith(" PRIVATE KEY")) throw new FuncError(`no private key data in PEM block of type ${block.type}`);
  switch (block.type.slice(0, -12)) {
    case "RSA":
      return { kind: "node", key: importKey(block.bytes, "pkcs1", "parsing RSA private key from PEM") };
    case "EC":
      return { kind: "node", key: importKey(block.bytes, "sec1", "parsing EC private key from PEM") };
    case "DSA": {
      try {
        const ints = children(readOne(block.bytes)).map((n) => {
          if (n.tag !== TAG.INTEGER) throw new Error("asn1: structure error");
          return bigFromBytes(n.body);
        });
        const [, p, q, g, y, x] = ints;
        if (x === undefined || p === undefined || q === undefined || g === undefined || y === undefined) throw new Error("asn1: syntax error: sequence truncated");
        return { kind: "dsa", dsa: { p, q, g, y, x } };
      } catch (e) {
        throw new FuncError(`parsing DSA private key from PEM: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    default:
      throw new FuncError(`invalid private key type ${block.type}`);
  }
}

// ---- certificates ----

function certificate(cert: string, key: string): GoStruct {
  return new GoStruct({ type: "sprig.certificate", fields: [["Cert", cert], ["Key", key]] });
}

/** net.ParseIP, then To4 where it applies: 4 bytes for IPv4 (and v4-mapped), else 16. */
export function parseIP(s: string): Uint8Array | undefined {
  const v4 = (t: string): number[] | undefined => {
    const parts = t.split(".");
    if (parts.length !== 4) return undefined;
    const out: number[] = [];
    for (const p of parts) {
      if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
      out.push(Number(p));
    }
    return out;
  };
  const four = v4(s);
  if (four) return Uint8Array.from(four);
  if (!s.includes(":") || s.includes("%")) return undefined;
  let text = s;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const t4 = v4(text.slice(lastColon + 1));
    if (!t4) return undefined;
    tail = t4;
    text = text.slice(0, lastColon + 1) + (text[lastColon - 1] === ":" ? "" : "0");
    if (text.endsWith(":0")) text = text.slice(0, -2);
    else if (text.endsWith("::")) {
      // "::1.2.3.4": the v4 part follows the elision
    }
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const group = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0] ?? "");
  const rest = halves.length === 2 ? group(halves[1] ?? "") : [];
  if (head === undefined || rest === undefined) return undefined;
  const want = 8 - tail.length / 2;
  let groups: number[];
  if (halves.length === 2) {
    if (head.length + rest.length >= want) return undefined;
    groups = [...head, ...new Array<number>(want - head.length - rest.length).fill(0), ...rest];
  } else {
    if (head.length !== want) return undefined;
    groups = head;
  }
  const bytes = [...groups.flatMap((g) => [g >> 8, g & 0xff]), ...tail];
  if (bytes.length !== 16) return undefined;
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return Uint8Array.from(bytes.slice(12));
  return Uint8Array.from(bytes);
}

interface BaseTemplate {
  serial: bigint;
  ips: Uint8Array[];
  dnsNames: string[];
}

/** getBaseCertTemplate's argument checks: IPs first, then DNS names. */
function baseTemplate(ips: Value, dns: Value, ctx: CallContext): BaseTemplate {
  const ipList: Uint8Array[] = [];
  for (const ip of isSlice(ips) ? ips : []) {
    if (typeof ip !== "string") throw new FuncError(`error parsing ip: ${formatValue(ip ?? null, "v")} is not a string`);
    const parsed = parseIP(ip);
    if (parsed === undefined) throw new FuncError(`error parsing ip: ${ip}`);
    ipList.push(parsed);
  }
  const names: string[] = [];
  for (const d of isSlice(dns) ? dns : []) {
    if (typeof d !== "string") throw new FuncError(`error processing alternate dns name: ${formatValue(d ?? null, "v")} is not a string`);
    names.push(d);
  }
  return { serial: bigFromBytes(ctx.randomBytes(16)), ips: ipList, dnsNames: names };
}

function nodeKey(k: PrivateKey): KeyObject | undefined {
  return k.kind === "node" ? k.key : undefined;
}

/** getCertAndKey: sign, then PEM the certificate and the signee's key. */
function certAndKey(cn: string, days: bigint, isCA: boolean, base: BaseTemplate, signee: PrivateKey, signer: PrivateKey, parent: Parent | undefined, ctx: CallContext): GoStruct {
  const signerKey = nodeKey(signer);
  try {
    if (signerKey === undefined) throw new CertificateError("x509: certificate private key does not implement crypto.Signer");
    const signeeKey = nodeKey(signee);
    if (signeeKey === undefined) throw new CertificateError("x509: unsupported public key type: *dsa.PublicKey");
    const now = ctx.now();
    const notAfter = new Date(now.getTime() + Number(days) * 86_400_000);
    const certDer = createCertificate(
      { serial: base.serial, commonName: cn, notBefore: now, notAfter, isCA, dnsNames: base.dnsNames, ips: base.ips },
      createPublicKey(signeeKey), signerKey, parent,
    );
    return certificate(pemEncode("CERTIFICATE", certDer), keyPem(signee));
  } catch (e) {
    if (e instanceof CertificateError) throw new FuncError(`error creating certificate: ${e.message}`);
    throw e;
  }
}

function newRsaKey(ctx: CallContext): PrivateKey {
  ctx.chargeCrypto();
  return { kind: "node", key: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey };
}

function withKeyPem(pem: string): PrivateKey {
  try {
    return parsePrivateKeyPem(pem);
  } catch (e) {
    if (e instanceof FuncError) throw new FuncError(`parsing private key: ${e.message}`);
    throw e;
  }
}

function genCA(cn: string, days: bigint, key: PrivateKey, ctx: CallContext): GoStruct {
  return certAndKey(cn, days, true, baseTemplate(null, null, ctx), key, key, undefined, ctx);
}

function genSelfSigned(cn: string, ips: Value, dns: Value, days: bigint, key: PrivateKey, ctx: CallContext): GoStruct {
  return certAndKey(cn, days, false, baseTemplate(ips, dns, ctx), key, key, undefined, ctx);
}

function genSigned(cn: string, ips: Value, dns: Value, days: bigint, ca: GoStruct, key: () => PrivateKey, ctx: CallContext): GoStruct {
  // Sprig makes (or parses) the new key before it looks at the CA.
  const signee = key();
  const caCert = ca.fields.get("Cert");
  const caKey = ca.fields.get("Key");
  const { block } = pemDecode(typeof caCert === "string" ? caCert : "");
  if (block === undefined) throw new FuncError("unable to decode certificate");
  let parent: Parent;
  try {
    parent = parentOf(block.bytes);
  } catch (e) {
    throw new FuncError(`error parsing certificate: decodedSignerCert.Bytes: ${e instanceof Error ? e.message : String(e)}`);
  }
  let signer: PrivateKey;
  try {
    signer = parsePrivateKeyPem(typeof caKey === "string" ? caKey : "");
  } catch (e) {
    if (e instanceof FuncError) throw new FuncError(`error parsing private key: ${e.message}`);
    throw e;
  }
  return certAndKey(cn, days, false, baseTemplate(ips, dns, ctx), signee, signer, parent, ctx);
}

function buildCustomCert(b64cert: string, b64key: string): GoStruct {
  let cert: Uint8Array;
  let key: Uint8Array;
  try {
    cert = decodeStd(b64cert);
  } catch {
    throw new FuncError("unable to decode base64 certificate");
  }
  try {
    key = decodeStd(b64key);
  } catch {
    throw new FuncError("unable to decode base64 private key");
  }
  const certText = bytesToGoString(cert);
  const keyText = bytesToGoString(key);
  const { block } = pemDecode(certText);
  if (block === undefined) throw new FuncError("unable to decode certificate");
  try {
    new X509Certificate(block.bytes);
  } catch (e) {
    throw new FuncError(`error parsing certificate: decodedCert.Bytes: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    parsePrivateKeyPem(keyText);
  } catch (e) {
    if (e instanceof FuncError) throw new FuncError(`error parsing private key: ${e.message}`);
    throw e;
  }
  return certificate(certText, keyText);
}

export function sprigCryptoFunctions(): [string, TemplateFunction][] {
  return [
    ["derivePassword", fn(["uint32", "string", "string", "string", "string"], ([c, t, p, u, s], ctx) =>
      derivePassword(Number(c), t as string, p as string, u as string, s as string, ctx))],
    ["encryptAES", fn(["string", "string"], ([p, t], ctx) => encryptAES(p as string, t as string, ctx))],
    ["decryptAES", fn(["string", "string"], ([p, c]) => decryptAES(p as string, c as string))],
    ["genPrivateKey", fn(["string"], ([t], ctx) => generatePrivateKey(t as string, ctx))],
    ["buildCustomCert", fn(["string", "string"], ([c, k]) => buildCustomCert(c as string, k as string))],
    ["genCA", fn(["string", "int"], ([cn, d], ctx) => genCA(cn as string, d as bigint, newRsaKey(ctx), ctx))],
    ["genCAWithKey", fn(["string", "int", "string"], ([cn, d, k], ctx) => genCA(cn as string, d as bigint, withKeyPem(k as string), ctx))],
    ["genSelfSignedCert", fn(["string", "slice", "slice", "int"], ([cn, ips, dns, d], ctx) =>
      genSelfSigned(cn as string, ips ?? null, dns ?? null, d as bigint, newRsaKey(ctx), ctx))],
    ["genSelfSignedCertWithKey", fn(["string", "slice", "slice", "int", "string"], ([cn, ips, dns, d, k], ctx) =>
      genSelfSigned(cn as string, ips ?? null, dns ?? null, d as bigint, withKeyPem(k as string), ctx))],
    ["genSignedCert", fn(["string", "slice", "slice", "int", "certificate"], ([cn, ips, dns, d, ca], ctx) =>
      genSigned(cn as string, ips ?? null, dns ?? null, d as bigint, ca as GoStruct, () => newRsaKey(ctx), ctx))],
    ["genSignedCertWithKey", fn(["string", "slice", "slice", "int", "certificate", "string"], ([cn, ips, dns, d, ca, k], ctx) =>
      genSigned(cn as string, ips ?? null, dns ?? null, d as bigint, ca as GoStruct, () => withKeyPem(k as string), ctx))],
  ];
}

