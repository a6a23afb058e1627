// A sink batch (the body of the sink protocol) and its batchId: sha256 of tenantId, stream and the records'
// canonical content (id, op, updatedAt, data), so a retried batch carries the same Idempotency-Key and a batch
// in which any record changed — even a rewrite within the same second — carries a new one.
import { createHash } from 'node:crypto';
import type { SyncRecord } from '../core/record.js';
import { canonicalJson } from '../canonical-json.js';

/**
 * A reference stream's run as one snapshot: batches 0, 1, … of snapshot `id`, then a completion marker
 * (`complete: true`, no records). Only a complete snapshot may replace what the sink holds for the stream.
 */
export interface SnapshotMark {
  id: string;
  sequence: number;
  complete: boolean;
}

export interface SinkBatch {
  tenantId: string;
  stream: string;
  batchId: string;
  snapshot?: SnapshotMark;
  records: SyncRecord[];
}

/** Default records per POST (config sink.batchSize overrides). */
export const defaultBatchSize = 100;

/** A record as the sink receives it and as its batch's id hashes it: canonical JSON of {id, op, updatedAt, data}. */
export function canonicalRecordJson(record: SyncRecord): string {
  return canonicalJson({ id: record.id, op: record.op, updatedAt: record.updatedAt, data: record.data });
}

/** `encoded`: the records' canonicalRecordJson when the caller has it already (the run does: it sends them so). */
export function batchIdOf(tenantId: string, stream: string, records: readonly SyncRecord[], snapshot?: SnapshotMark, encoded?: readonly string[]): string {
  const hash = createHash('sha256');
  // Length-prefixed fields: no choice of ids or contents can make two different batches hash alike.
  const field = (value: string) => hash.update(`${Buffer.byteLength(value)}:${value};`);
  field(tenantId);
  field(stream);
  // A snapshot's batches belong to it: the same records in the next run's snapshot are a new batch.
  if (snapshot) field(`snapshot:${canonicalJson(snapshot)}`);
  records.forEach((record, index) => field(encoded?.[index] ?? canonicalRecordJson(record)));
  return hash.digest('hex');
}

export function makeBatch(tenantId: string, stream: string, records: SyncRecord[], snapshot?: SnapshotMark, encoded?: readonly string[]): SinkBatch {
  const batchId = batchIdOf(tenantId, stream, records, snapshot, encoded);
  return snapshot ? { tenantId, stream, batchId, snapshot, records } : { tenantId, stream, batchId, records };
}
