// A run whose pod cannot start is named while it happens (RunBlocked in SyncHealthy and Ready), not when its deadline
// fails it an hour later. Real API server and Job controller; this test plays the kubelet's part on the pod's status:
// the image cannot be pulled (ImagePullBackOff), then it can and the container runs.
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { condition, createSecret, createTenantSync, credentialsSecret, getTenantSync, testClient, waitFor, waitReady } from './operator-helpers.js';

const client = testClient();
const tenant = 'blocked';
let ns: TestNamespace;
let operator: OperatorProcess;

beforeAll(async () => {
  ns = await createTestNamespace('op-blocked');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-blocked' });
  await createTenantSync(client, ns.name, tenant, { interval: '24h' });
  await waitReady(client, ns.name, tenant);
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

const podStatus = (pod: V1Pod, state: object) =>
  client.mergePatch(
    { apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name: pod.metadata!.name! },
    { status: { phase: 'Pending', containerStatuses: [{ name: 'sync', image: 'ghcr.io/acme/sync:nope', imageID: '', ready: false, restartCount: 0, state }] } },
    { subresource: 'status' },
  );

describe('a run whose pod cannot start', () => {
  it('shows as RunBlocked with the pod and the reason while the image cannot be pulled, and recovers when it runs', { timeout: 120_000 }, async () => {
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: tenant }, { metadata: { annotations: { 'tenantsync.io/run-requested-at': new Date().toISOString() } } });
    // The operator starts the run's Job; the Job controller creates its pod.
    const pod = await waitFor('the run pod', async () => (await client.list<V1Pod>('v1', 'Pod', { namespace: ns.name })).items[0], 60_000, 500);
    const jobName = pod.metadata?.labels?.['job-name'] ?? '';
    await podStatus(pod, { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/acme/sync:nope"' } });

    const blocked = await waitFor('Ready False RunBlocked', async () => {
      const ts = await getTenantSync(client, ns.name, tenant);
      return condition(ts, 'Ready')?.reason === 'RunBlocked' && ts;
    }, 30_000, 250);
    expect(condition(blocked, 'Ready')).toMatchObject({ status: 'False', message: expect.stringContaining(`run ${jobName} cannot start: pod ${pod.metadata!.name} cannot pull its image (ImagePullBackOff: Back-off pulling image "ghcr.io/acme/sync:nope"); check spec.job.image`) });
    expect(condition(blocked, 'SyncHealthy')).toMatchObject({ status: 'False', reason: 'RunBlocked' });
    expect(blocked.status?.activeRun?.jobName).toBe(jobName);

    // The image can be pulled after all (the registry came back): the container runs, the tenant reads healthy again.
    await podStatus(pod, { running: { startedAt: new Date().toISOString() } });
    await waitFor('Ready True again', async () => condition(await getTenantSync(client, ns.name, tenant), 'Ready')?.status === 'True', 30_000, 250);
  });
});
