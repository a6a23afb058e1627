// Rate limits as Freshdesk meters them (FRESHDESK.md "Rate limits"): per-plan caps of the tickets and contacts
// lists below the account budget, the job's share of that budget, and accounts still on hourly limits, whose
// Retry-After can outlast the run: the job then ends at once with its acknowledged cursors.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resultSchema } from '../../sync-job/contract.js';
import { parseConfig } from '../../sync-job/files.js';
import { rateWindowMs } from '../../sync-job/source/freshdesk/rate-budget.js';
import type { FreshdeskFakeOptions } from '../fakes/freshdesk/index.js';
import { apiKey, at, configFor, deliveredIds, runInProcess, sinkToken, spawnJob, startWorld, tempDir, type World } from './support.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function start(options: FreshdeskFakeOptions): Promise<World> {
  world = await startWorld(options);
  return world;
}

function seedTickets(w: World, count: number): number[] {
  const baseMs = w.fake.clock.now().getTime() - 24 * 3600 * 1000;
  return w.fake.data.addTickets(count, (i) => ({ updated_at: at(baseMs, i) }));
}

/** The most credits the job spent inside any 60 s window (1 a request, + creditsPerInclude per `include`: the fake's includeCredits). */
function busiestMinute(w: World, path?: string, creditsPerInclude = 1): number {
  const requests = w.fake.requests.filter((r) => path === undefined || r.path === path);
  const times = requests.map((r) => r.time.getTime());
  const credits = requests.map((r) => 1 + creditsPerInclude * (r.query.include ? r.query.include.split(',').length : 0));
  let most = 0;
  for (let i = 0, j = 0, sum = 0; i < times.length; i++) {
    sum += credits[i]!;
    while (times[i]! - times[j]! >= rateWindowMs) sum -= credits[j++]!;
    most = Math.max(most, sum);
  }
  return most;
}

describe('rate limits per plan', () => {
  it("counts the credits each include costs (X-Ratelimit-Used-CurrentRequest), not requests, against a configured ceiling", async () => {
    const w = await start({ rateLimitPerMinute: 1_000, includeCredits: 2 });
    const ids = seedTickets(w, 4_000);
    const run = await runInProcess(w, configFor(w, ['tickets'], { rateLimitPerMinute: 50 }));
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(w.sink, 'tickets')).toEqual(ids);
    // include=description,stats: 1 + 2 × 2 = 5 credits a page, so at most 10 pages in any minute.
    expect(w.fake.requests.every((r) => r.query.include === 'description,stats')).toBe(true);
    expect(busiestMinute(w, undefined, 2)).toBeLessThanOrEqual(50);
    expect(w.fake.requests.filter((r) => r.status === 429)).toEqual([]);
  });

  it("stays under the tickets and contacts lists' own caps, learned from the plan's X-Ratelimit-Total (Growth: 200 / 20 / 20)", async () => {
    const w = await start({ rateLimitPerMinute: 200, listCapsPerMinute: { tickets: 20, contacts: 20 } });
    const ids = seedTickets(w, 3_000);
    w.fake.data.addContacts(2_500);
    const run = await runInProcess(w, configFor(w, ['tickets', 'contacts']));
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(w.sink, 'tickets')).toEqual(ids);
    expect(w.sink.records('acme', 'contacts')).toHaveLength(2_500);
    expect(w.fake.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(busiestMinute(w, '/api/v2/tickets')).toBeLessThanOrEqual(20);
    expect(run.logs.some((line) => line.includes("learned the tickets list's own per-minute cap"))).toBe(true);
  });

  it("learns an unknown plan's list cap from one 429 while the account had credits left, and is not limited again", async () => {
    const w = await start({ rateLimitPerMinute: 300, listCapsPerMinute: { tickets: 30 } });
    const ids = seedTickets(w, 6_000); // 60 pages: two minutes of the tickets list's cap
    const run = await runInProcess(w, configFor(w, ['tickets']));
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(w.sink, 'tickets')).toEqual(ids);
    expect(w.fake.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(w.fake.violations).toEqual([]);
  });

  it('honours list caps configured in config.json (listRateLimitsPerMinute) from the first request: no 429 to learn them', async () => {
    const w = await start({ rateLimitPerMinute: 300, listCapsPerMinute: { tickets: 30, contacts: 25 } });
    const ids = seedTickets(w, 5_000); // 50 pages: three minutes at the configured 20
    w.fake.data.addContacts(3_000);
    // Through the contract's parser, as the job reads the operator's config.json.
    const config = parseConfig(JSON.parse(JSON.stringify(configFor(w, ['tickets', 'contacts'], { listRateLimitsPerMinute: { tickets: 20, contacts: 15 } }))));
    const run = await runInProcess(w, config);
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(w.sink, 'tickets')).toEqual(ids);
    expect(w.sink.records('acme', 'contacts')).toHaveLength(3_000);
    expect(w.fake.requests.filter((r) => r.status === 429)).toEqual([]);
    // The configured caps, below the plan's own, are what the job keeps to.
    expect(busiestMinute(w, '/api/v2/tickets')).toBeLessThanOrEqual(20);
    expect(busiestMinute(w, '/api/v2/contacts')).toBeLessThanOrEqual(15);
    expect(w.fake.violations).toEqual([]);
  });

  it("takes only its share of the account's budget (default 80 %), leaving the rest to the customer's other apps", async () => {
    const w = await start({ rateLimitPerMinute: 50 });
    seedTickets(w, 5_000);
    const run = await runInProcess(w, configFor(w, ['tickets']));
    expect(run.result.outcome).toBe('Succeeded');
    // 40 credits, less what a last ticket page (3 credits with include=description,stats) could not fit.
    expect(busiestMinute(w)).toBeLessThanOrEqual(40);
    expect(busiestMinute(w)).toBeGreaterThanOrEqual(38);
    await w.close();
    const half = await start({ rateLimitPerMinute: 50 });
    seedTickets(half, 5_000);
    const halfRun = await runInProcess(half, configFor(half, ['tickets'], { rateLimitSharePercent: 50 }));
    expect(halfRun.result.outcome).toBe('Succeeded');
    expect(busiestMinute(half)).toBeLessThanOrEqual(25);
    expect(busiestMinute(half)).toBeGreaterThanOrEqual(23);
  });

  it('alone on the account with a 100 % share, spends the whole budget every minute: its own requests do not slow it down as if another app spent them', async () => {
    const w = await start({ rateLimitPerMinute: 50 });
    const ids = seedTickets(w, 5_000);
    const run = await runInProcess(w, configFor(w, ['tickets'], { rateLimitSharePercent: 100 }));
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(w.sink, 'tickets')).toEqual(ids);
    // 16 ticket pages of 3 credits (48 of 50) a minute. A request that waited did so only for its credits to leave the
    // window (60 s after the request 16 before it); spreading the last credits out made pages 15 and 16 wait 20-30 s.
    const times = w.fake.requests.map((r) => r.time.getTime());
    const waitedForNoCredit = times.flatMap((time, i) => (i > 0 && time - times[i - 1]! > 5_000 && !(i >= 16 && time - times[i - 16]! >= rateWindowMs) ? [i + 1] : []));
    expect(waitedForNoCredit).toEqual([]);
    expect(busiestMinute(w)).toBe(48);
    expect(w.fake.requests.filter((r) => r.status === 429)).toEqual([]);
  });

  it('alone, with answers that take time, starts the next window as soon as its credits leave it, not a window after the last answer', async () => {
    const w = await start({ rateLimitPerMinute: 50 });
    const ids = seedTickets(w, 120);
    for (const id of ids) w.fake.data.addConversation(id, { updated_at: w.fake.data.ticket(id).updated_at as string }, { touchTicket: false });
    // Each answer takes 300 ms of the fake's (and the job's) clock: the first window's 50 requests end ~15 s in.
    w.fake.faults.onRequest(() => w.fake.clock.advance(300));
    const run = await runInProcess(w, configFor(w, ['conversations'], { rateLimitSharePercent: 100 }));
    expect(run.result.streams.conversations).toMatchObject({ outcome: 'Succeeded', records: ids.length });
    const times = w.fake.requests.map((r) => r.time.getTime());
    expect(times.length).toBeGreaterThan(100);
    // Request 51 waits for request 1's credit to leave the window (61 s); the last answer's "0 left" made it wait
    // 60 s after that answer instead (~81 s).
    expect(times[50]! - times[0]!).toBeLessThan(rateWindowMs + 5_000);
    expect(busiestMinute(w)).toBeLessThanOrEqual(50);
    expect(w.fake.requests.filter((r) => r.status === 429)).toEqual([]);
  });

  it("on an hourly account never sleeps past the run's deadline: it ends the run with a clear message and the acknowledged cursor", async () => {
    const w = await start({ rateLimitPerMinute: 100, hourly: true });
    seedTickets(w, 20_000);
    w.fake.data.addGroups(3);
    const startMs = w.fake.clock.now().getTime();
    const deadline = startMs + 30 * 60_000;
    const run = await runInProcess(w, configFor(w, ['tickets', 'groups']), undefined, { deadline });
    expect(run.exitCode).toBe(1);
    const tickets = run.result.streams.tickets!;
    expect(tickets).toMatchObject({ outcome: 'Failed', error: expect.stringMatching(/^RATE_LIMIT_PAST_DEADLINE: .*hourly limit/) });
    expect(tickets.records).toBeGreaterThan(0);
    // The cursor is the last acknowledged ticket: everything up to it reached the sink.
    const delivered = deliveredIds(w.sink, 'tickets');
    expect(delivered).toHaveLength(tickets.records);
    expect(tickets.cursor.updatedAt).toBe(w.sink.records('acme', 'tickets').at(-1)!.updatedAt);
    expect(run.result.streams.groups).toMatchObject({ outcome: 'Failed', error: expect.stringMatching(/RATE_LIMIT_PAST_DEADLINE/) });
    // No sleeping into the kill: the run ended right after the 429, well before its deadline.
    const limited = w.fake.requests.filter((r) => r.status === 429);
    expect(limited).toHaveLength(1);
    expect(w.fake.requests.at(-1)).toBe(limited[0]);
    expect(w.fake.clock.now().getTime()).toBeLessThan(deadline);
  });

  it("the bin takes its deadline from TENANTSYNC_DEADLINE_SECONDS: an hour's Retry-After ends the run at once", { timeout: 60_000 }, async () => {
    const w = await start({ rateLimitPerMinute: 1, hourly: true });
    w.fake.data.addGroups(3);
    // Another app spent the account's one credit of this hour.
    await (await fetch(`${w.fake.baseUrl}/api/v2/groups`, { headers: { authorization: `Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}` } })).arrayBuffer();
    const dir = tempDir();
    const config = join(dir, 'config.json');
    const result = join(dir, 'result.json');
    writeFileSync(config, JSON.stringify(configFor(w, ['groups'])));
    const job = await spawnJob(['--config', config, '--result', result], {
      TENANTSYNC_SOURCE_API_KEY: apiKey,
      TENANTSYNC_SINK_TOKEN: sinkToken,
      TENANTSYNC_DEADLINE_SECONDS: '600',
    }).done;
    expect(job.code).toBe(1);
    const written = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(written.streams.groups).toMatchObject({ outcome: 'Failed', error: expect.stringMatching(/^RATE_LIMIT_PAST_DEADLINE: .*hourly limit/) });
    expect(w.fake.violations).toEqual([]);
  });
});
