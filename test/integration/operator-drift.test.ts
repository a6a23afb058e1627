// Drift: a deleted CronJob comes back, a hand-edited schedule or image is restored, and a deleted or
// edited config ConfigMap is restored by the periodic resync (ConfigMaps are not watched).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldManager } from '../../operator/reconcile/labels.js';
import { intervalCron } from '../../operator/reconcile/schedule.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, getConfigMap, getCronJob, testClient, waitFor, waitReady } from './operator-helpers.js';

const client = testClient();
let ns: TestNamespace;
let operator: OperatorProcess;
const cronJobRef = () => ({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: ns.name, name: 'drifty' });

beforeAll(async () => {
  ns = await createTestNamespace('op-drift');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operator = await startOperator({
    kubeconfig: testKubeconfigPath(),
    namespaces: [ns.name],
    leaseNamespace: ns.name,
    leaseName: 'op-drift',
    args: ['--resync-period=3'],
  });
  await createTenantSync(client, ns.name, 'drifty', { interval: '1h' });
  await waitReady(client, ns.name, 'drifty');
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

describe('drift correction', () => {
  const schedule = () => intervalCron(3600, ns.name, 'drifty');

  it('recreates a deleted CronJob', async () => {
    const before = await getCronJob(client, ns.name, 'drifty');
    await client.delete(cronJobRef(), { propagationPolicy: 'Background' });
    const after = await waitFor('a new CronJob', async () => {
      const cj = await getCronJob(client, ns.name, 'drifty');
      return cj && cj.metadata?.uid !== before?.metadata?.uid ? cj : false;
    });
    expect(after.spec?.schedule).toBe(schedule());
  });

  it('restores a schedule and an image changed by hand', async () => {
    await client.mergePatch(cronJobRef(), {
      spec: {
        schedule: '0 0 * * *',
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'sync', image: 'evil/image:latest' }] } } } },
      },
    }, { fieldManager: 'kubectl-edit' });
    const restored = await waitFor('schedule and image restored', async () => {
      const cj = await getCronJob(client, ns.name, 'drifty');
      const image = cj?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image;
      return cj?.spec?.schedule === schedule() && image === 'tenant-sync/sync-job:test' ? cj : false;
    });
    expect(restored.spec?.jobTemplate.spec?.template.spec?.containers).toHaveLength(1);
    // The operator's forced apply took the fields back: the hand edit's manager no longer owns them.
    const owners = (field: string) =>
      (restored.metadata?.managedFields ?? []).filter((f) => JSON.stringify(f.fieldsV1 ?? {}).includes(`"${field}"`)).map((f) => `${f.manager}/${f.operation}`);
    expect(owners('f:schedule')).toEqual([`${fieldManager}/Apply`]);
    expect(restored.metadata?.managedFields?.find((f) => f.manager === 'kubectl-edit')?.fieldsV1 ?? {}).not.toMatchObject({ 'f:spec': { 'f:schedule': {} } });
    // Events are written in the background, right after the pass.
    await waitFor('a ChildrenUpdated Event naming spec.schedule', async () => {
      const events = await client.list<{ reason?: string; note?: string; regarding?: { name?: string } }>('events.k8s.io/v1', 'Event', { namespace: ns.name });
      return events.items.some((e) => e.reason === 'ChildrenUpdated' && e.regarding?.name === 'drifty' && e.note?.startsWith('Updated CronJob drifty (') && e.note.includes('spec.schedule'));
    });
  });

  it('restores a deleted or edited config ConfigMap on resync', async () => {
    const original = (await getConfigMap(client, ns.name, 'drifty-config'))?.data?.['config.json'];
    await client.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'drifty-config' }, { data: { 'config.json': '{}' } });
    await waitFor('config restored', async () => (await getConfigMap(client, ns.name, 'drifty-config'))?.data?.['config.json'] === original);
    await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'drifty-config' });
    await waitFor('config recreated', async () => (await getConfigMap(client, ns.name, 'drifty-config'))?.data?.['config.json'] === original);
  });

  it('keeps the state ConfigMap as it is (the operator never resets cursors)', async () => {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'drifty-state' };
    const source = 'https://acme.freshdesk.com/api/v2 tenant drifty'; // whose cursors these are (the operator wrote it)
    expect(JSON.parse((await getConfigMap(client, ns.name, 'drifty-state'))?.data?.['state.json'] ?? '{}')).toMatchObject({ source });
    const advanced = JSON.stringify({ version: 1, source, streams: { tickets: { cursor: { updatedAt: '2025-01-01T00:00:00Z', ids: ['1'] } } } });
    await client.mergePatch(ref, { data: { 'state.json': advanced } });
    // A spec change makes the operator re-apply the config ConfigMap and the CronJob …
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'drifty' }, { spec: { interval: '2h' } });
    await waitFor('CronJob follows the new interval', async () => (await getCronJob(client, ns.name, 'drifty'))?.spec?.schedule === intervalCron(7200, ns.name, 'drifty'));
    await waitReady(client, ns.name, 'drifty');
    // … and the state is untouched.
    expect((await getConfigMap(client, ns.name, 'drifty-state'))?.data?.['state.json']).toBe(advanced);
  });
  it('removes from the CronJob a field removed from the spec: timeZone, job.nodeSelector, job.tolerations (issue 12 item 5)', async () => {
    await createTenantSync(client, ns.name, 'zoned', {
      schedule: '0 9 * * *',
      timeZone: 'Europe/Berlin',
      job: { nodeSelector: { pool: 'batch' }, tolerations: [{ key: 'batch', operator: 'Exists' }] },
    });
    await waitFor('the CronJob in Europe/Berlin', async () => (await getCronJob(client, ns.name, 'zoned'))?.spec?.timeZone === 'Europe/Berlin');
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'zoned' }, { spec: { timeZone: null, job: null } });
    const after = await waitFor('timeZone, nodeSelector and tolerations gone from the CronJob', async () => {
      const cj = await getCronJob(client, ns.name, 'zoned');
      const pod = cj?.spec?.jobTemplate.spec?.template.spec;
      return cj?.spec?.timeZone === undefined && pod?.nodeSelector === undefined && pod?.tolerations === undefined ? cj : false;
    });
    expect(after.spec?.schedule).toBe('0 9 * * *');
  });

  it('removes from the sync pod template the pod settings removed from spec.job, and a removed label key alone (issue 14 §1)', async () => {
    const ref = { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'podded' } as const;
    await createTenantSync(client, ns.name, 'podded', {
      job: {
        imagePullPolicy: 'Always',
        imagePullSecrets: [{ name: 'registry' }],
        podLabels: { team: 'billing', tier: 'gold' },
        podAnnotations: { 'sidecar.istio.io/inject': 'false' },
        priorityClassName: 'batch-low',
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['batch'] }] }] } } },
        serviceAccountName: 'podded-sync',
        automountServiceAccountToken: true,
        env: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/extra/ca.crt' }],
        envFrom: [{ configMapRef: { name: 'sync-extra' } }],
      },
    });
    const template = async () => (await getCronJob(client, ns.name, 'podded'))?.spec?.jobTemplate.spec?.template;
    await waitFor('the pod settings on the CronJob', async () => (await template())?.spec?.serviceAccountName === 'podded-sync');
    const contractEnv = (await template())!.spec!.containers[0]!.env!.filter((e) => e.name.startsWith('TENANTSYNC_'));
    expect((await template())?.metadata?.labels).toMatchObject({ team: 'billing', tier: 'gold' });

    await client.mergePatch(ref, { spec: { job: { podLabels: { tier: null } } } });
    const oneLabel = await waitFor('the tier label gone', async () => ((t) => (t?.metadata?.labels?.tier === undefined ? t : false))(await template()));
    expect(oneLabel.metadata?.labels?.team).toBe('billing');

    await client.mergePatch(ref, { spec: { job: null } });
    const after = await waitFor('the pod settings gone from the CronJob', async () => ((t) => (t?.spec?.serviceAccountName === undefined ? t : false))(await template()));
    expect(after.metadata?.labels?.team).toBeUndefined();
    expect(after.metadata?.annotations).toEqual({ 'tenantsync.io/name': 'podded' });
    for (const field of ['imagePullSecrets', 'priorityClassName', 'affinity']) expect(after.spec, field).not.toHaveProperty(field);
    expect(after.spec?.automountServiceAccountToken).toBe(false);
    expect(after.spec?.containers[0]?.imagePullPolicy).not.toBe('Always');
    expect(after.spec?.containers[0]?.env).toEqual(contractEnv);
    expect(after.spec?.containers[0]?.envFrom).toBeUndefined();
  });
});
