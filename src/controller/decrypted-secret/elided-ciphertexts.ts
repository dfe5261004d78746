// What the cache keeps of a decrypted kind's object (SealedSecret, AgeSecret). Its ciphertexts are
// most of its size (an RSA-4096 value is ~750 base64 characters) and are needed only to open the
// values again. Once status records that the Secret was made from exactly this input (the source
// hash over these ciphertexts matches), the cached copy keeps the value names with empty values;
// the reconciler reads the whole object from the API server only when it must open them again
// (the Secret drifted or went away, a key was dropped). An object whose record does not match is
// cached whole. Repeated short strings of the status (condition fields, key fingerprints) are shared.
import { intern } from "../../kube/intern.ts";
import type { KubeObject } from "../../kube/port.ts";
import type { SealedLike } from "./conditions.ts";
import { sourceHash } from "./hashes.ts";

/** Cached objects whose ciphertexts were dropped after their source hash was checked. */
const elided = new WeakSet<object>();

/** True when `obj` is a cached copy without its ciphertexts (see elideCurrentCiphertexts). */
export function ciphertextsElided(obj: KubeObject): boolean {
  return elided.has(obj);
}

/** How a kind reads its objects (its DecryptStep's parse and view). */
export interface SourceReader {
  parse(raw: KubeObject, where: string): unknown;
  view(obj: never): SealedLike;
}

/**
 * The object to cache for `raw`: a copy without ciphertexts when its status.secret records this
 * exact input (kinds whose source hash has no inputs besides the object), else `raw` itself. Either
 * way its status strings are shared.
 */
export function elideCurrentCiphertexts(raw: KubeObject, reader: SourceReader): KubeObject {
  try {
    internStatus(raw);
    const spec = raw["spec"] as { encryptedData?: unknown } | undefined;
    const data = spec?.encryptedData;
    if (data === null || typeof data !== "object" || Object.keys(data).length === 0) return raw;
    const view = viewOf(reader, raw);
    const record = view.status?.secret;
    if (!record || record.sourceHash !== sourceHash(view, record.keys)) return raw;
    const emptied: Record<string, string> = {};
    for (const name of Object.keys(data)) emptied[name] = "";
    const copy: KubeObject = { ...raw, spec: { ...spec, encryptedData: emptied } };
    // Only if the kind reads its values from exactly there (else keep the object whole).
    const values = Object.values(viewOf(reader, copy).spec.encryptedData);
    if (values.length !== Object.keys(emptied).length || values.some((v) => v !== "")) return raw;
    elided.add(copy);
    return copy;
  } catch {
    // Not a valid manifest (or not one this check understands): cached whole; the reconciler parses
    // it again and reports what is wrong. Nothing thrown here may stop the watch that delivered it.
    return raw;
  }
}

function viewOf(reader: SourceReader, raw: KubeObject): SealedLike {
  return reader.view(reader.parse(raw, "cached object") as never);
}

function internStatus(raw: KubeObject): void {
  const status = raw["status"] as { conditions?: unknown; secret?: { keys?: unknown } } | undefined;
  if (status === null || typeof status !== "object") return;
  if (Array.isArray(status.conditions)) {
    for (const c of status.conditions as Record<string, unknown>[]) {
      if (c === null || typeof c !== "object") continue;
      for (const field of ["type", "status", "reason", "lastTransitionTime", "lastUpdateTime"]) {
        if (typeof c[field] === "string") c[field] = intern(c[field]);
      }
    }
  }
  const keys = status.secret?.keys;
  if (Array.isArray(keys)) for (let i = 0; i < keys.length; i++) keys[i] = intern(keys[i] as unknown);
}
