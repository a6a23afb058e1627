// Which streams a run syncs (pure): a stream is due when its interval has passed since its last success.
// lastSuccessAt is the START of the run that succeeded, so a run every interval finds the stream due again.

/**
 * Runs start a little late or early (cron minute offsets, pod start-up), so "interval has passed" allows
 * this much slack: 10% of the interval, at most 10 minutes. A stream every 4h on a 2h base interval is
 * due on every other run, never skipped twice.
 */
export function dueSlackSeconds(intervalSeconds: number): number {
  return Math.min(intervalSeconds * 0.1, 600);
}

/** intervalSeconds 0 means "due on every run" (a stream at the base rate of a cron `schedule`). */
export function isStreamDue(intervalSeconds: number, lastSuccessAt: string | undefined, nowMs: number): boolean {
  if (intervalSeconds === 0 || lastSuccessAt === undefined) return true;
  const lastMs = Date.parse(lastSuccessAt);
  if (Number.isNaN(lastMs)) return true;
  return nowMs - lastMs >= (intervalSeconds - dueSlackSeconds(intervalSeconds)) * 1000;
}
