// Two operator processes on one Lease: exactly one leads (writes, and caches: a standby lists nothing); SIGKILL
// the leader and the other reconciles a new TenantSync within the lease duration plus a few seconds; SIGTERM
// releases the Lease; a leader that loses the Lease and leads again lists afresh and reconciles what changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, testKubeconfigPath, type TestNamespace } from '../controlplane/test-kube.js';
import { microTime } from '../../operator/kube/clock.js';
import { startOperator, type OperatorProcess } from '../support/operator-process.js';
import { createSecret, createTenantSync, credentialsSecret, sleep, testClient, waitFor, waitReady } from './operator-helpers.js';

const client = testClient();
const leaseDurationSeconds = 8;
const takeoverSlackSeconds = 12;
let ns: TestNamespace;
let operators: OperatorProcess[] = [];

const start = () =>
  startOperator({
    kubeconfig: testKubeconfigPath(),
    namespaces: [ns.name],
    leaseNamespace: ns.name,
    leaseName: 'op-leader',
    args: [`--lease-duration=${leaseDurationSeconds}`, '--renew-deadline=5', '--retry-period=1'],
  });

type Lease = { spec?: { holderIdentity?: string | null; leaseDurationSeconds?: number; leaseTransitions?: number } };
const getLease = () => client.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns.name, name: 'op-leader' });

const leaderFlags = () => Promise.all(operators.map((o) => o.metric('tenantsync_leader').catch(() => -1)));

beforeAll(async () => {
  ns = await createTestNamespace('op-leader');
  await createSecret(client, ns.name, credentialsSecret, { apiKey: 'k' });
  operators = [await start(), await start()];
});

afterAll(async () => {
  await Promise.all(operators.map((o) => o.kill('SIGKILL')));
  await ns?.cleanup();
});

describe('leader election', () => {
  it('lets exactly one of two processes lead, and only the leader writes', async () => {
    await waitFor('one leader', async () => (await leaderFlags()).reduce((a, b) => a + b, 0) === 1);
    await createTenantSync(client, ns.name, 'first');
    await waitReady(client, ns.name, 'first');
    // Sampled a few times: never two leaders, and the standby sent no write at all.
    for (let i = 0; i < 5; i++) {
      expect((await leaderFlags()).sort()).toEqual([0, 1]);
      await sleep(500);
    }
    const flags = await leaderFlags();
    const standby = operators[flags.indexOf(0)] as OperatorProcess;
    const leader = operators[flags.indexOf(1)] as OperatorProcess;
    expect(await standby.metric('tenantsync_kube_write_requests_total')).toBe(0);
    expect(await leader.metric('tenantsync_kube_write_requests_total', { resource: 'cronjobs' })).toBeGreaterThan(0);
    // The caches are the leader's: a standby lists and watches nothing (only the Lease is read), and is ready.
    expect(await standby.metric('tenantsync_kube_requests_total', { verb: 'list' })).toBe(0);
    expect(await standby.metric('tenantsync_kube_requests_total', { verb: 'watch' })).toBe(0);
    expect(await leader.metric('tenantsync_kube_requests_total', { verb: 'list', resource: 'tenantsyncs' })).toBeGreaterThan(0);
    expect(await standby.isReady()).toBe(true);
  });

  it('hands over within the lease duration when the leader is killed with SIGKILL', async () => {
    const flags = await leaderFlags();
    const leader = operators[flags.indexOf(1)] as OperatorProcess;
    const standby = operators[flags.indexOf(0)] as OperatorProcess;
    const killed = await leader.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    await createTenantSync(client, ns.name, 'second');
    await waitReady(client, ns.name, 'second', (leaseDurationSeconds + takeoverSlackSeconds) * 1000);
    expect(await standby.metric('tenantsync_leader')).toBe(1);
    operators = [standby, await start()];
  });

  it('releases the Lease on SIGTERM and exits 0, so the standby takes it as free (not as expired)', async () => {
    await waitFor('one leader', async () => (await leaderFlags()).reduce((a, b) => a + b, 0) === 1);
    const flags = await leaderFlags();
    const leader = operators[flags.indexOf(1)] as OperatorProcess;
    const standby = operators[flags.indexOf(0)] as OperatorProcess;
    const leaderIdentity = leader.logLines().find((l) => l.msg === 'became leader')?.identity;
    expect(typeof leaderIdentity).toBe('string');
    const held = await getLease();
    expect(held?.spec?.holderIdentity).toBe(leaderIdentity);
    const transitions = held?.spec?.leaseTransitions ?? 0;

    const exit = await leader.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(leader.output()).toContain('released the leader lease');
    // Right after the exit, long before the 8 s lease could expire, the Lease no longer names the old
    // leader: released (no holder, 1 s duration) or already taken by the standby.
    const after = await getLease();
    expect(after?.spec?.holderIdentity).not.toBe(leaderIdentity);
    if (!after?.spec?.holderIdentity) expect(after?.spec?.leaseDurationSeconds).toBe(1);

    // The standby acquired it as a free Lease: its log has no previous holder (an expired Lease would name one).
    const acquired = await standby.waitForLog((l) => l.msg === 'acquired the leader lease' && l.leaseTransitions === transitions + 1, 30_000);
    expect(acquired.previousHolder).toBeUndefined();
    const taken = await getLease();
    expect(taken?.spec).toMatchObject({ holderIdentity: acquired.identity, leaseTransitions: transitions + 1, leaseDurationSeconds: leaseDurationSeconds });
    expect(await standby.metric('tenantsync_leader')).toBe(1);
    await createTenantSync(client, ns.name, 'third');
    await waitReady(client, ns.name, 'third');
  });

  it('a leader that loses the Lease stops leading, drops its per-tenant gauges, and leads again from a fresh list', async () => {
    await waitFor('one leader', async () => (await leaderFlags()).includes(1));
    const leader = operators[(await leaderFlags()).indexOf(1)] as OperatorProcess;
    const tenantSeries = async () => (await leader.metrics()).split('\n').filter((l) => /^tenantsync_(last_success_timestamp_seconds|interval_seconds|consecutive_failures)\{/.test(l));
    await waitFor('per-tenant gauges on the leader', async () => (await tenantSeries()).length > 0);
    // Another identity takes the Lease over (as a replica on the far side of a partition would once it expired).
    await client.mergePatch(
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns.name, name: 'op-leader' },
      { spec: { holderIdentity: 'intruder', renewTime: microTime(new Date()), leaseDurationSeconds: 3600 } },
    );
    await leader.waitForLog((l) => l.msg === 'lost the leader lease; stopped leading', 30_000);
    await waitFor('the old leader to report standby', async () => (await leader.metric('tenantsync_leader')) === 0);
    // Its gauges would otherwise keep alerting (a stale last success) from a replica that no longer updates them.
    expect(await tenantSeries()).toEqual([]);

    // A TenantSync made while it stands by (its caches emptied), then the intruder lets the Lease go: the same
    // process leads again, lists afresh and reconciles it.
    await createTenantSync(client, ns.name, 'fourth');
    await client.mergePatch(
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: ns.name, name: 'op-leader' },
      { spec: { holderIdentity: null, leaseDurationSeconds: 1 } },
    );
    await waitFor('the old leader to lead again', async () => (await leader.metric('tenantsync_leader')) === 1, 30_000);
    await waitReady(client, ns.name, 'fourth');
    expect(await leader.metric('tenantsync_kube_requests_total', { verb: 'list', resource: 'tenantsyncs' })).toBeGreaterThanOrEqual(2);
  });
});
