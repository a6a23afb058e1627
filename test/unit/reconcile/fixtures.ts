// TenantSync objects for the reconcile unit tests, parsed by the real schema so defaults apply.
import { apiVersion, kind, tenantSyncSchema, type TenantSync, type TenantSyncSpecInput } from '../../../operator/api/tenantsync.js';
import type { OwnerIdentity } from '../../../operator/reconcile/labels.js';

export const baseSpec: TenantSyncSpecInput = {
  source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'acme-freshdesk', key: 'apiKey' } },
  sink: { url: 'https://sink.example.com/ingest' },
};

export function tenantSync(spec: Partial<TenantSyncSpecInput> = {}, meta: { name?: string; namespace?: string; generation?: number; annotations?: Record<string, string> } = {}): TenantSync {
  return tenantSyncSchema.parse({
    apiVersion,
    kind,
    metadata: {
      name: meta.name ?? 'acme',
      namespace: meta.namespace ?? 'tenants',
      uid: '6f1c7a52-5a0e-4c39-9d0c-3f1f2b9e8e11',
      generation: meta.generation ?? 1,
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
    },
    spec: { ...baseSpec, ...spec },
  });
}

export function ownerOf(ts: TenantSync): OwnerIdentity {
  return { name: ts.metadata.name, namespace: ts.metadata.namespace ?? '', uid: ts.metadata.uid ?? '' };
}
