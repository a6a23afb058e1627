// Run now: each new value of tenantsync.io/run-requested-at starts exactly one manual Job from the
// CronJob's template and is echoed to status.lastHandledRunRequest; the same value never runs twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualJobName } from '../../operator/reconcile/names.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, getCronJob, getTenantSync, listJobs, sleep, testClient, waitFor, waitReady } from './operator-helpers.js';

const client = testClient();
let ns: TestNamespace;
let operator: OperatorProcess;
const ref = () => ({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'runner' });
const request = (value: string) => client.mergePatch(ref(), { metadata: { annotations: { 'tenantsync.io/run-requested-at': value } } });
const handled = (value: string) =>
  waitFor(`run request ${value} handled`, async () => (await getTenantSync(client, ns.name, 'runner'))?.status?.lastHandledRunRequest === value);

beforeAll(async () => {
  ns = await createTestNamespace('op-runnow');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-runnow' });
  await createTenantSync(client, ns.name, 'runner', { interval: '24h' });
  await waitReady(client, ns.name, 'runner');
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

describe('run now', () => {
  it('starts one manual Job per new value', async () => {
    await request('2025-05-01T10:00:00Z');
    await handled('2025-05-01T10:00:00Z');
    const jobs = await listJobs(client, ns.name);
    expect(jobs.map((j) => j.metadata?.name)).toEqual([manualJobName('runner', '2025-05-01T10:00:00Z')]);
    const job = jobs[0];
    const cronJob = await getCronJob(client, ns.name, 'runner');
    expect(job?.metadata?.annotations).toMatchObject({ 'cronjob.kubernetes.io/instantiate': 'manual', 'tenantsync.io/run-request': '2025-05-01T10:00:00Z' });
    expect(job?.metadata?.labels).toMatchObject({ 'tenantsync.io/trigger': 'manual', 'tenantsync.io/name': 'runner' });
    expect(job?.metadata?.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'runner', uid: cronJob?.metadata?.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(job?.spec?.template.spec?.containers[0]?.image).toBe('tenant-sync/sync-job:test');
  });

  it('does not start a second Job for the same value when the object changes otherwise', async () => {
    await client.mergePatch(ref(), { metadata: { labels: { touched: 'yes' } } });
    await client.mergePatch(ref(), { spec: { suspend: false, tenantId: 'runner-tenant' } });
    await waitReady(client, ns.name, 'runner');
    await sleep(2_000);
    expect((await listJobs(client, ns.name)).length).toBe(1);
  });

  it('starts another Job for the next value', async () => {
    await request('2025-05-01T11:00:00Z');
    await handled('2025-05-01T11:00:00Z');
    const names = (await listJobs(client, ns.name)).map((j) => j.metadata?.name).sort();
    expect(names).toEqual([manualJobName('runner', '2025-05-01T10:00:00Z'), manualJobName('runner', '2025-05-01T11:00:00Z')].sort());
  });
});
