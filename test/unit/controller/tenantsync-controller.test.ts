import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { TenantSyncController } from '../../../operator/controller/tenantsync-controller.js';
import { watchTenantSyncs } from '../../../operator/controller/watches.js';
import { Controller } from '../../../operator/runtime/controller.js';
import { FakeClock } from '../../../operator/kube/clock.js';
import { KubeApiError } from '../../../operator/kube/errors.js';
import { manualJobName } from '../../../operator/reconcile/names.js';
import { intervalCron } from '../../../operator/reconcile/schedule.js';
import { createLogger, silentLogger } from '../../../operator/runtime/logger.js';
import { createMetrics } from '../../../operator/runtime/metrics.js';
import { sumMetric } from '../../support/operator-process.js';
import { logLines } from '../runtime/log-lines.js';
import { FakeCache, FakeClient, FakeRecorder } from './fakes.js';

type Stored = { metadata: { generation: number; resourceVersion: string; annotations?: Record<string, string> }; status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason: string; message: string }[] } };

const ns = 'tenants';
let client: FakeClient;
let tenantSyncs: FakeCache<unknown>;
let cronJobs: FakeCache<V1CronJob>;
let recorder: FakeRecorder;
let clock: FakeClock;
let controller: TenantSyncController;

function seedTenantSync(name: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return client.seed({
    apiVersion: 'tenantsync.io/v1alpha1',
    kind: 'TenantSync',
    metadata: { name, namespace: ns, generation: 1, creationTimestamp: clock.now().toISOString(), ...metadata },
    spec: {
      source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' } },
      sink: { url: 'https://sink.example.com' },
      ...spec,
    },
  });
}

function seedSecret(name = 'fd', data: Record<string, string> = { apiKey: 'a2V5' }) {
  client.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, data });
}

/** The source a state of acme (domain acme.freshdesk.com, tenantId defaulting to the name) is stamped with. */
const acmeSource = 'https://acme.freshdesk.com/api/v2 tenant acme';
const ts = (name = 'acme') => client.find<Stored>('TenantSync', ns, name);
const ready = (name = 'acme') => ts(name)?.status?.conditions?.find((c) => c.type === 'Ready');
const writesOf = (verb: string, kind?: string) => client.writes.filter((w) => w.verb === verb && (kind === undefined || w.kind === kind));

beforeEach(() => {
  clock = new FakeClock('2025-05-01T10:00:00Z');
  client = new FakeClient(() => clock.now());
  tenantSyncs = new FakeCache(client, 'TenantSync');
  cronJobs = new FakeCache<V1CronJob>(client, 'CronJob');
  recorder = new FakeRecorder();
  controller = new TenantSyncController({ client, tenantSyncs, cronJobs, recorder, clock, logger: silentLogger(), defaultSyncImage: 'sync:1' });
});

describe('TenantSyncController.reconcile', () => {
  it('creates the children, reports Ready, and looks again when the tenant would turn stale', async () => {
    seedSecret();
    seedTenantSync('acme');
    const result = await controller.reconcile(`${ns}/acme`);
    expect(writesOf('apply', 'ConfigMap').map((w) => w.name)).toEqual(['acme-config']);
    expect(writesOf('create', 'ConfigMap').map((w) => w.name)).toEqual(['acme-state']);
    expect(writesOf('apply', 'CronJob').map((w) => w.name)).toEqual(['acme']);
    expect(ready()).toMatchObject({ status: 'True', reason: 'Reconciled' });
    const cron = intervalCron(7200, ns, 'acme');
    expect(ts()?.status).toMatchObject({ observedGeneration: 1, cronJobName: 'acme', schedule: cron });
    const next = Date.parse(String(ts()?.status?.nextRunTime));
    expect(next).toBeGreaterThan(clock.now().getTime());
    expect(next).toBeLessThanOrEqual(clock.now().getTime() + 7200_000);
    // Not woken for the next run (its Job brings the tenant back); stale two periods after its creation.
    expect(result?.requeueAfterMs).toBe(2 * 7200_000 + 1000);
    // One Event for the birth of a tenant: its three children (not one each), and its first Ready.
    expect(recorder.events.map((e) => e.reason)).toEqual(['ChildrenCreated']);
    expect(recorder.events[0]?.message).toMatch(/^Created ConfigMap acme-config, ConfigMap acme-state \(an empty sync state: .*\) and CronJob acme; ready: /);
    expect(recorder.events[0]?.message).toContain(`; ready: ${ready()?.message}`);
  });

  it('a pass that fails at the CronJob still tells of the ConfigMaps it created; the retry tells of the CronJob', async () => {
    seedSecret();
    seedTenantSync('acme');
    const apply = client.apply.bind(client);
    let failed = false;
    client.apply = (async (obj: { kind?: string }, opts: never) => {
      if (obj.kind === 'CronJob' && !failed) {
        failed = true;
        throw new KubeApiError({ code: 'KUBE_SERVER_ERROR', message: 'PATCH …: 500 etcd timeout', method: 'PATCH', path: '/', statusCode: 500 });
      }
      return apply(obj as never, opts);
    }) as typeof client.apply;
    await expect(controller.reconcile(`${ns}/acme`)).rejects.toThrow(/etcd timeout/);
    expect(recorder.events.filter((e) => e.reason === 'ChildrenCreated').map((e) => e.message)).toEqual([expect.stringMatching(/^Created ConfigMap acme-config and ConfigMap acme-state \(/)]);
    await controller.reconcile(`${ns}/acme`);
    expect(recorder.events.filter((e) => e.reason === 'ChildrenCreated').map((e) => e.message)).toEqual([expect.any(String), expect.stringMatching(/^Created CronJob acme; ready: /)]);
  });

  it('sends the Secret read and both ConfigMaps together: the Secret answers only once both ConfigMaps were sent', async () => {
    seedSecret();
    seedTenantSync('acme');
    const get = client.get.bind(client);
    const sent = () => writesOf('apply', 'ConfigMap').length + writesOf('create', 'ConfigMap').length;
    client.get = (async (ref: { kind: string }) => {
      // One after another, the ConfigMaps would wait for this answer and the pass would never end.
      if (ref.kind === 'Secret') await vi.waitFor(() => expect(sent()).toBe(2), { timeout: 2_000 });
      return get(ref as never);
    }) as typeof client.get;
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'True' });
    expect(writesOf('apply', 'CronJob').map((w) => w.name)).toEqual(['acme']);
  });

  it('a Secret read that fails still lets the ConfigMaps sent with it finish and be told; the CronJob waits for the retry', async () => {
    seedSecret();
    seedTenantSync('acme');
    const get = client.get.bind(client);
    let failed = false;
    client.get = (async (ref: { kind: string }) => {
      if (ref.kind === 'Secret' && !failed) {
        failed = true;
        throw new KubeApiError({ code: 'KUBE_SERVER_ERROR', message: 'GET …: 503 unavailable', method: 'GET', path: '/', statusCode: 503 });
      }
      return get(ref as never);
    }) as typeof client.get;
    await expect(controller.reconcile(`${ns}/acme`)).rejects.toThrow(/unavailable/);
    expect(writesOf('apply', 'CronJob')).toEqual([]);
    expect(recorder.events.filter((e) => e.reason === 'ChildrenCreated').map((e) => e.message)).toEqual([expect.stringMatching(/^Created ConfigMap acme-config and ConfigMap acme-state \(/)]);
    await controller.reconcile(`${ns}/acme`);
    expect(writesOf('apply', 'CronJob').map((w) => w.name)).toEqual(['acme']);
    expect(ready()).toMatchObject({ status: 'True' });
  });

  it('writes nothing on a second pass over an unchanged cluster', async () => {
    seedSecret();
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    const writes = client.writes.length;
    const events = recorder.events.length;
    clock.advance(60_000);
    await controller.reconcile(`${ns}/acme`);
    await controller.reconcile(`${ns}/acme`);
    expect(client.writes.length).toBe(writes);
    expect(recorder.events.length).toBe(events);
  });

  it('does not write the same status twice while the cache still shows the old object', async () => {
    seedSecret();
    seedTenantSync('acme');
    tenantSyncs.freeze();
    await controller.reconcile(`${ns}/acme`);
    const statusWrites = writesOf('patch', 'TenantSync').length;
    await controller.reconcile(`${ns}/acme`);
    expect(writesOf('patch', 'TenantSync').length).toBe(statusWrites);
  });

  it('reports InvalidSpec, creates nothing and does not retry', async () => {
    seedSecret();
    seedTenantSync('acme', { schedule: '0 25 * * *' });
    const result = await controller.reconcile(`${ns}/acme`);
    expect(result).toEqual({ stalled: true });
    expect(writesOf('apply')).toEqual([]);
    expect(ready()).toMatchObject({ status: 'False', reason: 'InvalidSpec', message: expect.stringContaining('spec.schedule: hour field') });
    expect(ts()?.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(recorder.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidSpec' })]);
  });

  it('reports an object the schema rejects entirely (garbage that got past an old CRD)', async () => {
    client.seed({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', metadata: { name: 'acme', namespace: ns, generation: 3 }, spec: { interval: 42 } });
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(ready()?.message).toMatch(/spec\.interval/);
    expect(ts()?.status?.observedGeneration).toBe(3);
  });

  it('suspends the CronJob while the Secret is missing, backs off, and recovers when it appears', async () => {
    seedTenantSync('acme');
    const first = await controller.reconcile(`${ns}/acme`);
    expect(client.find<V1CronJob>('CronJob', ns, 'acme')?.spec?.suspend).toBe(true);
    expect(ready()).toMatchObject({ status: 'False', reason: 'SecretNotFound', message: expect.stringContaining(`Secret ${ns}/fd`) });
    expect(first?.requeueAfterMs).toBe(5_000);
    expect((await controller.reconcile(`${ns}/acme`))?.requeueAfterMs).toBe(10_000);
    expect((await controller.reconcile(`${ns}/acme`))?.requeueAfterMs).toBe(20_000);
    // …doubling up to 5 minutes, where it stays.
    const later: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) later.push((await controller.reconcile(`${ns}/acme`))?.requeueAfterMs);
    expect(later).toEqual([40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    expect(recorder.events.filter((e) => e.reason === 'SecretNotFound')).toHaveLength(1);

    seedSecret();
    await controller.reconcile(`${ns}/acme`);
    expect(client.find<V1CronJob>('CronJob', ns, 'acme')?.spec?.suspend).toBe(false);
    expect(ready()).toMatchObject({ status: 'True', reason: 'Reconciled' });
    expect(recorder.events.at(-1)).toMatchObject({ type: 'Normal', reason: 'Reconciled' });
  });

  it('refuses to take over a CronJob that another owner controls', async () => {
    seedSecret();
    client.seed({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'acme', namespace: ns, ownerReferences: [{ apiVersion: 'x/v1', kind: 'Other', name: 'o', uid: 'other', controller: true }] },
      spec: { schedule: '* * * * *' },
    });
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    expect(writesOf('apply', 'CronJob')).toEqual([]);
    expect(ready()).toMatchObject({ reason: 'ChildConflict', message: expect.stringContaining('is controlled by Other o') });
  });

  it('adopts an orphan it created earlier (managed-by label, no owner) instead of reporting a conflict', async () => {
    seedSecret();
    client.seed({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'acme', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'tenantsync-operator' } },
      spec: { schedule: '* * * * *' },
    });
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    const uid = client.find<{ metadata: { uid: string } }>('TenantSync', ns, 'acme')?.metadata.uid;
    expect(client.find<V1CronJob>('CronJob', ns, 'acme')?.metadata?.ownerReferences).toEqual([expect.objectContaining({ uid, controller: true })]);
    expect(ready()).toMatchObject({ status: 'True' });
  });

  it('waits for a child that is being deleted before creating it again', async () => {
    seedSecret();
    client.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'acme-state', namespace: ns, deletionTimestamp: '2025-05-01T09:59:00Z', labels: { 'app.kubernetes.io/managed-by': 'tenantsync-operator' } } });
    seedTenantSync('acme');
    expect(await controller.reconcile(`${ns}/acme`)).toEqual({ requeueAfterMs: 2_000 });
    expect(ready()).toMatchObject({ status: 'False', reason: 'ChildTerminating' });
    expect(writesOf('apply', 'CronJob')).toEqual([]);
    client.remove('ConfigMap', ns, 'acme-state');
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'True' });
  });

  it('a single transient API error (500, 429, timeout) does not flip Ready nor emit an Event; three in a row are reported as Reconciling (issue 12 item 8)', async () => {
    seedSecret();
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'True', reason: 'Reconciled' });
    const events = recorder.events.length;
    const statusWrites = () => writesOf('patch', 'TenantSync').filter((w) => w.subresource === 'status').length;
    const writes = statusWrites();
    const serverError = () => new KubeApiError({ code: 'KUBE_SERVER_ERROR', message: 'PATCH …: 500 etcd timeout', method: 'PATCH', path: '/', statusCode: 500 });
    const tooMany = () => new KubeApiError({ code: 'KUBE_TOO_MANY_REQUESTS', message: 'GET …: 429', method: 'GET', path: '/', statusCode: 429 });
    // A spec change makes the pass apply the CronJob, which fails once.
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { suspend: true } });
    client.failNext.apply = serverError();
    await expect(controller.reconcile(`${ns}/acme`)).rejects.toThrow(/etcd timeout/);
    expect(ready()).toMatchObject({ status: 'True', reason: 'Reconciled' });
    expect(ts()?.status?.conditions?.find((c) => c.type === 'Reconciling')).toBeUndefined();
    expect(statusWrites()).toBe(writes);
    expect(recorder.events.length).toBe(events);
    // The retry succeeds: nothing ever said the tenant was not ready.
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'True', reason: 'Suspended' });
    expect(recorder.events.filter((e) => e.type === 'Warning')).toEqual([]);

    // Trouble that lasts is reported: the third transient error in a row sets Reconciling and Ready=False.
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { suspend: false } });
    client.failNext.apply = serverError();
    await expect(controller.reconcile(`${ns}/acme`)).rejects.toThrow();
    client.failNext.get = tooMany();
    await expect(controller.reconcile(`${ns}/acme`)).rejects.toThrow();
    expect(ready()).toMatchObject({ status: 'True' });
    client.failNext.apply = serverError();
    await expect(controller.reconcile(`${ns}/acme`)).rejects.toThrow(/etcd timeout/);
    expect(ready()).toMatchObject({ status: 'False', reason: 'KubeApiError' });
    expect(ts()?.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'True' });
    // Reconciling is gone once the retry succeeded; SyncHealthy waits for the first run.
    expect(ts()?.status?.conditions?.map((c) => c.type)).toEqual(['Ready', 'SyncHealthy']);
    expect(ts()?.status?.conditions?.find((c) => c.type === 'SyncHealthy')).toMatchObject({ status: 'Unknown', reason: 'AwaitingFirstRun' });
  });

  it('reports a non-transient failure at once', async () => {
    seedSecret();
    seedTenantSync('acme');
    client.failNext.apply = new KubeApiError({ code: 'KUBE_FORBIDDEN', message: 'PATCH …: 403 forbidden', method: 'PATCH', path: '/', statusCode: 403 });
    await expect(controller.reconcile(`${ns}/acme`)).rejects.toThrow(/forbidden/);
    expect(ready()).toMatchObject({ status: 'False', reason: 'KubeApiError' });
    expect(ts()?.status?.conditions?.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'True', reason: 'ProgressingWithRetry' });
  });

  it('a re-sync request whose cursor reset fails is not taken as handled: the next pass resets and starts its run', async () => {
    seedSecret();
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    const ref = { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' };
    await client.mergePatch(ref, { metadata: { annotations: { 'tenantsync.io/resync': 'tickets', 'tenantsync.io/resync-requested-at': 's1' } } });
    client.failPatch = (r) =>
      r.kind === 'ConfigMap' && r.name === 'acme-state' ? new KubeApiError({ code: 'KUBE_FORBIDDEN', message: 'configmaps "acme-state" is forbidden', method: 'PATCH', path: '/', statusCode: 403 }) : undefined;
    await expect(controller.reconcile(`${ns}/acme`)).rejects.toThrow(/forbidden/);
    expect(ts()?.status?.lastHandledResyncRequest).toBeUndefined();
    expect(writesOf('create', 'Job')).toEqual([]);
    client.failPatch = undefined;
    await controller.reconcile(`${ns}/acme`);
    expect(ts()?.status?.lastHandledResyncRequest).toBe('s1');
    expect(writesOf('create', 'Job').map((w) => w.name)).toEqual([manualJobName('acme', 'resync s1')]);
    expect(recorder.events.filter((e) => e.reason === 'ResyncStarted')).toHaveLength(1);
  });

  it('logs one line naming the re-sync request, its Job and each reset stream with its cursor before and after', async () => {
    const { lines, destination } = logLines();
    controller = new TenantSyncController({ client, tenantSyncs, cronJobs, recorder, clock, logger: createLogger({ destination }), defaultSyncImage: 'sync:1' });
    seedSecret();
    seedTenantSync('acme', { source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' }, streams: [{ name: 'tickets' }, { name: 'contacts' }] } });
    await controller.reconcile(`${ns}/acme`);
    const cursors = { tickets: { cursor: { updatedAt: '2025-04-30T08:00:00Z', ids: ['7'] } }, contacts: { cursor: { updatedAt: '2025-04-30T09:00:00Z', ids: ['3'] } } };
    await client.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'acme-state' }, { data: { 'state.json': JSON.stringify({ version: 1, streams: cursors }) } });
    const ref = { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' };
    await client.mergePatch(ref, { metadata: { annotations: { 'tenantsync.io/resync': 'tickets@2025-01-01T00:00:00Z', 'tenantsync.io/resync-requested-at': 'backfill-1' } } });
    await controller.reconcile(`${ns}/acme`);

    const resets = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.resyncRequest !== undefined);
    expect(resets).toEqual([
      expect.objectContaining({
        level: 'info',
        namespace: ns,
        name: 'acme',
        resyncRequest: 'backfill-1',
        job: manualJobName('acme', 'resync backfill-1'),
        reset: 'tickets: 2025-04-30T08:00:00Z → 2025-01-01T00:00:00Z',
        msg: 'reset cursors for a re-sync and started a run',
      }),
    ]);
    // contacts was not named, so the line does not mention it and its cursor stays.
    expect(JSON.stringify(resets)).not.toContain('contacts');
    const state = JSON.parse(client.find<{ data: Record<string, string> }>('ConfigMap', ns, 'acme-state')!.data['state.json']!) as { streams: Record<string, { cursor: unknown }> };
    expect(state.streams.contacts!.cursor).toEqual(cursors.contacts.cursor);
  });

  it('starts one manual Job per run request value, even when a retry finds the Job already there', async () => {
    seedSecret();
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { metadata: { annotations: { 'tenantsync.io/run-requested-at': 'r1' } } });
    await controller.reconcile(`${ns}/acme`);
    const jobName = manualJobName('acme', 'r1');
    expect(writesOf('create', 'Job').map((w) => w.name)).toEqual([jobName]);
    expect(ts()?.status?.lastHandledRunRequest).toBe('r1');
    await controller.reconcile(`${ns}/acme`);
    expect(writesOf('create', 'Job')).toHaveLength(1);
    const job = client.find<V1Job>('Job', ns, jobName);
    expect(job?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'CronJob', name: 'acme', uid: client.find<V1CronJob>('CronJob', ns, 'acme')?.metadata?.uid });

    // The status write was lost (e.g. the operator died): the next pass finds the Job and only echoes the value.
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { status: { lastHandledRunRequest: null } }, { subresource: 'status' });
    const events = recorder.events.filter((e) => e.reason === 'RunStarted').length;
    await controller.reconcile(`${ns}/acme`);
    expect(ts()?.status?.lastHandledRunRequest).toBe('r1');
    expect(writesOf('create', 'Job')).toHaveLength(1);
    expect(recorder.events.filter((e) => e.reason === 'RunStarted')).toHaveLength(events);
  });

  it('re-created with its run-now annotation still set: no surprise run, the value counts as handled (issue 12 item 6)', async () => {
    seedSecret();
    seedTenantSync('acme', {}, { annotations: { 'tenantsync.io/run-requested-at': 'from-git' } });
    await controller.reconcile(`${ns}/acme`);
    await controller.reconcile(`${ns}/acme`);
    expect(writesOf('create', 'Job')).toEqual([]);
    expect(ts()?.status?.lastHandledRunRequest).toBe('from-git');
    expect(recorder.events.filter((e) => e.reason === 'RunRequestInherited')).toEqual([
      expect.objectContaining({ message: expect.stringContaining('no run started; set a new value to run now') }),
    ]);
    // A new value afterwards runs as usual.
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { metadata: { annotations: { 'tenantsync.io/run-requested-at': 'later' } } });
    await controller.reconcile(`${ns}/acme`);
    expect(writesOf('create', 'Job').map((w) => w.name)).toEqual([manualJobName('acme', 'later')]);
  });

  it('a new TenantSync annotated with a time after its creation (apply, then annotate) runs at once, even before the operator saw it', async () => {
    seedSecret();
    seedTenantSync('acme', {}, { creationTimestamp: '2025-05-01T09:59:58Z', annotations: { 'tenantsync.io/run-requested-at': '2025-05-01T09:59:59Z' } });
    await controller.reconcile(`${ns}/acme`);
    expect(writesOf('create', 'Job').map((w) => w.name)).toEqual([manualJobName('acme', '2025-05-01T09:59:59Z')]);
  });

  it('stateRetention Retain: the state ConfigMap has no owner, and a re-created TenantSync continues from its cursors (issue 12 item 6)', async () => {
    seedSecret();
    seedTenantSync('acme', { stateRetention: 'Retain' });
    await controller.reconcile(`${ns}/acme`);
    const kept = client.find<{ metadata: { ownerReferences?: unknown[] }; data: Record<string, string> }>('ConfigMap', ns, 'acme-state');
    expect(kept?.metadata.ownerReferences).toBeUndefined();
    expect(client.find<{ metadata: { ownerReferences?: unknown[] } }>('ConfigMap', ns, 'acme-config')?.metadata.ownerReferences).toHaveLength(1);
    const cursors = { version: 1, streams: { tickets: { cursor: { updatedAt: '2025-04-30T10:00:00Z' }, lastSuccessAt: '2025-04-30T10:05:00Z' } } };
    await client.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'acme-state' }, { data: { 'state.json': JSON.stringify(cursors) } });

    // Deleted (the garbage collector takes everything it owns) and applied again: a new uid, no status.
    for (const [kind, name] of [['TenantSync', 'acme'], ['CronJob', 'acme'], ['ConfigMap', 'acme-config']] as const) client.remove(kind, ns, name);
    seedTenantSync('acme', { stateRetention: 'Retain', source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' }, streams: [{ name: 'tickets' }] } });
    await controller.reconcile(`${ns}/acme`);
    expect(JSON.parse(client.find<{ data: Record<string, string> }>('ConfigMap', ns, 'acme-state')!.data['state.json']!)).toEqual({ ...cursors, source: acmeSource });
    expect(ts()?.status?.streams).toEqual([expect.objectContaining({ name: 'tickets', cursor: '2025-04-30T10:00:00Z' })]);
    expect(recorder.events.filter((e) => e.reason === 'StateAdopted')).toEqual([expect.objectContaining({ message: expect.stringContaining('(1 streams: tickets)') })]);
  });

  it('pointed at another Freshdesk account, or given another tenantId, starts every stream over (its cursors were for the old source)', async () => {
    seedSecret();
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    const stateOf = () => JSON.parse(client.find<{ data: Record<string, string> }>('ConfigMap', ns, 'acme-state')!.data['state.json']!) as Record<string, unknown>;
    expect(stateOf()).toEqual({ version: 1, source: acmeSource, streams: {} });
    const cursors = { version: 1, source: acmeSource, streams: { tickets: { cursor: { updatedAt: '2025-04-30T10:00:00Z', ids: ['7'] }, lastSuccessAt: '2025-04-30T10:05:00Z' } } };
    await client.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'acme-state' }, { data: { 'state.json': JSON.stringify(cursors) } });
    await controller.reconcile(`${ns}/acme`);
    expect(stateOf()).toEqual(cursors); // same source: nothing moves

    await client.mergePatch(
      { apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' },
      { spec: { source: { domain: 'acme-eu.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' } } } },
    );
    await controller.reconcile(`${ns}/acme`);
    const eu = 'https://acme-eu.freshdesk.com/api/v2 tenant acme';
    const reset = { cursor: {}, resetAt: '2025-05-01T10:00:00.000Z', resetBy: `source ${eu}` };
    const after = stateOf() as { source: string; streams: Record<string, unknown> };
    expect(after.source).toBe(eu);
    expect(after.streams.tickets).toEqual(reset);
    // Every stream of the spec, also those without a cursor yet (a first run of the old account may still be under way).
    expect(Object.keys(after.streams).length).toBeGreaterThan(1);
    for (const stream of Object.values(after.streams)) expect(stream).toEqual(reset);
    expect(recorder.events.filter((e) => e.reason === 'SourceChanged').map((e) => e.message)).toEqual([
      `The cursors were for ${acmeSource}; this TenantSync now reads ${eu}, so every stream starts over from spec.source.startDate (or the beginning): tickets: 2025-04-30T10:00:00Z → the start`,
    ]);
    await controller.reconcile(`${ns}/acme`);
    expect(recorder.events.filter((e) => e.reason === 'SourceChanged')).toHaveLength(1);

    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { tenantId: 'acme-europe' } });
    await controller.reconcile(`${ns}/acme`);
    expect(stateOf()).toMatchObject({ source: 'https://acme-eu.freshdesk.com/api/v2 tenant acme-europe' });
    expect(recorder.events.filter((e) => e.reason === 'SourceChanged')).toHaveLength(2);
  });

  it("takes app.kubernetes.io/instance (an older operator's) off a kept state ConfigMap, keeping its cursors", async () => {
    seedSecret();
    const retained = { version: 1, streams: { tickets: { cursor: { updatedAt: '2025-04-30T10:00:00Z' } } } };
    const labels = { 'app.kubernetes.io/managed-by': 'tenantsync-operator', 'app.kubernetes.io/instance': 'acme', 'tenantsync.io/name': 'acme' };
    client.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'acme-state', namespace: ns, labels }, data: { 'state.json': JSON.stringify(retained) } });
    seedTenantSync('acme', { stateRetention: 'Retain', source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' }, streams: [{ name: 'tickets' }] } });
    await controller.reconcile(`${ns}/acme`);
    const kept = client.find<{ metadata: { labels?: Record<string, string> }; data: Record<string, string> }>('ConfigMap', ns, 'acme-state');
    expect(kept?.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'tenantsync-operator', 'tenantsync.io/name': 'acme' });
    expect(JSON.parse(kept!.data['state.json']!)).toEqual({ ...retained, source: acmeSource });
    // One write for both (at 5,000 tenants an upgrade costs one request each), guarded by the version it read.
    const stateWrites = client.writes.filter((w) => w.kind === 'ConfigMap' && w.name === 'acme-state');
    expect(stateWrites).toEqual([expect.objectContaining({ verb: 'patch', body: expect.objectContaining({ metadata: expect.objectContaining({ resourceVersion: expect.any(String) }) }) })]);
    await controller.reconcile(`${ns}/acme`);
    expect(client.writes.filter((w) => w.kind === 'ConfigMap' && w.name === 'acme-state')).toHaveLength(1);
  });

  it('re-created (Retain) with its re-sync annotation still set: no cursor reset and no run, the value counts as handled', async () => {
    seedSecret();
    const retained = { version: 1, streams: { tickets: { cursor: { updatedAt: '2025-04-30T10:00:00Z' }, lastSuccessAt: '2025-04-30T10:05:00Z' } } };
    client.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'acme-state', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'tenantsync-operator' } }, data: { 'state.json': JSON.stringify(retained) } });
    seedTenantSync(
      'acme',
      { stateRetention: 'Retain', source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' }, streams: [{ name: 'tickets' }] } },
      { creationTimestamp: '2025-05-01T09:00:00Z', annotations: { 'tenantsync.io/resync-requested-at': '2025-04-20T08:00:00Z' } },
    );
    await controller.reconcile(`${ns}/acme`);
    await controller.reconcile(`${ns}/acme`);
    expect(JSON.parse(client.find<{ data: Record<string, string> }>('ConfigMap', ns, 'acme-state')!.data['state.json']!)).toEqual({ ...retained, source: acmeSource });
    expect(writesOf('create', 'Job')).toEqual([]);
    expect(ts()?.status?.lastHandledResyncRequest).toBe('2025-04-20T08:00:00Z');
    expect(recorder.events.filter((e) => e.reason === 'RunRequestInherited')).toEqual([expect.objectContaining({ message: expect.stringContaining('no cursor reset') })]);
  });

  it('re-created with run and re-sync requests still set, its Secret arriving after the first pass: no run and no reset later either', async () => {
    const retained = { version: 1, streams: { tickets: { cursor: { updatedAt: '2025-04-30T10:00:00Z' }, lastSuccessAt: '2025-04-30T10:05:00Z' } } };
    client.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'acme-state', namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'tenantsync-operator' } }, data: { 'state.json': JSON.stringify(retained) } });
    seedTenantSync(
      'acme',
      { stateRetention: 'Retain', source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' }, streams: [{ name: 'tickets' }] } },
      {
        creationTimestamp: '2025-05-01T09:00:00Z',
        annotations: {
          'tenantsync.io/run-requested-at': '2025-04-20T07:00:00Z',
          'tenantsync.io/resync': 'tickets@2025-01-01T00:00:00Z',
          'tenantsync.io/resync-requested-at': '2025-04-20T08:00:00Z',
        },
      },
    );
    // First pass: the Secret (made by External Secrets, say) is not there yet.
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(ts()?.status).toMatchObject({ lastHandledRunRequest: '2025-04-20T07:00:00Z', lastHandledResyncRequest: '2025-04-20T08:00:00Z' });
    seedSecret();
    await controller.reconcile(`${ns}/acme`);
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'True' });
    expect(JSON.parse(client.find<{ data: Record<string, string> }>('ConfigMap', ns, 'acme-state')!.data['state.json']!)).toEqual({ ...retained, source: acmeSource });
    expect(writesOf('create', 'Job')).toEqual([]);
    expect(recorder.events.filter((e) => e.reason === 'RunRequestInherited').map((e) => e.message)).toEqual([
      expect.stringContaining('Run request "2025-04-20T07:00:00Z" was already set'),
      expect.stringContaining('Re-sync request "2025-04-20T08:00:00Z" was already set'),
    ]);
  });

  it('stateRetention Delete (default): the state ConfigMap is owned, so it goes with the TenantSync; switching to Retain drops the owner', async () => {
    seedSecret();
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    const owners = () => client.find<{ metadata: { ownerReferences?: { kind: string }[] } }>('ConfigMap', ns, 'acme-state')?.metadata.ownerReferences;
    expect(owners()).toEqual([expect.objectContaining({ kind: 'TenantSync' })]);
    expect(recorder.events.find((e) => e.reason === 'ChildrenCreated')?.message).toContain('ConfigMap acme-state (an empty sync state: the first run syncs from spec.source.startDate');
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { stateRetention: 'Retain' } });
    await controller.reconcile(`${ns}/acme`);
    expect(owners()).toBeUndefined();
  });

  // (A removed spec.job.resources is not a removal: the operator's default resources take its place.)
  it('a field removed from the spec (timeZone, job.nodeSelector, tolerations) is removed from the CronJob (issue 12 item 5)', async () => {
    seedSecret();
    seedTenantSync('acme', {
      schedule: '0 9 * * *',
      timeZone: 'Europe/Berlin',
      job: { nodeSelector: { pool: 'batch' }, tolerations: [{ key: 'batch', operator: 'Exists' }] },
    });
    await controller.reconcile(`${ns}/acme`);
    const cronJob = () => client.find<V1CronJob>('CronJob', ns, 'acme');
    expect(cronJob()?.spec?.timeZone).toBe('Europe/Berlin');
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { timeZone: null, job: null } });
    await controller.reconcile(`${ns}/acme`);
    const pod = cronJob()?.spec?.jobTemplate.spec?.template.spec;
    expect(cronJob()?.spec?.timeZone).toBeUndefined();
    expect(pod?.nodeSelector).toBeUndefined();
    expect(pod?.tolerations).toBeUndefined();
    expect(recorder.events.find((e) => e.reason === 'ChildrenUpdated')?.message).toContain('fields the spec no longer sets');
    // And then it is settled: no further writes.
    const writes = client.writes.length;
    await controller.reconcile(`${ns}/acme`);
    expect(client.writes.length).toBe(writes);
  });

  it('leaves a TenantSync that is being deleted alone', async () => {
    seedSecret();
    seedTenantSync('acme', {}, { deletionTimestamp: '2025-05-01T09:00:00Z' });
    expect(await controller.reconcile(`${ns}/acme`)).toBeUndefined();
    expect(client.writes).toEqual([]);
  });

  it('does nothing for a TenantSync that is gone', async () => {
    expect(await controller.reconcile(`${ns}/ghost`)).toBeUndefined();
    expect(client.writes).toEqual([]);
  });

  it('restores a CronJob edited by hand and says what changed', async () => {
    seedSecret();
    seedTenantSync('acme');
    await controller.reconcile(`${ns}/acme`);
    await client.mergePatch({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: ns, name: 'acme' }, { spec: { schedule: '0 0 * * *' } });
    await controller.reconcile(`${ns}/acme`);
    expect(client.find<V1CronJob>('CronJob', ns, 'acme')?.spec?.schedule).toBe(intervalCron(7200, ns, 'acme'));
    expect(recorder.events.at(-1)).toMatchObject({ reason: 'ChildrenUpdated', message: expect.stringMatching(/^Updated CronJob acme \(.*spec\.schedule/) });
  });

  it('writes nothing when the next run time merely passes; moves nextRunTime when the CronJob starts that run', async () => {
    seedSecret();
    seedTenantSync('acme', { interval: '1h' });
    await controller.reconcile(`${ns}/acme`);
    const first = String(ts()?.status?.nextRunTime);
    const patches = writesOf('patch', 'TenantSync').length;
    // The time passes and no Job started (no CronJob controller here): status stays as it is, overdue.
    clock.set(Date.parse(first) + 30_000);
    await controller.reconcile(`${ns}/acme`);
    expect(ts()?.status?.nextRunTime).toBe(first);
    expect(writesOf('patch', 'TenantSync').length).toBe(patches);
    // The CronJob controller starts the run and records it: the next is an hour later, in one status write.
    const cronJob = client.find<V1CronJob>('CronJob', ns, 'acme')!;
    client.seed({ ...cronJob, status: { lastScheduleTime: first as unknown as Date } });
    await controller.reconcile(`${ns}/acme`);
    expect(ts()?.status).toMatchObject({ lastScheduleTime: first });
    expect(Date.parse(String(ts()?.status?.nextRunTime)) - Date.parse(first)).toBe(3600_000);
    expect(writesOf('patch', 'TenantSync').length).toBe(patches + 1);
  });
});

/** The runnable main.ts builds: the generic controller with the TenantSync watches and this reconciler. */
function runnable(metrics?: ReturnType<typeof createMetrics>): Controller {
  const reconciler = new TenantSyncController({ client, tenantSyncs, cronJobs, recorder, clock, logger: silentLogger(), defaultSyncImage: 'sync:1', metrics });
  return watchTenantSyncs(new Controller({ name: 'tenantsync-controller', reconciler, logger: silentLogger(), metrics }), { tenantSyncs, cronJobs });
}

describe('TenantSyncController watches', () => {
  it('enqueues the owner of a CronJob or Job event, and the TenantSync itself', () => {
    const controller = runnable();
    cronJobs.emit('DELETED', { metadata: { name: 'acme', namespace: ns, ownerReferences: [{ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', name: 'acme', uid: 'u', controller: true }] } } as V1CronJob);
    tenantSyncs.emit('ADDED', { metadata: { name: 'other', namespace: ns } });
    cronJobs.emit('MODIFIED', { metadata: { name: 'foreign', namespace: ns } } as V1CronJob);
    expect(controller.queue.depth).toBe(2);
  });
});

describe('TenantSyncController metrics', () => {
  it('counts a failed reconcile and its retry from the work queue, and the depth gauge follows the queue', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const controller = runnable(metrics);
    // What a scrape of /metrics would show.
    const scrape = async (name: string, labels?: Record<string, string>) => sumMetric(await metrics.registry.metrics(), name, labels);
    seedSecret();
    const acme = seedTenantSync('acme');
    const beta = seedTenantSync('beta');

    // Events fill the queue; a duplicate merges; the gauge shows the keys waiting.
    tenantSyncs.emit('ADDED', acme);
    tenantSyncs.emit('ADDED', beta);
    tenantSyncs.emit('MODIFIED', acme);
    expect(controller.queue.depth).toBe(2);
    expect(await scrape('tenantsync_workqueue_depth')).toBe(2);

    // acme runs first and its first apply fails; beta succeeds; acme's retry (after its 1 s backoff) succeeds.
    client.failNext.apply = new KubeApiError({ code: 'KUBE_SERVER_ERROR', message: 'PATCH …: 500 etcd timeout', method: 'PATCH', path: '/', statusCode: 500 });
    const abort = new AbortController();
    const running = controller.start(abort.signal);
    try {
      await vi.waitFor(async () => expect(await scrape('tenantsync_reconcile_total', { result: 'requeue' })).toBe(2), { timeout: 10_000, interval: 50 });
    } finally {
      abort.abort();
      await running;
      controller.queue.clear();
    }
    expect(ready('acme')).toMatchObject({ status: 'True' });
    expect(await scrape('tenantsync_reconcile_errors_total')).toBe(1);
    expect(await scrape('tenantsync_reconcile_total', { result: 'error' })).toBe(1);
    expect(await scrape('tenantsync_reconcile_total', { result: 'success' })).toBe(0);
    expect(await scrape('tenantsync_reconcile_duration_seconds_count')).toBe(3);
    expect(await scrape('tenantsync_reconcile_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(await scrape('tenantsync_workqueue_depth')).toBe(0);
  });

  it("exports a new tenant's alert series: last success = its creation time, its interval, runs_total 0 per outcome; no interval while suspended", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const controller = runnable(metrics);
    const lines = async () => (await metrics.registry.metrics()).split('\n').filter((l) => l.includes('tenantsync="acme"'));
    seedSecret();
    seedTenantSync('acme', { interval: '4h' }, { creationTimestamp: '2025-05-01T08:00:00Z' });
    await controller.reconcileKey(`${ns}/acme`);
    const series = await lines();
    expect(series).toContain(`tenantsync_last_success_timestamp_seconds{namespace="${ns}",tenantsync="acme"} ${Date.parse('2025-05-01T08:00:00Z') / 1000}`);
    expect(series).toContain(`tenantsync_interval_seconds{namespace="${ns}",tenantsync="acme"} 14400`);
    for (const outcome of ['Succeeded', 'PartiallySucceeded', 'Failed']) {
      expect(series.some((l) => l.startsWith('tenantsync_runs_total{') && l.includes(`outcome="${outcome}"`) && l.endsWith(' 0')), outcome).toBe(true);
    }

    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { suspend: true } });
    await controller.reconcileKey(`${ns}/acme`);
    expect((await lines()).some((l) => l.startsWith('tenantsync_interval_seconds'))).toBe(false);
    expect((await lines()).some((l) => l.startsWith('tenantsync_last_success_timestamp_seconds'))).toBe(true);

    // Resumed a week later: staleness (the condition and the alert's series) counts from the resume, not the creation.
    clock.advance(7 * 24 * 3600_000);
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { suspend: false } });
    await controller.reconcileKey(`${ns}/acme`);
    expect(ts()?.status?.scheduleStartTime).toBe('2025-05-08T10:00:00Z');
    expect(ready()).toMatchObject({ status: 'True', reason: 'Reconciled' });
    expect(await lines()).toContain(`tenantsync_last_success_timestamp_seconds{namespace="${ns}",tenantsync="acme"} ${Date.parse('2025-05-08T10:00:00Z') / 1000}`);
  });

  it('resumed while its Secret is missing, it counts staleness from when the Secret arrived (the CronJob ran again), not from a week-old success', async () => {
    seedSecret();
    seedTenantSync('acme', { interval: '1h', suspend: true }, { creationTimestamp: '2025-05-01T08:00:00Z' });
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'True', reason: 'Suspended' });
    clock.advance(7 * 24 * 3600_000);
    client.remove('Secret', ns, 'fd');
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { suspend: false } });
    await controller.reconcile(`${ns}/acme`);
    expect(ready()).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    clock.advance(3600_000);
    seedSecret();
    await controller.reconcile(`${ns}/acme`);
    expect(ts()?.status?.scheduleStartTime).toBe('2025-05-08T11:00:00Z');
    expect(ready()).toMatchObject({ status: 'True', reason: 'Reconciled' });
    await controller.reconcile(`${ns}/acme`);
    expect(ts()?.status?.scheduleStartTime).toBe('2025-05-08T11:00:00Z');
  });

  it('a new time zone re-arms the schedule: the next run is the first one after the change, not a past one', async () => {
    seedSecret();
    seedTenantSync('acme', { schedule: '0 4 * * *', timeZone: 'Europe/Berlin' }, { creationTimestamp: '2025-04-01T00:00:00Z' });
    await controller.reconcile(`${ns}/acme`);
    // The CronJob started today's 04:00 Berlin run (02:00Z); at 10:00Z the zone changes to New York.
    client.seed({ ...client.find<V1CronJob>('CronJob', ns, 'acme')!, status: { lastScheduleTime: '2025-05-01T02:00:00Z' as unknown as Date } });
    await controller.reconcile(`${ns}/acme`);
    expect(ts()?.status?.nextRunTime).toBe('2025-05-02T02:00:00Z');
    await client.mergePatch({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', namespace: ns, name: 'acme' }, { spec: { timeZone: 'America/New_York' } });
    await controller.reconcile(`${ns}/acme`);
    expect(client.find<V1CronJob>('CronJob', ns, 'acme')?.spec?.timeZone).toBe('America/New_York');
    // 04:00 in New York is 08:00Z: today's is past and the CronJob controller will not start it; tomorrow's is next.
    expect(ts()?.status).toMatchObject({ scheduleStartTime: '2025-05-01T10:00:00Z', nextRunTime: '2025-05-02T08:00:00Z' });
  });

  it('reconcileKey records a stalled InvalidSpec as stalled, not as an error', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const controller = runnable(metrics);
    seedSecret();
    seedTenantSync('acme', { schedule: '99 * * * *' });
    await controller.reconcileKey(`${ns}/acme`);
    const text = await metrics.registry.metrics();
    expect(sumMetric(text, 'tenantsync_reconcile_total', { result: 'stalled' })).toBe(1);
    expect(sumMetric(text, 'tenantsync_reconcile_errors_total')).toBe(0);
    expect(sumMetric(text, 'tenantsync_reconcile_duration_seconds_count')).toBe(1);
  });
});
