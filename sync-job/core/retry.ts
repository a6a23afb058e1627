// Retry defaults and the pure decisions behind them (one place, like undici's retry handler):
// exponential backoff with jitter, and Retry-After as seconds or an HTTP date.

export interface RetryPolicy {
  /** Total tries including the first one. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured as given; longer values are clamped (a sink asking for an hour). */
  maxRetryAfterMs: number;
}

export const sourceRetryDefaults: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
};

export const sinkRetryDefaults: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
};

/** Freshdesk's documented default when a 429 carries no Retry-After. */
export const defaultRateLimitPauseMs = 60_000;

/**
 * Delay before retry number `retry` (1 = first retry): base·2^(retry-1) capped at maxDelayMs, then "equal
 * jitter" — half fixed, half random — so many tenants retrying together spread out but never retry at once.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** Retry-After (`120` or an HTTP date) in ms from `nowMs`; undefined when absent or unparseable. */
export function parseRetryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

/** The wait before the next try: Retry-After when the server gave one (clamped), otherwise backoff. */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  return backoffDelayMs(retry, policy, random);
}
