// Freshdesk's account-wide per-minute budget on the fake's clock: a fixed 60 s window that opens with
// the first request after the previous one closed. Every request costs credits, invalid ones too.

export const rateLimitWindowMs = 60_000;

export interface RateDecision {
  allowed: boolean;
  total: number;
  remaining: number;
  /** Credits this request used (0 when refused). */
  used: number;
  /** Seconds until the window resets; set when refused. */
  retryAfterSeconds?: number;
}

export class RateLimiter {
  private windowStartMs: number | undefined;
  private usedInWindow = 0;

  constructor(private perMinute: number) {}

  get total(): number {
    return this.perMinute;
  }

  setPerMinute(perMinute: number): void {
    this.perMinute = perMinute;
  }

  take(cost: number, nowMs: number): RateDecision {
    if (this.windowStartMs === undefined || nowMs >= this.windowStartMs + rateLimitWindowMs || nowMs < this.windowStartMs) {
      this.windowStartMs = nowMs;
      this.usedInWindow = 0;
    }
    if (this.usedInWindow + cost > this.perMinute) {
      const waitMs = this.windowStartMs + rateLimitWindowMs - nowMs;
      return {
        allowed: false,
        total: this.perMinute,
        remaining: Math.max(0, this.perMinute - this.usedInWindow),
        used: 0,
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      };
    }
    this.usedInWindow += cost;
    return { allowed: true, total: this.perMinute, remaining: this.perMinute - this.usedInWindow, used: cost };
  }
}
