// Issue 11 classes 1 and 2: a record rewritten within the second already delivered, and a write that becomes
// visible after newer ones, are delivered by the next run, which re-reads from `cursor − lookback`.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, configFor, deliveredIds, runInProcess, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  // A clock that moves only when the job sleeps or a test advances it: "within the same second" is exact.
  const frozenMs = Date.parse('2026-03-02T10:00:00.250Z');
  world = await startWorld({ now: () => new Date(frozenMs) });
});
afterEach(async () => world.close());

/** The content the sink holds last for one record of a stream. */
const latest = (stream: string, id: number) => world.sink.latest('acme', stream).get(`${stream}/${id}`)?.data as Record<string, unknown> | undefined;

describe('lookback: ordered streams re-read from cursor − lookback', () => {
  it('delivers a ticket rewritten within the second already delivered (same updated_at, new content)', async () => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 2_000;
    const ids = fake.data.addTickets(5, (i) => ({ updated_at: at(baseMs, Math.floor(i / 2)) })); // the newest, alone in this second
    // An automation rewrites the newest ticket right after the job has read it, within the same second.
    fake.behaviours.sameSecondRewrites('tickets', 1);
    const first = await runInProcess(world, configFor(world));
    expect(first.exitCode).toBe(0);
    const newest = ids[4]!;
    expect(first.result.streams.tickets!.cursor).toEqual({ updatedAt: at(baseMs, 2), ids: [String(newest)] });
    expect(fake.data.ticket(newest)).toMatchObject({ updated_at: at(baseMs, 2), automation_runs: 1 });
    expect(latest('tickets', newest)?.automation_runs).toBeUndefined();

    fake.clock.advance(3600 * 1000);
    const second = await runInProcess(world, configFor(world), first.state);
    expect(second.exitCode).toBe(0);
    expect(latest('tickets', newest)?.automation_runs).toBe(1);
    // Its Idempotency-Key is new (content-based), so the sink took it rather than dropping a "replay".
    expect(world.sink.idempotencyViolations).toEqual([]);
    expect(second.result.streams.tickets).toMatchObject({ records: 5, redelivered: 5, cursor: first.result.streams.tickets!.cursor });
  });

  it.each([
    ['the default lookback (5m), a write 30 s late', undefined, 30],
    ['lookbackSeconds 900, a write 10 min late', 900, 600],
  ])('delivers a write that became visible after newer ones: %s', async (_title, lookbackSeconds, lateSeconds) => {
    const { fake } = world;
    const [early, later] = fake.data.addTickets(2, (i) => ({ updated_at: at(fake.clock.now().getTime() - 3600 * 1000, i) }));
    const config = configFor(world, ['tickets'], lookbackSeconds === undefined ? {} : { lookbackSeconds });
    const first = await runInProcess(world, config);
    expect(first.result.streams.tickets!.records).toBe(2);

    // A slow transaction: `early` is stamped now, but list queries see it only `lateSeconds` later …
    fake.behaviours.lateVisibility(lateSeconds);
    fake.data.updateTicket(early!, { subject: 'stamped first, visible last' });
    fake.behaviours.lateVisibility(0);
    const stamped = fake.clock.now().getTime();
    // … while `later`, written 5 s after it, is visible at once.
    fake.clock.advance(5_000);
    fake.data.updateTicket(later!, { subject: 'stamped later, visible at once' });
    fake.clock.advance(5_000);
    const second = await runInProcess(world, config, first.state, { ignoreIntervals: true });
    expect(latest('tickets', later!)?.subject).toBe('stamped later, visible at once');
    expect(latest('tickets', early!)?.subject).not.toBe('stamped first, visible last');
    expect(second.result.streams.tickets!.cursor.updatedAt).toBe(at(stamped, 5)); // past `early`'s stamp

    fake.clock.advance(lateSeconds * 1000);
    const third = await runInProcess(world, config, second.state, { ignoreIntervals: true });
    expect(third.exitCode).toBe(0);
    expect(latest('tickets', early!)).toMatchObject({ subject: 'stamped first, visible last', updated_at: at(stamped, 0) });
    expect(third.result.streams.tickets!.cursor).toEqual(second.result.streams.tickets!.cursor); // forward only, never back
  });

  it('ends, delivering each ticket, while an automation rewrites the newest record of every page it serves', async () => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 200_000;
    const before = fake.data.addTickets(150, (i) => ({ updated_at: at(baseMs, i) }));
    const same = fake.data.addTickets(250, () => ({ updated_at: at(baseMs, 200) })); // pages within this very second
    fake.behaviours.sameSecondRewrites('tickets'); // for ever
    const first = await runInProcess(world, configFor(world));
    expect(first.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'tickets')).toEqual([...before, ...same]);
    const firstRequests = fake.requests.length;
    expect(firstRequests).toBeLessThan(40);

    fake.clock.advance(3600 * 1000);
    const second = await runInProcess(world, configFor(world), first.state);
    expect(second.exitCode).toBe(0);
    expect(fake.requests.length - firstRequests).toBeLessThan(40);
    // The window [cursor − 5m, cursor] holds all 400: re-delivered, and the cursor stays where it was.
    expect(second.result.streams.tickets).toMatchObject({ records: 400, redelivered: 400, cursor: { updatedAt: at(baseMs, 200) } });
  });

  it('with lookbackSeconds 0 a same-second rewrite is not re-read (the boundary ids are trusted)', async () => {
    const { fake } = world;
    const [id] = fake.data.addTickets(1); // stamped now
    fake.behaviours.sameSecondRewrites('tickets', 1);
    const config = configFor(world, ['tickets'], { lookbackSeconds: 0 });
    const first = await runInProcess(world, config);
    const second = await runInProcess(world, config, first.state);
    expect(second.result.streams.tickets).toMatchObject({ records: 0 });
    expect(latest('tickets', id!)?.automation_runs).toBeUndefined();
  });
});
