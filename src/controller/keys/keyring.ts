// Sealing keys as the controller holds them, and the pure decisions about them: which Secret is a
// key, which key seals, when a new key is due. Stored exactly as Sealed Secrets stores them (TLS
// Secrets labelled `sealedsecrets.bitnami.com/sealed-secrets-key` in the controller's namespace), so
// a key Secret copied from a Sealed Secrets install is picked up as it is.
import type { KeyObject } from "node:crypto";
import { certificateFingerprint, parseRsaPrivateKeyPem } from "../../crypto/certificate.ts";
import type { KubeObject } from "../../kube/port.ts";

export const SEALING_KEY_LABEL = "sealedsecrets.bitnami.com/sealed-secrets-key";
export const SEALING_KEY_ACTIVE = "active";
/** Sealed Secrets' key Secret name prefix (its --key-prefix); the API server appends a random suffix. */
export const DEFAULT_KEY_PREFIX = "sealed-secrets-key";
/** On any key Secret: ask for a new sealing key now. The controller removes it once the key exists. */
export const ROTATE_NOW_ANNOTATION = "sealbridge.dev/rotate-now";
/** On a key Secret: `compromised` stops sealing with it; SealedSecrets that need it must be re-sealed. */
export const KEY_STATUS_ANNOTATION = "sealbridge.dev/key-status";
export const KEY_STATUS_COMPROMISED = "compromised";
/**
 * On a key Secret this controller minted: when, to the millisecond. creationTimestamp has whole
 * seconds, so a key minted by rotate-now in the same second as the one it replaces would tie with it.
 */
export const MINTED_AT_ANNOTATION = "sealbridge.dev/minted-at";
/** On a key Secret about to be deleted on purpose: drop its key when the Secret goes (see KeyManager). */
export const KEY_STATUS_RETIRED = "retired";

export interface SealingKey {
  /** The key Secret's name. */
  name: string;
  /** Hex SHA-256 of the certificate's DER (what `sealbridge seal` records and kubeseal users compare). */
  fingerprint: string;
  privateKey: KeyObject;
  /** PKCS#1 or PKCS#8 PEM as stored, handed to the RSA worker threads; never logged. */
  privateKeyPem: string;
  certificatePem: string;
  /** Ordering time: the key Secret's creationTimestamp, as Sealed Secrets orders keys. */
  createdAt: Date;
  /** Its minted-at annotation (ms since the epoch; 0 without): orders keys created in the same second. */
  mintedAt?: number;
  compromised: boolean;
}

/** A key Secret that could not be loaded, by name and with a reason (never its content). */
export interface KeyProblem {
  name: string;
  reason: "EmptyKeyEntry" | "InvalidPrivateKey" | "InvalidCertificate";
  message: string;
}

export interface Keyring {
  /** Newest first. */
  keys: readonly SealingKey[];
  problems: readonly KeyProblem[];
}

export const EMPTY_KEYRING: Keyring = { keys: [], problems: [] };

function dataField(secret: KubeObject, field: string): string | undefined {
  const data = secret["data"];
  if (typeof data !== "object" || data === null) return undefined;
  const value = (data as Record<string, unknown>)[field];
  if (typeof value !== "string" || value === "") return undefined;
  return Buffer.from(value, "base64").toString("latin1");
}

export function isCompromisedKeySecret(secret: KubeObject): boolean {
  const label = secret.metadata?.labels?.[SEALING_KEY_LABEL];
  return (
    secret.metadata?.annotations?.[KEY_STATUS_ANNOTATION] === KEY_STATUS_COMPROMISED ||
    (label !== undefined && label !== SEALING_KEY_ACTIVE)
  );
}

/** Reads one key Secret (`tls.key`, `tls.crt`). */
export function parseKeySecret(secret: KubeObject): SealingKey | KeyProblem {
  const name = secret.metadata?.name ?? "";
  const keyPem = dataField(secret, "tls.key");
  const certPem = dataField(secret, "tls.crt");
  if (keyPem === undefined || certPem === undefined) {
    return { name, reason: "EmptyKeyEntry", message: `key Secret ${name} has no ${keyPem === undefined ? "tls.key" : "tls.crt"} entry` };
  }
  let privateKey: KeyObject;
  try {
    privateKey = parseRsaPrivateKeyPem(keyPem);
  } catch {
    return { name, reason: "InvalidPrivateKey", message: `key Secret ${name}: tls.key is not an RSA private key in PEM` };
  }
  let fingerprint: string;
  try {
    fingerprint = certificateFingerprint(certPem);
  } catch {
    return { name, reason: "InvalidCertificate", message: `key Secret ${name}: tls.crt is not a PEM certificate` };
  }
  return {
    name,
    fingerprint,
    privateKey,
    privateKeyPem: keyPem,
    certificatePem: certPem,
    ...keyTimes(secret),
    compromised: isCompromisedKeySecret(secret),
  };
}

/** Builds the keyring from the key Secrets (any order); the same certificate twice counts once. */
export function buildKeyring(secrets: readonly KubeObject[]): Keyring {
  const keys = new Map<string, SealingKey>();
  const problems: KeyProblem[] = [];
  for (const secret of secrets) {
    const parsed = parseKeySecret(secret);
    if (!("fingerprint" in parsed)) {
      problems.push(parsed);
      continue;
    }
    const prior = keys.get(parsed.fingerprint);
    // A key marked compromised anywhere stays compromised.
    if (prior) prior.compromised ||= parsed.compromised;
    else keys.set(parsed.fingerprint, parsed);
  }
  const sorted = [...keys.values()].sort(newestFirst);
  problems.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { keys: sorted, problems };
}

/** A key Secret's ordering times: creationTimestamp, and its minted-at annotation when it has one. */
export function keyTimes(secret: KubeObject): { createdAt: Date; mintedAt: number } {
  const created = Date.parse(secret.metadata?.creationTimestamp ?? "");
  const minted = Date.parse(secret.metadata?.annotations?.[MINTED_AT_ANNOTATION] ?? "");
  return { createdAt: new Date(Number.isNaN(created) ? 0 : created), mintedAt: Number.isNaN(minted) ? 0 : minted };
}

/**
 * Newest first: by creationTimestamp (the API server's clock, as Sealed Secrets orders keys); within
 * one second by minted-at (the minting controller's clock; a key without it counts as older); then by name.
 */
export function newestFirst(a: ManagedKey, b: ManagedKey): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (b.mintedAt ?? 0) - (a.mintedAt ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** What the lifecycle needs of any kind of key (RSA here, age in age-keyring.ts). */
export interface ManagedKey {
  name: string;
  fingerprint: string;
  createdAt: Date;
  mintedAt?: number;
  compromised: boolean;
}

/** A keyring of any key kind: keys newest first, and key Secrets that could not be loaded. */
export interface AnyKeyring<K extends ManagedKey = ManagedKey> {
  keys: readonly K[];
  problems: readonly { name: string; reason: string; message: string }[];
}

/** The key new values are sealed to: the newest key not marked compromised. */
export function sealingKey<K extends ManagedKey = SealingKey>(keyring: AnyKeyring<K>): K | undefined {
  return keyring.keys.find((k) => !k.compromised);
}

export interface RenewalInput {
  keyring: AnyKeyring;
  now: Date;
  /** 0 disables periodic renewal (a first key is still generated). */
  renewPeriodMs: number;
  /** A rotate-now annotation is present on some key Secret. */
  rotateRequested: boolean;
}

export type RenewalDecision =
  | { mint: true; why: "NoKey" | "NoUsableKey" | "RenewalDue" | "RotationRequested" }
  | { mint: false; checkAgainInMs?: number };

/**
 * Whether to mint a new key now, decided from the newest usable key's creation time only: a key
 * restored from backup or copied from another cluster counts like one we made, so it never causes a
 * second key; compromised keys do not count.
 */
export function renewalDecision(input: RenewalInput): RenewalDecision {
  if (input.keyring.keys.length === 0) return { mint: true, why: "NoKey" };
  const newest = sealingKey(input.keyring);
  if (newest === undefined) return { mint: true, why: "NoUsableKey" };
  if (input.rotateRequested) return { mint: true, why: "RotationRequested" };
  if (input.renewPeriodMs <= 0) return { mint: false };
  const due = newest.createdAt.getTime() + input.renewPeriodMs;
  const wait = due - input.now.getTime();
  if (wait <= 0) return { mint: true, why: "RenewalDue" };
  return { mint: false, checkAgainInMs: wait };
}
