// Admission for the API routes that cost RSA work (/v1/verify, /v1/rotate): a cap on requests in
// flight for the whole process and a token bucket per client, so one caller can neither queue
// unbounded work nor crowd out the others. Decided before the body is read; the clock is passed in.

export interface AdmissionLimits {
  /** Requests handled at once, all clients together. */
  maxInFlight: number;
  /** Sustained requests per second per client. */
  perClientRate: number;
  /** Requests a client may send at once after being idle. */
  perClientBurst: number;
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = { maxInFlight: 8, perClientRate: 20, perClientBurst: 40 };

/** Clients remembered at most; the least recently seen are forgotten first (a full bucket again). */
const MAX_CLIENTS = 4096;

export type Admission = { admitted: true; release: () => void } | { admitted: false; why: "busy" | "rate"; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RequestAdmission {
  private readonly limits: AdmissionLimits;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();
  private inFlight = 0;

  constructor(limits: Partial<AdmissionLimits> = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_ADMISSION_LIMITS, ...limits };
    this.now = now;
  }

  get active(): number {
    return this.inFlight;
  }

  admit(client: string): Admission {
    const now = this.now();
    const { perClientRate: rate, perClientBurst: burst } = this.limits;
    const prior = this.buckets.get(client);
    const tokens = prior === undefined ? burst : Math.min(burst, prior.tokens + ((now - prior.at) / 1000) * rate);
    // Re-insert so the map's order is least recently seen first.
    this.buckets.delete(client);
    if (tokens < 1) {
      this.buckets.set(client, { tokens, at: now });
      return { admitted: false, why: "rate", retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rate)) };
    }
    if (this.inFlight >= this.limits.maxInFlight) {
      this.buckets.set(client, { tokens, at: now });
      return { admitted: false, why: "busy", retryAfterSeconds: 1 };
    }
    this.buckets.set(client, { tokens: tokens - 1, at: now });
    if (this.buckets.size > MAX_CLIENTS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.inFlight++;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
      },
    };
  }
}

/**
 * Who is asking. Through the API server's service proxy every request comes from the API server,
 * which appends the caller's address to X-Forwarded-For; its last entry names the caller. A direct
 * caller can write any header, so the peer address stays part of the key: forging entries only
 * splits one's own budget, and the in-flight cap still bounds the work of all callers together.
 */
export function clientOf(forwardedFor: string | string[] | undefined, remoteAddress: string | undefined): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "");
  const last = header.split(",").map((s) => s.trim()).filter((s) => s !== "").at(-1);
  const peer = remoteAddress ?? "unknown";
  return last === undefined ? peer : `${peer} for ${last.slice(0, 64)}`;
}
