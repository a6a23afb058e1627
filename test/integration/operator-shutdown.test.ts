// A leader that is stopped (SIGTERM, as at every rollout) while it works through a backlog lets out the Events it
// was holding back for that backlog before it exits: every tenant it reconciled keeps its ChildrenCreated Event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, testClient, waitFor, type StoredTenantSync } from './operator-helpers.js';
import { apiVersion, kind } from '../../operator/api/tenantsync.js';

const client = testClient();
const tenants = 40;
let ns: TestNamespace;
let operator: OperatorProcess | undefined;

beforeAll(async () => {
  ns = await createTestNamespace('op-shutdown');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
});

afterAll(async () => {
  await operator?.kill('SIGKILL');
  await ns?.cleanup();
});

describe('stopping the leader', () => {
  it('writes the Events it held back for a backlog before it exits', async () => {
    // The shipped client limit (20 requests/s) makes 40 new tenants a backlog of several seconds; their Events
    // wait behind it.
    operator = await startOperator({ kubeconfig: testKubeconfigPath(), namespaces: [ns.name], leaseNamespace: ns.name, leaseName: 'op-shutdown', logLevel: 'info' });
    const op = operator;
    await waitFor('the operator leads', async () => (await op.metric('tenantsync_leader')) === 1);
    await Promise.all(Array.from({ length: tenants }, (_, i) => createTenantSync(client, ns.name, `t${i}`)));
    const reconciled = async () =>
      (await client.list<StoredTenantSync>(apiVersion, kind, { namespace: ns.name })).items.filter((t) => t.status?.observedGeneration === t.metadata.generation).map((t) => t.metadata.name);
    await waitFor('a first tenant reconciled', async () => (await reconciled()).length > 0, 60_000, 50);

    expect(await op.stop()).toEqual({ code: 0, signal: null });
    const done = await reconciled();
    expect(done.length).toBeLessThan(tenants); // stopped with a backlog, so Events were being held back
    const drained = op.logLines().find((l) => typeof l.msg === 'string' && l.msg.includes('queued Events'));
    expect(drained?.level).toBe('info');
    expect(drained?.queued).toBeGreaterThan(0);

    const events = await client.list<{ reason?: string; regarding?: { name?: string } }>('events.k8s.io/v1', 'Event', { namespace: ns.name });
    const told = new Set(events.items.filter((e) => e.reason === 'ChildrenCreated').map((e) => e.regarding?.name));
    expect(done.filter((name) => !told.has(name))).toEqual([]);
  });
});
