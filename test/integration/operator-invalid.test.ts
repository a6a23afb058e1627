// Objects the CRD accepts but Kubernetes cannot run: Ready=False, Stalled, reason InvalidSpec with the
// message — never a crash, never a retry storm — and recovery once the spec is fixed.
//
// How such an object is made honestly: the CRD checks a schedule only against a 5-field pattern (the
// API server's CEL cannot parse cron), so `99 * * * *` is stored; the operator's own cron parser —
// the same rules the CronJob controller applies — rejects it. Likewise the CRD takes any string as a
// `job.nodeSelector` value, and the API server rejects a bad label value only when the CronJob is applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { condition, createSecret, createTenantSync, credentialsSecret, getCronJob, getTenantSync, sleep, testClient, waitFor, waitReady } from './operator-helpers.js';

const client = testClient();
let ns: TestNamespace;
let operator: OperatorProcess;
const ref = (name: string) => ({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name });

beforeAll(async () => {
  ns = await createTestNamespace('op-invalid');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-invalid' });
});

afterAll(async () => {
  const exit = await operator?.stop();
  await ns?.cleanup();
  // On a failure, the operator's last output says where its shutdown stopped.
  expect(exit, operator?.output().slice(-6000)).toEqual({ code: 0, signal: null });
});

async function waitInvalid(name: string) {
  return waitFor(`${name} InvalidSpec`, async () => {
    const ts = await getTenantSync(client, ns.name, name);
    return condition(ts, 'Ready')?.reason === 'InvalidSpec' && ts?.status?.observedGeneration === ts?.metadata.generation ? ts : false;
  });
}

describe('InvalidSpec', () => {
  it('reports a schedule the CronJob controller could not run, without retrying, and recovers when fixed', async () => {
    await createTenantSync(client, ns.name, 'badcron', { schedule: '99 * * * *' });
    const ts = await waitInvalid('badcron');
    expect(condition(ts, 'Ready')).toMatchObject({ status: 'False', message: expect.stringContaining('spec.schedule: minute field: "99" is outside 0-59') });
    expect(condition(ts, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(await getCronJob(client, ns.name, 'badcron')).toBeUndefined();

    // No retry storm: nothing reconciles it again until it changes.
    const stalledBefore = await operator.metric('tenantsync_reconcile_total', { result: 'stalled' });
    const errorsBefore = await operator.metric('tenantsync_reconcile_errors_total');
    // The InvalidSpec reconcile was counted, so "unchanged" below means something (not 0 == 0).
    expect(stalledBefore).toBeGreaterThanOrEqual(1);
    await sleep(5_000);
    expect(await operator.metric('tenantsync_reconcile_total', { result: 'stalled' })).toBe(stalledBefore);
    expect(await operator.metric('tenantsync_reconcile_errors_total')).toBe(errorsBefore);

    await client.mergePatch(ref('badcron'), { spec: { schedule: '15 3 * * *' } });
    const fixed = await waitReady(client, ns.name, 'badcron');
    expect(condition(fixed, 'Stalled')).toBeUndefined();
    expect((await getCronJob(client, ns.name, 'badcron'))?.spec?.schedule).toBe('15 3 * * *');
  });

  it('reports a field server-side apply cannot type (its 500 "failed to create typed patch object") as InvalidSpec naming it', async () => {
    // Found by the spec fuzzer (npm run chaos): job.affinity is stored as given, and a field Kubernetes' Affinity
    // does not have makes the CronJob apply fail with a 500 that no retry will change.
    const matchExpression = { key: 'pool', operator: 'In', values: ['batch'], tolerations: [{ key: 'dedicated' }] };
    await createTenantSync(client, ns.name, 'badaffinity', {
      job: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [matchExpression] }] } } } },
    } as never);
    const ts = await waitInvalid('badaffinity');
    expect(condition(ts, 'Ready')?.message).toMatch(/rejected a child object.*matchExpressions\[0\]\.tolerations: field not declared in schema/s);
    expect(condition(ts, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(await operator.isReady()).toBe(true);
  });

  it('reports a child the API server rejects as InvalidSpec with its message', async () => {
    await createTenantSync(client, ns.name, 'badres', { job: { nodeSelector: { pool: 'not a label value!' } } } as never);
    const ts = await waitInvalid('badres');
    expect(condition(ts, 'Ready')?.message).toMatch(/rejected a child object.*nodeSelector/s);
    expect(await operator.isReady()).toBe(true);
  });
});
