// The per-tenant request budget shared by all streams: paced by Freshdesk's X-Ratelimit-* headers and the
// optional configured ceiling, paused as a whole while a 429's Retry-After is pending.
import type { Clock } from '../../core/clock.js';
import { throwIfAborted } from '../../core/clock.js';

export const rateWindowMs = 60_000;
/** Added to the sliding window: a request arrives a little after we send it, and the server counts arrivals. */
export const windowGuardMs = 1_000;
/** Pacing starts when the remaining budget falls to this share of the total (or 1 request, if more). */
export const lowRemainingFraction = 0.2;

export interface RateBudgetState {
  nowMs: number;
  /** No request before this instant (a 429's Retry-After). */
  pausedUntilMs: number;
  /** Send times of our requests inside the last window, oldest first. */
  sentAtMs: readonly number[];
  /** Most restrictive per-minute ceiling known: configured rateLimitPerMinute and X-Ratelimit-Total. */
  ceilingPerMinute: number | undefined;
  /** Last X-Ratelimit-Remaining / -Total seen and when. */
  remaining: number | undefined;
  total: number | undefined;
  lastResponseAtMs: number | undefined;
}

/**
 * How long to wait before the next request (0 = go now). Three rules, the longest wait wins:
 * a pending Retry-After; never more than the ceiling inside any sliding 60 s window (which also fits any
 * fixed minute window); and when the headers say the account-wide budget is nearly spent, spread the
 * remaining requests over a window — windowMs/(remaining+1) apart, a full window when nothing remains —
 * so other apps' usage slows us down before the server answers 429.
 */
export function nextRequestDelayMs(state: RateBudgetState): number {
  let until = state.pausedUntilMs;
  const { ceilingPerMinute, sentAtMs, nowMs } = state;
  if (ceilingPerMinute !== undefined && sentAtMs.length >= ceilingPerMinute) {
    const oldestInWindow = sentAtMs[sentAtMs.length - ceilingPerMinute] ?? nowMs;
    until = Math.max(until, oldestInWindow + rateWindowMs + windowGuardMs);
  }
  if (state.remaining !== undefined && state.total !== undefined && state.lastResponseAtMs !== undefined) {
    const low = Math.max(1, Math.floor(state.total * lowRemainingFraction));
    if (state.remaining <= low) {
      until = Math.max(until, state.lastResponseAtMs + Math.ceil(rateWindowMs / (state.remaining + 1)));
    }
  }
  return Math.max(0, until - nowMs);
}

export interface RateHeaders {
  total?: number;
  remaining?: number;
}

/** X-Ratelimit-Total / -Remaining as numbers (header names are case-insensitive; undici lower-cases them). */
export function readRateHeaders(headers: Record<string, string | string[] | undefined>): RateHeaders {
  const num = (name: string): number | undefined => {
    const raw = headers[name];
    const text = Array.isArray(raw) ? raw[0] : raw;
    if (text === undefined) return undefined;
    const value = Number(text);
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  return { total: num('x-ratelimit-total'), remaining: num('x-ratelimit-remaining') };
}

export interface RateBudgetOptions {
  clock: Clock;
  configuredPerMinute?: number;
  /** Called with the wait before it starts, for logs and metrics. */
  onWait?: (ms: number, reason: 'paced' | 'paused') => void;
}

export class RateBudget {
  private readonly clock: Clock;
  private readonly configuredPerMinute: number | undefined;
  private readonly onWait: RateBudgetOptions['onWait'];
  private pausedUntilMs = 0;
  private sentAtMs: number[] = [];
  private headers: RateHeaders = {};
  private lastResponseAtMs: number | undefined;
  private headerTotal: number | undefined;

  constructor(options: RateBudgetOptions) {
    this.clock = options.clock;
    this.configuredPerMinute = options.configuredPerMinute;
    this.onWait = options.onWait;
  }

  /** Waits until a request may be sent and records it as sent. */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      throwIfAborted(signal);
      const state = this.state();
      const waitMs = nextRequestDelayMs(state);
      if (waitMs <= 0) break;
      this.onWait?.(waitMs, state.pausedUntilMs > state.nowMs ? 'paused' : 'paced');
      await this.clock.sleep(waitMs, signal);
    }
    const now = this.clock.nowMs();
    this.sentAtMs.push(now);
    this.prune(now);
  }

  /** Records a response's rate headers. */
  observe(headers: RateHeaders): void {
    if (headers.total !== undefined) this.headerTotal = headers.total;
    if (headers.remaining !== undefined || headers.total !== undefined) {
      this.headers = { ...this.headers, ...headers };
      this.lastResponseAtMs = this.clock.nowMs();
    }
  }

  /** Pauses the whole tenant: no request of any stream until `ms` from now. */
  pause(ms: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, this.clock.nowMs() + ms);
    // The 429's "remaining: 0" describes the window that Retry-After waits out; pacing on it would wait twice.
    this.headers = { total: this.headers.total };
  }

  get pausedUntil(): number {
    return this.pausedUntilMs;
  }

  private ceiling(): number | undefined {
    const values = [this.configuredPerMinute, this.headerTotal].filter((v): v is number => v !== undefined && v > 0);
    return values.length === 0 ? undefined : Math.min(...values);
  }

  private state(): RateBudgetState {
    const nowMs = this.clock.nowMs();
    this.prune(nowMs);
    return {
      nowMs,
      pausedUntilMs: this.pausedUntilMs,
      sentAtMs: this.sentAtMs,
      ceilingPerMinute: this.ceiling(),
      remaining: this.headers.remaining,
      total: this.headers.total,
      lastResponseAtMs: this.lastResponseAtMs,
    };
  }

  private prune(nowMs: number): void {
    let drop = 0;
    while (drop < this.sentAtMs.length && (this.sentAtMs[drop] ?? 0) <= nowMs - rateWindowMs - windowGuardMs) drop++;
    if (drop > 0) this.sentAtMs = this.sentAtMs.slice(drop);
  }
}
