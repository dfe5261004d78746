// Bech32 (BIP 173), as age uses it for recipients and identities, over @scure/base (the codec
// age-encryption itself uses). age's post-quantum recipients are far longer than BIP 173's 90
// characters, so no length limit applies here.
import { bech32 } from "@scure/base";

/** Encodes bytes under a human-readable part; the case of `hrp` decides the case of the result. */
export function bech32Encode(hrp: string, bytes: Uint8Array): string {
  const lower = hrp.toLowerCase();
  const text = bech32.encode(lower, bech32.toWords(bytes), false);
  return hrp === hrp.toUpperCase() && hrp !== lower ? text.toUpperCase() : text;
}

/** Decodes a Bech32 string; undefined when it is not valid Bech32 (mixed case, bad checksum, bad padding). */
export function bech32Decode(text: string): { hrp: string; bytes: Uint8Array } | undefined {
  const decoded = bech32.decodeUnsafe(text, false);
  if (!decoded) return undefined;
  const bytes = bech32.fromWordsUnsafe(decoded.words);
  return bytes ? { hrp: decoded.prefix, bytes } : undefined;
}
