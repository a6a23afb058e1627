// The ordered walk against an in-memory list with Freshdesk's semantics (inclusive updated_since, pages of
// 100, ties in a stable non-id order): nothing skipped, boundary ids de-duplicated, no page past the cap;
// where a run starts reading (lookback) and how a full scan's reads overlap.
import { describe, expect, it } from 'vitest';
import { mergeOrdered, nextOverlappingRead, orderedWalk, pageScan, scanOverlapRows, type FetchPage, type RawRecord } from '../../../sync-job/source/freshdesk/walks.js';
import { readStart, ScanFilter } from '../../../sync-job/source/freshdesk/streams.js';
import { SyncError } from '../../../sync-job/core/errors.js';

interface Row {
  id: number;
  updated_at: string;
}

const second = (s: number) => new Date(Date.UTC(2024, 4, 1, 10, 0, 0) + s * 1000).toISOString().replace('.000Z', 'Z');
/** A stable tie order that is not by id. */
const tieKey = (id: number) => (id * 2654435761) % 4294967296;

/** `unlinkedPage`: that page never links to the next (as a last page the API serves might not). */
function list(rows: Row[], onFetch?: (query: Record<string, string | number>) => void, unlinkedPage?: number) {
  const pages: Array<Record<string, string | number>> = [];
  const fetch: FetchPage = async (query) => {
    pages.push(query);
    onFetch?.(query);
    const since = String(query.updated_since);
    const matched = rows
      .filter((r) => r.updated_at >= since)
      .sort((a, b) => (a.updated_at < b.updated_at ? -1 : a.updated_at > b.updated_at ? 1 : tieKey(a.id) - tieKey(b.id)));
    const page = Number(query.page);
    const perPage = Number(query.per_page);
    const items = matched.slice((page - 1) * perPage, page * perPage).map((r) => ({ ...r }));
    return { items, hasNext: page !== unlinkedPage && matched.length > page * perPage };
  };
  return { fetch, pages };
}

async function collect(walk: AsyncGenerator<RawRecord>): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const record of walk) out.push(record);
  return out;
}

const from = { updatedAt: '2000-01-01T00:00:00Z', ids: [] };

describe('orderedWalk', () => {
  it('delivers 350 records sharing one second, across page boundaries, once each', async () => {
    const rows = Array.from({ length: 350 }, (_, i) => ({ id: i + 1, updated_at: second(0) }));
    rows.push({ id: 1000, updated_at: second(5) });
    const { fetch, pages } = list(rows);
    const out = await collect(orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket' }));
    expect(out.map((r) => r.position.id).sort()).toEqual(rows.map((r) => String(r.id)).sort());
    expect(new Set(out.map((r) => r.position.id)).size).toBe(out.length);
    expect(Math.max(...pages.map((p) => Number(p.page)))).toBeLessThanOrEqual(4);
  });

  it('re-queries from the newest second instead of deep paging', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: i + 1, updated_at: second(i) }));
    const { fetch, pages } = list(rows);
    const out = await collect(orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket' }));
    expect(out).toHaveLength(1000);
    expect(pages.every((p) => p.page === 1)).toBe(true);
    expect(out.map((r) => r.position.updatedAt)).toEqual([...out.map((r) => r.position.updatedAt)].sort());
  });

  it('skips only the boundary ids of the cursor it starts from', async () => {
    const rows = [
      { id: 1, updated_at: second(0) },
      { id: 2, updated_at: second(1) },
      { id: 3, updated_at: second(1) },
      { id: 4, updated_at: second(2) },
    ];
    const { fetch } = list(rows);
    const out = await collect(orderedWalk({ fetch, sinceParam: 'updated_since', from: { updatedAt: second(1), ids: ['2'] }, what: 'ticket' }));
    expect(out.map((r) => r.position.id)).toEqual(['3', '4']);
  });

  it('delivers a record updated mid-walk and every record shifted by it', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i + 1, updated_at: second(Math.floor(i / 2)) }));
    let updated = false;
    const { fetch } = list(rows, (query) => {
      if (!updated && query.updated_since !== from.updatedAt) {
        updated = true;
        rows[0]!.updated_at = second(10_000); // read on page 1, now jumps to the end
      }
    });
    const out = await collect(orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket' }));
    const ids = new Set(out.map((r) => r.position.id));
    expect(ids.size).toBe(500);
    expect(out.filter((r) => r.position.id === '1').map((r) => r.position.updatedAt)).toEqual([second(0), second(10_000)]);
  });

  it('catches records shifted inside a same-second walk by a concurrent update (verification pass)', async () => {
    const rows = Array.from({ length: 350 }, (_, i) => ({ id: i + 1, updated_at: second(0) }));
    rows.push({ id: 999, updated_at: second(1) });
    let moved = false;
    const { fetch } = list(rows, (query) => {
      if (!moved && query.page === 2) {
        // A record from page 1 is edited: it leaves this second and every later one shifts up a slot.
        moved = true;
        const firstOnPage1 = [...rows].filter((r) => r.updated_at === second(0)).sort((a, b) => tieKey(a.id) - tieKey(b.id))[0]!;
        firstOnPage1.updated_at = second(2);
      }
    });
    const out = await collect(orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket' }));
    expect(new Set(out.map((r) => r.position.id)).size).toBe(351);
    // Order stays non-decreasing: nothing past the second is yielded before the second is confirmed.
    const seconds = out.map((r) => r.position.updatedAt);
    expect(seconds).toEqual([...seconds].sort());
  });

  it('stops with SOURCE_PAGE_LIMIT instead of asking for a page past the cap', async () => {
    const rows = Array.from({ length: 450 }, (_, i) => ({ id: i + 1, updated_at: second(0) }));
    const { fetch, pages } = list(rows);
    const walk = collect(orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket', maxPage: 3 }));
    await expect(walk).rejects.toMatchObject({ code: 'SOURCE_PAGE_LIMIT' });
    await walk.catch((e: unknown) => expect(e).toBeInstanceOf(SyncError));
    expect(Math.max(...pages.map((p) => Number(p.page)))).toBe(3);
  });
  it('stops with SOURCE_PAGE_LIMIT at a full last page within the second even when it links to no next page', async () => {
    // Whether Freshdesk links page 300 to a page 301 it refuses is not documented: without the link, a walk that
    // took it as the end would report success and never get past that second.
    const rows = Array.from({ length: 450 }, (_, i) => ({ id: i + 1, updated_at: second(0) }));
    rows.push({ id: 1000, updated_at: second(5) });
    const { fetch } = list(rows, undefined, 3);
    const walk = collect(orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket', maxPage: 3 }));
    await expect(walk).rejects.toMatchObject({ code: 'SOURCE_PAGE_LIMIT', message: expect.stringContaining('more than 300 tickets share the second') });
  });

  it('stops with SOURCE_PAGE_LIMIT when a second grows to a full last page while it is re-read', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({ id: i + 1, updated_at: second(0) }));
    let grown = false;
    const { fetch, pages } = list(
      rows,
      (query) => {
        // The first re-read of the second (its page 1 again, after page 3) finds 60 more records stamped with it.
        if (!grown && Number(query.page) === 1 && pages.length > 3) {
          grown = true;
          for (let i = 0; i < 60; i++) rows.push({ id: 5000 + i, updated_at: second(0) });
        }
      },
      3,
    );
    const walk = collect(orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket', maxPage: 3 }));
    await expect(walk).rejects.toMatchObject({ code: 'SOURCE_PAGE_LIMIT' });
    expect(grown).toBe(true);
  });

  it('reads a last page that is not full as the end of the second (no page limit)', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({ id: i + 1, updated_at: second(0) }));
    const { fetch } = list(rows);
    const out = await collect(orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket', maxPage: 3 }));
    expect(new Set(out.map((r) => r.position.id)).size).toBe(250);
  });

  /** 150 records in second(0) and one in second(5); each read of page 2 of second(0) comes after one more record
   * was stamped with that second (a bulk update still landing in it), sorting last, so every re-read finds it. */
  function growingSecond() {
    const rows = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, updated_at: second(0) }));
    rows.push({ id: 1000, updated_at: second(5) });
    let next = 2000;
    const lastInSecond = () => {
      const highest = Math.max(...rows.filter((r) => r.updated_at === second(0)).map((r) => tieKey(r.id)));
      while (tieKey(next) <= highest) next++;
      return next++;
    };
    const { fetch } = list(rows, (query) => {
      if (query.updated_since === second(0) && Number(query.page) === 2) rows.push({ id: lastInSecond(), updated_at: second(0) });
    });
    return { rows, fetch };
  }

  it('ends the walk at a second still being written that every re-read finds growing, so the cursor does not pass it', async () => {
    const { rows, fetch } = growingSecond();
    const told: Array<[string, boolean]> = [];
    const out = await collect(
      orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket', unsettledFrom: second(-300), onUnconfirmedSecond: (s, ends) => told.push([s, ends]) }),
    );
    expect(told).toEqual([[second(0), true]]);
    expect(out.length).toBeGreaterThanOrEqual(150);
    expect(out.every((r) => r.position.updatedAt === second(0))).toBe(true);
    // Once the second holds still, a walk from it delivers the rest, the later record included.
    const rest = await collect(orderedWalk({ fetch: list(rows).fetch, sinceParam: 'updated_since', from: { updatedAt: second(0), ids: out.map((r) => r.position.id) }, what: 'ticket' }));
    expect(new Set([...out, ...rest].map((r) => r.position.id))).toEqual(new Set(rows.map((r) => String(r.id))));
  });

  it('goes on past an older second the re-reads cannot confirm (it can gain no records), and says so', async () => {
    const { fetch } = growingSecond();
    const told: Array<[string, boolean]> = [];
    const out = await collect(
      orderedWalk({ fetch, sinceParam: 'updated_since', from, what: 'ticket', unsettledFrom: second(1), onUnconfirmedSecond: (s, ends) => told.push([s, ends]) }),
    );
    expect(told).toEqual([[second(0), false]]);
    expect(out.at(-1)?.position).toEqual({ id: '1000', updatedAt: second(5) });
  });
});

describe('mergeOrdered', () => {
  it('interleaves ordered walks by second', async () => {
    const a = list([{ id: 1, updated_at: second(0) }, { id: 3, updated_at: second(2) }]);
    const b = list([{ id: 2, updated_at: second(1) }, { id: 4, updated_at: second(3) }]);
    const out = await collect(
      mergeOrdered([
        orderedWalk({ fetch: a.fetch, sinceParam: 'updated_since', from, what: 'ticket' }),
        orderedWalk({ fetch: b.fetch, sinceParam: 'updated_since', from, what: 'ticket' }),
      ]),
    );
    expect(out.map((r) => r.position.id)).toEqual(['1', '2', '3', '4']);
  });
});

describe('ScanFilter', () => {
  it('delivers what is newer than the cursor and settles at the newest second seen', () => {
    const filter = new ScanFilter({ updatedAt: second(10), ids: ['1'] });
    const seen = [
      { id: '1', updatedAt: second(10) },
      { id: '2', updatedAt: second(10) },
      { id: '3', updatedAt: second(5) },
      { id: '4', updatedAt: second(20) },
    ].filter((p) => filter.accept(p));
    expect(seen.map((p) => p.id)).toEqual(['2', '4']);
    expect(filter.settledCursor(second(100))).toEqual({ updatedAt: second(20), ids: ['4'] });
  });

  it('never settles past the scan start (records updated during the scan are read again)', () => {
    const filter = new ScanFilter(undefined);
    filter.accept({ id: '1', updatedAt: second(200) });
    expect(filter.settledCursor(second(100))).toEqual({ updatedAt: second(100), ids: [] });
    expect(new ScanFilter(undefined).settledCursor(second(100))).toBeUndefined();
  });
});

describe('nextOverlappingRead', () => {
  it('re-reads at least the overlap, goes past the last row, and gets nearly a full page further each time', () => {
    let least = Infinity;
    for (let lastRow = 0; lastRow < 200_000; lastRow += lastRow < 2_000 ? 1 : 97) {
      const read = nextOverlappingRead(lastRow);
      expect(read.perPage).toBeLessThanOrEqual(100);
      expect(read.firstRow % read.perPage).toBe(0);
      expect(read.page).toBe(read.firstRow / read.perPage + 1);
      expect(read.firstRow).toBeLessThanOrEqual(Math.max(0, lastRow - scanOverlapRows + 1));
      expect(read.firstRow + read.perPage - 1).toBeGreaterThan(lastRow);
      if (lastRow >= 99) least = Math.min(least, read.firstRow + read.perPage - 1 - lastRow);
    }
    expect(least).toBeGreaterThanOrEqual(50);
    // A scan of 100,000 rows: about a fifth more reads than plain pages of 100.
    let reads = 1;
    for (let last = 99; last < 99_999; reads++) {
      const read = nextOverlappingRead(last);
      last = read.firstRow + read.perPage - 1;
    }
    expect(reads).toBeLessThanOrEqual(1_250);
  });
});

describe('readStart', () => {
  const cursor = { updatedAt: '2024-05-01T10:00:00Z', ids: ['7', '8'] };
  it('starts lookback seconds behind the cursor, without boundary ids, never before startDate', () => {
    expect(readStart(cursor, undefined, 300)).toEqual({ updatedAt: '2024-05-01T09:55:00Z', ids: [] });
    expect(readStart(cursor, '2024-05-01T09:58:00Z', 300)).toEqual({ updatedAt: '2024-05-01T09:58:00Z', ids: [] });
  });
  it('with lookback 0 starts at the cursor and keeps its boundary ids; without a cursor at startDate or the beginning', () => {
    expect(readStart(cursor, undefined, 0)).toEqual({ updatedAt: '2024-05-01T10:00:00Z', ids: ['7', '8'] });
    expect(readStart({}, '2024-01-01T00:00:00+02:00', 300)).toEqual({ updatedAt: '2023-12-31T22:00:00Z', ids: [] });
    expect(readStart({}, undefined, 300)).toEqual({ updatedAt: '2000-01-01T00:00:00Z', ids: [] });
  });
});

describe('pageScan', () => {
  /** A list answering page/per_page over `rows`, optionally changed before each read. */
  const listOf = (rows: number[], beforeRead?: (read: number) => void, shortPages = false): FetchPage => {
    let reads = 0;
    return async (query) => {
      reads++;
      beforeRead?.(reads);
      const perPage = Number(query.per_page);
      const start = (Number(query.page) - 1) * perPage;
      const items = rows.slice(start, start + (shortPages && reads > 1 ? 3 : perPage)).map((id) => ({ id }));
      return { items, hasNext: rows.length > start + perPage };
    };
  };
  const collect = async (fetch: FetchPage) => {
    const seen: number[] = [];
    for await (const page of pageScan({ fetch, what: 'companies' })) seen.push(...page.map((row) => (row as { id: number }).id));
    return seen;
  };

  it('reads every row once when the list holds still, and bridges a delete on a page already read', async () => {
    const rows = Array.from({ length: 450 }, (_, i) => i + 1);
    expect(await collect(listOf([...rows]))).toEqual(rows);
    const shifting = [...rows];
    const seen = await collect(listOf(shifting, (read) => void (read > 1 && shifting.splice(read, 1))));
    expect(new Set(seen).size).toBe(seen.length);
    expect(shifting.filter((id) => !seen.includes(id))).toEqual([]);
  });

  it('ends with SOURCE_LIST_SHIFTING instead of looping when reads stop making progress', async () => {
    const rows = Array.from({ length: 450 }, (_, i) => i + 1);
    await expect(collect(listOf(rows, undefined, true))).rejects.toMatchObject({ code: 'SOURCE_LIST_SHIFTING' });
  });
});
