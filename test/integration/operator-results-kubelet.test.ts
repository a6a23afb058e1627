// Run results with real runs: the Job controller runs the operator's run-now Jobs, the test kubelet
// runs the real sync job (from source) against the Freshdesk fake and a sink receiver, and the operator
// reads the termination message the kubelet wrote — success with cursors, then a 401 after the
// Secret went bad, then recovery.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateSchema } from '../../sync-job/contract.js';
import { createTestNamespace, testKubeConfig, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startFreshdeskFake, type FreshdeskFake } from '../fakes/freshdesk/index.js';
import { startSinkReceiver, type SinkReceiver } from '../fakes/sink/index.js';
import { startTestKubelet, type TestKubelet } from '../kubelet/kubelet.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { condition, getConfigMap, getTenantSync, testClient, waitFor, waitReady } from './operator-helpers.js';

const client = testClient();
const syncImage = 'tenant-sync/sync-job:test';
let ns: TestNamespace;
let operator: OperatorProcess;
let kubelet: TestKubelet;
let freshdesk: FreshdeskFake;
let sink: SinkReceiver;
let workDir: string;
const ref = () => ({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'acme' });
const requestRun = (value: string) => client.mergePatch(ref(), { metadata: { annotations: { 'tenantsync.io/run-requested-at': value } } });
const setApiKey = (apiKey: string) =>
  client.mergePatch({ apiVersion: 'v1', kind: 'Secret', namespace: ns.name, name: 'fd' }, { stringData: { apiKey } });

/** Job name per run request value (found once the operator started it). */
const jobFor = new Map<string, string>();

/** Waits until status.lastRun is the finished Job started for run request `value`. */
function runFinished(value: string) {
  return waitFor(
    `the run for request ${value} to be recorded`,
    async () => {
      const ts = await getTenantSync(client, ns.name, 'acme');
      return ts?.status?.lastRun?.jobName === jobFor.get(value) ? ts : false;
    },
    150_000,
    500,
  );
}

async function rememberJob(value: string): Promise<void> {
  const job = await waitFor(`the Job of run request ${value}`, async () => {
    const jobs = (await client.list<V1Job>('batch/v1', 'Job', { namespace: ns.name })).items;
    return jobs.find((j) => j.metadata?.annotations?.['tenantsync.io/run-request'] === value);
  });
  jobFor.set(value, job.metadata?.name ?? '');
}

beforeAll(async () => {
  ns = await createTestNamespace('op-results-run');
  workDir = await mkdtemp(join(tmpdir(), 'tenant-sync-results-'));
  freshdesk = await startFreshdeskFake();
  freshdesk.seedDemo();
  sink = await startSinkReceiver();
  kubelet = await startTestKubelet({
    kubeConfig: testKubeConfig(),
    nodeName: `kubelet-${ns.name}`,
    workDir,
    namespaces: [ns.name],
    syncImages: [syncImage],
    syncJobFrom: 'source',
  });
  await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fd', namespace: ns.name }, stringData: { apiKey: freshdesk.apiKey } } as never);
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-results-run' });
  await client.create({
    apiVersion: 'tenantsync.io/v1alpha1',
    kind: 'TenantSync',
    metadata: { name: 'acme', namespace: ns.name },
    spec: {
      interval: '24h',
      source: {
        type: 'freshdesk',
        baseUrl: freshdesk.baseUrl,
        credentialsSecretRef: { name: 'fd', key: 'apiKey' },
        streams: [{ name: 'tickets' }, { name: 'contacts' }, { name: 'agents', interval: '48h' }],
      },
      sink: { type: 'http', url: sink.url },
      job: { backoffLimit: 0 },
    },
  } as never);
  await waitReady(client, ns.name, 'acme');
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup({ wait: true }).catch(() => undefined);
  await kubelet?.stop();
  await sink?.close();
  await freshdesk?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('run results from real runs', () => {
  it('a requested run delivers records and its result lands in status and the state ConfigMap', async () => {
    await requestRun('first');
    await rememberJob('first');
    const ts = await runFinished('first');
    const job = await client.get<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns.name, name: jobFor.get('first') ?? '' });
    expect(job?.spec?.template.spec?.containers[0]?.env).toContainEqual({ name: 'TENANTSYNC_FORCE', value: '1' });
    expect(ts.status?.lastRun).toMatchObject({ trigger: 'manual', outcome: 'Succeeded' });
    const delivered = sink.records('acme').length;
    expect(delivered).toBeGreaterThan(0);
    expect(ts.status?.lastRun?.records).toBe(delivered);
    expect(ts.status?.consecutiveFailures).toBe(0);
    expect(condition(ts, 'SyncHealthy')).toMatchObject({ status: 'True', reason: 'SyncSucceeded' });
    const tickets = ts.status?.streams?.find((s) => s.name === 'tickets');
    expect(tickets?.cursor).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(tickets?.lastRecords).toBe(sink.records('acme', 'tickets').length);
    const cm = await getConfigMap(client, ns.name, 'acme-state');
    const state = stateSchema.parse(JSON.parse(cm?.data?.['state.json'] ?? ''));
    expect(state.streams.tickets?.cursor.updatedAt).toBeDefined();
    expect(Object.keys(state.streams).sort()).toEqual(['agents', 'contacts', 'tickets']);
    await waitFor('the Job marked applied', async () =>
      (await client.get<V1Job>({ apiVersion: 'batch/v1', kind: 'Job', namespace: ns.name, name: jobFor.get('first') ?? '' }))?.metadata?.annotations?.['tenantsync.io/result-applied'] === 'Succeeded');
  });

  it('a bad API key fails the run at once with the credentials message; fixing it recovers', async () => {
    await setApiKey('wrong-key');
    await requestRun('second');
    await rememberJob('second');
    let ts = await runFinished('second');
    expect(ts.status?.lastRun?.outcome).toBe('Failed');
    expect(ts.status?.lastRun?.message).toMatch(/401|credential|API key/i);
    expect(ts.status?.consecutiveFailures).toBe(1);
    expect(condition(ts, 'SyncHealthy')).toMatchObject({ status: 'False', reason: 'SyncFailed' });
    expect(condition(ts, 'Ready')).toMatchObject({ status: 'False', reason: 'SyncFailed' });
    expect(await operator.metric('tenantsync_consecutive_failures', { namespace: ns.name, tenantsync: 'acme' })).toBe(1);

    await setApiKey(freshdesk.apiKey);
    await requestRun('third');
    await rememberJob('third');
    ts = await runFinished('third');
    expect(ts.status?.lastRun?.outcome).toBe('Succeeded');
    expect(ts.status?.consecutiveFailures).toBe(0);
    expect(condition(ts, 'Ready')).toMatchObject({ status: 'True' });
    expect(await operator.metric('tenantsync_runs_total', { namespace: ns.name, tenantsync: 'acme' })).toBe(3);
  });
});
