// The fake Freshdesk's switchable real-world behaviours (what Freshdesk does not document, in its worst
// reading): late visibility, same-second rewrites, deletes mid-scan, deletes that leave updated_at alone,
// and the ticket list's include= (description and stats only when asked for).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFreshdeskFake, type FreshdeskFake } from './index.js';
import { getJson, ids } from './http-test-helpers.js';

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
const since = '2024-01-01T00:00:00Z';
const listed = async (path: string) => (await getJson(api(path))).body as Array<Record<string, unknown>>;

describe('behaviours', () => {
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
