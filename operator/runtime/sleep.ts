// Abortable sleep and jitter for the runtime's loops: a sleep that an abort ends early (without
// throwing), so every loop can `await sleep(ms, signal)` and then check `signal.aborted`.

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves once `signal` aborts (at once if it already has): a runnable's "run until asked to stop". */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** `ms` stretched by a random factor in [1, 1 + fraction): spreads retries of many clients. */
export function jittered(ms: number, fraction = 0.2, random: () => number = Math.random): number {
  return Math.round(ms * (1 + fraction * random()));
}

/** Capped exponential backoff for attempt n (from 0). Pure. */
export function expBackoffMs(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(initialMs * 2 ** Math.min(attempt, 30), maxMs);
}
