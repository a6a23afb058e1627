// Scheduled runs end to end: a TenantSync on "*/1 * * * *" gets Jobs from the real CronJob controller,
// the test kubelet runs the real sync job against the Freshdesk fake, records reach the sink receiver and
// the operator records the run, its counts and cursors. The next run delivers only newer changes, and a
// stream whose own interval has not passed is skipped and reported as not due. Then suspend and delete.
import type { V1ConfigMap, V1CronJob, V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import { condition } from '../integration/operator-helpers.js';
import {
  createCredentials,
  createTenant,
  deliveredSince,
  idsOf,
  jobCondition,
  jobs,
  newest,
  sleep,
  tenant,
  waitFor,
  waitForRunRecorded,
  startE2e,
  type E2e,
} from './e2e-support.js';

const name = 'minutely';
let e2e: E2e;
let createdAtMs: number;

/** Scheduled Jobs are named `<cronjob>-<scheduled time in unix minutes>`. */
const scheduledMinute = (job: V1Job) => Number(/-(\d+)$/.exec(job.metadata?.name ?? '')?.[1] ?? NaN);
/** The time the CronJob controller scheduled a Job for, as it annotates the Job (RFC 3339). */
const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const scheduledAt = (job: V1Job) => Date.parse(job.metadata?.annotations?.[scheduledTimestampAnnotation] ?? '');
const iso = (ms: number) => (Number.isNaN(ms) ? 'NaN' : new Date(ms).toISOString());
const minuteMs = 60_000;
const jobNames = async () => (await jobs(e2e)).map((j) => j.metadata?.name ?? '').sort();
const msToNextMinute = () => 60_000 - (Date.now() % 60_000);

/** The first scheduled Job for a minute after `afterMs` (waits for the CronJob controller to create it). */
function scheduledJobAfter(afterMs: number, timeoutMs: number): Promise<V1Job> {
  return waitFor(
    `a scheduled Job of ${name} for a minute after ${new Date(afterMs).toISOString()}`,
    async () => (await jobs(e2e)).filter((j) => scheduledMinute(j) * 60_000 > afterMs).sort((a, b) => scheduledMinute(a) - scheduledMinute(b))[0] ?? false,
    timeoutMs,
    500,
  );
}

function visibleTicketIds(): string[] {
  const hidden = new Set([...e2e.system.demo.default!.deletedTicketIds, ...e2e.system.demo.default!.spamTicketIds]);
  return Array.from({ length: e2e.system.demo.default!.tickets }, (_, i) => i + 1).filter((id) => !hidden.has(id)).map(String).sort();
}

const ticketUpdatedAt = (id: number) => String(e2e.system.freshdesk.data.ticket(id).updated_at);

interface ScheduleView {
  jobs: string[];
  /** The latest Job's scheduled time (its annotation). */
  latestScheduled: string;
  lastScheduleTime: string;
  nextRunTime: string;
}

/** The Jobs and the schedule fields of status, read between two identical Job listings. */
async function scheduleView(): Promise<ScheduleView & { settled: boolean }> {
  const before = await jobs(e2e);
  const status = (await tenant(e2e, name))?.status;
  const after = await jobs(e2e);
  const names = (list: V1Job[]) => list.map((j) => j.metadata?.name ?? '').sort();
  return {
    jobs: names(after),
    latestScheduled: iso(Math.max(...after.map(scheduledAt))),
    lastScheduleTime: iso(Date.parse(status?.lastScheduleTime ?? '')),
    nextRunTime: iso(Date.parse(status?.nextRunTime ?? '')),
    settled: names(before).join() === names(after).join(),
  };
}

/**
 * status.lastScheduleTime is the latest Job's scheduled time and status.nextRunTime is one period
 * (60 s) after it. The operator writes status when the CronJob or a Job changes, so around a minute
 * boundary the two may lag the Jobs for a moment: poll until they agree, then compare.
 */
async function expectScheduleInStatus(): Promise<void> {
  const deadline = Date.now() + 30_000;
  let view = await scheduleView();
  const agrees = (v: ScheduleView) => v.lastScheduleTime === v.latestScheduled && v.nextRunTime === iso(Date.parse(v.lastScheduleTime) + minuteMs);
  while (!(view.settled && agrees(view)) && Date.now() < deadline) {
    await sleep(500);
    view = await scheduleView();
  }
  const { settled: _settled, ...shown } = view;
  expect(shown.latestScheduled, `every Job carries ${scheduledTimestampAnnotation}`).toMatch(/^\d{4}-/);
  expect(shown).toEqual({ ...shown, lastScheduleTime: view.latestScheduled, nextRunTime: iso(Date.parse(view.latestScheduled) + minuteMs) });
}

beforeAll(async () => {
  e2e = await startE2e('e2e-sched');
  await createCredentials(e2e, e2e.system.freshdesk.apiKey);
  createdAtMs = Date.now();
  await createTenant(e2e, name, {
    schedule: '*/1 * * * *',
    streams: [{ name: 'tickets' }, { name: 'contacts', interval: '1h' }],
  });
});

afterAll(async () => {
  await e2e?.cleanup();
});

describe('a TenantSync on "*/1 * * * *"', () => {
  let firstJob: V1Job;

  it('gets a Job from the CronJob controller within ~90 s whose records reach the sink and whose result shows in status', { timeout: 300_000 }, async () => {
    firstJob = await waitFor(
      'the first Job of the CronJob controller',
      async () => (await jobs(e2e)).sort((a, b) => scheduledAt(a) - scheduledAt(b))[0] ?? false,
      100_000,
      500,
    );
    expect(Date.now() - createdAtMs).toBeLessThan(100_000);
    expect(firstJob.metadata?.name).toMatch(new RegExp(`^${name}-\\d+$`));
    expect(firstJob.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name });
    expect(firstJob.metadata?.annotations?.['cronjob.kubernetes.io/instantiate']).toBeUndefined();
    // No first run missed: the first Job is scheduled for the first minute boundary after the CronJob was created.
    const cronJob = await e2e.client.get<V1CronJob>({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: e2e.ns.name, name });
    const cronJobCreatedMs = Date.parse(String(cronJob?.metadata?.creationTimestamp as string | Date | undefined));
    expect(iso(scheduledAt(firstJob))).toBe(iso(Math.floor(cronJobCreatedMs / minuteMs) * minuteMs + minuteMs));
    expect(scheduledMinute(firstJob) * minuteMs).toBe(scheduledAt(firstJob));

    const ts = await waitForRunRecorded(e2e, name, firstJob.metadata!.name!);
    const tickets = e2e.system.sink.records(name, 'tickets');
    const contacts = e2e.system.sink.records(name, 'contacts');
    expect(idsOf(tickets)).toEqual(visibleTicketIds());
    expect(contacts).toHaveLength(e2e.system.demo.default!.contacts);
    expect(e2e.system.sink.records(name).length).toBe(tickets.length + contacts.length);
    expect(e2e.system.sink.idempotencyViolations).toEqual([]);

    const status = ts.status!;
    expect(status.lastRun).toMatchObject({ jobName: firstJob.metadata?.name, trigger: 'scheduled', outcome: 'Succeeded', records: tickets.length + contacts.length });
    expect(status.lastRun?.startTime).toBeDefined();
    expect(status.lastRun?.completionTime).toBeDefined();
    expect(status.lastSuccessfulRunTime).toBe(status.lastRun?.completionTime);
    expect(status.consecutiveFailures ?? 0).toBe(0);
    expect(condition(ts, 'SyncHealthy')).toMatchObject({ status: 'True', reason: 'SyncSucceeded' });
    await expectScheduleInStatus();

    const newestTicket = newest(tickets.map((r) => r.updatedAt));
    const newestContact = newest(contacts.map((r) => r.updatedAt));
    const streams = Object.fromEntries((status.streams ?? []).map((s) => [s.name, s]));
    expect(streams.tickets).toMatchObject({ lastOutcome: 'Succeeded', lastRecords: tickets.length });
    expect(Date.parse(streams.tickets!.cursor!.split(' ')[0]!)).toBe(Date.parse(newestTicket));
    expect(streams.contacts).toMatchObject({ lastOutcome: 'Succeeded', lastRecords: contacts.length });
    expect(Date.parse(streams.contacts!.cursor!.split(' ')[0]!)).toBe(Date.parse(newestContact));

    // The cursors the next run reads live in the state ConfigMap.
    const state = await e2e.client.get<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: e2e.ns.name, name: `${name}-state` });
    const saved = JSON.parse(state?.data?.['state.json'] ?? '{}') as { streams: Record<string, { cursor: { updatedAt: string } }> };
    expect(Date.parse(saved.streams.tickets!.cursor.updatedAt)).toBe(Date.parse(newestTicket));
    expect(Date.parse(saved.streams.contacts!.cursor.updatedAt)).toBe(Date.parse(newestContact));
  });

  it('delivers only newer changes (and the lookback window) on the next scheduled run and reports the 1h stream as not due', { timeout: 300_000 }, async () => {
    // Edit while no run is going and well before a minute boundary, so the next run is the first to see the edits.
    for (;;) {
      if (msToNextMinute() < 20_000) await sleep(msToNextMinute() + 3_000);
      await waitFor('every Job to have finished', async () => (await jobs(e2e)).every((j) => jobCondition(j, 'Complete') || jobCondition(j, 'Failed')), 120_000, 500);
      if (msToNextMinute() >= 15_000) break;
    }
    const before = e2e.system.sink.deliveries.length;
    // Each run re-reads spec.source.lookback (default 5m) behind its cursor: tickets stamped in that window
    // are delivered again (at-least-once), besides the edited ones.
    const cursorBefore = Date.parse(((await tenant(e2e, name))?.status?.streams ?? []).find((s) => s.name === 'tickets')!.cursor!.split(' ')[0]!);
    const defaultLookbackMs = 5 * minuteMs;
    const reRead = visibleTicketIds().filter((id) => Date.parse(ticketUpdatedAt(Number(id))) >= cursorBefore - defaultLookbackMs);
    const expectedTickets = [...new Set([...reRead, '10', '20'])].sort();
    const editedAtMs = Date.now();
    e2e.system.freshdesk.data.updateTicket(10, { subject: 'changed between runs' });
    e2e.system.freshdesk.data.updateTicket(20, { status: 4 });
    e2e.system.freshdesk.data.updateContact(3, { name: 'Changed Contact' });

    const next = await scheduledJobAfter(editedAtMs, 100_000);
    const ts = await waitForRunRecorded(e2e, name, next.metadata!.name!);
    expect(idsOf(deliveredSince(e2e.system, before, name, 'tickets'))).toEqual(expectedTickets);
    expect(expectedTickets.length).toBeLessThan(visibleTicketIds().length / 2);
    expect(deliveredSince(e2e.system, before, name, 'contacts')).toEqual([]);
    expect(e2e.system.sink.idempotencyViolations).toEqual([]);

    const status = ts.status!;
    expect(status.lastRun).toMatchObject({ jobName: next.metadata?.name, trigger: 'scheduled', outcome: 'Succeeded', records: expectedTickets.length });
    // The run's redelivered count explains the difference: every ticket besides the two edits was re-read.
    const reReadCount = expectedTickets.length - 2;
    expect(status.lastRun?.message).toContain(reReadCount ? `tickets ${expectedTickets.length} (${reReadCount} re-read)` : `tickets ${expectedTickets.length}`);
    const streams = Object.fromEntries((status.streams ?? []).map((s) => [s.name, s]));
    expect(streams.tickets).toMatchObject({ lastOutcome: 'Succeeded', lastRecords: expectedTickets.length });
    expect(Date.parse(streams.tickets!.cursor!.split(' ')[0]!)).toBe(Date.parse(newest([ticketUpdatedAt(10), ticketUpdatedAt(20)])));
    // contacts: 1h has not passed since its last success, so the run skipped it — and said so.
    expect(streams.contacts?.lastOutcome).toBe('NotDue');
    expect(Date.parse(streams.contacts!.cursor!.split(' ')[0]!)).toBeLessThan(editedAtMs - 1000);
    await expectScheduleInStatus();
  });

  it('starts no Job over a scheduled minute while suspended', { timeout: 200_000 }, async () => {
    await e2e.client.mergePatch({ apiVersion, kind, namespace: e2e.ns.name, name }, { spec: { suspend: true } });
    await waitFor('the CronJob to be suspended', async () => {
      const cronJob = await e2e.client.get<V1CronJob>({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: e2e.ns.name, name });
      return cronJob?.spec?.suspend === true;
    });
    const suspendedAtMs = Date.now();
    const names = await jobNames();
    // Past the next minute boundary, with time for the CronJob controller to have acted on it.
    await sleep(msToNextMinute() + 20_000);
    expect(await jobNames()).toEqual(names);
    expect((await jobs(e2e)).filter((j) => scheduledMinute(j) * 60_000 > suspendedAtMs)).toEqual([]);
    const ts = await tenant(e2e, name);
    expect(condition(ts, 'Ready')).toMatchObject({ status: 'True' });
  });

  it('deletes the CronJob, Jobs, pods and ConfigMaps with the TenantSync (garbage collection)', { timeout: 200_000 }, async () => {
    const namespace = e2e.ns.name;
    const owned = async () => {
      const [cronJob, jobList, pods, configMaps] = await Promise.all([
        e2e.client.get<V1CronJob>({ apiVersion: 'batch/v1', kind: 'CronJob', namespace, name }),
        jobs(e2e),
        e2e.client.list('v1', 'Pod', { namespace }),
        e2e.client.list<V1ConfigMap>('v1', 'ConfigMap', { namespace }),
      ]);
      const ours = configMaps.items.map((c) => c.metadata?.name ?? '').filter((n) => n === `${name}-config` || n === `${name}-state`);
      return { cronJob: cronJob !== undefined, jobs: jobList.length, pods: pods.items.length, configMaps: ours.sort() };
    };
    const before = await owned();
    expect(before.cronJob).toBe(true);
    expect(before.jobs).toBeGreaterThanOrEqual(2);
    expect(before.pods).toBeGreaterThanOrEqual(2);
    expect(before.configMaps).toEqual([`${name}-config`, `${name}-state`]);

    await e2e.client.delete({ apiVersion, kind, namespace, name });
    const after = await waitFor(
      'the CronJob, Jobs, pods and ConfigMaps of the deleted TenantSync to be gone',
      async () => {
        const now = await owned();
        return !now.cronJob && now.jobs === 0 && now.pods === 0 && now.configMaps.length === 0 ? now : false;
      },
      150_000,
      1_000,
    );
    expect(after).toEqual({ cronJob: false, jobs: 0, pods: 0, configMaps: [] });
    expect(await tenant(e2e, name)).toBeUndefined();
  });
});
