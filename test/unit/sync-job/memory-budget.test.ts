// The job's memory decisions: the container limit from cgroup files, the worker heap it allows, the byte caps
// on what is in flight, and the result the launcher writes when the worker dies anyway.
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../../sync-job/contract.js';
import { crashedResult } from '../../../sync-job/core/crashed-result.js';
import { containerMemoryLimitBytes, defaultOldGenerationMb, heapLimitsFor, inFlightCapsFor, memoryLimitEnv } from '../../../sync-job/core/memory-budget.js';

const mib = 1024 * 1024;
const files = (entries: Record<string, string>) => (path: string) => {
  if (!(path in entries)) throw new Error(`ENOENT ${path}`);
  return entries[path]!;
};

describe('containerMemoryLimitBytes', () => {
  it('reads cgroup v2 memory.max, v1 memory.limit_in_bytes, and treats "max" or 2^63 as no limit', () => {
    expect(containerMemoryLimitBytes({}, files({ '/sys/fs/cgroup/memory.max': '268435456\n' }))).toBe(256 * mib);
    expect(containerMemoryLimitBytes({}, files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeUndefined();
    expect(containerMemoryLimitBytes({}, files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '134217728' }))).toBe(128 * mib);
    expect(containerMemoryLimitBytes({}, files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' }))).toBeUndefined();
    expect(containerMemoryLimitBytes({}, files({}))).toBeUndefined();
    expect(containerMemoryLimitBytes({ [memoryLimitEnv]: String(512 * mib) }, files({ '/sys/fs/cgroup/memory.max': '1' }))).toBe(512 * mib);
  });
});

describe('heapLimitsFor', () => {
  it('keeps the benchmarked default without a limit, and grows the heap with the limit', () => {
    expect(heapLimitsFor(undefined).maxOldGenerationSizeMb).toBe(defaultOldGenerationMb);
    expect(heapLimitsFor(256 * mib).maxOldGenerationSizeMb).toBe(120);
    expect(heapLimitsFor(1024 * mib).maxOldGenerationSizeMb).toBe(696);
    expect(heapLimitsFor(128 * mib).maxOldGenerationSizeMb).toBe(32);
    expect(heapLimitsFor(1024 * mib).maxYoungGenerationSizeMb).toBe(8);
  });
});

describe('inFlightCapsFor', () => {
  it('caps one response at 1/16 and one batch at 1/48 of the heap, within bounds', () => {
    expect(inFlightCapsFor(96 * mib)).toEqual({ maxResponseBytes: 6 * mib, maxBatchBytes: 2 * mib });
    expect(inFlightCapsFor(4 * mib)).toEqual({ maxResponseBytes: 1 * mib, maxBatchBytes: 256 * 1024 });
    expect(inFlightCapsFor(8192 * mib)).toEqual({ maxResponseBytes: 64 * mib, maxBatchBytes: 16 * mib });
  });
});

describe('crashedResult', () => {
  const progress: JobResult = {
    version: 1,
    outcome: 'PartiallySucceeded',
    startedAt: '2024-05-01T10:00:00.000Z',
    finishedAt: '2024-05-01T10:01:00.000Z',
    streams: {
      tickets: { outcome: 'Succeeded', records: 500, cursor: { updatedAt: '2024-05-01T09:00:00Z', ids: ['7'] } },
      conversations: { outcome: 'Failed', records: 40, cursor: { updatedAt: '2024-05-01T08:00:00Z', ids: ['3'] }, error: 'RUN_ABORTED: run stopped before the stream finished' },
    },
  };

  it("keeps the last checkpoint's cursors and says why the running stream stopped", () => {
    const result = crashedResult(progress, 'INTERNAL: the sync-job worker stopped: ERR_WORKER_OUT_OF_MEMORY');
    expect(result.streams.tickets).toEqual(progress.streams.tickets);
    expect(result.streams.conversations).toMatchObject({ cursor: { updatedAt: '2024-05-01T08:00:00Z', ids: ['3'] }, error: expect.stringContaining('ERR_WORKER_OUT_OF_MEMORY') });
    expect(result.error).toContain('ERR_WORKER_OUT_OF_MEMORY');
    expect(result.startedAt).toBe(progress.startedAt);
  });

  it('is a Failed result without cursors before the first checkpoint', () => {
    expect(crashedResult(undefined, 'INTERNAL: x')).toMatchObject({ outcome: 'Failed', error: 'INTERNAL: x', streams: {} });
  });
});
