// `sealbridge seal`: kubeseal's command, flag for flag (see kubeseal-flags.ts). The whole output is
// built in memory first, so a failure never leaves partial output on stdout or in a -w file.
import { randomBytes } from "node:crypto";
import { readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import type { KeyObject } from "node:crypto";
import {
  ManifestError,
  SEALED_SECRET_API_VERSION,
  SEALED_SECRET_KIND,
  SEALED_WITH_CERT_ANNOTATION,
  parseSealedSecret,
  recordSealedWithCertificate,
  sealedSecretScope,
  sealedWithCertificates,
  type ObjectMeta,
  type SealedSecret,
} from "../api/sealed-secret.ts";
import { parseRsaPrivateKeyPem, parseSealingCertificate, type SealingCertificate } from "../crypto/certificate.ts";
import type { CryptoError} from "../crypto/errors.ts";
import { isCryptoError } from "../crypto/errors.ts";
import { decodeBase64Strict, unsealValue, sealValue, type RandomSource } from "../crypto/sealed.ts";
import {
  SEALING_SCOPES,
  requireScopeLabel,
  scopeFromAnnotations,
  scopeLabel,
  scopeLabelText,
  withScopeAnnotations,
  type SealingScope,
} from "../crypto/scope.ts";
import { parseAgeSecret } from "../api/age-secret.ts";
import { describeTarget, recordedTargets, recordedWhere, recordSealedFor, SEALED_FOR_ANNOTATION } from "../api/sealed-for.ts";
import { diagnoseSealedValue } from "../crypto/sealed-diagnosis.ts";
import { sealTarget } from "./seal-target.ts";
import { encryptAge } from "../crypto/age.ts";
import { readCertificateSource } from "./cert-source.ts";
import { ControllerClient } from "./controller-client.ts";
import { CliError, type CliIo } from "./io.ts";
import { loadKubeConnection, resolveNamespace, type ResolvedNamespace } from "./kube-connection.ts";
import { parseSealFlags, sealUsage, type OutputFormat, type SealFlags } from "./kubeseal-flags.ts";
import {
  formatDocument,
  orderedSealedSecret,
  orderedSecret,
  parseManifestStream,
  type SecretManifest,
} from "./manifests.ts";
import {
  ageIdentitiesFromBackup,
  ageIdentitiesFromText,
  checkRecipient,
  isAgeSecretDocument,
  readRecipientsFile,
  sealSecretsAge,
  unsealAgeSecret,
  type RecipientResolver,
} from "./seal-age.ts";
import { parseSecretManifest, privateKeyPemsFromBackup } from "./secret-manifest.ts";

const SKIP_OWNER_REFERENCES_ANNOTATION = "sealedsecrets.bitnami.com/skip-set-owner-references";

interface Context {
  flags: SealFlags;
  io: CliIo;
  now: Date;
}

export async function sealCommand(args: readonly string[], io: CliIo): Promise<number> {
  try {
    return await runSeal(args, io);
  } catch (err) {
    // Library errors carry one clear line already; make them CLI errors (no stack trace).
    if (err instanceof ManifestError || isCryptoError(err)) throw new CliError(err.message);
    throw err;
  }
}

export default sealCommand;

async function runSeal(args: readonly string[], io: CliIo): Promise<number> {
  const flags = parseSealFlags(args, io.env);
  for (const warning of flags.warnings) io.stderr(`${warning}\n`);
  if (flags.help) {
    io.stdout(sealUsage("sealbridge seal"));
    return 0;
  }
  if (flags.version) {
    io.stdout("kubeseal version: sealbridge-0.1.0 (kubeseal v0.36.6 compatible)\n");
    return 0;
  }
  if (flags.fromFile.length > 0 && !flags.raw) throw new CliError("--from-file requires --raw");
  if (flags.positional.length > 0) {
    io.stderr(`warning: ignoring arguments ${flags.positional.join(" ")} (kubeseal reads stdin; use -f FILE)\n`);
  }
  // --re-encrypt is the one in-place command: with only -f, the input file is also the output.
  if (flags.reEncrypt && flags.outputFile === undefined && flags.inputFile !== undefined) {
    flags.outputFile = flags.inputFile;
  }
  if (flags.outputFile !== undefined && [".yaml", ".yml"].includes(extname(flags.outputFile))) {
    flags.format = "yaml";
  }
  const ctx: Context = { flags, io, now: new Date() };
  const output = await produce(ctx);
  if (output === undefined) return 0;
  if (flags.outputFile !== undefined) await writeAtomically(resolve(io.cwd, flags.outputFile), output);
  else io.stdout(output);
  return 0;
}

async function produce(ctx: Context): Promise<string | Uint8Array | undefined> {
  const { flags } = ctx;
  if (flags.recoveryUnseal) return recoveryUnseal(ctx);
  if (flags.recoveryPrivateKeys.length > 0) {
    ctx.io.stderr("warning: ignoring --recovery-private-key because unseal command not chosen with --recovery-unseal\n");
  }
  if (flags.validate) return validate(ctx);
  if (flags.reEncrypt) return reEncrypt(ctx);
  if (flags.age) return produceAge(ctx);
  const certBytes =
    flags.cert !== undefined
      ? await readCertificateSource(flags.cert, ctx.io.cwd)
      : await (await controllerClient(ctx)).fetchCertificate();
  if (flags.fetchCert) return certBytes;
  let cert: SealingCertificate;
  try {
    cert = parseSealingCertificate(certBytes, ctx.now);
  } catch (err) {
    if (isCryptoError(err)) throw new CliError(`${flags.cert ?? "controller certificate"}: ${err.message}`);
    throw err;
  }
  if (flags.mergeInto !== undefined) {
    await mergeInto(ctx, cert, flags.mergeInto);
    return undefined;
  }
  if (flags.raw) return sealRaw(ctx, cert);
  const secrets = await readSecrets(ctx);
  const sealed = sealSecrets({
    secrets,
    certificate: cert,
    allowEmptyData: flags.allowEmptyData,
    defaultNamespace: namespaceFor(ctx),
    ...(flags.scope !== undefined ? { scope: flags.scope } : {}),
  });
  return sealed.map((s) => formatDocument(orderedSealedSecret(s), flags.format)).join("");
}

// ---------------------------------------------------------------------------------------------
// Sealing Secrets

export interface SealSecretsOptions {
  secrets: readonly SecretManifest[];
  certificate: Pick<SealingCertificate, "publicKey" | "fingerprint">;
  /** --scope; when absent each Secret's scope annotations decide. */
  scope?: SealingScope;
  allowEmptyData: boolean;
  /** Namespace for Secrets that have none (-n or the kubeconfig's). */
  defaultNamespace?: ResolvedNamespace | undefined;
  overrideName?: string;
  overrideNamespace?: string;
  random?: RandomSource;
}


/** Seals Secrets into SealedSecrets as kubeseal does, plus the sealed-with-certificate annotation. */
export function sealSecrets(opts: SealSecretsOptions): SealedSecret[] {
  if (opts.secrets.length === 0) {
    throw new CliError("no secrets found in the input; ensure it is a valid, UTF-8 encoded Secret manifest");
  }
  return opts.secrets.map((input, index) => {
    const { name, namespace, scope, template } = sealTarget(input, index, opts);
    const label = requireScopeLabel(scope, namespace, name);
    const encryptedData: Record<string, string> = {};
    const seal = (plaintext: Uint8Array): string =>
      sealValue({
        publicKey: opts.certificate.publicKey,
        plaintext,
        label,
        ...(opts.random !== undefined ? { random: opts.random } : {}),
      });
    for (const [key, value] of Object.entries(input.data)) encryptedData[key] = seal(value);
    for (const [key, value] of Object.entries(input.stringData)) encryptedData[key] = seal(Buffer.from(value, "utf8"));

    const metadata: ObjectMeta = { name };
    if (namespace !== "") metadata.namespace = namespace;
    metadata.annotations = recordSealedFor(recordSealedWithCertificate(withScopeAnnotations({}, scope), opts.certificate.fingerprint), { scope, namespace, name });
    const sealed: SealedSecret = {
      apiVersion: SEALED_SECRET_API_VERSION,
      kind: SEALED_SECRET_KIND,
      metadata,
      spec: { template: { metadata: template }, encryptedData },
    };
    if (input.type !== undefined && sealed.spec.template !== undefined) sealed.spec.template.type = input.type;
    if (input.immutable !== undefined && sealed.spec.template !== undefined) sealed.spec.template.immutable = input.immutable;
    return sealed;
  });
}

async function readInput(ctx: Context): Promise<{ bytes: Uint8Array; source: string }> {
  const file = ctx.flags.inputFile;
  if (file === undefined) return { bytes: await ctx.io.readStdin(), source: "stdin" };
  try {
    return { bytes: await readFile(resolve(ctx.io.cwd, file)), source: file };
  } catch (err) {
    throw new CliError(`--secret-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "read error"}`);
  }
}

async function readSecrets(ctx: Context): Promise<SecretManifest[]> {
  const { bytes, source } = await readInput(ctx);
  const docs = parseManifestStream(bytes, source);
  return docs.map((doc, i) => parseSecretManifest(doc, `${source}: document ${i + 1}`));
}

function namespaceFor(ctx: Context): ResolvedNamespace | undefined {
  return resolveNamespace({
    connection: ctx.flags.connection,
    env: ctx.io.env,
    cwd: ctx.io.cwd,
    ...(ctx.flags.kubeconfig !== undefined ? { kubeconfig: ctx.flags.kubeconfig } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// --raw

async function sealRaw(ctx: Context, cert: SealingCertificate): Promise<string> {
  const { flags } = ctx;
  const scope = flags.scope ?? "strict";
  let namespace = "";
  if (scope !== "cluster-wide") {
    namespace = namespaceFor(ctx)?.namespace ?? "";
    if (namespace === "") throw new CliError(`must provide the --namespace flag with --raw and --scope ${scope}`);
    if ((flags.name ?? "") === "" && scope === "strict") {
      throw new CliError(`must provide the --name flag with --raw and --scope ${scope}`);
    }
  }
  const data = await readRawValue(ctx);
  return sealValue({ publicKey: cert.publicKey, plaintext: data, label: scopeLabel(scope, namespace, flags.name ?? "") });
}

/** The single value for --raw: the one --from-file, or stdin. */
async function readRawValue(ctx: Context): Promise<Uint8Array> {
  const { flags } = ctx;
  if (flags.fromFile.length > 1) {
    throw new CliError("must provide only one --from-file when encrypting a single item with --raw");
  }
  const fromFile = flags.fromFile[0];
  if (fromFile === undefined) return ctx.io.readStdin();
  // kubectl syntax: [key=]path; the key is irrelevant for a single raw value.
  const eq = fromFile.indexOf("=");
  const path = eq < 0 ? fromFile : fromFile.slice(eq + 1);
  try {
    return await readFile(resolve(ctx.io.cwd, path));
  } catch (err) {
    throw new CliError(`--from-file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? "read error"}`);
  }
}

// ---------------------------------------------------------------------------------------------
// --merge-into

async function mergeInto(ctx: Context, cert: SealingCertificate, file: string): Promise<void> {
  const path = resolve(ctx.io.cwd, file);
  let existing: Buffer;
  try {
    existing = await readFile(path);
  } catch (err) {
    throw new CliError(`--merge-into: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "read error"}`);
  }
  const docs = parseManifestStream(existing, file);
  if (docs.length !== 1) throw new CliError(`--merge-into: ${file} must hold exactly one SealedSecret, found ${docs.length} documents`);
  const orig = parseSealedSecret(docs[0], file);
  const secrets = await readSecrets(ctx);
  if (secrets.length !== 1) throw new CliError(`--merge-into takes exactly one input Secret, got ${secrets.length}`);
  // Unlike kubeseal, new values follow the existing SealedSecret's scope unless told otherwise:
  // values sealed for another scope would never decrypt in it.
  const origScope = sealedSecretScope(orig);
  const input = secrets[0] as SecretManifest;
  const inputScope = explicitScope(ctx.flags.scope, input);
  if (inputScope !== undefined && inputScope !== origScope) {
    throw new CliError(
      `--merge-into: ${file} is sealed ${origScope} but the new values would be sealed ${inputScope}; they could not be decrypted together`,
    );
  }
  const [update] = sealSecrets({
    secrets: [input],
    certificate: cert,
    scope: origScope,
    allowEmptyData: ctx.flags.allowEmptyData,
    defaultNamespace: namespaceFor(ctx),
    ...(orig.metadata.name !== undefined ? { overrideName: orig.metadata.name } : {}),
    ...(orig.metadata.namespace !== undefined ? { overrideNamespace: orig.metadata.namespace } : {}),
  });
  if (update === undefined) throw new CliError("--merge-into: nothing to merge");
  const merged: SealedSecret = structuredClone(orig);
  Object.assign(merged.spec.encryptedData, update.spec.encryptedData);
  const template = (merged.spec.template ??= {});
  const templateMeta = (template.metadata ??= {});
  const updateMeta = update.spec.template?.metadata ?? {};
  const scopeAnnotations = withScopeAnnotations({}, origScope);
  templateMeta.annotations = { ...templateMeta.annotations, ...updateMeta.annotations, ...scopeAnnotations };
  if (updateMeta.labels !== undefined) templateMeta.labels = { ...templateMeta.labels, ...updateMeta.labels };
  // Keep earlier fingerprints only if some values sealed by them remain.
  const replacedAll = Object.keys(orig.spec.encryptedData).every((k) => k in update.spec.encryptedData);
  const base = replacedAll ? withoutFingerprint(merged.metadata.annotations) : merged.metadata.annotations;
  merged.metadata.annotations = recordSealedWithCertificate(base, cert.fingerprint);
  // The new values are sealed for the file's own name, namespace and scope.
  const sealedFor = update.metadata.annotations?.[SEALED_FOR_ANNOTATION];
  if (sealedFor !== undefined) merged.metadata.annotations[SEALED_FOR_ANNOTATION] = sealedFor;
  const format: OutputFormat = ctx.flags.formatGiven ? ctx.flags.format : detectFormat(existing);
  await writeAtomically(path, formatDocument(orderedSealedSecret(merged), format));
}

function explicitScope(flagScope: SealingScope | undefined, input: SecretManifest): SealingScope | undefined {
  if (flagScope !== undefined) return flagScope;
  const annotations = input.metadata.annotations ?? {};
  const hasScopeAnnotation = Object.keys(withScopeAnnotations({}, "cluster-wide")).some((k) => k in annotations) ||
    Object.keys(withScopeAnnotations({}, "namespace-wide")).some((k) => k in annotations);
  return hasScopeAnnotation ? scopeFromAnnotations(annotations) : undefined;
}

function withoutFingerprint(annotations: Record<string, string> | undefined): Record<string, string> {
  const out = { ...annotations };
  delete out[SEALED_WITH_CERT_ANNOTATION];
  return out;
}

function detectFormat(bytes: Uint8Array): OutputFormat {
  return Buffer.from(bytes).toString("utf8").trimStart().startsWith("{") ? "json" : "yaml";
}

// ---------------------------------------------------------------------------------------------
// --age

function ageResolver(ctx: Context): RecipientResolver {
  const { flags } = ctx;
  const explicit = flags.recipients.length > 0 || flags.recipientsFiles.length > 0;
  const fromController = !explicit || flags.controllerRecipient;
  let fixed: Promise<string[]> | undefined;
  const given = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const [i, r] of flags.recipients.entries()) {
      checkRecipient(r, `--recipient #${i + 1}`);
      out.push(r);
    }
    for (const file of flags.recipientsFiles) out.push(...(await readRecipientsFile(file, ctx.io.cwd)));
    return out;
  };
  return async (target) => {
    fixed ??= given();
    const out = [...(await fixed)];
    if (fromController) {
      const fetched = await (await controllerClient(ctx)).fetchAgeRecipients(target);
      const newest = fetched[0];
      if (newest !== undefined) {
        checkRecipient(newest, "the controller's age recipient");
        out.unshift(newest);
      }
    }
    return out;
  };
}

async function produceAge(ctx: Context): Promise<string | undefined> {
  const { flags } = ctx;
  if (flags.mergeInto !== undefined) throw new CliError("--merge-into is not supported with --age yet");
  if (flags.cert !== undefined) throw new CliError("--cert is for RSA sealing; with --age use --recipient or --recipients-file");
  const resolver = ageResolver(ctx);
  if (flags.fetchCert || flags.raw) {
    const scope = flags.scope ?? "strict";
    let namespace = "";
    if (scope !== "cluster-wide") {
      namespace = namespaceFor(ctx)?.namespace ?? "";
      if (namespace === "") throw new CliError(`must provide the --namespace flag with --raw and --scope ${scope}`);
      if ((flags.name ?? "") === "" && scope === "strict") throw new CliError(`must provide the --name flag with --raw and --scope ${scope}`);
    }
    const target = { scope, namespace, name: flags.name ?? "" };
    // --fetch-cert --age: the scope's recipients, one per line, for `age -R` or --recipients-file.
    if (flags.fetchCert) return (await (await controllerClient(ctx)).fetchAgeRecipients(target)).join("\n") + "\n";
    const plaintext = await readRawValue(ctx);
    return String(await encryptAge({ recipients: await resolver(target), plaintext }));
  }
  const secrets = await readSecrets(ctx);
  const sealed = await sealSecretsAge({
    secrets,
    recipients: resolver,
    allowEmptyData: flags.allowEmptyData,
    defaultNamespace: namespaceFor(ctx),
    scope: flags.scope,
  });
  return sealed.map((s) => formatDocument(orderedSealedSecret(s), flags.format)).join("");
}

// ---------------------------------------------------------------------------------------------
// --recovery-unseal

interface RecoveryKeys {
  rsa: KeyObject[];
  age: string[];
}

async function readRecoveryKeys(ctx: Context): Promise<RecoveryKeys> {
  const files = ctx.flags.recoveryPrivateKeys;
  if (files.length === 0) throw new CliError("--recovery-unseal needs --recovery-private-key FILE[,FILE...]");
  const keys: RecoveryKeys = { rsa: [], age: [] };
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = await readFile(resolve(ctx.io.cwd, file));
    } catch (err) {
      throw new CliError(`--recovery-private-key: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "read error"}`);
    }
    const text = bytes.toString("utf8");
    if (/^\s*AGE-SECRET-KEY-/m.test(text)) {
      keys.age.push(...ageIdentitiesFromText(text, file));
      continue;
    }
    let pems: Uint8Array[];
    if (/-----BEGIN (RSA )?PRIVATE KEY-----/.test(text)) {
      pems = [bytes];
    } else {
      const docs = parseManifestStream(bytes, file);
      const age = ageIdentitiesFromBackup(docs, file);
      keys.age.push(...age);
      pems = age.length > 0 && !text.includes("tls.key") ? [] : privateKeyPemsFromBackup(docs, file);
    }
    for (const [i, pem] of pems.entries()) {
      try {
        keys.rsa.push(parseRsaPrivateKeyPem(pem));
      } catch (err) {
        if (isCryptoError(err)) throw new CliError(`${file}${pems.length > 1 ? ` (key ${i + 1})` : ""}: ${err.message}`);
        throw err;
      }
    }
  }
  return keys;
}

/**
 * Why a value does not open, by its RSA-OAEP structure (crypto/sealed-diagnosis.ts): another scope
 * of this SealedSecret, its recorded target (renamed or moved), another label with one of the keys
 * given, a damaged value, or none of the keys.
 */
function explainUnsealFailure(err: CryptoError, sealed: SealedSecret, value: string, keys: readonly KeyObject[]): string {
  if (err.reason !== "NoKeyCouldDecrypt") return err.message;
  const scope = sealedSecretScope(sealed);
  const ns = sealed.metadata.namespace ?? "";
  const name = sealed.metadata.name ?? "";
  const candidates = [
    ...SEALING_SCOPES.map((s) => ({ scope: s, label: scopeLabelText(s, ns, name), recordedIn: undefined })),
    ...recordedTargets(sealed.metadata, sealed.spec.template?.metadata),
  ];
  const encoder = new TextEncoder();
  const d = diagnoseSealedValue({ privateKeys: keys, ciphertext: decodeBase64Strict(value), candidates: candidates.map((c) => encoder.encode(c.label)) });
  const which = (keyIndex: number) => (keys.length > 1 ? `private key #${keyIndex + 1}` : "the private key");
  switch (d.kind) {
    case "label": {
      const c = candidates[d.candidate];
      if (c?.recordedIn === undefined) return `sealed with scope ${c?.scope ?? "?"}, but the SealedSecret's annotations say ${scope}`;
      return `sealed with ${which(d.keyIndex)} for another name or namespace: ${describeTarget(c.scope, c.label)} (recorded in ${recordedWhere(c.recordedIn)}), but this SealedSecret is ${ns}/${name}`;
    }
    case "other-label":
      return `sealed with ${which(d.keyIndex)} for another name or namespace (none of its scopes or recorded targets), not for ${ns}/${name}`;
    case "corrupt":
      return `the RSA block is for ${which(d.keyIndex)} but the AES-GCM data does not authenticate: the value was edited or truncated`;
    case "foreign": {
      const certs = sealedWithCertificates(sealed.metadata);
      const hint = certs.length > 0 ? `; it records being sealed with certificate sha256 ${certs.join(", ")}` : "";
      return `none of the ${keys.length} private key(s) given sealed it${hint}`;
    }
  }
}

export function unsealSealedSecret(sealed: SealedSecret, keys: readonly KeyObject[], where: string): SecretManifest {
  if (sealed.spec.data !== undefined && sealed.spec.data !== "") {
    throw new CliError(`${where}: uses the deprecated spec.data field, which sealbridge does not decrypt`);
  }
  const templateData = sealed.spec.template?.data;
  if (templateData !== undefined && Object.keys(templateData).length > 0) {
    throw new CliError(`${where}: spec.template.data (Go templates) is not supported by --recovery-unseal yet`);
  }
  const scope = sealedSecretScope(sealed);
  const label = scopeLabel(scope, sealed.metadata.namespace ?? "", sealed.metadata.name ?? "");
  const data: Record<string, Uint8Array> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(sealed.spec.encryptedData)) {
    try {
      data[key] = unsealValue({ privateKeys: keys, label, value }).plaintext;
    } catch (err) {
      if (!isCryptoError(err)) throw err;
      problems.push(`encryptedData["${key}"]: ${explainUnsealFailure(err, sealed, value, keys)}`);
    }
  }
  if (problems.length > 0) throw new CliError(`${where}: ${problems.join("; ")}`);
  const template = sealed.spec.template ?? {};
  // As the controller does: the template's metadata, with the SealedSecret's own name and namespace.
  const out: ObjectMeta = { ...template.metadata };
  delete out.name;
  delete out.namespace;
  if (sealed.metadata.name !== undefined) out.name = sealed.metadata.name;
  if (sealed.metadata.namespace !== undefined) out.namespace = sealed.metadata.namespace;
  if (template.metadata?.annotations?.[SKIP_OWNER_REFERENCES_ANNOTATION] !== "true") {
    out.ownerReferences = [
      { apiVersion: sealed.apiVersion, kind: sealed.kind, name: sealed.metadata.name ?? "", uid: sealed.metadata.uid ?? "", controller: true },
    ];
  }
  const secret: SecretManifest = { metadata: out, data, stringData: {} };
  if (template.type !== undefined) secret.type = template.type;
  if (template.immutable !== undefined) secret.immutable = template.immutable;
  return secret;
}

async function recoveryUnseal(ctx: Context): Promise<string> {
  const keys = await readRecoveryKeys(ctx);
  const { bytes, source } = await readInput(ctx);
  const docs = parseManifestStream(bytes, source);
  if (docs.length === 0) throw new CliError(`${source}: no SealedSecret or AgeSecret found`);
  const out: string[] = [];
  for (const [i, doc] of docs.entries()) {
    const where = docs.length > 1 ? `${source}: document ${i + 1}` : source;
    let secret: SecretManifest;
    if (isAgeSecretDocument(doc)) {
      const age = parseAgeSecret(doc, where);
      if (keys.age.length === 0) throw new CliError(`${where}: an AgeSecret needs age identities in --recovery-private-key`);
      secret = await unsealAgeSecret(age, keys.age, `AgeSecret "${age.metadata.name ?? `#${i + 1}`}"`);
    } else {
      const sealed = parseSealedSecret(doc, where);
      if (keys.rsa.length === 0) throw new CliError(`${where}: a SealedSecret needs RSA private keys in --recovery-private-key`);
      secret = unsealSealedSecret(sealed, keys.rsa, `SealedSecret "${sealed.metadata.name ?? `#${i + 1}`}"`);
    }
    out.push(formatDocument(orderedSecret(secret), ctx.flags.format));
  }
  return out.join("");
}

// ---------------------------------------------------------------------------------------------
// --validate, --re-encrypt, and the certificate: through the controller

async function controllerClient(ctx: Context): Promise<ControllerClient> {
  const connection = await loadKubeConnection({
    connection: ctx.flags.connection,
    env: ctx.io.env,
    cwd: ctx.io.cwd,
    ...(ctx.flags.kubeconfig !== undefined ? { kubeconfig: ctx.flags.kubeconfig } : {}),
  });
  if (connection === undefined) {
    throw new CliError(
      "no kubeconfig found to reach the controller (set --kubeconfig or KUBECONFIG); to seal offline, pass --cert FILE",
    );
  }
  return new ControllerClient({
    connection,
    controller: { namespace: ctx.flags.controllerNamespace, name: ctx.flags.controllerName },
    ...(ctx.flags.publicKeys !== undefined ? { publicKeys: ctx.flags.publicKeys } : {}),
    timeoutMs: ctx.flags.connection.requestTimeoutMs,
  });
}

async function readSealedSecrets(ctx: Context): Promise<SealedSecret[]> {
  const { bytes, source } = await readInput(ctx);
  const docs = parseManifestStream(bytes, source);
  if (docs.length === 0) throw new CliError(`${source}: no SealedSecret found`);
  return docs.map((doc, i) => parseSealedSecret(doc, docs.length > 1 ? `${source}: document ${i + 1}` : source));
}

async function validate(ctx: Context): Promise<undefined> {
  const client = await controllerClient(ctx);
  for (const sealed of await readSealedSecrets(ctx)) {
    await client.verify(JSON.stringify(orderedSealedSecret(sealed)), sealed.metadata.name ?? "");
  }
  return undefined;
}

async function reEncrypt(ctx: Context): Promise<string> {
  const client = await controllerClient(ctx);
  const out: string[] = [];
  for (const sealed of await readSealedSecrets(ctx)) {
    // The old fingerprint would be wrong after rotation; a sealbridge controller records the new one.
    const request = structuredClone(sealed);
    request.metadata.annotations = withoutFingerprint(request.metadata.annotations);
    if (Object.keys(request.metadata.annotations).length === 0) delete request.metadata.annotations;
    const name = sealed.metadata.name ?? "";
    const response = parseSealedSecret(await client.rotate(JSON.stringify(orderedSealedSecret(request)), name), `controller response for ${name}`);
    delete response.metadata.creationTimestamp;
    delete response.metadata.deletionTimestamp;
    delete response.metadata.generation;
    out.push(formatDocument(orderedSealedSecret(response), ctx.flags.format));
  }
  return out.join("");
}

// ---------------------------------------------------------------------------------------------

/** Writes a temporary file beside the target and renames it over, so readers never see a partial file. */
async function writeAtomically(path: string, content: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let mode = 0o644;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch {
    // New file: default mode.
  }
  try {
    await writeFile(tmp, content, { mode, flag: "wx" });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new CliError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? "write error"}`);
  }
}
