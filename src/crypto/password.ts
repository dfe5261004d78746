// ESO's Password generator: sethvargo/go-password's algorithm with the randomness passed in.
// Letters, then digits, then symbols are drawn one at a time and each is inserted at a random
// position of the password so far; without allowRepeat a character already in the password is
// drawn again (here: drawn among the unused ones, the same distribution, and an error instead of
// Go's endless loop when none is left, e.g. symbolCharacters that repeat or overlap the letters).
import { DEFAULT_SYMBOL_CHARACTERS, type PasswordEncoding, type PasswordSpec } from "../api/generator.ts";

/** A uniform integer in [0, max); production passes node:crypto's randomInt. */
export type RandomInt = (max: number) => number;

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";

export class PasswordSpecError extends Error {
  override readonly name = "PasswordSpecError";
  readonly reason = "InvalidGenerator";
  readonly retryable = false;
}

/** One password as go-password's Generate(length, digits, symbols, noUpper, allowRepeat) makes it. */
export function generatePassword(spec: PasswordSpec, randomInt: RandomInt): string {
  const letters = spec.noUpper ? LOWER : LOWER + UPPER;
  // go-password uses its default symbols for an empty alphabet.
  const symbolAlphabet = spec.symbolCharacters === "" ? DEFAULT_SYMBOL_CHARACTERS : spec.symbolCharacters;
  const chars = spec.length - spec.digits - spec.symbols;
  // go-password's error texts.
  if (chars < 0) throw new PasswordSpecError("number of digits and symbols must be less than total length");
  if (!spec.allowRepeat && chars > letters.length) throw new PasswordSpecError("number of letters exceeds available letters and repeats are not allowed");
  if (!spec.allowRepeat && spec.digits > DIGITS.length) throw new PasswordSpecError("number of digits exceeds available digits and repeats are not allowed");
  if (!spec.allowRepeat && spec.symbols > symbolAlphabet.length) throw new PasswordSpecError("number of symbols exceeds available symbols and repeats are not allowed");
  const result: string[] = [];
  const used = new Set<string>();
  const draw = (alphabet: string, count: number, what: string) => {
    for (let i = 0; i < count; i++) {
      let ch: string;
      if (spec.allowRepeat) ch = alphabet.charAt(randomInt(alphabet.length));
      else {
        const unused: number[] = [];
        for (let j = 0; j < alphabet.length; j++) if (!used.has(alphabet.charAt(j))) unused.push(j);
        if (unused.length === 0) throw new PasswordSpecError(`no unused ${what} left and repeats are not allowed (symbolCharacters repeat or overlap letters or digits)`);
        ch = alphabet.charAt(unused[randomInt(unused.length)] ?? 0);
        used.add(ch);
      }
      // go-password's randomInsert: any of the len+1 positions (none drawn for the first character).
      const at = result.length === 0 ? 0 : randomInt(result.length + 1);
      result.splice(at, 0, ch);
    }
  };
  draw(letters, chars, "letters");
  draw(DIGITS, spec.digits, "digits");
  draw(symbolAlphabet, spec.symbols, "symbols");
  return result.join("");
}

/** The generator's output: one encoded password per secret key (ESO's Generate). */
export function generatePasswords(spec: PasswordSpec, randomInt: RandomInt): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const key of spec.secretKeys) out[key] = encode(Buffer.from(generatePassword(spec, randomInt), "latin1"), spec.encoding);
  return out;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Go's base32.StdEncoding (RFC 4648, padded). */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32.charAt((value << (5 - bits)) & 31);
  while (out.length % 8 !== 0) out += "=";
  return out;
}

function encode(bytes: Buffer, encoding: PasswordEncoding): Uint8Array {
  switch (encoding) {
    case "raw":
      return new Uint8Array(bytes);
    case "base64":
      return Buffer.from(bytes.toString("base64"));
    case "base64url": {
      // Go's base64.URLEncoding keeps the padding.
      const s = bytes.toString("base64url");
      return Buffer.from(s + "=".repeat((4 - (s.length % 4)) % 4));
    }
    case "base32":
      return Buffer.from(base32(bytes));
    case "hex":
      return Buffer.from(bytes.toString("hex"));
  }
}
