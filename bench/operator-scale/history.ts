// Each tenant's Job history for the memory measurement: `perTenant` finished, successful runs of its CronJob,
// each with its pod and a valid result, made as the Job controller and the kubelet leave them
// (test/integration/operator-helpers.ts finishedJob), `inFlight` tenants at a time.
import type { V1CronJob } from '@kubernetes/client-node';
import type { KubeClient } from '../../operator/kube/client.js';
import { finishedJob } from '../../test/integration/operator-helpers.js';
import { benchNamespace } from './tenants.js';

/** A result message as the sync job writes it: one stream, Succeeded, `records` records. Pure. */
export function succeededResult(startedAt: string, records: number): string {
  const cursor = { updatedAt: startedAt, ids: [String(records)] };
  return JSON.stringify({ version: 1, outcome: 'Succeeded', startedAt, finishedAt: startedAt, streams: { tickets: { outcome: 'Succeeded', records, cursor } } });
}

/** Creates the history; returns how many runs it made. */
export async function createJobHistory(client: KubeClient, perTenant: number, inFlight = 32): Promise<number> {
  const cronJobs = (await client.listPath<V1CronJob>(`/apis/batch/v1/namespaces/${benchNamespace}/cronjobs`, { all: true })).items;
  // Recent runs, an hour apart, the last an hour ago: the tenants stay Ready (not Stale) through the bench.
  const base = Date.now() - perTenant * 3_600_000;
  let next = 0;
  let made = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < cronJobs.length; i = next++) {
        const cronJob = cronJobs[i]!;
        for (let run = 0; run < perTenant; run++) {
          const start = new Date(base + run * 3_600_000);
          const at = (ms: number) => new Date(start.getTime() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
          await finishedJob(client, cronJob, {
            name: `${cronJob.metadata?.name ?? ''}-${29_000_000 + run}`,
            state: 'Complete',
            startTime: at(0),
            completionTime: at(60_000),
            attempts: [{ exitCode: 0, finishedAt: at(60_000), message: succeededResult(at(1_000), 100 + run) }],
          });
          made++;
        }
      }
    }),
  );
  return made;
}
