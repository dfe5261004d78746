// Certificates the way Go's x509.CreateCertificate builds Sprig's templates: v3, CN-only
// subject, KeyUsage, ExtKeyUsage, BasicConstraints, SubjectKeyId (CAs, truncated SHA-256 as in
// Go 1.24+), AuthorityKeyId from the parent, SANs; signed with node:crypto.
import { type KeyObject, X509Certificate, createHash, createPublicKey, sign } from "node:crypto";
import { TAG, children, der, oid, readDer, seq } from "./der.ts";

export class CertificateError extends Error {}

export interface CertTemplate {
  serial: bigint;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  dnsNames: string[];
  /** 4 or 16 bytes each. */
  ips: Uint8Array[];
}

export interface Parent {
  /** DER of the parent's subject Name. */
  subject: Uint8Array;
  subjectKeyId: Uint8Array | undefined;
  /** SubjectPublicKeyInfo DER of the parent, to check the signing key against. */
  spki: Uint8Array;
}

function bigInteger(n: bigint): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  let bytes = Buffer.from(hex, "hex");
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return der(TAG.INTEGER, bytes);
}

const bitString = (bytes: Uint8Array, unused = 0): Uint8Array => der(0x03, Buffer.of(unused), bytes);
const boolTrue = (): Uint8Array => der(0x01, Buffer.of(0xff));
const octetString = (b: Uint8Array): Uint8Array => der(TAG.OCTET_STRING, b);

/** encoding/asn1's PrintableString test (with '*' allowed, as Go's marshaller does). */
function isPrintable(s: string): boolean {
  return /^[A-Za-z0-9 '()+,\-./:=?*]*$/.test(s);
}

/** pkix.Name{CommonName: cn} as Go marshals it; an empty name is an empty SEQUENCE. */
export function commonNameDer(cn: string): Uint8Array {
  if (cn === "") return seq();
  const value = isPrintable(cn) ? der(0x13, Buffer.from(cn, "latin1")) : der(0x0c, Buffer.from(cn, "utf8"));
  return seq(der(TAG.SET, seq(oid("2.5.4.3"), value)));
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds. */
function asn1Time(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  const rest = p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + "Z";
  if (y >= 1950 && y < 2050) return der(0x17, Buffer.from(p(y % 100) + rest, "ascii"));
  return der(0x18, Buffer.from(p(y, 4) + rest, "ascii"));
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), boolTrue(), octetString(value)) : seq(oid(id), octetString(value));
}

/** The BIT STRING contents of a SubjectPublicKeyInfo (what key ids hash). */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  const parts = children(readDer(spki).node);
  const bits = parts[1];
  if (bits === undefined) throw new CertificateError("x509: malformed public key");
  return bits.body.subarray(1);
}

interface SigningParams {
  algorithm: Uint8Array;
  hash: string | null;
}

function signingParams(key: KeyObject): SigningParams {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return { algorithm: seq(oid("1.2.840.113549.1.1.11"), der(TAG.NULL)), hash: "sha256" };
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === "secp384r1") return { algorithm: seq(oid("1.2.840.10045.4.3.3")), hash: "sha384" };
      if (curve === "secp521r1") return { algorithm: seq(oid("1.2.840.10045.4.3.4")), hash: "sha512" };
      return { algorithm: seq(oid("1.2.840.10045.4.3.2")), hash: "sha256" };
    }
    case "ed25519":
      return { algorithm: seq(oid("1.3.101.112")), hash: null };
    default:
      throw new CertificateError("x509: certificate private key does not implement crypto.Signer");
  }
}

/** x509.CreateCertificate(rand, template, parent, pub, priv); parent undefined means self-signed. */
export function createCertificate(template: CertTemplate, publicKey: KeyObject, signer: KeyObject, parent: Parent | undefined): Uint8Array {
  const params = signingParams(signer);
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const subject = commonNameDer(template.commonName);
  const issuer = parent?.subject ?? subject;
  const sameName = Buffer.from(issuer).equals(Buffer.from(subject));
  const authorityKeyId = !sameName && parent?.subjectKeyId !== undefined && parent.subjectKeyId.length > 0 ? parent.subjectKeyId : undefined;
  const subjectKeyId = template.isCA ? createHash("sha256").update(publicKeyBits(spki)).digest().subarray(0, 20) : undefined;
  if (parent !== undefined) {
    const signerSpki = createPublicKey(signer).export({ type: "spki", format: "der" });
    if (!signerSpki.equals(Buffer.from(parent.spki))) throw new CertificateError("x509: provided PrivateKey doesn't match parent's PublicKey");
  }

  const exts: Uint8Array[] = [];
  // KeyUsage: digitalSignature | keyEncipherment (| keyCertSign), bits in a trimmed BIT STRING.
  exts.push(extension("2.5.29.15", true, template.isCA ? bitString(Buffer.of(0xa4), 2) : bitString(Buffer.of(0xa0), 5)));
  exts.push(extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.3.6.1.5.5.7.3.2"))));
  exts.push(extension("2.5.29.19", true, template.isCA ? seq(boolTrue()) : seq()));
  if (subjectKeyId !== undefined) exts.push(extension("2.5.29.14", false, octetString(subjectKeyId)));
  if (authorityKeyId !== undefined) exts.push(extension("2.5.29.35", false, seq(der(0x80, authorityKeyId))));
  if (template.dnsNames.length > 0 || template.ips.length > 0) {
    const names = [...template.dnsNames.map((n) => der(0x82, Buffer.from(n, "utf8"))), ...template.ips.map((ip) => der(0x87, ip))];
    exts.push(extension("2.5.29.17", subject.length === 2, seq(...names)));
  }

  const tbs = seq(
    der(TAG.CONTEXT0, der(TAG.INTEGER, Buffer.of(2))),
    bigInteger(template.serial),
    params.algorithm,
    issuer,
    seq(asn1Time(template.notBefore), asn1Time(template.notAfter)),
    subject,
    spki,
    der(0xa3, seq(...exts)),
  );
  const signature = sign(params.hash, tbs, signer);
  return seq(tbs, params.algorithm, bitString(signature));
}

/** What createCertificate needs of a parent certificate. */
export function parentOf(certDer: Uint8Array): Parent {
  const cert = new X509Certificate(certDer);
  const tbs = children(readDer(certDer).node)[0];
  if (tbs === undefined) throw new CertificateError("x509: malformed certificate");
  const fields = children(tbs);
  // version [0] is present in v3 certificates: serial, sigAlg, issuer, validity, subject follow.
  const offset = fields[0]?.tag === TAG.CONTEXT0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (subject === undefined) throw new CertificateError("x509: malformed certificate");
  return {
    subject: subject.full,
    subjectKeyId: subjectKeyIdOf(fields),
    spki: new Uint8Array(cert.publicKey.export({ type: "spki", format: "der" })),
  };
}

function subjectKeyIdOf(fields: ReturnType<typeof children>): Uint8Array | undefined {
  const extsNode = fields.find((f) => f.tag === 0xa3);
  if (extsNode === undefined) return undefined;
  const list = children(extsNode)[0];
  if (list === undefined) return undefined;
  const skidOid = Buffer.from(oid("2.5.29.14"));
  for (const ext of children(list)) {
    const parts = children(ext);
    if (parts[0] !== undefined && Buffer.from(parts[0].full).equals(skidOid)) {
      const value = parts[parts.length - 1];
      if (value === undefined) return undefined;
      return readDer(value.body).node.body;
    }
  }
  return undefined;
}
