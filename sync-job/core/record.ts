// The record of the sink protocol and the items a stream reader yields: records plus the cursor
// progress they carry, which becomes the acknowledged cursor only once the sink has taken the batch.
import type { Cursor } from '../contract.js';

export interface SyncRecord {
  id: string;
  op: 'upsert' | 'delete';
  /** One-second UTC timestamp, `YYYY-MM-DDTHH:MM:SSZ`. */
  updatedAt: string;
  data: unknown;
}

/** A cursor position: one record (or parent record) at one second. */
export interface CursorPosition {
  updatedAt: string;
  id: string;
}

/**
 * What a stream reader yields. `advance` moves the cursor over one position (ordered streams);
 * `settle` merges a whole cursor forward (full scans, at their end). Both take effect only after
 * every record yielded before them has been acknowledged by the sink.
 */
export interface StreamItem {
  record?: SyncRecord;
  /** The record (or its parent) lay at or behind the cursor the run started from: the lookback re-read it. */
  redelivered?: boolean;
  /** A parent whose children Freshdesk refused (403/404): skipped, counted and named in the result. */
  skipped?: { id: string; reason: string };
  advance?: CursorPosition;
  settle?: Cursor;
}
