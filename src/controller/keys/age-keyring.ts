// age sealing keys as the controller holds them: Opaque Secrets labelled
// `sealbridge.dev/age-sealing-key` in the key namespace, each with an `age.key` entry (an identity file
// as age-keygen writes it, X25519 or post-quantum). They follow the RSA keys' lifecycle (manager.ts):
// minted on first start and every renewal period, rotate-now and compromised annotations, never deleted.
// Each key is a master: values are sealed to identities derived from it per scope (crypto/age-scope.ts).
import { generateHybridIdentity, generateX25519Identity } from "age-encryption";
import { ageIdentityKind, ageRecipientFingerprint, ageRecipientOf, parseAgeIdentityFile, type AgeKeyKind } from "../../crypto/age.ts";
import type { KubeObject } from "../../kube/port.ts";
import { KEY_STATUS_ANNOTATION, KEY_STATUS_COMPROMISED, keyTimes, newestFirst, SEALING_KEY_ACTIVE, type AnyKeyring, type ManagedKey } from "./keyring.ts";
import type { KeyFormat } from "./manager.ts";

export const AGE_KEY_LABEL = "sealbridge.dev/age-sealing-key";
export const AGE_KEY_ENTRY = "age.key";
export const DEFAULT_AGE_KEY_PREFIX = "sealbridge-age-key-";

export interface AgeSealingKey extends ManagedKey {
  /** ageRecipientFingerprint of the master recipient. */
  fingerprint: string;
  kind: AgeKeyKind;
  /** The master identity; never logged, never in status. */
  identity: string;
  /** The master recipient (public; scope recipients are derived from the identity). */
  recipient: string;
}

export interface AgeKeyProblem {
  name: string;
  reason: "EmptyKeyEntry" | "InvalidPrivateKey";
  message: string;
}

export interface AgeKeyring extends AnyKeyring<AgeSealingKey> {
  problems: readonly AgeKeyProblem[];
}

export const EMPTY_AGE_KEYRING: AgeKeyring = { keys: [], problems: [] };

/** Reads one age key Secret; recipients are computed by the caller (async). */
function parseAgeKeySecret(secret: KubeObject): Omit<AgeSealingKey, "recipient" | "fingerprint"> | AgeKeyProblem {
  const name = secret.metadata?.name ?? "";
  const data = secret["data"] as Record<string, unknown> | undefined;
  const raw = data?.[AGE_KEY_ENTRY];
  if (typeof raw !== "string" || raw === "") return { name, reason: "EmptyKeyEntry", message: `age key Secret ${name} has no ${AGE_KEY_ENTRY} entry` };
  const parsed = parseAgeIdentityFile(Buffer.from(raw, "base64").toString("utf8"));
  const identity = parsed.identities[0];
  if (identity === undefined || parsed.problems.length > 0 || parsed.identities.length !== 1) {
    return { name, reason: "InvalidPrivateKey", message: `age key Secret ${name}: ${AGE_KEY_ENTRY} must hold exactly one age identity` };
  }
  const label = secret.metadata?.labels?.[AGE_KEY_LABEL];
  return {
    name,
    kind: ageIdentityKind(identity),
    identity,
    ...keyTimes(secret),
    compromised: secret.metadata?.annotations?.[KEY_STATUS_ANNOTATION] === KEY_STATUS_COMPROMISED || (label !== undefined && label !== SEALING_KEY_ACTIVE),
  };
}

/**
 * Recipients per identity are cached: deriving a post-quantum public key costs milliseconds, and the
 * keyring is rebuilt on every key Secret event.
 */
const recipientCache = new Map<string, string>();

export function cachedRecipient(identity: string): string | undefined {
  return recipientCache.get(identity);
}

export async function warmRecipients(secrets: readonly KubeObject[]): Promise<void> {
  for (const secret of secrets) {
    const parsed = parseAgeKeySecret(secret);
    if ("identity" in parsed && !recipientCache.has(parsed.identity)) recipientCache.set(parsed.identity, await ageRecipientOf(parsed.identity));
  }
}

/** Builds the age keyring (newest first; the same identity twice counts once). Call warmRecipients first. */
export function buildAgeKeyring(secrets: readonly KubeObject[]): AgeKeyring {
  const keys = new Map<string, AgeSealingKey>();
  const problems: AgeKeyProblem[] = [];
  for (const secret of secrets) {
    const parsed = parseAgeKeySecret(secret);
    if (!("identity" in parsed)) {
      problems.push(parsed);
      continue;
    }
    const recipient = recipientCache.get(parsed.identity);
    if (recipient === undefined) continue; // warmed on the next refresh
    const key: AgeSealingKey = { ...parsed, recipient, fingerprint: ageRecipientFingerprint(recipient) };
    const prior = keys.get(key.fingerprint);
    if (prior) prior.compromised ||= key.compromised;
    else keys.set(key.fingerprint, key);
  }
  const sorted = [...keys.values()].sort(newestFirst);
  problems.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { keys: sorted, problems };
}

/** The identity file written into a new key Secret, as age-keygen writes it. */
export function identityFile(identity: string, recipient: string, now: Date): string {
  return `# created: ${now.toISOString().replace(/\.\d+Z$/, "Z")}\n# public key: ${recipient}\n${identity}\n`;
}

export function ageKeyFormat(kind: AgeKeyKind): KeyFormat<AgeKeyring> {
  return {
    label: AGE_KEY_LABEL,
    empty: EMPTY_AGE_KEYRING,
    build: buildAgeKeyring,
    prepare: warmRecipients,
    async mint(now) {
      const identity = kind === "pq" ? await generateHybridIdentity() : await generateX25519Identity();
      const recipient = await ageRecipientOf(identity);
      recipientCache.set(identity, recipient);
      return {
        type: "Opaque",
        data: { [AGE_KEY_ENTRY]: Buffer.from(identityFile(identity, recipient, now)).toString("base64") },
        log: { fingerprint: ageRecipientFingerprint(recipient), kind },
      };
    },
  };
}
