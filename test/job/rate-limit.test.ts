// Freshdesk's per-minute budget (50/min, the trial plan) on the fake's clock; the job's waits advance that
// clock, so minutes of rate limiting take no wall time. Other apps share the account's budget ("burns").
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maxRateLimitedTriesPerRequest } from '../../sync-job/source/freshdesk/requester.js';
import { apiKey, configFor, deliveredIds, runInProcess, seedTickets, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld({ rateLimitPerMinute: 50 });
});
afterEach(async () => world.close());

/** Another app on the same account spends `n` credits, or all that remain in this minute. */
async function burn(n = Infinity): Promise<void> {
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${world.fake.baseUrl}/api/v2/groups`, {
      headers: { authorization: `Basic ${Buffer.from(`${apiKey}:X`).toString('base64')}`, 'x-burn': '1' },
    });
    await response.arrayBuffer();
    if (response.headers.get('x-ratelimit-remaining') === '0') return;
  }
}

const jobRequests = () => world.fake.requests.filter((r) => r.headers['x-burn'] === undefined);

const seed = (count: number): number[] => seedTickets(world, count);

describe('rate limits', () => {
  it('sends nothing while a Retry-After is pending, pausing the whole tenant, and completes', async () => {
    const ids = seed(12_000); // 120+ ticket pages: more than two minutes of budget
    world.fake.data.addContacts(250);
    let burned = false;
    world.fake.faults.onRequest(async (request) => {
      if (request.headers['x-burn'] !== undefined || burned || jobRequests().length !== 5) return;
      burned = true;
      await burn(); // the account's budget is gone: the job's next request gets 429 + Retry-After
    });
    const run = await runInProcess(world, configFor(world, ['tickets', 'contacts']));
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    expect(world.sink.records('acme', 'contacts')).toHaveLength(250);
    expect(jobRequests().filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(world.fake.violations).toEqual([]);
    expect(run.logs.some((line) => line.includes('pausing the tenant until Retry-After'))).toBe(true);
  });

  it('slows down on near-zero X-Ratelimit-Remaining before getting a 429', async () => {
    const ids = seed(8_000); // 80 pages
    await burn(38); // another app left 12 credits in this minute: four ticket pages of 3 (include=description,stats)
    const startMs = world.fake.clock.now().getTime();
    const run = await runInProcess(world, configFor(world));
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    expect(world.fake.requests.filter((r) => r.status === 429)).toEqual([]);
    // The first requests went out while the headers said the budget was nearly spent: they were spaced out.
    const times = jobRequests().slice(0, 4).map((r) => r.time.getTime());
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(10_000);
    expect(world.fake.clock.now().getTime() - startMs).toBeGreaterThanOrEqual(60_000);
  });

  it('a 429 without Retry-After pauses the tenant 60 s (Freshdesk default), then the run completes', async () => {
    const ids = seed(250);
    world.fake.faults.failNext(1, 429, { path: 'tickets' }); // the job's first request: 429, no Retry-After
    const run = await runInProcess(world, configFor(world));
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    const [limited, next] = jobRequests();
    expect(limited).toMatchObject({ status: 429, fault: 'fail' });
    expect(next!.status).toBe(200);
    expect(next!.query).toEqual(limited!.query); // the same request, retried
    expect(next!.time.getTime() - limited!.time.getTime()).toBeGreaterThanOrEqual(60_000);
    const pauses = run.logs.map((line) => JSON.parse(line)).filter((l) => l.msg === 'rate limited (429): pausing the tenant until Retry-After');
    expect(pauses.map((l) => l.pauseMs)).toEqual([60_000]);
  });

  it('a 429 that never ends fails the stream with RATE_LIMITED after a bounded number of tries, exit 1', async () => {
    seed(50);
    world.fake.data.addGroups(2);
    world.fake.faults.failNext(Infinity, 429, { path: 'tickets' });
    const run = await runInProcess(world, configFor(world, ['tickets', 'groups']));
    expect(run.exitCode).toBe(1);
    expect(run.result.streams.tickets).toMatchObject({ outcome: 'Failed', records: 0, error: expect.stringMatching(/^RATE_LIMITED: /) });
    expect(run.result.outcome).not.toBe('Succeeded');
    const limited = jobRequests().filter((r) => r.path === '/api/v2/tickets');
    expect(limited.every((r) => r.status === 429)).toBe(true);
    expect(limited).toHaveLength(10); // docs/sync-job.md: "after 10 429s in a row for one request"
    expect(maxRateLimitedTriesPerRequest).toBe(10);
    // Each try waited out the 60 s default pause.
    for (let i = 1; i < limited.length; i++) expect(limited[i]!.time.getTime() - limited[i - 1]!.time.getTime()).toBeGreaterThanOrEqual(60_000);
    expect(world.sink.records('acme', 'tickets')).toEqual([]);
  });

  it('holds to the configured rateLimitPerMinute ceiling in any minute', async () => {
    seed(3_000);
    const config = configFor(world, ['tickets'], { rateLimitPerMinute: 10 });
    const run = await runInProcess(world, config);
    expect(run.result.outcome).toBe('Succeeded');
    const times = jobRequests().map((r) => r.time.getTime());
    expect(times.length).toBeGreaterThan(20);
    for (let i = 10; i < times.length; i++) expect(times[i]! - times[i - 10]!).toBeGreaterThanOrEqual(60_000);
    expect(world.fake.requests.filter((r) => r.status === 429)).toEqual([]);
  });
});
