// The Freshdesk streams as declarations (path, filter parameter, how to read), and the one reader that
// turns a declaration plus the acknowledged cursor into records and cursor progress.
import type { Logger } from 'pino';
import { defaultLookbackSeconds, type Cursor, type StreamName } from '../../contract.js';
import type { Clock } from '../../core/clock.js';
import { SyncError } from '../../core/errors.js';
import { CursorTracker } from '../../core/cursor.js';
import type { CursorPosition, StreamItem, SyncRecord } from '../../core/record.js';
import { secondIsoToMs, toSecondIso } from '../../core/timestamps.js';
import type { FreshdeskRequester, SourcePage } from './requester.js';
import { shrinkingFirstPages, sizedPageScan } from './sized-pages.js';
import { beginningOfTime, mergeOrdered, orderedWalk, pageScan, perPage, positionOf, type FetchPage } from './walks.js';

/** A list query: path plus fixed parameters. */
interface ListQuery {
  path: string;
  params?: Record<string, string>;
}

const ticketsByUpdate: Record<string, string> = { order_by: 'updated_at', order_type: 'asc' };
/**
 * What a ticket is: without `include=description` the list leaves out the first message, without `stats` the
 * response and resolution times (Airbyte and Singer include both). Each include costs Freshdesk credits.
 */
const ticketIncludes: Record<string, string> = { include: 'description,stats' };

export type StreamDeclaration =
  /**
   * Sorted by updated_at ascending on the server: re-query walks, checkpoint per record. `wholeEachRun`: read
   * from the beginning (or startDate) on every run, not from the cursor — for lists whose entries may join
   * without their updated_at moving (see deleted_tickets).
   */
  | { kind: 'ordered'; queries: Array<ListQuery & { sinceParam: string }>; op: SyncRecord['op']; what: string; wholeEachRun?: true }
  /**
   * Children of the parents an ordered walk finds; the cursor follows the parents. Every child of a changed
   * parent is delivered: a reply can carry an older timestamp than its ticket's bump.
   */
  | { kind: 'children'; parent: ListQuery & { sinceParam: string }; childPath: (parentId: string) => string; what: string }
  /**
   * No usable order: read every page, filter on updated_at client-side, settle the cursor at the end.
   * `reference`: reference data (agents, groups, …), delivered whole on every run whatever cursor and startDate
   * say, as a snapshot the sink can replace (a deleted agent disappears downstream too). A record with
   * `deleted: true` (a soft-deleted contact) is delivered as a delete, whatever its updated_at.
   */
  | { kind: 'scan'; pages: ScanPages; what: string; reference?: true };

/** How a scan stream reads its pages: `fetch` pages with page/per_page, `fetchUnpaged` lists that may not paginate. */
type ScanPages = (
  fetch: (path: string, query?: Record<string, string | number>) => AsyncGenerator<unknown[]>,
  since: string | undefined,
  fetchUnpaged: (path: string) => AsyncGenerator<unknown[]>,
) => AsyncGenerator<unknown[]>;

/**
 * Satisfaction ratings can only be filtered by creation (`created_since`): a rating edited later keeps its
 * created_at, so each run asks for ratings created up to this long before the cursor and keeps those updated
 * since. Edits to ratings older than that are not seen (Freshdesk offers nothing to find them).
 */
export const ratingEditWindowSeconds = 7 * 24 * 3600;

/** A reference list read whole, from a path that may or may not paginate. */
const referenceList = (path: string, what: string): StreamDeclaration => ({ kind: 'scan', pages: (_fetch, _since, fetchUnpaged) => fetchUnpaged(path), what, reference: true });

export const freshdeskStreams: Record<StreamName, StreamDeclaration> = {
  tickets: {
    kind: 'ordered',
    queries: [{ path: '/tickets', sinceParam: 'updated_since', params: { ...ticketsByUpdate, ...ticketIncludes } }],
    op: 'upsert',
    what: 'ticket',
  },
  deleted_tickets: {
    kind: 'ordered',
    queries: [
      { path: '/tickets', sinceParam: 'updated_since', params: { filter: 'deleted', ...ticketsByUpdate } },
      { path: '/tickets', sinceParam: 'updated_since', params: { filter: 'spam', ...ticketsByUpdate } },
    ],
    op: 'delete',
    what: 'deleted ticket',
    // Freshdesk does not document whether deleting or marking spam stamps a ticket's updated_at. If it does
    // not, a ticket last edited long before the cursor joins these lists behind it, so they are read whole on
    // every run (they hold only the trash and spam folders); deletes are idempotent and an unchanged re-read
    // batch is a replay of its Idempotency-Key for the sink.
    wholeEachRun: true,
  },
  conversations: {
    kind: 'children',
    parent: { path: '/tickets', sinceParam: 'updated_since', params: ticketsByUpdate },
    childPath: (ticketId) => `/tickets/${encodeURIComponent(ticketId)}/conversations`,
    what: 'conversation',
  },
  // Contacts come newest-created first, not by updated_at: `_updated_since` narrows the scan, order does not help.
  // Soft-deleted contacts show only under state=deleted (with `deleted: true`); whether deleting stamps updated_at
  // is not documented, so that list is read whole on every run and each of them delivered as a delete.
  contacts: {
    kind: 'scan',
    pages: async function* (fetch, since) {
      yield* fetch('/contacts', since ? { _updated_since: since } : {});
      // Every row of this list is a deleted contact, whether or not it says `deleted: true`.
      for await (const page of fetch('/contacts', { state: 'deleted' })) yield page.map((row) => ({ ...(row as Record<string, unknown>), deleted: true }));
    },
    what: 'contact',
  },
  companies: { kind: 'scan', pages: (fetch) => fetch('/companies'), what: 'company', reference: true },
  agents: { kind: 'scan', pages: (fetch) => fetch('/agents'), what: 'agent', reference: true },
  groups: { kind: 'scan', pages: (fetch) => fetch('/groups'), what: 'group', reference: true },
  articles: { kind: 'scan', pages: articlePages, what: 'article', reference: true },
  satisfaction_ratings: {
    kind: 'scan',
    // Always with created_since: whether the list without it reaches back further than some recent window is not
    // documented (the ticket list's reaches 30 days).
    pages: (fetch, since) =>
      fetch('/surveys/satisfaction_ratings', { created_since: since ? toSecondIso(secondIsoToMs(since) - ratingEditWindowSeconds * 1000) : beginningOfTime }),
    what: 'satisfaction rating',
  },
  time_entries: { kind: 'scan', pages: (fetch) => fetch('/time_entries'), what: 'time entry' },
  ticket_fields: referenceList('/ticket_fields', 'ticket field'),
  solution_categories: referenceList('/solutions/categories', 'solution category'),
  solution_folders: { kind: 'scan', pages: folderPages, what: 'solution folder', reference: true },
  products: referenceList('/products', 'product'),
  roles: referenceList('/roles', 'role'),
  business_hours: referenceList('/business_hours', 'business hours'),
  sla_policies: referenceList('/sla_policies', 'SLA policy'),
  surveys: referenceList('/surveys', 'survey'),
};

/** Streams delivered as snapshots the sink can replace (see the declaration's `reference`). */
export function isSnapshotStream(name: StreamName): boolean {
  const declaration = freshdeskStreams[name];
  return declaration.kind === 'scan' && declaration.reference === true;
}

/** Knowledge base folders: categories → folders (and their subfolders, at any depth), every page of each. */
async function* folderPages(fetch: (path: string) => AsyncGenerator<unknown[]>): AsyncGenerator<unknown[]> {
  for await (const categories of fetch('/solutions/categories')) {
    for (const category of categories) yield* withSubfolders(fetch, fetch(`/solutions/categories/${idOf(category, 'solution category')}/folders`));
  }
}

/** Knowledge base: categories → folders (and their subfolders) → articles, every page of each. */
async function* articlePages(fetch: (path: string) => AsyncGenerator<unknown[]>): AsyncGenerator<unknown[]> {
  for await (const folders of folderPages(fetch)) {
    for (const folder of folders) yield* fetch(`/solutions/folders/${idOf(folder, 'solution folder')}/articles`);
  }
}

/**
 * Pages of folders, each followed by its subfolders' pages (depth first). Only a folder that says it has
 * subfolders (`sub_folders_count` > 0) is asked for them, so accounts without nested folders pay nothing.
 */
async function* withSubfolders(
  fetch: (path: string) => AsyncGenerator<unknown[]>,
  folders: AsyncGenerator<unknown[]>,
  visited = new Set<string>(),
): AsyncGenerator<unknown[]> {
  for await (const page of folders) {
    yield page;
    for (const folder of page) {
      const id = idOf(folder, 'solution folder');
      const nested = (folder as { sub_folders_count?: unknown } | null)?.sub_folders_count;
      // A folder is descended into once, whatever the answers say (no loop on a folder listed under itself).
      if (typeof nested !== 'number' || nested <= 0 || visited.has(id)) continue;
      visited.add(id);
      yield* withSubfolders(fetch, fetch(`/solutions/folders/${id}/subfolders`), visited);
    }
  }
}

function idOf(raw: unknown, what: string): string {
  const id = (raw as { id?: unknown } | null)?.id;
  if (typeof id !== 'number' && typeof id !== 'string') throw new SyncError('SOURCE_BAD_RESPONSE', `a ${what} without id came back from Freshdesk`);
  return encodeURIComponent(String(id));
}

/**
 * A full scan cannot checkpoint mid-way (records come in no useful order), and a record updated during the
 * scan may have been read before its update. So its cursor settles at the end, no later than the scan's start
 * minus this margin for clock skew between us and Freshdesk; records from there on are read again next run.
 */
export const scanClockSkewMarginSeconds = 300;

export interface StreamReadContext {
  requester: FreshdeskRequester;
  clock: Clock;
  signal?: AbortSignal;
  /** Where time-based streams without a cursor start (config source.startDate); reference streams ignore it. */
  startDate?: string;
  /** Seconds behind the cursor a stream is re-read from (config source.lookbackSeconds); default defaultLookbackSeconds. */
  lookbackSeconds?: number;
  /** Parents whose children's first page is fetched at once (default childFetchConcurrency). */
  childConcurrency?: number;
  /** The byte cap of one response: the prefetched first pages share it. */
  maxResponseBytes?: number;
  logger?: Logger;
}

/**
 * Where reading starts. Without a cursor: startDate, else the beginning of time. With one: `lookbackSeconds`
 * behind its second and with no boundary ids, because a record delivered at the cursor's second may since have
 * been rewritten within that second, and a write stamped before the cursor may have become visible only after
 * it (at-least-once: re-delivering the window is allowed, skipping is not). A lookback of 0 trusts the cursor
 * exactly: its second re-read, its boundary ids de-duplicated. Never before startDate.
 */
export function readStart(cursor: Cursor, startDate: string | undefined, lookbackSeconds: number): { updatedAt: string; ids: string[] } {
  const floor = startDate ? toSecondIso(startDate) : beginningOfTime;
  if (!cursor.updatedAt) return { updatedAt: floor, ids: [] };
  const second = toSecondIso(cursor.updatedAt);
  if (lookbackSeconds <= 0) return { updatedAt: second, ids: cursor.ids ?? [] };
  const lookedBack = toSecondIso(secondIsoToMs(second) - lookbackSeconds * 1000);
  return { updatedAt: lookedBack > floor ? lookedBack : floor, ids: [] };
}

/** Records and cursor progress of one stream, read from `lookback` behind the acknowledged cursor on. */
export async function* readStream(declaration: StreamDeclaration, cursor: Cursor, context: StreamReadContext): AsyncGenerator<StreamItem> {
  const fetchPage = (path: string): FetchPage => (query) => context.requester.getPage(path, query, context.signal, context.logger);
  // startDate limits how far back history goes; reference data is delivered whole on the first sync.
  const startDate = declaration.kind === 'scan' && declaration.reference ? undefined : context.startDate;
  const wholeEachRun = declaration.kind === 'ordered' && declaration.wholeEachRun === true;
  const lookbackSeconds = context.lookbackSeconds ?? defaultLookbackSeconds;
  const from = readStart(wholeEachRun ? {} : cursor, startDate, lookbackSeconds);
  // What the cursor already covered when the run started: records there are counted as re-delivered.
  const covered = new CursorTracker(cursor);
  // An ordered list read from `from`; seconds within the lookback of now may still gain records (OrderedWalkOptions.unsettledFrom).
  const unsettledFrom = toSecondIso(context.clock.nowMs() - lookbackSeconds * 1000);
  const walk = (query: ListQuery & { sinceParam: string }, what: string) =>
    orderedWalk({
      fetch: shrinkingFirstPages(withParams(fetchPage(query.path), query.params)),
      sinceParam: query.sinceParam,
      from,
      what,
      unsettledFrom,
      onUnconfirmedSecond: (second, walkEnds) =>
        context.logger?.warn(
          { second, walkEnds },
          walkEnds
            ? `the ${what}s of ${second} were still changing after every re-read: this run stops there, the next one reads on from it`
            : `the ${what}s of ${second} were still changing after every re-read: going on; a record that moved within that second meanwhile may come only with its next change`,
        ),
    });
  switch (declaration.kind) {
    case 'ordered': {
      const walks = declaration.queries.map((query) => walk(query, declaration.what));
      const records = walks.length === 1 ? walks[0]! : mergeOrdered(walks);
      for await (const { raw, position } of records) {
        const record: SyncRecord = { id: position.id, op: declaration.op, updatedAt: position.updatedAt, data: raw };
        yield { record, advance: position, ...redelivery(covered, position) };
      }
      return;
    }
    case 'children': {
      const parents = walk(declaration.parent, 'ticket');
      const concurrency = Math.max(1, context.childConcurrency ?? childFetchConcurrency);
      const firstPageBytes = context.maxResponseBytes === undefined ? undefined : Math.floor(context.maxResponseBytes / concurrency);
      const prefetch = (position: CursorPosition) =>
        context.requester
          .getPage(declaration.childPath(position.id), { page: 1, per_page: perPage }, context.signal, context.logger, firstPageBytes)
          .then((page): SourcePage | { error: unknown } => page, (error: unknown) => ({ error }));
      for await (const { position, first } of readAhead(parents, concurrency, (p) => ({ position: p.position, first: prefetch(p.position) }))) {
        const again = redelivery(covered, position);
        try {
          for await (const page of childPages(await first, fetchPage(declaration.childPath(position.id)), declaration.what)) {
            for (const raw of page) yield { record: toUpsert(raw, declaration.what), ...again };
          }
        } catch (error) {
          // One parent's children refused — a ticket deleted, marked spam or restricted since it was listed
          // (404/403) — skips that parent, never the whole stream.
          if (!(error instanceof SyncError && (error.code === 'SOURCE_NOT_FOUND' || error.code === 'SOURCE_FORBIDDEN'))) throw error;
          context.logger?.warn({ parent: position.id, code: error.code }, `skipping the ${declaration.what}s of one parent`);
          yield { skipped: { id: position.id, reason: error.code === 'SOURCE_FORBIDDEN' ? '403' : '404' } };
        }
        yield { advance: position };
      }
      return;
    }
    case 'scan': {
      const scanStartSecond = toSecondIso(context.clock.nowMs() - scanClockSkewMarginSeconds * 1000);
      const fetchAll = (path: string, query?: Record<string, string | number>) => pageScan({ fetch: fetchPage(path), query, what: path });
      // A snapshot holds the whole set: no lower bound.
      const lowerBound = !declaration.reference && (cursor.updatedAt || startDate) ? from : undefined;
      const filter = new ScanFilter(lowerBound);
      for await (const page of declaration.pages(fetchAll, lowerBound?.updatedAt, (path) => unpagedScan(fetchPage(path), path))) {
        for (const raw of page) {
          const position = positionOf(raw, declaration.what);
          // Soft-deleted records come from a list read whole on every run: always delivered, never moving the cursor.
          const deleted = (raw as { deleted?: unknown }).deleted === true;
          if (deleted || filter.accept(position)) {
            yield { record: { id: position.id, op: deleted ? 'delete' : 'upsert', updatedAt: position.updatedAt, data: raw }, ...redelivery(covered, position) };
          }
        }
      }
      const settle = filter.settledCursor(scanStartSecond);
      if (settle) yield { settle };
      return;
    }
  }
}

/**
 * Several parents' conversations at once: this many parents ahead of the one being delivered have their first
 * page of children requested (most tickets have one page), within the rate budget. They are delivered in parent
 * order and each parent's cursor step follows its children, so the cursor moves as it would one at a time.
 */
export const childFetchConcurrency = 6;

/** Up to `ahead` items of `source` started (`start`) before the consumer takes the first; yielded in order. */
async function* readAhead<T, U>(source: AsyncGenerator<T>, ahead: number, start: (item: T) => U): AsyncGenerator<U> {
  const queue: U[] = [];
  let done = false;
  try {
    for (;;) {
      while (!done && queue.length < ahead) {
        const next = await source.next();
        if (next.done) done = true;
        else queue.push(start(next.value));
      }
      const head = queue.shift();
      if (head === undefined) return;
      yield head;
    }
  } finally {
    await source.return(undefined);
  }
}

/**
 * A parent's children from its prefetched first page on. A first page over its share of the byte cap is read
 * again at the full cap (and smaller pages) by sizedPageScan; other failures are the parent's failure.
 */
async function* childPages(first: SourcePage | { error: unknown }, fetch: FetchPage, what: string): AsyncGenerator<unknown[]> {
  if ('error' in first) {
    if (first.error instanceof SyncError && first.error.code === 'SOURCE_RESPONSE_TOO_LARGE') {
      yield* sizedPageScan(fetch, what);
      return;
    }
    throw first.error;
  }
  yield first.items;
  if (!first.hasNext || first.items.length === 0) return;
  yield* sizedPageScan(fetch, what, first.items.length);
}

/**
 * A list Freshdesk may or may not paginate (ticket fields, roles, …): the first request carries no paging
 * parameters (an unpaginated endpoint may refuse them). Only when a `link: rel="next"` says the list is paged
 * is it read again as a paged scan (from page 1, with the shift-safe overlapping reads of pageScan).
 */
async function* unpagedScan(fetch: FetchPage, what: string): AsyncGenerator<unknown[]> {
  const { items, hasNext } = await fetch({});
  if (!hasNext) {
    yield items;
    return;
  }
  yield* pageScan({ fetch, what });
}

function redelivery(covered: CursorTracker, position: CursorPosition): { redelivered?: true } {
  return covered.has(position) ? { redelivered: true } : {};
}

function withParams(fetch: FetchPage, params: Record<string, string> | undefined): FetchPage {
  return (query) => fetch({ ...params, ...query });
}

function toUpsert(raw: unknown, what: string): SyncRecord {
  const position = positionOf(raw, what);
  return { id: position.id, op: 'upsert', updatedAt: position.updatedAt, data: raw };
}

/**
 * The client-side filter of a full scan: skips what the cursor already covers and remembers the newest
 * second seen (with its ids), from which the cursor is settled once the scan is complete.
 */
export class ScanFilter {
  private readonly boundaryIds: Set<string>;
  private maxSecond: string | undefined;
  private idsAtMax = new Set<string>();

  /** `lowerBound`: the acknowledged cursor (or startDate); undefined reads everything. */
  constructor(private readonly lowerBound: { updatedAt: string; ids?: string[] } | undefined) {
    this.boundaryIds = new Set(lowerBound?.ids ?? []);
  }

  /** True when the record must be delivered: newer than the lower bound, or at it and not yet delivered. */
  accept(position: { id: string; updatedAt: string }): boolean {
    if (this.maxSecond === undefined || position.updatedAt > this.maxSecond) {
      this.maxSecond = position.updatedAt;
      this.idsAtMax = new Set([position.id]);
    } else if (position.updatedAt === this.maxSecond) {
      this.idsAtMax.add(position.id);
    }
    if (this.lowerBound === undefined) return true;
    if (position.updatedAt < this.lowerBound.updatedAt) return false;
    return !(position.updatedAt === this.lowerBound.updatedAt && this.boundaryIds.has(position.id));
  }

  /** The cursor a complete scan reached: its newest second, but never past `scanStartSecond` (see margin). */
  settledCursor(scanStartSecond: string): Cursor | undefined {
    if (this.maxSecond === undefined) return undefined;
    if (this.maxSecond < scanStartSecond) return { updatedAt: this.maxSecond, ids: [...this.idsAtMax] };
    return { updatedAt: scanStartSecond, ids: [] };
  }
}
