import { describe, expect, it } from 'vitest';
import type { V1CronJob, V1Job, V1Pod } from '@kubernetes/client-node';
import { ownerKeyOfCronJob, ownerKeyOfJob, watchTenantSyncs } from '../../../operator/controller/watches.js';
import { Controller } from '../../../operator/runtime/controller.js';
import { silentLogger } from '../../../operator/runtime/logger.js';
import { FakeCache, FakeClient } from './fakes.js';

describe('ownerKeyOfCronJob', () => {
  it.each([
    [{ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', name: 'acme', uid: 'u', controller: true }, 'ns/acme'],
    [{ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', name: 'acme', uid: 'u', controller: false }, undefined],
    [{ apiVersion: 'other.io/v1', kind: 'TenantSync', name: 'acme', uid: 'u', controller: true }, undefined],
    [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'acme', uid: 'u', controller: true }, undefined],
  ])('%o → %s', (ref, key) => {
    expect(ownerKeyOfCronJob({ metadata: { name: 'x', namespace: 'ns', ownerReferences: [ref] } } as V1CronJob)).toBe(key);
  });
});

describe('ownerKeyOfJob', () => {
  it('maps a Job to its TenantSync by the full-name annotation (labels may be shortened)', () => {
    const long = 'n'.repeat(100);
    expect(ownerKeyOfJob({ metadata: { name: 'j', namespace: 'ns', annotations: { 'tenantsync.io/name': long } } } as V1Job)).toBe(`ns/${long}`);
    expect(ownerKeyOfJob({ metadata: { name: 'j', namespace: 'ns' } } as V1Job)).toBeUndefined();
  });
});

describe('watchTenantSyncs', () => {
  it('enqueues the TenantSync of a run pod only while the pod carries the result finalizer', () => {
    const client = new FakeClient();
    const pods = new FakeCache<V1Pod>(client, 'Pod');
    const controller = watchTenantSyncs(new Controller({ name: 't', reconciler: { reconcile: async () => undefined }, logger: silentLogger() }), {
      tenantSyncs: new FakeCache(client, 'TenantSync'),
      cronJobs: new FakeCache<V1CronJob>(client, 'CronJob'),
      pods,
    });
    const pod = (name: string, owner: string | undefined, finalizers: string[]): V1Pod => ({
      metadata: { name, namespace: 'ns', finalizers, ...(owner ? { annotations: { 'tenantsync.io/name': owner } } : {}) },
    });
    pods.emit('MODIFIED', pod('p1', 'acme', ['tenantsync.io/result']));
    pods.emit('MODIFIED', pod('p2', 'beta', []));
    pods.emit('DELETED', pod('p3', 'gamma', ['tenantsync.io/result']));
    pods.emit('ADDED', pod('p4', undefined, ['tenantsync.io/result']));
    expect(controller.queue.depth).toBe(1);
  });
});
