// What a decrypted-secret reconciler (SealedSecret, AgeSecret, SopsSecret: one each) has done, read by
// the metrics endpoint, tests and the benchmark.
import type { SyncedReason } from "./conditions.ts";

export class SealedSecretStats {
  reconciles = 0;
  /** Secrets created or updated from decrypted values. */
  unsealed = 0;
  /** Reconciles that decided from the Secret's recorded hash, without decrypting. */
  skippedDecrypt = 0;
  /** Target Secrets read with their data (the cache holds metadata only). */
  secretReads = 0;
  /** Objects read whole because their cached copy has no ciphertexts and they had to be opened again. */
  sourceReads = 0;
  readonly errorsByReason = new Map<string, number>();
  readonly writes = { secret: 0, status: 0, event: 0 };
  /** Per SealedSecret (namespace/name): the keys it depends on and its Synced reason. */
  readonly current = new Map<string, { keys: readonly string[]; reason: SyncedReason }>();

  countError(reason: string): void {
    this.errorsByReason.set(reason, (this.errorsByReason.get(reason) ?? 0) + 1);
  }

  get apiWrites(): number {
    return this.writes.secret + this.writes.status + this.writes.event;
  }

  /** How many SealedSecrets depend on each key fingerprint. */
  dependentsByKey(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { keys } of this.current.values()) for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1);
    return out;
  }

  countByReason(): Map<SyncedReason, number> {
    const out = new Map<SyncedReason, number>();
    for (const { reason } of this.current.values()) out.set(reason, (out.get(reason) ?? 0) + 1);
    return out;
  }
}
