// The sink protocol (docs/sync-job.md "The sink protocol") as the receiver checks it: the batch body's
// shape, strictly (unknown keys are errors), with messages that name the offending field.

import { z } from 'zod';

const recordSchema = z
  .strictObject({
    id: z.union([z.string().min(1), z.number().int()]),
    op: z.enum(['upsert', 'delete']),
    updatedAt: z.iso.datetime({ offset: true }),
    data: z.union([z.record(z.string(), z.unknown()), z.null()]),
  })
  .refine((record) => record.op === 'delete' || record.data !== null, { message: 'an upsert needs a data object', path: ['data'] });

/** A reference stream's snapshot: batches 0, 1, … then a completion marker with no records. */
const snapshotSchema = z.strictObject({ id: z.string().min(1), sequence: z.number().int().nonnegative(), complete: z.boolean() });

export const batchSchema = z
  .strictObject({
    tenantId: z.string().min(1),
    stream: z.string().min(1),
    batchId: z.string().min(1),
    snapshot: snapshotSchema.optional(),
    records: z.array(recordSchema),
  })
  .refine((batch) => batch.records.length > 0 || batch.snapshot?.complete === true, {
    message: 'a batch holds at least one record (only a snapshot completion marker holds none)',
    path: ['records'],
  });

export type SinkBatch = z.infer<typeof batchSchema>;
export type SinkRecord = SinkBatch['records'][number];

export type BatchCheck = { ok: true; batch: SinkBatch } | { ok: false; errors: string[] };

/** Validates a parsed JSON body against the batch shape; errors read like `records[2].op: …`. */
export function checkBatch(body: unknown): BatchCheck {
  const parsed = batchSchema.safeParse(body);
  if (parsed.success) return { ok: true, batch: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => {
      const path = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
      return `${path || 'body'}: ${issue.message}`;
    }),
  };
}

/** JSON with object keys sorted, so two bodies compare equal regardless of key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What a batchId must be a function of: tenant, stream, snapshot mark and the records' content (id, op, updatedAt, data), in order. */
export function batchContentKey(batch: SinkBatch): string {
  return canonicalJson([batch.tenantId, batch.stream, batch.snapshot ?? null, batch.records.map(({ id, op, updatedAt, data }) => ({ id, op, updatedAt, data }))]);
}

/** `application/json`, with or without parameters such as charset. */
export function isJsonContentType(header: string | undefined): boolean {
  return (header ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}
