// The result the launcher writes when the job's worker dies before writing its own (out of memory): the
// result as of the last checkpoint, so every acknowledged batch's cursor still reaches the operator.
import type { JobResult } from '../contract.js';

/** Bytes a crash adds to a result (its message, twice at most): progress results leave this much room. */
export const crashMessageReserveBytes = 600;

/** Marks the result of the last checkpoint (undefined before the first) as a crashed run's. */
export function crashedResult(progress: JobResult | undefined, fullMessage: string): JobResult {
  const message = fullMessage.slice(0, crashMessageReserveBytes / 2 - 20);
  const now = new Date().toISOString();
  if (!progress) return { version: 1, outcome: 'Failed', startedAt: now, finishedAt: now, error: message, streams: {} };
  // The stream that was running when the worker died is already Failed in the snapshot; say why.
  const streams = Object.fromEntries(
    Object.entries(progress.streams).map(([name, s]) => [name, s.error?.startsWith('RUN_ABORTED: run stopped before the stream finished') ? { ...s, error: message } : s]),
  );
  return { ...progress, outcome: progress.outcome === 'Succeeded' ? 'Failed' : progress.outcome, finishedAt: now, error: message, streams };
}
