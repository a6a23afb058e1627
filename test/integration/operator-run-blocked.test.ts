// A run whose pod cannot start is named while it happens (RunBlocked in SyncHealthy and Ready), not when its deadline
// fails it an hour later. Real API server and Job controller; this test plays the kubelet's part on the pod's status.
// 1. An image name no registry takes (InvalidImageName): RunBlocked at once; deleting the blocked Job, as the runbook
//    says, loses no result (its container never ran): no RunResultLost, no lostRuns, Ready again.
// 2. An image pull that fails and is retried (ImagePullBackOff): RunBlocked once it has lasted the grace, and
//    healthy again when the pull works and the container runs.
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retriedErrorGraceSeconds } from '../../operator/reconcile/run-blocked.js';
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

/** Requests a run and returns the pod the Job controller makes for the Job the operator starts. */
async function runPod(): Promise<V1Pod> {
  const before = new Set((await client.list<V1Pod>('v1', 'Pod', { namespace: ns.name })).items.map((p) => p.metadata?.uid));
  await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: tenant }, { metadata: { annotations: { 'tenantsync.io/run-requested-at': new Date().toISOString() } } });
  return waitFor('the run pod', async () => (await client.list<V1Pod>('v1', 'Pod', { namespace: ns.name })).items.find((p) => !before.has(p.metadata?.uid)), 60_000, 500);
}

const podStatus = (pod: V1Pod, state: object) =>
  client.mergePatch(
    { apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name: pod.metadata!.name! },
    { status: { phase: 'Pending', containerStatuses: [{ name: 'sync', image: 'ghcr.io/acme/sync:nope', imageID: '', ready: false, restartCount: 0, state }] } },
    { subresource: 'status' },
  );

const blockedStatus = (what: string, timeoutMs: number) =>
  waitFor(what, async () => {
    const ts = await getTenantSync(client, ns.name, tenant);
    return condition(ts, 'Ready')?.reason === 'RunBlocked' && ts;
  }, timeoutMs, 250);

const events = async (reason: string) =>
  (await client.list<{ reason?: string; regarding?: { name?: string } }>('events.k8s.io/v1', 'Event', { namespace: ns.name })).items.filter((e) => e.reason === reason && e.regarding?.name === tenant);

describe('a run whose pod cannot start', () => {
  it('an image name no registry takes: RunBlocked at once; deleting the blocked Job loses nothing', { timeout: 120_000 }, async () => {
    const pod = await runPod();
    const jobName = pod.metadata?.labels?.['job-name'] ?? '';
    await podStatus(pod, { waiting: { reason: 'InvalidImageName', message: 'couldn\'t parse image name "ghcr.io/acme/SYNC"' } });
    const blocked = await blockedStatus('Ready False RunBlocked', 30_000);
    expect(condition(blocked, 'Ready')).toMatchObject({
      status: 'False',
      message: expect.stringContaining(`run ${jobName} cannot start: pod ${pod.metadata!.name} cannot pull its image (InvalidImageName: couldn't parse image name "ghcr.io/acme/SYNC"); check spec.job.image`),
    });
    expect(condition(blocked, 'SyncHealthy')).toMatchObject({ status: 'False', reason: 'RunBlocked' });
    expect(blocked.status?.activeRun?.jobName).toBe(jobName);

    await client.delete({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns.name, name: jobName }, { propagationPolicy: 'Background' });
    const after = await waitFor('Ready True again, no active run', async () => {
      const ts = await getTenantSync(client, ns.name, tenant);
      return condition(ts, 'Ready')?.status === 'True' && ts?.status?.activeRun === undefined && ts;
    }, 30_000, 250);
    await waitFor('the run pod to go', async () => (await client.get<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name: pod.metadata!.name! })) === undefined, 30_000, 500);
    expect(after.status?.lostRuns).toBeUndefined();
    expect(await events('RunResultLost')).toEqual([]);
  });

  it(`an image pull that keeps failing: RunBlocked after ${retriedErrorGraceSeconds} s, healthy again when the container runs`, { timeout: 180_000 }, async () => {
    const pod = await runPod();
    const created = Date.parse(String(pod.metadata?.creationTimestamp));
    await podStatus(pod, { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/acme/sync:nope"' } });
    const blocked = await blockedStatus('Ready False RunBlocked', (retriedErrorGraceSeconds + 60) * 1000);
    // Not before the grace: a registry blip the kubelet's retry gets past is not reported.
    expect(Date.now()).toBeGreaterThanOrEqual(created + retriedErrorGraceSeconds * 1000);
    expect(condition(blocked, 'Ready')?.message).toContain('cannot pull its image (ImagePullBackOff: Back-off pulling image "ghcr.io/acme/sync:nope")');

    await podStatus(pod, { running: { startedAt: new Date().toISOString() } });
    await waitFor('Ready True again', async () => condition(await getTenantSync(client, ns.name, tenant), 'Ready')?.status === 'True', 30_000, 250);
  });
});
