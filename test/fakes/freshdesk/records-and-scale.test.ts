// Record shapes and less common queries of the fake Freshdesk (single objects, includes, other orders
// and filters, replies bumping tickets), a dataset beyond 300 pages walked by re-querying, and the
// switchable behaviours: late visibility, same-second rewrites, deletes mid-scan, deletes that keep updated_at.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFreshdeskFake, type FreshdeskFake } from './index.js';
import { getJson, ids, nextUrl } from './http-test-helpers.js';

const t0 = Date.parse('2024-05-01T10:00:00Z');
let fake: FreshdeskFake;
let nowMs: number;

beforeEach(async () => {
  nowMs = t0;
  fake = await startFreshdeskFake({ now: () => new Date(nowMs), rateLimitPerMinute: 100_000 });
});
afterEach(async () => {
  await fake.close();
});

const api = (path: string) => `${fake.baseUrl}/api/v2/${path}`;

describe('record shapes', () => {
  it('serves tickets with Freshdesk field names and one-second UTC timestamps', async () => {
    const [id] = fake.data.addTickets([{ subject: 'Printer on fire', created_at: '2024-04-30T08:00:00.750Z' }]);
    const ticket = (await getJson(api(`tickets/${id}`))).body as Record<string, unknown>;
    for (const field of ['subject', 'status', 'priority', 'source', 'requester_id', 'responder_id', 'group_id', 'company_id', 'type', 'tags', 'custom_fields', 'spam', 'due_by', 'fr_due_by', 'is_escalated', 'cc_emails']) {
      expect(ticket).toHaveProperty(field);
    }
    expect(ticket).toMatchObject({ id, subject: 'Printer on fire', created_at: '2024-04-30T08:00:00Z', updated_at: '2024-05-01T10:00:00Z' });
    expect(ticket).not.toHaveProperty('description');
    expect((await getJson(api('tickets/404'))).status).toBe(404);

    const listed = (await getJson(api('tickets?include=description'))).body as Record<string, unknown>[];
    expect(listed[0]).toHaveProperty('description_text');
  });

  it('answers agents/me even before agents are added (a cheap credentials check)', async () => {
    const me = await getJson(api('agents/me'));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: 1, contact: expect.objectContaining({ email: expect.any(String) }) });
    expect((await getJson(api('agents/me'), 'bad-key')).status).toBe(401);
  });

  it('bumps the ticket on a reply unless told not to, and updates records with the clock', async () => {
    const [a, b] = fake.data.addTickets(2);
    nowMs += 60_000;
    fake.data.addConversation(a!, { incoming: true });
    fake.data.addConversation(b!, {}, { touchTicket: false });
    expect(ids((await getJson(api('tickets?updated_since=2024-05-01T10:01:00Z'))).body)).toEqual([a]);
    nowMs += 60_000;
    fake.data.updateTicket(b!, { status: 4 });
    const updated = (await getJson(api('tickets?updated_since=2024-05-01T10:02:00Z'))).body as Record<string, unknown>[];
    expect(updated).toEqual([expect.objectContaining({ id: b, status: 4, updated_at: '2024-05-01T10:02:00Z' })]);
  });

  it('supports the other orders and filters of the ticket list', async () => {
    const [open1, , open3] = fake.data.addTickets([
      { status: 2, requester_id: 7, created_at: '2024-04-20T00:00:00Z' },
      { status: 5, requester_id: 8, created_at: '2024-04-21T00:00:00Z' },
      { status: 2, requester_id: 7, created_at: '2024-04-22T00:00:00Z' },
    ]);
    expect(ids((await getJson(api('tickets?filter=new_and_my_open&order_type=asc'))).body)).toEqual([open1, open3]);
    expect(ids((await getJson(api('tickets?requester_id=7'))).body)).toEqual([open3, open1]);
    expect(ids((await getJson(api('tickets?order_by=status&order_type=desc'))).body)[0]).toBe(2);
    expect(ids((await getJson(api('tickets?filter=watching'))).body)).toEqual([]);
  });

  it('hides soft-deleted contacts except under state=deleted', async () => {
    const [keep, gone] = fake.data.addContacts(2);
    fake.data.deleteContact(gone!);
    expect(ids((await getJson(api('contacts'))).body)).toEqual([keep]);
    expect((await getJson(api('contacts?state=deleted'))).body).toEqual([expect.objectContaining({ id: gone, deleted: true })]);
  });
});

describe('scale', () => {
  it('holds 31,000 tickets: deep paging dies at page 301, re-querying from the cursor reaches them all', async () => {
    const count = 31_000;
    // ten tickets a second, so a cursor second never holds more than a page
    fake.data.addTickets(count, (i) => ({ updated_at: new Date(t0 - 86_400_000 + Math.floor(i / 10) * 1000) }));
    const query = 'tickets?updated_since=2024-04-01T00:00:00Z&order_by=updated_at&order_type=asc&per_page=100';
    const page300 = await getJson(api(`${query}&page=300`));
    expect(page300.status).toBe(200);
    // Page 300 links to no page 301 (Freshdesk does not say it would: the worst reading), and page 301 is refused.
    expect(nextUrl(page300.headers)).toBeUndefined();
    expect(nextUrl((await getJson(api(`${query}&page=299`))).headers)).toContain('page=300');
    expect((await getJson(api(`${query}&page=301`))).status).toBe(400);

    const seen = new Set<number>();
    let since = '2024-04-01T00:00:00Z';
    for (;;) {
      const page = (await getJson(api(`tickets?updated_since=${since}&order_by=updated_at&order_type=asc&per_page=100`))).body as { id: number; updated_at: string }[];
      const before = seen.size;
      for (const ticket of page) seen.add(ticket.id);
      if (page.length < 100 || seen.size === before) break;
      since = page[page.length - 1]!.updated_at; // inclusive: the boundary second is read again
    }
    expect(seen.size).toBe(count);
    expect(fake.stats.maxPage['/api/v2/tickets']).toBe(301);
  });
});

const since = '2024-01-01T00:00:00Z';
const listed = async (path: string) => (await getJson(api(path))).body as Array<Record<string, unknown>>;

describe('switchable behaviours (what Freshdesk does not document, in its worst reading)', () => {
  it('lateVisibility: a write reaches list queries N seconds after its updated_at; the list shows the old version until then', async () => {
    const [a, b] = fake.data.addTickets(2, () => ({ updated_at: '2024-05-01T09:00:00Z' }));
    fake.behaviours.lateVisibility(30);
    fake.data.updateTicket(a!, { subject: 'late' });
    const [c] = fake.data.addTickets(1);
    fake.behaviours.lateVisibility(0);
    nowMs += 5_000;
    fake.data.updateTicket(b!, { subject: 'at once' });
    const before = await listed(`tickets?updated_since=${since}&order_by=updated_at&order_type=asc`);
    expect(ids(before)).toEqual([a, b]);
    expect(before.map((t) => t.subject)).toEqual([expect.not.stringMatching(/^late$/), 'at once']);
    nowMs += 25_000; // 30 s after the late writes' stamp
    const after = await listed(`tickets?updated_since=${since}&order_by=updated_at&order_type=asc`);
    expect(ids(after)).toEqual([a, c, b]);
    expect(after[0]).toMatchObject({ subject: 'late', updated_at: '2024-05-01T10:00:00Z' });
  });

  it('sameSecondRewrites: the last record of a served page, stamped this second, changes; its updated_at does not', async () => {
    const [old] = fake.data.addTickets(1, () => ({ updated_at: '2024-05-01T09:00:00Z' }));
    fake.behaviours.sameSecondRewrites('tickets', 1);
    await listed(`tickets?updated_since=${since}&order_by=updated_at&order_type=asc`);
    expect(fake.data.ticket(old!)).not.toHaveProperty('automation_runs'); // an hour old: not rewritable in its second
    const [a, b] = [old, fake.data.addTickets(1)[0]]; // b: stamped now
    const first = await listed(`tickets?updated_since=${since}&order_by=updated_at&order_type=asc`);
    const second = await listed(`tickets?updated_since=${since}&order_by=updated_at&order_type=asc`);
    expect(ids(second)).toEqual([a, b]);
    expect(first[1]).not.toHaveProperty('automation_runs');
    expect(second[1]).toMatchObject({ automation_runs: 1, updated_at: first[1]!.updated_at });
    expect(await listed(`tickets?updated_since=${since}&order_by=updated_at&order_type=asc`)).toEqual(second); // one page only
  });

  it('deleteDuringScans: after a page with a next page, its first row goes and the next row moves onto it', async () => {
    const companies = fake.data.addCompanies(5);
    fake.behaviours.deleteDuringScans('companies', 1);
    expect(ids(await listed('companies?per_page=2&page=1'))).toEqual([companies[0], companies[1]]);
    expect(ids(await listed('companies?per_page=2&page=2'))).toEqual([companies[3], companies[4]]); // companies[2] moved to page 1
    expect(ids(await listed('companies?per_page=2&page=1'))).toEqual([companies[1], companies[2]]);
  });

  it('deletesMoveUpdatedAt(false): a deleted or spam ticket keeps its updated_at; by default it is stamped', async () => {
    const [a, b, c] = fake.data.addTickets(3, () => ({ updated_at: '2024-04-01T00:00:00Z' }));
    fake.data.deleteTicket(a!);
    fake.behaviours.deletesMoveUpdatedAt(false);
    fake.data.deleteTicket(b!);
    fake.data.spamTicket(c!);
    expect(fake.data.ticket(a!).updated_at).toBe('2024-05-01T10:00:00Z');
    expect(fake.data.ticket(b!).updated_at).toBe('2024-04-01T00:00:00Z');
    expect(ids(await listed(`tickets?filter=deleted&updated_since=2024-04-15T00:00:00Z`))).toEqual([a]);
    expect(ids(await listed(`tickets?filter=spam&updated_since=${since}`))).toEqual([c]);
  });

  it('include: the ticket list carries description and stats only when asked for, as the real list does', async () => {
    fake.data.addTickets([{ description: '<p>set by a test</p>', description_text: 'set by a test', updated_at: '2024-05-01T09:00:00Z' }]);
    const plain = await listed(`tickets?updated_since=${since}`);
    expect(plain[0]).not.toHaveProperty('description');
    expect(plain[0]).not.toHaveProperty('stats');
    const full = await listed(`tickets?updated_since=${since}&include=description,stats`);
    expect(full[0]).toMatchObject({ description: '<p>set by a test</p>', description_text: 'set by a test', stats: expect.any(Object) });
  });
});
