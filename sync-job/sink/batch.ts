// A sink batch (the body of the sink protocol) and its batchId: sha256 of tenantId, stream and the records'
// canonical content (id, op, updatedAt, data), so a retried batch carries the same Idempotency-Key and a batch
// in which any record changed — even a rewrite within the same second — carries a new one.
import { createHash } from 'node:crypto';
import type { SyncRecord } from '../core/record.js';

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

/**
 * JSON with object keys sorted at every depth (arrays keep their order), so the same content hashes alike
 * whatever order Freshdesk sent its fields in. `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
}

export function batchIdOf(tenantId: string, stream: string, records: readonly SyncRecord[], snapshot?: SnapshotMark): string {
  const hash = createHash('sha256');
  // Length-prefixed fields: no choice of ids or contents can make two different batches hash alike.
  const field = (value: string) => hash.update(`${Buffer.byteLength(value)}:${value};`);
  field(tenantId);
  field(stream);
  // A snapshot's batches belong to it: the same records in the next run's snapshot are a new batch.
  if (snapshot) field(`snapshot:${canonicalJson(snapshot)}`);
  for (const record of records) field(canonicalJson({ id: record.id, op: record.op, updatedAt: record.updatedAt, data: record.data }));
  return hash.digest('hex');
}

export function makeBatch(tenantId: string, stream: string, records: SyncRecord[], snapshot?: SnapshotMark): SinkBatch {
  const batchId = batchIdOf(tenantId, stream, records, snapshot);
  return snapshot ? { tenantId, stream, batchId, snapshot, records } : { tenantId, stream, batchId, records };
}
