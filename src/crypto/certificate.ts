// Sealing certificates: generate a key and its self-signed certificate (as the controller does),
// parse a PEM certificate for sealing, and fingerprint it.
// RSA key generation and all RSA operations use node:crypto; node-forge only builds the X.509.
import { X509Certificate, createHash, createPrivateKey, generateKeyPair, randomBytes, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import forge from "node-forge";
import { CryptoError } from "./errors.ts";

const generateKeyPairAsync = promisify(generateKeyPair);

export const DEFAULT_KEY_BITS = 4096;
export const DEFAULT_COMMON_NAME = "sealed-secret";
/** Sealed Secrets' default certificate validity (its --key-ttl): ten years of 365 days. */
export const DEFAULT_VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;

export interface SealingKeyPair {
  /** PKCS#1 PEM ("RSA PRIVATE KEY"), as Sealed Secrets stores it in `tls.key`. */
  privateKeyPem: string;
  certificatePem: string;
  /** Hex SHA-256 of the certificate's DER. */
  fingerprint: string;
}

export interface GenerateOptions {
  now: Date;
  bits?: number;
  commonName?: string;
  validityMs?: number;
}

/** Generates an RSA key and a self-signed certificate shaped like Sealed Secrets' own. */
export async function generateSealingKeyPair(opts: GenerateOptions): Promise<SealingKeyPair> {
  const bits = opts.bits ?? DEFAULT_KEY_BITS;
  const { privateKey } = await generateKeyPairAsync("rsa", { modulusLength: bits, publicExponent: 0x10001 });
  const privateKeyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const certificatePem = selfSignedCertificatePem(privateKeyPem, {
    now: opts.now,
    commonName: opts.commonName ?? DEFAULT_COMMON_NAME,
    validityMs: opts.validityMs ?? DEFAULT_VALIDITY_MS,
  });
  return { privateKeyPem, certificatePem, fingerprint: certificateFingerprint(certificatePem) };
}

export interface CertificateOptions {
  now: Date;
  commonName: string;
  validityMs: number;
  /** 16 random bytes by default. */
  serial?: Uint8Array;
}

/** Builds and signs (SHA-256) a self-signed CA certificate for an existing RSA private key. */
export function selfSignedCertificatePem(privateKeyPem: string, opts: CertificateOptions): string {
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // A positive 128-bit serial: a leading zero byte keeps DER from reading it as negative.
  cert.serialNumber = "00" + Buffer.from(opts.serial ?? randomBytes(16)).toString("hex");
  cert.validity.notBefore = new Date(opts.now.getTime());
  cert.validity.notAfter = new Date(opts.now.getTime() + opts.validityMs);
  const name = [{ name: "commonName", value: opts.commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", encipherOnly: true, critical: true },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export interface SealingCertificate {
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  subject: string;
  /** Hex SHA-256 of the DER. */
  fingerprint: string;
  der: Uint8Array;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

function pemBlocks(pem: string): { type: string; body: string }[] {
  return [...pem.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1] ?? "", body: m[0] }));
}

/** The hex SHA-256 of a certificate's DER, from its PEM (first CERTIFICATE block) or DER bytes. */
export function certificateFingerprint(cert: string | Uint8Array): string {
  const der = typeof cert === "string" ? new X509Certificate(firstCertificateBlock(cert)).raw : cert;
  return createHash("sha256").update(der).digest("hex");
}

function firstCertificateBlock(pem: string): string {
  const block = pemBlocks(pem).find((b) => b.type === "CERTIFICATE");
  if (block === undefined) {
    throw new CryptoError("InvalidCertificate", "no PEM CERTIFICATE block found");
  }
  return block.body;
}

/**
 * Parses a sealing certificate the way kubeseal does: the first CERTIFICATE block counts, its key
 * must be RSA and it must not have expired at `now` (notBefore is not checked, like kubeseal).
 */
export function parseSealingCertificate(pem: string | Uint8Array, now: Date): SealingCertificate {
  const text = typeof pem === "string" ? pem : Buffer.from(pem).toString("latin1");
  const block = firstCertificateBlock(text);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(block);
  } catch {
    throw new CryptoError("InvalidCertificate", "the PEM CERTIFICATE block is not a valid X.509 certificate");
  }
  const publicKey = x509.publicKey;
  if (publicKey.asymmetricKeyType !== "rsa") {
    throw new CryptoError(
      "CertificateNotRsa",
      `certificate has a ${publicKey.asymmetricKeyType ?? "non-RSA"} public key; sealing needs RSA`,
    );
  }
  const notAfter = new Date(x509.validTo);
  if (now.getTime() > notAfter.getTime()) {
    throw new CryptoError(
      "CertificateExpired",
      `certificate expired on ${notAfter.toISOString().slice(0, 10)}; fetch the controller's current certificate`,
    );
  }
  return {
    publicKey,
    notBefore: new Date(x509.validFrom),
    notAfter,
    subject: x509.subject,
    fingerprint: createHash("sha256").update(x509.raw).digest("hex"),
    der: x509.raw,
  };
}

/** Parses an RSA private key PEM (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY"). */
export function parseRsaPrivateKeyPem(pem: string | Uint8Array): KeyObject {
  const text = typeof pem === "string" ? pem : Buffer.from(pem).toString("latin1");
  const block = pemBlocks(text).find((b) => b.type === "RSA PRIVATE KEY" || b.type === "PRIVATE KEY");
  if (block === undefined) {
    throw new CryptoError("InvalidPrivateKey", "no PEM RSA PRIVATE KEY or PRIVATE KEY block found");
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(block.body);
  } catch {
    throw new CryptoError("InvalidPrivateKey", `the PEM ${block.type} block is not a valid private key`);
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new CryptoError("InvalidPrivateKey", `private key is ${key.asymmetricKeyType ?? "not asymmetric"}, not RSA`);
  }
  return key;
}
