import { describe, expect, it } from 'vitest';
import type { TenantSyncStatus } from '../../../operator/api/tenantsync.js';
import { setCondition } from '../../../operator/reconcile/conditions.js';
import { computeStatus, parseStoredStatus, readyTransitionEvent, changedStatusJson, type ReconcileOutcome, type StatusInputs } from '../../../operator/reconcile/status.js';
import { kstatusOf } from './kstatus.js';

const t0 = new Date('2025-05-01T10:00:00.123Z');
const t1 = new Date('2025-05-01T10:05:00Z');

function inputs(outcome: ReconcileOutcome, over: Partial<StatusInputs> = {}): StatusInputs {
  return {
    old: undefined,
    generation: 3,
    outcome,
    cronJobName: 'acme',
    schedule: '37 1-23/2 * * *',
    nextRunTime: new Date('2025-05-01T11:37:00Z'),
    lastScheduleTime: undefined,
    lastHandledRunRequest: undefined,
    now: t0,
    ...over,
  };
}

const ready: ReconcileOutcome = { kind: 'ready', suspended: false, message: 'CronJob acme runs at 37 1-23/2 * * * (Etc/UTC)' };
const stalled: ReconcileOutcome = { kind: 'stalled', reason: 'SecretNotFound', message: 'Secret tenants/acme-freshdesk not found' };
const retrying: ReconcileOutcome = { kind: 'retrying', reason: 'KubeApiError', message: 'apply CronJob: 500' };

describe('computeStatus', () => {
  it.each([
    [ready, 'True', 'Reconciled', undefined, undefined, 'Current'],
    [{ kind: 'ready', suspended: true, message: 'suspended' } as ReconcileOutcome, 'True', 'Suspended', undefined, undefined, 'Current'],
    [stalled, 'False', 'SecretNotFound', 'True', undefined, 'Failed'],
    [{ kind: 'stalled', reason: 'InvalidSpec', message: 'spec.interval: bad' } as ReconcileOutcome, 'False', 'InvalidSpec', 'True', undefined, 'Failed'],
    [retrying, 'False', 'KubeApiError', undefined, 'True', 'InProgress'],
  ])('%o → Ready=%s (%s), Stalled=%s, Reconciling=%s, kstatus %s', (outcome, readyStatus, reason, stalledStatus, reconcilingStatus, kstatus) => {
    const status = computeStatus(inputs(outcome));
    const get = (type: string) => status.conditions?.find((c) => c.type === type);
    expect(get('Ready')).toMatchObject({ status: readyStatus, reason, message: (outcome as { message: string }).message, observedGeneration: 3 });
    expect(get('Stalled')?.status).toBe(stalledStatus);
    expect(get('Reconciling')?.status).toBe(reconcilingStatus);
    expect(kstatusOf(3, status)).toBe(kstatus);
    expect(status.observedGeneration).toBe(3);
  });

  it('writes schedule, CronJob name and times in RFC 3339 seconds', () => {
    const status = computeStatus(inputs(ready, { lastScheduleTime: '2025-05-01T09:37:00Z', lastHandledRunRequest: 'r1' }));
    expect(status).toMatchObject({
      cronJobName: 'acme',
      schedule: '37 1-23/2 * * *',
      nextRunTime: '2025-05-01T11:37:00Z',
      lastScheduleTime: '2025-05-01T09:37:00Z',
      lastHandledRunRequest: 'r1',
    });
    expect(status.conditions?.[0]?.lastTransitionTime).toBe('2025-05-01T10:00:00Z');
  });

  it('keeps lastTransitionTime while the status stays, moves it when it flips', () => {
    const first = computeStatus(inputs(stalled));
    const sameStatusNewMessage = computeStatus(inputs({ ...stalled, message: 'key apiKey missing' }, { old: first, now: t1 }));
    expect(sameStatusNewMessage.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime).toBe('2025-05-01T10:00:00Z');
    const recovered = computeStatus(inputs(ready, { old: sameStatusNewMessage, now: t1 }));
    expect(recovered.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2025-05-01T10:05:00Z' });
    expect(recovered.conditions?.map((c) => c.type)).toEqual(['Ready']);
  });

  it('carries over what run results wrote', () => {
    const old: TenantSyncStatus = {
      lastRun: { jobName: 'acme-29000000', trigger: 'scheduled', outcome: 'Succeeded', records: 10 },
      consecutiveFailures: 0,
      streams: [{ name: 'tickets', cursor: '2025-05-01T09:00:00Z' }],
      conditions: setCondition([], { type: 'SyncHealthy', status: 'True', reason: 'Succeeded', message: 'ok' }, 2, t0),
    };
    const status = computeStatus(inputs(ready, { old }));
    expect(status).toMatchObject({ lastRun: old.lastRun, consecutiveFailures: 0, streams: old.streams });
    expect(status.conditions?.map((c) => c.type)).toEqual(['Ready', 'SyncHealthy']);
  });

  it('drops fields whose source is gone', () => {
    const old = computeStatus(inputs(ready));
    const invalid = computeStatus(inputs({ kind: 'stalled', reason: 'InvalidSpec', message: 'x' }, { old, schedule: undefined, nextRunTime: undefined }));
    expect(invalid.schedule).toBeUndefined();
    expect(invalid.nextRunTime).toBeUndefined();
    expect(invalid.cronJobName).toBe('acme');
  });
});

describe('changedStatusJson', () => {
  it('is undefined for the same pass repeated later (no writes when idle)', () => {
    const first = computeStatus(inputs(ready));
    const again = computeStatus(inputs(ready, { old: first, now: t1 }));
    expect(changedStatusJson(first, again)).toBeUndefined();
  });

  it('ignores key order, and gives the new status as canonical JSON for any real change', () => {
    const first = computeStatus(inputs(ready));
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(first).reverse()))) as TenantSyncStatus;
    expect(changedStatusJson(reordered, computeStatus(inputs(ready, { old: first })))).toBeUndefined();
    expect(changedStatusJson(first, computeStatus(inputs(ready, { old: first, nextRunTime: new Date('2025-05-01T13:37:00Z') })))).toBeDefined();
    expect(changedStatusJson(first, computeStatus(inputs(ready, { old: first, generation: 4 })))).toBeDefined();
    expect(changedStatusJson(undefined, first)).toBeDefined();
    expect(JSON.parse(changedStatusJson(undefined, first)!)).toEqual(JSON.parse(JSON.stringify(first)));
  });
});

describe('readyTransitionEvent', () => {
  it('emits once per change of Ready, not per pass', () => {
    const a = computeStatus(inputs(stalled));
    expect(readyTransitionEvent(undefined, a)).toEqual({ type: 'Warning', reason: 'SecretNotFound', message: stalled.message });
    const b = computeStatus(inputs(stalled, { old: a, now: t1 }));
    expect(readyTransitionEvent(a, b)).toBeUndefined();
    const c = computeStatus(inputs(ready, { old: b, now: t1 }));
    expect(readyTransitionEvent(b, c)).toEqual({ type: 'Normal', reason: 'Reconciled', message: ready.message });
  });
});

describe('parseStoredStatus', () => {
  const good: TenantSyncStatus = {
    observedGeneration: 3,
    lastRun: { jobName: 'acme-1', trigger: 'scheduled', completionTime: '2026-12-01T10:00:00Z', outcome: 'Succeeded', records: 4 },
    lastSuccessfulRunTime: '2026-12-01T10:00:00Z',
    consecutiveFailures: 0,
  };

  it('keeps every valid field when one field is invalid, and names the invalid one', () => {
    const parsed = parseStoredStatus({ ...good, waitingRuns: [{ jobName: 'acme-2', trigger: 'sometimes' }], nextRunTime: 'soon' });
    expect(parsed.status).toEqual(good);
    expect([...parsed.invalidFields].sort()).toEqual(['nextRunTime', 'waitingRuns']);
  });

  it('parses a valid status whole, and an absent one as empty', () => {
    expect(parseStoredStatus(good)).toEqual({ status: good, invalidFields: [] });
    expect(parseStoredStatus(undefined)).toEqual({ status: {}, invalidFields: [] });
    expect(parseStoredStatus('garbage')).toEqual({ status: {}, invalidFields: ['status'] });
  });
});
