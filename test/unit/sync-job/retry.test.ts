// Retry decisions: exponential backoff with jitter inside its bounds, Retry-After as seconds or a date.
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfterMs, retryDelayMs, sinkRetryDefaults, sourceRetryDefaults, type RetryPolicy } from '../../../sync-job/core/retry.js';

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };

describe('backoffDelayMs', () => {
  it('doubles per retry up to the cap, jittered between half and all of it', () => {
    expect(backoffDelayMs(1, policy, () => 0)).toBe(500);
    expect(backoffDelayMs(1, policy, () => 1)).toBe(1000);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(4000);
    expect(backoffDelayMs(10, policy, () => 1)).toBe(8000);
    expect(backoffDelayMs(10, policy, () => 0)).toBe(4000);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2024-05-01T10:00:00Z');
  it('reads seconds and HTTP dates, ignores garbage', () => {
    expect(parseRetryAfterMs('30', now)).toBe(30_000);
    expect(parseRetryAfterMs(['2'], now)).toBe(2000);
    expect(parseRetryAfterMs('Wed, 01 May 2024 10:00:45 GMT', now)).toBe(45_000);
    expect(parseRetryAfterMs('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});

describe('retryDelayMs', () => {
  it('honours Retry-After (clamped) over backoff', () => {
    expect(retryDelayMs(1, 20_000, policy, () => 0)).toBe(20_000);
    expect(retryDelayMs(1, 3_600_000, policy, () => 0)).toBe(60_000);
    expect(retryDelayMs(2, undefined, policy, () => 1)).toBe(2000);
  });
});

describe('the shipped retry policies (docs/sync-job.md: source 5 tries, sink 6; backoff 1 s doubling to 30 s; Retry-After at most 5 min)', () => {
  it.each([
    ['source', 5, sourceRetryDefaults],
    ['sink', 6, sinkRetryDefaults],
  ] as const)('%s: %i tries in all, the longest backoff 30 s, a Retry-After of an hour waited 5 min', (_name, tries, shipped) => {
    expect(shipped.maxAttempts).toBe(tries);
    // Without jitter (random 1): 1, 2, 4, 8, 16 s, then 30 s however many retries.
    expect([1, 2, 3, 4, 5, 6, 9].map((retry) => retryDelayMs(retry, undefined, shipped, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(retryDelayMs(1, 3_600_000, shipped, () => 0)).toBe(300_000);
  });
});
