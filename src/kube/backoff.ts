// Exponential backoff with jitter, as a pure function of the attempt number and a random draw.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay that is randomised: 0 = none, 0.5 = delay in [50%, 100%]. */
  jitter: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 500, maxMs: 5 * 60_000, jitter: 0.5 };

/** Delay before retry number `attempt` (1-based); `random` is a draw in [0, 1). */
export function computeBackoff(policy: BackoffPolicy, attempt: number, random: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling * (1 - policy.jitter * random));
}
