// Shared pieces of the operator's integration tests: a client for the test control plane, TenantSync
// and Secret fixtures, finished Jobs made by hand, and polling helpers that say what they waited for
// when they time out.
import type { V1ConfigMap, V1CronJob, V1Job } from '@kubernetes/client-node';
import { apiVersion, kind, plural, type TenantSyncSpecInput, type TenantSyncStatus, type Condition } from '../../operator/api/tenantsync.js';
import { KubeClient } from '../../operator/kube/client.js';
import { testKubeConfig } from '../controlplane/test-kube.js';

export function testClient(): KubeClient {
  const client = new KubeClient({ kubeConfig: testKubeConfig(), userAgent: 'tenant-sync-test' });
  client.registerResourceType({ apiVersion, kind, plural, namespaced: true });
  return client;
}

export interface StoredTenantSync {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string; generation: number; resourceVersion: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
  status?: TenantSyncStatus;
}

export const credentialsSecret = 'freshdesk-credentials';

export function tenantSyncManifest(namespace: string, name: string, spec: Partial<TenantSyncSpecInput> = {}) {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace },
    spec: {
      source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: credentialsSecret, key: 'apiKey' } },
      sink: { url: 'https://sink.example.com/ingest' },
      ...spec,
    },
  };
}

export async function createSecret(client: KubeClient, namespace: string, name: string, data: Record<string, string>): Promise<void> {
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    stringData: data,
  } as never);
}

export async function createTenantSync(client: KubeClient, namespace: string, name: string, spec: Partial<TenantSyncSpecInput> = {}): Promise<StoredTenantSync> {
  return client.create(tenantSyncManifest(namespace, name, spec) as never) as Promise<StoredTenantSync>;
}

export function getTenantSync(client: KubeClient, namespace: string, name: string): Promise<StoredTenantSync | undefined> {
  return client.get<StoredTenantSync>({ apiVersion, kind, namespace, name }) as Promise<StoredTenantSync | undefined>;
}

export function getCronJob(client: KubeClient, namespace: string, name: string): Promise<V1CronJob | undefined> {
  return client.get<V1CronJob>({ apiVersion: 'batch/v1', kind: 'CronJob', namespace, name });
}

export function getConfigMap(client: KubeClient, namespace: string, name: string): Promise<V1ConfigMap | undefined> {
  return client.get<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
}

export async function listJobs(client: KubeClient, namespace: string): Promise<V1Job[]> {
  return (await client.list<V1Job>('batch/v1', 'Job', { namespace })).items;
}

export function condition(ts: StoredTenantSync | undefined, type: string): Condition | undefined {
  return ts?.status?.conditions?.find((c) => c.type === type);
}

/** Ready=True for the object's current generation. */
export function isReadyNow(ts: StoredTenantSync | undefined): boolean {
  return condition(ts, 'Ready')?.status === 'True' && ts?.status?.observedGeneration === ts?.metadata.generation;
}

/**
 * Polls `probe` until it returns something other than undefined/false; returns that value. On
 * timeout, throws naming `what` and the last value seen.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 2000)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until a count stops moving (the same on two reads `intervalMs` apart) and returns it. */
export async function waitSettled(what: string, count: () => Promise<number>, timeoutMs = 30_000, intervalMs = 3_000): Promise<number> {
  let before = -1;
  await waitFor(what, async () => {
    const now = await count();
    const settled = now === before;
    before = now;
    return settled;
  }, timeoutMs, intervalMs);
  return before;
}

/** Waits for Ready=True at the current generation and returns the object. */
export function waitReady(client: KubeClient, namespace: string, name: string, timeoutMs = 60_000): Promise<StoredTenantSync> {
  return waitFor(`TenantSync ${namespace}/${name} Ready=True at its generation`, async () => {
    const ts = await getTenantSync(client, namespace, name);
    return isReadyNow(ts) ? ts : false;
  }, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Jobs made here are managed by "us", so the Job controller leaves their status alone. */
const finishedJobManager = 'tenantsync.io/tests';
/** Pods are bound to a node no kubelet plays: nothing runs or changes them. */
const nowhereNode = 'tests-nowhere';

export interface FinishedAttempt {
  exitCode: number;
  reason?: string;
  message?: string;
  finishedAt: string;
}

export interface FinishedRun {
  name: string;
  state: 'Complete' | 'Failed';
  startTime: string;
  completionTime: string;
  reason?: string;
  message?: string;
  manual?: boolean;
  attempts: FinishedAttempt[];
}

/** Creates a finished Job of `cronJob` with its pods in its namespace, as the Job controller and the kubelet leave them. */
export async function finishedJob(client: KubeClient, cronJob: V1CronJob, run: FinishedRun): Promise<V1Job> {
  const namespace = cronJob.metadata?.namespace ?? '';
  const template = cronJob.spec?.jobTemplate;
  if (template?.spec === undefined) throw new Error('CronJob has no job template');
  const job = (await client.create({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: run.name,
      namespace,
      labels: template.metadata?.labels,
      annotations: { ...template.metadata?.annotations, ...(run.manual ? { 'cronjob.kubernetes.io/instantiate': 'manual' } : {}) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata?.name ?? '', uid: cronJob.metadata?.uid ?? '', controller: true }],
    },
    spec: { ...template.spec, managedBy: finishedJobManager },
  } as never)) as V1Job;
  const uid = job.metadata?.uid ?? '';
  const podTemplate = template.spec.template;
  for (const [i, attempt] of run.attempts.entries()) {
    const podName = `${run.name}-${i}`;
    await client.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace,
        labels: { ...podTemplate.metadata?.labels, 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': run.name },
      },
      spec: { ...podTemplate.spec, nodeName: nowhereNode },
    } as never);
    await client.mergePatch(
      { apiVersion: 'v1', kind: 'Pod', namespace, name: podName },
      {
        status: {
          phase: attempt.exitCode === 0 ? 'Succeeded' : 'Failed',
          containerStatuses: [
            {
              name: 'sync',
              image: 'tenant-sync/sync-job:test',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: {
                terminated: {
                  exitCode: attempt.exitCode,
                  reason: attempt.reason ?? (attempt.exitCode === 0 ? 'Completed' : 'Error'),
                  ...(attempt.message !== undefined ? { message: attempt.message } : {}),
                  startedAt: run.startTime,
                  finishedAt: attempt.finishedAt,
                },
              },
            },
          ],
        },
      },
      { subresource: 'status' },
    );
  }
  const ok = run.state === 'Complete';
  const conditions = ok
    ? [
        { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: run.completionTime, lastProbeTime: run.completionTime },
        { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastTransitionTime: run.completionTime, lastProbeTime: run.completionTime },
      ]
    : [
        { type: 'FailureTarget', status: 'True', reason: run.reason, message: run.message, lastTransitionTime: run.completionTime, lastProbeTime: run.completionTime },
        { type: 'Failed', status: 'True', reason: run.reason, message: run.message, lastTransitionTime: run.completionTime, lastProbeTime: run.completionTime },
      ];
  return client.mergePatch<V1Job>(
    { apiVersion: 'batch/v1', kind: 'Job', namespace, name: run.name },
    {
      status: {
        startTime: run.startTime,
        ...(ok ? { completionTime: run.completionTime, succeeded: 1 } : { failed: run.attempts.length }),
        ready: 0,
        terminating: 0,
        uncountedTerminatedPods: {},
        conditions,
      },
    },
    { subresource: 'status' },
  );
}
