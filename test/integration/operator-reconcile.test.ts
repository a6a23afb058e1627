// The operator against the real API server: create → children with owner references and the right
// schedule, secrets only by reference, Ready at the generation; interval update; suspend/resume; delete → GC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldManager } from '../../operator/reconcile/labels.js';
import { intervalCron } from '../../operator/reconcile/schedule.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, sumMetric, type OperatorProcess } from '../support/operator-process.js';
import {
  condition,
  createSecret,
  createTenantSync,
  credentialsSecret,
  getConfigMap,
  getCronJob,
  getTenantSync,
  testClient,
  waitFor,
  waitReady,
} from './operator-helpers.js';

const client = testClient();
let ns: TestNamespace;
let operator: OperatorProcess;

beforeAll(async () => {
  ns = await createTestNamespace('op-reconcile');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'fd-key-not-a-real-one' });
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-reconcile' });
});

afterAll(async () => {
  const exit = await operator?.stop();
  await ns?.cleanup();
  // On a failure, the operator's last output says where its shutdown stopped.
  expect(exit, operator?.output().slice(-6000)).toEqual({ code: 0, signal: null });
});

describe('operator reconcile', () => {
  it('creates the CronJob and ConfigMaps, owned by the TenantSync, and reports Ready at the generation', async () => {
    const created = await createTenantSync(client, ns.name, 'acme', { interval: '2h' });
    const ts = await waitReady(client, ns.name, 'acme');
    const cronJob = await getCronJob(client, ns.name, 'acme');
    const owner = { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', name: 'acme', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true };
    expect(cronJob?.metadata?.ownerReferences).toEqual([owner]);
    expect(cronJob?.spec?.schedule).toBe(intervalCron(7200, ns.name, 'acme'));
    expect(cronJob?.spec).toMatchObject({ timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid', suspend: false });
    const config = await getConfigMap(client, ns.name, 'acme-config');
    const state = await getConfigMap(client, ns.name, 'acme-state');
    expect(config?.metadata?.ownerReferences).toEqual([owner]);
    expect(state?.metadata?.ownerReferences).toEqual([owner]);
    expect(JSON.parse(state?.data?.['state.json'] ?? '')).toEqual({ version: 1, source: 'https://acme.freshdesk.com/api/v2 tenant acme', streams: {} });
    // Server-side apply under the operator's one field manager (not create/update).
    for (const child of [cronJob, config]) {
      expect(child?.metadata?.managedFields).toContainEqual(expect.objectContaining({ manager: fieldManager, operation: 'Apply' }));
    }
    expect(cronJob?.metadata?.managedFields?.find((f) => f.operation === 'Apply')?.fieldsV1).toMatchObject({ 'f:spec': { 'f:schedule': {} } });

    // Secrets only by reference: the key's value appears in no child.
    const env = cronJob?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'TENANTSYNC_SOURCE_API_KEY')).toEqual({
      name: 'TENANTSYNC_SOURCE_API_KEY',
      valueFrom: { secretKeyRef: { name: credentialsSecret, key: 'apiKey' } },
    });
    for (const obj of [cronJob, config, state, ts]) expect(JSON.stringify(obj)).not.toContain('fd-key-not-a-real-one');

    expect(ts.status).toMatchObject({
      observedGeneration: ts.metadata.generation,
      cronJobName: 'acme',
      schedule: intervalCron(7200, ns.name, 'acme'),
    });
    expect(Date.parse(ts.status?.nextRunTime ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(condition(ts, 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled', observedGeneration: ts.metadata.generation });
    expect(condition(ts, 'Stalled')).toBeUndefined();
    expect(condition(ts, 'Reconciling')).toBeUndefined();
  });

  it('moves the CronJob schedule when the interval changes', async () => {
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'acme' }, { spec: { interval: '30m' } });
    const expected = intervalCron(1800, ns.name, 'acme');
    await waitFor('CronJob schedule to follow the interval', async () => (await getCronJob(client, ns.name, 'acme'))?.spec?.schedule === expected);
    const ts = await waitReady(client, ns.name, 'acme');
    expect(ts.metadata.generation).toBe(2);
    expect(ts.status?.schedule).toBe(expected);
    const config = JSON.parse((await getConfigMap(client, ns.name, 'acme-config'))?.data?.['config.json'] ?? '{}') as { source: { streams: { intervalSeconds: number }[] } };
    expect(config.source.streams.every((s) => s.intervalSeconds === 1800)).toBe(true);
  });

  it('suspends and resumes', async () => {
    const ref = { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'acme' };
    await client.mergePatch(ref, { spec: { suspend: true } });
    await waitFor('CronJob suspended', async () => (await getCronJob(client, ns.name, 'acme'))?.spec?.suspend === true);
    const suspended = await waitReady(client, ns.name, 'acme');
    expect(condition(suspended, 'Ready')?.reason).toBe('Suspended');
    expect(suspended.status?.nextRunTime).toBeUndefined();

    await client.mergePatch(ref, { spec: { suspend: false } });
    await waitFor('CronJob resumed', async () => (await getCronJob(client, ns.name, 'acme'))?.spec?.suspend === false);
    const resumed = await waitFor('Ready=Reconciled after resume', async () => {
      const ts = await getTenantSync(client, ns.name, 'acme');
      return condition(ts, 'Ready')?.reason === 'Reconciled' && ts?.status?.observedGeneration === ts?.metadata.generation ? ts : false;
    });
    expect(resumed.status?.nextRunTime).toBeDefined();
  });

  it('lets the garbage collector delete the children with the TenantSync', async () => {
    await createTenantSync(client, ns.name, 'doomed');
    await waitReady(client, ns.name, 'doomed');
    await client.delete({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'doomed' });
    await waitFor(
      'CronJob and ConfigMaps of doomed to be garbage-collected',
      async () =>
        (await getCronJob(client, ns.name, 'doomed')) === undefined &&
        (await getConfigMap(client, ns.name, 'doomed-config')) === undefined &&
        (await getConfigMap(client, ns.name, 'doomed-state')) === undefined,
      90_000,
    );
    // The other tenant is untouched.
    expect(await getCronJob(client, ns.name, 'acme')).toBeDefined();
  });

  it('fits children of a long name and never mixes up two names that differ only at the end', async () => {
    const stem = 'a-very-long-tenant-name-that-keeps-going-well-past-the-cronjob-limit';
    const [a, b] = [`${stem}-one`, `${stem}-two`];
    await createTenantSync(client, ns.name, a);
    await createTenantSync(client, ns.name, b);
    const [tsA, tsB] = [await waitReady(client, ns.name, a), await waitReady(client, ns.name, b)];
    const [cjA, cjB] = [tsA.status?.cronJobName ?? '', tsB.status?.cronJobName ?? ''];
    expect(cjA.length).toBeLessThanOrEqual(52);
    expect(cjA).not.toBe(cjB);
    for (const [cj, ts] of [[cjA, tsA], [cjB, tsB]] as const) {
      const cronJob = await getCronJob(client, ns.name, cj);
      expect(cronJob?.metadata?.ownerReferences?.[0]?.uid).toBe(ts.metadata.uid);
      expect(await getConfigMap(client, ns.name, `${cj}-config`)).toBeDefined();
      expect(await getConfigMap(client, ns.name, `${cj}-state`)).toBeDefined();
    }
  });

  it('logs every line about a TenantSync with its namespace and name, once each', async () => {
    // Raw text: a duplicate key would be collapsed by JSON.parse, so count it in the line itself.
    const raw = operator.output().split('\n').filter((l) => l.startsWith('{'));
    const aboutAcme = raw.filter((l) => l.includes(`"name":"acme"`) || l.includes(`${ns.name}/acme"`));
    const messages = new Set(aboutAcme.map((l) => (JSON.parse(l) as { msg: string }).msg));
    // The controller's per-object lines were written (not only lines that merely mention the key).
    expect(messages).toContain('status written');
    for (const line of aboutAcme) {
      expect(line.split('"name":').length - 1, line).toBe(1);
      expect(line.split('"namespace":').length - 1, line).toBe(1);
      expect(JSON.parse(line), line).toMatchObject({ namespace: ns.name, name: 'acme', logger: 'tenant-sync-operator' });
    }
  });

  it('exports reconcile durations and the work queue depth', async () => {
    const text = await operator.metrics();
    expect(sumMetric(text, 'tenantsync_reconcile_duration_seconds_count')).toBeGreaterThan(0);
    expect(sumMetric(text, 'tenantsync_reconcile_total', { result: 'success' })).toBeGreaterThan(0);
    expect(text).toMatch(/^tenantsync_workqueue_depth \d+$/m);
    expect(text).toMatch(/^# TYPE tenantsync_reconcile_duration_seconds histogram$/m);
  });
});
