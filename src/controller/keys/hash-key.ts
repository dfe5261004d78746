// The cluster's key for change-detection hashes written where Secret metadata readers can see them
// (ExternalSecret targets' reconcile.external-secrets.io/data-hash): an HMAC under this key instead
// of a bare hash, so a low-entropy value cannot be tested offline from its hash. Kept beside the
// sealing keys, made once by the leader, never deleted or rotated by the controller.
import { randomBytes } from "node:crypto";
import { resources } from "../../api/resources.ts";
import type { Logger } from "../../log.ts";
import { KubeApiError, type KubeObject, type KubePort } from "../../kube/port.ts";

export const HASH_KEY_SECRET = "sealbridge-hash-key";
export const HASH_KEY_LABEL = "sealbridge.dev/hash-key";
const ENTRY = "key";

function keyOf(secret: KubeObject | undefined): Uint8Array | undefined {
  const value = (secret?.["data"] as Record<string, unknown> | undefined)?.[ENTRY];
  if (typeof value !== "string") return undefined;
  const bytes = Buffer.from(value, "base64");
  return bytes.length >= 32 ? new Uint8Array(bytes) : undefined;
}

/** Reads the key Secret, creating it when absent (the caller is the one replica that writes). */
export async function loadOrCreateHashKey(kube: KubePort, namespace: string, log: Logger): Promise<Uint8Array> {
  const existing = await kube.get(resources.secret, namespace, HASH_KEY_SECRET);
  const found = keyOf(existing);
  if (found) return found;
  if (existing) throw new Error(`Secret ${namespace}/${HASH_KEY_SECRET} has no 32-byte "${ENTRY}" entry; restore it from backup or delete it to have a new one made`);
  try {
    await kube.create(resources.secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: HASH_KEY_SECRET, namespace, labels: { [HASH_KEY_LABEL]: "true" } },
      type: "Opaque",
      data: { [ENTRY]: randomBytes(32).toString("base64") },
    });
    log.info({ namespace, name: HASH_KEY_SECRET }, "hash key for change-detection annotations created");
  } catch (err) {
    // Another replica made it first.
    if (!(err instanceof KubeApiError && err.reason === "AlreadyExists")) throw err;
  }
  const created = keyOf(await kube.get(resources.secret, namespace, HASH_KEY_SECRET));
  if (!created) throw new Error(`Secret ${namespace}/${HASH_KEY_SECRET} could not be read back`);
  return created;
}
