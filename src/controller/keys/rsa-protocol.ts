// Messages between the RSA pool and its worker threads. Plaintexts cross the thread boundary only
// inside these messages; nothing here is logged.

export interface WorkerKey {
  fingerprint: string;
  privateKeyPem: string;
}

export interface OpenRequest {
  /** encryptedData entries: [name, base64 value]. */
  values: readonly (readonly [string, string])[];
  /** OAEP labels: the first is the object's own scope; the rest (other scopes, recorded targets) only diagnose. */
  labels: readonly string[];
  /** Fingerprints of the keys to try, in order (newest first). */
  keys: readonly string[];
}

export type OpenedValue =
  | { name: string; ok: true; plaintext: Uint8Array; fingerprint: string }
  | {
      name: string;
      ok: false;
      reason: string;
      message: string;
      /** Diagnosis: index into `labels` of another label that opens the value, and with which key. */
      openedWithLabel?: number;
      openedWithKey?: string;
      /** Diagnosis (RSA): sealed with this key (fingerprint) for a label that is none of `labels`. */
      otherLabelWithKey?: string;
      /** Diagnosis (RSA): this key's OAEP block, but the AES-GCM part does not authenticate. */
      corruptWithKey?: string;
    };

export interface OpenResult {
  values: OpenedValue[];
  /** RSA private-key operations performed. */
  rsaOps: number;
}

export type ToWorker = { type: "keys"; keys: WorkerKey[] } | { type: "open"; id: number; request: OpenRequest };
/** `ready` is the worker's first message, sent once its module has loaded (see rsa-pool.ts). */
export type FromWorker = { type: "ready" } | { id: number; result: OpenResult } | { id: number; error: string };
