// Worker thread: opens Sealed Secrets values with the keys it was sent, off the main event loop.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { isCryptoError } from "../../crypto/errors.ts";
import { unsealValue } from "../../crypto/sealed.ts";
import type { FromWorker, OpenRequest, OpenResult, OpenedValue, ToWorker } from "./rsa-protocol.ts";

const keys = new Map<string, KeyObject>();
const encoder = new TextEncoder();

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
        for (let i = 1; i < request.labels.length; i++) {
          try {
            const opened = tryLabel(request.labels[i] ?? "");
            opened.plaintext.fill(0);
            failure.openedWithLabel = i;
            failure.openedWithKey = opened.fingerprint;
            break;
          } catch {
            // not this label either
          }
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
