// Run results back into the TenantSync, against the real API server: finished Jobs (and their pods,
// with the termination message the kubelet would have written) are made by hand, the way the Job
// controller and kubelet leave them, so each case is exact. The operator must read each result once,
// move cursors only forward, and report lastRun, streams, SyncHealthy, Events and metrics.
import { writeFileSync } from 'node:fs';
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateSchema, type JobResult } from '../../sync-job/contract.js';
import type { KubeClient } from '../../operator/kube/client.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import {
  condition,
  createSecret,
  createTenantSync,
  credentialsSecret,
  getConfigMap,
  getCronJob,
  getTenantSync,
  testClient,
  waitFor,
  finishedJob,
  waitReady,
  type StoredTenantSync,
} from './operator-helpers.js';

const client: KubeClient = testClient();
let ns: TestNamespace;
let operator: OperatorProcess | undefined;
let cronJob: V1CronJob;
const tenant = 'acme';
const appliedAnnotation = 'tenantsync.io/result-applied';

const operators: OperatorProcess[] = [];
async function startOp(): Promise<void> {
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-results' });
  operators.push(operator);
}

function result(startedAt: string, streams: JobResult['streams'], extra: Partial<JobResult> = {}): string {
  const outcomes = Object.values(streams).map((s) => s.outcome);
  const outcome = outcomes.includes('Failed') ? (outcomes.includes('Succeeded') ? 'PartiallySucceeded' : 'Failed') : 'Succeeded';
  return JSON.stringify({ version: 1, outcome, startedAt, finishedAt: startedAt, streams, ...extra });
}

const tsNow = () => getTenantSync(client, ns.name, tenant) as Promise<StoredTenantSync>;
const lastRunIs = (jobName: string) =>
  waitFor(`status.lastRun to be Job ${jobName}`, async () => {
    const ts = await tsNow();
    return ts.status?.lastRun?.jobName === jobName ? ts : false;
  });
const jobApplied = (name: string) =>
  waitFor(`Job ${name} marked ${appliedAnnotation}`, async () => {
    const job = await client.get<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns.name, name });
    return job?.metadata?.annotations?.[appliedAnnotation] ?? false;
  });
async function storedState() {
  const cm = await getConfigMap(client, ns.name, 'acme-state');
  return stateSchema.parse(JSON.parse(cm?.data?.['state.json'] ?? '{}'));
}
async function events(reason: string): Promise<string[]> {
  const list = await client.list<{ reason?: string; note?: string; regarding?: { name?: string } }>('events.k8s.io/v1', 'Event', { namespace: ns.name });
  return list.items.filter((e) => e.reason === reason && e.regarding?.name === tenant).map((e) => e.note ?? '');
}
const metric = (name: string, labels: Record<string, string> = {}) => operator!.metric(name, { namespace: ns.name, tenantsync: tenant, ...labels });

/**
 * Times of the hand-made runs, "HH:MM:SS[.fff]" after a base 20 hours ago (on the hour): every run is
 * in the past and recent (a 24h tenant is not stale), and their order is exactly as written.
 */
const base = Math.floor((Date.now() - 20 * 3600_000) / 3600_000) * 3600_000;
function at(clock: string): string {
  const [h = '0', m = '0', rest = '0'] = clock.split(':');
  const [sec = '0', frac] = rest.split('.');
  const iso = new Date(base + ((Number(h) * 60 + Number(m)) * 60 + Number(sec)) * 1000).toISOString();
  return iso.replace(/\.\d{3}Z$/, frac === undefined ? 'Z' : `.${frac}Z`);
}
const t1 = at('09:00:00');
const t2 = at('10:00:00');
const t3 = at('11:00:00');
const unauthorized = 'SOURCE_UNAUTHORIZED: Freshdesk answered 401 Unauthorized: check the API key in Secret freshdesk-credentials';

beforeAll(async () => {
  ns = await createTestNamespace('op-results');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  await startOp();
  await createTenantSync(client, ns.name, tenant, {
    interval: '24h',
    // The CronJob controller deletes finished Jobs beyond these limits, oldest first; keep every Job of this file.
    job: { successfulJobsHistoryLimit: 20, failedJobsHistoryLimit: 20 },
    source: {
      domain: 'acme.freshdesk.com',
      credentialsSecretRef: { name: credentialsSecret, key: 'apiKey' },
      streams: [{ name: 'tickets' }, { name: 'contacts' }],
    },
  });
  await waitReady(client, ns.name, tenant);
  cronJob = (await getCronJob(client, ns.name, tenant)) as V1CronJob;
});

afterAll(async () => {
  await operator?.stop();
  // Set RESULTS_TEST_LOG=<file> to keep the logs of every operator process this file started.
  if (process.env.RESULTS_TEST_LOG) writeFileSync(process.env.RESULTS_TEST_LOG, operators.map((o) => o.output()).join('\n----- restart -----\n'));
  await ns?.cleanup();
});

describe('run results', () => {
  it('a successful run advances the cursors and shows in status, Events and metrics', async () => {
    const before = await tsNow();
    expect(condition(before, 'SyncHealthy')).toMatchObject({ status: 'Unknown', reason: 'AwaitingFirstRun' });
    await finishedJob(client, cronJob, {
      name: 'acme-29000001',
      state: 'Complete',
      startTime: at('09:30:00'),
      completionTime: at('09:31:00'),
      attempts: [
        {
          exitCode: 0,
          finishedAt: at('09:31:00'),
          message: result(at('09:30:00.120'), {
            tickets: { outcome: 'Succeeded', records: 5, cursor: { updatedAt: t1, ids: ['7', '9'] } },
            contacts: { outcome: 'Succeeded', records: 2, cursor: { updatedAt: t1, ids: ['c1'] } },
          }),
        },
      ],
    });
    const ts = await lastRunIs('acme-29000001');
    expect(ts.status?.lastRun).toEqual({
      jobName: 'acme-29000001',
      trigger: 'scheduled',
      startTime: at('09:30:00'),
      completionTime: at('09:31:00'),
      outcome: 'Succeeded',
      records: 7,
      message: 'synced 7 records (tickets 5, contacts 2)',
    });
    expect(ts.status?.lastSuccessfulRunTime).toBe(at('09:31:00'));
    expect(ts.status?.consecutiveFailures).toBe(0);
    // The log lines the runbook tells people to look for.
    await operator!.waitForLog((l) => l.msg === 'run results read' && JSON.stringify(l.jobs).includes('acme-29000001'), 10_000);
    await operator!.waitForLog((l) => l.msg === 'run result applied' && l.job === 'acme-29000001' && l.outcome === 'Succeeded' && l.records === 7, 10_000);
    expect(ts.status?.streams).toEqual([
      { name: 'tickets', cursor: `${t1} (+2 ids at that second)`, lastSuccessTime: at('09:30:00'), lastRecords: 5, lastOutcome: 'Succeeded' },
      { name: 'contacts', cursor: t1, lastSuccessTime: at('09:30:00'), lastRecords: 2, lastOutcome: 'Succeeded' },
    ]);
    expect(condition(ts, 'SyncHealthy')).toMatchObject({ status: 'True', reason: 'SyncSucceeded' });
    expect(condition(ts, 'Ready')).toMatchObject({ status: 'True' });
    // The state ConfigMap in the format the sync job reads (its own zod schema parses it).
    expect(await storedState()).toEqual({
      version: 1,
      source: 'https://acme.freshdesk.com/api/v2 tenant acme', // whose cursors these are
      streams: {
        tickets: { cursor: { updatedAt: t1, ids: ['7', '9'] }, lastSuccessAt: at('09:30:00.120') },
        contacts: { cursor: { updatedAt: t1, ids: ['c1'] }, lastSuccessAt: at('09:30:00.120') },
      },
    });
    expect(await jobApplied('acme-29000001')).toBe('Succeeded');
    await waitFor('SyncSucceeded Event', async () => (await events('SyncSucceeded')).some((n) => n.includes('acme-29000001') && n.includes('synced 7 records')));
    expect(await metric('tenantsync_runs_total', { outcome: 'Succeeded' })).toBe(1);
    expect(await metric('tenantsync_records_synced_total')).toBe(7);
    expect(await metric('tenantsync_last_success_timestamp_seconds')).toBe(Date.parse(at('09:31:00')) / 1000);
    expect(await metric('tenantsync_interval_seconds')).toBe(86400);
    expect(await metric('tenantsync_consecutive_failures')).toBe(0);
  });

  it('a credentials failure is a Failed run with its message; consecutive failures count', async () => {
    await finishedJob(client, cronJob, {
      name: 'acme-29000002',
      state: 'Failed',
      reason: 'PodFailurePolicy',
      message: 'Container sync for pod acme-29000002-0 failed with exit code 2 matching FailJob rule at index 0',
      startTime: at('10:30:00'),
      completionTime: at('10:30:05'),
      manual: true,
      attempts: [
        {
          exitCode: 2,
          finishedAt: at('10:30:04'),
          message: result(at('10:30:01'), { tickets: { outcome: 'Failed', records: 0, cursor: {}, error: unauthorized } }, { outcome: 'Failed', error: unauthorized }),
        },
      ],
    });
    let ts = await lastRunIs('acme-29000002');
    expect(ts.status?.lastRun).toMatchObject({ trigger: 'manual', outcome: 'Failed', records: 0 });
    expect(ts.status?.lastRun?.message).toContain(unauthorized);
    expect(ts.status?.consecutiveFailures).toBe(1);
    expect(ts.status?.lastSuccessfulRunTime).toBe(at('09:31:00'));
    const health = condition(ts, 'SyncHealthy');
    expect(health).toMatchObject({ status: 'False', reason: 'SyncFailed' });
    expect(health?.message).toContain(`run acme-29000002 failed at ${at('10:30:05')}`);
    expect(health?.message).toContain('401 Unauthorized');
    expect(condition(ts, 'Ready')).toMatchObject({ status: 'False', reason: 'SyncFailed' });
    expect(condition(ts, 'Stalled')).toBeUndefined();
    expect((await storedState()).streams.tickets?.cursor).toEqual({ updatedAt: t1, ids: ['7', '9'] });
    await waitFor('SyncFailed Event', async () => (await events('SyncFailed')).some((n) => n.includes('401 Unauthorized')));
    for (const list of [await events('SyncFailed'), await events('SyncSucceeded')]) for (const note of list) expect(note).not.toMatch(/apiKey|Bearer/);

    await finishedJob(client, cronJob, {
      name: 'acme-29000003',
      state: 'Failed',
      reason: 'PodFailurePolicy',
      startTime: at('11:30:00'),
      completionTime: at('11:30:05'),
      attempts: [{ exitCode: 2, finishedAt: at('11:30:04'), message: result(at('11:30:01'), {}, { outcome: 'Failed', error: unauthorized }) }],
    });
    ts = await lastRunIs('acme-29000003');
    expect(ts.status?.consecutiveFailures).toBe(2);
    expect(condition(ts, 'SyncHealthy')?.message).toContain('2 runs in a row');
    // Status is written first; the Job's applied mark, the counters and the Event follow it.
    expect(await jobApplied('acme-29000003')).toBe('Failed');
    await waitFor('SyncFailed Event of acme-29000003', async () => (await events('SyncFailed')).some((n) => n.includes('acme-29000003')));
    expect(await metric('tenantsync_consecutive_failures')).toBe(2);
    expect(await metric('tenantsync_runs_total', { outcome: 'Failed' })).toBe(2);
  });

  it('garbage or a missing termination message is a Failed run whose message says what Kubernetes knows', async () => {
    await finishedJob(client, cronJob, {
      name: 'acme-29000004',
      state: 'Failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      startTime: at('12:30:00'),
      completionTime: at('12:31:00'),
      attempts: [
        { exitCode: 137, reason: 'OOMKilled', finishedAt: at('12:30:20') },
        { exitCode: 1, finishedAt: at('12:30:50'), message: 'TypeError: cannot read properties of undefined\n    at run (file:///app/run.js:1:1)' },
      ],
    });
    let ts = await lastRunIs('acme-29000004');
    const message = ts.status?.lastRun?.message ?? '';
    expect(ts.status?.lastRun?.outcome).toBe('Failed');
    expect(message).toContain('no result from the sync job');
    expect(message).toContain('BackoffLimitExceeded');
    expect(message).toContain('exit code 1');
    expect(message).toContain('not JSON');
    expect(ts.status?.consecutiveFailures).toBe(3);

    await finishedJob(client, cronJob, {
      name: 'acme-29000005',
      state: 'Failed',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      startTime: at('13:30:00'),
      completionTime: at('13:31:00'),
      attempts: [{ exitCode: 137, reason: 'OOMKilled', finishedAt: at('13:30:20') }],
    });
    ts = await lastRunIs('acme-29000005');
    expect(ts.status?.lastRun?.message).toMatch(/OOMKilled, exit code 137.*left no result.*limits\.memory/);
    expect(ts.status?.consecutiveFailures).toBe(4);
    // The operator is alive and well after all of it.
    expect(await operator!.isReady()).toBe(true);
  });

  it('an older result never moves a cursor back', async () => {
    await finishedJob(client, cronJob, {
      name: 'acme-29000006',
      state: 'Complete',
      startTime: at('14:30:00'),
      completionTime: at('14:31:00'),
      attempts: [{ exitCode: 0, finishedAt: at('14:31:00'), message: result(at('14:30:00'), { tickets: { outcome: 'Succeeded', records: 3, cursor: { updatedAt: t3, ids: ['11'] } } }) }],
    });
    let ts = await lastRunIs('acme-29000006');
    expect(ts.status?.consecutiveFailures).toBe(0);
    // A manual run that started from the older state finishes later with an older cursor.
    await finishedJob(client, cronJob, {
      name: 'acme-run-old1',
      state: 'Complete',
      manual: true,
      startTime: at('14:29:00'),
      completionTime: at('14:35:00'),
      attempts: [{ exitCode: 0, finishedAt: at('14:35:00'), message: result(at('14:29:00'), { tickets: { outcome: 'Succeeded', records: 1, cursor: { updatedAt: t2, ids: ['10'] } } }) }],
    });
    ts = await lastRunIs('acme-run-old1');
    expect((await storedState()).streams.tickets).toEqual({ cursor: { updatedAt: t3, ids: ['11'] }, lastSuccessAt: at('14:30:00') });
    expect(ts.status?.streams?.find((s) => s.name === 'tickets')?.cursor).toBe(t3);
    // A Job that finished before the latest one, seen only now: cursors and lastRun stay.
    await finishedJob(client, cronJob, {
      name: 'acme-29000000',
      state: 'Complete',
      startTime: at('08:00:00'),
      completionTime: at('08:01:00'),
      attempts: [{ exitCode: 0, finishedAt: at('08:01:00'), message: result(at('08:00:00'), { tickets: { outcome: 'Succeeded', records: 9, cursor: { updatedAt: '2025-04-30T00:00:00Z' } } }) }],
    });
    await jobApplied('acme-29000000');
    ts = await tsNow();
    expect(ts.status?.lastRun?.jobName).toBe('acme-run-old1');
    expect(ts.status?.lastSuccessfulRunTime).toBe(at('14:35:00'));
    expect((await storedState()).streams.tickets).toEqual({ cursor: { updatedAt: t3, ids: ['11'] }, lastSuccessAt: at('14:30:00') });
  });

  it('applies the results of Jobs that finished while the operator was down, once, even when it died before marking them', async () => {
    await operator!.kill('SIGKILL');
    await finishedJob(client, cronJob, {
      name: 'acme-29000010',
      state: 'Failed',
      reason: 'BackoffLimitExceeded',
      startTime: at('15:00:00'),
      completionTime: at('15:02:00'),
      attempts: [
        {
          exitCode: 1,
          finishedAt: at('15:02:00'),
          message: result(at('15:00:00'), {
            tickets: { outcome: 'Succeeded', records: 4, cursor: { updatedAt: at('12:00:00') } },
            contacts: { outcome: 'Failed', records: 0, cursor: { updatedAt: t1, ids: ['c1'] }, error: 'SINK_REJECTED: 400 Bad Request' },
          }),
        },
      ],
    });
    await finishedJob(client, cronJob, {
      name: 'acme-29000011',
      state: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
      startTime: at('16:00:00'),
      completionTime: at('17:00:00'),
      attempts: [],
    });
    await startOp();
    let ts = await lastRunIs('acme-29000011');
    expect(ts.status?.lastRun?.message).toMatch(/DeadlineExceeded.*pods are gone.*spec\.job\.timeout/);
    expect(ts.status?.consecutiveFailures).toBe(2);
    expect((await storedState()).streams.tickets?.cursor).toEqual({ updatedAt: at('12:00:00') });
    expect(await jobApplied('acme-29000010')).toBe('PartiallySucceeded');
    expect(await jobApplied('acme-29000011')).toBe('Failed');
    await waitFor('SyncFailed Event of acme-29000011', async () => (await events('SyncFailed')).some((n) => n.includes('acme-29000011')));
    expect(await metric('tenantsync_runs_total', { outcome: 'PartiallySucceeded' })).toBe(1);
    expect(await metric('tenantsync_runs_total', { outcome: 'Failed' })).toBe(1);

    // Killed after the status write but before the Jobs were marked: take the marks off by hand.
    await operator!.kill('SIGKILL');
    for (const name of ['acme-29000010', 'acme-29000011']) {
      await client.mergePatch({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns.name, name }, { metadata: { annotations: { [appliedAnnotation]: null } } });
    }
    await startOp();
    await jobApplied('acme-29000010');
    await jobApplied('acme-29000011');
    ts = await tsNow();
    expect(ts.status?.lastRun?.jobName).toBe('acme-29000011');
    expect(ts.status?.consecutiveFailures).toBe(2);

    // A clean restart with every Job marked applies nothing again.
    await operator!.stop();
    await startOp();
    await operator!.waitForLog((l) => l.msg === 'controller started');
    await waitFor('tenant gauges after restart', async () => (await metric('tenantsync_consecutive_failures')) === 2);
    expect(await metric('tenantsync_runs_total')).toBe(0);
    expect((await tsNow()).status?.consecutiveFailures).toBe(2);
  });

  it('removes the tenant series when the TenantSync is deleted', async () => {
    expect(await metric('tenantsync_interval_seconds')).toBe(86400);
    const series = async () =>
      (await operator!.metrics()).split('\n').filter((l) => !l.startsWith('#') && l.includes(`tenantsync="${tenant}"`) && l.includes(`namespace="${ns.name}"`));
    expect((await series()).length).toBeGreaterThan(0);
    await client.delete({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: tenant });
    await waitFor('tenant series removed', async () => (await series()).length === 0);
  });
});
