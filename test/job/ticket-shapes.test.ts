// Issue 11 classes 6 and 7: what a ticket and its conversations are. Tickets come with their description and
// stats; every conversation of a changed ticket is delivered; one ticket whose conversations Freshdesk refuses
// is skipped and named, the stream goes on.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, configFor, deliveredIds, runInProcess, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

describe('tickets (class 7)', () => {
  it('carry the first message (description) and stats: the list is asked with include=description,stats', async () => {
    const { fake } = world;
    const ids = fake.data.addTickets(3, (i) => ({ updated_at: at(fake.clock.now().getTime() - 3600 * 1000, i), status: i === 0 ? 4 : 2 }));
    const run = await runInProcess(world, configFor(world));
    expect(run.exitCode).toBe(0);
    for (const record of world.sink.records('acme', 'tickets')) {
      expect(record.data).toMatchObject({ description: expect.stringContaining('<div>'), description_text: expect.any(String), stats: expect.any(Object) });
    }
    const resolved = world.sink.records('acme', 'tickets').find((r) => r.id === String(ids[0]))!;
    expect((resolved.data as { stats: { resolved_at: unknown } }).stats.resolved_at).toBe(fake.data.ticket(ids[0]!).updated_at);
    const lists = fake.requests.filter((r) => r.path === '/api/v2/tickets');
    expect(lists.length).toBeGreaterThan(0);
    for (const request of lists) expect(request.query.include).toBe('description,stats');
  });
});

describe('conversations (class 6)', () => {
  it('delivers every conversation of a changed ticket, also a reply stamped before the cursor', async () => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 24 * 3600 * 1000;
    const [first, second] = fake.data.addTickets(2, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    const early = fake.data.addConversation(first!, { created_at: at(baseMs, 0), updated_at: at(baseMs, 0) }, { touchTicket: false });
    const run1 = await runInProcess(world, configFor(world, ['conversations']));
    expect(deliveredIds(world.sink, 'conversations')).toEqual([early]);

    // A reply arrives carrying a timestamp from hours before (a mail client's date); the ticket is bumped now.
    fake.clock.advance(3600 * 1000);
    const late = fake.data.addConversation(second!, { created_at: at(baseMs, -3 * 3600), updated_at: at(baseMs, -3 * 3600) }, { touchTicket: false });
    fake.data.updateTicket(second!, { status: 3 });
    const run2 = await runInProcess(world, configFor(world, ['conversations']), run1.state);
    expect(run2.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'conversations')).toEqual([early, late].sort((a, b) => a - b));
    expect(run2.result.streams.conversations!.cursor.updatedAt).toBe(fake.data.ticket(second!).updated_at);
  });

  it.each([
    ['403 (a restricted or spam ticket)', 403],
    ['404 (a ticket deleted since it was listed)', 404],
  ])('skips one ticket whose conversations answer %s, names it in the result, and delivers the others', async (_title, status) => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 24 * 3600 * 1000;
    const tickets = fake.data.addTickets(4, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    const replies = tickets.map((id) => fake.data.addConversation(id, { created_at: at(baseMs, 10), updated_at: at(baseMs, 10) }, { touchTicket: false }));
    const refused = tickets[1]!;
    if (status === 403) fake.faults.forbidPath(`tickets/${refused}/conversations`);
    else fake.faults.failNext(1, 404, { path: `tickets/${refused}/conversations` });
    const run = await runInProcess(world, configFor(world, ['tickets', 'conversations']));
    expect(run.exitCode).toBe(0);
    expect(run.result.outcome).toBe('Succeeded');
    expect(run.result.streams.conversations).toMatchObject({
      outcome: 'Succeeded',
      records: 3,
      skipped: { count: 1, ids: [String(refused)] },
      cursor: { updatedAt: at(baseMs, 3) },
    });
    expect(deliveredIds(world.sink, 'conversations')).toEqual(replies.filter((_, i) => i !== 1));
    expect(run.logs.join('')).toContain('skipping the conversations of one parent');
  });
});

describe('deleted and spam tickets (Freshdesk does not say whether delete/spam moves updated_at)', () => {
  it.each([
    ['delete and spam stamp updated_at', true],
    ['delete and spam leave updated_at alone', false],
  ])('are delivered as deletes when %s, also tickets last edited long before the cursor', async (_title, moves) => {
    const { fake } = world;
    const dayMs = 24 * 3600 * 1000;
    const yearAgoMs = fake.clock.now().getTime() - 365 * dayMs;
    const tickets = fake.data.addTickets(6, (i) => ({ created_at: at(yearAgoMs, i), updated_at: at(yearAgoMs, i) }));
    fake.data.deleteTicket(tickets[0]!, at(fake.clock.now().getTime() - dayMs, 0)); // gives the stream a recent cursor
    const first = await runInProcess(world, configFor(world, ['deleted_tickets']));
    expect(deliveredIds(world.sink, 'deleted_tickets')).toEqual([tickets[0]]);

    fake.behaviours.deletesMoveUpdatedAt(moves);
    fake.clock.advance(3600 * 1000);
    fake.data.deleteTicket(tickets[2]!);
    fake.data.spamTicket(tickets[4]!);
    expect(fake.data.ticket(tickets[2]!).updated_at === at(yearAgoMs, 2)).toBe(!moves);
    const second = await runInProcess(world, configFor(world, ['deleted_tickets']), first.state);
    expect(second.exitCode).toBe(0);
    expect(deliveredIds(world.sink, 'deleted_tickets')).toEqual([tickets[0], tickets[2], tickets[4]]);
    expect(world.sink.records('acme', 'deleted_tickets').every((r) => r.op === 'delete')).toBe(true);
    expect(second.result.streams.deleted_tickets!.cursor.updatedAt! >= first.result.streams.deleted_tickets!.cursor.updatedAt!).toBe(true);
  });
});
