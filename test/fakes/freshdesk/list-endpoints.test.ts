// The fake Freshdesk's list behaviour over real HTTP: paging and `link`, inclusive updated_since,
// the 30-day default, ordering and ties, validation bodies, filters and the non-ticket endpoints.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFreshdeskFake, type FreshdeskFake } from './index.js';
import { getJson, ids, nextUrl, walk } from './http-test-helpers.js';

const t0 = new Date('2024-05-01T10:00:00Z');
let fake: FreshdeskFake;
let nowMs: number;

beforeEach(async () => {
  nowMs = t0.getTime();
  fake = await startFreshdeskFake({ now: () => new Date(nowMs) });
});
afterEach(async () => {
  await fake.close();
});

const api = (path: string) => `${fake.baseUrl}/api/v2/${path}`;

describe('paging', () => {
  it('pages with per_page (default 30) and a link header only when another page exists', async () => {
    fake.data.addTickets(65);
    const first = await getJson(api('tickets'));
    expect(first.status).toBe(200);
    expect(Array.isArray(first.body)).toBe(true);
    expect((first.body as unknown[]).length).toBe(30);
    expect(first.headers.get('link')).toBe(`<${api('tickets')}?page=2>; rel="next"`);

    const walked = await walk(api('tickets?per_page=20&order_by=updated_at&order_type=asc'));
    expect(walked.pages).toBe(4);
    expect(new Set(ids(walked.records)).size).toBe(65);

    const last = await getJson(api('tickets?per_page=20&page=4'));
    expect((last.body as unknown[]).length).toBe(5);
    expect(last.headers.get('link')).toBeNull();
    const exact = await getJson(api('tickets?per_page=65'));
    expect(exact.headers.get('link')).toBeNull();
  });

  it('keeps the request parameters in the next link and puts page last', async () => {
    fake.data.addTickets(3);
    const page = await getJson(api('tickets?updated_since=2024-01-01T00:00:00Z&per_page=1&page=2'));
    expect(nextUrl(page.headers)).toBe(`${api('tickets')}?updated_since=2024-01-01T00%3A00%3A00Z&per_page=1&page=3`);
  });

  it('refuses per_page over 100 and pages over 300 with Freshdesk validation bodies', async () => {
    const tooBig = await getJson(api('tickets?per_page=101'));
    expect(tooBig.status).toBe(400);
    expect(tooBig.body).toEqual({
      description: 'Validation failed',
      errors: [{ field: 'per_page', message: 'It should be a/an Positive Integer less than or equal to 100', code: 'invalid_value' }],
    });
    const page301 = await getJson(api('tickets?page=301&updated_since=2024-01-01T00:00:00Z'));
    expect(page301.status).toBe(400);
    expect(page301.body).toEqual({
      description: 'Validation failed',
      errors: [
        {
          field: 'page',
          message: 'You cannot access tickets beyond the 300th page. Please provide a smaller page number.',
          code: 'invalid_value',
        },
      ],
    });
    expect((await getJson(api('tickets?page=300'))).status).toBe(200);
    // contacts have no page cap
    expect((await getJson(api('contacts?page=301'))).status).toBe(200);
  });

  it('reports every invalid parameter in one body with its code', async () => {
    const bad = await getJson(api('tickets?page=abc&order_by=priority&updated_since=yesterday&foo=1'));
    expect(bad.status).toBe(400);
    const errors = (bad.body as { errors: { field: string; code: string }[] }).errors;
    expect(errors.map((e) => [e.field, e.code]).sort()).toEqual(
      [
        ['foo', 'invalid_field'],
        ['order_by', 'invalid_value'],
        ['page', 'datatype_mismatch'],
        ['updated_since', 'invalid_value'],
      ].sort(),
    );
  });
});

describe('updated_since and ordering', () => {
  it('is inclusive at one-second granularity and orders by updated_at asc', async () => {
    const [a, b, c] = fake.data.addTickets([
      { created_at: '2024-04-01T00:00:00Z', updated_at: '2024-04-30T09:59:58Z' },
      { created_at: '2024-04-01T00:00:00Z', updated_at: '2024-04-30T09:59:59Z' },
      { created_at: '2024-04-01T00:00:00Z', updated_at: '2024-04-30T10:00:00Z' },
    ]);
    const page = await getJson(api('tickets?updated_since=2024-04-30T09:59:59Z&order_by=updated_at&order_type=asc'));
    expect(ids(page.body)).toEqual([b, c]);
    expect((page.body as { updated_at: string }[])[0]!.updated_at).toBe('2024-04-30T09:59:59Z');
    const desc = await getJson(api('tickets?updated_since=2024-04-30T09:59:58Z&order_by=updated_at&order_type=desc'));
    expect(ids(desc.body)).toEqual([c, b, a]);
    // sub-second precision is truncated to the second, like the records' timestamps
    const fractional = await getJson(api('tickets?updated_since=2024-04-30T09:59:59.900Z&order_by=updated_at&order_type=asc'));
    expect(ids(fractional.body)).toEqual([b, c]);
  });

  it('without updated_since returns only tickets created in the last 30 days, newest first', async () => {
    const [requester] = fake.data.addContacts(1);
    const email = encodeURIComponent(String(fake.data.contact(requester!)?.email));
    const who = { requester_id: requester, company_id: 3 };
    const [old] = fake.data.addTickets([{ created_at: '2024-03-01T00:00:00Z', updated_at: '2024-04-30T00:00:00Z', ...who }]);
    const [recent1, recent2] = fake.data.addTickets([
      { created_at: '2024-04-10T00:00:00Z', ...who },
      { created_at: '2024-04-20T00:00:00Z' },
    ]);
    expect(ids((await getJson(api('tickets'))).body)).toEqual([recent2, recent1]);
    expect(ids((await getJson(api('tickets?updated_since=2024-01-01T00:00:00Z&order_by=created_at&order_type=asc'))).body)).toEqual([
      old,
      recent1,
      recent2,
    ]);
    // Only updated_since reaches older tickets (Freshdesk's docs); the other filters keep the 30-day window.
    for (const filter of [`requester_id=${requester}`, 'company_id=3', `email=${email}`]) {
      expect(ids((await getJson(api(`tickets?${filter}`))).body)).toEqual([recent1]);
      expect(ids((await getJson(api(`tickets?${filter}&updated_since=2024-01-01T00:00:00Z`))).body)).toEqual([recent1, old]);
    }
    fake.data.deleteTicket(old!);
    expect(ids((await getJson(api('tickets?filter=deleted'))).body)).toEqual([]);
    expect(ids((await getJson(api('tickets?filter=deleted&updated_since=2024-01-01T00:00:00Z'))).body)).toEqual([old]);
    // the window follows the fake clock
    nowMs = new Date('2024-05-15T00:00:00Z').getTime();
    expect(ids((await getJson(api('tickets'))).body)).toEqual([recent2]);
  });

  it('returns records sharing a second in an order that is stable between requests but not by id', async () => {
    const added = fake.data.addTickets(120, () => ({ updated_at: '2024-04-30T12:00:00Z' }));
    const url = api('tickets?updated_since=2024-04-30T12:00:00Z&order_by=updated_at&order_type=asc&per_page=100');
    const first = ids((await walk(url)).records);
    const second = ids((await walk(url)).records);
    expect(second).toEqual(first);
    expect([...first].sort((x, y) => x - y)).toEqual(added);
    expect(first).not.toEqual(added);
    expect(first).not.toEqual([...added].reverse());
  });

  it('moves an updated ticket to the end of an updated_at walk (the deep-paging trap is real)', async () => {
    const added = fake.data.addTickets(6, (i) => ({ updated_at: new Date(t0.getTime() - 3600_000 + i * 1000) }));
    const url = (page: number) => api(`tickets?updated_since=2024-04-30T00:00:00Z&order_by=updated_at&order_type=asc&per_page=2&page=${page}`);
    const page1 = ids((await getJson(url(1))).body);
    fake.data.updateTicket(page1[0]!);
    const rest = [...ids((await getJson(url(2))).body), ...ids((await getJson(url(3))).body)];
    // the record at the start of page 2 slid onto page 1 and is skipped by a deep-paging client
    expect(new Set([...page1, ...rest]).size).toBe(5);
    expect(rest[rest.length - 1]).toBe(page1[0]);
    expect(added).toContain(page1[0]);
  });
});

describe('deleted and spam tickets', () => {
  it('leave the normal list and show up only under filter=deleted / filter=spam, with updated_since', async () => {
    const [keep, gone, junk] = fake.data.addTickets(3);
    nowMs += 5_000;
    fake.data.deleteTicket(gone!);
    fake.data.spamTicket(junk!);
    const since = 'updated_since=2024-05-01T00:00:00Z';
    expect(ids((await getJson(api(`tickets?${since}`))).body)).toEqual([keep]);
    const deleted = await getJson(api(`tickets?filter=deleted&${since}`));
    expect(ids(deleted.body)).toEqual([gone]);
    expect((deleted.body as { deleted: boolean; updated_at: string }[])[0]).toMatchObject({ deleted: true, updated_at: '2024-05-01T10:00:05Z' });
    const spam = await getJson(api(`tickets?filter=spam&${since}`));
    expect(ids(spam.body)).toEqual([junk]);
    expect((spam.body as { spam: boolean }[])[0]!.spam).toBe(true);
    expect(ids((await getJson(api('tickets?filter=deleted&updated_since=2024-05-01T10:00:06Z'))).body)).toEqual([]);
    expect((await getJson(api('tickets?filter=archived'))).status).toBe(400);
  });
});

describe('other endpoints', () => {
  it('serves conversations, contacts with _updated_since, companies, agents, groups and the knowledge base', async () => {
    const [ticket] = fake.data.addTickets(1);
    const conversation = fake.data.addConversation(ticket!, { body_text: 'hello' });
    const convs = await getJson(api(`tickets/${ticket}/conversations`));
    expect(convs.body).toEqual([expect.objectContaining({ id: conversation, ticket_id: ticket, body_text: 'hello' })]);
    expect((await getJson(api('tickets/999/conversations'))).status).toBe(404);

    const [c1, c2] = fake.data.addContacts([{ updated_at: '2024-04-01T00:00:00Z', created_at: '2024-04-01T00:00:00Z' }, { name: 'Ada' }]);
    expect(ids((await getJson(api('contacts?_updated_since=2024-05-01T10:00:00Z'))).body)).toEqual([c2]);
    expect(new Set(ids((await getJson(api('contacts'))).body))).toEqual(new Set([c1, c2]));
    expect((await getJson(api('contacts?updated_since=2024-05-01T10:00:00Z'))).status).toBe(400);

    fake.data.addCompanies(2);
    fake.data.addAgents(1);
    fake.data.addGroups(3);
    expect(ids((await getJson(api('companies'))).body)).toEqual([1, 2]);
    expect(ids((await getJson(api('agents'))).body)).toEqual([1]);
    expect(ids((await getJson(api('groups'))).body)).toEqual([1, 2, 3]);

    const [article] = fake.data.addArticles([{ title: 'Reset your password' }]);
    const categories = (await getJson(api('solutions/categories'))).body as { id: number }[];
    expect(categories).toHaveLength(1);
    const folders = (await getJson(api(`solutions/categories/${categories[0]!.id}/folders`))).body as { id: number }[];
    const articles = await getJson(api(`solutions/folders/${folders[0]!.id}/articles`));
    expect(articles.body).toEqual([expect.objectContaining({ id: article, title: 'Reset your password', folder_id: folders[0]!.id })]);
    expect((await getJson(api('solutions/folders/77/articles'))).status).toBe(404);
  });

  it('seeds demo data older than 30 days, with deletes, spam and replies', async () => {
    const summary = fake.seedDemo();
    const all = await walk(api('tickets?updated_since=2000-01-01T00:00:00Z&per_page=100'));
    expect(all.records.length).toBe(summary.tickets - summary.deletedTicketIds.length - summary.spamTicketIds.length);
    const recent = await walk(api('tickets?per_page=100'));
    expect(recent.records.length).toBeLessThan(all.records.length);
    // The deleted ticket was created more than 30 days ago: only updated_since reaches it.
    expect(ids((await getJson(api('tickets?filter=deleted'))).body)).toEqual([]);
    expect(ids((await getJson(api('tickets?filter=deleted&updated_since=2000-01-01T00:00:00Z'))).body)).toEqual(summary.deletedTicketIds);
    expect(summary.conversations).toBeGreaterThan(0);
  });
});
