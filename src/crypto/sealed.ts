// The Sealed Secrets value format (wire-compatible with bitnami-labs/sealed-secrets pkg/crypto):
//
//   uint16 big-endian len(rsa) ‖ RSA-OAEP-SHA256(sessionKey, label = scope) ‖ AES-256-GCM(plaintext) ‖ tag
//
// The 32-byte session key is used for exactly one value, so the GCM nonce is 12 zero bytes.
// Bytes in, bytes out: no kube, no files. Randomness is injectable so tests are deterministic;
// the OAEP encoding is done here (RFC 8017 §7.1.1) for that reason, and the raw RSA operation by
// OpenSSL. Decryption, where constant-time unpadding matters, is OpenSSL's OAEP end to end.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  publicEncrypt,
  privateDecrypt,
  randomBytes,
  webcrypto,
  type KeyObject,
} from "node:crypto";
import { CryptoError } from "./errors.ts";

/** Returns `length` fresh random bytes. */
export type RandomSource = (length: number) => Uint8Array;

export const SESSION_KEY_BYTES = 32;
const GCM_NONCE = new Uint8Array(12);
const GCM_TAG_BYTES = 16;
const SHA256_BYTES = 32;

const systemRandom: RandomSource = (length) => randomBytes(length);

export interface EncryptOptions {
  /** The sealing certificate's RSA public key. */
  publicKey: KeyObject;
  plaintext: Uint8Array;
  /** The scope label (see scope.ts). */
  label: Uint8Array;
  /** Defaults to node:crypto randomBytes. Read twice: the session key, then the OAEP seed. */
  random?: RandomSource;
}

export interface DecryptOptions {
  /** Every key that may have sealed the value; each is tried in turn (the format has no key id). */
  privateKeys: readonly KeyObject[];
  ciphertext: Uint8Array;
  label: Uint8Array;
}

export interface Decrypted {
  plaintext: Uint8Array;
  /** Index into `privateKeys` of the key that opened the value. */
  keyIndex: number;
}

/** The RSA modulus size in bytes, or throws for a non-RSA key. */
export function rsaModulusBytes(key: KeyObject): number {
  if (key.asymmetricKeyType !== "rsa") {
    throw new CryptoError("CertificateNotRsa", `expected an RSA key, got ${key.asymmetricKeyType ?? "a secret key"}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) throw new CryptoError("InvalidPrivateKey", "RSA key without a modulus length");
  return Math.ceil(bits / 8);
}

function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

/** MGF1 with SHA-256 (RFC 8017 B.2.1); intermediate blocks are zeroed (the mask hides key bytes). */
export function mgf1(seed: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let offset = 0, i = 0; offset < length; offset += SHA256_BYTES, i++) {
    counter.writeUInt32BE(i);
    const block = sha256(Buffer.concat([seed, counter]));
    block.copy(out, offset);
    block.fill(0);
  }
  return out;
}

function take(random: RandomSource, length: number): Uint8Array {
  const bytes = random(length);
  if (bytes.length !== length) throw new Error(`random source returned ${bytes.length} bytes, wanted ${length}`);
  return bytes;
}

/** EME-OAEP encoding with SHA-256 for the hash and MGF1 (RFC 8017 §7.1.1 step 2). */
export function oaepEncode(message: Uint8Array, label: Uint8Array, modulusBytes: number, seed: Uint8Array): Buffer {
  const dbLength = modulusBytes - SHA256_BYTES - 1;
  const psLength = modulusBytes - message.length - 2 * SHA256_BYTES - 2;
  if (psLength < 0) throw new Error(`message too long for a ${modulusBytes * 8}-bit RSA key`);
  if (seed.length !== SHA256_BYTES) throw new Error("OAEP seed must be 32 bytes");
  const db = Buffer.alloc(dbLength);
  sha256(label).copy(db, 0);
  db[SHA256_BYTES + psLength] = 0x01;
  Buffer.from(message).copy(db, SHA256_BYTES + psLength + 1);
  const dbMask = mgf1(seed, dbLength);
  for (let i = 0; i < dbLength; i++) db[i] = (db[i] ?? 0) ^ (dbMask[i] ?? 0);
  const seedMask = mgf1(db, SHA256_BYTES);
  const maskedSeed = Buffer.alloc(SHA256_BYTES);
  for (let i = 0; i < SHA256_BYTES; i++) maskedSeed[i] = (seed[i] ?? 0) ^ (seedMask[i] ?? 0);
  return Buffer.concat([Buffer.of(0), maskedSeed, db]);
}

/** Seals one value. Pure apart from `random`. */
export function hybridEncrypt(opts: EncryptOptions): Uint8Array {
  const random = opts.random ?? systemRandom;
  const k = rsaModulusBytes(opts.publicKey);
  if (k > 0xffff) throw new Error("RSA key too large for the 2-byte length prefix");
  const sessionKey = take(random, SESSION_KEY_BYTES);
  const encoded = oaepEncode(sessionKey, opts.label, k, take(random, SHA256_BYTES));
  const rsaCiphertext = publicEncrypt({ key: opts.publicKey, padding: constants.RSA_NO_PADDING }, encoded);

  const cipher = createCipheriv("aes-256-gcm", sessionKey, GCM_NONCE);
  const body = cipher.update(opts.plaintext);
  const final = cipher.final();
  const tag = cipher.getAuthTag();

  const out = Buffer.allocUnsafe(2 + rsaCiphertext.length + body.length + final.length + tag.length);
  out.writeUInt16BE(rsaCiphertext.length, 0);
  let at = 2;
  for (const part of [rsaCiphertext, body, final, tag]) {
    part.copy(out, at);
    at += part.length;
  }
  return out;
}

interface Split {
  rsaCiphertext: Uint8Array;
  aesCiphertext: Uint8Array;
}

/** Splits a value into its RSA and AES parts, with a precise error for malformed framing. */
export function splitCiphertext(ciphertext: Uint8Array): Split {
  if (ciphertext.length < 2) {
    throw new CryptoError("CiphertextTooShort", `value is ${ciphertext.length} bytes, too short for the 2-byte length prefix`);
  }
  const rsaLength = ((ciphertext[0] ?? 0) << 8) | (ciphertext[1] ?? 0);
  if (ciphertext.length < rsaLength + 2) {
    throw new CryptoError(
      "LengthPrefixOverrun",
      `length prefix says ${rsaLength} bytes of RSA ciphertext but only ${ciphertext.length - 2} follow`,
    );
  }
  const aesCiphertext = ciphertext.subarray(rsaLength + 2);
  if (aesCiphertext.length < GCM_TAG_BYTES) {
    throw new CryptoError(
      "CiphertextTooShort",
      `value has ${aesCiphertext.length} bytes after the RSA block, fewer than the 16-byte AES-GCM tag`,
    );
  }
  return { rsaCiphertext: ciphertext.subarray(2, rsaLength + 2), aesCiphertext };
}

function openAesGcm(sessionKey: Uint8Array, aesCiphertext: Uint8Array): Uint8Array | undefined {
  if (sessionKey.length !== SESSION_KEY_BYTES) return undefined;
  const tagAt = aesCiphertext.length - GCM_TAG_BYTES;
  try {
    const decipher = createDecipheriv("aes-256-gcm", sessionKey, GCM_NONCE);
    decipher.setAuthTag(aesCiphertext.subarray(tagAt));
    const head = decipher.update(aesCiphertext.subarray(0, tagAt));
    return Buffer.concat([head, decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Opens one value with the first key (and the given label) that works. */
export function hybridDecrypt(opts: DecryptOptions): Decrypted {
  if (opts.privateKeys.length === 0) throw new CryptoError("NoPrivateKeys", "no private key to decrypt with");
  const { rsaCiphertext, aesCiphertext } = splitCiphertext(opts.ciphertext);
  const sizes = new Set<number>();
  for (const [keyIndex, key] of opts.privateKeys.entries()) {
    const k = rsaModulusBytes(key);
    sizes.add(k);
    if (rsaCiphertext.length !== k) continue;
    let sessionKey: Buffer;
    try {
      sessionKey = privateDecrypt(
        { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: opts.label },
        rsaCiphertext,
      );
    } catch {
      continue;
    }
    const plaintext = openAesGcm(sessionKey, aesCiphertext);
    if (plaintext !== undefined) return { plaintext, keyIndex };
  }
  if (!sizes.has(rsaCiphertext.length)) {
    const want = [...sizes].map((n) => `${n} (RSA-${n * 8})`).join(" or ");
    throw new CryptoError(
      "WrongRsaBlockSize",
      `RSA block is ${rsaCiphertext.length} bytes but the keys take ${want}`,
    );
  }
  throw new CryptoError(
    "NoKeyCouldDecrypt",
    `no key could decrypt the value (tried ${opts.privateKeys.length} key(s); wrong key, wrong scope label, or corrupted data)`,
  );
}

/** An RSA private key for the thread-pool path: node's WebCrypto runs OAEP off the event loop. */
export interface ThreadPoolRsaKey {
  key: webcrypto.CryptoKey;
  modulusBytes: number;
}

export function threadPoolRsaKey(key: KeyObject): ThreadPoolRsaKey {
  return { key: key.toCryptoKey({ name: "RSA-OAEP", hash: "SHA-256" }, false, ["decrypt"]), modulusBytes: rsaModulusBytes(key) };
}

/**
 * hybridDecrypt's success path with the RSA operation on libuv's thread pool (WebCrypto's
 * RSA-OAEP is the same OpenSSL call as privateDecrypt, and costs the same CPU). `opened` is absent
 * when no key opens the value; hybridDecrypt then tells why. `rsaOps` counts private operations.
 */
export async function hybridDecryptOnThreadPool(keys: readonly ThreadPoolRsaKey[], label: Uint8Array, ciphertext: Uint8Array): Promise<{ opened?: Decrypted; rsaOps: number }> {
  let rsaOps = 0;
  let split: Split;
  try {
    split = splitCiphertext(ciphertext);
  } catch {
    return { rsaOps };
  }
  for (const [keyIndex, key] of keys.entries()) {
    if (split.rsaCiphertext.length !== key.modulusBytes) continue;
    rsaOps++;
    let sessionKey: Uint8Array;
    try {
      sessionKey = new Uint8Array(await webcrypto.subtle.decrypt({ name: "RSA-OAEP", label }, key.key, split.rsaCiphertext));
    } catch {
      continue;
    }
    const plaintext = openAesGcm(sessionKey, split.aesCiphertext);
    sessionKey.fill(0);
    if (plaintext !== undefined) return { opened: { plaintext, keyIndex }, rsaOps };
  }
  return { rsaOps };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (padding required), as Go's base64.StdEncoding; CR and LF are ignored like Go does. */
export function decodeBase64Strict(text: string): Uint8Array {
  const compact = text.replace(/[\r\n]/g, "");
  if (!BASE64.test(compact)) {
    throw new CryptoError("InvalidBase64", "is not valid standard base64");
  }
  return Buffer.from(compact, "base64");
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Seals a value and returns it as it appears in `spec.encryptedData`. */
export function sealValue(opts: EncryptOptions): string {
  return encodeBase64(hybridEncrypt(opts));
}

/** Opens a value as it appears in `spec.encryptedData`. */
export function unsealValue(opts: Omit<DecryptOptions, "ciphertext"> & { value: string }): Decrypted {
  return hybridDecrypt({ privateKeys: opts.privateKeys, label: opts.label, ciphertext: decodeBase64Strict(opts.value) });
}
