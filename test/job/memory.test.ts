// Memory under hostile data: one ticket with dozens of very large conversation bodies. The job bounds the bytes
// in flight (one response, one batch), not only record counts, and a stream that cannot proceed still ends with
// its result and acknowledged cursors. The first test runs the real bin with its shipped heap limits.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resultSchema, type JobConfig } from '../../sync-job/contract.js';
import { parseConfig } from '../../sync-job/files.js';
import { apiKey, at, configFor, runInProcess, sinkToken, spawnJob, startWorld, tempDir, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

const mib = 1024 * 1024;

/** Tickets 1..n a second apart; ticket `hostile` gets `count` conversations of `bytes` (body and body_text each). */
function seedHostile(n: number, hostile: number, count: number, bytes: number): void {
  const baseMs = world.fake.clock.now().getTime() - 3600 * 1000;
  world.fake.data.addTickets(n, (i) => ({ updated_at: at(baseMs, i) }));
  for (let i = 0; i < count; i++) {
    const text = `${String(i).padStart(4, '0')} ${'x'.repeat(bytes)}`;
    world.fake.data.addConversation(hostile, { body: `<div>${text}</div>`, body_text: text, updated_at: at(baseMs, hostile - 1) }, { touchTicket: false });
  }
  world.fake.data.addConversation(n, { updated_at: at(baseMs, n - 1) }, { touchTicket: false });
}

const bodyBytes = (d: (typeof world.sink.deliveries)[number]) => Buffer.byteLength(JSON.stringify(d.body));

describe('memory under hostile data', () => {
  it('syncs a ticket with 30 conversations of 2 MiB each through the shipped bin without running out of memory', { timeout: 120_000 }, async () => {
    seedHostile(5, 3, 30, mib);
    const dir = tempDir();
    const config = join(dir, 'config.json');
    const result = join(dir, 'result.json');
    writeFileSync(config, JSON.stringify(configFor(world, ['tickets', 'conversations'])));
    const job = await spawnJob(['--config', config, '--result', result], { TENANTSYNC_SOURCE_API_KEY: apiKey, TENANTSYNC_SINK_TOKEN: sinkToken }).done;
    const written = resultSchema.parse(JSON.parse(readFileSync(result, 'utf8')));
    expect(written.outcome, job.stderr).toBe('Succeeded');
    expect(job.code).toBe(0);
    expect(world.sink.records('acme', 'conversations')).toHaveLength(31);
    // Bytes in flight are bounded: no POST carried the ticket's 60 MiB of conversations at once.
    const largest = Math.max(...world.sink.deliveries.map(bodyBytes));
    expect(largest).toBeLessThan(16 * mib);
    // The conversations were fetched in smaller pages once a page of 100 passed the response cap.
    const pages = world.fake.requests.filter((r) => r.path === '/api/v2/tickets/3/conversations' && r.status === 200);
    expect(pages.length).toBeGreaterThan(1);
  });

  it('sends a batch before it passes sink.maxBatchBytes, and a record larger than the cap alone', async () => {
    seedHostile(3, 2, 12, 100 * 1024); // ~200 KiB per conversation
    world.fake.data.addConversation(1, { body_text: 'y'.repeat(700 * 1024), updated_at: world.fake.data.ticket(1).updated_at as string }, { touchTicket: false });
    const config: JobConfig = configFor(world, ['conversations']);
    config.sink.maxBatchBytes = 512 * 1024;
    const run = await runInProcess(world, config);
    expect(run.result.outcome).toBe('Succeeded');
    expect(world.sink.records('acme', 'conversations')).toHaveLength(14);
    const sizes = world.sink.deliveries.map((d) => ({ bytes: bodyBytes(d), records: d.body.records.length }));
    for (const size of sizes) if (size.records > 1) expect(size.bytes).toBeLessThanOrEqual(512 * 1024 + 1024);
    expect(sizes.some((size) => size.records === 1 && size.bytes > 512 * 1024)).toBe(true);
    expect(sizes.length).toBeGreaterThan(4);
  });

  it.each([
    ['unset', undefined],
    ['set above it (4 MiB)', 4 * mib],
  ])('with sink.maxBatchBytes %s, a batch stays within half the batch budget (one is with the sink while the next fills)', async (_what, maxBatchBytes) => {
    seedHostile(3, 2, 24, 20 * 1024); // ~40 KiB per conversation
    const config: JobConfig = configFor(world, ['conversations']);
    if (maxBatchBytes !== undefined) config.sink.maxBatchBytes = maxBatchBytes;
    const run = await runInProcess(world, config, undefined, { inFlight: { maxBatchBytes: 512 * 1024 } });
    expect(run.result.outcome).toBe('Succeeded');
    const sizes = world.sink.deliveries.map((d) => ({ bytes: bodyBytes(d), records: d.body.records.length }));
    expect(sizes.reduce((n, s) => n + s.records, 0)).toBe(25);
    // 256 KiB per batch: several conversations each, never 512 KiB's worth.
    expect(Math.max(...sizes.map((s) => s.records))).toBeGreaterThan(1);
    for (const size of sizes) expect(size.bytes).toBeLessThanOrEqual(256 * 1024 + 1024);
  });

  it('a conversation too large to hold fails its stream with a clear error, keeping the acknowledged cursor and the other streams', async () => {
    const baseMs = world.fake.clock.now().getTime() - 3600 * 1000;
    world.fake.data.addTickets(4, (i) => ({ updated_at: at(baseMs, i) }));
    for (const ticket of [1, 2, 3, 4]) world.fake.data.addConversation(ticket, { updated_at: at(baseMs, ticket - 1) }, { touchTicket: false });
    world.fake.data.addConversation(3, { body_text: 'z'.repeat(400 * 1024), updated_at: at(baseMs, 2) }, { touchTicket: false });
    const run = await runInProcess(world, configFor(world, ['conversations', 'tickets']), undefined, {
      inFlight: { maxResponseBytes: 256 * 1024, maxBatchBytes: 64 * 1024 },
    });
    expect(run.exitCode).toBe(1);
    expect(run.result.streams.conversations).toMatchObject({
      outcome: 'Failed',
      error: expect.stringMatching(/^SOURCE_RESPONSE_TOO_LARGE: conversation number 2 alone is too large .*raise the sync container's memory limit/),
      cursor: { updatedAt: at(baseMs, 1), ids: ['2'] },
    });
    expect(run.result.streams.tickets).toMatchObject({ outcome: 'Succeeded', records: 4 });
    expect(run.state.streams.conversations!.cursor).toEqual({ updatedAt: at(baseMs, 1), ids: ['2'] });
  });

  it('asks for smaller ticket pages when a page of 100 tickets with large descriptions passes the response cap', async () => {
    const baseMs = world.fake.clock.now().getTime() - 3600 * 1000;
    const ids = world.fake.data.addTickets(150, (i) => ({ updated_at: at(baseMs, i), description: `<p>${'d'.repeat(40 * 1024)}</p>` }));
    const run = await runInProcess(world, configFor(world, ['tickets']), undefined, { inFlight: { maxResponseBytes: 2 * mib } });
    expect(run.result.streams.tickets).toMatchObject({ outcome: 'Succeeded', records: 150 });
    expect([...new Set(world.sink.records('acme', 'tickets').map((r) => Number(r.id)))]).toEqual(ids);
    expect(world.fake.requests.some((r) => r.path === '/api/v2/tickets' && Number(r.query.per_page) < 100 && r.status === 200)).toBe(true);
  });

  it('rejects a sink.batchSize above 10,000 naming the field', () => {
    const config = configFor(world, ['tickets']);
    expect(() => parseConfig({ ...config, sink: { ...config.sink, batchSize: 50_000 } })).toThrow(/sink\.batchSize: .*10000/);
  });
});
