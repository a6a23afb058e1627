// Failures the job survives: source 5xx bursts, timeouts, resets and slow bodies (retried); persistent 5xx,
// 401 and 403; sink errors, a sink that goes down mid-run, and a sink that rejects a batch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobState } from '../../sync-job/contract.js';
import { connectionsPerOrigin } from '../../sync-job/core/http-agent.js';
import { configFor, deliveredIds, runInProcess, seedTickets, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

const seed = (count: number): number[] => seedTickets(world, count);

const ticketRequests = () => world.fake.requests.filter((r) => r.path === '/api/v2/tickets');
/** The cursor a fully acknowledged ticket means: its second and its id. */
const cursorAt = (id: number) => ({ updatedAt: world.fake.data.ticket(id).updated_at as string, ids: [String(id)] });

describe('source failures', () => {
  it('retries 5xx bursts, timeouts, connection resets and stalled bodies with exponential backoff, and completes', async () => {
    const ids = seed(600);
    // One fault after another, each followed by a success (5 tries per request are allowed).
    const plan: Record<number, () => void> = {
      1: () => world.fake.faults.failNext(4, 503),
      6: () => world.fake.faults.timeoutNext(1),
      8: () => world.fake.faults.resetNext(1),
      10: () => world.fake.faults.slowBody(1, 3_000),
      12: () => world.fake.faults.failNext(2, 502),
    };
    world.fake.faults.onRequest(() => plan[ticketRequests().length]?.());
    const jitter = [0, 0.999, 0.3, 0.7, 0.5];
    let draws = 0;
    const run = await runInProcess(world, configFor(world), undefined, { random: () => jitter[draws++ % jitter.length]! });
    expect(run.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    const faults = world.fake.requests.map((r) => r.fault).filter(Boolean);
    expect(new Set(faults)).toEqual(new Set(['fail', 'timeout', 'reset', 'slow']));
    expect(world.fake.faults.pending()).toEqual({ reset: 0, timeout: 0, fail: 0, slow: 0 });

    const logs = run.logs.map((line) => JSON.parse(line) as { msg: string; attempt: number; waitMs: number; status?: number; err?: string });
    const retries = logs.filter((l) => l.msg === 'source answered a server error, retrying' || l.msg === 'source request failed, retrying');
    // Each failure was logged with its wait: base 1 s doubling per try of one request, "equal jitter"
    // (half fixed, half random) — so within [2^(n-1)/2, 2^(n-1)] s for try n.
    expect(retries.map((l) => l.status ?? l.err!.split(' ')[0])).toEqual([
      503, 503, 503, 503, 'UND_ERR_HEADERS_TIMEOUT', expect.stringMatching(/^(UND_ERR_SOCKET|UND_ERR_CLOSED|ECONNRESET|EPIPE)$/), 'UND_ERR_BODY_TIMEOUT', 502, 502,
    ]);
    expect(retries.map((l) => l.attempt)).toEqual([1, 2, 3, 4, 1, 1, 1, 1, 2]);
    for (const { attempt, waitMs } of retries) {
      const exponential = 1_000 * 2 ** (attempt - 1);
      expect(waitMs).toBeGreaterThanOrEqual(exponential / 2);
      expect(waitMs).toBeLessThanOrEqual(exponential);
    }
    const burst = retries.slice(0, 4).map((l) => l.waitMs);
    for (let i = 1; i < burst.length; i++) expect(burst[i]!).toBeGreaterThan(burst[i - 1]!);
    expect(burst[3]!).toBeGreaterThanOrEqual(4 * burst[0]!);
    // The fake saw the waits: no retry came sooner than its logged wait after the failed try (fake clock).
    const failed = world.fake.requests.filter((r) => r.fault !== undefined);
    expect(failed).toHaveLength(retries.length);
    failed.forEach((request, i) => {
      const next = world.fake.requests.find((r) => r.seq > request.seq)!;
      expect(next.query).toEqual(request.query);
      expect(next.time.getTime() - request.time.getTime()).toBeGreaterThanOrEqual(retries[i]!.waitMs);
    });
  });

  it('reuses a small keep-alive pool: a many-page run opens at most a few connections', async () => {
    seed(2_500);
    world.fake.data.addContacts(250);
    const run = await runInProcess(world, configFor(world, ['tickets', 'contacts']));
    expect(run.exitCode).toBe(0);
    const ports = new Set(world.fake.requests.map((r) => r.remotePort));
    expect(world.fake.requests.length).toBeGreaterThan(20);
    expect([...ports].every((port) => port > 0)).toBe(true);
    expect(ports.size).toBeLessThanOrEqual(connectionsPerOrigin);
  });

  it('persistent 5xx → exit 1, Failed stream, result cursor = the furthest acknowledged batch', async () => {
    const ids = seed(1_000);
    world.fake.faults.onRequest(() => {
      if (ticketRequests().length === 4) world.fake.faults.failNext(Infinity, 500, { path: 'tickets' });
    });
    const run = await runInProcess(world, configFor(world));
    expect(run.exitCode).toBe(1);
    expect(run.result.outcome).toBe('Failed');
    const tickets = run.result.streams.tickets!;
    expect(tickets.outcome).toBe('Failed');
    expect(tickets.error).toMatch(/^SOURCE_UNAVAILABLE: .*HTTP 500/);
    // Three pages were read (100 + 99 + 99 records: each re-query re-reads its boundary record): two full
    // batches, and the partial third one is still delivered when the source fails, so the cursor is as far as
    // the job read.
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids.slice(0, 298));
    expect(tickets.cursor).toEqual(cursorAt(ids[297]!));
    expect(tickets.records).toBe(298);
    // A rerun once the source recovers continues from there, with no gap.
    world.fake.faults.clear();
    const rerun = await runInProcess(world, configFor(world), run.state);
    expect(rerun.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
  });

  it('401 → exit 2, a message naming the credentials, cursors unchanged, nothing delivered', async () => {
    seed(50);
    const state: JobState = { version: 1, streams: { tickets: { cursor: { updatedAt: '2024-01-01T00:00:00Z', ids: ['9'] } } } };
    const run = await runInProcess(world, configFor(world, ['tickets', 'contacts']), state, { apiKey: 'wrong-key-1234567' });
    expect(run.exitCode).toBe(2);
    expect(run.result.outcome).toBe('Failed');
    expect(run.result.error).toMatch(/^CREDENTIALS_INVALID: Freshdesk rejected the API key .*credentials/);
    expect(run.result.streams.tickets).toMatchObject({ outcome: 'Failed', records: 0, cursor: { updatedAt: '2024-01-01T00:00:00Z', ids: ['9'] } });
    expect(run.result.streams.contacts).toMatchObject({ outcome: 'Failed', cursor: {} });
    expect(run.state.streams.tickets!.cursor).toEqual(state.streams.tickets!.cursor);
    expect(world.sink.deliveries).toEqual([]);
    // The run stopped at the first 401 instead of trying the other streams.
    expect(world.fake.requests.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('403 on one stream → that stream is skipped and reported, the others succeed', async () => {
    seed(10);
    world.fake.data.addArticles(3);
    world.fake.data.addGroups(2);
    world.fake.faults.forbidPath('solutions');
    const run = await runInProcess(world, configFor(world, ['tickets', 'articles', 'groups']));
    expect(run.result.streams.articles).toMatchObject({ outcome: 'Skipped', records: 0, error: expect.stringMatching(/^SOURCE_FORBIDDEN: .*403/) });
    expect(run.result.streams.tickets).toMatchObject({ outcome: 'Succeeded', records: 10 });
    expect(run.result.streams.groups).toMatchObject({ outcome: 'Succeeded', records: 2 });
    expect(run.result.outcome).toBe('PartiallySucceeded');
    expect(run.exitCode).toBe(0);
  });
});

describe('sink failures', () => {
  it('retries 5xx with the same Idempotency-Key, honouring Retry-After', async () => {
    const ids = seed(250);
    world.sink.failNext(3, 503, 7);
    const run = await runInProcess(world, configFor(world));
    expect(run.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    const first = world.sink.attempts.slice(0, 4);
    expect(first.map((a) => a.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(first.map((a) => a.idempotencyKey)).size).toBe(1);
    const waits = run.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'sink did not acknowledge, retrying').map((l) => l.waitMs);
    expect(waits).toEqual([7_000, 7_000, 7_000]);
    expect(world.sink.idempotencyViolations).toEqual([]);
  });

  it('sink down mid-run → result cursor = last acknowledged batch; the rerun delivers the rest with no gap, same keys', async () => {
    const ids = seed(1_000);
    world.sink.onAttempt(() => {
      if (world.sink.deliveries.length === 3 && world.sink.attempts.length === 3) void world.sink.down();
    });
    const run = await runInProcess(world, configFor(world, ['tickets', 'contacts']));
    expect(run.exitCode).toBe(1);
    const tickets = run.result.streams.tickets!;
    expect(tickets).toMatchObject({ outcome: 'Failed', records: 300, error: expect.stringMatching(/^SINK_UNAVAILABLE/) });
    expect(tickets.cursor).toEqual(cursorAt(ids[299]!));
    expect(run.result.streams.contacts).toMatchObject({ outcome: 'Failed', error: expect.stringContaining('not started') });
    const retries = run.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'sink did not acknowledge, retrying');
    const failedKeys = new Set(retries.map((l) => l.batchId as string));
    expect(retries.length).toBe(5);
    expect(failedKeys.size).toBe(1);

    await world.sink.up();
    const rerun = await runInProcess(world, configFor(world, ['tickets', 'contacts']), run.state);
    expect(rerun.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    expect(world.sink.deliveries.flatMap((d) => d.body.records)).toHaveLength(1_000);
    // The batch that could not be delivered is the rerun's first, under the same key.
    expect(world.sink.deliveries[3]!.idempotencyKey).toBe([...failedKeys][0]);
    expect(world.sink.idempotencyViolations).toEqual([]);
  });

  it('a permanent 4xx fails the stream without moving its cursor', async () => {
    seed(150);
    world.sink.failAlways(422);
    const state: JobState = { version: 1, streams: { tickets: { cursor: { updatedAt: '2020-01-01T00:00:00Z', ids: [] } } } };
    const run = await runInProcess(world, configFor(world), state);
    expect(run.exitCode).toBe(1);
    expect(run.result.streams.tickets).toMatchObject({ outcome: 'Failed', records: 0, error: expect.stringMatching(/^SINK_REJECTED: .*HTTP 422/) });
    expect(run.result.streams.tickets!.cursor).toEqual(state.streams.tickets!.cursor);
    expect(world.sink.attempts).toHaveLength(1);
  });

  it('a wrong sink token → exit 2 naming the sink credentials', async () => {
    seed(5);
    const run = await runInProcess(world, configFor(world), undefined, { sinkToken: 'not-the-token-123' });
    expect(run.exitCode).toBe(2);
    expect(run.result.error).toMatch(/^SINK_CREDENTIALS_INVALID: .*TENANTSYNC_SINK_TOKEN/);
  });
});
