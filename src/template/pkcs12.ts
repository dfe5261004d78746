// PKCS#12 as ESO's template helpers use it (software.sslmate.com/src/go-pkcs12 v0.7.0):
// DecodeChain, Modern.Encode and Modern.EncodeTrustStore. Bytes in, bytes out; randomness is
// passed in, so a fixed stream reproduces go-pkcs12's output byte for byte.
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2Sync } from "node:crypto";
import forge from "node-forge";
import {
  DerError, type DerNode, TAG, children, der, expect, explicit0, intValue, integer, octets, oid, oidToString, readOne, seq, setOf,
} from "./der.ts";

export class Pkcs12Error extends Error {}

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
  friendlyName: "1.2.840.113549.1.9.20",
  javaTrustStore: "2.16.840.1.113894.746875.1.1",
  anyExtendedKeyUsage: "2.5.29.37.0",
  pbeSha3Des: "1.2.840.113549.1.12.1.3",
  pbeSha128Rc2: "1.2.840.113549.1.12.1.5",
  pbeSha40Rc2: "1.2.840.113549.1.12.1.6",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacSha1: "1.2.840.113549.2.7",
  hmacSha256: "1.2.840.113549.2.9",
  hmacSha512: "1.2.840.113549.2.11",
  aes128: "2.16.840.1.101.3.4.1.2",
  aes192: "2.16.840.1.101.3.4.1.22",
  aes256: "2.16.840.1.101.3.4.1.42",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha512: "2.16.840.1.101.3.4.2.3",
  pbmac1: "1.2.840.113549.1.5.14",
} as const;

const ErrIncorrectPassword = "pkcs12: decryption password incorrect";
const ErrDecryption = "pkcs12: decryption error, incorrect padding";
const notImplemented = (what: string): Pkcs12Error => new Pkcs12Error(`pkcs12: ${what} (not implemented)`);

/** bmpStringZeroTerminated: UCS-2 big-endian plus a terminating zero. */
export function bmpPassword(password: string): Uint8Array {
  const out: number[] = [];
  for (const ch of password) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp > 0xffff) throw new Pkcs12Error("pkcs12: string contains characters that cannot be encoded in UCS-2");
    // A lone surrogate is how the engine keeps a non-UTF-8 byte; Go reads it as U+FFFD.
    const u = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
    out.push(u >> 8, u & 0xff);
  }
  out.push(0, 0);
  return Uint8Array.from(out);
}

function bmpToUtf8(bmp: Uint8Array): Uint8Array {
  let s = "";
  for (let i = 0; i + 1 < bmp.length; i += 2) {
    const u = ((bmp[i] ?? 0) << 8) | (bmp[i + 1] ?? 0);
    if (u === 0 && i + 2 >= bmp.length) break;
    s += String.fromCharCode(u);
  }
  return new Uint8Array(Buffer.from(s, "utf8"));
}

/** RFC 7292 appendix B.2 key derivation. */
function pkcs12Kdf(alg: "sha1" | "sha256" | "sha512", salt: Uint8Array, password: Uint8Array, iterations: number, id: number, size: number): Uint8Array {
  const u = alg === "sha1" ? 20 : alg === "sha256" ? 32 : 64;
  const v = alg === "sha512" ? 128 : 64;
  const fill = (b: Uint8Array): Uint8Array => {
    if (b.length === 0) return new Uint8Array();
    const n = v * Math.ceil(b.length / v);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = b[i % b.length] ?? 0;
    return out;
  };
  const D = new Uint8Array(v).fill(id);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const c = Math.ceil(size / u);
  const A: Buffer[] = [];
  for (let i = 0; i < c; i++) {
    let Ai = createHash(alg).update(D).update(I).digest();
    for (let j = 1; j < iterations; j++) Ai = createHash(alg).update(Ai).digest();
    A.push(Ai);
    if (i === c - 1) break;
    const B = new Uint8Array(v);
    for (let k = 0; k < v; k++) B[k] = Ai[k % u] ?? 0;
    for (let off = 0; off < I.length; off += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (I[off + k] ?? 0) + (B[k] ?? 0) + carry;
        I[off + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(A).subarray(0, size);
}

interface Cipher {
  algorithm: string;
  key: Uint8Array;
  iv: Uint8Array;
  blockSize: number;
}

function algorithmOf(alg: DerNode): { oid: string; params: DerNode | undefined } {
  const [o, params] = children(expect(alg, TAG.SEQUENCE, "algorithm identifier"));
  return { oid: oidToString(expect(o, TAG.OID, "algorithm oid").body), params };
}

function pbeCipher(alg: DerNode, password: Uint8Array): Cipher {
  const { oid: id, params } = algorithmOf(alg);
  if (id === OID.pbes2) return pbes2Cipher(params, bmpToUtf8(password));
  const spec = id === OID.pbeSha3Des ? { algorithm: "des-ede3-cbc", keyLen: 24 }
    : id === OID.pbeSha128Rc2 ? { algorithm: "rc2", keyLen: 16 }
    : id === OID.pbeSha40Rc2 ? { algorithm: "rc2", keyLen: 5 }
    : undefined;
  if (spec === undefined) throw notImplemented(`pbe algorithm ${id} is not supported`);
  const [salt, iter] = children(expect(params, TAG.SEQUENCE, "pbe params"));
  const s = expect(salt, TAG.OCTET_STRING, "pbe salt").body;
  const n = intValue(expect(iter, TAG.INTEGER, "pbe iterations"));
  return { algorithm: spec.algorithm, key: pkcs12Kdf("sha1", s, password, n, 1, spec.keyLen), iv: pkcs12Kdf("sha1", s, password, n, 2, 8), blockSize: 8 };
}

function pbes2Cipher(params: DerNode | undefined, password: Uint8Array): Cipher {
  const [kdf, enc] = children(expect(params, TAG.SEQUENCE, "pbes2 params"));
  const k = algorithmOf(expect(kdf, TAG.SEQUENCE, "pbes2 kdf"));
  if (k.oid !== OID.pbkdf2) throw notImplemented(`pbes2 kdf algorithm ${k.oid} is not supported`);
  const kp = children(expect(k.params, TAG.SEQUENCE, "pbkdf2 params"));
  const salt = kp[0];
  if (salt?.tag !== TAG.OCTET_STRING) throw notImplemented("only octet string salts are supported for pbes2/pbkdf2");
  const iterations = intValue(expect(kp[1], TAG.INTEGER, "pbkdf2 iterations"));
  const prfNode = kp.slice(2).find((c) => c.tag === TAG.SEQUENCE);
  const prf = prfNode === undefined ? OID.hmacSha1 : algorithmOf(prfNode).oid;
  const digest = prf === OID.hmacSha256 ? "sha256" : prf === OID.hmacSha512 ? "sha512" : prf === OID.hmacSha1 ? "sha1" : undefined;
  if (digest === undefined) throw notImplemented(`pbes2 prf ${prf} is not supported`);
  const e = algorithmOf(expect(enc, TAG.SEQUENCE, "pbes2 encryption scheme"));
  const keyLen = e.oid === OID.aes256 ? 32 : e.oid === OID.aes192 ? 24 : e.oid === OID.aes128 ? 16 : undefined;
  if (keyLen === undefined) throw notImplemented(`pbes2 algorithm ${e.oid} is not supported`);
  return {
    algorithm: `aes-${keyLen * 8}-cbc`,
    key: pbkdf2Sync(password, salt.body, iterations, keyLen, digest),
    iv: e.params?.body ?? new Uint8Array(),
    blockSize: 16,
  };
}

function cbc(c: Cipher, data: Uint8Array, decrypt: boolean): Uint8Array {
  if (c.algorithm === "rc2") {
    // node's OpenSSL has RC2 only in the legacy provider; node-forge has it.
    const cipher = decrypt
      ? forge.rc2.createDecryptionCipher(forge.util.createBuffer(Buffer.from(c.key).toString("binary")), c.key.length * 8)
      : forge.rc2.createEncryptionCipher(forge.util.createBuffer(Buffer.from(c.key).toString("binary")), c.key.length * 8);
    cipher.start(forge.util.createBuffer(Buffer.from(c.iv).toString("binary")));
    cipher.update(forge.util.createBuffer(Buffer.from(data).toString("binary")));
    cipher.finish(() => true);
    return new Uint8Array(Buffer.from(cipher.output.getBytes(), "binary"));
  }
  const f = decrypt ? createDecipheriv(c.algorithm, c.key, c.iv) : createCipheriv(c.algorithm, c.key, c.iv);
  f.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([f.update(data), f.final()]));
}

function pbDecrypt(alg: DerNode, encrypted: Uint8Array, password: Uint8Array): Uint8Array {
  const c = pbeCipher(alg, password);
  if (encrypted.length === 0) throw new Pkcs12Error("pkcs12: empty encrypted data");
  if (encrypted.length % c.blockSize !== 0) throw new Pkcs12Error("pkcs12: input is not a multiple of the block size");
  let out: Uint8Array;
  try {
    out = cbc(c, encrypted, true);
  } catch {
    throw new Pkcs12Error(ErrDecryption);
  }
  const ps = out[out.length - 1] ?? 0;
  if (ps === 0 || ps > c.blockSize || out.length < ps) throw new Pkcs12Error(ErrDecryption);
  for (let i = out.length - ps; i < out.length; i++) if (out[i] !== ps) throw new Pkcs12Error(ErrDecryption);
  return out.subarray(0, out.length - ps);
}

function mac(macAlg: string, salt: Uint8Array, iterations: number, message: Uint8Array, password: Uint8Array): Uint8Array {
  const digest = macAlg === OID.sha1 ? "sha1" : macAlg === OID.sha256 ? "sha256" : macAlg === OID.sha512 ? "sha512" : undefined;
  if (macAlg === OID.pbmac1) throw notImplemented("PBMAC1 is not supported");
  if (digest === undefined) throw notImplemented(`MAC digest algorithm not supported: ${macAlg}`);
  const size = digest === "sha1" ? 20 : digest === "sha256" ? 32 : 64;
  const key = pkcs12Kdf(digest, salt, password, iterations, 3, size);
  return new Uint8Array(createHmac(digest, key).update(message).digest());
}

interface SafeBag {
  id: string;
  value: DerNode;
}

function safeContents(pfxData: Uint8Array, password: Uint8Array, min: number, max: number): { bags: SafeBag[]; password: Uint8Array } {
  let pfx: DerNode[];
  let authSafeBytes: Uint8Array;
  let authSafeType: string;
  try {
    pfx = children(expect(readOne(pfxData), TAG.SEQUENCE, "pfx"));
    const ci = children(expect(pfx[1], TAG.SEQUENCE, "authSafe"));
    authSafeType = oidToString(expect(ci[0], TAG.OID, "content type").body);
    authSafeBytes = new Uint8Array();
    if (intValue(expect(pfx[0], TAG.INTEGER, "version")) !== 3) throw notImplemented("can only decode v3 PFX PDU's");
    if (authSafeType !== OID.data) throw notImplemented("only password-protected PFX is implemented");
    authSafeBytes = expect(readOne(expect(ci[1], TAG.CONTEXT0, "content").body), TAG.OCTET_STRING, "content").body;
  } catch (e) {
    if (e instanceof DerError) throw new Pkcs12Error(`pkcs12: error reading P12 data: ${e.message}`);
    throw e;
  }
  let pw = password;
  const macData = pfx[2];
  const emptyPassword = pw.length === 2 && pw[0] === 0 && pw[1] === 0;
  if (macData === undefined) {
    if (!emptyPassword) throw new Pkcs12Error("pkcs12: no MAC in data");
  } else {
    const [digestInfo, saltNode, iterNode] = children(expect(macData, TAG.SEQUENCE, "macData"));
    const [algNode, digestNode] = children(expect(digestInfo, TAG.SEQUENCE, "digestInfo"));
    const macAlg = algorithmOf(expect(algNode, TAG.SEQUENCE, "mac algorithm")).oid;
    const salt = expect(saltNode, TAG.OCTET_STRING, "mac salt").body;
    const iterations = iterNode === undefined ? 1 : intValue(iterNode);
    const want = Buffer.from(expect(digestNode, TAG.OCTET_STRING, "mac digest").body);
    let ok = want.equals(mac(macAlg, salt, iterations, authSafeBytes, pw));
    if (!ok && emptyPassword) {
      // some implementations use an empty byte array for the empty password
      pw = new Uint8Array();
      ok = want.equals(mac(macAlg, salt, iterations, authSafeBytes, pw));
    }
    if (!ok) throw new Pkcs12Error(ErrIncorrectPassword);
  }
  const authenticatedSafe = children(readOne(authSafeBytes));
  if (authenticatedSafe.length < min || authenticatedSafe.length > max) {
    throw notImplemented(min === max
      ? `expected exactly ${min} items in the authenticated safe, but this file has ${authenticatedSafe.length}`
      : `expected between ${min} and ${max} items in the authenticated safe, but this file has ${authenticatedSafe.length}`);
  }
  const bags: SafeBag[] = [];
  for (const ciNode of authenticatedSafe) {
    const [typeNode, content] = children(ciNode);
    const type = oidToString(expect(typeNode, TAG.OID, "content type").body);
    const inner = readOne(expect(content, TAG.CONTEXT0, "content").body);
    let data: Uint8Array;
    if (type === OID.data) {
      data = expect(inner, TAG.OCTET_STRING, "data").body;
    } else if (type === OID.encryptedData) {
      const [version, eci] = children(expect(inner, TAG.SEQUENCE, "encryptedData"));
      if (intValue(expect(version, TAG.INTEGER, "version")) !== 0) throw notImplemented("only version 0 of EncryptedData is supported");
      const [, alg, encrypted] = children(expect(eci, TAG.SEQUENCE, "encryptedContentInfo"));
      data = pbDecrypt(expect(alg, TAG.SEQUENCE, "algorithm"), encrypted?.tag === 0x80 ? encrypted.body : new Uint8Array(), pw);
    } else {
      throw notImplemented("only data and encryptedData content types are supported in authenticated safe");
    }
    for (const bag of children(readOne(data))) {
      const [idNode, valueNode] = children(bag);
      bags.push({ id: oidToString(expect(idNode, TAG.OID, "bag id").body), value: readOne(expect(valueNode, TAG.CONTEXT0, "bag value").body) });
    }
  }
  return { bags, password: pw };
}

export interface DecodedChain {
  /** PKCS#8 DER of the private key as found (Go re-marshals it with MarshalPKCS8PrivateKey). */
  pkcs8: Uint8Array;
  cert: Uint8Array;
  caCerts: Uint8Array[];
}

/** go-pkcs12 DecodeChain. */
export function decodeChain(pfxData: Uint8Array, password: string): DecodedChain {
  let bags: SafeBag[];
  let pw: Uint8Array;
  try {
    ({ bags, password: pw } = safeContents(pfxData, bmpPassword(password), 1, 2));
  } catch (e) {
    if (e instanceof DerError) throw new Pkcs12Error(e.message);
    throw e;
  }
  let key: Uint8Array | undefined;
  let cert: Uint8Array | undefined;
  const caCerts: Uint8Array[] = [];
  for (const bag of bags) {
    if (bag.id === OID.certBag) {
      const [typeNode, dataNode] = children(bag.value);
      if (oidToString(expect(typeNode, TAG.OID, "cert type").body) !== OID.x509Certificate) throw notImplemented("only X509 certificates are supported in cert bags");
      const der = expect(readOne(expect(dataNode, TAG.CONTEXT0, "cert data").body), TAG.OCTET_STRING, "cert data").body;
      if (cert === undefined) cert = der;
      else caCerts.push(der);
    } else if (bag.id === OID.keyBag || bag.id === OID.shroudedKeyBag) {
      if (key !== undefined) throw new Pkcs12Error("pkcs12: expected exactly one key bag");
      if (bag.id === OID.keyBag) key = bag.value.full;
      else {
        const [alg, enc] = children(bag.value);
        try {
          key = pbDecrypt(expect(alg, TAG.SEQUENCE, "algorithm"), expect(enc, TAG.OCTET_STRING, "encrypted key").body, pw);
        } catch (e) {
          throw new Pkcs12Error(`pkcs12: error decrypting PKCS#8 shrouded key bag: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }
  if (cert === undefined) throw new Pkcs12Error("pkcs12: certificate missing");
  if (key === undefined) throw new Pkcs12Error("pkcs12: private key missing");
  return { pkcs8: key, cert, caCerts };
}

const algId = (id: string, params?: Uint8Array): Uint8Array => (params === undefined ? seq(oid(id)) : seq(oid(id), params));

/** Modern2023: PBES2 with PBKDF2-HMAC-SHA256 (2048 iterations) and AES-256-CBC. */
function pbes2Encrypt(rand: (n: number) => Uint8Array, data: Uint8Array, password: Uint8Array): { alg: Uint8Array; encrypted: Uint8Array } {
  const salt = rand(16);
  const iv = rand(16);
  const alg = algId(OID.pbes2, seq(algId(OID.pbkdf2, seq(octets(salt), integer(2048), algId(OID.hmacSha256))), algId(OID.aes256, octets(iv))));
  const c: Cipher = { algorithm: "aes-256-cbc", key: pbkdf2Sync(bmpToUtf8(password), salt, 2048, 32, "sha256"), iv, blockSize: 16 };
  const ps = 16 - (data.length % 16);
  return { alg, encrypted: cbc(c, Buffer.concat([data, new Uint8Array(ps).fill(ps)]), false) };
}

function certBag(der: Uint8Array, attributes: Uint8Array[]): Uint8Array {
  const bag = seq(oid(OID.x509Certificate), explicit0(octets(der)));
  // go-pkcs12 passes an empty, non-nil attribute slice for CA certificates: encoding/asn1 writes an empty SET.
  return seq(oid(OID.certBag), explicit0(bag), setOf(...attributes));
}

function encryptedSafe(rand: (n: number) => Uint8Array, bags: Uint8Array[], password: Uint8Array): Uint8Array {
  const { alg, encrypted } = pbes2Encrypt(rand, seq(...bags), password);
  const eci = seq(oid(OID.data), alg, der(0x80, encrypted));
  return seq(oid(OID.encryptedData), explicit0(seq(integer(0), eci)));
}

function pfx(rand: (n: number) => Uint8Array, authSafe: Uint8Array, password: Uint8Array): Uint8Array {
  const macSalt = rand(16);
  const digest = mac(OID.sha256, macSalt, 2048, authSafe, password);
  const macData = seq(seq(algId(OID.sha256), octets(digest)), octets(macSalt), integer(2048));
  return seq(integer(3), seq(oid(OID.data), explicit0(octets(authSafe))), macData);
}

/** go-pkcs12 Modern.Encode: the key (PKCS#8 DER) shrouded, the certificates in an encrypted safe. */
export function encodeModern(rand: (n: number) => Uint8Array, pkcs8: Uint8Array, cert: Uint8Array, caCerts: readonly Uint8Array[], password: string): Uint8Array {
  const pw = bmpPassword(password);
  const fingerprint = createHash("sha1").update(cert).digest();
  const localKeyId = seq(oid(OID.localKeyId), setOf(octets(fingerprint)));
  const shrouded = pbes2Encrypt(rand, pkcs8, pw);
  const keyBag = seq(oid(OID.shroudedKeyBag), explicit0(seq(shrouded.alg, octets(shrouded.encrypted))), setOf(localKeyId));
  const certs = [certBag(cert, [localKeyId]), ...caCerts.map((c) => certBag(c, []))];
  const authSafe = seq(encryptedSafe(rand, certs, pw), seq(oid(OID.data), explicit0(octets(seq(keyBag)))));
  return pfx(rand, authSafe, pw);
}

/** go-pkcs12 Modern.EncodeTrustStore: each certificate marked trusted for any purpose, named by its subject. */
export function encodeTrustStoreModern(rand: (n: number) => Uint8Array, certs: readonly { der: Uint8Array; friendlyName: string }[], password: string): Uint8Array {
  const pw = bmpPassword(password);
  const trust = seq(oid(OID.javaTrustStore), setOf(oid(OID.anyExtendedKeyUsage)));
  const bags = certs.map((c) => {
    const name = bmpPassword(c.friendlyName).subarray(0, -2);
    return certBag(c.der, [trust, seq(oid(OID.friendlyName), setOf(der(TAG.BMP_STRING, name)))]);
  });
  return pfx(rand, seq(encryptedSafe(rand, bags, pw)), pw);
}
