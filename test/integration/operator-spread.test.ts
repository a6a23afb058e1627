// 200 tenants with interval 2h get CronJob schedules spread over at least 40 distinct minutes, and an
// operator restart gives every tenant the same schedule again without rewriting anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1CronJob } from '@kubernetes/client-node';
import { intervalCron } from '../../operator/reconcile/schedule.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, isReadyNow, testClient, waitFor, type StoredTenantSync } from './operator-helpers.js';

const client = testClient();
const tenants = 200;
let ns: TestNamespace;
let operator: OperatorProcess | undefined;

const start = () =>
  startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-spread', logLevel: 'info' });

async function schedules(): Promise<Map<string, string>> {
  const list = await client.list<V1CronJob>('batch/v1', 'CronJob', { namespace: ns.name });
  return new Map(list.items.map((cj) => [cj.metadata?.name ?? '', cj.spec?.schedule ?? '']));
}

async function tenantSyncs(): Promise<Map<string, StoredTenantSync>> {
  const list = await client.list<StoredTenantSync>('tenantsync.io/v1alpha1', 'TenantSync', { namespace: ns.name });
  return new Map(list.items.map((ts) => [ts.metadata.name, ts]));
}

async function allReady(): Promise<boolean> {
  const list = await client.list<StoredTenantSync>('tenantsync.io/v1alpha1', 'TenantSync', { namespace: ns.name });
  return list.items.length === tenants && list.items.every(isReadyNow);
}

let lastWrites = -1;
let quietPolls = 0;
/** True once the queue is empty and the count of writes other than Lease renewals has not moved for three polls in a row. */
async function settled(): Promise<boolean> {
  const depth = (await operator?.metric('tenantsync_workqueue_depth')) ?? 0;
  // Lease renewals are writes too, every few seconds: only the tenants' writes must have stopped.
  const writes =
    ((await operator?.metric('tenantsync_kube_write_requests_total')) ?? 0) -
    ((await operator?.metric('tenantsync_kube_write_requests_total', { resource: 'leases' })) ?? 0);
  quietPolls = depth === 0 && writes === lastWrites ? quietPolls + 1 : 0;
  lastWrites = writes;
  return quietPolls >= 3;
}

beforeAll(async () => {
  ns = await createTestNamespace('op-spread');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operator = await start();
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

describe('schedule spread', () => {
  it('spreads 200 tenants with interval 2h over at least 40 minutes, the same after a restart', { timeout: 600_000 }, async () => {
    const names = Array.from({ length: tenants }, (_, i) => `tenant-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(names.slice(i, i + 20).map((name) => createTenantSync(client, ns.name, name, { interval: '2h' })));
    }
    await waitFor('all 200 TenantSyncs Ready', allReady, 300_000, 2_000);
    const first = await schedules();
    expect(first.size).toBe(tenants);
    for (const name of names) expect(first.get(name)).toBe(intervalCron(7200, ns.name, name));
    const minutes = new Set([...first.values()].map((cron) => cron.split(' ')[0]));
    expect(minutes.size).toBeGreaterThanOrEqual(40);
    // Every run of a tenant is exactly 2 h apart: minute M at every other hour, offset within the step.
    for (const cron of first.values()) expect(cron).toMatch(/^\d{1,2} [01]-23\/2 \* \* \*$/);

    // Restart: the new process derives the same schedules and finds nothing to write. The only exception is a
    // run the CronJob controller started meanwhile (minute M of an even hour): its Job and status.lastScheduleTime
    // are a change. A run time that merely passed is not (status.nextRunTime follows the CronJob, not the clock).
    // Let the first operator settle before stopping it: on a loaded machine a pass may still be retrying a
    // transient error or a status conflict after every tenant reads Ready.
    await waitFor('the first operator to settle (empty queue, no tenant writes for 3 s)', settled, 120_000, 1_000);
    const exit = await operator?.stop();
    expect(exit?.code).toBe(0);
    const before = await tenantSyncs();
    operator = await start();
    await waitFor('the new operator to reconcile every tenant', async () => ((await operator?.metric('tenantsync_reconcile_total')) ?? 0) >= tenants, 300_000, 1_000);
    expect(await schedules()).toEqual(first);
    const writes = (await operator?.metric('tenantsync_kube_write_requests_total')) ?? -1;
    const leaseWrites = (await operator?.metric('tenantsync_kube_write_requests_total', { resource: 'leases' })) ?? 0;
    const after = await tenantSyncs();
    // A started run shows in lastScheduleTime or, when the Job was seen before the CronJob's status, in the run queue.
    const runs = (ts: StoredTenantSync | undefined) => JSON.stringify([ts?.status?.lastScheduleTime, ts?.status?.activeRun, ts?.status?.waitingRuns]);
    const started = names.filter((name) => runs(after.get(name)) !== runs(before.get(name)));
    const rewritten = names.filter((name) => after.get(name)?.metadata.resourceVersion !== before.get(name)?.metadata.resourceVersion);
    const unexpected = rewritten.filter((name) => !started.includes(name));
    const what = unexpected.map((name) => `${name}: ${JSON.stringify(before.get(name)?.status)} -> ${JSON.stringify(after.get(name)?.status)}`);
    expect(unexpected, `TenantSyncs rewritten after the restart though the CronJob started no run\n${what.join('\n')}`).toEqual([]);
    if (started.length === 0) expect(writes - leaseWrites).toBe(0);
  });
});
