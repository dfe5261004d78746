// Why a Sealed Secrets value did not open with its own scope label: sealed to a key we do not hold,
// or with one of our keys for another label (an object renamed or moved after sealing), or ours but
// corrupt. RSA-OAEP tells these apart without knowing the label: the raw RSA private operation with
// the right key yields a block with OAEP's structure, where only the label hash differs; with a
// wrong key it yields noise.
//
// Only for diagnosis, after every key failed with the object's own label. The answer is a
// classification; the session key and the value never leave this module (both are zeroed).
//
// The structure check is deliberately strict, so that the classification is no padding oracle: it
// demands Y = 0, a zero PS of exactly the length a 32-byte message leaves (the Sealed Secrets
// session key, 414 bytes for RSA-4096), the 0x01 separator, and then that AES-GCM authenticates the
// value under that session key. A ciphertext an attacker derives from someone else's (Manger's
// c·sᵉ) passes with probability about 2^-(8·(|PS|+1)), and the decode runs without early exits.
import { constants, createDecipheriv, createHash, privateDecrypt, timingSafeEqual, type KeyObject } from "node:crypto";
import { mgf1, rsaModulusBytes, SESSION_KEY_BYTES, splitCiphertext } from "./sealed.ts";

const SHA256_BYTES = 32;
const GCM_TAG_BYTES = 16;
const GCM_NONCE = new Uint8Array(12);

export type SealedValueDiagnosis =
  /** No key held shows OAEP structure: sealed to another key (another cluster, a deleted key) or garbage. */
  | { kind: "foreign" }
  /** Sealed with `keyIndex` for `candidates[candidate]`; the value authenticates. */
  | { kind: "label"; keyIndex: number; candidate: number }
  /** Sealed with `keyIndex` for a label that is none of the candidates; the value authenticates. */
  | { kind: "other-label"; keyIndex: number }
  /** An OAEP block of `keyIndex` (for `candidates[candidate]` when one matches), but AES-GCM fails: edited or truncated. */
  | { kind: "corrupt"; keyIndex: number; candidate?: number };

export interface DiagnoseOptions {
  /** The keys to look with (the same the decrypt tried). */
  privateKeys: readonly KeyObject[];
  /** The value's bytes (base64-decoded). */
  ciphertext: Uint8Array;
  /** Labels to name when the label hash matches one: other scopes, the target recorded at seal time. */
  candidates: readonly Uint8Array[];
}

export interface OaepBlock {
  /** Whether the block has OAEP's structure for a 32-byte message (label hash not checked). */
  valid: boolean;
  /** lHash' as found in the block (meaningful only when valid). */
  labelHash: Buffer;
  /** The 32-byte message (meaningful only when valid); the caller zeroes it. */
  message: Buffer;
}

function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

/**
 * EME-OAEP decoding (RFC 8017 §7.1.2 step 3, SHA-256 and MGF1-SHA-256) without the label check,
 * for a 32-byte message. `em` is the k-byte result of the raw RSA private operation. No branch
 * depends on the block's bytes before the verdict.
 */
export function oaepDecodeUnchecked(em: Uint8Array): OaepBlock {
  const k = em.length;
  const dbLength = k - SHA256_BYTES - 1;
  const psLength = dbLength - SHA256_BYTES - 1 - SESSION_KEY_BYTES;
  if (psLength < 0) return { valid: false, labelHash: Buffer.alloc(SHA256_BYTES), message: Buffer.alloc(SESSION_KEY_BYTES) };
  const maskedSeed = em.subarray(1, 1 + SHA256_BYTES);
  const maskedDb = em.subarray(1 + SHA256_BYTES);
  const seed = mgf1(maskedDb, SHA256_BYTES);
  for (let i = 0; i < SHA256_BYTES; i++) seed[i] = (seed[i] ?? 0) ^ (maskedSeed[i] ?? 0);
  const db = mgf1(seed, dbLength);
  seed.fill(0);
  for (let i = 0; i < dbLength; i++) db[i] = (db[i] ?? 0) ^ (maskedDb[i] ?? 0);
  let bad = em[0] ?? 1;
  for (let i = SHA256_BYTES; i < SHA256_BYTES + psLength; i++) bad |= db[i] ?? 1;
  bad |= (db[SHA256_BYTES + psLength] ?? 0) ^ 0x01;
  const labelHash = Buffer.from(db.subarray(0, SHA256_BYTES));
  const message = Buffer.from(db.subarray(dbLength - SESSION_KEY_BYTES));
  db.fill(0);
  return { valid: bad === 0, labelHash, message };
}

/** Whether AES-GCM authenticates the value under `sessionKey`; the plaintext is zeroed, never returned. */
function authenticates(sessionKey: Uint8Array, aesCiphertext: Uint8Array): boolean {
  const tagAt = aesCiphertext.length - GCM_TAG_BYTES;
  try {
    const decipher = createDecipheriv("aes-256-gcm", sessionKey, GCM_NONCE);
    decipher.setAuthTag(aesCiphertext.subarray(tagAt));
    const head = decipher.update(aesCiphertext.subarray(0, tagAt));
    head.fill(0);
    decipher.final().fill(0);
    return true;
  } catch {
    return false;
  }
}

/** The raw RSA private operation, left-padded to the modulus size; undefined when OpenSSL refuses it. */
function rawDecrypt(key: KeyObject, block: Uint8Array, k: number): Buffer | undefined {
  let out: Buffer;
  try {
    out = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, block);
  } catch {
    return undefined; // e.g. a block not below the modulus: not this key's
  }
  if (out.length === k) return out;
  const padded = Buffer.alloc(k);
  out.copy(padded, k - out.length);
  out.fill(0);
  return padded;
}

/**
 * Classifies a value that no key opened with its own label. Throws CryptoError only for framing
 * the decrypt already reported (too short, length prefix overrun).
 */
export function diagnoseSealedValue(opts: DiagnoseOptions): SealedValueDiagnosis {
  const { rsaCiphertext, aesCiphertext } = splitCiphertext(opts.ciphertext);
  const hashes = opts.candidates.map((label) => sha256(label));
  for (const [keyIndex, key] of opts.privateKeys.entries()) {
    const k = rsaModulusBytes(key);
    if (rsaCiphertext.length !== k) continue;
    const em = rawDecrypt(key, rsaCiphertext, k);
    if (em === undefined) continue;
    const block = oaepDecodeUnchecked(em);
    em.fill(0);
    if (!block.valid) {
      block.message.fill(0);
      continue;
    }
    const candidate = hashes.findIndex((h) => timingSafeEqual(h, block.labelHash));
    const opens = authenticates(block.message, aesCiphertext);
    block.message.fill(0);
    if (!opens) return candidate >= 0 ? { kind: "corrupt", keyIndex, candidate } : { kind: "corrupt", keyIndex };
    return candidate >= 0 ? { kind: "label", keyIndex, candidate } : { kind: "other-label", keyIndex };
  }
  return { kind: "foreign" };
}
