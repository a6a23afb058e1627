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
  /**
   * Seconds from this one on may still gain records (within the lookback of now): such a second that the re-reads
   * cannot confirm complete ends the walk, so nothing after it is read before it settles. An older second cannot
   * gain records (only lose them to later seconds, where the walk finds them), so the walk goes on after it.
   * Default: every second counts as settled.
   */
  unsettledFrom?: string;
  /** Told of a second the re-reads could not confirm complete (for a warning). */
  onUnconfirmedSecond?: (second: string, walkEnds: boolean) => void;
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
  /** Rows of the first page of the second being paged (the page size the fetch really used). */
  let pageRows = 0;
  const pageLimit = (second: string) =>
    new SyncError(
      'SOURCE_PAGE_LIMIT',
      `more than ${maxPage * (pageRows || perPage)} ${options.what}s share the second ${second}; Freshdesk serves at most ${maxPage} pages per query`,
    );
  const fetchAt = async (second: string, pageNumber: number): Promise<SourcePage> => {
    if (pageNumber > maxPage) throw pageLimit(second);
    const answer = await options.fetch({ [options.sinceParam]: second, page: pageNumber, per_page: perPage });
    const lastItem = answer.items.at(-1);
    if (pageNumber === 1) pageRows = answer.items.length;
    // The last page a query may reach, full and still within the second (in the walk or a re-read of it): whether
    // more follow is unknowable (the API need not link to a page it refuses), so it is the limit, as page maxPage + 1.
    else if (pageNumber === maxPage && answer.items.length >= pageRows && lastItem !== undefined && positionOf(lastItem, options.what).updatedAt <= second) {
      throw pageLimit(second);
    }
    return answer;
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
    if (walkedWithinSecond && !(yield* verifySecond(since, seen, fetchAt, options.what))) {
      // Not confirmed complete: a second still being written ends the walk there (nothing later is yielded, so the
      // cursor stays in it and the next run reads it again); an older one is left as read, with a warning.
      const walkEnds = options.unsettledFrom !== undefined && since >= options.unsettledFrom;
      options.onUnconfirmedSecond?.(since, walkEnds);
      if (walkEnds) return;
    }
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

/**
 * Re-reads the pages of one second and yields its records not yet seen, until a pass adds nothing: returns true.
 * False when the last of maxSecondVerificationPasses still found new ones (the second is still being written, or
 * its rows still shift; see OrderedWalkOptions.unsettledFrom for what the walk does then).
 */
async function* verifySecond(
  second: string,
  seen: CursorTracker,
  fetchAt: (second: string, page: number) => Promise<SourcePage>,
  what: string,
): AsyncGenerator<RawRecord, boolean> {
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
    if (found === 0) return true;
  }
  return false;
}

export interface PageScanOptions {
  fetch: FetchPage;
  /** Extra parameters, e.g. `_updated_since`. */
  query?: Record<string, string | number>;
  /** For messages: `companies`, `contacts` … */
  what?: string;
}

/** Rows every read of a scan shares with the read before it: up to this many deletions in between are bridged. */
export const scanOverlapRows = 5;
/** Scans restarted from page 1 when the list shifted more than the overlap, before the stream fails (cursor kept). */
export const maxScanRestarts = 3;

export interface OverlappingRead {
  page: number;
  perPage: number;
  /** The first row (0-based) this read returns, were the list unchanged. */
  firstRow: number;
}

/**
 * The read after row `lastRow` (0-based) that re-reads at least `overlap` rows already read and reaches
 * furthest. `page`/`per_page` address rows [k·p, (k+1)·p) only, so the page size varies a little (a size
 * of p ≤ max whose page starts just before the overlap); the progress is close to a plain page's.
 */
export function nextOverlappingRead(lastRow: number, overlap: number = scanOverlapRows, maxPerPage: number = perPage): OverlappingRead {
  const latestFirstRow = Math.max(0, lastRow - overlap + 1);
  let best: OverlappingRead = { page: 1, perPage: maxPerPage, firstRow: 0 };
  for (let size = maxPerPage; size > overlap; size--) {
    const firstRow = Math.floor(latestFirstRow / size) * size;
    if (firstRow + size > best.firstRow + best.perPage) best = { page: firstRow / size + 1, perPage: size, firstRow };
  }
  return best;
}

/**
 * Every row of a list without a usable order (contacts newest-created first; companies, agents, groups by id),
 * as pages of rows not yet yielded. A delete or merge on a page already read shifts every later row up by one,
 * and page-number paging would skip the row pushed onto the read page. So each read overlaps the previous one
 * (nextOverlappingRead) and continues after the last row both share: rows that moved up onto read pages are
 * read, rows that moved down are not yielded twice. When no row is shared (more rows vanished between two
 * reads than the overlap bridges), the scan starts over from page 1, re-yielding; after maxScanRestarts it
 * fails with SOURCE_LIST_SHIFTING and the stream keeps its cursor, so nothing is lost.
 */
export async function* pageScan(options: PageScanOptions): AsyncGenerator<unknown[]> {
  for (let restart = 0; ; restart++) {
    if ((yield* scanOnce(options)) === 'complete') return;
    if (restart >= maxScanRestarts) {
      throw new SyncError(
        'SOURCE_LIST_SHIFTING',
        `the ${options.what ?? 'list'} kept changing under the scan (rows vanished faster than ${scanOverlapRows} between two reads, ${maxScanRestarts + 1} scans); the cursor stays, the next run reads it again`,
      );
    }
  }
}

async function* scanOnce(options: PageScanOptions): AsyncGenerator<unknown[], 'complete' | 'shifted'> {
  const first = await options.fetch({ ...options.query, page: 1, per_page: perPage });
  yield first.items;
  if (!first.hasNext || first.items.length === 0) return 'complete';
  let previous = new Set(first.items.map((raw) => rowId(raw, options.what)));
  let lastRow = first.items.length - 1;
  for (;;) {
    const read = nextOverlappingRead(lastRow);
    const { items, hasNext } = await options.fetch({ ...options.query, page: read.page, per_page: read.perPage });
    const ids = items.map((raw) => rowId(raw, options.what));
    // The last row this read shares with the previous one: the rows after it come next in the list.
    let shared = ids.length - 1;
    while (shared >= 0 && !previous.has(ids[shared]!)) shared--;
    if (shared < 0) return 'shifted';
    const fresh = items.slice(shared + 1);
    if (fresh.length > 0) yield fresh;
    if (!hasNext) return 'complete';
    // A read that ends at or before the last row though more follow (a short page): start over, bounded.
    if (read.firstRow + items.length - 1 <= lastRow) return 'shifted';
    previous = new Set(ids);
    lastRow = read.firstRow + items.length - 1;
  }
}

function rowId(raw: unknown, what: string | undefined): string {
  const id = (raw as { id?: unknown } | null)?.id;
  if (typeof id !== 'number' && typeof id !== 'string') throw new SyncError('SOURCE_BAD_RESPONSE', `a ${what ?? 'record'} without id came back from Freshdesk`);
  return String(id);
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
