// desiredStatus as a pure function: a table of what a pass gathered → the status it leaves (conditions,
// schedule fields, run queue, run results, lost runs, echoed requests) and when the tenant turns stale.
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { TenantSyncStatus } from '../../../operator/api/tenantsync.js';
import { desiredStatus, type DesiredStatusInputs } from '../../../operator/reconcile/desired-status.js';
import type { RunRecord } from '../../../operator/reconcile/run-result.js';

const now = new Date('2025-05-01T10:00:00Z');
const schedule = { cron: '0 */2 * * *', timeZone: 'Etc/UTC', intervalSeconds: 7200, source: 'interval' as const };
const cronJob = { metadata: { name: 'acme' }, status: { lastScheduleTime: '2025-05-01T08:00:00Z' as unknown as Date } } as V1CronJob;

function inputs(over: Partial<DesiredStatusInputs> = {}): DesiredStatusInputs {
  return {
    old: {},
    name: 'acme',
    generation: 2,
    createdAt: '2025-05-01T09:00:00Z',
    spec: { suspended: false, schedule, periodSeconds: 7200 },
    failure: undefined,
    quietRetry: false,
    cronJob,
    jobs: [],
    handledRunRequest: undefined,
    handledResyncRequest: undefined,
    runs: [],
    lost: [],
    state: undefined,
    streamNames: ['tickets'],
    now,
    ...over,
  };
}

function run(jobName: string, outcome: RunRecord['outcome'], completionTime = '2025-05-01T09:30:00Z'): RunRecord {
  return {
    jobName,
    jobUid: undefined,
    trigger: 'scheduled',
    startTime: '2025-05-01T09:29:00Z',
    completionTime,
    outcome,
    records: 5,
    message: `${outcome}: 5 records`,
    result: { version: 1, outcome, startedAt: '2025-05-01T09:29:00Z', finishedAt: completionTime, streams: { tickets: { outcome: outcome === 'Succeeded' ? 'Succeeded' : 'Failed', records: 5, cursor: {} } } },
    cursorResults: [],
  };
}

function job(name: string, suspended: boolean): V1Job {
  return {
    metadata: { name, creationTimestamp: '2025-05-01T09:59:00Z' as unknown as Date, labels: { 'tenantsync.io/trigger': 'manual' } },
    spec: { suspend: suspended, template: {} },
    status: suspended ? {} : { startTime: '2025-05-01T09:59:30Z' as unknown as Date },
  };
}

const condition = (status: TenantSyncStatus | undefined, type: string) => status?.conditions?.find((c) => c.type === type);
const readyOld: TenantSyncStatus = {
  observedGeneration: 1,
  cronJobName: 'acme',
  schedule: '0 */2 * * *',
  nextRunTime: '2025-05-01T10:00:00Z',
  conditions: [{ type: 'Ready', status: 'True', reason: 'Reconciled', message: 'ok', lastTransitionTime: '2025-05-01T09:00:00Z', observedGeneration: 1 }],
  streams: [{ name: 'contacts' }],
};

describe('desiredStatus', () => {
  it.each<[string, Partial<DesiredStatusInputs>, { ready: [string, string]; stalled?: string; reconciling?: string; syncHealthy?: string; fields: Partial<TenantSyncStatus> }]>([
    [
      'ready: schedule, next run, CronJob, and no run yet',
      {},
      {
        ready: ['True', 'Reconciled'],
        syncHealthy: 'AwaitingFirstRun',
        // The CronJob last started the 08:00 run: the 10:00 one is next (due now, not started yet).
        fields: { observedGeneration: 2, cronJobName: 'acme', schedule: '0 */2 * * *', nextRunTime: '2025-05-01T10:00:00Z', lastScheduleTime: '2025-05-01T08:00:00Z', streams: [{ name: 'tickets' }] },
      },
    ],
    ['suspended: Ready with reason Suspended, no next run', { spec: { suspended: true, schedule, periodSeconds: 7200 } }, { ready: ['True', 'Suspended'], fields: { nextRunTime: undefined } }],
    [
      'invalid spec: stalled, no schedule, the streams status already shows',
      { spec: undefined, cronJob: undefined, streamNames: undefined, old: readyOld, failure: { kind: 'stalled', reason: 'InvalidSpec', message: 'spec is invalid: spec.interval' } },
      { ready: ['False', 'InvalidSpec'], stalled: 'True', fields: { schedule: undefined, cronJobName: undefined, nextRunTime: undefined, streams: [{ name: 'contacts' }] } },
    ],
    [
      'a reported API error: Reconciling, Ready False',
      { failure: { kind: 'retry', reason: 'KubeApiError', message: 'apply CronJob: 500' } },
      { ready: ['False', 'KubeApiError'], reconciling: 'True', fields: { nextRunTime: undefined } },
    ],
    [
      'a failed run: counted, SyncHealthy and Ready False',
      { runs: [run('acme-1', 'Failed')] },
      { ready: ['False', 'SyncFailed'], syncHealthy: 'SyncFailed', fields: { consecutiveFailures: 1, lastRun: expect.objectContaining({ jobName: 'acme-1', outcome: 'Failed' }) as never } },
    ],
    [
      'a successful run',
      { runs: [run('acme-1', 'Succeeded')] },
      { ready: ['True', 'Reconciled'], syncHealthy: 'SyncSucceeded', fields: { consecutiveFailures: 0, lastSuccessfulRunTime: '2025-05-01T09:30:00Z' } },
    ],
    [
      'no success within two periods: stale',
      { createdAt: '2025-05-01T05:00:00Z' },
      { ready: ['False', 'Stale'], syncHealthy: 'Stale', fields: {} },
    ],
    [
      'requests handled by the pass are echoed; lost runs are counted on top of the old count',
      { handledRunRequest: 'r2', handledResyncRequest: 's1', old: { ...readyOld, lastHandledRunRequest: 'r1', lostRuns: 2 }, lost: [{ jobName: 'a', detectedAt: '2025-05-01T09:58:00Z' }, { jobName: 'b', detectedAt: '2025-05-01T09:59:00Z' }] },
      { ready: ['True', 'Reconciled'], fields: { lastHandledRunRequest: 'r2', lastHandledResyncRequest: 's1', lostRuns: 4, lastLostRun: { jobName: 'b', detectedAt: '2025-05-01T09:59:00Z' } } },
    ],
    [
      'an old request stays handled; the run queue comes from the Jobs',
      { old: { ...readyOld, lastHandledRunRequest: 'r1', activeRun: { jobName: 'gone', trigger: 'scheduled' } }, jobs: [job('acme-run-1', false), job('acme-run-2', true)] },
      {
        ready: ['True', 'Reconciled'],
        fields: {
          lastHandledRunRequest: 'r1',
          activeRun: { jobName: 'acme-run-1', trigger: 'manual', startTime: '2025-05-01T09:59:30Z' },
          waitingRuns: [{ jobName: 'acme-run-2', trigger: 'manual', since: '2025-05-01T09:59:00Z' }],
        },
      },
    ],
  ])('%s', (_name, over, want) => {
    const status = desiredStatus(inputs(over))?.status;
    const ready = condition(status, 'Ready');
    expect([ready?.status, ready?.reason]).toEqual(want.ready);
    expect(condition(status, 'Stalled')?.status).toBe(want.stalled);
    expect(condition(status, 'Reconciling')?.status).toBe(want.reconciling);
    if (want.syncHealthy !== undefined) expect(condition(status, 'SyncHealthy')?.reason).toBe(want.syncHealthy);
    for (const [field, value] of Object.entries(want.fields)) expect(status?.[field as keyof TenantSyncStatus], field).toEqual(value);
  });

  it("says in Ready's message what runs when; a failing sync gives Ready the SyncHealthy condition's reason and message", () => {
    expect(condition(desiredStatus(inputs())?.status, 'Ready')?.message).toBe('CronJob acme runs on "0 */2 * * *" (Etc/UTC)');
    const failing = desiredStatus(inputs({ runs: [run('acme-1', 'Failed')] }))?.status;
    const health = condition(failing, 'SyncHealthy');
    expect(health?.message).toContain('acme-1');
    expect(condition(failing, 'Ready')).toMatchObject({ status: 'False', reason: health?.reason, message: health?.message });
  });

  it('says when the tenant turns stale: two periods after its creation while no run succeeded', () => {
    expect(desiredStatus(inputs())?.staleAt).toEqual(new Date('2025-05-01T13:00:00Z'));
    expect(desiredStatus(inputs({ spec: { suspended: true, schedule, periodSeconds: 7200 } }))?.staleAt).toBeUndefined();
  });

  it('a tenant resumed after a long suspend, or whose schedule changed, is not stale at once: it counts from then (scheduleStartTime)', () => {
    const later = new Date('2025-05-09T10:00:00Z'); // a week after its last success
    const longAgo: TenantSyncStatus = { ...readyOld, lastSuccessfulRunTime: '2025-05-01T09:30:00Z' };
    const suspendedOld: TenantSyncStatus = {
      ...longAgo,
      nextRunTime: undefined,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Suspended', message: 'suspended', lastTransitionTime: '2025-05-01T09:40:00Z', observedGeneration: 1 }],
    };
    // Still suspended: never stale, nothing re-armed.
    const still = desiredStatus(inputs({ old: suspendedOld, now: later, spec: { suspended: true, schedule, periodSeconds: 7200 } }));
    expect(still?.status.scheduleStartTime).toBeUndefined();
    // Resumed: stale only two periods after the resume, and the next passes keep that time.
    const resumed = desiredStatus(inputs({ old: suspendedOld, now: later }));
    expect(resumed?.status.scheduleStartTime).toBe('2025-05-09T10:00:00Z');
    expect(condition(resumed?.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
    expect(resumed?.staleAt).toEqual(new Date('2025-05-09T14:00:00Z'));
    const after = desiredStatus(inputs({ old: resumed!.status, now: new Date('2025-05-09T11:00:00Z') }));
    expect(after?.status.scheduleStartTime).toBe('2025-05-09T10:00:00Z');
    expect(desiredStatus(inputs({ old: resumed!.status, now: new Date('2025-05-09T14:00:00Z') }))?.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'Stale' });
    // A shorter interval (24h → 2h) a day after the last success: counted from the change.
    const daily: TenantSyncStatus = { ...longAgo, schedule: '0 0 * * *' };
    const moved = desiredStatus(inputs({ old: daily, now: new Date('2025-05-02T10:00:00Z') }));
    expect(moved?.status.scheduleStartTime).toBe('2025-05-02T10:00:00Z');
    expect(condition(moved?.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
    // The Secret arrived after a week (the CronJob was held): counted from then, also when the pass that let the CronJob
    // run could not write status and a later pass finds it running (only the stored status tells).
    const secretMissingOld: TenantSyncStatus = {
      ...longAgo,
      nextRunTime: undefined,
      conditions: [{ type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'no Secret', lastTransitionTime: '2025-05-01T09:40:00Z', observedGeneration: 1 }],
    };
    const arrived = desiredStatus(inputs({ old: secretMissingOld, now: later }));
    expect(arrived?.status.scheduleStartTime).toBe('2025-05-09T10:00:00Z');
    expect(arrived?.status.nextRunTime).toBe('2025-05-09T12:00:00Z');
    expect(condition(arrived?.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
    // Without either, it stays stale as before: a week without a success on a 2h schedule.
    expect(condition(desiredStatus(inputs({ old: longAgo, now: later }))?.status, 'Ready')).toMatchObject({ status: 'False', reason: 'Stale' });
  });

  it('nextRunTime follows the CronJob, not the clock: the first scheduled time after its last start, its creation or a re-arm', () => {
    const next = (over: Partial<DesiredStatusInputs>) => desiredStatus(inputs(over))?.status.nextRunTime;
    const created = { name: 'acme', creationTimestamp: '2025-05-01T09:10:00Z' as unknown as Date };
    const neverStarted = { metadata: created, status: {} } as V1CronJob;
    // Never started a run: the first time after the CronJob was created, as the CronJob controller counts.
    expect(next({ cronJob: neverStarted })).toBe('2025-05-01T10:00:00Z');
    // Its time passes without a run (a previous run still active, no CronJob controller): the same, overdue.
    // A status that only the clock would change is not written again.
    const overdue = desiredStatus(inputs({ cronJob: neverStarted }))!.status;
    expect(desiredStatus(inputs({ cronJob: neverStarted, old: overdue, now: new Date('2025-05-01T12:30:00Z') }))?.status).toEqual(overdue);
    // The CronJob starts the 10:00 run: the next is 12:00.
    expect(next({ cronJob: { metadata: created, status: { lastScheduleTime: '2025-05-01T10:00:00Z' as unknown as Date } } as V1CronJob, now: new Date('2025-05-01T10:00:02Z') })).toBe('2025-05-01T12:00:00Z');
    // Resumed at 15:10 after a suspend: the first time after the resume (the CronJob's last start is long past).
    const suspendedOld: TenantSyncStatus = {
      ...readyOld,
      nextRunTime: undefined,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Suspended', message: 'suspended', lastTransitionTime: '2025-05-01T09:40:00Z', observedGeneration: 1 }],
    };
    expect(next({ old: suspendedOld, now: new Date('2025-05-01T15:10:00Z') })).toBe('2025-05-01T16:00:00Z');
    // A TenantSync whose CronJob has no creation time (not as stored): counted from the TenantSync's.
    expect(next({ cronJob: { metadata: { name: 'acme' } } as V1CronJob, createdAt: '2025-05-01T10:30:00Z' })).toBe('2025-05-01T12:00:00Z');
  });

  it("a run whose pod cannot start shows in SyncHealthy and Ready (RunBlocked) while it lasts, and not once it runs", () => {
    const active: V1Job = { metadata: { name: 'acme-1', uid: 'u1', creationTimestamp: '2025-05-01T09:59:00Z' as unknown as Date }, spec: { suspend: false, template: {} }, status: { startTime: '2025-05-01T09:59:30Z' as unknown as Date } };
    const podOf = (state: object) => ({
      metadata: { name: 'acme-1-abcde', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'acme-1', uid: 'u1', controller: true }] },
      status: { phase: 'Pending', containerStatuses: [{ name: 'sync', image: 'x', imageID: '', ready: false, restartCount: 0, state }] },
    });
    const blocked = desiredStatus(inputs({ old: readyOld, jobs: [active], pods: [podOf({ waiting: { reason: 'ErrImagePull', message: 'not found' } })] }));
    expect(condition(blocked?.status, 'SyncHealthy')).toMatchObject({ status: 'False', reason: 'RunBlocked', message: expect.stringMatching(/^run acme-1 cannot start: pod acme-1-abcde cannot pull its image \(ErrImagePull: not found\); check spec\.job\.image/) });
    expect(condition(blocked?.status, 'Ready')).toMatchObject({ status: 'False', reason: 'RunBlocked' });
    expect(blocked?.status.activeRun).toMatchObject({ jobName: 'acme-1' });
    const running = desiredStatus(inputs({ old: blocked!.status, jobs: [active], pods: [podOf({ running: { startedAt: '2025-05-01T10:00:00Z' } })] }));
    expect(condition(running?.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
  });

  it('leaves status alone on a quiet retry with nothing to record', () => {
    expect(desiredStatus(inputs({ old: readyOld, quietRetry: true, failure: { kind: 'retry', reason: 'KubeApiError', message: '503' } }))).toBeUndefined();
  });

  it('records runs on a quiet retry but keeps conditions and what the failed pass would have changed', () => {
    const desired = desiredStatus(
      inputs({ old: readyOld, quietRetry: true, failure: { kind: 'retry', reason: 'KubeApiError', message: '503' }, runs: [run('acme-1', 'Succeeded')], generation: 3 }),
    );
    expect(desired?.status).toMatchObject({ observedGeneration: 1, nextRunTime: '2025-05-01T10:00:00Z', lastRun: { jobName: 'acme-1' }, lastSuccessfulRunTime: '2025-05-01T09:30:00Z' });
    expect(condition(desired?.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled', lastTransitionTime: '2025-05-01T09:00:00Z' });
    expect(condition(desired?.status, 'Reconciling')).toBeUndefined();
  });

  it('is a function of its inputs: the same inputs give the same status', () => {
    const a = inputs({ runs: [run('acme-1', 'PartiallySucceeded')], jobs: [job('acme-run-1', true)] });
    expect(desiredStatus(a)).toEqual(desiredStatus(structuredClone(a)));
  });
});

describe('a tenant that stays stale or failing', () => {
  // Found by the operator-scale benchmark: Ready was first set True (the operator's work succeeded) and then
  // pulled False by SyncHealthy, so its lastTransitionTime was "now" on every pass; each pass wrote status,
  // whose watch event started the next pass: a loop of status writes for as long as the tenant stayed stale.
  for (const [name, over] of [
    ['stale', { createdAt: '2025-04-01T00:00:00Z' }],
    ['failing', { createdAt: '2025-04-01T00:00:00Z', runs: [run('acme-1', 'Failed')] }],
  ] as const) {
    it(`${name}: a later pass leaves status as it is (Ready keeps its transition time)`, () => {
      const first = desiredStatus(inputs(over))!.status;
      expect(condition(first, 'Ready')).toMatchObject({ status: 'False' });
      const later = desiredStatus(inputs({ ...over, runs: [], old: first, now: new Date(now.getTime() + 5_000) }))!.status;
      expect(later).toEqual(first);
    });
  }
});
