// The per-tenant rate budget's pacing decision and its pause on 429, with a clock that advances on sleep.
import { describe, expect, it } from 'vitest';
import { nextRequestDelayMs, RateBudget, rateWindowMs, readRateHeaders, windowGuardMs, type RateBudgetState } from '../../../sync-job/source/freshdesk/rate-budget.js';
import type { Clock } from '../../../sync-job/core/clock.js';

const base: RateBudgetState = {
  nowMs: 100_000,
  pausedUntilMs: 0,
  spent: [],
  credits: 1,
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
    const spent = [50_000, 60_000, 70_000].map((atMs) => ({ atMs, credits: 1 }));
    expect(nextRequestDelayMs({ ...base, ceilingPerMinute: 3, spent })).toBe(10_000 + windowGuardMs);
    expect(nextRequestDelayMs({ ...base, ceilingPerMinute: 4, spent })).toBe(0);
  });

  it('counts credits, not requests: a request with includes waits until its credits fit', () => {
    const spent = [{ atMs: 50_000, credits: 3 }, { atMs: 60_000, credits: 3 }];
    // 6 of 8 credits spent: a 1-credit request goes, a 3-credit one waits until the first 3 leave the window.
    expect(nextRequestDelayMs({ ...base, ceilingPerMinute: 8, spent, credits: 1 })).toBe(0);
    expect(nextRequestDelayMs({ ...base, ceilingPerMinute: 8, spent, credits: 3 })).toBe(10_000 + windowGuardMs);
  });

  it('holds a capped list endpoint to its own cap below the account ceiling', () => {
    const spent = [50_000, 60_000].map((atMs) => ({ atMs, credits: 1 }));
    expect(nextRequestDelayMs({ ...base, ceilingPerMinute: 100, spent, endpoint: { capPerMinute: 2, spent } })).toBe(10_000 + windowGuardMs);
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

  it('does not slow down when its own requests explain the low remaining budget: its ceiling stops it in time', () => {
    // Alone on a 50-credit account, sharing all of it: 45 credits of ours in the window at the last response, 5 left.
    const alone = { ...base, ceilingPerMinute: 50, spentAtLastResponse: 45, remaining: 5, total: 50, lastResponseAtMs: base.nowMs };
    expect(nextRequestDelayMs(alone)).toBe(0);
    // The same 5 left while we had spent only 9: another app spent the rest, so the last credits are spread out.
    expect(nextRequestDelayMs({ ...alone, spentAtLastResponse: 9 })).toBe(10_000);
    // Sharing 80 %: another app within its 20 % leaves us our share, and we go at once.
    expect(nextRequestDelayMs({ ...alone, ceilingPerMinute: 40, spentAtLastResponse: 30, remaining: 10 })).toBe(0);
  });

  it('a "0 left" from a window that has closed since does not hold it back a window: ours left our window too', () => {
    // The last response said 0 left after 50 credits of ours; 61 s later they are out of our window, and the server's.
    const later = { ...base, ceilingPerMinute: 50, spent: [], spentAtLastResponse: 50, remaining: 0, total: 50, lastResponseAtMs: base.nowMs - 20_000 };
    expect(nextRequestDelayMs(later)).toBe(0);
  });

  it('spreads the remaining credits in requests of the next one\'s cost: 2 credits left and a 3-credit page wait a full window', () => {
    const delay = (remaining: number, credits: number) => nextRequestDelayMs({ ...base, credits, remaining, total: 50, lastResponseAtMs: base.nowMs });
    expect(delay(2, 3)).toBe(60_000);
    expect(delay(9, 3)).toBe(15_000); // three such requests left
    expect(delay(9, 1)).toBe(6_000);
  });
});

describe('readRateHeaders', () => {
  it('reads the X-Ratelimit headers and ignores junk', () => {
    expect(readRateHeaders({ 'x-ratelimit-total': '50', 'x-ratelimit-remaining': '3', 'x-ratelimit-used-currentrequest': '3' })).toEqual({ total: 50, remaining: 3, used: 3 });
    expect(readRateHeaders({ 'x-ratelimit-remaining': 'lots' })).toEqual({ total: undefined, remaining: undefined, used: undefined });
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

  it("takes only its share of the account's budget (default 80 %)", async () => {
    const { clock, now } = fakeClock();
    const budget = new RateBudget({ clock });
    budget.observe({ total: 50, remaining: 50 });
    const start = now();
    for (let i = 0; i < 40; i++) await budget.acquire(undefined, '/groups');
    expect(now()).toBe(start);
    await budget.acquire(undefined, '/groups');
    expect(now() - start).toBe(rateWindowMs + windowGuardMs);
    const half = new RateBudget({ clock, sharePercent: 50 });
    half.observe({ total: 50, remaining: 50 });
    expect(half.ceiling()).toBe(25);
  });

  it('judges an answer\'s remaining by what it had sent when that request went out: a late "0 left" from a closed window does not stall it', async () => {
    const { clock, sleeps, now } = fakeClock();
    const budget = new RateBudget({ clock, sharePercent: 100 });
    budget.observe({ total: 50, remaining: 50 });
    const start = now();
    const tickets = [];
    for (let i = 0; i < 50; i++) tickets.push(await budget.acquire(undefined, '/groups'));
    expect(now()).toBe(start);
    // The last answer comes when our whole first window has already left our window (and the server's).
    await clock.sleep(rateWindowMs + windowGuardMs);
    budget.observe({ total: 50, remaining: 0 }, tickets.at(-1));
    await budget.acquire(undefined, '/groups');
    expect(sleeps).toEqual([rateWindowMs + windowGuardMs]);
    // Had another app spent the account (0 left after 10 of ours), the next request would be spread out.
    const shared = new RateBudget({ clock, sharePercent: 100 });
    shared.observe({ total: 50, remaining: 50 });
    const ours = [];
    for (let i = 0; i < 10; i++) ours.push(await shared.acquire(undefined, '/groups'));
    shared.observe({ total: 50, remaining: 0 }, ours.at(-1));
    const before = now();
    await shared.acquire(undefined, '/groups');
    expect(now() - before).toBe(rateWindowMs);
  });

  it('settles a request at the credits Freshdesk says it used', async () => {
    const { clock, now } = fakeClock();
    const budget = new RateBudget({ clock, configuredPerMinute: 6 });
    const start = now();
    budget.settle(await budget.acquire(undefined, '/tickets'), 3);
    budget.settle(await budget.acquire(undefined, '/tickets'), 3);
    await budget.acquire(undefined, '/tickets');
    expect(now() - start).toBe(rateWindowMs + windowGuardMs);
  });

  it("learns the tickets and contacts list caps from a known plan's X-Ratelimit-Total", () => {
    const { clock } = fakeClock();
    const learned: string[] = [];
    const budget = new RateBudget({ clock, onLearn: (endpoint, cap, from) => learned.push(`${endpoint}=${cap} ${from}`) });
    budget.observe({ total: 200, remaining: 199 });
    expect(learned).toEqual(['tickets=20 plan', 'contacts=20 plan']);
    expect(budget.endpointCap('tickets')).toBe(16);
    const configured = new RateBudget({ clock, listCapsPerMinute: { tickets: 10 }, sharePercent: 100 });
    configured.observe({ total: 400, remaining: 399 });
    expect([configured.endpointCap('tickets'), configured.endpointCap('contacts')]).toEqual([10, 100]);
  });

  it('learns a list cap from a 429 that came while the account still had credits', async () => {
    const { clock } = fakeClock();
    const budget = new RateBudget({ clock, sharePercent: 100 });
    for (let i = 0; i < 30; i++) await budget.acquire(undefined, '/tickets');
    const limited = await budget.acquire(undefined, '/tickets');
    budget.rateLimited(limited, 120, 20_000);
    expect(budget.endpointCap('tickets')).toBe(30);
    expect(budget.endpointCap('contacts')).toBeUndefined();
    // A 429 with the account's budget spent teaches nothing about the endpoint.
    const other = new RateBudget({ clock, sharePercent: 100 });
    other.rateLimited(await other.acquire(undefined, '/contacts'), 0, 20_000);
    expect(other.endpointCap('contacts')).toBeUndefined();
  });

  it('ends the run instead of sleeping past its deadline on a Retry-After (hourly accounts)', async () => {
    const { clock, sleeps, now } = fakeClock();
    const budget = new RateBudget({ clock, deadlineMs: now() + 30 * 60_000 });
    const ticket = await budget.acquire(undefined, '/tickets');
    expect(() => budget.rateLimited(ticket, 0, 3_540_000)).toThrow(/RATE_LIMIT|hourly/);
    await expect(budget.acquire(undefined, '/contacts')).rejects.toMatchObject({ code: 'RATE_LIMIT_PAST_DEADLINE' });
    expect(sleeps).toEqual([]);
  });
});
