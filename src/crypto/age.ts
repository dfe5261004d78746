// age files: encrypt to several recipients, decrypt with identities, and say precisely why a file
// does not open (malformed armor, a stanza type we have no identity for, a passphrase-only file, no
// identity matching). Bytes in, bytes out, over the `age-encryption` package (typage).
//
// X25519 and ML-KEM-768+X25519 stanzas do not name their recipient, so a failed decryption can only
// report the stanza types; the seal-time annotation (recipient fingerprints) tells the rest.
import { createHash } from "node:crypto";
import { Decrypter, Encrypter, armor, identityToRecipient } from "age-encryption";
import type { Identity, Stanza } from "age-encryption";
import { bech32Decode } from "./bech32.ts";
import { CryptoError } from "./errors.ts";

export type AgeKeyKind = "x25519" | "pq";

/** One value's age file may not be larger than a Secret can hold. */
export const MAX_AGE_FILE_BYTES = 1 << 20;

const INTRO = "age-encryption.org/v1\n";
const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
/** The stanza type each identity kind opens. */
const STANZA_FOR: Record<AgeKeyKind, string> = { x25519: "X25519", pq: "mlkem768x25519" };

const X25519_IDENTITY = /^AGE-SECRET-KEY-1[0-9A-Z]+$/;
const PQ_IDENTITY = /^AGE-SECRET-KEY-PQ-1[0-9A-Z]+$/;

/** Kind of an `AGE-SECRET-KEY-…` string, after checking its Bech32 and length; throws AgeInvalidIdentity. */
export function ageIdentityKind(identity: string): AgeKeyKind {
  const kind = PQ_IDENTITY.test(identity) ? "pq" : X25519_IDENTITY.test(identity) ? "x25519" : undefined;
  const decoded = kind === undefined ? undefined : bech32Decode(identity);
  const hrp = kind === "pq" ? "age-secret-key-pq-" : "age-secret-key-";
  if (kind === undefined || decoded === undefined || decoded.hrp !== hrp || decoded.bytes.length !== 32) {
    // Never quote the string: it is meant to be a private key.
    throw new CryptoError("AgeInvalidIdentity", "not an age identity (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…)");
  }
  return kind;
}

/** Kind of an `age1…` recipient after checking it; throws AgeInvalidRecipient naming the recipient. */
export function ageRecipientKind(recipient: string): AgeKeyKind {
  const decoded = bech32Decode(recipient);
  if (recipient.startsWith("age1pq1") && decoded?.hrp === "age1pq" && decoded.bytes.length === 1216) return "pq";
  if (recipient.startsWith("age1") && decoded?.hrp === "age" && decoded.bytes.length === 32) return "x25519";
  const shown = recipient.length > 24 ? `${recipient.slice(0, 20)}…` : recipient;
  throw new CryptoError(
    "AgeInvalidRecipient",
    `"${shown}" is not an age X25519 (age1…) or post-quantum (age1pq1…) recipient`,
  );
}

/** The public recipient of an identity. */
export async function ageRecipientOf(identity: string): Promise<string> {
  ageIdentityKind(identity);
  return identityToRecipient(identity);
}

/** Short, stable name of a recipient for annotations and status: first 16 hex digits of SHA-256(recipient). */
export function ageRecipientFingerprint(recipient: string): string {
  return createHash("sha256").update(recipient.trim()).digest("hex").slice(0, 16);
}

export interface ParsedIdentityFile {
  identities: string[];
  /** Lines that hold neither a comment nor a usable identity, by line number (never their text). */
  problems: string[];
}

/**
 * Reads an identity file as age-keygen writes it (and as Flux's `*.agekey` and `age.key` entries hold
 * it): one identity per line, `#` comments and blank lines ignored.
 */
export function parseAgeIdentityFile(text: string): ParsedIdentityFile {
  const identities: string[] = [];
  const problems: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      ageIdentityKind(line);
      identities.push(line);
    } catch {
      problems.push(`line ${i + 1} is not an age identity`);
    }
  }
  if (identities.length === 0 && problems.length === 0) problems.push("no identity in it");
  return { identities, problems };
}

// ---------------------------------------------------------------------------------------------
// File framing: armor, binary, or binary in base64 (what a Kubernetes `data` field holds).

/** The binary age file in `input`: ASCII-armored, raw binary, or base64 of the binary. */
export function ageFileBytes(input: string | Uint8Array, maxBytes = MAX_AGE_FILE_BYTES): Uint8Array {
  if (input.length > maxBytes * 2) {
    throw new CryptoError("AgeFileTooLarge", `the age file is over the ${maxBytes}-byte limit`);
  }
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  let out: Uint8Array;
  if (startsWith(bytes, INTRO.slice(0, "age-encryption.org/".length))) {
    out = bytes;
  } else {
    const text = Buffer.from(bytes).toString("latin1").trim();
    if (text.startsWith("-----BEGIN")) {
      if (!text.startsWith(ARMOR_BEGIN)) throw new CryptoError("AgeMalformedArmor", "armor is not an AGE ENCRYPTED FILE block");
      try {
        out = armor.decode(text);
      } catch (err) {
        // typage's armor errors are fixed phrases ("invalid line length", "invalid footer"...).
        throw new CryptoError("AgeMalformedArmor", `malformed age armor: ${err instanceof Error ? err.message : "unreadable"}`);
      }
    } else {
      const compact = text.replace(/\s+/g, "");
      if (compact === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
        throw new CryptoError("AgeNotAnAgeFile", "not an age file: neither armored, binary nor base64");
      }
      out = Buffer.from(compact, "base64");
    }
  }
  if (out.length > maxBytes) throw new CryptoError("AgeFileTooLarge", `the age file is over the ${maxBytes}-byte limit`);
  if (!startsWith(out, INTRO.slice(0, "age-encryption.org/".length))) {
    throw new CryptoError("AgeNotAnAgeFile", "not an age file: no age-encryption.org header");
  }
  return out;
}

function startsWith(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

export interface AgeHeader {
  /** Each stanza's arguments; the first is its type (X25519, mlkem768x25519, scrypt, ssh-ed25519...). */
  stanzas: string[][];
  /** The header bytes including the `---` MAC line. */
  header: Uint8Array;
}

/** Parses the textual header of a binary age file, checking the shape of the stanzas typage reads. */
export function parseAgeHeader(file: Uint8Array): AgeHeader {
  const bad = (why: string): CryptoError => new CryptoError("AgeMalformedHeader", `malformed age header: ${why}`);
  if (!startsWith(file, INTRO)) {
    throw startsWith(file, "age-encryption.org/") ? bad("unsupported version line") : bad("no age-encryption.org/v1 line");
  }
  const stanzas: string[][] = [];
  let at = INTRO.length;
  const nextLine = (): string => {
    const end = file.indexOf(0x0a, at);
    if (end < 0 || end - at > 16 * 1024) throw bad("truncated");
    const line = Buffer.from(file.subarray(at, end)).toString("latin1");
    at = end + 1;
    return line;
  };
  for (;;) {
    const line = nextLine();
    if (line.startsWith("--- ")) break;
    if (!line.startsWith("-> ")) throw bad("expected a stanza or the MAC line");
    const args = line.slice(3).split(" ");
    if (args.some((a) => a === "" || !/^[\x21-\x7e]+$/.test(a))) throw bad("invalid stanza arguments");
    // The body: base64 lines of 64 columns, ended by a shorter line (possibly empty).
    let bodyLength = 0;
    for (;;) {
      const body = nextLine();
      if (!/^[A-Za-z0-9+/]*$/.test(body)) throw bad("invalid stanza body");
      bodyLength += body.length;
      if (body.length < 64) break;
    }
    const type = args[0] ?? "";
    const b64len = (s: string | undefined): number => Buffer.from(s ?? "", "base64").length;
    if (type === "X25519" && (args.length !== 2 || b64len(args[1]) !== 32 || bodyLength !== 43)) throw bad("invalid X25519 stanza");
    if (type === "mlkem768x25519" && (args.length !== 2 || b64len(args[1]) !== 1120 || bodyLength !== 43)) {
      throw bad("invalid mlkem768x25519 stanza");
    }
    stanzas.push(args);
    if (stanzas.length > 1024) throw bad("too many stanzas");
  }
  if (stanzas.length === 0) throw bad("no recipient stanzas");
  return { stanzas, header: file.subarray(0, at) };
}

// ---------------------------------------------------------------------------------------------
// Encrypt and decrypt

export interface EncryptAgeOptions {
  recipients: readonly string[];
  plaintext: Uint8Array;
  /** ASCII armor (the default, what manifests hold) or the binary file. */
  armored?: boolean;
}

/** Encrypts to every recipient (X25519 and post-quantum may be mixed, as age allows). */
export async function encryptAge(opts: EncryptAgeOptions): Promise<string | Uint8Array> {
  if (opts.recipients.length === 0) throw new CryptoError("AgeInvalidRecipient", "no age recipients to encrypt to");
  const e = new Encrypter();
  for (const r of opts.recipients) {
    ageRecipientKind(r);
    e.addRecipient(r.trim());
  }
  const file = await e.encrypt(opts.plaintext);
  return opts.armored === false ? file : armor.encode(file);
}

export interface DecryptAgeOptions {
  /** Armored, binary, or base64 of the binary. */
  file: string | Uint8Array;
  identities: readonly string[];
  maxBytes?: number;
}

export interface DecryptedAge {
  plaintext: Uint8Array;
  /** Index in `identities` of the identity that opened the file. */
  identityIndex: number;
}

/** Stanza types, with counts, for messages: "2×X25519, mlkem768x25519". */
export function describeStanzas(stanzas: readonly (readonly string[])[]): string {
  const counts = new Map<string, number>();
  for (const s of stanzas) counts.set(s[0] ?? "?", (counts.get(s[0] ?? "?") ?? 0) + 1);
  return [...counts].map(([t, n]) => (n > 1 ? `${n}×${t}` : t)).join(", ");
}

/** Decrypts with the first identity that opens the file, and says which one it was. */
export async function decryptAge(opts: DecryptAgeOptions): Promise<DecryptedAge> {
  const file = ageFileBytes(opts.file, opts.maxBytes);
  const { stanzas, header } = parseAgeHeader(file);
  const types = new Set(stanzas.map((s) => s[0] ?? ""));
  if ([...types].every((t) => t === "scrypt")) {
    throw new CryptoError("AgeScryptOnly", "the file is encrypted with a passphrase (scrypt) only; seal it to a recipient instead");
  }
  if (types.has("scrypt")) throw new CryptoError("AgeMalformedHeader", "malformed age header: a scrypt stanza must be the only one");
  const known = new Set(Object.values(STANZA_FOR));
  if (![...types].some((t) => known.has(t))) {
    throw new CryptoError(
      "AgeUnknownStanzaType",
      `the file's recipients are of types sealbridge has no identities for (${describeStanzas(stanzas)}); ` +
        "use X25519 (age1…) or post-quantum (age1pq1…) recipients",
    );
  }
  if (opts.identities.length === 0) throw new CryptoError("AgeNoIdentities", "no age identities to decrypt with");
  const kinds = opts.identities.map(ageIdentityKind);
  for (const [i, identity] of opts.identities.entries()) {
    if (!types.has(STANZA_FOR[kinds[i] ?? "x25519"])) continue;
    // A last identity that only records being asked: typage asks identities in order, so reaching it
    // means the real one did not match (no need to read typage's error messages).
    let reachedSentinel = false;
    const sentinel: Identity = {
      unwrapFileKey(_stanzas: Stanza[]) {
        reachedSentinel = true;
        return null;
      },
    };
    const d = new Decrypter();
    d.addIdentity(identity);
    d.addIdentity(sentinel);
    try {
      await d.decryptHeader(header);
    } catch {
      if (reachedSentinel) continue;
      throw new CryptoError("AgeHeaderMacMismatch", "the age header's MAC does not verify: the file was modified");
    }
    try {
      return { plaintext: await d.decrypt(file), identityIndex: i };
    } catch {
      throw new CryptoError("AgePayloadCorrupt", "the age payload does not decrypt: the file is truncated or was modified");
    }
  }
  const held = [...new Set(kinds)].map((k) => STANZA_FOR[k]).join(", ");
  throw new CryptoError(
    "AgeNoMatchingIdentity",
    `none of the ${opts.identities.length} age identities (${held}) matches the file's ${stanzas.length} recipient stanza(s) (${describeStanzas(stanzas)})`,
  );
}
