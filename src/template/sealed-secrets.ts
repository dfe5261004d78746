// Sealed Secrets spec.template.data as a pure function: each value is a template executed with
// the decrypted values (map[string]string) as its context, Sprig without env/expandenv/getHostByName
// and Go's default missingkey (missing keys render "<no value>"). Mirrors SealedSecret.Unseal.
import { TemplateError } from "./errors.ts";
import { bytesToGoString, goStringToBytes } from "./gostring.ts";
import { objectBudget, type TemplateOptions, render } from "./template.ts";
import { stringMap } from "./values.ts";

export interface SealedTemplateInput {
  /** spec.template.data */
  templateData: Readonly<Record<string, string>>;
  /** Decrypted spec.encryptedData, key → plaintext. */
  decrypted: Readonly<Record<string, Uint8Array | string>>;
  options?: Omit<TemplateOptions, "profile">;
}

export interface SealedTemplateKeyError {
  key: string;
  message: string;
  /** The failure itself (phase, line, column), so callers can report it without the message text. */
  error: TemplateError;
}

export interface SealedTemplateOutput {
  /** Secret data: decrypted values, overridden by rendered template keys. */
  data: Record<string, Uint8Array>;
  /** Per-key failures, like Sealed Secrets' multierror (sorted by key). */
  errors: SealedTemplateKeyError[];
}

export function renderSealedSecretTemplate(input: SealedTemplateInput): SealedTemplateOutput {
  const data: Record<string, Uint8Array> = {};
  const context: [string, string][] = [];
  for (const [k, v] of Object.entries(input.decrypted)) {
    const bytes = typeof v === "string" ? new Uint8Array(Buffer.from(v, "utf8")) : v;
    data[k] = bytes;
    // Go's string(bytes): binary values reach the template byte for byte.
    context.push([k, bytesToGoString(bytes)]);
  }
  const errors: SealedTemplateKeyError[] = [];
  const budget = input.options?.budget ?? objectBudget();
  for (const [key, text] of Object.entries(input.templateData)) {
    try {
      data[key] = goStringToBytes(render(key, text, stringMap(context), { ...input.options, profile: "sealed-secrets", budget }));
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      errors.push({ key, message: e.message, error: e });
      data[key] = new Uint8Array();
    }
  }
  errors.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { data, errors };
}
