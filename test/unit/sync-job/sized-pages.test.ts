// Pages that keep a response under the byte cap: the conversations scan and the ordered walks' first pages
// shrink per_page on SOURCE_RESPONSE_TOO_LARGE, and keep page boundaries consistent while they do.
import { describe, expect, it } from 'vitest';
import { SyncError } from '../../../sync-job/core/errors.js';
import { shrinkingFirstPages, sizedPageScan } from '../../../sync-job/source/freshdesk/sized-pages.js';
import type { FetchPage } from '../../../sync-job/source/freshdesk/walks.js';

/** A list of `rows` rows where a response holding more than `maxRows` rows is too large. */
function list(rows: number, maxRows: number): { fetch: FetchPage; asked: Array<Record<string, string | number>> } {
  const asked: Array<Record<string, string | number>> = [];
  const fetch: FetchPage = async (query) => {
    asked.push(query);
    const perPage = Number(query.per_page ?? 30);
    const start = (Number(query.page ?? 1) - 1) * perPage;
    const items = Array.from({ length: Math.max(0, Math.min(perPage, rows - start)) }, (_, i) => ({ id: start + i + 1 }));
    if (items.length > maxRows) throw new SyncError('SOURCE_RESPONSE_TOO_LARGE', 'too large');
    return { items, hasNext: start + perPage < rows };
  };
  return { fetch, asked };
}

describe('sizedPageScan', () => {
  it('asks again from the same offset with smaller pages, and reads every row once', async () => {
    const { fetch, asked } = list(130, 30);
    const ids: number[] = [];
    for await (const page of sizedPageScan(fetch, 'conversation')) ids.push(...page.map((row) => (row as { id: number }).id));
    expect(ids).toEqual(Array.from({ length: 130 }, (_, i) => i + 1));
    expect(asked.slice(0, 3).map((q) => q.per_page)).toEqual([100, 50, 25]);
  });

  it('fails naming the record when even one row alone is too large', async () => {
    const { fetch } = list(3, 0);
    const scan = sizedPageScan(fetch, 'conversation');
    await expect(scan.next()).rejects.toThrow(/conversation number 1 alone is too large/);
  });
});

describe('shrinkingFirstPages', () => {
  it('shrinks a too large first page and keeps that size for later pages', async () => {
    const { fetch, asked } = list(400, 50);
    const shrinking = shrinkingFirstPages(fetch);
    expect((await shrinking({ page: 1, per_page: 100 })).items).toHaveLength(50);
    expect((await shrinking({ page: 2, per_page: 100 })).items.map((row) => (row as { id: number }).id)[0]).toBe(51);
    expect(asked.map((q) => q.per_page)).toEqual([100, 50, 50]);
  });

  it('does not shrink a page beyond the first (its boundaries would move)', async () => {
    const { fetch } = list(400, 50);
    await expect(shrinkingFirstPages(fetch)({ page: 2, per_page: 100 })).rejects.toMatchObject({ code: 'SOURCE_RESPONSE_TOO_LARGE' });
  });
});
