// Requests in flight at once (issue 13, sync throughput): the next page is read while the sink acknowledges
// the current batch, and several tickets' conversations are fetched together, while the cursor still moves
// only over acknowledged records in order (a failure later never carries it past an unacknowledged one).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../sync-job/core/errors.js';
import type { SinkBatch } from '../../sync-job/sink/batch.js';
import type { Sink } from '../../sync-job/sink/sink.js';
import { childFetchConcurrency } from '../../sync-job/source/freshdesk/streams.js';
import { at, configFor, deliveredIds, runInProcess, seedTickets, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

const seed = (count: number): number[] => seedTickets(world, count);

const cursorAt = (id: number) => ({ updatedAt: world.fake.data.ticket(id).updated_at as string, ids: [String(id)] });
const ticketPageRequests = () => world.fake.requests.filter((r) => r.path === '/api/v2/tickets').length;
/** Resolves when `condition` holds or after `fallbackMs` (so code without concurrency ends instead of hanging). */
function until(condition: () => boolean, fallbackMs: number): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const check = () => (condition() || Date.now() - started > fallbackMs ? resolve() : setTimeout(check, 5));
    check();
  });
}

describe('requests in flight at once', () => {
  it(`fetches the conversations of ${childFetchConcurrency} tickets at once and delivers them in ticket order`, async () => {
    const ids = seed(20);
    const baseMs = world.fake.clock.now().getTime() - 48 * 3600 * 1000;
    for (const [i, id] of ids.entries()) world.fake.data.addConversation(id, { created_at: at(baseMs, i), updated_at: at(baseMs, i) }, { touchTicket: false });
    let inFlight = 0;
    let maxInFlight = 0;
    world.fake.faults.onRequest(async (request) => {
      if (!request.path.endsWith('/conversations')) return;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Held until as many conversation requests as the job may send at once are waiting (or 500 ms).
      await until(() => inFlight >= childFetchConcurrency, 500);
      inFlight--;
    });
    const run = await runInProcess(world, configFor(world, ['conversations']));
    expect(run.exitCode).toBe(0);
    expect(maxInFlight).toBe(childFetchConcurrency);
    const delivered = world.sink.records('acme', 'conversations').map((r) => Number((r.data as { ticket_id: number }).ticket_id));
    expect(delivered).toEqual(ids);
    expect(run.result.streams.conversations).toMatchObject({ outcome: 'Succeeded', records: ids.length, cursor: cursorAt(ids.at(-1)!) });
  });

  it('reads the next page of tickets while the sink is still acknowledging the batch before it', async () => {
    seed(250);
    const sink = heldSink(() => ticketPageRequests() >= 2);
    const run = await runInProcess(world, { ...configFor(world), sink: { type: 'http', url: world.sink.url, batchSize: 100 } }, undefined, { sink });
    expect(run.exitCode).toBe(0);
    // The second page was asked for while the first batch was not yet acknowledged.
    expect(sink.pagesRequestedWhileFirstHeld).toBeGreaterThanOrEqual(2);
    expect(run.result.streams.tickets?.records).toBe(250);
  });

  it('a sink failure after the next page was read leaves the cursor on the last acknowledged record', async () => {
    const ids = seed(300);
    const sink = heldSink(() => ticketPageRequests() >= 2, { failBatch: 2 });
    const run = await runInProcess(world, { ...configFor(world), sink: { type: 'http', url: world.sink.url, batchSize: 100 } }, undefined, { sink });
    expect(run.exitCode).toBe(1);
    // Page 3 was read before batch 2 failed; only batch 1 was acknowledged, and the cursor is its last ticket.
    expect(ticketPageRequests()).toBeGreaterThanOrEqual(3);
    expect(run.result.streams.tickets).toMatchObject({ outcome: 'Failed', records: 100, cursor: cursorAt(ids[99]!) });
    expect(run.state.streams.tickets?.cursor).toEqual(cursorAt(ids[99]!));
  });

  it('a source failure on a later page delivers what was read before it, and the cursor stops at its end', async () => {
    const ids = seed(300);
    world.fake.faults.onRequest(() => {
      // The third ticket page fails for good, while batch 2 may still be with the sink.
      if (ticketPageRequests() === 3) world.fake.faults.failNext(Infinity, 500, { path: 'tickets' });
    });
    const run = await runInProcess(world, { ...configFor(world), sink: { type: 'http', url: world.sink.url, batchSize: 100 } });
    expect(run.exitCode).toBe(1);
    // Two pages were read (page 2 re-queries from the second of page 1's last ticket): a gap-free prefix.
    const delivered = deliveredIds(world.sink, 'tickets');
    expect(delivered.length).toBeGreaterThan(100);
    expect(delivered).toEqual(ids.slice(0, delivered.length));
    expect(run.result.streams.tickets).toMatchObject({ outcome: 'Failed', records: delivered.length, cursor: cursorAt(delivered.at(-1)!) });
  });
});

/**
 * A sink in the test's hand: the first batch is held until `releaseWhen` holds (or 1 s passes), then batches are
 * acknowledged, except batch `failBatch` (1-based), which is refused like a 4xx.
 */
function heldSink(releaseWhen: () => boolean, options: { failBatch?: number } = {}): Sink & { pagesRequestedWhileFirstHeld: number; acknowledged: SinkBatch[] } {
  let sent = 0;
  const sink = {
    pagesRequestedWhileFirstHeld: 0,
    acknowledged: [] as SinkBatch[],
    async send(batch: SinkBatch): Promise<void> {
      sent++;
      if (sent === 1) {
        await until(releaseWhen, 1_000);
        sink.pagesRequestedWhileFirstHeld = ticketPageRequests();
      }
      if (sent === options.failBatch) {
        throw new SyncError('SINK_REJECTED', 'batch refused by the test');
      }
      sink.acknowledged.push(batch);
    },
  };
  return sink;
}
