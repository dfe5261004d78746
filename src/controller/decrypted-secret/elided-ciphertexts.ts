// What the cache keeps of a decrypted kind's object (SealedSecret, AgeSecret). Its ciphertexts are
// most of its size (an RSA-4096 value is ~750 base64 characters) and are needed only to open the
// values. Once status records that the Secret was made from exactly this input (the source hash over
// these ciphertexts matches), the cached copy keeps the value names with empty values. Objects still
// to be opened keep their ciphertexts while those fit a byte budget; beyond it (a bulk apply of
// 100,000 objects) they are cached without them too. The reconciler reads the whole object from the
// API server whenever it must open values the cache does not hold. Repeated short strings of the
// status (condition fields, key fingerprints) are shared.
import { intern } from "../../kube/intern.ts";
import type { KubeObject } from "../../kube/port.ts";
import { keyOf } from "../object-key.ts";
import type { SealedLike } from "./conditions.ts";
import { sourceHash } from "./hashes.ts";

/** Ciphertext bytes cached for objects still to be opened, per reconciler (≈ 43,000 RSA-4096 values). */
export const DEFAULT_CIPHERTEXT_CACHE_BYTES = 32 * 1024 * 1024;

/** Cached copies without ciphertexts. */
const elided = new WeakSet<object>();
/** Of those, the ones whose source hash was found to match status.secret as they arrived. */
const verified = new WeakSet<object>();

/** True when `obj` is a cached copy without its ciphertexts: read it whole before opening values. */
export function ciphertextsElided(obj: KubeObject): boolean {
  return elided.has(obj);
}

/** True when `obj` is a copy without ciphertexts whose status.secret records exactly them. */
export function sourceVerified(obj: KubeObject): boolean {
  return verified.has(obj);
}

/** How a kind reads its objects (its DecryptStep's parse and view). */
export interface SourceReader {
  parse(raw: KubeObject, where: string): unknown;
  view(obj: never): SealedLike;
}

export class CiphertextCache {
  private readonly limit: number;
  private readonly reader: SourceReader;
  /** Ciphertext characters cached, by object key (objects still to be opened only). */
  private readonly held = new Map<string, number>();
  private used = 0;

  constructor(reader: SourceReader, limitBytes = DEFAULT_CIPHERTEXT_CACHE_BYTES) {
    this.reader = reader;
    this.limit = limitBytes;
  }

  /** Ciphertext bytes held now for objects still to be opened. */
  get bytes(): number {
    return this.used;
  }

  /**
   * The object to cache for `raw` (the version it replaces leaves the cache): without ciphertexts
   * when status records exactly them (kinds whose source hash has no inputs besides the object) or
   * when they do not fit the budget, else `raw` itself. Never throws: whatever this check cannot
   * read is cached whole, and the reconciler reports what is wrong with it.
   */
  keep(raw: KubeObject): KubeObject {
    try {
      internStatus(raw);
      const key = keyOf(raw);
      if (key !== undefined) this.release(key);
      const spec = raw["spec"] as { encryptedData?: unknown } | undefined;
      const data = spec?.encryptedData;
      if (key === undefined || data === null || typeof data !== "object" || Object.keys(data).length === 0) return raw;
      const view = viewOf(this.reader, raw);
      const record = view.status?.secret;
      const current = record !== undefined && record.sourceHash === sourceHash(view, record.keys);
      let size = 0;
      for (const v of Object.values(view.spec.encryptedData)) size += v.length;
      if (!current && this.used + size <= this.limit) {
        this.held.set(key, size);
        this.used += size;
        return raw;
      }
      // The kinds that opt in (DecryptStep.cachesWithoutCiphertexts) read their values from spec.encryptedData.
      const emptied: Record<string, string> = {};
      for (const name of Object.keys(data)) emptied[name] = "";
      const copy: KubeObject = { ...raw, spec: { ...spec, encryptedData: emptied } };
      elided.add(copy);
      if (current) verified.add(copy);
      return copy;
    } catch {
      // Nothing thrown here may stop the watch that delivered the object.
      return raw;
    }
  }

  /** The object left the cache (deleted, or replaced by a newer version). */
  release(key: string): void {
    const size = this.held.get(key);
    if (size === undefined) return;
    this.held.delete(key);
    this.used -= size;
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
