// The operator is SIGKILLed while a sync Job runs and started again after the Job finished: the Job's
// result is applied exactly once when it comes back (status, cursor, Event, metric), the cursor moves
// forward, and the next run delivers the changes made since — no gap, no second delivery beyond the
// at-least-once retry of one batch.
import type { V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import { manualJobName } from '../../operator/reconcile/names.js';
import {
  createCredentials,
  createTenant,
  deliveredSince,
  idsOf,
  jobCondition,
  newest,
  requestRun,
  sleep,
  startE2e,
  tenant,
  tenantEvents,
  waitFor,
  waitForJobFinished,
  waitForRunRecorded,
  type E2e,
} from './e2e-support.js';

const name = 'restarts';
let e2e: E2e;

const ticketUpdatedAt = (id: number) => String(e2e.system.freshdesk.data.ticket(id).updated_at);
const runsTotal = () => e2e.system.operator.metric('tenantsync_runs_total', { namespace: e2e.ns.name, tenantsync: name });

beforeAll(async () => {
  e2e = await startE2e('e2e-restart');
  await createCredentials(e2e, e2e.system.freshdesk.apiKey);
  // 24h: no scheduled run during the test; every run here is a run request. Lookback 0s: each run reads
  // exactly from its cursor, so what a run delivers shows which result was applied (the lookback window's
  // re-reads are tested in the scheduled-runs and job tests).
  await createTenant(e2e, name, { interval: '24h', streams: [{ name: 'tickets' }, { name: 'contacts' }], lookback: '0s' });
});

afterAll(async () => {
  await e2e?.cleanup();
});

describe('operator killed while a Job runs', () => {
  const firstJob = manualJobName(name, 'run-1');
  const secondJob = manualJobName(name, 'run-2');
  const thirdJob = manualJobName(name, 'run-3');
  const editedFirst = [11, 12, 13];
  const editedLater = [14, 15];
  let afterFirst = 0;
  let afterSecond = 0;

  it('runs a first full sync', { timeout: 200_000 }, async () => {
    await requestRun(e2e, name, 'run-1');
    const ts = await waitForRunRecorded(e2e, name, firstJob);
    expect(ts.status?.lastRun).toMatchObject({ outcome: 'Succeeded', trigger: 'manual' });
    afterFirst = e2e.system.sink.deliveries.length;
  });

  it('applies the result of a Job that finished while the operator was down once it is back', { timeout: 240_000 }, async () => {
    for (const id of editedFirst) e2e.system.freshdesk.data.updateTicket(id, { subject: `edited ${id}` });
    // Hold the Job's Freshdesk requests until the operator is dead, so the Job is surely running when it dies.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const unhook = e2e.system.freshdesk.faults.onRequest(async () => {
      held = true;
      await gate;
    });
    try {
      await requestRun(e2e, name, 'run-2');
      await waitFor('the second Job to reach Freshdesk', async () => held, 120_000, 200);
      const killed = await e2e.system.killOperator('SIGKILL');
      expect(killed.signal).toBe('SIGKILL');
    } finally {
      release();
      unhook();
    }
    const job = await waitForJobFinished(e2e, secondJob);
    expect(jobCondition(job, 'Complete')).toBeDefined();
    await sleep(2_000);
    // Nobody applied it: status still shows the first run, the Job carries no applied mark.
    expect((await tenant(e2e, name))?.status?.lastRun?.jobName).toBe(firstJob);
    expect(job.metadata?.annotations?.['tenantsync.io/result-applied']).toBeUndefined();

    await e2e.system.startOperator();
    const ts = await waitForRunRecorded(e2e, name, secondJob);
    expect(ts.status?.lastRun).toMatchObject({ jobName: secondJob, trigger: 'manual', outcome: 'Succeeded', records: editedFirst.length });
    expect(ts.status?.consecutiveFailures ?? 0).toBe(0);
    const tickets = ts.status?.streams?.find((s) => s.name === 'tickets');
    expect(tickets).toMatchObject({ lastOutcome: 'Succeeded', lastRecords: editedFirst.length });
    expect(Date.parse(tickets!.cursor!.split(' ')[0]!)).toBe(Date.parse(newest(editedFirst.map(ticketUpdatedAt))));
    expect(idsOf(deliveredSince(e2e.system, afterFirst, name, 'tickets'))).toEqual(editedFirst.map(String).sort());
    afterSecond = e2e.system.sink.deliveries.length;

    const applied = await waitFor('the applied mark on the second Job', async () => {
      const live = await e2e.client.get<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: e2e.ns.name, name: secondJob });
      return live?.metadata?.annotations?.['tenantsync.io/result-applied'];
    });
    expect(applied).toBe('Succeeded');
  });

  it('applied that result once: later passes count, announce and move nothing again', { timeout: 120_000 }, async () => {
    const before = await tenant(e2e, name);
    // Make the operator reconcile again (a metadata change) and give it time.
    await e2e.client.mergePatch({ apiVersion, kind, namespace: e2e.ns.name, name }, { metadata: { labels: { poked: 'yes' } } });
    await sleep(5_000);
    const after = await tenant(e2e, name);
    expect(after?.status?.lastRun).toEqual(before?.status?.lastRun);
    expect(after?.status?.consecutiveFailures ?? 0).toBe(0);
    expect(after?.status?.streams).toEqual(before?.status?.streams);
    // The restarted operator applied exactly one run (the second); the first was marked before the kill.
    expect(await runsTotal()).toBe(1);
    // Events are written in the background, right after the pass that records them.
    const events = await waitFor('the SyncSucceeded Event of the second run', async () => {
      const found = (await tenantEvents(e2e, name, 'SyncSucceeded')).filter((e) => e.note?.includes(secondJob));
      return found.length > 0 ? found : false;
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.series?.count ?? 1).toBe(1);
  });

  it('delivers the next changes without a gap and without delivering the applied batch again', { timeout: 200_000 }, async () => {
    const lastBatchOfSecond = e2e.system.sink.deliveries
      .slice(afterFirst, afterSecond)
      .filter((d) => d.body.tenantId === name && d.body.stream === 'tickets')
      .at(-1);
    for (const id of editedLater) e2e.system.freshdesk.data.updateTicket(id, { subject: `edited later ${id}` });
    await requestRun(e2e, name, 'run-3');
    const ts = await waitForRunRecorded(e2e, name, thirdJob);
    expect(ts.status?.lastRun).toMatchObject({ outcome: 'Succeeded', records: editedLater.length });

    const third = idsOf(deliveredSince(e2e.system, afterSecond, name, 'tickets'));
    expect(third).toEqual(expect.arrayContaining(editedLater.map(String)));
    // At-least-once allows the last batch of the previous run again, nothing older.
    const allowed = new Set([...editedLater.map(String), ...(lastBatchOfSecond?.body.records ?? []).map((r) => String(r.id))]);
    expect(third.filter((id) => !allowed.has(id))).toEqual([]);
    expect(deliveredSince(e2e.system, afterSecond, name, 'contacts')).toEqual([]);

    // No gap: the sink holds the newest version of every ticket edited during the test.
    const latest = e2e.system.sink.latest(name, 'tickets');
    for (const id of [...editedFirst, ...editedLater]) {
      expect(Date.parse(latest.get(`tickets/${id}`)?.updatedAt ?? ''), `ticket ${id}`).toBe(Date.parse(ticketUpdatedAt(id)));
    }
    expect(e2e.system.sink.idempotencyViolations).toEqual([]);
  });
});
