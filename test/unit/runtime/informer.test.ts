// The informer's restart backoff, against a stub client under fake time: a list that fails is retried
// after 0.5 s, 1 s, 2 s, … (never in a hot loop), a watch the server closes at once without events is
// treated as a failure and backs off the same way (no relist), any event resets the backoff, and
// stats().errors counts every failure.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { WatchEvent } from '../../../operator/kube/client.js';
import { Informer, type InformerHandler } from '../../../operator/runtime/informer.js';
import { createLogger } from '../../../operator/runtime/logger.js';
import { logLines } from './log-lines.js';

const cm = (name: string, resourceVersion: string): V1ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion } });

/** Watch behaviours, one per watch call (the last one repeats). */
type WatchScript = 'close-at-once' | 'one-event-then-close' | 'block';

function stubClient(opts: { listFailures: number; watches: WatchScript[] }) {
  const calls = { lists: 0, watches: 0, watchResourceVersions: [] as (string | undefined)[] };
  const runaway = new AbortController();
  const client = {
    async listPath() {
      calls.lists++;
      if (calls.lists <= opts.listFailures) throw new Error(`connect ECONNREFUSED (attempt ${calls.lists})`);
      return { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '10' }, items: [cm('a', '10')] };
    },
    async *watch(_path: string, w: { resourceVersion?: string; signal: AbortSignal }): AsyncGenerator<WatchEvent<V1ConfigMap>> {
      calls.watches++;
      calls.watchResourceVersions.push(w.resourceVersion);
      // Without a hot-loop guard the informer would spin here on microtasks only; stop it so the test fails instead of hanging.
      if (calls.watches > 50) runaway.abort();
      const script = opts.watches[Math.min(calls.watches - 1, opts.watches.length - 1)];
      if (script === 'one-event-then-close') yield { type: 'MODIFIED', object: cm('a', String(10 + calls.watches)) };
      if (script === 'block') await new Promise<void>((resolve) => w.signal.addEventListener('abort', () => resolve(), { once: true }));
    },
  };
  return { client, calls, runaway };
}

function logCapture() {
  const { lines, destination } = logLines();
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

const retries = (lines: readonly string[]) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'list/watch failed; retrying');

let abort: AbortController;
let running: Promise<void> | undefined;

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0); // no jitter: exact delays
  abort = new AbortController();
});

afterEach(async () => {
  abort.abort();
  await vi.runOnlyPendingTimersAsync();
  await running;
  running = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function start(stub: ReturnType<typeof stubClient>, logger: ReturnType<typeof logCapture>['logger'], handler?: InformerHandler<V1ConfigMap>) {
  const informer = new Informer<V1ConfigMap>({ client: stub.client as never, apiVersion: 'v1', plural: 'configmaps', namespaces: ['ns'], logger });
  if (handler) informer.on(handler);
  running = informer.start(AbortSignal.any([abort.signal, stub.runaway.signal]));
  return informer;
}

describe('Informer backoff', () => {
  it('retries a failing list after 0.5 s, 1 s and 2 s, then syncs', async () => {
    const stub = stubClient({ listFailures: 3, watches: ['block'] });
    const { logger, lines } = logCapture();
    const informer = start(stub, logger);

    await vi.advanceTimersByTimeAsync(0);
    expect(stub.calls.lists).toBe(1);
    // Each retry waits exactly its delay: one ms early nothing happens.
    for (const [delay, listsAfter] of [[500, 2], [1000, 3], [2000, 4]] as const) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(stub.calls.lists).toBe(listsAfter - 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(stub.calls.lists).toBe(listsAfter);
    }
    expect(informer.hasSynced()).toBe(true);
    expect(informer.keys()).toEqual(['ns/a']);
    expect(informer.stats()).toMatchObject({ errors: 3, lists: 1, watches: 1 });
    expect(retries(lines).map((l) => l.retryInMs)).toEqual([500, 1000, 2000]);
    expect(retries(lines).map((l) => l.failures)).toEqual([1, 2, 3]);
    expect(retries(lines)[0]).toMatchObject({ level: 'warn', error: { message: 'connect ECONNREFUSED (attempt 1)' } });

    // Synced and watching: no more requests, however long it runs.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(stub.calls).toMatchObject({ lists: 4, watches: 1 });
  });

  it('backs off when the server closes every watch at once without events, and resumes without relisting', async () => {
    const stub = stubClient({ listFailures: 0, watches: ['close-at-once'] });
    const { logger, lines } = logCapture();
    const informer = start(stub, logger);

    await vi.advanceTimersByTimeAsync(0);
    expect(informer.hasSynced()).toBe(true);
    expect(stub.calls.watches).toBe(1);
    // Growing gaps between watches: 0.5, 1, 2, 4, 8 s, then the 15 s cap.
    const delays = [500, 1000, 2000, 4000, 8000, 15_000, 15_000];
    for (const [i, delay] of delays.entries()) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(stub.calls.watches, `watch ${i + 2} must wait ${delay} ms`).toBe(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(stub.calls.watches).toBe(i + 2);
    }
    // The last watch closed at once too: its retry (at the cap) is scheduled.
    expect(retries(lines).map((l) => l.retryInMs)).toEqual([...delays, 15_000]);
    expect(retries(lines).every((l) => (l.error as { message: string }).message === 'watch closed immediately by the server')).toBe(true);
    expect(informer.stats()).toMatchObject({ errors: delays.length + 1, lists: 1, watches: delays.length + 1 });
    // Every watch resumed from the listed resourceVersion: no relist storm either.
    expect(stub.calls.lists).toBe(1);
    expect(new Set(stub.calls.watchResourceVersions)).toEqual(new Set(['10']));
  });

  it('a watch that delivers an event resets the backoff', async () => {
    // close-at-once ×3 (0.5, 1, 2 s), one event then close (progress: re-watch at once), close-at-once again → 0.5 s.
    const stub = stubClient({ listFailures: 0, watches: ['close-at-once', 'close-at-once', 'close-at-once', 'one-event-then-close', 'close-at-once', 'block'] });
    const { logger, lines } = logCapture();
    const seen: string[] = [];
    const informer = start(stub, logger, (type, obj) => seen.push(`${type} ${obj.metadata?.resourceVersion}`));

    await vi.advanceTimersByTimeAsync(500 + 1000 + 2000);
    // Watch 4 delivered an event and closed; watch 5 followed at once and closed at once.
    expect(stub.calls.watches).toBe(5);
    expect(seen).toEqual(['ADDED 10', 'MODIFIED 14']);
    expect(stub.calls.watchResourceVersions.at(-1)).toBe('14');
    await vi.advanceTimersByTimeAsync(499);
    expect(stub.calls.watches).toBe(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(stub.calls.watches).toBe(6);
    expect(retries(lines).map((l) => l.retryInMs)).toEqual([500, 1000, 2000, 500]);
    expect(informer.stats().errors).toBe(4);
  });
});
