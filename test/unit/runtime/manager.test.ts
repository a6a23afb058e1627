// The Manager's lifecycle without leader election (always leading): order of start and stop,
// leader work draining before shared runnables stop, readiness from synced runnables, failures.
import { describe, expect, it } from 'vitest';
import { Manager, RunnableFailedError, type Runnable } from '../../../operator/runtime/manager.js';
import { createMetrics } from '../../../operator/runtime/metrics.js';
import { silentLogger } from '../../../operator/runtime/logger.js';

function recorder(log: string[], name: string, needLeaderElection: boolean, drainTicks = 0): Runnable {
  return {
    name,
    needLeaderElection,
    start: async (signal) => {
      log.push(`${name} started`);
      await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      for (let i = 0; i < drainTicks; i++) await new Promise((r) => setImmediate(r));
      log.push(`${name} stopped`);
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Manager without leader election', () => {
  it('starts everything at once, and on abort stops leader work first, shared runnables after', async () => {
    const log: string[] = [];
    const metrics = createMetrics({ defaultMetrics: false });
    const m = new Manager({ logger: silentLogger(), metrics });
    m.add(recorder(log, 'informer', false));
    m.add(recorder(log, 'controller', true, 5));
    const abort = new AbortController();
    const done = m.start(abort.signal);
    await tick();
    expect(log.sort()).toEqual(['controller started', 'informer started']);
    expect(m.isLeader()).toBe(true);
    expect((await metrics.leader.get()).values[0]?.value).toBe(1);
    log.length = 0;
    abort.abort();
    await done;
    // The controller drained for several ticks, yet the informer (its cache) outlived it.
    expect(log).toEqual(['controller stopped', 'informer stopped']);
    expect(m.isLeader()).toBe(false);
    expect((await metrics.leader.get()).values[0]?.value).toBe(0);
  });

  it('names the runnables still running (what a slow shutdown waits for), none once stopped', async () => {
    const log: string[] = [];
    const m = new Manager({ logger: silentLogger() });
    m.add(recorder(log, 'informer', false));
    m.add(recorder(log, 'controller', true, 5));
    expect(m.running()).toEqual([]);
    const abort = new AbortController();
    const done = m.start(abort.signal);
    await tick();
    expect(m.running().sort()).toEqual(['controller', 'informer']);
    abort.abort();
    await tick();
    // The controller drains for 5 ticks; the informer (started first) waits for it.
    expect(log).not.toContain('controller stopped');
    expect(m.running()).toEqual(['informer', 'controller']);
    await done;
    expect(m.running()).toEqual([]);
  });

  it('is ready only when every runnable with hasSynced() has synced', async () => {
    const m = new Manager({ logger: silentLogger() });
    let synced = false;
    m.add({ ...recorder([], 'informer/things', false), hasSynced: () => synced });
    m.addReadyCheck('custom', () => true);
    expect(m.readiness()).toEqual({ ready: false, checks: { 'informer/things synced': false, custom: true } });
    synced = true;
    expect(m.readiness()).toEqual({ ready: true, checks: { 'informer/things synced': true, custom: true } });
  });

  it('starts leader-only caches with the leader work and stops them after it, so the work drains against them', async () => {
    const log: string[] = [];
    const m = new Manager({ logger: silentLogger() });
    m.add({ ...recorder(log, 'cache', true), isCache: true });
    m.add(recorder(log, 'controller', true, 5));
    m.add(recorder(log, 'health', false));
    const abort = new AbortController();
    const done = m.start(abort.signal);
    await tick();
    expect(log.sort()).toEqual(['cache started', 'controller started', 'health started']);
    log.length = 0;
    abort.abort();
    await done;
    expect(log).toEqual(['controller stopped', 'cache stopped', 'health stopped']);
  });

  it('counts a leader-only cache in readiness only while leading: a standby holds none and is ready', async () => {
    const m = new Manager({ logger: silentLogger() });
    let synced = false;
    m.add({ ...recorder([], 'informer/things', true), isCache: true, hasSynced: () => synced });
    expect(m.isLeader()).toBe(false);
    expect(m.readiness()).toEqual({ ready: true, checks: { 'informer/things synced': true } });
    const abort = new AbortController();
    const done = m.start(abort.signal); // no election: it leads at once
    await tick();
    expect(m.isLeader()).toBe(true);
    expect(m.readiness()).toEqual({ ready: false, checks: { 'informer/things synced': false } });
    synced = true;
    expect(m.readiness().ready).toBe(true);
    abort.abort();
    await done;
  });

  it('a failing runnable stops the others and start() rejects with RUNNABLE_FAILED', async () => {
    const log: string[] = [];
    const m = new Manager({ logger: silentLogger() });
    m.add(recorder(log, 'informer', false));
    m.add(recorder(log, 'controller', true));
    m.add({ name: 'broken', needLeaderElection: false, start: async () => Promise.reject(new Error('port in use')) });
    const err = await m.start(new AbortController().signal).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RunnableFailedError);
    expect(err).toMatchObject({ code: 'RUNNABLE_FAILED', runnable: 'broken', message: 'runnable broken failed: port in use' });
    expect(log).toContain('controller stopped');
    expect(log).toContain('informer stopped');
  });

  it('refuses runnables added after start, and a second start', async () => {
    const m = new Manager({ logger: silentLogger() });
    const abort = new AbortController();
    const done = m.start(abort.signal);
    expect(() => m.add(recorder([], 'late', false))).toThrow(/after the manager started/);
    await expect(m.start(abort.signal)).rejects.toThrow(/twice/);
    abort.abort();
    await done;
  });
});
