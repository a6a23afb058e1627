// The sync pod's settings that come from two places: the operator's defaults for every tenant (--sync-*
// flags, chart values syncPod.*) and a tenant's own spec.job. Pure: syncPodSettings(defaults, job) says
// which wins, field by field.
import { defaultSyncResources, isEmptyResources, type SyncResources } from '../api/pod-fields.js';
import type { TenantSyncSpec } from '../api/tenantsync.js';

/** What the operator puts into every sync pod unless the TenantSync says otherwise. */
export interface SyncPodDefaults {
  /** Requests and limits when spec.job.resources is empty. */
  readonly resources: SyncResources;
}

/** The defaults of an operator started without --sync-* flags. */
export const builtinSyncPodDefaults: SyncPodDefaults = { resources: defaultSyncResources };

type JobSettings = NonNullable<TenantSyncSpec['job']>;

/** The effective settings of one tenant's sync pod. */
export interface SyncPodSettings {
  readonly resources: SyncResources;
}

export function syncPodSettings(defaults: SyncPodDefaults, job: JobSettings): SyncPodSettings {
  return {
    // A tenant's resources replace the defaults as a whole: half of each could make requests exceed limits.
    resources: isEmptyResources(job.resources) ? defaults.resources : (job.resources as SyncResources),
  };
}
