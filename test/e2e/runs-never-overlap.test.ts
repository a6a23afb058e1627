// Never two active runs of one tenant (issue 12 item 4), with the real CronJob controller: a TenantSync on
// "*/1 * * * *" whose first run is long (a slow Freshdesk), a run request and a `kubectl create job
// --from=cronjob/…` during that run. The CronJob's Forbid policy ignores Jobs it did not create, so the
// operator gates every Job: all start suspended and it lets one start at a time. Watched throughout: at no
// moment are two Jobs of the tenant active or two of its pods running; the waiting run request shows in
// status.waitingRuns, and the waiting runs start one after the other once the long one is over.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualJobName } from '../../operator/reconcile/names.js';
import { kubectl } from '../controlplane/test-kube.js';
import { createCredentials, createTenant, jobCondition, jobs, requestRun, sleep, startE2e, tenant, tenantEvents, waitFor, type E2e } from './e2e-support.js';

const name = 'minutely';
let e2e: E2e;

const finished = (job: V1Job) => jobCondition(job, 'Complete') !== undefined || jobCondition(job, 'Failed') !== undefined;
const activeJobs = (list: V1Job[]) => list.filter((j) => j.spec?.suspend !== true && !finished(j)).map((j) => j.metadata?.name ?? '');
const runningPods = (pods: V1Pod[]) => pods.filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Pending').map((p) => p.metadata?.name ?? '');
const endOf = (job: V1Job) => Date.parse(String((jobCondition(job, 'Complete') ?? jobCondition(job, 'Failed'))?.lastTransitionTime ?? ''));
const startOf = (job: V1Job) => Date.parse(String(job.status?.startTime ?? ''));

/** Samples the tenant's Jobs and pods until stopped; remembers every moment with more than one active. */
function watchOverlap() {
  const overlaps: string[] = [];
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const [list, pods] = await Promise.all([
        jobs(e2e),
        e2e.client.list<V1Pod>('v1', 'Pod', { namespace: e2e.ns.name, labelSelector: `tenantsync.io/name=${name}` }).then((r) => r.items),
      ]);
      samples++;
      const active = activeJobs(list);
      const podsRunning = runningPods(pods);
      if (active.length > 1) overlaps.push(`${new Date().toISOString()} active Jobs: ${active.join(', ')}`);
      if (podsRunning.length > 1) overlaps.push(`${new Date().toISOString()} running pods: ${podsRunning.join(', ')}`);
      await sleep(200);
    }
  })();
  return {
    overlaps,
    samples: () => samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

beforeAll(async () => {
  e2e = await startE2e('e2e-overlap', { accounts: { default: { apiKey: 'test-api-key', demo: { tickets: 3000, days: 3 } } } });
  await createCredentials(e2e, e2e.system.freshdesk.apiKey);
});

afterAll(async () => {
  await e2e?.cleanup();
});

describe('runs every minute, a run request and kubectl create job during a long run', () => {
  it('never has two active runs; the waiting request shows in status and runs after the long one', { timeout: 420_000 }, async () => {
    // The first ~20 ticket pages take 3 s each: the first run lasts about a minute, past the next schedule.
    e2e.system.freshdesk.faults.slowBody(20, 3_000, { path: '/api/v2/tickets' });
    const watch = watchOverlap();
    try {
      await createTenant(e2e, name, { schedule: '*/1 * * * *', streams: [{ name: 'tickets' }], job: { timeout: '5m' } });
      const first = await waitFor('the first scheduled run to be active', async () => (await jobs(e2e)).find((j) => activeJobs([j]).length === 1) ?? false, 120_000, 500);
      expect(first.metadata?.labels?.['tenantsync.io/trigger']).toBe('scheduled');

      // During the long run: a run request and a Job made by hand from the CronJob.
      await requestRun(e2e, name, 'during-run');
      const manual = manualJobName(name, 'during-run');
      const created = await kubectl(['create', 'job', '-n', e2e.ns.name, `${name}-by-hand`, `--from=cronjob/${name}`]);
      expect(created.code, created.stderr).toBe(0);

      // The request waits, and status says so, while the first run is still going.
      const waiting = await waitFor('status.waitingRuns to list the run request', async () => {
        const ts = await tenant(e2e, name);
        return ts?.status?.waitingRuns?.some((w) => w.jobName === manual) ? ts : false;
      });
      expect(waiting.status?.activeRun?.jobName).toBe(first.metadata?.name);
      expect(waiting.status?.waitingRuns?.find((w) => w.jobName === manual)?.trigger).toBe('manual');
      expect(waiting.status?.lastHandledRunRequest).toBe('during-run');
      const firstNow = (await jobs(e2e)).find((j) => j.metadata?.name === first.metadata?.name)!;
      expect(finished(firstNow)).toBe(false);

      // Both waiting runs start and finish, one after the other, after the long one.
      const done = await waitFor(
        'the long run, the run request and the hand-made Job to finish',
        async () => {
          const list = await jobs(e2e);
          const wanted = [first.metadata?.name, manual, `${name}-by-hand`].map((n) => list.find((j) => j.metadata?.name === n));
          return wanted.every((j) => j !== undefined && finished(j)) ? (wanted as V1Job[]) : false;
        },
        300_000,
        1_000,
      );
      const [long, requested, byHand] = done as [V1Job, V1Job, V1Job];
      for (const job of done) expect(jobCondition(job, 'Complete'), job.metadata?.name).toBeDefined();
      expect(startOf(requested)).toBeGreaterThanOrEqual(endOf(long) - 1000);
      expect(startOf(byHand)).toBeGreaterThanOrEqual(endOf(long) - 1000);
      // Intervals of every finished run of the tenant are disjoint (second precision: a start may share the end's second).
      const runs = (await jobs(e2e)).filter((j) => finished(j) && !Number.isNaN(startOf(j))).sort((a, b) => startOf(a) - startOf(b));
      for (let i = 1; i < runs.length; i++) expect(startOf(runs[i]!), runs[i]!.metadata?.name).toBeGreaterThanOrEqual(endOf(runs[i - 1]!) - 1000);
      // The hand-made Job's result is recorded like any run's, as a manual one (the operator marks the Job and tells it).
      await waitFor(`the result of ${byHand.metadata?.name} applied`, async () => {
        const job = (await jobs(e2e)).find((j) => j.metadata?.name === byHand.metadata?.name);
        return job?.metadata?.annotations?.['tenantsync.io/result-applied'] === 'Succeeded';
      });
      await waitFor(`a SyncSucceeded Event for ${byHand.metadata?.name} (manual)`, async () =>
        (await tenantEvents(e2e, name, 'SyncSucceeded')).some((e) => (e.note ?? '').startsWith(`Job ${byHand.metadata?.name} (manual) succeeded`)),
      );
    } finally {
      await watch.stop();
    }
    expect(watch.samples()).toBeGreaterThan(100);
    expect(watch.overlaps).toEqual([]);
    expect(e2e.system.sink.idempotencyViolations).toEqual([]);
  });
});
