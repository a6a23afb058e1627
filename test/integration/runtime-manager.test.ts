// The Manager on a real API server: shared runnables (informer, health server) on every replica,
// leader-only runnables on the leader; /healthz, /readyz and /metrics; graceful shutdown drains the
// leader's work while it still holds the Lease, then releases it; a failing runnable stops all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubeClient } from '../../operator/kube/client.js';
import { HealthServer } from '../../operator/runtime/health-server.js';
import { Informer } from '../../operator/runtime/informer.js';
import type { LeaseObject } from '../../operator/runtime/leader-election.js';
import { createLogger } from '../../operator/runtime/logger.js';
import { Manager, RunnableFailedError, type Runnable } from '../../operator/runtime/manager.js';
import { countKubeWrites, createMetrics, type OperatorMetrics } from '../../operator/runtime/metrics.js';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '../controlplane/test-kube.js';

const logger = createLogger({ level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });

async function waitFor(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Replica {
  manager: Manager;
  metrics: OperatorMetrics;
  health: HealthServer;
  abort: AbortController;
  done: Promise<void>;
  /** What the leader-only runnable did, in order. */
  log: string[];
  url: (path: string) => string;
}

describe('runtime: manager, health server and metrics', () => {
  let ns: TestNamespace;
  let client: KubeClient;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    ns = await createTestNamespace('rt-manager');
    client = new KubeClient({ kubeConfig: testKubeConfig() });
  });
  afterAll(async () => {
    for (const r of replicas) r.abort.abort();
    await Promise.allSettled(replicas.map((r) => r.done));
    await ns?.cleanup();
    await client?.close();
  });

  const readLease = (name: string) => client.get<LeaseObject>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns.name, name });

  async function replica(identity: string, lease: string, extra: { informerPlural?: string; runnables?: Runnable[] } = {}): Promise<Replica> {
    const metrics = createMetrics();
    const kube = new KubeClient({ kubeConfig: testKubeConfig(), onWrite: countKubeWrites(metrics) });
    const manager = new Manager({
      logger,
      metrics,
      leaderElection: { client: kube, namespace: ns.name, name: lease, identity, leaseDurationSeconds: 6, renewDeadlineSeconds: 4, retryPeriodSeconds: 1 },
    });
    const informer = new Informer<V1ConfigMap>({
      client: kube,
      apiVersion: extra.informerPlural ? 'tenantsync.io/v1alpha1' : 'v1',
      plural: extra.informerPlural ?? 'configmaps',
      namespaces: [ns.name],
      logger,
    });
    const health = new HealthServer({ address: '127.0.0.1:0', registry: metrics.registry, readiness: () => manager.readiness(), logger });
    const log: string[] = [];
    manager.add(informer);
    manager.add(health);
    manager.add({
      name: 'writer',
      needLeaderElection: true,
      start: async (signal) => {
        log.push('started');
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        // Drain: the last write of a leader happens while it still holds the Lease.
        const holder = (await readLease(lease))?.spec?.holderIdentity;
        log.push(`draining (lease held by ${holder})`);
        await new Promise((r) => setTimeout(r, 500));
        log.push('drained');
      },
    });
    for (const r of extra.runnables ?? []) manager.add(r);
    const abort = new AbortController();
    const done = manager.start(abort.signal).finally(() => kube.close());
    await health.whenListening();
    const r: Replica = { manager, metrics, health, abort, done, log, url: (p) => `http://127.0.0.1:${health.port()}${p}` };
    replicas.push(r);
    return r;
  }

  const leaderGauge = async (r: Replica) => (await r.metrics.leader.get()).values[0]?.value;

  it('every replica is healthy and ready; only the leader runs leader runnables; metrics say who leads', async () => {
    const a = await replica('mgr-a', 'manager-lease');
    const b = await replica('mgr-b', 'manager-lease');
    await waitFor('one leader', 30_000, () => a.manager.isLeader() || b.manager.isLeader());
    const [leader, standby] = a.manager.isLeader() ? [a, b] : [b, a];
    await waitFor('leader runnable started', 10_000, () => leader.log.includes('started'));

    for (const r of [leader, standby]) {
      expect((await fetch(r.url('/healthz'))).status).toBe(200);
      expect((await fetch(r.url('/livez'))).status).toBe(200);
      await waitFor('ready', 30_000, async () => (await fetch(r.url('/readyz'))).status === 200);
    }
    expect(standby.log).toEqual([]);
    expect(standby.manager.isLeader()).toBe(false);
    expect(await leaderGauge(leader)).toBe(1);
    expect(await leaderGauge(standby)).toBe(0);

    const text = await (await fetch(leader.url('/metrics'))).text();
    expect(text).toContain('tenantsync_leader 1');
    expect(text).toMatch(/tenantsync_kube_write_requests_total\{verb="(create|update)",resource="leases"\} \d+/);
    expect(text).toContain('process_cpu_user_seconds_total'); // default metrics
    expect((await fetch(standby.url('/metrics'))).status).toBe(200);
    expect((await fetch(leader.url('/nope'))).status).toBe(404);

    // Graceful shutdown of the leader: its work drains while it still holds the Lease, then it releases it.
    leader.abort.abort();
    await leader.done;
    expect(leader.log).toEqual(['started', `draining (lease held by ${leader.manager.identity})`, 'drained']);
    expect(leader.manager.isLeader()).toBe(false);
    expect(await leaderGauge(leader)).toBe(0);
    await waitFor('the standby takes over and starts its leader runnables', 30_000, () => standby.log.includes('started'));
    expect((await readLease('manager-lease'))?.spec?.holderIdentity).toBe(standby.manager.identity);
    // The stopped replica's server is closed.
    await expect(fetch(leader.url('/healthz'))).rejects.toThrow();
  });

  it('is not ready while an informer has not synced, and says which', async () => {
    // A kind the API server does not serve: the informer keeps retrying and never syncs.
    const r = await replica('mgr-unsynced', 'unsynced-lease', { informerPlural: 'doesnotexists' });
    await waitFor('leader', 30_000, () => r.manager.isLeader());
    const answer = await fetch(r.url('/readyz'));
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ ready: false, checks: { 'informer/doesnotexists synced': false } });
    expect((await fetch(r.url('/healthz'))).status).toBe(200); // alive: do not restart it
    r.abort.abort();
    await r.done;
  });

  it('a runnable that fails stops the whole manager, which rejects with RUNNABLE_FAILED after draining', async () => {
    const r = await replica('mgr-fail', 'fail-lease', {
      runnables: [
        {
          name: 'broken',
          needLeaderElection: true,
          start: async () => {
            await new Promise((res) => setTimeout(res, 200));
            throw new Error('cannot continue');
          },
        },
      ],
    });
    const err = await r.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunnableFailedError);
    expect(err).toMatchObject({ code: 'RUNNABLE_FAILED', runnable: 'broken' });
    expect(r.log).toEqual(['started', 'draining (lease held by mgr-fail)', 'drained']);
    expect((await readLease('fail-lease'))?.spec?.holderIdentity).toBeFalsy(); // released
  });
});
