// The two ways to read a Freshdesk list (the page loops; streams only declare which one they use):
// an ordered walk that re-queries from the newest second instead of deep paging, and a full page scan.
import { SyncError } from '../../core/errors.js';
import { CursorTracker } from '../../core/cursor.js';
import type { CursorPosition } from '../../core/record.js';
import { tryToSecondIso } from '../../core/timestamps.js';
import type { SourcePage } from './requester.js';

export const perPage = 100;
/** Freshdesk refuses ticket pages beyond 300; a walk never asks for page 301. */
export const maxTicketPage = 300;
/** Extra passes over a second that spanned pages, to pick up records shifted by concurrent updates. */
export const maxSecondVerificationPasses = 3;
/** The oldest `updated_since` sent when a stream has neither cursor nor startDate (avoids the 30-day default). */
export const beginningOfTime = '2000-01-01T00:00:00Z';

export type FetchPage = (query: Record<string, string | number>) => Promise<SourcePage>;

export interface RawRecord {
  raw: Record<string, unknown>;
  position: CursorPosition;
}

/** The record's (second, id), or SOURCE_BAD_RESPONSE when Freshdesk sent something without them. */
export function positionOf(raw: unknown, what: string): CursorPosition {
  const record = raw as Record<string, unknown> | null;
  const id = record?.id;
  const second = tryToSecondIso(record?.updated_at);
  if ((typeof id !== 'number' && typeof id !== 'string') || second === undefined) {
    throw new SyncError('SOURCE_BAD_RESPONSE', `a ${what} without id or updated_at came back from Freshdesk`);
  }
  return { id: String(id), updatedAt: second };
}

export interface OrderedWalkOptions {
  fetch: FetchPage;
  /** The filter parameter: `updated_since`. */
  sinceParam: string;
  /** Where to start: the acknowledged cursor (its boundary ids are skipped). */
  from: { updatedAt: string; ids?: string[] };
  what: string;
  maxPage?: number;
}

/**
 * Records of a list sorted by updated_at ascending, each exactly once (boundary ids de-duplicated),
 * in non-decreasing second order. Every page is page 1 of a query from the newest second seen so far,
 * so a record updated mid-walk moves ahead of us rather than shifting unseen records behind us. Only when
 * a whole page shares one second does the walk page within that second (page 2, 3 … ≤ 300); such a
 * second is then re-read until a pass finds nothing new, because within one second a concurrent update
 * shifts positions just as deep paging does. Records past that second wait until it is confirmed.
 */
export async function* orderedWalk(options: OrderedWalkOptions): AsyncGenerator<RawRecord> {
  const maxPage = options.maxPage ?? maxTicketPage;
  const seen = new CursorTracker({ updatedAt: options.from.updatedAt, ids: options.from.ids ?? [] });
  let since = options.from.updatedAt;
  let page = 1;
  const fetchAt = (second: string, pageNumber: number) => {
    if (pageNumber > maxPage) {
      throw new SyncError(
        'SOURCE_PAGE_LIMIT',
        `more than ${maxPage * perPage} ${options.what}s share the second ${second}; Freshdesk serves at most ${maxPage} pages per query`,
      );
    }
    return options.fetch({ [options.sinceParam]: second, page: pageNumber, per_page: perPage });
  };

  for (;;) {
    const { items, hasNext } = await fetchAt(since, page);
    const positioned = items.map((raw) => ({ raw: raw as Record<string, unknown>, position: positionOf(raw, options.what) }));
    const last = positioned.at(-1);
    if (hasNext && last !== undefined && last.position.updatedAt <= since) {
      // The whole page is at `since`: walk on within that second.
      for (const record of positioned) if (!seen.has(record.position)) yield markSeen(seen, record);
      page++;
      continue;
    }
    const walkedWithinSecond = page > 1;
    const atSince = positioned.filter((r) => r.position.updatedAt <= since);
    const later = positioned.filter((r) => r.position.updatedAt > since);
    for (const record of atSince) if (!seen.has(record.position)) yield markSeen(seen, record);
    if (walkedWithinSecond) yield* verifySecond(since, seen, fetchAt, options.what);
    for (const record of later) if (!seen.has(record.position)) yield markSeen(seen, record);
    if (!hasNext || last === undefined) return;
    since = last.position.updatedAt;
    page = 1;
  }
}

function markSeen(seen: CursorTracker, record: RawRecord): RawRecord {
  seen.advance(record.position);
  return record;
}

/** Re-reads the pages of one second and yields its records not yet seen, until a pass adds nothing. */
async function* verifySecond(
  second: string,
  seen: CursorTracker,
  fetchAt: (second: string, page: number) => Promise<SourcePage>,
  what: string,
): AsyncGenerator<RawRecord> {
  for (let pass = 0; pass < maxSecondVerificationPasses; pass++) {
    let found = 0;
    for (let page = 1; ; page++) {
      const { items, hasNext } = await fetchAt(second, page);
      let pastSecond = false;
      for (const raw of items) {
        const record = { raw: raw as Record<string, unknown>, position: positionOf(raw, what) };
        if (record.position.updatedAt > second) {
          pastSecond = true;
          break;
        }
        if (!seen.has(record.position)) {
          found++;
          yield markSeen(seen, record);
        }
      }
      if (pastSecond || !hasNext) break;
    }
    if (found === 0) return;
  }
}

export interface PageScanOptions {
  fetch: FetchPage;
  /** Extra parameters, e.g. `_updated_since`. */
  query?: Record<string, string | number>;
}

/** Every page of a list, page 1, 2, 3 … while a next link exists (for lists without a page cap). */
export async function* pageScan(options: PageScanOptions): AsyncGenerator<unknown[]> {
  for (let page = 1; ; page++) {
    const { items, hasNext } = await options.fetch({ ...options.query, page, per_page: perPage });
    yield items;
    if (!hasNext || items.length === 0) return;
  }
}

/**
 * Two or more ordered walks as one, in non-decreasing second order (e.g. deleted + spam tickets under one
 * cursor). Each input is consumed one record at a time, so memory stays bounded.
 */
export async function* mergeOrdered(walks: AsyncGenerator<RawRecord>[]): AsyncGenerator<RawRecord> {
  const heads: Array<{ walk: AsyncGenerator<RawRecord>; next: RawRecord | undefined }> = [];
  try {
    for (const walk of walks) {
      const first = await walk.next();
      heads.push({ walk, next: first.done ? undefined : first.value });
    }
    for (;;) {
      let pick: (typeof heads)[number] | undefined;
      for (const head of heads) {
        if (head.next && (!pick?.next || head.next.position.updatedAt < pick.next.position.updatedAt)) pick = head;
      }
      if (!pick?.next) return;
      yield pick.next;
      const following = await pick.walk.next();
      pick.next = following.done ? undefined : following.value;
    }
  } finally {
    for (const walk of walks) await walk.return(undefined);
  }
}
