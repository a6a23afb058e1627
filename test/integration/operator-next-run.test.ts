// status.nextRunTime follows the CronJob, not the clock, against the real CronJob controller: a run time that
// passes while the previous run is still active (concurrencyPolicy Forbid; no kubelet here, so its pod never
// starts) starts no Job, so the TenantSync keeps that time as its next run — overdue, shown as it is — and the
// operator writes nothing for it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, getCronJob, getTenantSync, listJobs, sleep, testClient, waitFor, waitReady, waitSettled } from './operator-helpers.js';

const client = testClient();
let ns: TestNamespace;
let operator: OperatorProcess;

beforeAll(async () => {
  ns = await createTestNamespace('op-next-run');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  // Resync every 5 s: passes run through the window (the time is not merely left alone for want of a pass).
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-next-run', args: ['--resync-period=5'] });
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

const statusWrites = () => operator.metric('tenantsync_kube_write_requests_total', { resource: 'tenantsyncs/status' });

describe('status.nextRunTime', () => {
  it('stays at a run time the CronJob skipped while a run is active, and passing it writes nothing', { timeout: 240_000 }, async () => {
    // Two runs a minute apart, once an hour: the second comes while the first is still active, and the longest gap
    // (59 min) keeps the tenant from turning Stale during the test (on "* * * * *" it would, 2 min after creation).
    // The first is the next minute that begins at least 15 s from now (the CronJob must exist before it).
    const first = Math.floor((Date.now() + 15_000) / 60_000) + 1;
    await createTenantSync(client, ns.name, 'twice-hourly', { schedule: `${first % 60},${(first + 1) % 60} * * * *` });
    await waitReady(client, ns.name, 'twice-hourly');
    // The CronJob controller starts the first run; the operator lets it start and shows it.
    const running = await waitFor(
      'the first scheduled run to show as active, with the next run a minute after it',
      async () => {
        const ts = await getTenantSync(client, ns.name, 'twice-hourly');
        const last = ts?.status?.lastScheduleTime;
        // Started (startTime): the Job controller's last change to the run before the window.
        return last !== undefined && ts?.status?.activeRun?.startTime !== undefined && ts.status.nextRunTime === new Date(Date.parse(last) + 60_000).toISOString().replace('.000Z', 'Z') && ts;
      },
      150_000,
      500,
    );
    const overdueAt = Date.parse(running.status!.nextRunTime!);
    // Settled first (no status write for 3 s), then past that run time by long enough for the CronJob controller
    // to have looked (it wakes at each scheduled time) and skipped it, and for several resync passes.
    const writesBefore = await waitSettled('status writes to settle', statusWrites);
    const passesBefore = await operator.metric('tenantsync_reconcile_total');
    const settled = await getTenantSync(client, ns.name, 'twice-hourly');
    await sleep(Math.max(0, overdueAt - Date.now()) + 20_000);

    const cronJob = await getCronJob(client, ns.name, 'twice-hourly');
    const cronJobLast = Date.parse(String(cronJob?.status?.lastScheduleTime));
    expect(cronJobLast, 'the CronJob controller started no run while one was active').toBe(Date.parse(running.status!.lastScheduleTime!));
    expect((await listJobs(client, ns.name)).map((j) => j.metadata?.name)).toEqual([running.status!.activeRun!.jobName]);
    const after = await getTenantSync(client, ns.name, 'twice-hourly');
    expect(Date.parse(after!.status!.nextRunTime!)).toBe(overdueAt);
    expect(Date.parse(after!.status!.nextRunTime!)).toBeLessThan(Date.now());
    expect(after?.metadata.resourceVersion, `written during the window:\n${JSON.stringify(settled)}\n${JSON.stringify(after)}`).toBe(settled?.metadata.resourceVersion);
    expect(await statusWrites()).toBe(writesBefore);
    expect(await operator.metric('tenantsync_reconcile_total')).toBeGreaterThan(passesBefore + 3);
  });
});
