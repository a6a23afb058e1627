import { describe, expect, it } from 'vitest';
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { ownerKeyOfCronJob, ownerKeyOfJob } from '../../../operator/controller/watches.js';

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
