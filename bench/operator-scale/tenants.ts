// The operator-scale workload, pure: N TenantSync manifests in one namespace, the children the operator
// builds for each (from its own builders, so the ceiling and the peer write exactly the same objects)
// and the Ready status the ceiling writes.
import type { KubeObject } from '../../operator/kube/client.js';
import { desiredConfigMap, initialStateConfigMap, jobConfig } from '../../operator/reconcile/desired-configmaps.js';
import { desiredCronJob } from '../../operator/reconcile/desired-cronjob.js';
import { validateTenantSync } from '../../operator/reconcile/validate.js';
import { credentialsSecret, tenantSyncManifest } from '../../test/integration/operator-helpers.js';

export { credentialsSecret };
export const benchNamespace = 'scale';
/** The sync image the operator is started with, so its CronJobs equal the ones built here. */
export const benchSyncImage = 'tenant-sync/sync-job:test';

export function tenantName(i: number): string {
  return `tenant-${String(i).padStart(5, '0')}`;
}

export function tenantManifests(count: number): ReturnType<typeof tenantSyncManifest>[] {
  return Array.from({ length: count }, (_, i) => tenantSyncManifest(benchNamespace, tenantName(i)));
}

/** The three children of one TenantSync (config ConfigMap, state ConfigMap, CronJob), owned by `uid`. */
export function childrenOf(manifest: ReturnType<typeof tenantSyncManifest>, uid: string): KubeObject[] {
  const validation = validateTenantSync(manifest);
  if (!validation.ok) throw new Error(`bench TenantSync ${manifest.metadata.name} is invalid: ${validation.message}`);
  const ts = validation.tenantSync;
  const owner = { name: manifest.metadata.name, namespace: benchNamespace, uid };
  return [
    desiredConfigMap(owner, jobConfig(ts.spec, owner.name, validation.schedule)),
    initialStateConfigMap(owner),
    desiredCronJob({ owner, spec: ts.spec, schedule: validation.schedule, defaultSyncImage: benchSyncImage, secretsMissing: false }),
  ] as KubeObject[];
}

/** The children without owner references, by namespace/name: the peer sets its own controller reference. */
export function unownedChildren(manifests: readonly ReturnType<typeof tenantSyncManifest>[]): Record<string, unknown[]> {
  return Object.fromEntries(
    manifests.map((m) => [
      `${benchNamespace}/${m.metadata.name}`,
      childrenOf(m, '').map((child) => ({ ...child, metadata: { ...child.metadata, ownerReferences: undefined } })),
    ]),
  );
}

/** The one status write per tenant of the ceiling (and the peer): Ready for the current generation. */
export function readyStatus(generation: number, now: Date): Record<string, unknown> {
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    observedGeneration: generation,
    conditions: [{ type: 'Ready', status: 'True', observedGeneration: generation, lastTransitionTime: time, reason: 'Scheduled', message: 'CronJob is scheduled' }],
  };
}
