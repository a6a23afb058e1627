// Cursors (docs/sync-job.md "Cursor rules"): the high-water second of delivered records plus the ids
// delivered at exactly that second. Forward-only; boundary ids de-duplicate re-read records, nothing else is skipped.
import type { Cursor } from '../contract.js';
import type { CursorPosition } from './record.js';
import { toSecondIso } from './timestamps.js';

/** A mutable cursor with a Set of boundary ids, for O(1) de-duplication of large same-second runs. */
export class CursorTracker {
  private second: string | undefined;
  private ids: Set<string>;

  constructor(cursor: Cursor = {}) {
    const normalized = normalizeCursor(cursor);
    this.second = normalized.updatedAt;
    this.ids = new Set(normalized.ids ?? []);
  }

  get updatedAt(): string | undefined {
    return this.second;
  }

  /** True when the position is at or behind the cursor: older than its second, or one of its boundary ids. */
  has(position: CursorPosition): boolean {
    if (this.second === undefined) return false;
    if (position.updatedAt < this.second) return true;
    return position.updatedAt === this.second && this.ids.has(position.id);
  }

  /** Moves over one delivered position; a position behind the cursor changes nothing (forward-only). */
  advance(position: CursorPosition): void {
    if (this.second === undefined || position.updatedAt > this.second) {
      this.second = position.updatedAt;
      this.ids = new Set([position.id]);
    } else if (position.updatedAt === this.second) {
      this.ids.add(position.id);
    }
  }

  /** Merges a whole cursor forward: a later second replaces this one, the same second unions the ids. */
  settle(cursor: Cursor): void {
    const other = normalizeCursor(cursor);
    if (other.updatedAt === undefined) return;
    if (this.second === undefined || other.updatedAt > this.second) {
      this.second = other.updatedAt;
      this.ids = new Set(other.ids ?? []);
    } else if (other.updatedAt === this.second) {
      for (const id of other.ids ?? []) this.ids.add(id);
    }
  }

  snapshot(): Cursor {
    if (this.second === undefined) return {};
    return { updatedAt: this.second, ids: [...this.ids] };
  }

  clone(): CursorTracker {
    return new CursorTracker(this.snapshot());
  }
}

/** A cursor with its second in canonical `YYYY-MM-DDTHH:MM:SSZ` form and duplicate ids removed. */
export function normalizeCursor(cursor: Cursor): Cursor {
  if (cursor.updatedAt === undefined) return {};
  return { updatedAt: toSecondIso(cursor.updatedAt), ids: [...new Set(cursor.ids ?? [])] };
}

/** The later of two cursors (same second: ids united). The operator's "never move back" rule, as a function. */
export function mergeCursorsForward(a: Cursor, b: Cursor): Cursor {
  const tracker = new CursorTracker(a);
  tracker.settle(b);
  return tracker.snapshot();
}

/** Compares cursors by position: negative when `a` is behind `b`. Ids only break ties by count. */
export function compareCursors(a: Cursor, b: Cursor): number {
  const sa = normalizeCursor(a).updatedAt ?? '';
  const sb = normalizeCursor(b).updatedAt ?? '';
  if (sa !== sb) return sa < sb ? -1 : 1;
  return (a.ids?.length ?? 0) - (b.ids?.length ?? 0);
}
