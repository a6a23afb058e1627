// Run now and a failing source end to end: each new value of tenantsync.io/run-requested-at starts exactly
// one manual Job, recorded with trigger manual. A wrong API key (401 from Freshdesk) fails the Job at once
// (podFailurePolicy, one pod), status says Failed with the credentials message, consecutiveFailures
// counts and a SyncFailed Event is emitted; fixing the Secret and requesting a run recovers.
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualJobName } from '../../operator/reconcile/names.js';
import { condition } from '../integration/operator-helpers.js';
import {
  createCredentials,
  createTenant,
  jobCondition,
  jobs,
  podsOfJob,
  requestRun,
  setCredentials,
  sleep,
  startE2e,
  tenant,
  tenantEvents,
  waitFor,
  waitForJobFinished,
  waitForRunRecorded,
  type E2e,
} from './e2e-support.js';

const name = 'badkey';
const wrongKey = 'not-the-api-key-0000';
let e2e: E2e;

const jobNames = async () => (await jobs(e2e)).map((j) => j.metadata?.name ?? '').sort();
const terminated = (pod: V1Pod | undefined) => pod?.status?.containerStatuses?.[0]?.state?.terminated;

/** Requests a run and waits until its one Job exists; returns the Job's name. */
async function runNow(value: string): Promise<string> {
  const before = await jobNames();
  await requestRun(e2e, name, value);
  await waitFor(`run request ${value} handled`, async () => (await tenant(e2e, name))?.status?.lastHandledRunRequest === value);
  const expected = manualJobName(name, value);
  expect(await jobNames()).toEqual([...before, expected].sort());
  return expected;
}

beforeAll(async () => {
  e2e = await startE2e('e2e-fail');
  await createCredentials(e2e, wrongKey);
  await createTenant(e2e, name, { interval: '24h', streams: [{ name: 'tickets' }] });
});

afterAll(async () => {
  await e2e?.cleanup();
});

describe('run now and a failing source', () => {
  it('a run request starts exactly one manual Job; with a wrong API key it fails at once and status, Event and counters say so', { timeout: 200_000 }, async () => {
    const jobName = await runNow('try-1');
    const job = await waitForJobFinished(e2e, jobName);
    expect(job.metadata?.labels?.['tenantsync.io/trigger']).toBe('manual');
    expect(jobCondition(job, 'Failed')?.reason).toBe('PodFailurePolicy');
    const pods = await podsOfJob(e2e, jobName);
    expect(pods).toHaveLength(1);
    expect(terminated(pods[0])?.exitCode).toBe(2);

    const ts = await waitForRunRecorded(e2e, name, jobName);
    expect(ts.status?.lastRun).toMatchObject({ jobName, trigger: 'manual', outcome: 'Failed' });
    expect(ts.status?.lastRun?.message).toMatch(/Freshdesk rejected the API key \(HTTP 401/);
    expect(ts.status?.consecutiveFailures).toBe(1);
    expect(ts.status?.lastSuccessfulRunTime).toBeUndefined();
    expect(condition(ts, 'SyncHealthy')).toMatchObject({ status: 'False', reason: 'SyncFailed' });
    expect(condition(ts, 'Ready')).toMatchObject({ status: 'False', reason: 'SyncFailed' });
    expect(JSON.stringify(ts.status)).not.toContain(wrongKey);

    const events = await waitFor('a SyncFailed Event', async () => {
      const found = (await tenantEvents(e2e, name, 'SyncFailed')).filter((e) => e.note?.includes(jobName));
      return found.length > 0 ? found : false;
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('Warning');
    expect(events[0]?.note).not.toContain(wrongKey);
    expect(e2e.system.sink.records(name)).toEqual([]);
  });

  it('counts consecutive failures', { timeout: 200_000 }, async () => {
    const jobName = await runNow('try-2');
    const ts = await waitForRunRecorded(e2e, name, jobName);
    expect(ts.status?.lastRun).toMatchObject({ outcome: 'Failed', trigger: 'manual' });
    expect(ts.status?.consecutiveFailures).toBe(2);
    expect(condition(ts, 'SyncHealthy')?.message).toContain('2 runs in a row');
  });

  it('recovers when the Secret is fixed and a run is requested', { timeout: 200_000 }, async () => {
    await setCredentials(e2e, e2e.system.freshdesk.apiKey);
    const jobName = await runNow('try-3');
    const job = await waitForJobFinished(e2e, jobName);
    expect(jobCondition(job, 'Complete')).toBeDefined();
    const ts = await waitForRunRecorded(e2e, name, jobName);
    const delivered = e2e.system.sink.records(name, 'tickets').length;
    expect(delivered).toBeGreaterThan(0);
    expect(ts.status?.lastRun).toMatchObject({ jobName, trigger: 'manual', outcome: 'Succeeded', records: delivered });
    expect(ts.status?.consecutiveFailures).toBe(0);
    expect(ts.status?.lastSuccessfulRunTime).toBe(ts.status?.lastRun?.completionTime);
    expect(condition(ts, 'SyncHealthy')).toMatchObject({ status: 'True', reason: 'SyncSucceeded' });
    expect(condition(ts, 'Ready')?.status).toBe('True');
    await waitFor('a SyncSucceeded Event for the run', async () => (await tenantEvents(e2e, name, 'SyncSucceeded')).some((e) => e.note?.includes(jobName)));

    // One Job per request value, and none extra after a while.
    await sleep(3_000);
    expect(await jobNames()).toEqual(['try-1', 'try-2', 'try-3'].map((v) => manualJobName(name, v)).sort());
  });
});
