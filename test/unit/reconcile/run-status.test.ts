import { describe, expect, it } from 'vitest';
import type { TenantSyncStatus } from '../../../operator/api/tenantsync.js';
import type { RunRecord } from '../../../operator/reconcile/run-result.js';
import {
  compareRuns,
  foldRuns,
  formatPeriod,
  isNewerRun,
  schedulePeriodSeconds,
  staleDeadline,
  syncHealth,
  withSyncHealth,
} from '../../../operator/reconcile/run-status.js';
import { setCondition } from '../../../operator/reconcile/conditions.js';

function run(jobName: string, completionTime: string, outcome: RunRecord['outcome'], streams: Record<string, [string, number]> = {}): RunRecord {
  return {
    jobName,
    jobUid: undefined,
    trigger: 'scheduled',
    startTime: undefined,
    completionTime,
    outcome,
    records: Object.values(streams).reduce((s, [, n]) => s + n, 0),
    message: `${outcome} message`,
    result: {
      version: 1,
      outcome,
      startedAt: completionTime,
      finishedAt: completionTime,
      streams: Object.fromEntries(Object.entries(streams).map(([n, [o, r]]) => [n, { outcome: o as 'Succeeded', records: r, cursor: {} }])),
    },
    cursorResults: [],
  };
}

describe('run order', () => {
  it('orders by completion time, then Job name', () => {
    expect(compareRuns({ jobName: 'b', completionTime: '2025-05-01T10:00:00Z' }, { jobName: 'a', completionTime: '2025-05-01T10:00:01Z' })).toBeLessThan(0);
    expect(compareRuns({ jobName: 'b', completionTime: '2025-05-01T10:00:00Z' }, { jobName: 'a', completionTime: '2025-05-01T10:00:00Z' })).toBeGreaterThan(0);
    const last = { jobName: 'j2', trigger: 'scheduled' as const, outcome: 'Failed' as const, completionTime: '2025-05-01T10:00:00Z' };
    expect(isNewerRun({ jobName: 'j2', completionTime: '2025-05-01T10:00:00Z' }, last)).toBe(false);
    expect(isNewerRun({ jobName: 'j1', completionTime: '2025-05-01T09:00:00Z' }, last)).toBe(false);
    expect(isNewerRun({ jobName: 'j3', completionTime: '2025-05-01T10:00:01Z' }, last)).toBe(true);
    expect(isNewerRun({ jobName: 'j3', completionTime: '2025-05-01T10:00:01Z' }, undefined)).toBe(true);
  });
});

describe('foldRuns', () => {
  const state = {
    version: 1 as const,
    streams: { tickets: { cursor: { updatedAt: '2025-05-01T09:00:00Z', ids: ['1', '2'] }, lastSuccessAt: '2025-05-01T09:30:00.250Z' } },
  };

  it('counts failures in completion order and resets them on success', () => {
    const status = foldRuns({
      status: {},
      runs: [run('j3', '2025-05-01T12:00:00Z', 'Failed'), run('j1', '2025-05-01T10:00:00Z', 'Succeeded'), run('j2', '2025-05-01T11:00:00Z', 'PartiallySucceeded')],
      state,
      streamNames: ['tickets'],
    });
    expect(status.lastRun).toMatchObject({ jobName: 'j3', outcome: 'Failed', completionTime: '2025-05-01T12:00:00Z', message: 'Failed message' });
    expect(status.lastSuccessfulRunTime).toBe('2025-05-01T10:00:00Z');
    expect(status.consecutiveFailures).toBe(2);
  });

  it('a run not newer than lastRun (seen late, or already counted before a crash) changes no counter', () => {
    const old: TenantSyncStatus = {
      lastRun: { jobName: 'j5', trigger: 'scheduled', outcome: 'Failed', completionTime: '2025-05-01T12:00:00Z' },
      consecutiveFailures: 1,
      lastSuccessfulRunTime: '2025-05-01T08:00:00Z',
    };
    const again = foldRuns({ status: old, runs: [run('j5', '2025-05-01T12:00:00Z', 'Failed'), run('j4', '2025-05-01T11:00:00Z', 'Succeeded')], state, streamNames: [] });
    expect(again).toMatchObject({ lastRun: old.lastRun, consecutiveFailures: 1, lastSuccessfulRunTime: '2025-05-01T08:00:00Z' });
  });

  it('rebuilds streams[] from the state, with records and outcome of the latest run that ran each stream', () => {
    const first = foldRuns({ status: {}, runs: [run('j1', '2025-05-01T10:00:00Z', 'Succeeded', { tickets: ['Succeeded', 5], contacts: ['Succeeded', 0] })], state, streamNames: ['tickets', 'contacts'] });
    expect(first.streams).toEqual([
      { name: 'tickets', cursor: '2025-05-01T09:00:00Z (+2 ids at that second)', lastSuccessTime: '2025-05-01T09:30:00Z', lastRecords: 5, lastOutcome: 'Succeeded' },
      { name: 'contacts', lastRecords: 0, lastOutcome: 'Succeeded' },
    ]);
    const second = foldRuns({ status: first, runs: [run('j2', '2025-05-01T11:00:00Z', 'Succeeded', { tickets: ['NotDue', 0] })], state, streamNames: ['tickets', 'contacts'] });
    expect(second.streams?.[0]).toMatchObject({ lastRecords: 5, lastOutcome: 'NotDue' });
  });
});

describe('schedule period and stale deadline', () => {
  it('is the interval, or the longest gap of a cron schedule', () => {
    expect(schedulePeriodSeconds({ cron: '7 */2 * * *', timeZone: 'Etc/UTC', intervalSeconds: 7200, source: 'interval' }, new Date())).toBe(7200);
    expect(schedulePeriodSeconds({ cron: '*/5 * * * *', timeZone: undefined, intervalSeconds: undefined, source: 'schedule' }, new Date('2025-05-01T00:00:00Z'))).toBe(300);
    // Weekdays at 9: the weekend makes it three days.
    expect(schedulePeriodSeconds({ cron: '0 9 * * 1-5', timeZone: 'Europe/Berlin', intervalSeconds: undefined, source: 'schedule' }, new Date('2025-05-01T00:00:00Z'))).toBe(3 * 86400);
  });

  it('is two periods after the last success, or after creation when none succeeded', () => {
    expect(staleDeadline('2025-05-01T10:00:00Z', '2025-04-01T00:00:00Z', 3600)?.toISOString()).toBe('2025-05-01T12:00:00.000Z');
    expect(staleDeadline(undefined, '2025-04-01T00:00:00Z', 3600)?.toISOString()).toBe('2025-04-01T02:00:00.000Z');
    expect(staleDeadline(undefined, undefined, 3600)).toBeUndefined();
  });

  it('formats periods as people write them', () => {
    expect([formatPeriod(90), formatPeriod(900), formatPeriod(7200), formatPeriod(3 * 86400), formatPeriod(36 * 3600)]).toEqual(['1m30s', '15m', '2h', '3d', '1d12h']);
  });
});

describe('syncHealth', () => {
  const now = new Date('2025-05-01T13:00:00Z');
  const base = { name: 'acme', cronJobName: 'acme', periodSeconds: 3600, createdAt: '2025-05-01T09:00:00Z', suspended: false, now };

  it('is Unknown before the first run and tells when it turns stale', () => {
    const h = syncHealth({ ...base, status: {}, now: new Date('2025-05-01T10:00:00Z') });
    expect(h.condition).toMatchObject({ status: 'Unknown', reason: 'AwaitingFirstRun' });
    expect(h.staleAt?.toISOString()).toBe('2025-05-01T11:00:00.000Z');
  });

  it('is True after a success, until two periods pass without another', () => {
    const status: TenantSyncStatus = {
      lastRun: { jobName: 'j1', trigger: 'scheduled', outcome: 'Succeeded', completionTime: '2025-05-01T12:30:00Z', message: 'synced 3 records' },
      lastSuccessfulRunTime: '2025-05-01T12:30:00Z',
    };
    const h = syncHealth({ ...base, status });
    expect(h.condition).toEqual({ type: 'SyncHealthy', status: 'True', reason: 'SyncSucceeded', message: 'run j1 succeeded at 2025-05-01T12:30:00Z: synced 3 records' });
    expect(h.staleAt?.toISOString()).toBe('2025-05-01T14:30:00.000Z');
    const later = syncHealth({ ...base, status, now: new Date('2025-05-01T14:30:00Z') });
    expect(later.condition).toMatchObject({ status: 'False', reason: 'Stale' });
    expect(later.condition.message).toBe(
      'no run has succeeded since 2025-05-01T12:30:00Z, though runs are due every 1h; check the CronJob acme and its Jobs (kubectl get jobs -l tenantsync.io/name=acme)',
    );
    expect(later.staleAt).toBeUndefined();
  });

  it('never calls a suspended tenant stale', () => {
    const h = syncHealth({ ...base, status: {}, suspended: true, now: new Date('2026-01-01T00:00:00Z') });
    expect(h.condition.reason).toBe('AwaitingFirstRun');
    expect(h.staleAt).toBeUndefined();
  });

  it('is False after a failed run, naming the run, the streak and what went wrong', () => {
    const status: TenantSyncStatus = {
      lastRun: { jobName: 'j3', trigger: 'manual', outcome: 'Failed', completionTime: '2025-05-01T12:50:00Z', message: 'SOURCE_UNAUTHORIZED: 401' },
      consecutiveFailures: 3,
    };
    expect(syncHealth({ ...base, status, now: new Date('2025-05-01T10:00:00Z') }).condition).toEqual({
      type: 'SyncHealthy',
      status: 'False',
      reason: 'SyncFailed',
      message: 'run j3 failed at 2025-05-01T12:50:00Z (3 runs in a row have not succeeded): SOURCE_UNAUTHORIZED: 401. Logs: kubectl logs job/j3',
    });
    expect(syncHealth({ ...base, status: { ...status, lastRun: { ...status.lastRun!, outcome: 'PartiallySucceeded' } } }).condition.reason).toBe('SyncPartiallyFailed');
  });
});

describe('withSyncHealth (Ready summary)', () => {
  const now = new Date('2025-05-01T13:00:00Z');
  const ready = setCondition([], { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'runs' }, 1, now);
  const failed = { type: 'SyncHealthy', status: 'False' as const, reason: 'SyncFailed', message: 'run j failed' };

  it('pulls Ready down with the sync reason, without Stalled or Reconciling (kstatus stays Current)', () => {
    const conditions = withSyncHealth(ready, failed, { kind: 'ready', suspended: false, message: 'runs' }, false, 1, now);
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'SyncFailed'],
      ['SyncHealthy', 'False', 'SyncFailed'],
    ]);
  });

  it('leaves Ready alone when suspended, when healthy, or when the reconcile itself failed', () => {
    expect(withSyncHealth(ready, failed, { kind: 'ready', suspended: true, message: 'x' }, true, 1, now)[0]).toMatchObject({ status: 'True', reason: 'Reconciled' });
    expect(withSyncHealth(ready, { ...failed, status: 'True', reason: 'SyncSucceeded' }, { kind: 'ready', suspended: false, message: 'x' }, false, 1, now)[0]).toMatchObject({ status: 'True' });
    const stalled = setCondition([], { type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'no secret' }, 1, now);
    expect(withSyncHealth(stalled, failed, { kind: 'stalled', reason: 'SecretNotFound', message: 'no secret' }, false, 1, now)[0]).toMatchObject({ reason: 'SecretNotFound' });
  });
});
