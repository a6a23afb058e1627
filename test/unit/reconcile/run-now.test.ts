import { describe, expect, it } from 'vitest';
import type { V1CronJob } from '@kubernetes/client-node';
import { decideRunNow, isInheritedRunRequest, manualJob } from '../../../operator/reconcile/run-now.js';
import { desiredCronJob } from '../../../operator/reconcile/desired-cronjob.js';
import { effectiveSchedule } from '../../../operator/reconcile/schedule.js';
import { manualJobName } from '../../../operator/reconcile/names.js';
import { ownerOf, tenantSync } from './fixtures.js';

const annotation = 'tenantsync.io/run-requested-at';

describe('decideRunNow', () => {
  it.each([
    [undefined, undefined, true, 'none'],
    [{}, undefined, true, 'none'],
    [{ [annotation]: '' }, undefined, true, 'none'],
    [{ [annotation]: 'r1' }, 'r1', true, 'none'],
    [{ [annotation]: 'r1' }, undefined, true, 'create'],
    [{ [annotation]: 'r2' }, 'r1', true, 'create'],
    [{ [annotation]: 'r2' }, 'r1', false, 'wait'],
    [{ [annotation]: 'r1' }, 'r1', false, 'none'],
  ])('annotations %o, last handled %s, can run %s → %s', (annotations, last, canRun, action) => {
    expect(decideRunNow({ name: 'acme', annotations, lastHandledRunRequest: last, canRun }).action).toBe(action);
  });

  it('names the Job after the value, so a retry cannot start a second run', () => {
    const d = decideRunNow({ name: 'acme', annotations: { [annotation]: 'r2' }, lastHandledRunRequest: 'r1', canRun: true });
    expect(d).toEqual({ action: 'create', value: 'r2', jobName: manualJobName('acme', 'r2') });
  });
});

describe('manualJob', () => {
  const ts = tenantSync();
  const cronJob: V1CronJob = {
    ...desiredCronJob({ owner: ownerOf(ts), spec: ts.spec, schedule: effectiveSchedule(ts.spec, 'tenants', 'acme'), defaultSyncImage: 'img', secretsMissing: false }),
  };
  cronJob.metadata = { ...cronJob.metadata, uid: 'cj-uid' };

  it('copies the template, is owned by the CronJob and is marked manual like kubectl does', () => {
    const job = manualJob(cronJob, 'acme-run-abc123', 'r2');
    expect(job.metadata).toMatchObject({
      name: 'acme-run-abc123',
      namespace: 'tenants',
      labels: { 'tenantsync.io/name': 'acme', 'tenantsync.io/trigger': 'manual' },
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual', 'tenantsync.io/run-request': 'r2', 'tenantsync.io/name': 'acme' },
    });
    expect(job.metadata?.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'acme', uid: 'cj-uid', controller: true, blockOwnerDeletion: true },
    ]);
    expect(job.spec?.template.metadata?.labels?.['tenantsync.io/trigger']).toBe('manual');
    // The same pod spec, except that a requested run syncs every stream (the sync job's --force).
    const template = cronJob.spec?.jobTemplate.spec?.template.spec;
    const sync = template?.containers[0];
    expect(job.spec?.template.spec).toEqual({ ...template, containers: [{ ...sync, env: [...(sync?.env ?? []), { name: 'TENANTSYNC_FORCE', value: '1' }] }] });
    expect(cronJob.spec?.jobTemplate.spec?.template.spec?.containers[0]?.env?.some((e) => e.name === 'TENANTSYNC_FORCE')).toBe(false);
    expect(job.spec?.podFailurePolicy).toEqual(cronJob.spec?.jobTemplate.spec?.podFailurePolicy);
  });

  it('refuses a CronJob that has no uid yet', () => {
    expect(() => manualJob({ ...cronJob, metadata: { name: 'acme' } }, 'x', 'r')).toThrow(/no job template or uid/);
  });
});

describe('isInheritedRunRequest (first pass over a TenantSync, issue 12 item 6)', () => {
  it.each([
    ['2025-05-01T09:00:00Z', true, 'a time before the object was created: left over from the deleted one'],
    ['2025-05-01T10:00:00Z', false, 'the second it was created (`kubectl apply && kubectl annotate …=$(date)`)'],
    ['2025-05-01T10:00:07.123Z', false, 'a time after its creation'],
    ['from-git', true, 'not a time: it cannot have asked for this object'],
  ])('%s → inherited %s (%s)', (value, inherited) => {
    expect(isInheritedRunRequest(value, '2025-05-01T10:00:00Z')).toBe(inherited);
  });
});
