// `sealbridge seal --age`: Secrets into AgeSecrets, each value an armored age file sealed to the
// scope's recipient (from the controller) and/or to recipients given on the command line; and the
// age half of --recovery-unseal.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  AGE_SECRET_API_VERSION,
  AGE_SECRET_KIND,
  SEALED_FOR_AGE_RECIPIENTS_ANNOTATION,
  ageSecretScope,
  sealedForAgeRecipients,
  type AgeSecret,
} from "../api/age-secret.ts";
import { describeTarget, recordedTargets, recordedWhere, recordSealedFor } from "../api/sealed-for.ts";
import type { ObjectMeta } from "../api/sealed-secret.ts";
import { ageRecipientFingerprint, ageRecipientKind, decryptAge, encryptAge, parseAgeIdentityFile } from "../crypto/age.ts";
import { deriveScopeIdentity, deriveScopeIdentityForLabel } from "../crypto/age-scope.ts";
import { isCryptoError } from "../crypto/errors.ts";
import { SEALING_SCOPES, scopeLabelText, withScopeAnnotations, type SealingScope } from "../crypto/scope.ts";
import { CliError } from "./io.ts";
import type { SecretManifest } from "./manifests.ts";
import { sealTarget, type SealTarget, type SealTargetOptions } from "./seal-target.ts";
import { parseSecretManifest, secretLabel } from "./secret-manifest.ts";

/** Where the recipients for one target come from (the controller is asked per scope). */
export type RecipientResolver = (target: Pick<SealTarget, "scope" | "namespace" | "name">) => Promise<string[]>;

/** Reads a recipients file as `age -R` does: one recipient per line, `#` comments and blank lines skipped. */
export async function readRecipientsFile(file: string, cwd: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), "utf8");
  } catch (err) {
    throw new CliError(`--recipients-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "read error"}`);
  }
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("AGE-SECRET-KEY-")) throw new CliError(`${file}: line ${i + 1} is a private identity, not a recipient`);
    checkRecipient(line, `${file}: line ${i + 1}`);
    out.push(line);
  }
  if (out.length === 0) throw new CliError(`${file}: no recipients in it`);
  return out;
}

export function checkRecipient(recipient: string, where: string): void {
  try {
    ageRecipientKind(recipient);
  } catch (err) {
    if (isCryptoError(err)) throw new CliError(`${where}: ${err.message}`);
    throw err;
  }
}

export interface SealAgeOptions extends SealTargetOptions {
  secrets: readonly SecretManifest[];
  recipients: RecipientResolver;
}

function uniqueRecipients(list: readonly string[]): string[] {
  return [...new Set(list.map((r) => r.trim()))];
}

/** Seals Secrets into AgeSecrets, recording the recipients' fingerprints in an annotation. */
export async function sealSecretsAge(opts: SealAgeOptions): Promise<AgeSecret[]> {
  if (opts.secrets.length === 0) {
    throw new CliError("no secrets found in the input; ensure it is a valid, UTF-8 encoded Secret manifest");
  }
  const out: AgeSecret[] = [];
  for (const [index, input] of opts.secrets.entries()) {
    const target = sealTarget(input, index, opts);
    const recipients = uniqueRecipients(await opts.recipients(target));
    if (recipients.length === 0) throw new CliError("no age recipients to seal to");
    const encryptedData: Record<string, string> = {};
    const seal = async (plaintext: Uint8Array): Promise<string> => String(await encryptAge({ recipients, plaintext }));
    for (const [key, value] of Object.entries(input.data)) encryptedData[key] = await seal(value);
    for (const [key, value] of Object.entries(input.stringData)) encryptedData[key] = await seal(Buffer.from(value, "utf8"));
    const metadata: ObjectMeta = { name: target.name };
    if (target.namespace !== "") metadata.namespace = target.namespace;
    metadata.annotations = recordSealedFor(
      { ...withScopeAnnotations({}, target.scope), [SEALED_FOR_AGE_RECIPIENTS_ANNOTATION]: recipients.map(ageRecipientFingerprint).join(",") },
      target,
    );
    const sealed: AgeSecret = {
      apiVersion: AGE_SECRET_API_VERSION,
      kind: AGE_SECRET_KIND,
      metadata,
      spec: { template: { metadata: target.template }, encryptedData },
    };
    if (input.type !== undefined && sealed.spec.template !== undefined) sealed.spec.template.type = input.type;
    if (input.immutable !== undefined && sealed.spec.template !== undefined) sealed.spec.template.immutable = input.immutable;
    out.push(sealed);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Recovery

/** The age identities in a recovery file: an identity file, or Secrets (backups) with `age.key` / `*.agekey` entries. */
export function ageIdentitiesFromText(text: string, where: string): string[] {
  const parsed = parseAgeIdentityFile(text);
  if (parsed.identities.length === 0) throw new CliError(`${where}: no age identity in it (${parsed.problems.join("; ")})`);
  if (parsed.problems.length > 0) throw new CliError(`${where}: ${parsed.problems.join("; ")}`);
  return parsed.identities;
}

export function ageIdentitiesFromBackup(docs: readonly unknown[], source: string): string[] {
  const out: string[] = [];
  const secrets: unknown[] = [];
  for (const doc of docs) {
    const items = (doc as { items?: unknown }).items;
    if (Array.isArray(items)) secrets.push(...(items as unknown[]));
    else secrets.push(doc);
  }
  for (const [i, s] of secrets.entries()) {
    const secret = parseSecretManifest(s, `${source}: item ${i + 1}`);
    for (const [key, value] of Object.entries(secret.data)) {
      if (key === "age.key" || key.endsWith(".agekey")) {
        out.push(...ageIdentitiesFromText(Buffer.from(value).toString("utf8"), `${source}: ${secretLabel(secret.metadata.name, `item ${i + 1}`)} ${key}`));
      }
    }
  }
  return out;
}

/** For each identity: the one derived for the scope (controller master keys), then the identity itself (offline keys). */
function candidateIdentities(identities: readonly string[], scope: SealingScope, namespace: string, name: string): string[] {
  const out: string[] = [];
  for (const id of identities) {
    try {
      out.push(deriveScopeIdentity(id, { scope, namespace, name }));
    } catch {
      // A strict scope without a name cannot be derived; the plain identity may still open it.
    }
    out.push(id);
  }
  return out;
}

async function explainAgeFailure(err: unknown, secret: AgeSecret, value: string, identities: readonly string[]): Promise<string> {
  if (!isCryptoError(err)) throw err;
  if (err.reason !== "AgeNoMatchingIdentity") return err.message;
  const scope = ageSecretScope(secret);
  const ns = secret.metadata.namespace ?? "";
  const name = secret.metadata.name ?? "";
  for (const other of SEALING_SCOPES) {
    if (other === scope) continue;
    const label = scopeLabelText(other, ns, name);
    try {
      await decryptAge({ file: value, identities: identities.map((id) => deriveScopeIdentityForLabel(id, label)) });
      return `sealed with scope ${other}, but the AgeSecret's annotations say ${scope}`;
    } catch {
      // Not this scope either.
    }
  }
  // The target recorded at seal time: a renamed or moved AgeSecret opens with its identity.
  for (const target of recordedTargets(secret.metadata, secret.spec.template?.metadata)) {
    if (target.label === scopeLabelText(target.scope, ns, name)) continue;
    try {
      await decryptAge({ file: value, identities: identities.map((id) => deriveScopeIdentityForLabel(id, target.label)) });
      return `sealed for another name or namespace: ${describeTarget(target.scope, target.label)} (recorded in ${recordedWhere(target.recordedIn)}), but this AgeSecret is ${ns}/${name}`;
    } catch {
      // Not that target either.
    }
  }
  const recorded = sealedForAgeRecipients(secret.metadata);
  const hint = recorded.length > 0 ? `; it records being sealed for recipient fingerprints ${recorded.join(", ")}` : "";
  return `${err.message} (another key, or another name/namespace)${hint}`;
}

/** Decrypts an AgeSecret offline into the Secret the controller would create. */
export async function unsealAgeSecret(secret: AgeSecret, identities: readonly string[], where: string): Promise<SecretManifest> {
  const templateData = secret.spec.template?.data;
  if (templateData !== undefined && Object.keys(templateData).length > 0) {
    throw new CliError(`${where}: spec.template.data (Go templates) is not supported by --recovery-unseal yet`);
  }
  const scope = ageSecretScope(secret);
  const candidates = candidateIdentities(identities, scope, secret.metadata.namespace ?? "", secret.metadata.name ?? "");
  const data: Record<string, Uint8Array> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(secret.spec.encryptedData)) {
    try {
      data[key] = (await decryptAge({ file: value, identities: candidates })).plaintext;
    } catch (err) {
      problems.push(`encryptedData["${key}"]: ${await explainAgeFailure(err, secret, value, identities)}`);
    }
  }
  if (problems.length > 0) throw new CliError(`${where}: ${problems.join("; ")}`);
  const template = secret.spec.template ?? {};
  const meta: ObjectMeta = { ...template.metadata };
  delete meta.name;
  delete meta.namespace;
  if (secret.metadata.name !== undefined) meta.name = secret.metadata.name;
  if (secret.metadata.namespace !== undefined) meta.namespace = secret.metadata.namespace;
  meta.ownerReferences = [
    { apiVersion: secret.apiVersion, kind: secret.kind, name: secret.metadata.name ?? "", uid: secret.metadata.uid ?? "", controller: true },
  ];
  const out: SecretManifest = { metadata: meta, data, stringData: {} };
  if (template.type !== undefined) out.type = template.type;
  if (template.immutable !== undefined) out.immutable = template.immutable;
  return out;
}

export function isAgeSecretDocument(doc: unknown): boolean {
  return typeof doc === "object" && doc !== null && (doc as { kind?: unknown }).kind === AGE_SECRET_KIND;
}
