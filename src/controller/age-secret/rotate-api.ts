// POST /v1/age-verify and POST /v1/age-rotate: the AgeSecret counterparts of the Sealed Secrets
// controller's /v1/verify and /v1/rotate, for `sealbridge reseal`. The controller opens each value
// with the identity derived for the object's own scope and re-encrypts it to the newest usable key's
// scope recipient (plus recipients the caller names, e.g. a disaster-recovery key). Answers never
// contain a decrypted value.
import { parseAgeSecret, SEALED_FOR_AGE_RECIPIENTS_ANNOTATION, sealedForAgeRecipients, type AgeSecret } from "../../api/age-secret.ts";
import { ageRecipientFingerprint, ageRecipientKind, encryptAge } from "../../crypto/age.ts";
import { scopeRecipient } from "../../crypto/age-scope.ts";
import { isCryptoError } from "../../crypto/errors.ts";
import { ageSecretScope } from "../../api/age-secret.ts";
import type { ApiAnswer } from "../../server/answer.ts";
import type { AgeKeyring } from "../keys/age-keyring.ts";
import { sealingKey } from "../keys/keyring.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";
import { keyringView } from "../decrypted-secret/plan.ts";
import { jsonAnswer, parseOneManifest, textAnswer } from "../request-body.ts";
import { heldScopeRecipients, openAgeValues } from "./open.ts";
import { ageLabelsToTry, diagnoseAge } from "./plan.ts";

/** Extra recipients one request may name. */
export const MAX_EXTRA_RECIPIENTS = 16;


function parse(body: Uint8Array): { age: AgeSecret } | { answer: ApiAnswer } {
  const parsed = parseOneManifest(body, "AgeSecret", (doc) => parseAgeSecret(doc, "AgeSecret"));
  return "answer" in parsed ? parsed : { age: parsed.value };
}

type Opened = { values: OpenedValue[] } | { failure: { reason: string; message: string } };

async function open(keyring: AgeKeyring, age: AgeSecret): Promise<Opened> {
  const labels = ageLabelsToTry(age);
  const entries = Object.entries(age.spec.encryptedData);
  const values: OpenedValue[] =
    keyring.keys.length === 0
      ? entries.map(([name]) => ({ name, ok: false, reason: "NoPrivateKeys", message: "no age key loaded" }))
      : await openAgeValues({ values: entries, keys: keyring.keys, labels });
  const failed = values.filter((v): v is Extract<OpenedValue, { ok: false }> => !v.ok);
  if (failed.length === 0) return { values };
  for (const v of values) if (v.ok) v.plaintext.fill(0);
  const held = keyring.keys.length > 0 ? await heldScopeRecipients(keyring.keys, labels) : [];
  const state = diagnoseAge(age, failed, labels, keyringView(keyring), held);
  return { failure: { reason: state.reason, message: state.message } };
}

/** POST /v1/age-verify: 200 when this controller opens every value, 409 with a diagnosis when not. */
export async function ageVerifyAnswer(keyring: AgeKeyring, body: Uint8Array): Promise<ApiAnswer> {
  const parsed = parse(body);
  if ("answer" in parsed) return parsed.answer;
  const opened = await open(keyring, parsed.age);
  if ("failure" in opened) return jsonAnswer(409, opened.failure);
  for (const v of opened.values) if (v.ok) v.plaintext.fill(0);
  return textAnswer(200, "ok");
}

/**
 * POST /v1/age-rotate[?recipient=age1…&keep-current=true]: the AgeSecret with its values
 * re-encrypted to the newest usable key's scope recipient and the `recipient` parameters. Refused
 * (409, OtherRecipientsWouldBeDropped) when the object records recipients that are neither this
 * controller's nor named, so a disaster-recovery recipient is never dropped silently. With
 * keep-current, values already sealed exactly so (opened by the newest key, recorded recipients
 * unchanged) are returned as they were.
 */
export async function ageRotateAnswer(keyring: AgeKeyring, body: Uint8Array, query: URLSearchParams): Promise<ApiAnswer> {
  const parsed = parse(body);
  if ("answer" in parsed) return parsed.answer;
  const age = parsed.age;
  const extras = [...new Set(query.getAll("recipient").map((r) => r.trim()))];
  if (extras.length > MAX_EXTRA_RECIPIENTS) return textAnswer(400, `at most ${MAX_EXTRA_RECIPIENTS} recipient parameters, got ${extras.length}`);
  for (const [i, r] of extras.entries()) {
    try {
      ageRecipientKind(r);
    } catch (err) {
      if (isCryptoError(err)) return textAnswer(400, `recipient parameter #${i + 1}: ${err.message}`);
      throw err;
    }
  }
  const key = sealingKey(keyring);
  if (key === undefined) return textAnswer(500, "cannot re-encrypt: no usable age sealing key");
  let current: string;
  try {
    current = await scopeRecipient(key.identity, { scope: ageSecretScope(age), namespace: age.metadata.namespace ?? "", name: age.metadata.name ?? "" });
  } catch (err) {
    if (isCryptoError(err)) return textAnswer(400, err.message);
    throw err;
  }
  const opened = await open(keyring, age);
  if ("failure" in opened) return jsonAnswer(409, opened.failure);
  const wipe = () => {
    for (const v of opened.values) if (v.ok) v.plaintext.fill(0);
  };
  const ownLabel = ageLabelsToTry(age).slice(0, 1);
  const held = new Set((await heldScopeRecipients(keyring.keys, ownLabel)).map((h) => h.fingerprint));
  const wanted = [current, ...extras.filter((r) => r !== current)];
  const wantedFingerprints = wanted.map(ageRecipientFingerprint);
  const recorded = sealedForAgeRecipients(age.metadata);
  const others = recorded.filter((fp) => !held.has(fp) && !wantedFingerprints.includes(fp));
  if (others.length > 0) {
    wipe();
    return jsonAnswer(409, {
      reason: "OtherRecipientsWouldBeDropped",
      message:
        `the AgeSecret is also sealed for recipient fingerprint(s) ${others.join(", ")} that are not this controller's; ` +
        `name them as recipients to keep them (sealbridge reseal --recipient/--recipients-file), or remove them from ${SEALED_FOR_AGE_RECIPIENTS_ANNOTATION} to drop them`,
    });
  }
  const keepCurrent = query.get("keep-current") === "true";
  const sameRecipients = recorded.length === wantedFingerprints.length && wantedFingerprints.every((fp) => recorded.includes(fp));
  const encryptedData: Record<string, string> = {};
  try {
    for (const v of opened.values) {
      if (!v.ok) continue;
      const before = age.spec.encryptedData[v.name];
      encryptedData[v.name] =
        keepCurrent && before !== undefined && v.fingerprint === key.fingerprint && (sameRecipients || (recorded.length === 0 && extras.length === 0))
          ? before
          : String(await encryptAge({ recipients: wanted, plaintext: v.plaintext }));
    }
  } finally {
    wipe();
  }
  const annotations = { ...age.metadata.annotations, [SEALED_FOR_AGE_RECIPIENTS_ANNOTATION]: wantedFingerprints.join(",") };
  const metadata: Record<string, unknown> = {
    name: age.metadata.name,
    namespace: age.metadata.namespace,
    ...(age.metadata.labels ? { labels: age.metadata.labels } : {}),
    annotations,
  };
  return jsonAnswer(200, {
    apiVersion: age.apiVersion,
    kind: age.kind,
    metadata,
    spec: { ...(age.spec.template ? { template: age.spec.template } : {}), encryptedData },
  });
}
