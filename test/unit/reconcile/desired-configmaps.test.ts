import { describe, expect, it } from 'vitest';
import { defaultStreamNames, jobConfigSchema, stateSchema } from '../../../sync-job/contract.js';
import { desiredConfigMap, initialStateConfigMap, jobConfig } from '../../../operator/reconcile/desired-configmaps.js';
import { effectiveSchedule } from '../../../operator/reconcile/schedule.js';
import type { TenantSyncSpecInput } from '../../../operator/api/tenantsync.js';
import { baseSpec, ownerOf, tenantSync } from './fixtures.js';

function configOf(spec: Partial<TenantSyncSpecInput> = {}) {
  const ts = tenantSync(spec);
  return jobConfig(ts.spec, ts.metadata.name, effectiveSchedule(ts.spec, 'tenants', ts.metadata.name));
}

describe('jobConfig', () => {
  it('syncs the default streams at the tenant interval when none are listed, none that needs an admin key', () => {
    const config = configOf({ interval: '4h' });
    expect(config.source.streams).toEqual(defaultStreamNames.map((name) => ({ name, intervalSeconds: 14400 })));
    const names = config.source.streams.map((s) => s.name as string);
    for (const adminOnly of ['ticket_fields', 'roles', 'business_hours', 'sla_policies']) expect(names).not.toContain(adminOnly);
    expect(config).toMatchObject({
      tenantId: 'acme',
      source: { type: 'freshdesk', baseUrl: 'https://acme.freshdesk.com' },
      sink: { type: 'http', url: 'https://sink.example.com/ingest', batchSize: 100 },
    });
  });

  it('gives listed streams their own interval or the tenant interval', () => {
    const config = configOf({
      interval: '1h',
      source: {
        baseUrl: 'http://127.0.0.1:8081',
        credentialsSecretRef: { name: 's', key: 'k' },
        streams: [{ name: 'tickets' }, { name: 'agents', interval: '24h' }],
        startDate: '2024-01-01T00:00:00Z',
        lookback: '2m30s',
        rateLimitPerMinute: 40,
      },
      tenantId: 'tenant-42',
    });
    expect(config).toEqual({
      tenantId: 'tenant-42',
      source: {
        type: 'freshdesk',
        baseUrl: 'http://127.0.0.1:8081',
        streams: [
          { name: 'tickets', intervalSeconds: 3600 },
          { name: 'agents', intervalSeconds: 86400 },
        ],
        startDate: '2024-01-01T00:00:00Z',
        lookbackSeconds: 150,
        rateLimitPerMinute: 40,
      },
      sink: { type: 'http', url: 'https://sink.example.com/ingest', batchSize: 100 },
    });
  });

  it('copies the rate-limit settings and the lookback into config.json, and leaves them out when unset (the job defaults)', () => {
    const ts = tenantSync({
      source: {
        ...baseSpec.source,
        rateLimitSharePercent: 60,
        listRateLimitsPerMinute: { tickets: 25, contacts: 15 },
        lookback: '10m',
      },
    });
    const cm = desiredConfigMap(ownerOf(ts), jobConfig(ts.spec, ts.metadata.name, effectiveSchedule(ts.spec, 'tenants', ts.metadata.name)));
    const written = jobConfigSchema.parse(JSON.parse(cm.data?.['config.json'] ?? ''));
    expect(written.source).toMatchObject({ rateLimitSharePercent: 60, listRateLimitsPerMinute: { tickets: 25, contacts: 15 }, lookbackSeconds: 600 });
    const onlyTickets = configOf({ source: { ...baseSpec.source, listRateLimitsPerMinute: { tickets: 25 } } });
    expect(onlyTickets.source.listRateLimitsPerMinute).toEqual({ tickets: 25 });
    const unset = configOf().source;
    for (const key of ['rateLimitPerMinute', 'rateLimitSharePercent', 'listRateLimitsPerMinute', 'lookbackSeconds']) expect(unset, key).not.toHaveProperty(key);
  });

  it('makes streams due on every run of a cron schedule', () => {
    expect(configOf({ schedule: '0 3 * * *' }).source.streams[0]?.intervalSeconds).toBe(0);
  });

  it('holds no secret', () => {
    const text = JSON.stringify(configOf({ sink: { url: 'https://s.example.com', authSecretRef: { name: 'sink-auth', key: 'token' } } }));
    expect(text).not.toMatch(/acme-freshdesk|sink-auth|apiKey|token/);
  });
});

describe('ConfigMaps', () => {
  const ts = tenantSync();
  it('puts the contract config in config.json, owned by the TenantSync', () => {
    const cm = desiredConfigMap(ownerOf(ts), configOf());
    expect(cm.metadata).toMatchObject({ name: 'acme-config', namespace: 'tenants', labels: { 'app.kubernetes.io/component': 'config' } });
    expect(cm.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'TenantSync', controller: true, blockOwnerDeletion: true });
    expect(jobConfigSchema.parse(JSON.parse(cm.data?.['config.json'] ?? ''))).toEqual(configOf());
  });

  it('creates the state with no cursors', () => {
    const cm = initialStateConfigMap(ownerOf(ts));
    expect(cm.metadata?.name).toBe('acme-state');
    expect(stateSchema.parse(JSON.parse(cm.data?.['state.json'] ?? ''))).toEqual({ version: 1, streams: {} });
  });

  it('a retained state has no owner and no app.kubernetes.io/instance: Argo CD label tracking would take it for part of an Application named like the tenant, and prune the cursors', () => {
    const cm = initialStateConfigMap(ownerOf(ts), true);
    expect(cm.metadata?.ownerReferences).toBeUndefined();
    expect(cm.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'tenantsync-operator', 'tenantsync.io/name': 'acme' });
    expect(cm.metadata?.labels).not.toHaveProperty(['app.kubernetes.io/instance']);
  });
});
