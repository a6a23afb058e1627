// Cursor rules against the fake over HTTP: a ticket updated mid-walk is delivered, 350 tickets in one
// second span pages and all arrive, and a dataset needing > 300 pages arrives without any page > 300 request.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, configFor, deliveredIds, runInProcess, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

const ticketRequests = () => world.fake.requests.filter((r) => r.path === '/api/v2/tickets');

describe('paging by re-querying from the cursor', () => {
  it('delivers a ticket updated while the job pages through tickets (and every ticket once)', async () => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 24 * 3600 * 1000;
    const ids = fake.data.addTickets(1_000, (i) => ({ updated_at: at(baseMs, Math.floor(i / 3)) }));
    // After page 3 has been read, a ticket from page 1 is edited: deep paging would now skip one ticket per page.
    let edited = false;
    fake.faults.onRequest(() => {
      if (!edited && ticketRequests().length === 4) {
        edited = true;
        fake.data.updateTicket(ids[5]!, { subject: 'edited mid-walk' });
      }
    });
    const run = await runInProcess(world, configFor(world));
    expect(run.exitCode).toBe(0);
    expect(edited).toBe(true);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    const editedVersions = world.sink.records('acme', 'tickets').filter((r) => r.id === String(ids[5]));
    expect(editedVersions.map((r) => (r.data as { subject?: string }).subject)).toContain('edited mid-walk');
    expect(run.result.streams.tickets!.cursor.updatedAt).toBe(fake.data.ticket(ids[5]!).updated_at);
  });

  it('delivers 350 tickets sharing one updated_at second across page boundaries, each once', async () => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 3600 * 1000;
    const before = fake.data.addTickets(20, (i) => ({ updated_at: at(baseMs, i) }));
    const same = fake.data.addTickets(350, () => ({ updated_at: at(baseMs, 100) }));
    const after = fake.data.addTickets(20, (i) => ({ updated_at: at(baseMs, 200 + i) }));
    const run = await runInProcess(world, configFor(world));
    expect(run.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'tickets')).toEqual([...before, ...same, ...after]);
    const delivered = world.sink.deliveries.flatMap((d) => d.body.records.map((r) => r.id));
    expect(delivered).toHaveLength(390); // no duplicates either
    expect(ticketRequests().some((r) => r.query.updated_since === at(baseMs, 100) && r.query.page === '4')).toBe(true);
  });

  it.each([
    ['lookback 0: from the boundary ids of the cursor, nothing sent twice', 0, 0],
    ['default lookback: re-reads the window, the unchanged batches come again under their old keys', undefined, 200],
  ])('resumes inside a same-second run (%s)', async (_title, lookbackSeconds, redelivered) => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 3600 * 1000;
    const same = fake.data.addTickets(350, () => ({ updated_at: at(baseMs, 100) }));
    // The sink refuses everything after two batches: the cursor stops inside the second.
    const stopFailing = world.sink.onAttempt(() => {
      if (world.sink.deliveries.length === 2) world.sink.failAlways(400);
    });
    const config = configFor(world, ['tickets'], lookbackSeconds === undefined ? {} : { lookbackSeconds });
    const first = await runInProcess(world, config);
    expect(first.exitCode).toBe(1);
    expect(first.result.streams.tickets!.cursor).toMatchObject({ updatedAt: at(baseMs, 100) });
    expect(first.result.streams.tickets!.cursor.ids).toHaveLength(200);
    stopFailing();
    world.sink.recover();
    const second = await runInProcess(world, config, first.state);
    expect(second.exitCode).toBe(0);
    expect(second.result.streams.tickets).toMatchObject({ records: 150 + redelivered, cursor: { updatedAt: at(baseMs, 100) } });
    expect(second.result.streams.tickets!.redelivered ?? 0).toBe(redelivered);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(same);
    // Accepted deliveries: a re-sent unchanged batch is a replay of its key, not a second delivery.
    expect(world.sink.deliveries.flatMap((d) => d.body.records)).toHaveLength(350);
    expect(world.sink.idempotencyViolations).toEqual([]);
  });

  it('fully delivers a dataset needing more than 300 pages without any request for page > 300', async () => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 10 * 24 * 3600 * 1000;
    // 30,500 tickets (305 pages of 100); runs of 250 share a second, so the walk also pages within seconds.
    const ids = fake.data.addTickets(30_500, (i) => ({ updated_at: at(baseMs, Math.floor(i / 250)) }));
    const run = await runInProcess(world, configFor(world));
    expect(run.exitCode).toBe(0);
    expect(run.result.streams.tickets!.records).toBe(30_500);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    const pages = ticketRequests().map((r) => Number(r.query.page ?? 1));
    expect(Math.max(...pages)).toBeLessThanOrEqual(300);
    expect(ticketRequests().every((r) => r.status === 200)).toBe(true);
  });
});
