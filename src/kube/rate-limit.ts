// A token bucket for the controller's API writes: `qps` tokens a second, at most `burst` saved up.
// Writes wait for a token (in reservation order); reads are not limited. qps <= 0 turns it off.

export interface RateLimitOptions {
  qps: number;
  burst: number;
  now?: () => number;
}

export class TokenBucket {
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private last: number;
  /** Writes that had to wait for a token (metrics). */
  throttled = 0;

  constructor(options: RateLimitOptions) {
    this.qps = options.qps;
    this.burst = Math.max(1, options.burst);
    this.now = options.now ?? Date.now;
    this.tokens = this.burst;
    this.last = this.now();
  }

  get enabled(): boolean {
    return this.qps > 0;
  }

  /** How long the caller must wait for a token taken now (pure bookkeeping; takes the token). */
  reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** Resolves when the caller may write. */
  take(): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const wait = this.reserve();
    if (wait === 0) return Promise.resolve();
    this.throttled++;
    // Each reservation's wait already counts the tokens reserved before it, so callers leave in order.
    return new Promise<void>((resolve) => setTimeout(resolve, wait));
  }
}
