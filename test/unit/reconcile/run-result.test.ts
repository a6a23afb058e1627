import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobFinish, jobTrigger, parseTerminationMessage, pickAttempt, attemptsOf, runRecord, toTime } from '../../../operator/reconcile/run-result.js';
import type { JobResult } from '../../../sync-job/contract.js';

const okResult = JSON.stringify({
  version: 1,
  outcome: 'Succeeded',
  startedAt: '2025-05-01T10:00:00Z',
  finishedAt: '2025-05-01T10:01:00Z',
  streams: {
    tickets: { outcome: 'Succeeded', records: 4, cursor: { updatedAt: '2025-05-01T09:59:00Z' } },
    agents: { outcome: 'NotDue', records: 0, cursor: {} },
  },
});

function job(conditions: { type: string; reason?: string; message?: string; time?: string }[], extra: Partial<V1Job['metadata']> = {}): V1Job {
  return {
    metadata: { name: 'acme-29100000', namespace: 'tenants', uid: 'job-uid', ...extra },
    status: {
      startTime: '2025-05-01T10:00:00Z' as unknown as Date,
      conditions: conditions.map((c) => ({
        type: c.type,
        status: 'True',
        reason: c.reason,
        message: c.message,
        lastTransitionTime: (c.time ?? '2025-05-01T10:01:02Z') as unknown as Date,
      })),
    },
  };
}

function pod(name: string, terminated: { exitCode: number; reason?: string; message?: string; finishedAt: string } | undefined, waiting?: { reason: string; message?: string }): V1Pod {
  return {
    metadata: { name, creationTimestamp: '2025-05-01T10:00:00Z' as unknown as Date },
    status: {
      phase: terminated === undefined ? 'Pending' : terminated.exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses: [
        {
          name: 'sync',
          image: 'img',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: terminated
            ? { terminated: { ...terminated, finishedAt: terminated.finishedAt as unknown as Date } }
            : waiting
              ? { waiting }
              : {},
        },
      ],
    },
  };
}

describe('jobFinish and jobTrigger', () => {
  it('is undefined while the Job runs or only has an interim condition', () => {
    expect(jobFinish(job([]))).toBeUndefined();
    expect(jobFinish(job([{ type: 'FailureTarget', reason: 'BackoffLimitExceeded' }]))).toBeUndefined();
    expect(jobFinish(job([{ type: 'SuccessCriteriaMet' }]))).toBeUndefined();
  });

  it('reads the terminal condition and its time', () => {
    expect(jobFinish(job([{ type: 'FailureTarget' }, { type: 'Failed', reason: 'DeadlineExceeded', message: 'too long', time: '2025-05-01T11:00:00.000Z' }]))).toEqual({
      state: 'Failed',
      time: '2025-05-01T11:00:00Z',
      reason: 'DeadlineExceeded',
      message: 'too long',
    });
  });

  it('manual for run-now and kubectl create job --from, scheduled otherwise', () => {
    expect(jobTrigger(job([], { annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' }, labels: { 'tenantsync.io/trigger': 'scheduled' } }))).toBe('manual');
    expect(jobTrigger(job([], { labels: { 'tenantsync.io/trigger': 'manual' } }))).toBe('manual');
    expect(jobTrigger(job([], { labels: { 'tenantsync.io/trigger': 'scheduled' } }))).toBe('scheduled');
  });
});

describe('parseTerminationMessage', () => {
  it('accepts a result of the contract', () => {
    expect(parseTerminationMessage(okResult)).toMatchObject({ kind: 'result', result: { outcome: 'Succeeded' } });
  });

  it('calls an empty message missing and anything else garbage, saying why', () => {
    expect(parseTerminationMessage(undefined)).toEqual({ kind: 'missing' });
    expect(parseTerminationMessage('  \n')).toEqual({ kind: 'missing' });
    expect(parseTerminationMessage('panic: boom\nat line 2')).toEqual({ kind: 'garbage', problem: 'it is not JSON (last line: "at line 2")' });
    expect(parseTerminationMessage('{"version":1,"outcome":"Maybe"}')).toMatchObject({ kind: 'garbage', problem: expect.stringMatching(/^it is not a sync result \(outcome: /) });
  });

  it('shows the msg of a pino log line (the FallbackToLogsOnError tail) rather than raw JSON', () => {
    const tail = '{"level":"info","msg":"starting"}\n{"level":"fatal","msg":"cannot read config","err":"ENOENT /etc/x"}\n';
    expect(parseTerminationMessage(tail)).toEqual({ kind: 'garbage', problem: 'it is not JSON (last line: "cannot read config: ENOENT /etc/x")' });
  });
});

describe('pickAttempt', () => {
  it('for a Complete Job takes the newest pod that succeeded; else the newest that terminated', () => {
    const attempts = attemptsOf([
      pod('p2', { exitCode: 1, finishedAt: '2025-05-01T10:03:00Z' }),
      pod('p1', { exitCode: 0, finishedAt: '2025-05-01T10:02:00Z' }),
      pod('p0', { exitCode: 1, finishedAt: '2025-05-01T10:01:00Z' }),
    ]);
    expect(attempts.map((a) => a.podName)).toEqual(['p0', 'p1', 'p2']);
    expect(pickAttempt(attempts, { state: 'Complete', time: '', reason: undefined, message: undefined })?.podName).toBe('p1');
    expect(pickAttempt(attempts, { state: 'Failed', time: '', reason: undefined, message: undefined })?.podName).toBe('p2');
    expect(pickAttempt([], { state: 'Failed', time: '', reason: undefined, message: undefined })).toBeUndefined();
  });
});

describe('times the API server sends as null', () => {
  // Found by the full cluster chaos run (seed 2027): after a node death, a pod's container state came back
  // terminated with `startedAt: null, finishedAt: null` (as the kubelet reports a container it could not
  // locate: ContainerStatusUnknown, exit code 137). Reading it threw "Cannot read properties of null (reading
  // 'getTime')", and the tenant's every pass failed with ReconcileError: no result applied, for ever.
  it('reads a terminated state with null times as having no time', () => {
    const unknown = pod('p1', { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', finishedAt: null as unknown as string });
    const attempts = attemptsOf([unknown, pod('p0', { exitCode: 0, finishedAt: '2025-05-01T10:01:00Z' })]);
    expect(attempts.map((a) => a.podName)).toEqual(['p1', 'p0']);
    expect(toTime(null)).toBeUndefined();
  });
});

describe('runRecord', () => {
  it('a valid result: outcome, records and a readable summary', () => {
    const j = job([{ type: 'Complete' }], { labels: { 'tenantsync.io/trigger': 'scheduled' } });
    const run = runRecord(j, jobFinish(j)!, [pod('p', { exitCode: 0, message: okResult, finishedAt: '2025-05-01T10:01:00Z' })]);
    expect(run).toMatchObject({
      jobName: 'acme-29100000',
      trigger: 'scheduled',
      startTime: '2025-05-01T10:00:00Z',
      completionTime: '2025-05-01T10:01:02Z',
      outcome: 'Succeeded',
      records: 4,
      message: 'synced 4 records (tickets 4); not due: agents',
    });
    expect(run.cursorResults).toHaveLength(1);
  });

  it('says how many records the lookback re-read and how many parents were skipped', () => {
    const result = JSON.parse(okResult) as JobResult;
    result.streams.tickets = { ...result.streams.tickets!, records: 40, redelivered: 38 };
    result.streams.conversations = { outcome: 'Succeeded', records: 7, cursor: {}, skipped: { count: 2, ids: ['17', '42'] } };
    const j = job([{ type: 'Complete' }], { labels: { 'tenantsync.io/trigger': 'scheduled' } });
    const run = runRecord(j, jobFinish(j)!, [pod('p', { exitCode: 0, message: JSON.stringify(result), finishedAt: '2025-05-01T10:01:00Z' })]);
    expect(run.message).toBe('synced 47 records (tickets 40 (38 re-read), conversations 7 (2 skipped)); not due: agents');
  });

  it('a failed run names the run error and each failed stream', () => {
    const failed = JSON.stringify({
      version: 1,
      outcome: 'PartiallySucceeded',
      startedAt: '2025-05-01T10:00:00Z',
      finishedAt: '2025-05-01T10:01:00Z',
      streams: {
        tickets: { outcome: 'Succeeded', records: 2, cursor: {} },
        contacts: { outcome: 'Failed', records: 0, cursor: {}, error: 'SINK_REJECTED: 400' },
        agents: { outcome: 'Skipped', records: 0, cursor: {}, error: 'SOURCE_FORBIDDEN: 403' },
      },
    });
    const j = job([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]);
    const run = runRecord(j, jobFinish(j)!, [pod('p', { exitCode: 1, message: failed, finishedAt: '2025-05-01T10:01:00Z' })]);
    expect(run.outcome).toBe('PartiallySucceeded');
    expect(run.message).toBe('failed streams: contacts: SINK_REJECTED: 400; succeeded: tickets 2; skipped: agents: SOURCE_FORBIDDEN: 403');
  });

  it('names streams that failed for the run error instead of repeating it', () => {
    const error = 'CREDENTIALS_INVALID: Freshdesk rejected the API key (HTTP 401 on GET /tickets)';
    const failed = JSON.stringify({
      version: 1,
      outcome: 'Failed',
      error,
      startedAt: '2025-05-01T10:00:00Z',
      finishedAt: '2025-05-01T10:00:01Z',
      streams: {
        tickets: { outcome: 'Failed', records: 0, cursor: {}, error },
        contacts: { outcome: 'Failed', records: 0, cursor: {}, error: `CREDENTIALS_INVALID: not started, ${error.slice('CREDENTIALS_INVALID: '.length)}` },
      },
    });
    const j = job([{ type: 'Failed', reason: 'PodFailurePolicy' }]);
    const run = runRecord(j, jobFinish(j)!, [pod('p', { exitCode: 2, message: failed, finishedAt: '2025-05-01T10:00:01Z' })]);
    expect(run.message).toBe(`${error}; failed streams: tickets, contacts (not started)`);
  });

  it('OOMKilled without a message: Failed, with the Job reason, container reason, exit code and a hint', () => {
    const j = job([{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
    const run = runRecord(j, jobFinish(j)!, [pod('acme-x', { exitCode: 137, reason: 'OOMKilled', finishedAt: '2025-05-01T10:01:00Z' })]);
    expect(run).toMatchObject({ outcome: 'Failed', records: 0, result: undefined });
    expect(run.message).toBe(
      'no result from the sync job: Job failed (BackoffLimitExceeded: Job has reached the specified backoff limit); ' +
        'container sync of pod acme-x ended (OOMKilled, exit code 137); it left no result (empty termination message); ' +
        'if it ran out of memory, raise spec.job.resources.limits.memory',
    );
  });

  it('an image that cannot be pulled and a deadline with no pods left are explained too', () => {
    const j = job([{ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]);
    const pulled = runRecord(j, jobFinish(j)!, [pod('p', undefined, { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope"' })]);
    expect(pulled.message).toContain('container sync of pod p never ran (ImagePullBackOff: Back-off pulling image "nope")');
    expect(pulled.message).toContain('check spec.job.image');
    const gone = runRecord(j, jobFinish(j)!, []);
    expect(gone.message).toBe(
      'no result from the sync job: Job failed (DeadlineExceeded: Job was active longer than specified deadline); its pods are gone, so no result could be read; if runs need longer, raise spec.job.timeout',
    );
  });

  it.each(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName'])('an image pull failure reported as terminated %s: never ran, the pull error, and the image hint', (reason) => {
    const j = job([{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
    const pulled = runRecord(j, jobFinish(j)!, [
      pod('acme-x', { exitCode: 128, reason, message: 'image nope:1 is not known to the test kubelet', finishedAt: '2025-05-01T10:01:00Z' }),
    ]);
    expect(pulled).toMatchObject({ outcome: 'Failed', records: 0, result: undefined });
    expect(pulled.message).toBe(
      'no result from the sync job: Job failed (BackoffLimitExceeded: Job has reached the specified backoff limit); ' +
        `container sync of pod acme-x never ran (${reason}: image nope:1 is not known to the test kubelet); check spec.job.image`,
    );
  });

  it('a container that ran and failed gets no image hint', () => {
    const j = job([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]);
    const run = runRecord(j, jobFinish(j)!, [pod('acme-x', { exitCode: 1, reason: 'Error', finishedAt: '2025-05-01T10:01:00Z' })]);
    expect(run.message).not.toContain('spec.job.image');
    expect(run.message).toContain('container sync of pod acme-x ended (exit code 1); it left no result (empty termination message)');
  });

  it('keeps the cursors of every attempt with a valid result, even when the last one left garbage', () => {
    const j = job([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]);
    const run = runRecord(j, jobFinish(j)!, [
      pod('p0', { exitCode: 1, message: okResult.replace('"Succeeded","startedAt"', '"Failed","startedAt"'), finishedAt: '2025-05-01T10:01:00Z' }),
      pod('p1', { exitCode: 1, message: 'Segmentation fault', finishedAt: '2025-05-01T10:02:00Z' }),
    ]);
    expect(run.outcome).toBe('Failed');
    expect(run.message).toContain('not JSON (last line: "Segmentation fault")');
    expect(run.cursorResults).toHaveLength(1);
  });

  it('a Job that failed after its pod reported success did not succeed', () => {
    const j = job([{ type: 'Failed', reason: 'DeadlineExceeded' }]);
    const run = runRecord(j, jobFinish(j)!, [pod('p', { exitCode: 0, message: okResult, finishedAt: '2025-05-01T10:01:00Z' })]);
    expect(run.outcome).toBe('Failed');
    expect(run.message).toMatch(/^Job failed \(DeadlineExceeded\) after the run reported: synced 4 records/);
  });
});
