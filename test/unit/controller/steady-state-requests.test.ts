// Gentle on the API server: once a tenant's children exist, a reconcile of the unchanged tenant reads
// its config and state ConfigMaps from the informer cache and sends only a fixed, small number of
// requests (the Secret existence checks: Secrets are never cached) and no write at all.
import { beforeEach, describe, expect, it } from 'vitest';
import type { V1ConfigMap, V1CronJob, V1Job } from '@kubernetes/client-node';
import { TenantSyncController } from '../../../operator/controller/tenantsync-controller.js';
import { FakeClock } from '../../../operator/kube/clock.js';
import { silentLogger } from '../../../operator/runtime/logger.js';
import { childNames } from '../../../operator/reconcile/names.js';
import { FakeCache, FakeClient, FakeRecorder, type Ref } from './fakes.js';

const ns = 'tenants';

/** The fake client, with every request it receives logged as `verb Kind/name`. */
class CountingClient extends FakeClient {
  readonly requests: string[] = [];
  override async get<T>(ref: Ref): Promise<T | undefined> {
    this.requests.push(`get ${ref.kind}/${ref.name}`);
    return super.get<T>(ref);
  }
  override async list<T>(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } = {}) {
    this.requests.push(`list ${kind}`);
    return super.list<T>(apiVersion, kind, opts);
  }
}

let client: CountingClient;
let controller: TenantSyncController;

beforeEach(() => {
  client = new CountingClient();
  controller = new TenantSyncController({
    client,
    tenantSyncs: new FakeCache(client, 'TenantSync'),
    cronJobs: new FakeCache<V1CronJob>(client, 'CronJob'),
    jobs: new FakeCache<V1Job>(client, 'Job'),
    configMaps: new FakeCache<V1ConfigMap>(client, 'ConfigMap'),
    recorder: new FakeRecorder(),
    clock: new FakeClock('2025-05-01T10:00:00Z'),
    logger: silentLogger(),
    defaultSyncImage: 'sync:1',
  });
  client.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fd', namespace: ns }, data: { apiKey: 'a2V5' } });
  client.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sink', namespace: ns }, data: { token: 'dA==' } });
  client.seed({
    apiVersion: 'tenantsync.io/v1alpha1',
    kind: 'TenantSync',
    metadata: { name: 'acme', namespace: ns, generation: 1 },
    spec: {
      source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' } },
      sink: { url: 'https://sink.example.com', authSecretRef: { name: 'sink', key: 'token' } },
    },
  });
});

describe('first reconcile of a new tenant', () => {
  it('creates its children without reading them first: only the Secrets are read', async () => {
    await controller.reconcile(`${ns}/acme`);
    expect(client.requests).toEqual(['get Secret/fd', 'get Secret/sink']);
    expect(client.find('ConfigMap', ns, 'acme-config')).toBeDefined();
    expect(client.find('ConfigMap', ns, 'acme-state')).toBeDefined();
    expect(client.find('CronJob', ns, childNames('acme').cronJob)).toBeDefined();
  });

  it('never takes over an object of the same name that the cache does not show (it reads it, then reports the conflict)', async () => {
    // Someone else's ConfigMap and CronJob, without the operator's label: the label-selected caches never see them.
    const stranger = { name: 'acme-config', namespace: ns, labels: { app: 'theirs' } };
    client.seed({ apiVersion: 'v1', kind: 'ConfigMap', metadata: stranger, data: { mine: 'yes' } });
    const blind = new FakeClient();
    const withBlindCache = new TenantSyncController({
      client,
      tenantSyncs: new FakeCache(client, 'TenantSync'),
      cronJobs: new FakeCache<V1CronJob>(blind, 'CronJob'),
      jobs: new FakeCache<V1Job>(blind, 'Job'),
      configMaps: new FakeCache<V1ConfigMap>(blind, 'ConfigMap'),
      recorder: new FakeRecorder(),
      clock: new FakeClock('2025-05-01T10:00:00Z'),
      logger: silentLogger(),
      defaultSyncImage: 'sync:1',
    });
    const result = await withBlindCache.reconcile(`${ns}/acme`);
    expect(result?.stalled).toBe(true);
    expect(client.requests).toContain('get ConfigMap/acme-config');
    const kept = client.find<V1ConfigMap>('ConfigMap', ns, 'acme-config');
    expect(kept?.data).toEqual({ mine: 'yes' });
    expect(kept?.metadata?.ownerReferences).toBeUndefined();
    const ready = client.find<{ status?: { conditions?: { type: string; reason: string }[] } }>('TenantSync', ns, 'acme')?.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).toBe('ChildConflict');
  });
});

describe('steady-state reconcile', () => {
  it('reads only the two Secrets (no ConfigMap GETs) and writes nothing', async () => {
    await controller.reconcile(`${ns}/acme`);
    const writes = client.writes.length;
    for (let pass = 0; pass < 3; pass++) {
      client.requests.length = 0;
      await controller.reconcile(`${ns}/acme`);
      expect(client.requests, `pass ${pass + 1}`).toEqual(['get Secret/fd', 'get Secret/sink']);
    }
    expect(client.writes.length).toBe(writes);
  });
});
