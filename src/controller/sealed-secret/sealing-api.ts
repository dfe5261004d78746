// The Sealed Secrets controller API, transport-free: the certificate, verify and re-encrypt
// (kubeseal's --fetch-cert, --validate, --re-encrypt). Answers never contain a decrypted value.
import {
  parseSealedSecret,
  recordSealedWithCertificate,
  SEALED_WITH_CERT_ANNOTATION,
  sealedSecretScope,
  type SealedSecret,
} from "../../api/sealed-secret.ts";
import { recordSealedFor } from "../../api/sealed-for.ts";
import { parseSealingCertificate } from "../../crypto/certificate.ts";
import { scopeLabel } from "../../crypto/scope.ts";
import { sealValue } from "../../crypto/sealed.ts";
import type { ApiAnswer } from "../../server/answer.ts";
import { jsonAnswer, parseOneManifest, textAnswer } from "../request-body.ts";

export type { ApiAnswer } from "../../server/answer.ts";
import { sealingKey, type Keyring } from "../keys/keyring.ts";
import type { RsaPool } from "../keys/rsa-pool.ts";
import { keyringView } from "../decrypted-secret/plan.ts";
import { labelsToTry } from "../decrypted-secret/scope-labels.ts";
import { diagnose } from "./plan.ts";
import type { OpenedValue } from "../keys/rsa-protocol.ts";



export interface SealingApiOptions {
  keyring: () => Keyring;
  pool: RsaPool;
  now?: () => Date;
}


export class SealingApi {
  private readonly options: SealingApiOptions;
  private readonly now: () => Date;

  constructor(options: SealingApiOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  /** GET /v1/cert.pem: the newest key's certificate that is not marked compromised. */
  certificate(): ApiAnswer {
    const key = sealingKey(this.options.keyring());
    if (!key) return textAnswer(500, "cannot get certificate: no usable sealing key");
    return { status: 200, contentType: "application/x-pem-file", body: key.certificatePem };
  }

  /** A body that is not exactly one readable SealedSecret is a 400 with the reason, never a 500. */
  private parse(body: Uint8Array): { sealed: SealedSecret } | { answer: ApiAnswer } {
    const parsed = parseOneManifest(body, "SealedSecret", (doc) => parseSealedSecret(doc, "SealedSecret"));
    return "answer" in parsed ? parsed : { sealed: parsed.value };
  }

  private async open(sealed: SealedSecret): Promise<{ values: OpenedValue[]; failure?: { reason: string; message: string } }> {
    const keyring = this.options.keyring();
    const labels = labelsToTry(sealed);
    const entries = Object.entries(sealed.spec.encryptedData);
    const values: OpenedValue[] =
      keyring.keys.length === 0
        ? entries.map(([name]) => ({ name, ok: false, reason: "NoPrivateKeys", message: "no key loaded" }))
        : (await this.options.pool.open({ values: entries, labels: labels.map((l) => l.label), keys: keyring.keys.map((k) => k.fingerprint) })).values;
    const failed = values.filter((v): v is Extract<OpenedValue, { ok: false }> => !v.ok);
    if (failed.length === 0) return { values };
    for (const v of values) if (v.ok) v.plaintext.fill(0);
    const state = diagnose(sealed, failed, labels, keyringView(keyring));
    return { values, failure: { reason: state.reason, message: state.message } };
  }

  /** POST /v1/verify: 200 when this controller can open every value, 409 (with a diagnosis) when not. */
  async verify(body: Uint8Array): Promise<ApiAnswer> {
    const parsed = this.parse(body);
    if ("answer" in parsed) return parsed.answer;
    const { values, failure } = await this.open(parsed.sealed);
    for (const v of values) if (v.ok) v.plaintext.fill(0);
    if (failure) return jsonAnswer(409, failure);
    return textAnswer(200, "ok");
  }

  /**
   * POST /v1/rotate: the SealedSecret with every value re-sealed to the newest usable key (kubeseal
   * --re-encrypt). With `keep-current` (sealbridge reseal), values the newest key already opens are
   * returned as they were, so a file re-sealed twice does not change twice.
   */
  async rotate(body: Uint8Array, options: { keepCurrent?: boolean } = {}): Promise<ApiAnswer> {
    const parsed = this.parse(body);
    if ("answer" in parsed) return parsed.answer;
    const sealed = parsed.sealed;
    const key = sealingKey(this.options.keyring());
    if (!key) return textAnswer(500, "cannot re-encrypt: no usable sealing key");
    const { values, failure } = await this.open(sealed);
    if (failure) return jsonAnswer(409, failure);
    const cert = parseSealingCertificate(key.certificatePem, this.now());
    const label = scopeLabel(sealedSecretScope(sealed), sealed.metadata.namespace ?? "", sealed.metadata.name ?? "");
    const encryptedData: Record<string, string> = {};
    for (const v of values) {
      if (!v.ok) continue;
      const before = sealed.spec.encryptedData[v.name];
      if (options.keepCurrent === true && before !== undefined && v.fingerprint === key.fingerprint) {
        encryptedData[v.name] = before;
        v.plaintext.fill(0);
        continue;
      }
      encryptedData[v.name] = sealValue({ publicKey: cert.publicKey, plaintext: v.plaintext, label });
      v.plaintext.fill(0);
    }
    const annotations = { ...sealed.metadata.annotations };
    delete annotations[SEALED_WITH_CERT_ANNOTATION];
    const metadata: Record<string, unknown> = {
      name: sealed.metadata.name,
      namespace: sealed.metadata.namespace,
      ...(sealed.metadata.labels ? { labels: sealed.metadata.labels } : {}),
      // Re-sealed for the object's own name, namespace and scope: that is what it now records.
      annotations: recordSealedFor(recordSealedWithCertificate(annotations, key.fingerprint), {
        scope: sealedSecretScope(sealed),
        namespace: sealed.metadata.namespace ?? "",
        name: sealed.metadata.name ?? "",
      }),
    };
    const out = {
      apiVersion: sealed.apiVersion,
      kind: sealed.kind,
      metadata,
      spec: { ...(sealed.spec.template ? { template: sealed.spec.template } : {}), encryptedData },
    };
    return jsonAnswer(200, out);
  }
}
