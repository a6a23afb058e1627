// A missing credentials Secret (or key) → Ready=False SecretNotFound naming it, CronJob suspended;
// the TenantSync recovers by itself once the Secret is there. A run request waits for it too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualJobName } from '../../operator/reconcile/names.js';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { condition, createSecret, createTenantSync, getCronJob, getTenantSync, listJobs, testClient, waitFor, waitReady } from './operator-helpers.js';

const client = testClient();
let ns: TestNamespace;
let operator: OperatorProcess;

beforeAll(async () => {
  ns = await createTestNamespace('op-secrets');
  operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-secrets' });
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

async function waitStalled(name: string, reason: string) {
  return waitFor(`${name} Stalled with ${reason}`, async () => {
    const ts = await getTenantSync(client, ns.name, name);
    return condition(ts, 'Ready')?.reason === reason && condition(ts, 'Stalled')?.status === 'True' ? ts : false;
  });
}

describe('credentials Secret', () => {
  it('reports a missing Secret, keeps the CronJob suspended, and recovers once it exists', async () => {
    await createTenantSync(client, ns.name, 'nosecret', {
      source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'nosecret-fd', key: 'apiKey' } },
    });
    const stalled = await waitStalled('nosecret', 'SecretNotFound');
    expect(condition(stalled, 'Ready')).toMatchObject({ status: 'False' });
    expect(condition(stalled, 'Ready')?.message).toContain(`Secret ${ns.name}/nosecret-fd`);
    expect((await getCronJob(client, ns.name, 'nosecret'))?.spec?.suspend).toBe(true);

    // A run requested meanwhile waits: a pod without its Secret could not start.
    await client.mergePatch(
      { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns.name, name: 'nosecret' },
      { metadata: { annotations: { 'tenantsync.io/run-requested-at': 'early' } } },
    );
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await listJobs(client, ns.name)).length).toBe(0);
    expect((await getTenantSync(client, ns.name, 'nosecret'))?.status?.lastHandledRunRequest).toBeUndefined();

    await createSecret(client, ns.name, 'nosecret-fd', { apiKey: 'k' });
    const ready = await waitReady(client, ns.name, 'nosecret', 90_000);
    expect(condition(ready, 'Stalled')).toBeUndefined();
    expect((await getCronJob(client, ns.name, 'nosecret'))?.spec?.suspend).toBe(false);
    expect(ready.status?.lastHandledRunRequest).toBe('early');
    expect((await listJobs(client, ns.name)).map((j) => j.metadata?.name)).toEqual([manualJobName('nosecret', 'early')]);

    // The Warning was recorded once, not once per retry.
    const events = await client.list<{ reason?: string; regarding?: { name?: string } }>('events.k8s.io/v1', 'Event', { namespace: ns.name });
    expect(events.items.filter((e) => e.reason === 'SecretNotFound' && e.regarding?.name === 'nosecret')).toHaveLength(1);
  });

  it('names a missing key and recovers when the key is added', async () => {
    await createSecret(client, ns.name, 'wrongkey-fd', { token: 'x' });
    await createTenantSync(client, ns.name, 'wrongkey', {
      source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'wrongkey-fd', key: 'apiKey' } },
    });
    const stalled = await waitStalled('wrongkey', 'SecretNotFound');
    expect(condition(stalled, 'Ready')?.message).toContain('has no key "apiKey"');
    await client.mergePatch({ apiVersion: 'v1', kind: 'Secret', namespace: ns.name, name: 'wrongkey-fd' }, { stringData: { apiKey: 'k' } });
    await waitReady(client, ns.name, 'wrongkey', 90_000);
  });

  it('checks the sink token Secret too', async () => {
    await createSecret(client, ns.name, 'sinktok-fd', { apiKey: 'k' });
    await createTenantSync(client, ns.name, 'sinktok', {
      source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'sinktok-fd', key: 'apiKey' } },
      sink: { url: 'https://sink.example.com', authSecretRef: { name: 'sink-auth', key: 'token' } },
    });
    const stalled = await waitStalled('sinktok', 'SecretNotFound');
    expect(condition(stalled, 'Ready')?.message).toContain(`Secret ${ns.name}/sink-auth`);
    expect(condition(stalled, 'Ready')?.message).not.toContain('sinktok-fd');
  });
});
