// Memory: the container's memory limit (cgroup v2 memory.max or v1 memory.limit_in_bytes) sizes the job's
// V8 heap, and the heap sizes the byte caps on what is in flight (one source response, one sink batch).
import { readFileSync } from 'node:fs';

const mib = 1024 * 1024;

/**
 * Heap of the job's worker when no container limit is known (a laptop, the benchmark): a 200k-ticket sync
 * stays near 125 MiB RSS and one ticket with 40 conversations of 2 MiB near 140 MiB (bench/sync-200k.ts).
 */
export const defaultOldGenerationMb = 40;
/** The young generation stays small whatever the limit: a sync allocates fast and short-lived. */
export const youngGenerationMb = 8;
/** Memory outside the job's old generation: two isolates (launcher and worker), code, young generation, buffers. */
export const nonHeapReserveMb = 96;
/** The smallest heap the job runs with, even under a tighter limit (it then fails on OOM, with its result). */
export const minOldGenerationMb = 32;
/** Limits at or above this mean "no limit" (cgroup v1 reports 2^63 rounded down to a page). */
const unlimitedBytes = 2 ** 50;

/** Env variable overriding the detected container memory limit, in bytes (local runs, tests). */
export const memoryLimitEnv = 'TENANTSYNC_MEMORY_LIMIT_BYTES';

/** The container's memory limit in bytes, or undefined when there is none. */
export function containerMemoryLimitBytes(env: NodeJS.ProcessEnv = process.env, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  const parse = (text: string) => {
    const value = Number(text.trim());
    return Number.isFinite(value) && value > 0 && value < unlimitedBytes ? value : undefined;
  };
  if (env[memoryLimitEnv]) return parse(env[memoryLimitEnv]);
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      return parse(read(path));
    } catch {
      // not this cgroup version
    }
  }
  return undefined;
}

/** The worker's heap limits: three quarters of what the limit leaves after Node's own reserve. */
export function heapLimitsFor(limitBytes: number | undefined): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const oldGeneration =
    limitBytes === undefined ? defaultOldGenerationMb : Math.max(minOldGenerationMb, Math.floor(((limitBytes / mib - nonHeapReserveMb) * 3) / 4));
  return { maxOldGenerationSizeMb: oldGeneration, maxYoungGenerationSizeMb: youngGenerationMb };
}

export interface InFlightCaps {
  /** One source response body: read, parsed and held as records at once (about three copies). */
  maxResponseBytes: number;
  /** One sink batch: its records, their JSON and the request body. */
  maxBatchBytes: number;
}

/** Byte caps from the heap limit: a response ≤ 1/16 of the heap (1–64 MiB), a batch ≤ 1/48 (256 KiB–16 MiB). */
export function inFlightCapsFor(heapLimitBytes: number): InFlightCaps {
  const clamp = (value: number, low: number, high: number) => Math.floor(Math.min(high, Math.max(low, value)));
  return {
    maxResponseBytes: clamp(heapLimitBytes / 16, 1 * mib, 64 * mib),
    maxBatchBytes: clamp(heapLimitBytes / 48, 256 * 1024, 16 * mib),
  };
}
