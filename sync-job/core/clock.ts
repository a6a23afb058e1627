// The job's clock: every wait (backoff, Retry-After, pacing) goes through it, so tests can run
// hours of rate-limit waits in no wall time by injecting a clock that advances instead of sleeping.
import { setTimeout as delay } from 'node:timers/promises';
import { SyncError } from './errors.js';

export interface Clock {
  nowMs(): number;
  /** Resolves after `ms`; rejects with RUN_ABORTED when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep: async (ms, signal) => {
    throwIfAborted(signal);
    if (ms <= 0) return;
    try {
      await delay(ms, undefined, { signal });
    } catch (error) {
      if (signal?.aborted) throw abortedError(signal);
      throw error;
    }
  },
};

export function abortedError(signal?: AbortSignal): SyncError {
  const reason = signal?.reason instanceof Error ? signal.reason.message : String(signal?.reason ?? 'aborted');
  return new SyncError('RUN_ABORTED', `run stopped before finishing (${reason})`);
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortedError(signal);
}
