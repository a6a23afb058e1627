// The run gate (issue 12 item 4): every Job of a tenant starts suspended and the operator lets one start at
// a time, whatever created it (the CronJob, a run request, kubectl create job --from), even when its Job
// cache lags behind its own last start. Pure decisions first, then the controller with in-memory fakes.
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { TenantSyncController } from '../../../operator/controller/tenantsync-controller.js';
import { runRequestedAtAnnotation } from '../../../operator/api/tenantsync.js';
import { FakeClock } from '../../../operator/kube/clock.js';
import { KubeApiError } from '../../../operator/kube/errors.js';
import { manualJobName } from '../../../operator/reconcile/names.js';
import { nextRunToStart, overdueGraceSeconds, overdueRuns, runDeadline, runQueue, startPatch, untilOverdueMs } from '../../../operator/reconcile/run-gate.js';
import { silentLogger } from '../../../operator/runtime/logger.js';
import { FakeCache, FakeClient, FakeRecorder, seedTenant } from './fakes.js';

const ns = 'tenants';
const key = `${ns}/acme`;

type JobShape = { name: string; created: string; suspend?: boolean; finished?: boolean; trigger?: 'manual' | 'scheduled' };

function job(shape: JobShape, cronJobUid = 'cj-uid'): V1Job & { apiVersion: string; kind: string; metadata: { name: string } } {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: shape.name,
      namespace: ns,
      creationTimestamp: shape.created as unknown as Date,
      labels: { 'tenantsync.io/name': 'acme', 'tenantsync.io/trigger': shape.trigger ?? 'scheduled' },
      annotations: { 'tenantsync.io/name': 'acme' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'acme', uid: cronJobUid, controller: true }],
    },
    spec: { suspend: shape.suspend ?? false, activeDeadlineSeconds: 600, template: { spec: { containers: [] } } },
    status: shape.finished ? { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: shape.created as unknown as Date }] } : {},
  };
}

describe('overdueRuns', () => {
  const started = (j: V1Job, startTime: string, deadline?: string): V1Job => ({
    ...j,
    status: { ...j.status, startTime: startTime as unknown as Date },
    spec: { ...j.spec!, template: { ...j.spec!.template, metadata: deadline ? { annotations: { 'tenantsync.io/deadline': deadline } } : {} } },
  });
  const at = (iso: string) => Date.parse(iso);

  it('the deadline is the one given to the pods, else startTime + activeDeadlineSeconds', () => {
    expect(runDeadline(started(job({ name: 'a', created: '2025-05-01T10:00:00Z' }), '2025-05-01T10:00:05Z', '2025-05-01T10:09:00Z'))).toBe(at('2025-05-01T10:09:00Z'));
    expect(runDeadline(started(job({ name: 'a', created: '2025-05-01T10:00:00Z' }), '2025-05-01T10:00:05Z'))).toBe(at('2025-05-01T10:10:05Z'));
    expect(runDeadline(job({ name: 'a', created: '2025-05-01T10:00:00Z' }))).toBeUndefined();
  });

  it('only active runs past their deadline by more than the grace; waiting, finished and deleting Jobs never', () => {
    const active = started(job({ name: 'a', created: '2025-05-01T10:00:00Z' }), '2025-05-01T10:00:00Z');
    const deadline = at('2025-05-01T10:10:00Z');
    expect(overdueRuns([active], deadline + overdueGraceSeconds * 1000)).toEqual([]);
    expect(overdueRuns([active], deadline + overdueGraceSeconds * 1000 + 1).map((j) => j.metadata?.name)).toEqual(['a']);
    expect(untilOverdueMs([active], deadline)).toBe(overdueGraceSeconds * 1000);
    const late = deadline + 3_600_000;
    const waiting = started(job({ name: 'w', created: '2025-05-01T10:00:00Z', suspend: true }), '2025-05-01T10:00:00Z');
    const finished = started(job({ name: 'f', created: '2025-05-01T10:00:00Z', finished: true }), '2025-05-01T10:00:00Z');
    const deleting: V1Job = { ...active, metadata: { ...active.metadata, name: 'd', deletionTimestamp: '2025-05-01T10:20:00Z' as unknown as Date } };
    expect(overdueRuns([waiting, finished, deleting], late)).toEqual([]);
  });
});

describe('runQueue / nextRunToStart', () => {
  it('starts nothing while a run is active, else the oldest waiting Job', () => {
    const running = job({ name: 'a', created: '2025-05-01T10:00:00Z' });
    const manual = job({ name: 'b', created: '2025-05-01T10:01:00Z', suspend: true, trigger: 'manual' });
    const scheduled = job({ name: 'c', created: '2025-05-01T10:02:00Z', suspend: true });
    expect(nextRunToStart({ jobs: [scheduled, manual, running], tenantSuspended: false })).toBeUndefined();
    const done = job({ name: 'a', created: '2025-05-01T10:00:00Z', finished: true });
    expect(nextRunToStart({ jobs: [scheduled, manual, done], tenantSuspended: false })?.metadata?.name).toBe('b');
    expect(runQueue([scheduled, manual, done]).waiting.map((j) => j.metadata?.name)).toEqual(['b', 'c']);
  });

  it('keeps waiting scheduled runs of a suspended tenant, but starts a run someone asked for', () => {
    const scheduled = job({ name: 'a', created: '2025-05-01T10:00:00Z', suspend: true });
    const manual = job({ name: 'b', created: '2025-05-01T10:01:00Z', suspend: true, trigger: 'manual' });
    expect(nextRunToStart({ jobs: [scheduled], tenantSuspended: true })).toBeUndefined();
    expect(nextRunToStart({ jobs: [scheduled, manual], tenantSuspended: true })?.metadata?.name).toBe('b');
  });

  it('resumes the Job with a resourceVersion precondition and tells its pods the deadline', () => {
    const waiting = { ...job({ name: 'a', created: '2025-05-01T10:00:00Z', suspend: true }), metadata: { name: 'a', resourceVersion: '42' } };
    expect(startPatch(waiting, new Date('2025-05-01T12:00:00.500Z'))).toEqual({
      metadata: { resourceVersion: '42' },
      spec: { suspend: false, template: { metadata: { annotations: { 'tenantsync.io/deadline': '2025-05-01T12:10:00Z' } } } },
    });
  });
});

describe('the run gate in the controller', () => {
  let client: FakeClient;
  let jobs: FakeCache<V1Job>;
  let clock: FakeClock;
  let controller: TenantSyncController;
  const stored = (name: string) => client.find<V1Job>('Job', ns, name);
  const status = () => client.find<{ status?: Record<string, unknown> }>('TenantSync', ns, 'acme')?.status;
  const addJob = (shape: JobShape) => {
    const uid = client.find<V1CronJob>('CronJob', ns, 'acme')?.metadata?.uid;
    jobs.emit('ADDED', client.seed(job(shape, uid)));
  };
  const update = (name: string, change: (j: V1Job) => void) => {
    const j = stored(name)!;
    change(j);
    client.remove('Job', ns, name);
    jobs.emit('MODIFIED', client.seed(j as never));
  };

  beforeEach(async () => {
    client = new FakeClient();
    jobs = new FakeCache<V1Job>(client, 'Job');
    clock = new FakeClock('2025-05-01T12:00:00Z');
    seedTenant(client, ns, { schedule: '*/1 * * * *' });
    controller = new TenantSyncController({
      client,
      tenantSyncs: new FakeCache(client, 'TenantSync'),
      cronJobs: new FakeCache<V1CronJob>(client, 'CronJob'),
      jobs,
      recorder: new FakeRecorder(),
      clock,
      logger: silentLogger(),
      defaultSyncImage: 'sync:1',
    });
    await controller.reconcile(key);
  });

  it('a run request during a run creates a suspended Job that waits (shown in status) and starts when the run is over', async () => {
    addJob({ name: 'acme-100', created: '2025-05-01T11:59:00Z' });
    client.seed({ ...client.find('TenantSync', ns, 'acme')!, metadata: { ...client.find<{ metadata: object }>('TenantSync', ns, 'acme')!.metadata, annotations: { [runRequestedAtAnnotation]: 'now-1' } } });
    await controller.reconcile(key);
    const manual = manualJobName('acme', 'now-1');
    expect(stored(manual)?.spec?.suspend).toBe(true);
    jobs.emit('ADDED', stored(manual)!);
    await controller.reconcile(key);
    expect(stored(manual)?.spec?.suspend).toBe(true);
    expect(status()).toMatchObject({
      activeRun: { jobName: 'acme-100', trigger: 'scheduled' },
      waitingRuns: [{ jobName: manual, trigger: 'manual' }],
      lastHandledRunRequest: 'now-1',
    });

    update('acme-100', (j) => {
      j.status = { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2025-05-01T12:00:00Z' as unknown as Date }] };
    });
    await controller.reconcile(key);
    expect(stored(manual)?.spec?.suspend).toBe(false);
    expect(stored(manual)?.spec?.template.metadata?.annotations?.['tenantsync.io/deadline']).toBe('2025-05-01T13:00:00Z');
    expect(status()).toMatchObject({ activeRun: { jobName: manual, trigger: 'manual' } });
    expect(status()?.waitingRuns).toBeUndefined();
  });

  it('starts no second Job while its cache still shows the one it just started as waiting', async () => {
    addJob({ name: 'acme-100', created: '2025-05-01T11:58:00Z', suspend: true });
    addJob({ name: 'acme-101', created: '2025-05-01T11:59:00Z', suspend: true });
    jobs.freeze(); // the informer has not seen our start of acme-100 yet
    await controller.reconcile(key);
    expect(stored('acme-100')?.spec?.suspend).toBe(false);
    await controller.reconcile(key);
    await controller.reconcile(key);
    expect(stored('acme-101')?.spec?.suspend).toBe(true);
  });

  it('when starting a waiting Job fails, status shows the Jobs the API server listed, not the lagging cache', async () => {
    addJob({ name: 'acme-100', created: '2025-05-01T11:58:00Z', suspend: true });
    const uid = client.find<V1CronJob>('CronJob', ns, 'acme')?.metadata?.uid;
    client.seed(job({ name: 'acme-101', created: '2025-05-01T11:59:00Z', suspend: true }, uid)); // not in the cache yet
    client.failPatch = (ref) =>
      ref.kind === 'Job' ? new KubeApiError({ code: 'KUBE_FORBIDDEN', message: 'jobs.batch "acme-100" is forbidden', method: 'PATCH', path: '/', statusCode: 403 }) : undefined;
    await expect(controller.reconcile(key)).rejects.toThrow(/forbidden/);
    expect(stored('acme-100')?.spec?.suspend).toBe(true);
    expect(status()).toMatchObject({ waitingRuns: [{ jobName: 'acme-100' }, { jobName: 'acme-101' }] });
  });

  it('a Job started by hand (kubectl create job --from, un-suspended) keeps scheduled ones waiting', async () => {
    addJob({ name: 'acme-manual-x', created: '2025-05-01T11:58:00Z', trigger: 'manual' });
    addJob({ name: 'acme-101', created: '2025-05-01T11:59:00Z', suspend: true });
    await controller.reconcile(key);
    expect(stored('acme-101')?.spec?.suspend).toBe(true);
    expect(status()).toMatchObject({ activeRun: { jobName: 'acme-manual-x' }, waitingRuns: [{ jobName: 'acme-101', trigger: 'scheduled' }] });
  });
});
