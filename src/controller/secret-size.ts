// Kubernetes' limit on a Secret's data, checked before a write by every reconciler that makes
// Secrets (the decrypted kinds and ExternalSecret): a Secret over it is refused, nothing is sent.
import type { KubeObject } from "../kube/port.ts";

/** Kubernetes' limit on a Secret's data: keys and decoded values together (core validation). */
export const MAX_SECRET_DATA_BYTES = 1 << 20;

/** Bytes of data in a Secret as the API server counts them, and its largest keys. */
export function secretDataSize(secret: KubeObject): { bytes: number; largest: string[] } {
  const data = (secret["data"] ?? {}) as Record<string, string>;
  const sizes = Object.entries(data).map(([k, v]) => [k, k.length + Math.floor((v.length * 3) / 4) - (v.endsWith("==") ? 2 : v.endsWith("=") ? 1 : 0)] as const);
  return { bytes: sizes.reduce((n, [, size]) => n + size, 0), largest: [...sizes].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} (${n} bytes)`) };
}
