// A run Kubernetes stopped ending (found by `npm run chaos`, issue 15): after a kube-apiserver restart the
// Job controller lost track of a Job whose pod had been evicted; it stayed active with no pod, past its
// activeDeadlineSeconds, and since no second run of a tenant may start, the tenant never ran again (Stale).
// Here such a Job is made by hand with a `managedBy` the Job controller ignores: active, started 10 minutes
// ago, its deadline 7 minutes ago. The operator must give it up — delete it, say so in a Warning Event — so
// that the schedule goes on.
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, getCronJob, testClient, waitFor, waitReady } from './operator-helpers.js';

const client = testClient();
const tenant = 'overdue';
let ns: TestNamespace;
let operator: OperatorProcess;
let cronJob: V1CronJob;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

beforeAll(async () => {
  ns = await createTestNamespace('op-overdue');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-overdue', logLevel: 'info' });
  await createTenantSync(client, ns.name, tenant, { interval: '24h' });
  await waitReady(client, ns.name, tenant);
  cronJob = (await getCronJob(client, ns.name, tenant)) as V1CronJob;
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

/** An active run of the tenant's CronJob that no Job controller looks after, started `startedAgoMs` ago. */
async function activeRun(name: string, startedAgoMs: number): Promise<V1Job> {
  const template = cronJob.spec!.jobTemplate;
  const timeoutSeconds = template.spec!.activeDeadlineSeconds ?? 3600;
  const startedMs = Date.now() - startedAgoMs;
  await client.create({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: ns.name,
      labels: template.metadata?.labels,
      annotations: template.metadata?.annotations,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata!.name!, uid: cronJob.metadata!.uid!, controller: true }],
    },
    spec: {
      ...template.spec,
      suspend: false,
      managedBy: 'tenantsync.io/tests',
      template: { ...template.spec!.template, metadata: { ...template.spec!.template.metadata, annotations: { ...template.spec!.template.metadata?.annotations, 'tenantsync.io/deadline': iso(startedMs + timeoutSeconds * 1000) } } },
    },
  } as never);
  return client.mergePatch<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns.name, name }, { status: { startTime: iso(startedMs) } }, { subresource: 'status' });
}

const jobExists = async (name: string) => (await client.get<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns.name, name })) !== undefined;

describe('a run still active long after its deadline', () => {
  it('is deleted with a RunOverdue Warning Event, so that the next runs can start', async () => {
    const timeoutSeconds = cronJob.spec!.jobTemplate.spec!.activeDeadlineSeconds ?? 3600;
    await activeRun('overdue-stuck', (timeoutSeconds + 300) * 1000);
    await waitFor('the overdue Job to be deleted', async () => !(await jobExists('overdue-stuck')), 60_000, 500);
    const events = await waitFor('a RunOverdue Event', async () => {
      const list = await client.list<{ reason?: string; type?: string; note?: string; regarding?: { name?: string } }>('events.k8s.io/v1', 'Event', { namespace: ns.name });
      const found = list.items.filter((e) => e.reason === 'RunOverdue' && e.regarding?.name === tenant);
      return found.length > 0 ? found : false;
    });
    expect(events[0]).toMatchObject({ type: 'Warning', note: expect.stringContaining('overdue-stuck') });
    expect(await operator.isReady()).toBe(true);
  });

  it('a run within its deadline (and its grace) is left alone', async () => {
    await activeRun('overdue-running', 60_000);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await jobExists('overdue-running')).toBe(true);
  });
});
