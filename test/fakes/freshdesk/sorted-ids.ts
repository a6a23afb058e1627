// A list of record ids kept sorted by (timestamp, tie hash): the fake's index for paging and
// `updated_since` lookups. Bulk appends sort lazily once; single moves are binary search + splice.

/**
 * Order of records sharing one second: a hash of the id, so it is stable between identical requests
 * but not by id (Freshdesk documents no tie order; a client must not rely on one).
 */
export function tieRank(id: number): number {
  let h = id | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class SortedIds {
  private readonly ids: number[] = [];
  private dirty = false;

  constructor(private readonly keyOf: (id: number) => number) {}

  get length(): number {
    return this.ids.length;
  }

  /** The sorted ids; callers must not mutate the array. */
  view(): readonly number[] {
    this.ensureSorted();
    return this.ids;
  }

  add(id: number): void {
    const last = this.ids[this.ids.length - 1];
    if (!this.dirty && last !== undefined && this.compare(last, id) > 0) this.dirty = true;
    this.ids.push(id);
  }

  /** Removes `id`; call it before the id's timestamp changes (the search uses the current key). */
  remove(id: number): void {
    let at: number;
    if (this.dirty) {
      at = this.ids.indexOf(id);
    } else {
      at = this.firstAtOrAfter((other) => this.compare(other, id) >= 0);
      if (this.ids[at] !== id) at = this.ids.indexOf(id);
    }
    if (at >= 0) this.ids.splice(at, 1);
  }

  /** Position of the first id whose timestamp is >= `epochSeconds`. */
  lowerBound(epochSeconds: number): number {
    this.ensureSorted();
    return this.firstAtOrAfter((other) => this.keyOf(other) >= epochSeconds);
  }

  private firstAtOrAfter(isAtOrAfter: (id: number) => boolean): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isAtOrAfter(this.ids[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private compare(a: number, b: number): number {
    return this.keyOf(a) - this.keyOf(b) || tieRank(a) - tieRank(b) || a - b;
  }

  private ensureSorted(): void {
    if (!this.dirty) return;
    this.ids.sort((a, b) => this.compare(a, b));
    this.dirty = false;
  }
}
