// The runtime's informer and kube client against the real kube-apiserver: list + watch with a
// correct cache, resuming from the resourceVersion after server-closed watches, namespace
// scoping, server-side apply idempotency, CRUD helpers, write counting and deduplicated Events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { KubeClient, type KubeObject } from '../../operator/kube/client.js';
import { serverSideApply } from '../../operator/kube/apply.js';
import { EventRecorder } from '../../operator/kube/events.js';
import { Informer, type InformerEventType } from '../../operator/runtime/informer.js';
import { createLogger, type Logger } from '../../operator/runtime/logger.js';
import { countKubeWrites, createMetrics } from '../../operator/runtime/metrics.js';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '../controlplane/test-kube.js';

const waitTimeoutMs = 30_000;
async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + waitTimeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const logger: Logger = createLogger({ level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent' });
type ConfigMap = V1ConfigMap & KubeObject;
const configMap = (namespace: string, name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace, name, labels },
  data,
});

interface Seen {
  type: InformerEventType;
  name: string;
  value: string | undefined;
}

describe('runtime: informer and kube client against a real API server', () => {
  let client: KubeClient;
  let ns: TestNamespace;
  let other: TestNamespace;
  const aborts: AbortController[] = [];

  beforeAll(async () => {
    client = new KubeClient({ kubeConfig: testKubeConfig(), userAgent: 'tenant-sync-test' });
    ns = await createTestNamespace('rt-informer');
    other = await createTestNamespace('rt-informer-other');
  });
  afterAll(async () => {
    for (const a of aborts) a.abort();
    await ns?.cleanup();
    await other?.cleanup();
    await client?.close();
  });

  function startInformer(opts: Partial<ConstructorParameters<typeof Informer<V1ConfigMap>>[0]> = {}) {
    const abort = new AbortController();
    aborts.push(abort);
    const informer = new Informer<V1ConfigMap>({ client, apiVersion: 'v1', plural: 'configmaps', namespaces: [ns.name], logger, ...opts });
    const seen: Seen[] = [];
    informer.on((type, obj) => seen.push({ type, name: obj.metadata!.name!, value: obj.data?.value }));
    const running = informer.start(abort.signal);
    return { informer, seen, abort, running };
  }

  it('lists existing objects, then sees adds, updates and deletes, keeping the cache equal to the server', async () => {
    await client.create(configMap(ns.name, 'pre', { value: '0' }));
    const { informer, seen, abort, running } = startInformer({ labelSelector: undefined });
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(informer.get(ns.name, 'pre')?.data).toEqual({ value: '0' });
    expect(informer.get(ns.name, 'pre')?.kind).toBe('ConfigMap'); // list items get their type back

    await client.create(configMap(ns.name, 'b', { value: '1' }));
    await waitFor('ADDED b', () => informer.get(ns.name, 'b') !== undefined);
    await client.mergePatch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'pre' }, { data: { value: '2' } });
    await waitFor('MODIFIED pre', () => informer.get(ns.name, 'pre')?.data?.value === '2');
    await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'b' });
    await waitFor('DELETED b', () => informer.get(ns.name, 'b') === undefined);

    const forNames = seen.filter((s) => s.name === 'pre' || s.name === 'b');
    expect(forNames).toEqual([
      { type: 'ADDED', name: 'pre', value: '0' },
      { type: 'ADDED', name: 'b', value: '1' },
      { type: 'MODIFIED', name: 'pre', value: '2' },
      { type: 'DELETED', name: 'b', value: '1' },
    ]);
    const server = await client.list<V1ConfigMap>('v1', 'ConfigMap', { namespace: ns.name });
    expect(informer.list(ns.name).map((c) => c.metadata!.name).sort()).toEqual(server.items.map((c) => c.metadata!.name).sort());
    abort.abort();
    await running; // start() resolves on abort, never throws
  });

  it('resumes from its resourceVersion when the server closes watches, without missing or repeating events', async () => {
    const { informer, seen, abort, running } = startInformer({ labelSelector: 'series=resume', watchTimeoutSeconds: 1 });
    await informer.waitForSync();
    const expected: Seen[] = [];
    // Changes spread over several server-side watch timeouts (1–2 s each).
    for (let i = 0; i < 12; i++) {
      const name = `r${i % 4}`;
      const cm = configMap(ns.name, name, { value: String(i) }, { series: 'resume' });
      if (i < 4) {
        await client.create(cm);
        expected.push({ type: 'ADDED', name, value: String(i) });
      } else if (i < 8) {
        await client.apply(cm, { fieldManager: 'test' });
        expected.push({ type: 'MODIFIED', name, value: String(i) });
      } else {
        await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name });
        expected.push({ type: 'DELETED', name, value: String(i - 4) });
      }
      await new Promise((r) => setTimeout(r, 400));
    }
    await waitFor('all 12 events', () => seen.length >= expected.length);
    expect(seen).toEqual(expected);
    expect(informer.list()).toEqual([]);
    const stats = informer.stats();
    expect(stats.watches).toBeGreaterThan(2); // the server really closed watches under it
    expect(stats.lists).toBe(1); // ...and it resumed from the resourceVersion instead of relisting
    abort.abort();
    await running;
  });

  it('watches only the configured namespaces', async () => {
    const a = startInformer({ namespaces: [ns.name, other.name], labelSelector: 'scope=test' });
    const third = await createTestNamespace('rt-informer-third');
    try {
      await a.informer.waitForSync();
      for (const n of [ns.name, other.name, third.name]) {
        await client.create(configMap(n, 'scoped', {}, { scope: 'test' }));
      }
      await waitFor('both watched namespaces', () => a.informer.list().length === 2);
      // The third namespace's object was written last; give it the same chance to arrive, then check it did not.
      await client.create(configMap(ns.name, 'marker', {}, { scope: 'test' }));
      await waitFor('marker', () => a.informer.get(ns.name, 'marker') !== undefined);
      expect(a.informer.get(third.name, 'scoped')).toBeUndefined();
      expect(a.informer.list(other.name)).toHaveLength(1);
    } finally {
      a.abort.abort();
      await third.cleanup();
    }
  });

  it('server-side apply is idempotent: the same object applied twice keeps its resourceVersion', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const counted = new KubeClient({ kubeConfig: testKubeConfig(), onWrite: countKubeWrites(metrics) });
    try {
      const desired = configMap(ns.name, 'applied', { value: 'x' }, { app: 'tenant-sync' });
      const first = await serverSideApply(counted, desired, { fieldManager: 'tenant-sync-operator' });
      const second = await serverSideApply(counted, desired, { fieldManager: 'tenant-sync-operator' });
      expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
      expect(first.metadata.managedFields?.map((f) => f.manager)).toContain('tenant-sync-operator');
      const changed = await serverSideApply(counted, { ...desired, data: { value: 'y' } }, { fieldManager: 'tenant-sync-operator' });
      expect(changed.metadata.resourceVersion).not.toBe(first.metadata.resourceVersion);
      expect(changed.data).toEqual({ value: 'y' });
      // Every write request is counted, no-op applies included (the API server cannot tell us beforehand).
      const writes = await metrics.kubeWriteRequestsTotal.get();
      expect(writes.values).toEqual([expect.objectContaining({ labels: { verb: 'apply', resource: 'configmaps' }, value: 3 })]);
      // Reads are not writes.
      await counted.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'applied' });
      expect((await metrics.kubeWriteRequestsTotal.get()).values.reduce((s, v) => s + v.value, 0)).toBe(3);
    } finally {
      await counted.close();
    }
  });

  it('force-apply takes over fields another manager owns; without force it reports a conflict', async () => {
    const cm = { ...configMap(ns.name, 'contested', { value: 'theirs' }) };
    await client.apply(cm, { fieldManager: 'someone-else' });
    await expect(client.apply({ ...cm, data: { value: 'ours' } }, { fieldManager: 'tenant-sync-operator', force: false })).rejects.toMatchObject({ code: 'KUBE_CONFLICT' });
    const taken = await client.apply({ ...cm, data: { value: 'ours' } }, { fieldManager: 'tenant-sync-operator' });
    expect(taken.data).toEqual({ value: 'ours' });
  });

  it('get/create/delete report absence and existence with stable codes', async () => {
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns.name, name: 'crud' };
    expect(await client.get(ref)).toBeUndefined();
    await client.create(configMap(ns.name, 'crud'));
    await expect(client.create(configMap(ns.name, 'crud'))).rejects.toMatchObject({ code: 'KUBE_ALREADY_EXISTS', statusCode: 409 });
    expect((await client.get<V1ConfigMap>(ref))?.metadata?.name).toBe('crud');
    expect(await client.delete(ref)).toBe(true);
    expect(await client.delete(ref)).toBe(false);
    await expect(client.resourceType('example.invalid/v1', 'Nope')).rejects.toMatchObject({ code: 'KUBE_NOT_FOUND' });
  });

  it('resolves custom kinds (the TenantSync CRD) through discovery', async () => {
    const type = await client.resourceType('tenantsync.io/v1alpha1', 'TenantSync');
    expect(type).toEqual({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', plural: 'tenantsyncs', namespaced: true });
  });

  it('records deduplicated Events the API server accepts, with a series count for repeats', async () => {
    const subject = await client.create(configMap(ns.name, 'event-subject'));
    const recorder = new EventRecorder({ client, controller: 'tenantsync.io/operator', instance: 'test-instance', seriesUpdateIntervalMs: 0, onError: (e) => { throw e; } });
    await recorder.record(subject, 'Warning', 'SecretNotFound', 'Secret acme-creds not found in the namespace');
    await recorder.record(subject, 'Warning', 'SecretNotFound', 'Secret acme-creds not found in the namespace');
    await recorder.record(subject, 'Warning', 'SecretNotFound', 'Secret acme-creds not found in the namespace');
    await recorder.record(subject, 'Normal', 'Recovered', 'Secret acme-creds found');
    const events = await client.list<{ reason: string; note: string; series?: { count: number }; regarding: { name: string; uid: string } }>('events.k8s.io/v1', 'Event', {
      namespace: ns.name,
    });
    const mine = events.items.filter((e) => e.regarding.name === 'event-subject');
    expect(mine.map((e) => e.reason).sort()).toEqual(['Recovered', 'SecretNotFound']);
    const warning = mine.find((e) => e.reason === 'SecretNotFound')!;
    expect(warning.series?.count).toBe(3);
    expect(warning.regarding.uid).toBe(subject.metadata.uid);
    // core/v1 (what `kubectl describe` reads, "x3 over ...") shows the same Event with its series.
    const core = await client.list<{ reason: string; series?: { count: number }; involvedObject: { name: string } }>('v1', 'Event', { namespace: ns.name });
    expect(core.items.find((e) => e.involvedObject.name === 'event-subject' && e.reason === 'SecretNotFound')?.series?.count).toBe(3);
  });
});
