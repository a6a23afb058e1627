// Issue 11, all classes at once: several incremental runs against a Freshdesk fake playing every undocumented
// behaviour in its worst reading (late visibility, same-second rewrites, rows deleted mid-scan, deletes that
// leave updated_at alone), with edits, adds, replies, deletes and spam between and during the runs. After a
// last run, what a consumer holds must equal what Freshdesk holds: no record, no version, no delete lost.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, configFor, runInProcess, startWorld, type World } from './support.js';
import type { JobState } from '../../sync-job/contract.js';
import { canonicalJson } from '../fakes/sink/protocol.js';

let world: World;
beforeEach(async () => {
  world = await startWorld({ rateLimitPerMinute: 100_000 });
});
afterEach(async () => world.close());

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every row of a list as Freshdesk serves it now (behaviours that act on reads are off by then). */
async function listAll(path: string, query = ''): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  for (let page = 1; ; page++) {
    const response = await fetch(`${world.fake.baseUrl}/api/v2/${path}?per_page=100&page=${page}${query}`, {
      headers: { authorization: `Basic ${Buffer.from(`${world.fake.apiKey}:X`).toString('base64')}` },
    });
    rows.push(...((await response.json()) as Array<Record<string, unknown>>));
    if (!response.headers.get('link')) return rows;
  }
}

describe('against a Freshdesk that behaves as badly as it may', () => {
  it.each([1, 2, 3])('a consumer ends up holding exactly what Freshdesk holds (seed %i)', async (seed) => {
    const { fake } = world;
    const rand = random(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
    const baseMs = fake.clock.now().getTime() - 40 * 24 * 3600 * 1000;
    const tickets = fake.data.addTickets(420, (i) => ({ created_at: at(baseMs, i * 60), updated_at: at(baseMs, i * 60 + Math.floor(i / 7)) }));
    const contacts = fake.data.addContacts(260, (i) => ({ created_at: at(baseMs, i * 30), updated_at: at(baseMs, i * 30) }));
    const companies = fake.data.addCompanies(230, (i) => ({ created_at: at(baseMs, i), updated_at: at(baseMs, i) }));
    const liveTickets = new Set(tickets);
    const liveContacts = new Set(contacts);
    const liveCompanies = new Set(companies);

    fake.behaviours.sameSecondRewrites('tickets');
    fake.behaviours.deleteDuringScans('companies', 2);
    fake.behaviours.deleteDuringScans('contacts', 2);
    fake.behaviours.deletesMoveUpdatedAt(rand() < 0.5);
    const streams = ['tickets', 'deleted_tickets', 'conversations', 'contacts', 'companies'] as const;
    const config = configFor(world, streams);
    let state: JobState = { version: 1, streams: {} };

    for (let round = 0; round < 5; round++) {
      // Writes while the run goes on, some of them visible only later.
      let writes = 0;
      const stop = fake.faults.onRequest(() => {
        if (rand() > 0.08 || writes++ > 25) return;
        fake.behaviours.lateVisibility(rand() < 0.5 ? Math.floor(rand() * 120) : 0);
        const ticket = pick([...liveTickets]);
        switch (Math.floor(rand() * 6)) {
          case 0:
            fake.data.updateTicket(ticket, { subject: `edited in round ${round}, write ${writes}` });
            break;
          case 1:
            fake.data.addConversation(ticket, { body_text: `reply in round ${round}` });
            break;
          case 2:
            liveTickets.delete(ticket);
            if (rand() < 0.5) fake.data.deleteTicket(ticket);
            else fake.data.spamTicket(ticket);
            break;
          case 3:
            liveTickets.add(fake.data.addTickets(1)[0]!);
            break;
          case 4:
            fake.data.updateContact(pick([...liveContacts]), { job_title: `title ${round}.${writes}` });
            break;
          default:
            fake.data.updateCompany(pick([...liveCompanies]), { note: `note ${round}.${writes}` });
        }
        fake.behaviours.lateVisibility(0);
      });
      const run = await runInProcess(world, config, state, { ignoreIntervals: true });
      stop();
      expect(run.exitCode, JSON.stringify(run.result)).toBe(0);
      state = run.state;
      fake.clock.advance(Math.floor(rand() * 20 * 60_000));
    }

    // The last writes become visible; deletes the scans made are known; one more run, with nothing moving.
    fake.behaviours.sameSecondRewrites('tickets', 0);
    fake.behaviours.deleteDuringScans('companies', 0);
    fake.behaviours.deleteDuringScans('contacts', 0);
    fake.clock.advance(10 * 60_000);
    const last = await runInProcess(world, config, state, { ignoreIntervals: true });
    expect(last.exitCode, JSON.stringify(last.result)).toBe(0);

    const held = (stream: string) => world.sink.latest('acme', stream);
    const expectHeld = (stream: string, rows: Array<Record<string, unknown>>) => {
      const consumer = held(stream);
      // Content, not key order: the job sends each record in canonical JSON (keys sorted).
      const missing = rows.filter((row) => canonicalJson(consumer.get(`${stream}/${String(row.id)}`)?.data) !== canonicalJson(row));
      expect(missing.map((row) => row.id), `${stream}: not held in their current version`).toEqual([]);
    };
    expectHeld('tickets', await listAll('tickets', '&updated_since=2000-01-01T00:00:00Z&order_by=updated_at&order_type=asc&include=description,stats'));
    expectHeld('contacts', await listAll('contacts'));
    expectHeld('companies', await listAll('companies'));
    const gone = [...(await listAll('tickets', '&updated_since=2000-01-01T00:00:00Z&filter=deleted')), ...(await listAll('tickets', '&updated_since=2000-01-01T00:00:00Z&filter=spam'))];
    expect(gone.filter((row) => held('deleted_tickets').get(`deleted_tickets/${String(row.id)}`)?.op !== 'delete').map((row) => row.id)).toEqual([]);
    const visibleTickets = await listAll('tickets', '&updated_since=2000-01-01T00:00:00Z');
    const conversations = (await Promise.all(visibleTickets.map((t) => listAll(`tickets/${String(t.id)}/conversations`)))).flat();
    expectHeld('conversations', conversations);
    expect(world.sink.idempotencyViolations).toEqual([]);
    expect(fake.violations).toEqual([]);
  });
});
