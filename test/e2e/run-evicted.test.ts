// A run whose pod is evicted, or deleted with its Job, mid-run keeps what the sink acknowledged (issue 12
// item 1): the pod carries the operator's result finalizer (tenantsync.io/result), so after the kubelet
// stopped it (SIGTERM → the sync job writes its acknowledged cursors as its result) it stays until the
// operator has read that result into the state ConfigMap and status; then the finalizer goes and the pod
// with it. The next run continues from the saved cursor instead of starting over.
import { CoreV1Api, KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import { testKubeconfigPath } from '../controlplane/test-kube.js';
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
  tenant,
  tenantEvents,
  waitFor,
  waitForRunRecorded,
  type E2e,
} from './e2e-support.js';

const name = 'evicted';
const ticketCount = 3000;
let e2e: E2e;
let core: CoreV1Api;

const savedTicketsCursor = () => savedCursor(e2e, name, 'tickets');

const getPod = (podName: string) => e2e.client.get<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: e2e.ns.name, name: podName });

/** The running pod of a Job, once the sink has acknowledged at least `records` of its tickets. */
async function runningPodAfter(jobName: string, records: number): Promise<V1Pod> {
  return waitFor(
    `a pod of Job ${jobName} running with ${records} tickets acknowledged`,
    async () => {
      if (e2e.system.sink.records(name, 'tickets').length < records) return false;
      return (await podsOfJob(e2e, jobName)).find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp) ?? false;
    },
    120_000,
    250,
  );
}

const ticketRequests = (from: number) => e2e.system.freshdesk.requests.slice(from).filter((r) => r.path === '/api/v2/tickets');

beforeAll(async () => {
  e2e = await startE2e('e2e-evict', { accounts: { default: { apiKey: 'test-api-key', demo: { tickets: ticketCount, days: 3 } } } });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(testKubeconfigPath());
  core = kubeConfig.makeApiClient(CoreV1Api);
  await createCredentials(e2e, e2e.system.freshdesk.apiKey);
  // Suspended: no scheduled run interferes; runs someone asks for still run.
  await createTenant(e2e, name, { interval: '24h', suspend: true, streams: [{ name: 'tickets' }], sink: { url: e2e.system.sink.url, batchSize: 50 }, job: { timeout: '10m' } });
});

afterAll(async () => {
  await e2e?.cleanup();
});

describe('a run pod deleted mid-run', () => {
  let lastSaved: { updatedAt?: string | undefined; ids?: string[] | undefined } | undefined;
  let firstJob: V1Job;

  it('evicted through the Eviction API: the acknowledged cursor lands in the state ConfigMap and status, and the pod goes', { timeout: 240_000 }, async () => {
    // Every ticket page takes 2 s: the backfill needs about a minute, the pod is evicted after a few batches.
    e2e.system.freshdesk.faults.slowBody(Infinity, 2_000, { path: '/api/v2/tickets' });
    await requestRun(e2e, name, 'first');
    firstJob = await jobOfRequest(e2e, 'first');
    const pod = await runningPodAfter(firstJob.metadata!.name!, 150);
    expect(pod.metadata?.finalizers).toContain('tenantsync.io/result');
    const podName = pod.metadata!.name!;

    await core.createNamespacedPodEviction({
      name: podName,
      namespace: e2e.ns.name,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: podName, namespace: e2e.ns.name } },
    });

    lastSaved = await waitFor('the evicted pod’s acknowledged cursor in the state ConfigMap', async () => (await savedTicketsCursor()) ?? false, 120_000, 250);
    // Saved from the evicted attempt itself, while the Job still runs (not only once the whole Job ends).
    const stillRunning = await e2e.client.get<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: e2e.ns.name, name: firstJob.metadata!.name! });
    expect(jobCondition(stillRunning, 'Failed') ?? jobCondition(stillRunning, 'Complete')).toBeUndefined();
    // The saved cursor is the last record of an acknowledged batch (nothing unacknowledged counted).
    const lastOfBatches = e2e.system.sink.deliveries.filter((d) => d.body.tenantId === name).map((d) => d.body.records.at(-1)!);
    expect(lastOfBatches.some((r) => Date.parse(r.updatedAt) === Date.parse(lastSaved!.updatedAt!) && lastSaved!.ids?.includes(String(r.id)))).toBe(true);
    await waitFor('status.streams to show the saved cursor', async () => {
      const shown = (await tenant(e2e, name))?.status?.streams?.find((s) => s.name === 'tickets');
      return shown?.cursor !== undefined && Date.parse(shown.cursor.split(' ')[0]!) === Date.parse(lastSaved!.updatedAt!);
    });
    // Its result read, the operator let the pod go.
    await waitFor(`evicted pod ${podName} to be gone`, async () => (await getPod(podName)) === undefined, 60_000, 250);
  });

  it('deleted with its Job: that attempt’s result is applied as the run, not reported lost, and its pod goes', { timeout: 240_000 }, async () => {
    const jobName = firstJob.metadata!.name!;
    // The evicted attempt did not fail the Job: it runs again (from whatever cursor its pod started with).
    const before = e2e.system.sink.records(name, 'tickets').length;
    const pod = await runningPodAfter(jobName, before + 100);
    await e2e.client.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace: e2e.ns.name, name: jobName }, { propagationPolicy: 'Background' });

    const ts = await waitForRunRecorded(e2e, name, jobName, 120_000);
    expect(ts.status?.lastRun?.outcome).toBe('Failed');
    // The run is what the kept pod reported after its SIGTERM (not "its pods are gone").
    expect(ts.status?.lastRun?.message).toContain('received SIGTERM');
    await waitFor(`pod ${pod.metadata!.name!} of the deleted Job to be gone`, async () => (await getPod(pod.metadata!.name!)) === undefined, 60_000, 250);
    expect(await tenantEvents(e2e, name, 'RunResultLost')).toEqual([]);
    const cursor = await savedTicketsCursor();
    expect(Date.parse(cursor!.updatedAt!)).toBeGreaterThanOrEqual(Date.parse(lastSaved!.updatedAt!));
    lastSaved = cursor;
  });

  it('the next run continues from the saved cursor and finishes the backfill', { timeout: 240_000 }, async () => {
    e2e.system.freshdesk.faults.clear();
    const requestsBefore = e2e.system.freshdesk.requests.length;
    await requestRun(e2e, name, 'second');
    const job = await jobOfRequest(e2e, 'second');
    const ts = await waitForRunRecorded(e2e, name, job.metadata!.name!, 180_000);
    expect(ts.status?.lastRun?.outcome, ts.status?.lastRun?.message).toBe('Succeeded');

    // It asked Freshdesk for tickets from the saved cursor on, not from the beginning.
    const since = Date.parse(ticketRequests(requestsBefore)[0]?.query.updated_since ?? '');
    expect(since).toBeLessThanOrEqual(Date.parse(lastSaved!.updatedAt!));
    expect(since).toBeGreaterThan(Date.parse(lastSaved!.updatedAt!) - 3600_000);

    // Together the runs delivered every visible ticket, and no pod of them is left.
    const demo = e2e.system.demo.default!;
    const hidden = new Set([...demo.deletedTicketIds, ...demo.spamTicketIds]);
    const visible = Array.from({ length: demo.tickets }, (_, i) => i + 1).filter((id) => !hidden.has(id)).map(String).sort();
    expect(idsOf(e2e.system.sink.records(name, 'tickets'))).toEqual(visible);
    await waitFor('every pod of the finished runs to be released', async () => {
      const pods = (await e2e.client.list<V1Pod>('v1', 'Pod', { namespace: e2e.ns.name })).items;
      return pods.every((p) => !p.metadata?.finalizers?.includes('tenantsync.io/result') || !p.metadata.deletionTimestamp);
    });
  });

  it('a TenantSync deleted while its run runs: the garbage collector takes its pod and the operator lets it go', { timeout: 240_000 }, async () => {
    // The run hangs on its first ticket page, so its pod is still running when the tenant is deleted.
    e2e.system.freshdesk.faults.timeoutNext(Infinity, { path: '/api/v2/tickets' });
    try {
      await requestRun(e2e, name, 'third');
      const job = await jobOfRequest(e2e, 'third');
      const pod = await waitFor(
        `a running pod of Job ${job.metadata!.name!}`,
        async () => (await podsOfJob(e2e, job.metadata!.name!)).find((p) => p.status?.phase === 'Running') ?? false,
        120_000,
        250,
      );
      expect(pod.metadata?.finalizers).toContain('tenantsync.io/result');
      await e2e.client.delete({ apiVersion, kind, namespace: e2e.ns.name, name });
      // Nothing keeps the pod: it does not stay Terminating (the finalizer would hold it while no one reads it).
      await waitFor(`pod ${pod.metadata!.name!} of the deleted TenantSync to be gone`, async () => (await getPod(pod.metadata!.name!)) === undefined, 120_000, 250);
    } finally {
      e2e.system.freshdesk.faults.clear();
    }
  });
});
