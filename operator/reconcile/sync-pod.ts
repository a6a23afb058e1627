// The sync pod's settings that come from two places: the operator's defaults for every tenant (--sync-*
// flags, chart values syncPod.*) and a tenant's own spec.job. Pure: syncPodSettings(defaults, job) says
// which wins, field by field; desired-cronjob.ts puts the result into the pod template.
import { defaultSyncResources, isEmptyResources, type Affinity, type EnvFromSource, type EnvVar, type SyncResources, type Volume, type VolumeMount } from '../api/pod-fields.js';
import type { TenantSyncSpec } from '../api/tenantsync.js';

/** The egress proxy of every sync pod, as the variables the sync job honours (sync-job/core/http-agent.ts). */
export interface SyncProxy {
  readonly httpProxy?: string | undefined;
  readonly httpsProxy?: string | undefined;
  readonly noProxy?: string | undefined;
}

/** What the operator puts into every sync pod unless the TenantSync says otherwise. */
export interface SyncPodDefaults {
  /** Requests and limits when spec.job.resources is empty. */
  readonly resources: SyncResources;
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never' | undefined;
  readonly imagePullSecrets?: readonly string[] | undefined;
  readonly podLabels?: Readonly<Record<string, string>> | undefined;
  readonly podAnnotations?: Readonly<Record<string, string>> | undefined;
  readonly priorityClassName?: string | undefined;
  readonly affinity?: Affinity | undefined;
  readonly serviceAccountName?: string | undefined;
  readonly automountServiceAccountToken?: boolean | undefined;
  readonly proxy?: SyncProxy | undefined;
  readonly env?: readonly EnvVar[] | undefined;
  readonly envFrom?: readonly EnvFromSource[] | undefined;
  readonly volumes?: readonly Volume[] | undefined;
  readonly volumeMounts?: readonly VolumeMount[] | undefined;
}

/** The defaults of an operator started without --sync-* flags. */
export const builtinSyncPodDefaults: SyncPodDefaults = { resources: defaultSyncResources };

type JobSettings = NonNullable<TenantSyncSpec['job']>;

/** The effective settings of one tenant's sync pod (before the operator's own labels, annotations and env). */
export interface SyncPodSettings {
  readonly resources: SyncResources;
  readonly imagePullPolicy?: string | undefined;
  readonly imagePullSecrets?: { name: string }[] | undefined;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly priorityClassName?: string | undefined;
  readonly affinity?: Affinity | undefined;
  readonly serviceAccountName?: string | undefined;
  readonly automountServiceAccountToken: boolean;
  readonly env: EnvVar[];
  readonly envFrom: EnvFromSource[];
  readonly volumes: Volume[];
  readonly volumeMounts: VolumeMount[];
}

/** The proxy settings as variables; upper-case names, which every HTTP client reads. */
export function proxyEnv(proxy: SyncProxy | undefined): EnvVar[] {
  const pairs: [string, string | undefined][] = [
    ['HTTPS_PROXY', proxy?.httpsProxy],
    ['HTTP_PROXY', proxy?.httpProxy],
    ['NO_PROXY', proxy?.noProxy],
  ];
  return pairs.flatMap(([name, value]) => (value ? [{ name, value }] : []));
}

/** `later` over `earlier` by key: an earlier item whose key the later list has is dropped, the rest keep their order. */
function overrideBy<T>(key: (item: T) => string, earlier: readonly T[], later: readonly T[]): T[] {
  const named = new Set(later.map(key));
  return [...earlier.filter((item) => !named.has(key(item))), ...later];
}
const byName = (item: { name: string }) => item.name;

export function syncPodSettings(defaults: SyncPodDefaults, job: JobSettings): SyncPodSettings {
  const pullSecrets = job.imagePullSecrets?.map((s) => s.name) ?? defaults.imagePullSecrets ?? [];
  return {
    // A tenant's resources replace the defaults as a whole: half of each could make requests exceed limits.
    resources: isEmptyResources(job.resources) ? defaults.resources : (job.resources as SyncResources),
    imagePullPolicy: job.imagePullPolicy ?? defaults.imagePullPolicy,
    imagePullSecrets: pullSecrets.length > 0 ? pullSecrets.map((name) => ({ name })) : undefined,
    labels: { ...defaults.podLabels, ...job.podLabels },
    annotations: { ...defaults.podAnnotations, ...job.podAnnotations },
    priorityClassName: job.priorityClassName ?? defaults.priorityClassName,
    affinity: job.affinity ?? defaults.affinity,
    serviceAccountName: job.serviceAccountName ?? defaults.serviceAccountName,
    // The sync job never calls the Kubernetes API: no token unless someone asks for one.
    automountServiceAccountToken: job.automountServiceAccountToken ?? defaults.automountServiceAccountToken ?? false,
    env: overrideBy(byName, overrideBy(byName, proxyEnv(defaults.proxy), defaults.env ?? []), job.env ?? []),
    envFrom: [...(defaults.envFrom ?? []), ...(job.envFrom ?? [])],
    volumes: overrideBy(byName, defaults.volumes ?? [], job.volumes ?? []),
    volumeMounts: overrideBy((m) => m.mountPath, defaults.volumeMounts ?? [], job.volumeMounts ?? []),
  };
}
