// What the stream declarations ask Freshdesk for and how they read the answers (the page loops are walks.test.ts).
import { describe, expect, it } from 'vitest';
import { freshdeskStreams } from '../../../sync-job/source/freshdesk/streams.js';

async function* pagesOf(rows: unknown[]): AsyncGenerator<unknown[]> {
  yield rows;
}

describe('contacts', () => {
  it('takes every row of the deleted list as a delete, whether or not the row says deleted: true', async () => {
    const declaration = freshdeskStreams.contacts;
    if (declaration.kind !== 'scan') throw new Error('contacts is a scan');
    const asked: Array<{ path: string; query?: Record<string, string | number> }> = [];
    const fetch = (path: string, query?: Record<string, string | number>) => {
      asked.push({ path, query });
      return query?.state === 'deleted' ? pagesOf([{ id: 7, updated_at: '2024-05-01T10:00:00Z' }]) : pagesOf([{ id: 1, updated_at: '2024-05-01T10:00:00Z' }]);
    };
    const rows: unknown[] = [];
    for await (const page of declaration.pages(fetch, '2024-05-01T00:00:00Z', () => pagesOf([]))) rows.push(...page);
    expect(asked).toEqual([
      { path: '/contacts', query: { _updated_since: '2024-05-01T00:00:00Z' } },
      { path: '/contacts', query: { state: 'deleted' } },
    ]);
    expect(rows).toEqual([
      { id: 1, updated_at: '2024-05-01T10:00:00Z' },
      { id: 7, updated_at: '2024-05-01T10:00:00Z', deleted: true },
    ]);
  });
});

describe('satisfaction ratings', () => {
  it('always asks with created_since: from the beginning without a cursor, a window behind it with one', async () => {
    const declaration = freshdeskStreams.satisfaction_ratings;
    if (declaration.kind !== 'scan') throw new Error('satisfaction_ratings is a scan');
    const asked: Array<Record<string, string | number> | undefined> = [];
    const fetch = (_path: string, query?: Record<string, string | number>) => {
      asked.push(query);
      return pagesOf([]);
    };
    for await (const _ of declaration.pages(fetch, undefined, () => pagesOf([]))) void _;
    for await (const _ of declaration.pages(fetch, '2024-05-08T00:00:00Z', () => pagesOf([]))) void _;
    expect(asked).toEqual([{ created_since: '2000-01-01T00:00:00Z' }, { created_since: '2024-05-01T00:00:00Z' }]);
  });
});
