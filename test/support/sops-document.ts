// Builds SOPS documents the way `sops --encrypt --age` writes them, from the same primitives
// (AES-256-GCM per value with the key path as additional data, a SHA-512 MAC over the values in order,
// the data key wrapped with age), so tests can start from valid files without the sops binary.
// sealbridge has no SOPS encrypt path of its own; test/interop/sops.test.ts checks against real sops.
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { encryptAge } from "../../src/crypto/age.ts";

export type SopsFormatOut = "yaml" | "json" | "dotenv";

export interface SopsDocumentOptions {
  /** Top-level entries; a nested record becomes a nested mapping (not for dotenv). */
  values: Record<string, string | Record<string, string>>;
  recipients: readonly string[];
  format: SopsFormatOut;
  lastModified?: string;
}

const UNENCRYPTED_SUFFIX = "_unencrypted";

function encryptValue(plain: string, key: Uint8Array, aad: string): string {
  const iv = randomBytes(32);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${iv.toString("base64")},tag:${cipher.getAuthTag().toString("base64")},type:str]`;
}

export async function sopsDocument(opts: SopsDocumentOptions): Promise<string> {
  const key = randomBytes(32);
  const lastModified = opts.lastModified ?? "2026-01-01T00:00:00Z";
  const mac = createHash("sha512");
  const walk = (value: string | Record<string, string>, path: string[]): unknown => {
    if (typeof value !== "string") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    mac.update(value, "utf8");
    return path.some((p) => p.endsWith(UNENCRYPTED_SUFFIX)) ? value : encryptValue(value, key, `${path.join(":")}:`);
  };
  const body = Object.fromEntries(Object.entries(opts.values).map(([k, v]) => [k, walk(v, [k])]));
  const age = await Promise.all(
    opts.recipients.map(async (recipient) => ({ recipient, enc: (await encryptAge({ recipients: [recipient], plaintext: key })) as string })),
  );
  const macValue = encryptValue(mac.digest("hex").toUpperCase(), key, lastModified);
  const sops = { age, lastmodified: lastModified, mac: macValue, unencrypted_suffix: UNENCRYPTED_SUFFIX, version: "3.9.0" };
  if (opts.format === "yaml") return stringify({ ...body, sops });
  if (opts.format === "json") return JSON.stringify({ ...body, sops }, null, 4) + "\n";
  const lines = Object.entries(body).map(([k, v]) => `${k}=${String(v as string)}`);
  for (const [i, a] of age.entries()) {
    lines.push(`sops_age__list_${i}__map_recipient=${a.recipient}`, `sops_age__list_${i}__map_enc=${a.enc.replaceAll("\n", "\\n")}`);
  }
  lines.push(`sops_lastmodified=${lastModified}`, `sops_mac=${macValue}`, `sops_unencrypted_suffix=${UNENCRYPTED_SUFFIX}`, "sops_version=3.9.0");
  return lines.join("\n") + "\n";
}
