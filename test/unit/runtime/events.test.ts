// Event deduplication: the same object + type + reason + message joins one Event's series (count
// written at most once per interval) instead of a new Event per reconcile; different ones do not.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../operator/kube/clock.js';
import { KubeApiError } from '../../../operator/kube/errors.js';
import { EventRecorder, decideEvent, truncateUtf8, type EventSeriesState } from '../../../operator/kube/events.js';

const cfg = { dedupeWindowMs: 600_000, seriesUpdateIntervalMs: 60_000 };
const state = (over: Partial<EventSeriesState> = {}): EventSeriesState => ({
  namespace: 'ns', name: 'e', count: 1, writtenCount: 1, lastSeenMs: 0, lastWrittenMs: 0, ...over,
});

describe('decideEvent', () => {
  it('creates the first Event', () => expect(decideEvent(undefined, 0, cfg)).toBe('create'));
  it('only counts a repeat within the series update interval', () => expect(decideEvent(state(), 59_999, cfg)).toBe('count-only'));
  it('writes the series once the interval has passed', () => expect(decideEvent(state(), 60_000, cfg)).toBe('update-series'));
  it('starts a new Event when the last occurrence is older than the dedupe window', () =>
    expect(decideEvent(state({ lastSeenMs: 0, lastWrittenMs: 0 }), 600_001, cfg)).toBe('create'));
  it('the window slides with each occurrence', () =>
    expect(decideEvent(state({ lastSeenMs: 500_000, lastWrittenMs: 500_000 }), 1_000_000, cfg)).toBe('update-series'));
});

type Call = { verb: 'create' | 'patch'; name: string; body: Record<string, unknown> };
function fakeClient(opts: { patchNotFound?: boolean } = {}) {
  const calls: Call[] = [];
  return {
    calls,
    client: {
      create: async <T>(obj: T): Promise<T> => {
        const o = obj as unknown as { metadata: { name: string } } & Record<string, unknown>;
        calls.push({ verb: 'create', name: o.metadata.name, body: o });
        return obj;
      },
      mergePatch: async <T>(ref: { name: string }, patch: unknown): Promise<T> => {
        calls.push({ verb: 'patch', name: ref.name, body: patch as Record<string, unknown> });
        if (opts.patchNotFound) {
          throw new KubeApiError({ code: 'KUBE_NOT_FOUND', message: 'gone', method: 'PATCH', path: '/x', statusCode: 404 });
        }
        return {} as T;
      },
    },
  };
}
const tenant = { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', metadata: { namespace: 'team-a', name: 'acme', uid: 'u-1', resourceVersion: '7' } };

describe('EventRecorder', () => {
  it('turns 100 identical records within a minute into one Event, then one series update per interval', async () => {
    const clock = new FakeClock(0);
    const { client, calls } = fakeClient();
    const rec = new EventRecorder({ client, controller: 'tenantsync.io/operator', instance: 'pod-1', clock });
    for (let i = 0; i < 100; i++) {
      await rec.record(tenant, 'Warning', 'SecretNotFound', 'Secret acme-creds not found');
      clock.advance(500);
    }
    expect(calls.filter((c) => c.verb === 'create')).toHaveLength(1);
    // 100 occurrences over 50 s: no series write yet (interval 60 s).
    expect(calls.filter((c) => c.verb === 'patch')).toHaveLength(0);
    clock.advance(15_000);
    await rec.record(tenant, 'Warning', 'SecretNotFound', 'Secret acme-creds not found');
    const patches = calls.filter((c) => c.verb === 'patch');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.name).toBe(calls[0]!.name);
    expect(patches[0]!.body).toMatchObject({ series: { count: 101 } });
  });

  it('writes a complete events.k8s.io/v1 Event about the object', async () => {
    const { client, calls } = fakeClient();
    const rec = new EventRecorder({ client, controller: 'tenantsync.io/operator', instance: 'pod-1', clock: new FakeClock('2025-03-01T00:00:00Z') });
    await rec.record(tenant, 'Normal', 'CronJobCreated', 'created CronJob acme-sync', { action: 'Apply' });
    expect(calls[0]!.body).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { namespace: 'team-a' },
      eventTime: '2025-03-01T00:00:00.000000Z',
      reportingController: 'tenantsync.io/operator',
      reportingInstance: 'pod-1',
      action: 'Apply',
      reason: 'CronJobCreated',
      note: 'created CronJob acme-sync',
      type: 'Normal',
      regarding: { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: 'team-a', name: 'acme', uid: 'u-1' },
    });
    expect(calls[0]!.name).toMatch(/^acme\.[0-9a-f]+$/);
  });

  it('keeps different reasons, messages, types and objects apart', async () => {
    const { client, calls } = fakeClient();
    const rec = new EventRecorder({ client, controller: 'c', instance: 'i', clock: new FakeClock(0) });
    await rec.record(tenant, 'Normal', 'A', 'm');
    await rec.record(tenant, 'Normal', 'B', 'm');
    await rec.record(tenant, 'Normal', 'A', 'm2');
    await rec.record(tenant, 'Warning', 'A', 'm');
    await rec.record({ ...tenant, metadata: { ...tenant.metadata, name: 'other', uid: 'u-2' } }, 'Normal', 'A', 'm');
    await rec.record(tenant, 'Normal', 'A', 'm');
    expect(calls.map((c) => c.verb)).toEqual(['create', 'create', 'create', 'create', 'create']);
    expect(new Set(calls.map((c) => c.name)).size).toBe(5);
  });

  it('creates a new Event after the dedupe window of silence', async () => {
    const clock = new FakeClock(0);
    const { client, calls } = fakeClient();
    const rec = new EventRecorder({ client, controller: 'c', instance: 'i', clock });
    await rec.record(tenant, 'Normal', 'A', 'm');
    clock.advance(600_001);
    await rec.record(tenant, 'Normal', 'A', 'm');
    expect(calls.map((c) => c.verb)).toEqual(['create', 'create']);
  });

  it('starts a new Event when the series target expired on the server (404), and never throws', async () => {
    const clock = new FakeClock(0);
    const { client, calls } = fakeClient({ patchNotFound: true });
    const rec = new EventRecorder({ client, controller: 'c', instance: 'i', clock });
    await rec.record(tenant, 'Normal', 'A', 'm');
    clock.advance(120_000);
    await rec.record(tenant, 'Normal', 'A', 'm');
    expect(calls.map((c) => c.verb)).toEqual(['create', 'patch', 'create']);
    expect(calls[2]!.name).not.toBe(calls[0]!.name);
  });

  it('swallows write errors into onError (an Event must never fail a reconcile)', async () => {
    const errors: unknown[] = [];
    const rec = new EventRecorder({
      client: { create: async () => Promise.reject(new Error('apiserver down')), mergePatch: async () => ({}) as never },
      controller: 'c',
      instance: 'i',
      onError: (e) => errors.push(e),
    });
    await expect(rec.record(tenant, 'Warning', 'A', 'm')).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('cuts notes to the 1 kB the API accepts', async () => {
    const { client, calls } = fakeClient();
    const rec = new EventRecorder({ client, controller: 'c', instance: 'i' });
    await rec.record(tenant, 'Warning', 'InvalidSpec', 'é'.repeat(2000));
    expect(Buffer.byteLength(calls[0]!.body.note as string)).toBeLessThanOrEqual(1024);
    expect(truncateUtf8('short', 1024)).toBe('short');
  });

  describe('writes in the background, one at a time, in order', () => {
    /** A client whose writes wait until the test lets them finish; it records how many were in flight at once. */
    function gatedClient() {
      const started: string[] = [];
      const gates: (() => void)[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      const write = async (label: string) => {
        started.push(label);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise<void>((resolve) => gates.push(resolve));
        inFlight--;
      };
      return {
        started,
        release: async () => {
          gates.shift()?.();
          await new Promise((r) => setImmediate(r));
        },
        maxInFlight: () => maxInFlight,
        client: {
          create: async <T>(obj: T): Promise<T> => {
            await write(`create ${(obj as { reason: string }).reason}`);
            return obj;
          },
          mergePatch: async <T>(ref: { name: string }): Promise<T> => {
            await write(`patch ${ref.name.split('.')[0]}`);
            return {} as T;
          },
        },
      };
    }
    const settle = () => new Promise((r) => setImmediate(r));

    it('record() returns before the write is done, and the writes go out one after another in the order recorded', async () => {
      const clock = new FakeClock(0);
      const gated = gatedClient();
      const rec = new EventRecorder({ client: gated.client, controller: 'c', instance: 'i', clock, seriesUpdateIntervalMs: 0 });
      let firstDone = false;
      void rec.record(tenant, 'Normal', 'ChildrenCreated', 'm').then(() => (firstDone = true));
      clock.advance(1);
      void rec.record(tenant, 'Normal', 'ChildrenCreated', 'm'); // the same Event again: its series update
      void rec.record(tenant, 'Normal', 'Reconciled', 'ready');
      await settle();
      // Nothing waited for the API: the first write is in flight, the others queue behind it.
      expect(gated.started).toEqual(['create ChildrenCreated']);
      expect(firstDone).toBe(false);
      await gated.release();
      expect(firstDone).toBe(true);
      await gated.release();
      await gated.release();
      await rec.drain(5_000);
      // A series' create before its update, and never two writes at once.
      expect(gated.started).toEqual(['create ChildrenCreated', 'patch acme', 'create Reconciled']);
      expect(gated.maxInFlight()).toBe(1);
    });

    it('drops an Event beyond maxPending queued writes, says so through onError, and keeps the queued ones', async () => {
      const gated = gatedClient();
      const errors: unknown[] = [];
      const rec = new EventRecorder({ client: gated.client, controller: 'c', instance: 'i', maxPending: 2, onError: (e) => errors.push(e) });
      void rec.record(tenant, 'Normal', 'One', 'm');
      void rec.record(tenant, 'Normal', 'Two', 'm');
      await expect(rec.record(tenant, 'Normal', 'Three', 'm')).resolves.toBeUndefined();
      expect(String(errors[0])).toContain('2 Events are waiting to be written: this one is dropped');
      await gated.release();
      await gated.release();
      await rec.drain(5_000);
      expect(gated.started).toEqual(['create One', 'create Two']);
    });

    it('a failed write does not stop the ones queued after it', async () => {
      const errors: unknown[] = [];
      const created: string[] = [];
      const rec = new EventRecorder({
        client: {
          create: async <T>(obj: T): Promise<T> => {
            const reason = (obj as { reason: string }).reason;
            if (reason === 'Bad') throw new Error('apiserver said no');
            created.push(reason);
            return obj;
          },
          mergePatch: async () => ({}) as never,
        },
        controller: 'c',
        instance: 'i',
        onError: (e) => errors.push(e),
      });
      void rec.record(tenant, 'Normal', 'Bad', 'm');
      void rec.record(tenant, 'Normal', 'Good', 'm');
      await rec.drain(5_000);
      expect(created).toEqual(['Good']);
      expect(errors).toHaveLength(1);
    });

    it('drain() waits for the queue to empty, but no longer than it is given', async () => {
      const gated = gatedClient();
      const rec = new EventRecorder({ client: gated.client, controller: 'c', instance: 'i' });
      void rec.record(tenant, 'Normal', 'One', 'm');
      void rec.record(tenant, 'Normal', 'Two', 'm');
      const start = performance.now();
      // The write never finishes: drain gives up after 50 ms and tells what is left.
      expect(await rec.drain(50)).toEqual({ queued: 2, left: 2 });
      expect(performance.now() - start).toBeGreaterThanOrEqual(45);
      let drained = false;
      const draining = rec.drain(60_000).then((counts) => ((drained = true), counts));
      await settle();
      expect(drained).toBe(false);
      await gated.release();
      await settle();
      expect(drained).toBe(false); // the second write is under way
      await gated.release();
      expect(await draining).toEqual({ queued: 2, left: 0 });
      expect(drained).toBe(true);
    });
  });
  describe('yields to a reconcile backlog', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('holds its writes while reconciles are waiting and writes them once the backlog is gone, with the time they were recorded', async () => {
      const clock = new FakeClock('2026-12-05T10:00:00Z');
      const { client, calls } = fakeClient();
      let backlog = true;
      const rec = new EventRecorder({ client, controller: 'c', instance: 'i', clock, yieldWhile: () => backlog });
      let written = false;
      void rec.record(tenant, 'Normal', 'ChildrenCreated', 'created').then(() => (written = true));
      clock.advance(30_000);
      await sleep(300);
      expect(calls).toHaveLength(0);
      expect(written).toBe(false);
      backlog = false;
      await sleep(250);
      expect(written).toBe(true);
      expect(calls.map((c) => c.body.reason)).toEqual(['ChildrenCreated']);
      expect(calls[0]?.body.eventTime).toBe('2026-12-05T10:00:00.000000Z');
    });

    it('waits at most maxYieldMs after an Event was recorded, however long the backlog lasts', async () => {
      const { client, calls } = fakeClient();
      const rec = new EventRecorder({ client, controller: 'c', instance: 'i', yieldWhile: () => true, maxYieldMs: 200 });
      const start = performance.now();
      await rec.record(tenant, 'Warning', 'SecretNotFound', 'Secret acme-creds not found');
      expect(performance.now() - start).toBeGreaterThanOrEqual(190);
      expect(calls.map((c) => c.body.reason)).toEqual(['SecretNotFound']);
    });

    it('never yields without yieldWhile, and stops yielding while drain() runs (a stopping leader gets its Events out)', async () => {
      const plain = fakeClient();
      await new EventRecorder({ client: plain.client, controller: 'c', instance: 'i' }).record(tenant, 'Normal', 'One', 'm');
      expect(plain.calls).toHaveLength(1);
      const { client, calls } = fakeClient();
      const rec = new EventRecorder({ client, controller: 'c', instance: 'i', yieldWhile: () => true });
      void rec.record(tenant, 'Normal', 'Two', 'm');
      await sleep(150);
      expect(calls).toHaveLength(0);
      const start = performance.now();
      await rec.drain(5_000);
      expect(performance.now() - start).toBeLessThan(1_000);
      expect(calls.map((c) => c.body.reason)).toEqual(['Two']);
    });
  });
});
