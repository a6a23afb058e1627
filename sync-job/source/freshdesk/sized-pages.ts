// A page scan that keeps each response under the requester's byte cap: when a page is too large (one ticket
// with dozens of huge conversation bodies) it asks again for smaller pages from the same offset.
import { SyncError } from '../../core/errors.js';
import type { FetchPage } from './walks.js';

/** per_page steps; each divides the one before, so an offset reached at one size is a page boundary at the next. */
export const shrinkingPageSizes = [100, 50, 25, 5, 1] as const;

/**
 * Every page of a list, like pageScan, but a SOURCE_RESPONSE_TOO_LARGE page is fetched again at the next smaller
 * per_page. A single record over the cap fails with that code and says what to do. `fromOffset`: rows already read.
 */
export async function* sizedPageScan(fetch: FetchPage, what: string, fromOffset = 0): AsyncGenerator<unknown[]> {
  let size = 0;
  let offset = fromOffset;
  for (;;) {
    const perPage = shrinkingPageSizes[size]!;
    let page;
    try {
      page = await fetch({ page: Math.floor(offset / perPage) + 1, per_page: perPage });
    } catch (error) {
      if (!(error instanceof SyncError && error.code === 'SOURCE_RESPONSE_TOO_LARGE')) throw error;
      if (size < shrinkingPageSizes.length - 1) {
        size++;
        continue;
      }
      throw new SyncError(
        'SOURCE_RESPONSE_TOO_LARGE',
        `${what} number ${offset + 1} alone is too large to hold (${error.message}); raise the sync container's memory limit (spec.job.resources.limits.memory): the caps grow with it`,
      );
    }
    // A short page with a next link (rows deleted meanwhile) leaves the offset mid-page: skip what was read.
    const items = page.items.slice(offset % perPage);
    yield items;
    offset += items.length;
    if (!page.hasNext || items.length === 0) return;
  }
}

/**
 * For the ordered walks (tickets): a first page (`page: 1`, which every re-query from a newer second is) that is
 * too large is asked for again with the next smaller per_page, and that size then stays for the rest of the walk,
 * so pages within one second keep consistent boundaries. A page > 1 that is too large fails as it is.
 */
export function shrinkingFirstPages(fetch: FetchPage): FetchPage {
  let size: number | undefined;
  return async (query) => {
    for (;;) {
      const perPage = size === undefined ? query.per_page : shrinkingPageSizes[size]!;
      try {
        return await fetch(perPage === undefined ? query : { ...query, per_page: perPage });
      } catch (error) {
        const tooLarge = error instanceof SyncError && error.code === 'SOURCE_RESPONSE_TOO_LARGE';
        const next = (size ?? shrinkingPageSizes.findIndex((s) => s <= Number(perPage ?? shrinkingPageSizes[0]))) + 1;
        if (!tooLarge || Number(query.page ?? 1) !== 1 || next >= shrinkingPageSizes.length) throw error;
        size = next;
      }
    }
  };
}
