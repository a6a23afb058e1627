// Compact storage for one kind of Freshdesk record: ids are 1..n, timestamps and visibility live in
// flat arrays, explicit fields in a sparse map; full JSON objects are rendered only when served.

import { SortedIds } from './sorted-ids.js';

/**
 * Where a record shows up: the normal list, only behind `filter=deleted` / `filter=spam` (tickets; `state=deleted`
 * for contacts; nowhere for deleted companies, agents and groups), or nowhere yet (`pending`: written, but not
 * yet visible to list queries — late visibility).
 */
export type Visibility = 'visible' | 'deleted' | 'spam' | 'pending';
export type TimeField = 'created_at' | 'updated_at';

const visibilityCodes: Record<Visibility, number> = { visible: 0, deleted: 1, spam: 2, pending: 3 };
const visibilityNames: Visibility[] = ['visible', 'deleted', 'spam', 'pending'];

export class RecordTable {
  /** Indexed by id; slot 0 is unused so ids start at 1 like Freshdesk's. */
  private readonly createdSeconds: number[] = [0];
  private readonly updatedSeconds: number[] = [0];
  private readonly visibility: number[] = [0];
  private readonly fields = new Map<number, Record<string, unknown>>();
  private readonly indexes = new Map<string, SortedIds>();
  /** Bumped by every mutation, so cached query results know they are stale. */
  version = 0;

  constructor(readonly kind: string) {}

  get size(): number {
    return this.createdSeconds.length - 1;
  }

  has(id: number): boolean {
    return Number.isInteger(id) && id >= 1 && id < this.createdSeconds.length;
  }

  mustHave(id: number): void {
    if (!this.has(id)) throw new Error(`fake Freshdesk: no ${this.kind} with id ${id}`);
  }

  createdAt(id: number): number {
    return this.createdSeconds[id]!;
  }

  updatedAt(id: number): number {
    return this.updatedSeconds[id]!;
  }

  visibilityOf(id: number): Visibility {
    return visibilityNames[this.visibility[id]!]!;
  }

  /** Explicit fields given when the record was added or patched (undefined when none). */
  fieldsOf(id: number): Record<string, unknown> | undefined {
    return this.fields.get(id);
  }

  add(createdSeconds: number, updatedSeconds: number, fields?: Record<string, unknown>, visibility: Visibility = 'visible'): number {
    const id = this.createdSeconds.length;
    this.createdSeconds.push(createdSeconds);
    this.updatedSeconds.push(updatedSeconds);
    this.visibility.push(visibilityCodes[visibility]);
    if (fields && Object.keys(fields).length > 0) this.fields.set(id, fields);
    this.forIndexesOf(id, (index) => index.add(id));
    this.version++;
    return id;
  }

  /** Changes a record: merges `fields`, sets its timestamps and visibility, and keeps indexes sorted. */
  update(
    id: number,
    change: { updatedSeconds: number; createdSeconds?: number; fields?: Record<string, unknown>; visibility?: Visibility },
  ): void {
    this.mustHave(id);
    this.forIndexesOf(id, (index) => index.remove(id));
    this.updatedSeconds[id] = change.updatedSeconds;
    if (change.createdSeconds !== undefined) this.createdSeconds[id] = change.createdSeconds;
    if (change.visibility !== undefined) this.visibility[id] = visibilityCodes[change.visibility];
    if (change.fields && Object.keys(change.fields).length > 0) {
      this.fields.set(id, { ...this.fields.get(id), ...change.fields });
    }
    this.forIndexesOf(id, (index) => index.add(id));
    this.version++;
  }

  /** Ids of one visibility sorted by (field, tie hash); built on first use, then maintained. */
  index(visibility: Visibility, field: TimeField): SortedIds {
    const name = `${visibility}:${field}`;
    let index = this.indexes.get(name);
    if (!index) {
      const keys = field === 'created_at' ? this.createdSeconds : this.updatedSeconds;
      index = new SortedIds((id) => keys[id]!);
      const code = visibilityCodes[visibility];
      for (let id = 1; id < this.createdSeconds.length; id++) if (this.visibility[id] === code) index.add(id);
      this.indexes.set(name, index);
    }
    return index;
  }

  private forIndexesOf(id: number, action: (index: SortedIds) => void): void {
    const visibility = visibilityNames[this.visibility[id]!]!;
    for (const field of ['created_at', 'updated_at'] as const) {
      const index = this.indexes.get(`${visibility}:${field}`);
      if (index) action(index);
    }
  }
}
