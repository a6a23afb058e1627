// Full then incremental: the second run delivers exactly the records changed since the first on the time-based
// streams (tickets, conversations, contacts, deleted/spam tickets), and the reference streams (companies, agents,
// groups, articles) whole again, as a snapshot the sink can replace.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultLookbackSeconds } from '../../sync-job/contract.js';
import { allStreams, at, changedIds, configFor, deliveredIds, runInProcess, startWorld, type World } from './support.js';

let world: World;
beforeEach(async () => {
  world = await startWorld();
});
afterEach(async () => world.close());

/** `stream → sorted ids` of the records delivered after the first `skip` deliveries. */
function deliveredSince(skip: number): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const delivery of world.sink.deliveries.slice(skip)) {
    const ids = (out[delivery.body.stream] ??= new Set());
    for (const record of delivery.body.records) ids.add(`${record.op}:${record.id}`);
  }
  // (A snapshot of an empty reference list is a completion marker alone: no records, left out here.)
  return Object.fromEntries(Object.entries(out).filter(([, ids]) => ids.size > 0).map(([stream, ids]) => [stream, [...ids].sort()]));
}

describe('full then incremental run', () => {
  it.each([
    ['lookback 0: exactly what changed', 0],
    ['default lookback: what changed, plus the unchanged records of the window behind each cursor', undefined],
  ])('delivers everything once, then %s', async (_title, lookbackSeconds) => {
    const { fake } = world;
    const baseMs = fake.clock.now().getTime() - 3 * 24 * 3600 * 1000;
    // 250 tickets over 3 pages; every 5 share a second.
    const ticketIds = fake.data.addTickets(250, (i) => ({ created_at: at(baseMs, Math.floor(i / 5)), updated_at: at(baseMs, Math.floor(i / 5)) }));
    const conversationIds: number[] = [];
    for (const id of ticketIds.slice(0, 40)) {
      const when = fake.data.ticket(id).updated_at as string;
      conversationIds.push(fake.data.addConversation(id, { created_at: when, updated_at: when }, { touchTicket: false }));
    }
    fake.data.deleteTicket(ticketIds[200]!, at(baseMs, 100));
    fake.data.spamTicket(ticketIds[201]!, at(baseMs, 101));
    fake.data.addContacts(30, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    fake.data.addCompanies(5, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    fake.data.addAgents(3, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    fake.data.addGroups(2, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    const articleIds = fake.data.addArticles(4, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));

    const config = configFor(world, allStreams, lookbackSeconds === undefined ? {} : { lookbackSeconds });
    const lookbackMs = (lookbackSeconds ?? defaultLookbackSeconds) * 1000;
    const first = await runInProcess(world, config);
    expect(first.exitCode).toBe(0);
    expect(first.result.outcome).toBe('Succeeded');
    const full = deliveredSince(0);
    expect(full.tickets).toHaveLength(248);
    expect(full.conversations).toHaveLength(40);
    expect(full.deleted_tickets).toEqual([`delete:${ticketIds[200]}`, `delete:${ticketIds[201]}`].sort());
    expect(full.contacts).toHaveLength(30);
    expect([full.companies?.length, full.agents?.length, full.groups?.length, full.articles?.length]).toEqual([5, 3, 2, 4]);
    for (const stream of allStreams) expect(first.result.streams[stream]).toMatchObject({ outcome: 'Succeeded' });
    expect(world.sink.idempotencyViolations).toEqual([]);
    const afterFirst = world.sink.deliveries.length;
    const lastSeqOfFirst = fake.requests.at(-1)!.seq;
    const contactsCursor = first.result.streams.contacts!.cursor.updatedAt!;
    expect(contactsCursor).toBe(at(baseMs, 29)); // the newest contact, in Freshdesk's timestamp format

    // Changes between the runs.
    fake.clock.advance(60_000);
    fake.data.updateTicket(ticketIds[3]!, { subject: 'edited' });
    fake.data.updateTicket(ticketIds[10]!, { status: 4 });
    const [newA, newB] = fake.data.addTickets(2);
    const reply = fake.data.addConversation(ticketIds[20]!, { body_text: 'a new reply' });
    fake.data.deleteTicket(ticketIds[7]!);
    fake.data.updateContact(2, { name: 'renamed' });
    fake.data.updateCompany(1, { name: 'renamed' });
    fake.data.updateGroup(1, { name: 'renamed' });
    fake.data.updateArticle(articleIds[2]!, { title: 'renamed' });
    fake.clock.advance(60_000);

    const second = await runInProcess(world, config, first.state);
    expect(second.exitCode).toBe(0);
    const changed: Record<string, Array<number | undefined>> = {
      tickets: [ticketIds[3], ticketIds[10], newA, newB, ticketIds[20]],
      conversations: [reply],
      deleted_tickets: [ticketIds[7]],
      contacts: [2],
      companies: [1],
      groups: [1],
      articles: [articleIds[2]],
      agents: [],
    };
    for (const [stream, ids] of Object.entries(changed)) expect(changedIds(world.sink, stream, afterFirst), stream).toEqual(ids.map(String).sort());
    if (lookbackSeconds === 0) {
      expect(deliveredSince(afterFirst)).toEqual({
        tickets: [ticketIds[3], ticketIds[10], newA, newB, ticketIds[20]].map((id) => `upsert:${id}`).sort(),
        // Every conversation of a changed ticket comes (not only the new reply): tickets 3, 10, 20 had one each.
        conversations: [reply, conversationIds[3], conversationIds[10], conversationIds[20]].map((id) => `upsert:${id}`).sort(),
        // The trash and spam lists are read whole on every run (a delete may not move updated_at).
        deleted_tickets: [ticketIds[7], ticketIds[200], ticketIds[201]].map((id) => `delete:${id}`).sort(),
        contacts: ['upsert:2'],
        // Reference streams come whole on every run, as a snapshot.
        companies: [1, 2, 3, 4, 5].map((id) => `upsert:${id}`),
        groups: ['upsert:1', 'upsert:2'],
        articles: articleIds.map((id) => `upsert:${id}`).sort(),
        agents: ['upsert:1', 'upsert:2', 'upsert:3'],
        // The articles' default category and folder.
        solution_categories: ['upsert:1'],
        solution_folders: ['upsert:1'],
      });
      expect(second.result.streams.agents).toMatchObject({ outcome: 'Succeeded', records: 3 });
    } else {
      // Re-delivery is bounded by the window: nothing older than lookback behind the first run's cursor comes
      // again, and the result counts what came again.
      for (const stream of ['tickets', 'contacts'] as const) {
        const floor = new Date(Date.parse(first.result.streams[stream]!.cursor.updatedAt!) - lookbackMs).toISOString().replace(/\.000Z$/, 'Z');
        const again = world.sink.deliveries.slice(afterFirst).filter((d) => d.body.stream === stream).flatMap((d) => d.body.records);
        for (const record of again) expect(record.updatedAt >= floor, `${stream} ${record.id} at ${record.updatedAt}`).toBe(true);
        expect(second.result.streams[stream]!.records - (second.result.streams[stream]!.redelivered ?? 0), stream).toBe(changed[stream]!.length);
      }
      expect(second.result.streams.tickets!.redelivered).toBeGreaterThan(0);
    }
    // The second run asked Freshdesk only for contacts changed since the first run's cursor (inclusive), less the lookback.
    // (The soft-deleted contacts, state=deleted, are read whole: a delete may not move updated_at.)
    const contactRequests = fake.requests.filter((r) => r.seq > lastSeqOfFirst && r.path === '/api/v2/contacts' && r.query.state !== 'deleted');
    expect(contactRequests.length).toBeGreaterThan(0);
    const contactsFrom = new Date(Date.parse(contactsCursor) - lookbackMs).toISOString().replace(/\.000Z$/, 'Z');
    for (const request of contactRequests) expect(request.query._updated_since).toBe(contactsFrom);
    for (const stream of Object.keys(changed)) expect(second.result.streams[stream]!.cursor.updatedAt! >= first.result.streams[stream]!.cursor.updatedAt!, stream).toBe(true);
    expect(world.sink.idempotencyViolations).toEqual([]);
    expect(fake.violations).toEqual([]);
  });

  it('the first run delivers tickets of every age, not only the 30 days Freshdesk lists by default', async () => {
    const { fake } = world;
    const dayMs = 24 * 3600 * 1000;
    const nowMs = fake.clock.now().getTime();
    // 300 tickets created 400 to 100 days ago and never touched since, 20 from the last days.
    const old = fake.data.addTickets(300, (i) => ({ created_at: at(nowMs - 400 * dayMs, i * 86_400), updated_at: at(nowMs - 400 * dayMs, i * 86_400 + 60) }));
    const recent = fake.data.addTickets(20, (i) => ({ created_at: at(nowMs - 3 * dayMs, i), updated_at: at(nowMs - 3 * dayMs, i) }));
    fake.data.deleteTicket(old[5]!, at(nowMs - 200 * dayMs, 0));
    fake.data.spamTicket(old[6]!, at(nowMs - 200 * dayMs, 1));
    const visible = [...old, ...recent].filter((id) => id !== old[5] && id !== old[6]);

    const run = await runInProcess(world, configFor(world, ['tickets', 'deleted_tickets']));
    expect(run.result.outcome).toBe('Succeeded');
    expect(deliveredIds(world.sink, 'tickets')).toEqual(visible);
    expect(deliveredIds(world.sink, 'deleted_tickets')).toEqual([old[5]!, old[6]!].sort((a, b) => a - b));
    // Every ticket list request named updated_since: without it Freshdesk returns only the last 30 days.
    const ticketLists = fake.requests.filter((r) => r.path === '/api/v2/tickets');
    expect(ticketLists.length).toBeGreaterThan(0);
    for (const request of ticketLists) expect(request.query.updated_since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(ticketLists.map((r) => r.query.updated_since).sort()[0]! <= at(nowMs - 400 * dayMs, 0)).toBe(true);
  });

  it('delivers sink.batchSize records per batch, checkpointing after each', async () => {
    const baseMs = world.fake.clock.now().getTime() - 24 * 3600 * 1000;
    const ids = world.fake.data.addTickets(120, (i) => ({ updated_at: at(baseMs, i) }));
    const config = configFor(world);
    config.sink.batchSize = 50;
    const checkpoints: string[] = [];
    const run = await runInProcess(world, config, undefined, { onCheckpoint: (_stream, cursor) => void checkpoints.push(cursor.updatedAt!) });
    expect(run.exitCode).toBe(0);
    expect(world.sink.deliveries.map((d) => d.body.records.length)).toEqual([50, 50, 20]);
    expect(deliveredIds(world.sink, 'tickets')).toEqual(ids);
    // One checkpoint per acknowledged batch, at its last record (then a final one when the stream ends).
    expect(checkpoints.slice(0, 3)).toEqual([at(baseMs, 49), at(baseMs, 99), at(baseMs, 119)]);
    expect(new Set(checkpoints.slice(3))).toEqual(new Set([at(baseMs, 119)]));
  });

  it('syncs only due streams: a stream whose interval has not passed is NotDue and keeps its cursor', async () => {
    world.fake.data.addTickets(3);
    world.fake.data.addContacts(2);
    const config = configFor(world, ['tickets', 'contacts']);
    config.source.streams[1]!.intervalSeconds = 4 * 3600;
    const first = await runInProcess(world, config);
    world.fake.clock.advance(2 * 3600 * 1000);
    world.fake.data.addTickets(1);
    world.fake.data.addContacts(1);
    const second = await runInProcess(world, config, first.state);
    expect(second.result.streams.tickets).toMatchObject({ outcome: 'Succeeded', records: 4, redelivered: 3 });
    expect(second.result.streams.contacts).toEqual({ outcome: 'NotDue', records: 0, cursor: first.result.streams.contacts!.cursor });
    expect(second.result.outcome).toBe('Succeeded');
    expect(second.state.streams.contacts!.lastSuccessAt).toBe(first.state.streams.contacts!.lastSuccessAt);
  });
});
