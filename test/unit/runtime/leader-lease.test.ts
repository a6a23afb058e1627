// Leadership against a stub Lease store under fake timers: lease timing uses a monotonic clock (a wall
// clock that jumps an hour does not let a standby steal a live Lease), and a leader that loses the
// Lease stops writing at once (the write signal aborts before its work has drained) and then drops its
// per-tenant gauges so a stale replica cannot fire alerts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../operator/kube/clock.js';
import { KubeApiError } from '../../../operator/kube/errors.js';
import { LeaderElector, type LeaseObject } from '../../../operator/runtime/leader-election.js';
import { silentLogger } from '../../../operator/runtime/logger.js';
import { Manager } from '../../../operator/runtime/manager.js';
import { createMetrics, dropTenantGauges, setTenantGauges } from '../../../operator/runtime/metrics.js';

/** One Lease with optimistic concurrency, like the API server stores it. */
function leaseStore() {
  let lease: LeaseObject | undefined;
  let rv = 1;
  const conflict = () => new KubeApiError({ code: 'KUBE_CONFLICT', message: 'conflict', method: 'PUT', path: '/', statusCode: 409 });
  const store = (obj: LeaseObject) => {
    lease = structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(++rv) } });
    return structuredClone(lease);
  };
  return {
    writes: 0,
    holder: () => lease?.spec?.holderIdentity,
    /** Another replica writes the Lease (takes it over). */
    takeOver(identity: string) {
      store({ ...lease!, spec: { ...lease!.spec, holderIdentity: identity, renewTime: new Date().toISOString() } });
    },
    seed(spec: LeaseObject['spec']) {
      store({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l', namespace: 'ns' }, spec });
    },
    client: {
      get: async () => (lease === undefined ? undefined : structuredClone(lease)),
      create: async function (this: void, obj: LeaseObject) {
        if (lease) throw new KubeApiError({ code: 'KUBE_ALREADY_EXISTS', message: 'exists', method: 'POST', path: '/', statusCode: 409 });
        return store(obj);
      },
      replace: async (obj: LeaseObject) => {
        if (obj.metadata.resourceVersion !== lease?.metadata.resourceVersion) throw conflict();
        return store(obj);
      },
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  vi.spyOn(Math, 'random').mockReturnValue(0);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('lease timing', () => {
  it('a wall-clock jump does not make a live Lease look expired to a standby', async () => {
    const lease = leaseStore();
    lease.seed({ holderIdentity: 'leader', leaseDurationSeconds: 15, renewTime: '2025-01-01T00:00:00.000000Z', leaseTransitions: 0 });
    const wall = new FakeClock('2025-01-01T00:00:01Z');
    let monotonic = 1_000;
    const elector = new LeaderElector({
      client: lease.client as never,
      namespace: 'ns',
      name: 'l',
      identity: 'standby',
      logger: silentLogger(),
      clock: wall,
      monotonicMs: () => monotonic,
    });
    const stop = new AbortController();
    const started = vi.fn(async () => undefined);
    const running = elector.run(stop.signal, { onStartedLeading: started });
    await vi.advanceTimersByTimeAsync(0);
    // An NTP step / VM resume moves the wall clock an hour on; only 4 s really pass.
    wall.advance(3_600_000);
    for (let i = 0; i < 2; i++) {
      monotonic += 2_000;
      await vi.advanceTimersByTimeAsync(2_000);
    }
    expect(lease.holder()).toBe('leader');
    expect(started).not.toHaveBeenCalled();
    // 15 s of real (monotonic) time without a renewal: now it is expired and taken over.
    for (let i = 0; i < 6; i++) {
      monotonic += 2_000;
      await vi.advanceTimersByTimeAsync(2_000);
    }
    expect(lease.holder()).toBe('standby');
    stop.abort();
    await vi.runOnlyPendingTimersAsync();
    await running;
  });
});

describe('losing the Lease', () => {
  it('aborts the write signal at once, and drops the per-tenant gauges once the leader work has stopped', async () => {
    const lease = leaseStore();
    const metrics = createMetrics({ defaultMetrics: false });
    const tenant = { namespace: 'tenants', name: 'acme' };
    let monotonic = 0;
    const manager = new Manager({
      logger: silentLogger(),
      metrics,
      onStoppedLeading: () => dropTenantGauges(metrics),
      leaderElection: { client: lease.client as never, namespace: 'ns', name: 'l', identity: 'me', monotonicMs: () => monotonic },
    });
    let releaseWork: () => void = () => undefined;
    const workStopped = new Promise<void>((r) => (releaseWork = r));
    manager.add({
      name: 'controller',
      needLeaderElection: true,
      start: async (signal) => {
        setTenantGauges(metrics, tenant, { lastSuccessSeconds: 1, intervalSeconds: 7200, consecutiveFailures: 3 });
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        await workStopped; // an in-flight reconcile still draining
      },
    });
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(manager.isLeader()).toBe(true);
    const writes = manager.leadershipSignal();
    expect(writes.aborted).toBe(false);

    lease.takeOver('other');
    monotonic += 2_000;
    await vi.advanceTimersByTimeAsync(2_000);
    // Lost: the writes stop now, while the controller is still draining.
    expect(writes.aborted).toBe(true);
    expect(manager.leadershipSignal().aborted).toBe(true);
    expect((await metrics.tenantConsecutiveFailures.get()).values).toHaveLength(1);

    releaseWork();
    await vi.advanceTimersByTimeAsync(0);
    expect(manager.isLeader()).toBe(false);
    for (const gauge of [metrics.tenantConsecutiveFailures, metrics.tenantLastSuccessTimestampSeconds, metrics.tenantIntervalSeconds]) {
      expect((await gauge.get()).values).toEqual([]);
    }
    stop.abort();
    await vi.runOnlyPendingTimersAsync();
    await running;
  });

  it('on shutdown keeps the write signal open while the leader work drains', async () => {
    const lease = leaseStore();
    const manager = new Manager({ logger: silentLogger(), leaderElection: { client: lease.client as never, namespace: 'ns', name: 'l', identity: 'me' } });
    let abortedWhileDraining: boolean | undefined;
    manager.add({
      name: 'controller',
      needLeaderElection: true,
      start: async (signal) => {
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        abortedWhileDraining = manager.leadershipSignal().aborted;
      },
    });
    const stop = new AbortController();
    const running = manager.start(stop.signal);
    await vi.advanceTimersByTimeAsync(0);
    stop.abort();
    await vi.runOnlyPendingTimersAsync();
    await running;
    expect(abortedWhileDraining).toBe(false);
    expect(manager.leadershipSignal().aborted).toBe(true);
  });
});

describe('releasing the Lease', () => {
  it('releases it on shutdown even when a renewal whose answer was lost had reached the API server', async () => {
    const lease = leaseStore();
    const replace = lease.client.replace;
    let loseAnswer = false;
    // The renewal is stored, but its answer never arrives (a request the shutdown cancelled in flight).
    lease.client.replace = async (obj: LeaseObject) => {
      const stored = await replace(obj);
      if (loseAnswer) {
        loseAnswer = false;
        throw new DOMException('This operation was aborted', 'AbortError');
      }
      return stored;
    };
    const elector = new LeaderElector({ client: lease.client as never, namespace: 'ns', name: 'l', identity: 'me', logger: silentLogger(), retryPeriodSeconds: 1 });
    const stop = new AbortController();
    const running = elector.run(stop.signal, { onStartedLeading: (leading) => new Promise<void>((r) => leading.addEventListener('abort', () => r(), { once: true })) });
    await vi.advanceTimersByTimeAsync(0);
    expect(lease.holder()).toBe('me');
    loseAnswer = true;
    await vi.advanceTimersByTimeAsync(1_000); // one renewal: stored, answer lost
    expect(loseAnswer).toBe(false);
    stop.abort();
    await vi.runOnlyPendingTimersAsync();
    await running;
    // Released (no holder), not left to expire: a standby takes over at once.
    expect(lease.holder()).toBeNull();
  });
});
