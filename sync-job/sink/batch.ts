// A sink batch (the body of the sink protocol) and its batchId: sha256 of tenantId, stream and the records'
// (id, updatedAt) pairs, so a retried or re-read batch carries the same Idempotency-Key.
import { createHash } from 'node:crypto';
import type { SyncRecord } from '../core/record.js';

export interface SinkBatch {
  tenantId: string;
  stream: string;
  batchId: string;
  records: SyncRecord[];
}

/** Default records per POST (config sink.batchSize overrides). */
export const defaultBatchSize = 100;

export function batchIdOf(tenantId: string, stream: string, records: ReadonlyArray<Pick<SyncRecord, 'id' | 'updatedAt'>>): string {
  const hash = createHash('sha256');
  // Length-prefixed fields: no choice of ids can make two different batches hash alike.
  const field = (value: string) => hash.update(`${Buffer.byteLength(value)}:${value};`);
  field(tenantId);
  field(stream);
  for (const record of records) {
    field(record.id);
    field(record.updatedAt);
  }
  return hash.digest('hex');
}

export function makeBatch(tenantId: string, stream: string, records: SyncRecord[]): SinkBatch {
  return { tenantId, stream, batchId: batchIdOf(tenantId, stream, records), records };
}
