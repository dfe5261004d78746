// One HTTP answer of the controller API, transport-free (handlers return it; http.ts sends it).
export interface ApiAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Sent as Retry-After (seconds) with a 429. */
  retryAfterSeconds?: number;
}
