// Freshdesk's account-wide budget on the fake's clock: a fixed window (60 s, or an hour for accounts still on
// hourly limits) that opens with the first request after the previous one closed. Every request costs credits,
// invalid ones too. Paid plans also cap the tickets and contacts lists on their own, per minute, below the
// account budget; a request over such a cap gets 429 while the account's headers still show credits left
// (Freshdesk documents the caps but no header for them: the worst plausible reading, nothing tells them apart).

export const rateLimitWindowMs = 60_000;
export const hourlyWindowMs = 3_600_000;

/** Lists with their own per-minute cap (plan table in FRESHDESK.md: Growth 20, Pro 100, Enterprise 200). */
export type CappedList = 'tickets' | 'contacts';
export type ListCaps = Partial<Record<CappedList, number>>;

export interface RateDecision {
  allowed: boolean;
  total: number;
  remaining: number;
  /** Credits this request used (0 when refused). */
  used: number;
  /** Seconds until the window resets; set when refused. */
  retryAfterSeconds?: number;
}

/** A fixed window of `lengthMs` counting credits up to `limit`. */
class FixedWindow {
  private startMs: number | undefined;
  used = 0;

  constructor(private readonly lengthMs: () => number) {}

  roll(nowMs: number): void {
    if (this.startMs === undefined || nowMs >= this.startMs + this.lengthMs() || nowMs < this.startMs) {
      this.startMs = nowMs;
      this.used = 0;
    }
  }

  secondsLeft(nowMs: number): number {
    return Math.max(1, Math.ceil(((this.startMs ?? nowMs) + this.lengthMs() - nowMs) / 1000));
  }
}

export class RateLimiter {
  private windowMs = rateLimitWindowMs;
  private readonly account = new FixedWindow(() => this.windowMs);
  private readonly lists = new Map<CappedList, FixedWindow>();
  private listCaps: ListCaps = {};

  constructor(private perWindow: number) {}

  get total(): number {
    return this.perWindow;
  }

  setPerMinute(perMinute: number): void {
    this.perWindow = perMinute;
  }

  /** `hourly`: the budget is per hour (old accounts), and a 429's Retry-After can be most of an hour. */
  setHourly(hourly: boolean): void {
    this.windowMs = hourly ? hourlyWindowMs : rateLimitWindowMs;
  }

  setListCaps(caps: ListCaps): void {
    this.listCaps = { ...caps };
  }

  take(cost: number, nowMs: number, list?: CappedList): RateDecision {
    this.account.roll(nowMs);
    const refuse = (seconds: number): RateDecision => ({
      allowed: false,
      total: this.perWindow,
      remaining: Math.max(0, this.perWindow - this.account.used),
      used: 0,
      retryAfterSeconds: seconds,
    });
    if (this.account.used + cost > this.perWindow) return refuse(this.account.secondsLeft(nowMs));
    const cap = list && this.listCaps[list];
    if (list && cap !== undefined) {
      let window = this.lists.get(list);
      if (!window) {
        window = new FixedWindow(() => rateLimitWindowMs);
        this.lists.set(list, window);
      }
      window.roll(nowMs);
      if (window.used + cost > cap) return refuse(window.secondsLeft(nowMs));
      window.used += cost;
    }
    this.account.used += cost;
    return { allowed: true, total: this.perWindow, remaining: this.perWindow - this.account.used, used: cost };
  }
}
