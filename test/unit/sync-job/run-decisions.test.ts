// Small decisions of a run: due streams, outcome and exit code, batch ids, result size, secret scrubbing, config errors.
import { describe, expect, it } from 'vitest';
import { isStreamDue } from '../../../sync-job/core/due.js';
import { exitCodeOf, runOutcomeOf } from '../../../sync-job/core/outcome.js';
import { batchIdOf } from '../../../sync-job/sink/batch.js';
import { canonicalJson } from '../../../sync-job/canonical-json.js';
import type { SyncRecord } from '../../../sync-job/core/record.js';
import { compactResult, resultBytes } from '../../../sync-job/core/result-size.js';
import { createRedactor } from '../../../sync-job/core/redact.js';
import { parseConfig } from '../../../sync-job/files.js';
import { maxResultBytes, resultSchema, type JobResult } from '../../../sync-job/contract.js';
import { deadlineMarginSeconds } from '../../../sync-job/cli.js';

describe('isStreamDue', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it('is due without a last success, or once the interval (less slack) has passed', () => {
    expect(isStreamDue(3600, undefined, now)).toBe(true);
    expect(isStreamDue(7200, '2024-05-01T10:00:00Z', now)).toBe(true);
    expect(isStreamDue(7200, '2024-05-01T10:05:00Z', now)).toBe(true); // cron started 5 min late last time
    expect(isStreamDue(14400, '2024-05-01T10:00:00Z', now)).toBe(false); // 4h stream on a 2h base
    expect(isStreamDue(3600, '2024-05-01T11:30:00Z', now)).toBe(false);
  });

  it('allows at most 10 minutes of slack, however long the interval: a daily stream on a 2h base waits ~24h, not 21.6h', () => {
    // 10% of 24h would be 2h24m: without the cap the 22:00 run of the 2h base would already take it.
    expect(isStreamDue(86400, '2024-04-30T14:00:00Z', now)).toBe(false); // 22h after
    expect(isStreamDue(86400, '2024-04-30T12:11:00Z', now)).toBe(false); // 23h49m after: 11 min early is beyond the cap
    expect(isStreamDue(86400, '2024-04-30T12:09:00Z', now)).toBe(true); // 23h51m after
    // Below 100 minutes the 10% rule applies: a 30-minute stream is due 27 minutes after.
    expect(isStreamDue(1800, '2024-05-01T11:33:00Z', now)).toBe(true);
    expect(isStreamDue(1800, '2024-05-01T11:34:00Z', now)).toBe(false);
  });

  it('interval 0 (base rate of a cron schedule) is due on every run, even seconds after the last', () => {
    expect(isStreamDue(0, '2024-05-01T11:59:58Z', now)).toBe(true);
    expect(isStreamDue(0, '2024-05-01T12:00:03Z', now)).toBe(true); // the previous run started later in its minute
  });
});

describe('runOutcomeOf / exitCodeOf', () => {
  it.each([
    [['Succeeded', 'NotDue'], false, 'Succeeded', 0],
    [['NotDue'], false, 'Succeeded', 0],
    [['Succeeded', 'Failed'], false, 'PartiallySucceeded', 1],
    [['Succeeded', 'Skipped'], false, 'PartiallySucceeded', 0],
    [['Skipped'], false, 'Failed', 1],
    [['Failed', 'Failed'], false, 'Failed', 1],
    [['Failed', 'Succeeded'], true, 'Failed', 2],
  ] as const)('%j fatal=%s → %s, exit %i', (streams, fatal, outcome, code) => {
    const got = runOutcomeOf(streams, fatal);
    expect(got).toBe(outcome);
    expect(exitCodeOf(got, streams, fatal)).toBe(code);
  });
});

describe('batchIdOf (issue 11 class 3: the Idempotency-Key follows content)', () => {
  const records: SyncRecord[] = [
    { id: '1', op: 'upsert', updatedAt: '2024-05-01T10:00:00Z', data: { subject: 'a', custom_fields: { x: 1, y: [1, 2] } } },
    { id: '2', op: 'upsert', updatedAt: '2024-05-01T10:00:01Z', data: { subject: 'b' } },
  ];
  const id = batchIdOf('acme', 'tickets', records);

  it('is a sha256 stable across retries and across key order in the data (canonical JSON)', () => {
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(batchIdOf('acme', 'tickets', structuredClone(records))).toBe(id);
    const reordered = [{ ...records[0]!, data: { custom_fields: { y: [1, 2], x: 1 }, subject: 'a' } }, records[1]!];
    expect(batchIdOf('acme', 'tickets', reordered)).toBe(id);
  });

  it('changes when tenant, stream, or any record\'s id, op, updatedAt or data differs', () => {
    const rewrittenInTheSameSecond = [records[0]!, { ...records[1]!, data: { subject: 'b, edited by an automation' } }];
    expect(batchIdOf('acme', 'tickets', rewrittenInTheSameSecond)).not.toBe(id);
    expect(batchIdOf('acme', 'tickets', [{ ...records[0]!, data: { subject: 'a', custom_fields: { x: 1, y: [2, 1] } } }, records[1]!])).not.toBe(id);
    expect(batchIdOf('acme', 'tickets', [records[0]!, { ...records[1]!, op: 'delete' }])).not.toBe(id);
    expect(batchIdOf('acme', 'tickets', [records[0]!, { ...records[1]!, updatedAt: '2024-05-01T10:00:02Z' }])).not.toBe(id);
    expect(batchIdOf('acme', 'contacts', records)).not.toBe(id);
    expect(batchIdOf('acm', 'etickets', records)).not.toBe(id);
    expect(batchIdOf('acme', 'tickets', [records[1]!, records[0]!])).not.toBe(id);
  });

  it('canonicalJson sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}');
  });
});

describe('compactResult', () => {
  const big: JobResult = {
    version: 1,
    outcome: 'PartiallySucceeded',
    startedAt: '2024-05-01T10:00:00Z',
    finishedAt: '2024-05-01T10:05:00Z',
    streams: {
      tickets: { outcome: 'Succeeded', records: 400, cursor: { updatedAt: '2024-05-01T10:00:00Z', ids: Array.from({ length: 450 }, (_, i) => String(100000 + i)) } },
      contacts: { outcome: 'Succeeded', records: 3, cursor: { updatedAt: '2024-05-01T09:00:00Z', ids: ['1', '2'] } },
      companies: { outcome: 'Failed', records: 0, cursor: {}, error: `SINK_REJECTED: ${'x'.repeat(2000)}` },
    },
  };

  it('leaves a small result alone', () => {
    const small = { ...big, streams: { contacts: big.streams.contacts! } };
    expect(compactResult(small)).toBe(small);
  });

  it('fits 4096 bytes by dropping the largest boundary-id list and truncating errors, keeping seconds', () => {
    expect(resultBytes(big)).toBeGreaterThan(maxResultBytes);
    const compact = compactResult(big);
    expect(resultBytes(compact)).toBeLessThanOrEqual(maxResultBytes);
    expect(resultSchema.parse(compact)).toBeTruthy();
    expect(compact.streams.tickets!.cursor).toEqual({ updatedAt: '2024-05-01T10:00:00Z', ids: [] });
    expect(compact.streams.contacts!.cursor.ids).toEqual(['1', '2']);
    expect(compact.streams.companies!.error!.startsWith('SINK_REJECTED: x')).toBe(true);
    expect(compactResult(big)).toEqual(compact); // deterministic
    expect(big.streams.tickets!.cursor.ids).toHaveLength(450); // input untouched
  });

  it('then empties the names of skipped parents, keeping their count and the redelivered counts', () => {
    const ticketIds = Array.from({ length: 10 }, (_, i) => String(9_000_000_000 + i));
    const streams = Object.fromEntries(
      ['conversations', 'tickets', 'contacts', 'companies', 'agents', 'groups', 'articles', 'deleted_tickets'].map((name) => [
        name,
        { outcome: 'Succeeded' as const, records: 5, redelivered: 4, cursor: { updatedAt: '2024-05-01T10:00:00Z', ids: ['1'] }, skipped: { count: 1234, ids: ticketIds }, error: 'e'.repeat(250) },
      ]),
    );
    const result: JobResult = { ...big, streams };
    expect(resultBytes(result)).toBeGreaterThan(maxResultBytes);
    const compact = compactResult(result);
    expect(resultBytes(compact)).toBeLessThanOrEqual(maxResultBytes);
    for (const stream of Object.values(compact.streams)) expect(stream).toMatchObject({ records: 5, redelivered: 4, skipped: { count: 1234 } });
    expect(Object.values(compact.streams).some((stream) => stream.skipped!.ids.length === 0)).toBe(true);
  });
});

describe('createRedactor', () => {
  it('replaces secrets and the Basic-auth form of the key', () => {
    const redact = createRedactor(['key-123456', 'tok-abcdef', undefined]);
    const basic = Buffer.from('key-123456:X').toString('base64');
    expect(redact(`a key-123456 b tok-abcdef c ${basic}`)).toBe('a [REDACTED] b [REDACTED] c [REDACTED]');
  });
});

describe('parseConfig', () => {
  const valid = {
    tenantId: 'acme',
    source: { type: 'freshdesk', baseUrl: 'https://acme.freshdesk.com', streams: [{ name: 'tickets', intervalSeconds: 3600 }] },
    sink: { type: 'http', url: 'https://sink.example.com/ingest' },
  };
  const errorOf = (value: unknown) => {
    try {
      parseConfig(value);
      return undefined;
    } catch (error) {
      return error as { code: string; message: string };
    }
  };

  it('accepts a valid config', () => expect(parseConfig(valid).tenantId).toBe('acme'));

  it('names the bad field', () => {
    expect(errorOf({ ...valid, source: { ...valid.source, baseUrl: 'not a url' } })).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('source.baseUrl') });
    expect(errorOf({ ...valid, source: { ...valid.source, streams: [{ name: 'tikets', intervalSeconds: 1 }] } })?.message).toContain('source.streams.0.name');
    expect(errorOf({ ...valid, sink: { type: 'http' } })?.message).toContain('sink.url');
    expect(errorOf({ ...valid, sink: { ...valid.sink, batchSize: 0 } })?.message).toContain('sink.batchSize');
    expect(errorOf({ ...valid, source: { ...valid.source, streams: [valid.source.streams[0], valid.source.streams[0]] } })?.message).toContain('listed twice');
  });
});

describe('deadlineMarginSeconds', () => {
  it('stops a tenth of the run time before the deadline, at least 10 s and at most 60 s (30 s when the run time is unknown)', () => {
    expect(deadlineMarginSeconds(50)).toBe(10);
    expect(deadlineMarginSeconds(300)).toBe(30);
    expect(deadlineMarginSeconds(600)).toBe(60);
    expect(deadlineMarginSeconds(3600)).toBe(60);
    expect(deadlineMarginSeconds(undefined)).toBe(30);
  });
});
