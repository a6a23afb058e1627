// The per-tenant rate budget's pacing decision and its pause on 429, with a clock that advances on sleep.
import { describe, expect, it } from 'vitest';
import { nextRequestDelayMs, RateBudget, readRateHeaders, windowGuardMs, type RateBudgetState } from '../../../sync-job/source/freshdesk/rate-budget.js';
import type { Clock } from '../../../sync-job/core/clock.js';

const base: RateBudgetState = {
  nowMs: 100_000,
  pausedUntilMs: 0,
  sentAtMs: [],
  ceilingPerMinute: undefined,
  remaining: undefined,
  total: undefined,
  lastResponseAtMs: undefined,
};

describe('nextRequestDelayMs', () => {
  it('goes at once with budget to spare', () => {
    expect(nextRequestDelayMs({ ...base, remaining: 40, total: 50, lastResponseAtMs: 99_000 })).toBe(0);
  });

  it('waits out a pending Retry-After', () => {
    expect(nextRequestDelayMs({ ...base, pausedUntilMs: 130_000 })).toBe(30_000);
  });

  it('never sends more than the ceiling inside a sliding minute', () => {
    const sentAtMs = [50_000, 60_000, 70_000];
    expect(nextRequestDelayMs({ ...base, ceilingPerMinute: 3, sentAtMs })).toBe(10_000 + windowGuardMs);
    expect(nextRequestDelayMs({ ...base, ceilingPerMinute: 4, sentAtMs })).toBe(0);
  });

  it('slows down more the closer the remaining budget gets to zero', () => {
    const delays = [10, 5, 2, 1, 0].map((remaining) =>
      nextRequestDelayMs({ ...base, remaining, total: 50, lastResponseAtMs: base.nowMs }),
    );
    expect(delays[0]).toBeGreaterThan(0);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);
    expect(delays.at(-1)).toBe(60_000);
    expect(nextRequestDelayMs({ ...base, remaining: 11, total: 50, lastResponseAtMs: base.nowMs })).toBe(0);
  });
});

describe('readRateHeaders', () => {
  it('reads the X-Ratelimit headers and ignores junk', () => {
    expect(readRateHeaders({ 'x-ratelimit-total': '50', 'x-ratelimit-remaining': '3' })).toEqual({ total: 50, remaining: 3 });
    expect(readRateHeaders({ 'x-ratelimit-remaining': 'lots' })).toEqual({ total: undefined, remaining: undefined });
  });
});

describe('RateBudget', () => {
  const fakeClock = () => {
    let now = 1_000_000;
    const sleeps: number[] = [];
    const clock: Clock = { nowMs: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; } };
    return { clock, sleeps, now: () => now };
  };

  it('pauses every caller until Retry-After has passed, and forgets the 429 window\'s remaining: 0', async () => {
    const { clock, sleeps, now } = fakeClock();
    const budget = new RateBudget({ clock });
    budget.observe({ total: 50, remaining: 0 });
    budget.pause(20_000);
    const start = now();
    await budget.acquire();
    expect(now() - start).toBe(20_000);
    expect(sleeps).toEqual([20_000]);
  });

  it('holds to a configured ceiling per minute', async () => {
    const { clock, now } = fakeClock();
    const budget = new RateBudget({ clock, configuredPerMinute: 2 });
    const start = now();
    await budget.acquire();
    await budget.acquire();
    await budget.acquire();
    expect(now() - start).toBe(60_000 + windowGuardMs);
  });
});
