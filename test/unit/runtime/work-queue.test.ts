// The work queue's promises: merged duplicates, one key never twice at once, re-run after an add
// during a run, per-key backoff growth and cap, requeue-after, forget, drain on abort (fake timers).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue, backoffDelayMs, objectKey, parseObjectKey, type WorkHandler } from '../../../operator/runtime/work-queue.js';

/** A promise with its resolve function exposed, to hold a handler "running". */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets queued promise callbacks run (fake timers do not advance on their own). */
const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('WorkQueue', () => {
  let abort: AbortController;
  beforeEach(() => {
    vi.useFakeTimers();
    abort = new AbortController();
  });
  afterEach(() => {
    abort.abort();
    vi.useRealTimers();
  });

  it('reports how long each key waited ready, and each retry after a failure (the queue metrics)', async () => {
    const waited: number[] = [];
    let retries = 0;
    const q = new WorkQueue({ onDequeue: (ms) => waited.push(ms), onRetry: () => retries++ });
    q.add('ns/a');
    await vi.advanceTimersByTimeAsync(1500);
    let fail = true;
    const run = q.run(
      async () => {
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
      },
      { signal: abort.signal },
    );
    await flush();
    expect(waited).toEqual([1500]);
    expect(retries).toBe(1);
    await vi.advanceTimersByTimeAsync(1000); // the backoff timer re-adds it; a worker is waiting, so it is taken at once
    expect(waited).toEqual([1500, 0]);
    expect(retries).toBe(1);
    abort.abort();
    await run;
  });

  it('merges duplicate adds of a waiting key into one run', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.depth).toBe(2);
    const seen: string[] = [];
    const run = q.run(async (key) => void seen.push(key), { signal: abort.signal });
    await flush();
    abort.abort();
    await run;
    expect(seen).toEqual(['ns/a', 'ns/b']);
  });

  it('never runs one key twice at once, and re-runs it once after an add during the run', async () => {
    const q = new WorkQueue();
    let running = 0;
    let maxConcurrentSameKey = 0;
    const calls: string[] = [];
    const first = gate();
    const handler: WorkHandler = async (key) => {
      calls.push(key);
      running++;
      maxConcurrentSameKey = Math.max(maxConcurrentSameKey, running);
      if (calls.length === 1) await first.promise;
      running--;
    };
    const run = q.run(handler, { workers: 4, signal: abort.signal });
    q.add('ns/a');
    await flush();
    expect(calls).toEqual(['ns/a']);
    // Three adds while it runs: none starts now (4 idle workers notwithstanding), they merge into one re-run.
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    await flush();
    expect(calls).toEqual(['ns/a']);
    first.open();
    await flush();
    expect(calls).toEqual(['ns/a', 'ns/a']);
    expect(maxConcurrentSameKey).toBe(1);
    abort.abort();
    await run;
  });

  it('runs different keys in parallel up to the worker count', async () => {
    const q = new WorkQueue();
    const g = gate();
    const started: string[] = [];
    const run = q.run(
      async (key) => {
        started.push(key);
        await g.promise;
      },
      { workers: 2, signal: abort.signal },
    );
    q.add('a');
    q.add('b');
    q.add('c');
    await flush();
    expect(started).toEqual(['a', 'b']);
    expect(q.inFlight).toBe(2);
    expect(q.depth).toBe(1);
    g.open();
    await flush();
    expect(started).toEqual(['a', 'b', 'c']);
    abort.abort();
    await run;
  });

  it('backs a failing key off exponentially (1 s, 2 s, 4 s, ...) up to the 5 min cap', async () => {
    const q = new WorkQueue();
    const runsAt: number[] = [];
    const errors: number[] = [];
    const start = Date.now();
    const run = q.run(
      async () => {
        runsAt.push(Date.now() - start);
        throw new Error('boom');
      },
      { signal: abort.signal, onError: (_key, _err, retryInMs) => errors.push(retryInMs) },
    );
    q.add('ns/fails');
    await flush();
    for (let i = 0; i < 12; i++) {
      await vi.advanceTimersByTimeAsync(errors.at(-1)!);
    }
    expect(errors.slice(0, 10)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000]);
    expect(errors.slice(10)).toEqual([300_000, 300_000, 300_000]);
    // Each retry ran exactly when its backoff elapsed.
    const gaps = runsAt.slice(1).map((t, i) => t - runsAt[i]!);
    expect(gaps).toEqual(errors.slice(0, gaps.length));
    expect(q.failureCount('ns/fails')).toBe(13);
    abort.abort();
    await run;
  });

  it('does not run a backed-off key before its delay, and keeps other keys flowing', async () => {
    const q = new WorkQueue({ baseDelayMs: 10_000 });
    const calls: string[] = [];
    const run = q.run(
      async (key) => {
        calls.push(key);
        if (key === 'bad') throw new Error('no');
      },
      { signal: abort.signal },
    );
    q.add('bad');
    await flush();
    q.add('good');
    await flush();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(calls).toEqual(['bad', 'good']);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['bad', 'good', 'bad']);
    abort.abort();
    await run;
  });

  it('forget resets the backoff: a success after failures starts again at the base delay', async () => {
    const q = new WorkQueue();
    let failNext = 3;
    const delays: number[] = [];
    const run = q.run(
      async () => {
        if (failNext-- > 0) throw new Error('flaky');
      },
      { signal: abort.signal, onError: (_k, _e, d) => delays.push(d) },
    );
    q.add('k');
    await flush();
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.advanceTimersByTimeAsync(2_000);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(delays).toEqual([1_000, 2_000, 4_000]);
    expect(q.failureCount('k')).toBe(0); // the 4th run succeeded and forgot
    failNext = 1;
    q.add('k');
    await flush();
    expect(delays).toEqual([1_000, 2_000, 4_000, 1_000]);
    abort.abort();
    await run;
  });

  it('forget() by hand resets a key between failures', () => {
    const q = new WorkQueue();
    expect(q.addRateLimited('k')).toBe(1_000);
    expect(q.addRateLimited('k')).toBe(2_000);
    q.forget('k');
    expect(q.addRateLimited('k')).toBe(1_000);
  });

  it('requeue-after runs the key again after the requested delay, not before', async () => {
    const q = new WorkQueue();
    const runsAt: number[] = [];
    const start = Date.now();
    const run = q.run(
      async () => {
        runsAt.push(Date.now() - start);
        return runsAt.length < 3 ? { requeueAfterMs: 60_000 } : undefined;
      },
      { signal: abort.signal },
    );
    q.add('k');
    await flush();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(runsAt).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runsAt).toEqual([0, 60_000]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runsAt).toEqual([0, 60_000, 120_000]);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(runsAt).toHaveLength(3); // the third run asked for nothing more
    abort.abort();
    await run;
  });

  it('addAfter keeps the earliest pending time for a key', async () => {
    const q = new WorkQueue();
    const runsAt: number[] = [];
    const start = Date.now();
    const run = q.run(async () => void runsAt.push(Date.now() - start), { signal: abort.signal });
    q.addAfter('k', 30_000);
    q.addAfter('k', 10_000); // earlier: replaces
    q.addAfter('k', 20_000); // later: ignored
    expect(q.delayedCount).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runsAt).toEqual([10_000]);
    abort.abort();
    await run;
  });

  it('on abort stops taking keys, lets in-flight handlers finish, and leaves queued keys for the next run', async () => {
    const q = new WorkQueue();
    const g = gate();
    const finished: string[] = [];
    let handlerSawAbort = false;
    const run = q.run(
      async (key, signal) => {
        await g.promise;
        handlerSawAbort = signal.aborted;
        finished.push(key);
      },
      { signal: abort.signal },
    );
    q.add('a');
    q.add('b');
    await flush();
    let resolved = false;
    void run.then(() => (resolved = true));
    abort.abort();
    await flush();
    expect(resolved).toBe(false); // 'a' is still in flight
    g.open();
    await flush();
    expect(resolved).toBe(true);
    expect(finished).toEqual(['a']);
    expect(handlerSawAbort).toBe(true);
    expect(q.depth).toBe(1); // 'b' waits for the next leader term

    const again = new AbortController();
    const run2 = q.run(async (key) => void finished.push(key), { signal: again.signal });
    await flush();
    expect(finished).toEqual(['a', 'b']);
    again.abort();
    await run2;
  });

  it('reports depth changes for the gauge', async () => {
    const depths: number[] = [];
    const q = new WorkQueue({ onDepthChange: (d) => depths.push(d) });
    q.add('a');
    q.add('b');
    q.add('a');
    const run = q.run(async () => undefined, { signal: abort.signal });
    await flush();
    abort.abort();
    await run;
    expect(depths).toEqual([1, 2, 1, 0]);
  });

  it('runs low-priority keys only when no normal key waits; a normal add promotes a low key, a low add demotes nothing', async () => {
    const q = new WorkQueue();
    for (const key of ['ns/start-1', 'ns/start-2', 'ns/start-3', 'ns/changed']) q.add(key, 'low');
    q.add('ns/new');
    q.add('ns/changed'); // a change to an object already queued for its start-up look
    q.add('ns/new', 'low'); // a resync of a key a change queued: stays normal
    expect(q.depth).toBe(5);
    const seen: string[] = [];
    const run = q.run(async (key) => void seen.push(key), { signal: abort.signal });
    while (q.depth > 0) await flush();
    await flush();
    abort.abort();
    await run;
    expect(seen).toEqual(['ns/new', 'ns/changed', 'ns/start-1', 'ns/start-2', 'ns/start-3']);
  });

  it('a key added during its run is run again at the higher of the priorities it was added with', async () => {
    const q = new WorkQueue();
    const hold = gate();
    const seen: string[] = [];
    const run = q.run(
      async (key) => {
        seen.push(key);
        if (key === 'ns/a' && seen.length === 1) await hold.promise;
      },
      { signal: abort.signal },
    );
    q.add('ns/a');
    await flush();
    q.add('ns/low-1', 'low');
    q.add('ns/a', 'low');
    q.add('ns/a'); // a change while it runs
    hold.open();
    await flush();
    abort.abort();
    await run;
    expect(seen).toEqual(['ns/a', 'ns/a', 'ns/low-1']);
  });

  it('refuses a second concurrent run', async () => {
    const q = new WorkQueue();
    const run = q.run(async () => undefined, { signal: abort.signal });
    await expect(q.run(async () => undefined, { signal: abort.signal })).rejects.toThrow(/already running/);
    abort.abort();
    await run;
  });
});

describe('backoffDelayMs and keys', () => {
  it('doubles from the base and stops at the cap, even for huge failure counts', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelayMs(n))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(backoffDelayMs(9)).toBe(300_000);
    expect(backoffDelayMs(10_000)).toBe(300_000);
    expect(backoffDelayMs(3, 5, 1_000)).toBe(40);
  });

  it('round-trips namespace/name keys', () => {
    expect(objectKey('ns', 'a')).toBe('ns/a');
    expect(objectKey(undefined, 'cluster-scoped')).toBe('cluster-scoped');
    expect(parseObjectKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(parseObjectKey('cluster-scoped')).toEqual({ namespace: '', name: 'cluster-scoped' });
  });
});
