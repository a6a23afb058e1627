// The generic controller: watches map events to keys, every object is reconciled once the caches have
// synced, requeue-after and error backoff come from the reconciler's result, one key never runs on two
// workers at once, and each reconcile is counted (result, errors, duration) with the queue depth (fake timers).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Controller, type ReconcileResult } from '../../../operator/runtime/controller.js';
import { silentLogger } from '../../../operator/runtime/logger.js';
import { createMetrics, type OperatorMetrics } from '../../../operator/runtime/metrics.js';
import { sumMetric } from '../../support/operator-process.js';
import { FakeCache, FakeClient } from '../controller/fakes.js';

type Thing = { metadata: { name: string; namespace: string; annotations?: Record<string, string> } };

/** Lets queued promise callbacks run (fake timers do not advance on their own). */
const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

let client: FakeClient;
let things: FakeCache<Thing>;
let parts: FakeCache<Thing>;
let abort: AbortController;
let metrics: OperatorMetrics;
const thing = (name: string, annotations?: Record<string, string>): Thing => ({ metadata: { name, namespace: 'ns', ...(annotations ? { annotations } : {}) } });
const scrape = async (name: string, labels?: Record<string, string>) => sumMetric(await metrics.registry.metrics(), name, labels);

/** A controller of Things, whose Parts enqueue the Thing their `owner` annotation names. */
function controllerOf(reconcile: (key: string) => Promise<ReconcileResult>, workers = 1): Controller {
  return new Controller({ name: 'things', reconciler: { reconcile }, logger: silentLogger(), metrics, workers })
    .for(things)
    .watches(parts, (_type, part) => (part.metadata.annotations?.owner ? `ns/${part.metadata.annotations.owner}` : undefined));
}

beforeEach(() => {
  vi.useFakeTimers();
  client = new FakeClient();
  things = new FakeCache<Thing>(client, 'Thing');
  parts = new FakeCache<Thing>(client, 'Part');
  abort = new AbortController();
  metrics = createMetrics({ defaultMetrics: false });
});
afterEach(() => {
  abort.abort();
  vi.useRealTimers();
});

describe('Controller', () => {
  it('reconciles every cached object at start, then the keys that events map to', async () => {
    client.seed({ kind: 'Thing', ...thing('a') });
    client.seed({ kind: 'Thing', ...thing('b') });
    const seen: string[] = [];
    const controller = controllerOf(async (key) => void seen.push(key));
    const running = controller.start(abort.signal);
    await flush();
    expect(seen.sort()).toEqual(['ns/a', 'ns/b']);
    parts.emit('MODIFIED', thing('p1', { owner: 'a' }));
    parts.emit('ADDED', thing('p2'));
    things.emit('DELETED', thing('c'));
    await flush();
    expect(seen.slice(2)).toEqual(['ns/a', 'ns/c']);
    abort.abort();
    await running;
  });

  it('reconciles a change made while the start-up backlog is worked through before the rest of that backlog', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) client.seed({ kind: 'Thing', ...thing(name) });
    const seen: string[] = [];
    let hold: (() => void) | undefined;
    const controller = controllerOf(async (key) => {
      seen.push(key);
      if (seen.length === 1) await new Promise<void>((resolve) => (hold = resolve));
    });
    // The first list tells every object (low priority), as after a start or a failover.
    for (const name of ['a', 'b', 'c', 'd', 'e']) things.emit('ADDED', thing(name), 'initial-list');
    expect(controller.queue.depth).toBe(5);
    const running = controller.start(abort.signal);
    await flush();
    expect(seen).toEqual(['ns/a']);
    // While the first start-up pass runs: a person edits d, and a resync tells b again.
    things.emit('MODIFIED', thing('d'));
    things.emit('MODIFIED', thing('b'), 'resync');
    hold?.();
    await flush();
    expect(seen).toEqual(['ns/a', 'ns/d', 'ns/b', 'ns/c', 'ns/e']);
    abort.abort();
    await running;
  });

  it('does not start work before every watched or read cache has synced', async () => {
    let synced!: (ok: boolean) => void;
    const lagging = new FakeCache<Thing>(client, 'Other');
    lagging.waitForSync = () => new Promise<boolean>((resolve) => (synced = resolve));
    client.seed({ kind: 'Thing', ...thing('a') });
    const seen: string[] = [];
    const controller = controllerOf(async (key) => void seen.push(key)).reads(lagging);
    const running = controller.start(abort.signal);
    await flush();
    expect(seen).toEqual([]);
    synced(true);
    await flush();
    expect(seen).toEqual(['ns/a']);
    abort.abort();
    await running;
  });

  it('reconciles again after the requeue-after the reconciler returned', async () => {
    const times: number[] = [];
    const controller = controllerOf(async () => {
      times.push(Date.now());
      return { requeueAfterMs: 30_000 };
    });
    const running = controller.start(abort.signal);
    const t0 = Date.now();
    controller.queue.add('ns/a');
    await flush();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(times.map((t) => t - t0)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times.map((t) => t - t0)).toEqual([0, 30_000]);
    abort.abort();
    await running;
  });

  it('retries a failing key with growing backoff (1 s, 2 s, 4 s) and resets it after a success', async () => {
    const times: number[] = [];
    let failures = 3;
    const controller = controllerOf(async () => {
      times.push(Date.now());
      if (failures-- > 0) throw new Error('etcd timeout');
    });
    const running = controller.start(abort.signal);
    const t0 = Date.now();
    controller.queue.add('ns/a');
    await flush();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times.map((t) => t - t0)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(controller.queue.failureCount('ns/a')).toBe(0);
    abort.abort();
    await running;
  });

  it('never hands one key to two workers at once, and re-runs it once after events during its reconcile', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const active = new Map<string, number>();
    let maxSameKey = 0;
    const seen: string[] = [];
    const controller = controllerOf(async (key) => {
      seen.push(key);
      active.set(key, (active.get(key) ?? 0) + 1);
      maxSameKey = Math.max(maxSameKey, active.get(key)!);
      if (seen.length === 1) await held;
      active.set(key, active.get(key)! - 1);
    }, 4);
    const running = controller.start(abort.signal);
    things.emit('ADDED', thing('a'));
    await flush();
    things.emit('MODIFIED', thing('a'));
    parts.emit('MODIFIED', thing('p', { owner: 'a' }));
    things.emit('ADDED', thing('b'));
    await flush();
    // b runs on another worker meanwhile; a waits for its first reconcile to end.
    expect(seen).toEqual(['ns/a', 'ns/b']);
    release();
    await flush();
    expect(seen).toEqual(['ns/a', 'ns/b', 'ns/a']);
    expect(maxSameKey).toBe(1);
    abort.abort();
    await running;
  });

  it('counts each reconcile by result (success, requeue, stalled, error), errors, durations and the queue depth', async () => {
    const results: Record<string, () => ReconcileResult> = {
      'ns/done': () => undefined,
      'ns/later': () => ({ requeueAfterMs: 60_000 }),
      'ns/stuck': () => ({ stalled: true }),
      'ns/stuck-polled': () => ({ stalled: true, requeueAfterMs: 60_000 }),
      'ns/broken': () => {
        throw new Error('boom');
      },
    };
    const controller = controllerOf(async (key) => results[key]!());
    for (const key of Object.keys(results)) controller.queue.add(key);
    controller.queue.add('ns/done');
    expect(await scrape('tenantsync_workqueue_depth')).toBe(5);
    const running = controller.start(abort.signal);
    await flush();
    abort.abort();
    await running;
    expect(await scrape('tenantsync_reconcile_total', { result: 'success' })).toBe(1);
    expect(await scrape('tenantsync_reconcile_total', { result: 'requeue' })).toBe(1);
    expect(await scrape('tenantsync_reconcile_total', { result: 'stalled' })).toBe(2);
    expect(await scrape('tenantsync_reconcile_total', { result: 'error' })).toBe(1);
    expect(await scrape('tenantsync_reconcile_errors_total')).toBe(1);
    expect(await scrape('tenantsync_reconcile_duration_seconds_count')).toBe(5);
    expect(await scrape('tenantsync_workqueue_depth')).toBe(0);
    // Requeues and the backoff retry wait on timers, not in the queue.
    expect(controller.queue.delayedCount).toBe(3);
  });
});
