// The controller's run-result pass with in-memory fakes: each finished Job is applied once, whichever
// write the process dies after (state, status, or the Job's mark), and a restart picks up where it was.
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { stateSchema } from '../../../sync-job/contract.js';
import { TenantSyncController } from '../../../operator/controller/tenantsync-controller.js';
import { FakeClock } from '../../../operator/kube/clock.js';
import { KubeApiError } from '../../../operator/kube/errors.js';
import { silentLogger } from '../../../operator/runtime/logger.js';
import { createMetrics, type OperatorMetrics } from '../../../operator/runtime/metrics.js';
import { sumMetric } from '../../support/operator-process.js';
import { FakeCache, FakeClient, FakeRecorder, seedTenant } from './fakes.js';

const ns = 'tenants';
const key = `${ns}/acme`;
let client: FakeClient;
let jobs: FakeCache<V1Job>;
let recorder: FakeRecorder;
let metrics: OperatorMetrics;

function newController(): TenantSyncController {
  metrics = createMetrics({ defaultMetrics: false });
  return new TenantSyncController({
    client,
    tenantSyncs: new FakeCache(client, 'TenantSync'),
    cronJobs: new FakeCache<V1CronJob>(client, 'CronJob'),
    jobs,
    recorder,
    clock: new FakeClock('2025-05-01T12:00:00Z'),
    logger: silentLogger(),
    metrics,
    defaultSyncImage: 'sync:1',
  });
}

type Status = { lastRun?: { jobName: string; outcome: string }; consecutiveFailures?: number; lostRuns?: number; lastLostRun?: { jobName: string }; conditions?: { type: string; status: string; reason: string }[] };
const status = () => client.find<{ status?: Status }>('TenantSync', ns, 'acme')?.status;
const state = () => stateSchema.parse(JSON.parse(client.find<{ data: Record<string, string> }>('ConfigMap', ns, 'acme-state')?.data['state.json'] ?? '{}'));
const mark = (name: string) => client.find<V1Job>('Job', ns, name)?.metadata?.annotations?.['tenantsync.io/result-applied'];
const serverError = () => new KubeApiError({ code: 'KUBE_SERVER_ERROR', message: '500 etcd timeout', method: 'PATCH', path: '/', statusCode: 500 });

/** A finished Job of the tenant's CronJob and its one pod, announced to the Job cache. */
function finishedJob(name: string, completed: string, outcome: 'Succeeded' | 'Failed', cursor: string): void {
  const cronJob = client.find<V1CronJob>('CronJob', ns, 'acme');
  const job = client.seed<V1Job>({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: ns,
      annotations: { 'tenantsync.io/name': 'acme' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'acme', uid: cronJob?.metadata?.uid ?? '', controller: true }],
    },
    status: {
      startTime: '2025-05-01T11:00:00Z' as unknown as Date,
      conditions: [{ type: outcome === 'Succeeded' ? 'Complete' : 'Failed', status: 'True', lastTransitionTime: completed as unknown as Date }],
    },
  } as V1Job & { apiVersion: string; kind: string; metadata: { name: string } });
  const message = JSON.stringify({
    version: 1,
    outcome,
    startedAt: '2025-05-01T11:00:00Z',
    finishedAt: completed,
    ...(outcome === 'Failed' ? { error: 'SOURCE_UNAUTHORIZED: 401' } : {}),
    streams: { tickets: { outcome, records: 2, cursor: { updatedAt: cursor } } },
  });
  client.seed({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${name}-x`, namespace: ns, labels: { 'batch.kubernetes.io/controller-uid': job.metadata?.uid ?? '' } },
    status: { phase: outcome, containerStatuses: [{ name: 'sync', state: { terminated: { exitCode: outcome === 'Succeeded' ? 0 : 2, message, finishedAt: completed } } }] },
  });
  jobs.emit('ADDED', job);
}

beforeEach(async () => {
  client = new FakeClient();
  jobs = new FakeCache<V1Job>(client, 'Job');
  recorder = new FakeRecorder();
  seedTenant(client, ns, { interval: '1h' });
  await newController().reconcile(key);
});

describe('run results in the controller', () => {
  it('applies a finished Job once: state, status, Event, metrics, mark', async () => {
    const controller = newController();
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Failed', '2025-05-01T10:30:00Z');
    await controller.reconcile(key);
    expect(status()).toMatchObject({ lastRun: { jobName: 'acme-1', outcome: 'Failed' }, consecutiveFailures: 1 });
    expect(state().streams.tickets?.cursor).toEqual({ updatedAt: '2025-05-01T10:30:00Z' });
    expect(mark('acme-1')).toBe('Failed');
    expect(recorder.events.filter((e) => e.reason === 'SyncFailed')).toHaveLength(1);
    const text = await metrics.registry.metrics();
    expect(sumMetric(text, 'tenantsync_runs_total', { namespace: ns, tenantsync: 'acme', outcome: 'Failed' })).toBe(1);
    expect(sumMetric(text, 'tenantsync_consecutive_failures', { namespace: ns, tenantsync: 'acme' })).toBe(1);

    // Resyncs and repeated events change nothing.
    jobs.emit('MODIFIED', client.find<V1Job>('Job', ns, 'acme-1') as V1Job);
    await controller.reconcile(key);
    await controller.reconcile(key);
    expect(status()?.consecutiveFailures).toBe(1);
    expect(recorder.events.filter((e) => e.reason === 'SyncFailed')).toHaveLength(1);
    expect(sumMetric(await metrics.registry.metrics(), 'tenantsync_runs_total', { outcome: 'Failed' })).toBe(1);
  });

  it('an unreadable state ConfigMap is replaced by the cursors of the run results, with one StateReplaced Warning', async () => {
    const controller = newController();
    await client.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'acme-state' }, { data: { 'state.json': '{not json' } });
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Succeeded', '2025-05-01T10:30:00Z');
    await controller.reconcile(key);
    expect(state().streams.tickets?.cursor).toEqual({ updatedAt: '2025-05-01T10:30:00Z' });
    expect(status()).toMatchObject({ lastRun: { jobName: 'acme-1', outcome: 'Succeeded' } });
    expect(recorder.events.filter((e) => e.reason === 'StateReplaced')).toEqual([
      expect.objectContaining({ type: 'Warning', message: expect.stringContaining('ConfigMap acme-state held no readable state') }),
    ]);
    await controller.reconcile(key);
    expect(recorder.events.filter((e) => e.reason === 'StateReplaced')).toHaveLength(1);
  });

  it('died after the state write, before status: the restart applies the run once', async () => {
    let controller = newController();
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Failed', '2025-05-01T10:30:00Z');
    client.failPatch = (ref, opts) => (ref.kind === 'TenantSync' && opts.subresource === 'status' ? serverError() : undefined);
    await expect(controller.reconcile(key)).rejects.toThrow(/etcd timeout/);
    expect(state().streams.tickets?.cursor).toEqual({ updatedAt: '2025-05-01T10:30:00Z' });
    expect(status()?.consecutiveFailures).toBeUndefined();
    expect(mark('acme-1')).toBeUndefined();

    client.failPatch = undefined;
    controller = newController();
    jobs.emit('ADDED', client.find<V1Job>('Job', ns, 'acme-1') as V1Job);
    await controller.reconcile(key);
    expect(status()).toMatchObject({ lastRun: { jobName: 'acme-1' }, consecutiveFailures: 1 });
    expect(mark('acme-1')).toBe('Failed');
  });

  it('died after the status write, before the mark: the restart marks it without counting it again', async () => {
    let controller = newController();
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Failed', '2025-05-01T10:30:00Z');
    finishedJob('acme-2', '2025-05-01T11:35:00Z', 'Failed', '2025-05-01T10:40:00Z');
    client.failPatch = (ref) => (ref.kind === 'Job' ? serverError() : undefined);
    await expect(controller.reconcile(key)).rejects.toThrow(/etcd timeout/);
    expect(status()).toMatchObject({ lastRun: { jobName: 'acme-2' }, consecutiveFailures: 2 });
    // A run is told and counted only after its mark: the process that died before marking did neither.
    const runEvents = () => recorder.events.filter((e) => e.reason === 'SyncFailed' || e.reason === 'SyncSucceeded');
    expect(runEvents()).toEqual([]);
    const diedMetrics = await metrics.registry.metrics();
    expect(sumMetric(diedMetrics, 'tenantsync_runs_total', { namespace: ns, tenantsync: 'acme' })).toBe(0);

    client.failPatch = undefined;
    controller = newController();
    for (const name of ['acme-1', 'acme-2']) jobs.emit('ADDED', client.find<V1Job>('Job', ns, name) as V1Job);
    await controller.reconcile(key);
    expect(status()).toMatchObject({ lastRun: { jobName: 'acme-2' }, consecutiveFailures: 2 });
    expect([mark('acme-1'), mark('acme-2')]).toEqual(['Failed', 'Failed']);
    expect(state().streams.tickets?.cursor).toEqual({ updatedAt: '2025-05-01T10:40:00Z' });

    // Each Job told once (one SyncFailed each, no SyncSucceeded) and counted once, also after more passes.
    const expectToldAndCountedOnce = async () => {
      expect(runEvents().map((e) => [e.reason, /^Job (\S+) /.exec(e.message)?.[1]])).toEqual([
        ['SyncFailed', 'acme-1'],
        ['SyncFailed', 'acme-2'],
      ]);
      const text = await metrics.registry.metrics();
      expect(sumMetric(text, 'tenantsync_runs_total', { namespace: ns, tenantsync: 'acme', outcome: 'Failed' })).toBe(2);
      expect(sumMetric(text, 'tenantsync_runs_total', { namespace: ns, tenantsync: 'acme' })).toBe(2);
      expect(sumMetric(text, 'tenantsync_consecutive_failures', { namespace: ns, tenantsync: 'acme' })).toBe(2);
    };
    await expectToldAndCountedOnce();
    jobs.emit('MODIFIED', client.find<V1Job>('Job', ns, 'acme-2') as V1Job);
    await controller.reconcile(key);
    await controller.reconcile(key);
    await expectToldAndCountedOnce();
  });

  it('applies finished runs while the tenant is stalled on an invalid spec (issue 12 item 2)', async () => {
    const controller = newController();
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { interval: null, schedule: '0 25 * * *' } });
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Succeeded', '2025-05-01T10:30:00Z');
    await controller.reconcile(key);
    expect(status()?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(status()).toMatchObject({ lastRun: { jobName: 'acme-1', outcome: 'Succeeded' }, consecutiveFailures: 0 });
    expect(state().streams.tickets?.cursor).toEqual({ updatedAt: '2025-05-01T10:30:00Z' });
    expect(mark('acme-1')).toBe('Succeeded');
    expect(recorder.events.filter((e) => e.reason === 'SyncSucceeded')).toHaveLength(1);
  });

  it('applies finished runs when applying a child fails, and still retries the child (issue 12 item 2)', async () => {
    const controller = newController();
    // The CronJob must be written again (a spec change) and the API server refuses it.
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { suspend: true } });
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Failed', '2025-05-01T10:30:00Z');
    client.failNext.apply = serverError();
    await expect(controller.reconcile(key)).rejects.toThrow(/etcd timeout/);
    expect(status()).toMatchObject({ lastRun: { jobName: 'acme-1', outcome: 'Failed' }, consecutiveFailures: 1 });
    expect(state().streams.tickets?.cursor).toEqual({ updatedAt: '2025-05-01T10:30:00Z' });
    expect(mark('acme-1')).toBe('Failed');
  });

  it('a Job deleted before its result was read is reported once: Event, status.lostRuns, metric (issue 12 item 3)', async () => {
    const controller = newController();
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Succeeded', '2025-05-01T10:30:00Z');
    await controller.reconcile(key);
    finishedJob('acme-2', '2025-05-01T11:35:00Z', 'Succeeded', '2025-05-01T10:40:00Z');
    const unread = client.find<V1Job>('Job', ns, 'acme-2') as V1Job;
    const applied = client.find<V1Job>('Job', ns, 'acme-1') as V1Job;
    for (const job of [unread, applied]) {
      client.remove('Job', ns, job.metadata!.name!);
      jobs.emit('DELETED', job);
      jobs.emit('DELETED', job); // a relist may announce a delete again
    }
    await controller.reconcile(key);
    await controller.reconcile(key);
    const lostEvents = recorder.events.filter((e) => e.reason === 'RunResultLost');
    expect(lostEvents).toHaveLength(1);
    expect(lostEvents[0]).toMatchObject({ type: 'Warning', message: expect.stringContaining('Job acme-2 was deleted before its result was read') });
    expect(status()).toMatchObject({ lostRuns: 1, lastLostRun: { jobName: 'acme-2' }, lastRun: { jobName: 'acme-1' } });
    expect(sumMetric(await metrics.registry.metrics(), 'tenantsync_run_results_lost_total', { namespace: ns, tenantsync: 'acme' })).toBe(1);
  });

  it('counts and announces a Job once while the Job cache still shows it without its mark (issue 12 item 13)', async () => {
    const controller = newController();
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Failed', '2025-05-01T10:30:00Z');
    jobs.freeze(); // the informer has not seen the result-applied mark yet
    await controller.reconcile(key);
    await controller.reconcile(key);
    await controller.reconcile(key);
    expect(recorder.events.filter((e) => e.reason === 'SyncFailed')).toHaveLength(1);
    expect(sumMetric(await metrics.registry.metrics(), 'tenantsync_runs_total', { namespace: ns, tenantsync: 'acme', outcome: 'Failed' })).toBe(1);
    expect(status()).toMatchObject({ consecutiveFailures: 1 });
    expect(client.writes.filter((w) => w.kind === 'Job' && w.verb === 'patch')).toHaveLength(1);
  });

  it('writes status with a resourceVersion precondition; a 409 looks again later without marking or counting (issue 12 item 13)', async () => {
    const controller = newController();
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Failed', '2025-05-01T10:30:00Z');
    const conflict = new KubeApiError({ code: 'KUBE_CONFLICT', message: 'the object has been modified', method: 'PATCH', path: '/', statusCode: 409 });
    client.failPatch = (ref, opts) => (ref.kind === 'TenantSync' && opts.subresource === 'status' ? conflict : undefined);
    const result = await controller.reconcile(key);
    expect(result?.requeueAfterMs).toBe(500);
    expect(mark('acme-1')).toBeUndefined();
    expect(recorder.events.filter((e) => e.reason === 'SyncFailed')).toEqual([]);
    client.failPatch = undefined;
    const rv = client.find<{ metadata: { resourceVersion: string } }>('TenantSync', ns, 'acme')!.metadata.resourceVersion;
    await controller.reconcile(key);
    const statusPatch = client.writes.filter((w) => w.kind === 'TenantSync' && w.subresource === 'status').at(-1);
    expect((statusPatch?.body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion).toBe(rv);
    expect(mark('acme-1')).toBe('Failed');
    expect(status()?.consecutiveFailures).toBe(1);
  });

  it('a success resets the streak; its cursor is not moved back by an older Job seen later', async () => {
    const controller = newController();
    finishedJob('acme-2', '2025-05-01T11:35:00Z', 'Succeeded', '2025-05-01T10:40:00Z');
    await controller.reconcile(key);
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Succeeded', '2025-05-01T10:30:00Z');
    await controller.reconcile(key);
    expect(status()).toMatchObject({ lastRun: { jobName: 'acme-2', outcome: 'Succeeded' }, consecutiveFailures: 0 });
    expect(state().streams.tickets?.cursor).toEqual({ updatedAt: '2025-05-01T10:40:00Z' });
    expect(mark('acme-1')).toBe('Succeeded');
    expect(status()?.conditions?.find((c) => c.type === 'SyncHealthy')).toMatchObject({ status: 'True', reason: 'SyncSucceeded' });
  });

  it('requeues at the stale deadline and then reports Stale without any event from Kubernetes', async () => {
    const controller = newController();
    finishedJob('acme-1', '2025-05-01T11:05:00Z', 'Succeeded', '2025-05-01T10:30:00Z');
    const result = await controller.reconcile(key);
    // Next run at 13:xx at the latest; stale at 13:05 (two 1h periods after 11:05): whichever comes first.
    expect(result?.requeueAfterMs).toBeLessThanOrEqual(65 * 60_000 + 1_000);
    const later = new TenantSyncController({
      client,
      tenantSyncs: new FakeCache(client, 'TenantSync'),
      cronJobs: new FakeCache<V1CronJob>(client, 'CronJob'),
      jobs,
      recorder,
      clock: new FakeClock('2025-05-01T13:06:00Z'),
      logger: silentLogger(),
      defaultSyncImage: 'sync:1',
    });
    await later.reconcile(key);
    const conditions = status()?.conditions ?? [];
    expect(conditions.find((c) => c.type === 'SyncHealthy')).toMatchObject({ status: 'False', reason: 'Stale' });
    expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Stale' });
    expect(recorder.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'Stale' });
  });
});
