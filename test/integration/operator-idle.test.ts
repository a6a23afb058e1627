// No churn: once every TenantSync has settled, a minute of idleness (with reconciles still running
// through the resync) sends no write request — no status writes, no applies, no Events. The leader's
// Lease renewals (every retry period, by design of leader election) are the only writes, counted apart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, sleep, testClient, waitReady, waitSettled, type StoredTenantSync } from './operator-helpers.js';

const client = testClient();
const idleMs = 60_000;
let ns: TestNamespace;
let operator: OperatorProcess;

beforeAll(async () => {
  ns = await createTestNamespace('op-idle');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operator = await startOperator({
    kubeconfig: testKubeconfigPath(),
    namespaces: [ns.name],
    leaseNamespace: ns.name,
    leaseName: 'op-idle',
    args: ['--resync-period=10'],
  });
});

afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

/** GET and LIST requests by resource (watches and Lease renewals apart). */
async function readsByResource(): Promise<Record<string, number>> {
  const text = await operator.metrics();
  const reads: Record<string, number> = {};
  for (const m of text.matchAll(/^tenantsync_kube_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if ((labels.verb === 'get' || labels.verb === 'list') && labels.resource !== 'leases') reads[labels.resource!] = (reads[labels.resource!] ?? 0) + Number(m[2]);
  }
  return reads;
}

/** Writes other than Lease renewals. */
async function objectWrites(): Promise<number> {
  const all = await operator.metric('tenantsync_kube_write_requests_total');
  return all - (await operator.metric('tenantsync_kube_write_requests_total', { resource: 'leases' }));
}

describe('idleness', () => {
  it('sends no write request in 60 s once settled', { timeout: 360_000 }, async () => {
    await createTenantSync(client, ns.name, 'idle-interval', { interval: '2h' });
    await createTenantSync(client, ns.name, 'idle-schedule', { schedule: '0 4 * * *', timeZone: 'Europe/Berlin' });
    await createTenantSync(client, ns.name, 'idle-suspended', { suspend: true });
    await createTenantSync(client, ns.name, 'idle-streams', {
      interval: '1h',
      source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: credentialsSecret, key: 'apiKey' }, streams: [{ name: 'tickets' }, { name: 'agents', interval: '24h' }] },
      job: { resources: { requests: { cpu: '100m', memory: '0.5Gi' } }, tolerations: [{ key: 'batch', operator: 'Exists' }] },
    } as never);
    for (const name of ['idle-interval', 'idle-schedule', 'idle-suspended', 'idle-streams']) await waitReady(client, ns.name, name);
    // A run coming due is a real change (the CronJob controller starts a Job, status shows it and the next
    // run time), so when one falls in the idle window, let it pass first: the next is an hour or more away.
    const nextRuns = (await client.list<StoredTenantSync>('tenantsync.io/v1alpha1', 'TenantSync', { namespace: ns.name })).items
      .map((ts) => Date.parse(ts.status?.nextRunTime ?? ''))
      .filter((t) => !Number.isNaN(t));
    const dueInWindow = nextRuns.filter((t) => t <= Date.now() + idleMs + 60_000);
    if (dueInWindow.length > 0) await sleep(Math.max(...dueInWindow) - Date.now() + 5_000);
    // Settled: the write count stops moving (Events and the last status writes land).
    const before = await waitSettled('writes to settle', objectWrites);
    const reconcilesBefore = await operator.metric('tenantsync_reconcile_total');
    const readsBefore = await readsByResource();

    await sleep(idleMs);

    const writes = (await operator.metrics()).split('\n').filter((l) => l.startsWith('tenantsync_kube_write_requests_total'));
    expect(await objectWrites(), writes.join('\n')).toBe(before);
    expect(await operator.metric('tenantsync_kube_write_requests_total', { resource: 'leases' })).toBeGreaterThan(0);
    // The operator did look again (resync every 10 s), so zero writes is not zero work.
    const reconciles = (await operator.metric('tenantsync_reconcile_total')) - reconcilesBefore;
    expect(reconciles).toBeGreaterThanOrEqual(4 * 4);
    // Steady state reads from the caches: only the Secret checks (one referenced Secret per tenant) reach
    // the API server — no ConfigMap, CronJob, Job or TenantSync GET/LIST.
    const readsAfter = await readsByResource();
    const reads = Object.fromEntries(Object.keys(readsAfter).map((r) => [r, readsAfter[r]! - (readsBefore[r] ?? 0)]).filter(([, n]) => n !== 0));
    expect(Object.keys(reads), JSON.stringify(reads)).toEqual(['secrets']);
    expect(reads.secrets).toBeLessThanOrEqual(reconciles);
  });
});
