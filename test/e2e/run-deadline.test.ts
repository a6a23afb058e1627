// A run stopped by its timeout keeps what the sink acknowledged (issue 12 item 1): with spec.job.timeout 1m
// and a Freshdesk so slow that the backfill needs longer, the sync job stops itself before the Job's
// activeDeadlineSeconds (the operator told it the deadline when it let the Job start), writes its result
// and exits 3; the Job fails at once (podFailurePolicy) with the pod and its termination message intact;
// the acknowledged part's cursor lands in the state ConfigMap and in status, and the next run continues
// from that cursor instead of starting over.
import type { V1CronJob } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCredentials,
  createTenant,
  idsOf,
  jobCondition,
  jobOfRequest,
  podsOfJob,
  requestRun,
  savedCursor,
  startE2e,
  waitFor,
  waitForJobFinished,
  waitForRunRecorded,
  type E2e,
} from './e2e-support.js';

const name = 'backfill';
const ticketCount = 3000;
let e2e: E2e;

const savedTicketsCursor = () => savedCursor(e2e, name, 'tickets');

const ticketRequests = (from: number) => e2e.system.freshdesk.requests.slice(from).filter((r) => r.path === '/api/v2/tickets');

beforeAll(async () => {
  e2e = await startE2e('e2e-deadline', { accounts: { default: { apiKey: 'test-api-key', demo: { tickets: ticketCount, days: 3 } } } });
  await createCredentials(e2e, e2e.system.freshdesk.apiKey);
  // Suspended: no scheduled run interferes; runs someone asks for still run.
  await createTenant(e2e, name, { interval: '24h', suspend: true, streams: [{ name: 'tickets' }], sink: { url: e2e.system.sink.url, batchSize: 50 }, job: { timeout: '1m' } });
});

afterAll(async () => {
  await e2e?.cleanup();
});

describe('a run longer than spec.job.timeout', () => {
  let firstCursor: { updatedAt?: string | undefined; ids?: string[] | undefined } | undefined;

  it('stops before its deadline, and the acknowledged part of the data is saved in the state ConfigMap and status', { timeout: 240_000 }, async () => {
    // Every ticket page takes 3 s: the ~30 pages need ~90 s, the run stops itself at ~50 s.
    e2e.system.freshdesk.faults.slowBody(Infinity, 3_000, { path: '/api/v2/tickets' });
    await requestRun(e2e, name, 'first');
    const job = await jobOfRequest(e2e, 'first');
    const finished = await waitForJobFinished(e2e, job.metadata!.name!, 180_000);
    // The job ended itself (exit 3 → podFailurePolicy), not the Job controller's deadline deleting the pod.
    expect(jobCondition(finished, 'Failed')?.reason).toBe('PodFailurePolicy');
    const pods = await podsOfJob(e2e, job.metadata!.name!);
    expect(pods).toHaveLength(1);
    expect(pods[0]?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);

    const ts = await waitForRunRecorded(e2e, name, job.metadata!.name!);
    expect(ts.status?.lastRun?.outcome).toBe('Failed');
    expect(ts.status?.lastRun?.message).toContain('RUN_DEADLINE');

    // Part of the data: some tickets acknowledged, far from all of them.
    const delivered = e2e.system.sink.records(name, 'tickets');
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.length).toBeLessThan(ticketCount * 0.8);
    firstCursor = await savedTicketsCursor();
    expect(firstCursor?.updatedAt).toBeDefined();
    // The saved cursor is the last record of an acknowledged batch (nothing unacknowledged counted).
    const lastOfBatches = e2e.system.sink.deliveries.map((d) => d.body.records.at(-1)!);
    expect(lastOfBatches.some((r) => Date.parse(r.updatedAt) === Date.parse(firstCursor!.updatedAt!) && firstCursor!.ids?.includes(String(r.id)))).toBe(true);
    const shown = ts.status?.streams?.find((s) => s.name === 'tickets');
    expect(Date.parse(shown!.cursor!.split(' ')[0]!)).toBe(Date.parse(firstCursor!.updatedAt!));
  });

  it('the next run continues from the saved cursor and finishes the backfill', { timeout: 240_000 }, async () => {
    e2e.system.freshdesk.faults.clear();
    // The run message said to raise spec.job.timeout: with room to spare, a slow machine does not stop this run too.
    await e2e.client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: e2e.ns.name, name }, { spec: { job: { timeout: '5m' } } });
    await waitFor('the CronJob template to allow 5m', async () => {
      const cronJob = await e2e.client.get<V1CronJob>({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: e2e.ns.name, name });
      return cronJob?.spec?.jobTemplate.spec?.activeDeadlineSeconds === 300;
    });
    const requestsBefore = e2e.system.freshdesk.requests.length;
    const deliveredBefore = e2e.system.sink.records(name, 'tickets').length;
    await requestRun(e2e, name, 'second');
    const job = await jobOfRequest(e2e, 'second');
    const ts = await waitForRunRecorded(e2e, name, job.metadata!.name!, 180_000);
    expect(ts.status?.lastRun?.outcome, ts.status?.lastRun?.message).toBe('Succeeded');

    // It asked Freshdesk for tickets from the saved cursor on, not from the beginning.
    const first = ticketRequests(requestsBefore)[0];
    const since = Date.parse(first?.query.updated_since ?? '');
    expect(since).toBeLessThanOrEqual(Date.parse(firstCursor!.updatedAt!));
    expect(since).toBeGreaterThan(Date.parse(firstCursor!.updatedAt!) - 3600_000);
    expect(ts.status?.lastRun?.records).toBeLessThan(ticketCount - deliveredBefore + 100);

    // Together the two runs delivered every visible ticket.
    const demo = e2e.system.demo.default!;
    const hidden = new Set([...demo.deletedTicketIds, ...demo.spamTicketIds]);
    const visible = Array.from({ length: demo.tickets }, (_, i) => i + 1).filter((id) => !hidden.has(id)).map(String).sort();
    expect(idsOf(e2e.system.sink.records(name, 'tickets'))).toEqual(visible);
    expect(e2e.system.sink.idempotencyViolations).toEqual([]);
  });
});
