// Worker thread: opens Sealed Secrets values with the keys it was sent, off the main event loop.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { isCryptoError } from "../../crypto/errors.ts";
import { decodeBase64Strict, unsealValue } from "../../crypto/sealed.ts";
import { diagnoseSealedValue, type SealedValueDiagnosis } from "../../crypto/sealed-diagnosis.ts";
import type { FromWorker, OpenRequest, OpenResult, OpenedValue, ToWorker } from "./rsa-protocol.ts";

const keys = new Map<string, KeyObject>();
const encoder = new TextEncoder();

/** The OAEP-structure diagnosis of a value no key opened; "foreign" if it cannot even be framed. */
function diagnoseValue(privateKeys: readonly KeyObject[], value: string, labels: readonly string[]): SealedValueDiagnosis {
  try {
    return diagnoseSealedValue({ privateKeys, ciphertext: decodeBase64Strict(value), candidates: labels.map((l) => encoder.encode(l)) });
  } catch {
    return { kind: "foreign" };
  }
}

function open(request: OpenRequest): OpenResult {
  const order = request.keys.flatMap((fp) => {
    const key = keys.get(fp);
    return key ? [{ fp, key }] : [];
  });
  const privateKeys = order.map((k) => k.key);
  let rsaOps = 0;
  const values: OpenedValue[] = [];
  for (const [name, value] of request.values) {
    const tryLabel = (label: string) => {
      rsaOps += privateKeys.length;
      const opened = unsealValue({ privateKeys, label: encoder.encode(label), value });
      return { plaintext: opened.plaintext, fingerprint: order[opened.keyIndex]?.fp ?? "" };
    };
    try {
      const primary = request.labels[0] ?? "";
      values.push({ name, ok: true, ...tryLabel(primary) });
      continue;
    } catch (err) {
      const failure: OpenedValue = {
        name,
        ok: false,
        reason: isCryptoError(err) ? err.reason : "DecryptFailed",
        message: err instanceof Error ? err.message : "decrypt failed",
      };
      if (failure.reason === "NoKeyCouldDecrypt") {
        // Diagnosis only: whose OAEP block this is, and for which label. Only the class leaves here.
        rsaOps += privateKeys.length;
        const diagnosis = diagnoseValue(privateKeys, value, request.labels);
        const fingerprint = diagnosis.kind === "foreign" ? "" : (order[diagnosis.keyIndex]?.fp ?? "");
        if (diagnosis.kind === "label" && diagnosis.candidate > 0) {
          failure.openedWithLabel = diagnosis.candidate;
          failure.openedWithKey = fingerprint;
        } else if (diagnosis.kind === "other-label") {
          failure.otherLabelWithKey = fingerprint;
        } else if (diagnosis.kind === "corrupt") {
          failure.corruptWithKey = fingerprint;
        }
      }
      values.push(failure);
    }
  }
  return { values, rsaOps };
}

parentPort?.on("message", (message: ToWorker) => {
  if (message.type === "keys") {
    keys.clear();
    for (const k of message.keys) {
      // The keyring already checked each key; one that still fails to parse is left out (its values
      // then report NoKeyCouldDecrypt) rather than crashing the worker on every respawn.
      try {
        keys.set(k.fingerprint, createPrivateKey(k.privateKeyPem));
      } catch {
        continue;
      }
    }
    return;
  }
  let reply: FromWorker;
  try {
    reply = { id: message.id, result: open(message.request) };
  } catch (err) {
    reply = { id: message.id, error: err instanceof Error ? err.message : "worker failure" };
  }
  parentPort?.postMessage(reply);
});

// Everything above loaded: the pool counts a worker that dies before this as one that cannot start.
parentPort?.postMessage({ type: "ready" } satisfies FromWorker);
