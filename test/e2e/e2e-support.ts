// Shared pieces of the end-to-end tests: a whole tenant-sync (kubelet, fakes, sink, operator) scoped to
// one test namespace of the cluster project's control plane, TenantSyncs aimed at the fakes, and waits
// for what a user would look at (Jobs, status.lastRun, Events).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap, V1Job, V1Pod } from '@kubernetes/client-node';
import { apiVersion, kind, runRequestedAtAnnotation, type TenantSyncSpecInput } from '../../operator/api/tenantsync.js';
import type { KubeClient } from '../../operator/kube/client.js';
import { stateSchema } from '../../sync-job/contract.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import type { SinkRecord } from '../fakes/sink/index.js';
import { getTenantSync, listJobs, testClient, waitFor, type StoredTenantSync } from '../integration/operator-helpers.js';
import { startSystem, type StartSystemOptions, type System } from '../support/system.js';

export interface E2e {
  ns: TestNamespace;
  system: System;
  client: KubeClient;
  /** Deletes the namespace while the kubelet still runs (so pods really stop), then stops everything. */
  cleanup(): Promise<void>;
}

/** A namespace `<prefix>-xxxxx` with its own kubelet node, fakes, sink and operator (no leader election). */
export async function startE2e(prefix: string, options: Partial<StartSystemOptions> = {}): Promise<E2e> {
  const ns = await createTestNamespace(prefix);
  const workDir = await mkdtemp(join(tmpdir(), `tenant-sync-e2e-${prefix}-`));
  const client = testClient();
  let system: System;
  try {
    system = await startSystem({
      kubeconfigPath: testKubeconfigPath(),
      workDir,
      namespaces: [ns.name],
      nodeName: `kubelet-${ns.name}`,
      ...options,
      operator: { args: ['--leader-elect=false'], ...options.operator },
    });
  } catch (error) {
    await ns.cleanup();
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ns,
    system,
    client,
    async cleanup() {
      await ns.cleanup({ wait: true }).catch((error: unknown) => console.error(`namespace cleanup: ${String(error)}`));
      await system.stop();
      await client.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

export const secretName = 'freshdesk-credentials';

export async function createCredentials(e2e: E2e, apiKey: string): Promise<void> {
  await e2e.client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName, namespace: e2e.ns.name }, stringData: { apiKey } } as never);
}

export async function setCredentials(e2e: E2e, apiKey: string): Promise<void> {
  await e2e.client.mergePatch({ apiVersion: 'v1', kind: 'Secret', namespace: e2e.ns.name, name: secretName }, { stringData: { apiKey } });
}

/** A TenantSync reading the system's first Freshdesk account and delivering to its sink receiver. */
export async function createTenant(
  e2e: E2e,
  name: string,
  spec: Partial<TenantSyncSpecInput> & { streams?: { name: string; interval?: string }[]; lookback?: string },
): Promise<void> {
  const { streams, lookback, ...rest } = spec;
  await e2e.client.create({
    apiVersion,
    kind,
    metadata: { name, namespace: e2e.ns.name },
    spec: {
      source: {
        baseUrl: e2e.system.freshdesk.baseUrl,
        credentialsSecretRef: { name: secretName, key: 'apiKey' },
        ...(streams ? { streams } : {}),
        ...(lookback !== undefined ? { lookback } : {}),
      },
      sink: { url: e2e.system.sink.url },
      ...rest,
    },
  } as never);
  // The operator takes a run request already set when it first sees a TenantSync as inherited (re-created from
  // Git) and starts no run: a test's request must come after that first pass, as a person's would.
  await waitFor(`the operator to reconcile TenantSync ${e2e.ns.name}/${name}`, async () => (await tenant(e2e, name))?.status?.observedGeneration !== undefined, 60_000, 200);
}

export function tenant(e2e: E2e, name: string): Promise<StoredTenantSync | undefined> {
  return getTenantSync(e2e.client, e2e.ns.name, name);
}

/**
 * Sets the run-now annotation, once the operator has seen the TenantSync (a request already set when it is
 * first seen, with a value that is not a later time, counts as inherited from a deleted namesake).
 */
export async function requestRun(e2e: E2e, name: string, value: string): Promise<unknown> {
  await waitFor(`the operator to observe TenantSync ${e2e.ns.name}/${name}`, async () => (await tenant(e2e, name))?.status?.observedGeneration !== undefined);
  return e2e.client.mergePatch({ apiVersion, kind, namespace: e2e.ns.name, name }, { metadata: { annotations: { [runRequestedAtAnnotation]: value } } });
}

export function jobs(e2e: E2e): Promise<V1Job[]> {
  return listJobs(e2e.client, e2e.ns.name);
}

export async function podsOfJob(e2e: E2e, jobName: string): Promise<V1Pod[]> {
  return (await e2e.client.list<V1Pod>('v1', 'Pod', { namespace: e2e.ns.name, labelSelector: `job-name=${jobName}` })).items;
}

/** The Job a run request value started (waits for it). */
export function jobOfRequest(e2e: E2e, value: string): Promise<V1Job> {
  return waitFor(`the Job of run request ${value}`, async () => (await jobs(e2e)).find((j) => j.metadata?.annotations?.['tenantsync.io/run-request'] === value) ?? false);
}

/** A stream's cursor as the operator saved it in the tenant's state ConfigMap. */
export async function savedCursor(e2e: E2e, name: string, stream: string): Promise<{ updatedAt?: string | undefined; ids?: string[] | undefined } | undefined> {
  const cm = await e2e.client.get<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: e2e.ns.name, name: `${name}-state` });
  return stateSchema.parse(JSON.parse(cm?.data?.['state.json'] ?? '{"version":1,"streams":{}}')).streams[stream]?.cursor;
}

export function jobCondition(job: V1Job | undefined, type: 'Complete' | 'Failed') {
  return job?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export async function waitForJobFinished(e2e: E2e, jobName: string, timeoutMs = 120_000): Promise<V1Job> {
  return waitFor(
    `Job ${e2e.ns.name}/${jobName} to finish`,
    async () => {
      const job = await e2e.client.get<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: e2e.ns.name, name: jobName });
      return job && (jobCondition(job, 'Complete') || jobCondition(job, 'Failed')) ? job : false;
    },
    timeoutMs,
    500,
  );
}

/** Waits until status.lastRun is the finished run of `jobName`; returns the TenantSync. */
export function waitForRunRecorded(e2e: E2e, name: string, jobName: string, timeoutMs = 150_000): Promise<StoredTenantSync> {
  return waitFor(
    `TenantSync ${e2e.ns.name}/${name} to record the result of Job ${jobName} in status.lastRun`,
    async () => {
      const ts = await tenant(e2e, name);
      const lastRun = ts?.status?.lastRun;
      return lastRun?.jobName === jobName ? ts : false;
    },
    timeoutMs,
    500,
  );
}

export interface EventView {
  reason?: string;
  note?: string;
  type?: string;
  series?: { count: number };
  regarding?: { name?: string; kind?: string };
}

/** events.k8s.io/v1 Events about the TenantSync `name`, optionally of one reason. */
export async function tenantEvents(e2e: E2e, name: string, reason?: string): Promise<EventView[]> {
  const events = await e2e.client.list<EventView>('events.k8s.io/v1', 'Event', { namespace: e2e.ns.name });
  return events.items.filter((e) => e.regarding?.kind === kind && e.regarding.name === name && (reason === undefined || e.reason === reason));
}

/** Records of `tenantId` in the sink deliveries accepted after the first `since` deliveries, per stream. */
export function deliveredSince(system: System, since: number, tenantId: string, stream: string): SinkRecord[] {
  return system.sink.deliveries
    .slice(since)
    .filter((d) => d.body.tenantId === tenantId && d.body.stream === stream)
    .flatMap((d) => d.body.records);
}

/** Ticket ids as the sink receives them (strings). */
export const idsOf = (records: readonly { id: string | number }[]) => [...new Set(records.map((r) => String(r.id)))].sort();

/** The latest of some RFC 3339 times (as given). */
export function newest(times: readonly string[]): string {
  return times.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
}

export { waitFor, sleep } from '../integration/operator-helpers.js';
