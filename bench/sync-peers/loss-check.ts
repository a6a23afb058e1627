// The deep-paging loss: records whose newest version a client never emitted over its runs.
import { versionKey } from './record-messages.js';

/** One record as the source holds it at the end: its id and its newest updated_at. */
export interface SourceRecord {
  id: number;
  updatedAt: string;
}

/** Ids of `records` whose current version is not among `emitted` (versionKey strings), in the order given. */
export function lostRecords(records: Iterable<SourceRecord>, emitted: ReadonlySet<string>): number[] {
  const lost: number[] = [];
  for (const record of records) if (!emitted.has(versionKey(record.id, record.updatedAt))) lost.push(record.id);
  return lost;
}
