// The operator's settings from command-line flags and TENANTSYNC_* environment variables (a flag
// wins over its variable, which wins over the default). Pure: parseConfig(argv, env) → Config.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import {
  affinitySchema,
  defaultSyncResourcesText,
  envFromSchema,
  envSchema,
  imagePullPolicies,
  imagePullPolicySchema,
  podAnnotationsSchema,
  podLabelsSchema,
  priorityClassNameSchema,
  resourcesSchema,
  serviceAccountNameSchema,
  volumeMountsSchema,
  volumesSchema,
} from './api/pod-fields.js';
import { describeSchemaError } from './api/schema-issues.js';
import { defaultKubeApiBurst, defaultKubeApiQps } from './kube/rate-limiter.js';
import { builtinSyncPodDefaults, type SyncPodDefaults, type SyncProxy } from './reconcile/sync-pod.js';

export interface OperatorConfig {
  /** Path of a kubeconfig; undefined = $KUBECONFIG, ~/.kube/config, then in-cluster. */
  kubeconfig: string | undefined;
  /** Namespaces to watch; undefined = all. */
  namespaces: string[] | undefined;
  /** Image of the sync container when a TenantSync does not name one. */
  syncImage: string;
  /** Settings of every sync pod that a TenantSync's spec.job may override (the --sync-* flags). */
  syncPod: SyncPodDefaults;
  /** Address of the one HTTP server for /healthz, /readyz and /metrics. */
  healthAddress: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  /** Reconciles run in parallel (different TenantSyncs only). */
  workers: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Every cached TenantSync is reconciled again this often (catches drift the watches cannot see). */
  resyncPeriodSeconds: number;
  /** Client-side rate limit of requests to the API server (token bucket shared by all requests but Lease renewals and Events, which have one each of the same size). */
  kubeApiQps: number;
  kubeApiBurst: number;
  help: boolean;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'INVALID_FLAG' as const;
}

export const defaultSyncImage = 'ghcr.io/tenant-sync/sync-job:0.1.0';
export const defaultHealthAddress = '0.0.0.0:8080';
export const defaultLeaseName = 'tenantsync-operator';
const inClusterNamespacePath = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

interface FlagSpec {
  readonly env: string;
  /** json: a JSON value in the shape of the spec.job field of the same name. */
  readonly kind: 'string' | 'boolean' | 'integer' | 'number' | 'json';
  readonly help: string;
}

/** Every flag, its variable and its help line (the usage text is generated from this table). */
export const flagSpecs: Record<string, FlagSpec> = {
  kubeconfig: { env: 'TENANTSYNC_KUBECONFIG', kind: 'string', help: 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account)' },
  namespaces: { env: 'TENANTSYNC_NAMESPACES', kind: 'string', help: 'comma-separated namespaces to watch (default: all namespaces)' },
  'sync-image': { env: 'TENANTSYNC_SYNC_IMAGE', kind: 'string', help: `image of the sync Job when spec.job.image is not set (default ${defaultSyncImage})` },
  'sync-resources': {
    env: 'TENANTSYNC_SYNC_RESOURCES',
    kind: 'json',
    help: `requests and limits of sync containers whose spec.job.resources is empty, as JSON like spec.job.resources; {} for none (default ${defaultSyncResourcesText})`,
  },
  'sync-image-pull-policy': { env: 'TENANTSYNC_SYNC_IMAGE_PULL_POLICY', kind: 'string', help: `pull policy of sync containers: ${imagePullPolicies.join(', ')} (default: Kubernetes' own)` },
  'sync-image-pull-secrets': { env: 'TENANTSYNC_SYNC_IMAGE_PULL_SECRETS', kind: 'string', help: "comma-separated pull secrets of sync pods, Secrets in each tenant's namespace (default none)" },
  'sync-pod-labels': { env: 'TENANTSYNC_SYNC_POD_LABELS', kind: 'json', help: 'labels of sync pods, a JSON object (default none)' },
  'sync-pod-annotations': { env: 'TENANTSYNC_SYNC_POD_ANNOTATIONS', kind: 'json', help: 'annotations of sync pods, a JSON object, e.g. {"sidecar.istio.io/inject":"false"} (default none)' },
  'sync-priority-class-name': { env: 'TENANTSYNC_SYNC_PRIORITY_CLASS_NAME', kind: 'string', help: 'PriorityClass of sync pods (default none)' },
  'sync-affinity': { env: 'TENANTSYNC_SYNC_AFFINITY', kind: 'json', help: 'affinity of sync pods, JSON like spec.job.affinity (default none)' },
  'sync-service-account-name': {
    env: 'TENANTSYNC_SYNC_SERVICE_ACCOUNT_NAME',
    kind: 'string',
    help: "ServiceAccount of sync pods; it must exist in every tenant's namespace (default: the namespace's default ServiceAccount)",
  },
  'sync-automount-service-account-token': {
    env: 'TENANTSYNC_SYNC_AUTOMOUNT_SERVICE_ACCOUNT_TOKEN',
    kind: 'boolean',
    help: "mount the ServiceAccount's token into sync pods (default false; the sync job never calls the Kubernetes API)",
  },
  'sync-https-proxy': { env: 'TENANTSYNC_SYNC_HTTPS_PROXY', kind: 'string', help: 'HTTPS_PROXY of sync containers, e.g. http://proxy.example:3128 (default none)' },
  'sync-http-proxy': { env: 'TENANTSYNC_SYNC_HTTP_PROXY', kind: 'string', help: 'HTTP_PROXY of sync containers (default none)' },
  'sync-no-proxy': { env: 'TENANTSYNC_SYNC_NO_PROXY', kind: 'string', help: 'NO_PROXY of sync containers: hosts, .domains, host:port (no CIDRs), e.g. .svc,.cluster.local (default none)' },
  'sync-env': { env: 'TENANTSYNC_SYNC_ENV', kind: 'json', help: 'more variables of sync containers, a JSON list of core/v1 EnvVar (default none)' },
  'sync-env-from': { env: 'TENANTSYNC_SYNC_ENV_FROM', kind: 'json', help: 'variables of sync containers from ConfigMaps or Secrets, a JSON list of core/v1 EnvFromSource (default none)' },
  'sync-volumes': { env: 'TENANTSYNC_SYNC_VOLUMES', kind: 'json', help: 'ConfigMap or Secret volumes of sync pods, JSON like spec.job.volumes (default none)' },
  'sync-volume-mounts': { env: 'TENANTSYNC_SYNC_VOLUME_MOUNTS', kind: 'json', help: 'mounts of sync containers, JSON like spec.job.volumeMounts (default none)' },
  'health-addr': { env: 'TENANTSYNC_HEALTH_ADDR', kind: 'string', help: `address of /healthz, /readyz and /metrics (default ${defaultHealthAddress})` },
  'metrics-addr': { env: 'TENANTSYNC_METRICS_ADDR', kind: 'string', help: 'same server as --health-addr (one server; if both are given they must match)' },
  'leader-elect': { env: 'TENANTSYNC_LEADER_ELECT', kind: 'boolean', help: 'elect a leader on a Lease so only one replica writes (default true; --leader-elect=false to disable)' },
  'lease-namespace': { env: 'TENANTSYNC_LEASE_NAMESPACE', kind: 'string', help: "namespace of the Lease (default: $POD_NAMESPACE, the in-cluster namespace, else 'default')" },
  'lease-name': { env: 'TENANTSYNC_LEASE_NAME', kind: 'string', help: `name of the Lease (default ${defaultLeaseName})` },
  'lease-duration': { env: 'TENANTSYNC_LEASE_DURATION_SECONDS', kind: 'integer', help: 'seconds a standby waits before taking over a Lease that is not renewed (default 15)' },
  'renew-deadline': { env: 'TENANTSYNC_RENEW_DEADLINE_SECONDS', kind: 'integer', help: 'seconds the leader keeps trying to renew before it stops leading (default 10)' },
  'retry-period': { env: 'TENANTSYNC_RETRY_PERIOD_SECONDS', kind: 'integer', help: 'seconds between Lease renewals and acquisition attempts (default 2)' },
  workers: { env: 'TENANTSYNC_WORKERS', kind: 'integer', help: 'TenantSyncs reconciled in parallel (default 4)' },
  'log-level': { env: 'TENANTSYNC_LOG_LEVEL', kind: 'string', help: `one of ${logLevels.join(', ')} (default info)` },
  'resync-period': { env: 'TENANTSYNC_RESYNC_PERIOD_SECONDS', kind: 'integer', help: 'seconds between full re-reconciles of every TenantSync (default 600)' },
  'kube-api-qps': {
    env: 'TENANTSYNC_KUBE_API_QPS',
    kind: 'number',
    help: `requests per second to the API server, sustained (client-side token bucket shared by all requests; Lease renewals and Events have one each; default ${defaultKubeApiQps})`,
  },
  'kube-api-burst': { env: 'TENANTSYNC_KUBE_API_BURST', kind: 'integer', help: `requests allowed at once above --kube-api-qps (default ${defaultKubeApiBurst})` },
  help: { env: '', kind: 'boolean', help: 'print this help and exit' },
};

/** The usage text printed by --help and after a bad flag. */
export function usage(): string {
  const lines = Object.entries(flagSpecs).map(([name, spec]) => {
    const placeholder = { integer: 'n', number: 'n', json: 'json', string: 'value', boolean: '' }[spec.kind];
    const flag = spec.kind === 'boolean' ? `--${name}` : `--${name}=<${placeholder}>`;
    return `  ${flag.padEnd(28)} ${spec.help}${spec.env ? ` [$${spec.env}]` : ''}`;
  });
  return ['Usage: npm run operator -- [flags]   (or: node dist/operator/main.js [flags])', '', ...lines, ''].join('\n');
}

function parseBoolean(name: string, text: string): boolean {
  if (['true', '1', 'yes'].includes(text.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(text.toLowerCase())) return false;
  throw new ConfigError(`--${name}: "${text}" is not true or false`);
}

function parseInteger(name: string, text: string, min: number): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < min) throw new ConfigError(`--${name}: "${text}" must be a whole number of at least ${min}`);
  return Number(text);
}

function parsePositiveNumber(name: string, text: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text) || !(Number(text) > 0)) throw new ConfigError(`--${name}: "${text}" must be a number greater than 0 (e.g. 20 or 0.5)`);
  return Number(text);
}

/** A JSON flag checked by the zod schema of the spec.job field it sets a default for. */
function parseJsonFlag<T>(name: string, text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`--${name}: not JSON (${(error as Error).message}): ${JSON.stringify(text)}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ConfigError(`--${name}: ${describeSchemaError(parsed.error).replaceAll('<root>: ', '')}`);
  return parsed.data;
}

/** --sync-https-proxy, --sync-http-proxy, --sync-no-proxy; undefined when none is set. */
function syncProxy(raw: Map<string, string>): SyncProxy | undefined {
  const url = (name: string) => {
    const value = raw.get(name);
    if (!value) return undefined;
    if (!URL.canParse(value) || !['http:', 'https:'].includes(new URL(value).protocol)) {
      throw new ConfigError(`--${name}: "${value}" is not an http:// or https:// URL such as http://proxy.example:3128`);
    }
    return value;
  };
  const proxy = { httpsProxy: url('sync-https-proxy'), httpProxy: url('sync-http-proxy'), noProxy: raw.get('sync-no-proxy') || undefined };
  return Object.values(proxy).some((v) => v !== undefined) ? proxy : undefined;
}

/** The --sync-* flags: what every sync pod gets unless its TenantSync says otherwise. */
function parseSyncPodDefaults(raw: Map<string, string>): SyncPodDefaults {
  const json = <T>(name: string, schema: z.ZodType<T>, fallback: T): T => {
    const text = raw.get(name);
    return text === undefined ? fallback : parseJsonFlag(name, text, schema);
  };
  /** A plain string flag checked by the schema of its spec.job field. */
  const text = <T>(name: string, schema: z.ZodType<T>): T | undefined => {
    const value = raw.get(name);
    if (value === undefined || value === '') return undefined;
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new ConfigError(`--${name}: "${value}" ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    return parsed.data;
  };
  const pullSecrets = raw
    .get('sync-image-pull-secrets')
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const name of pullSecrets ?? []) {
    if (serviceAccountNameSchema.safeParse(name).error) throw new ConfigError(`--sync-image-pull-secrets: "${name}" is not a Secret name`);
  }
  const defaults: SyncPodDefaults = {
    resources: json('sync-resources', resourcesSchema.strict(), builtinSyncPodDefaults.resources),
    imagePullPolicy: text('sync-image-pull-policy', imagePullPolicySchema),
    imagePullSecrets: pullSecrets?.length ? pullSecrets : undefined,
    podLabels: json('sync-pod-labels', podLabelsSchema, undefined),
    podAnnotations: json('sync-pod-annotations', podAnnotationsSchema, undefined),
    priorityClassName: text('sync-priority-class-name', priorityClassNameSchema),
    affinity: json('sync-affinity', affinitySchema.strict(), undefined),
    serviceAccountName: text('sync-service-account-name', serviceAccountNameSchema),
    automountServiceAccountToken: raw.has('sync-automount-service-account-token')
      ? parseBoolean('sync-automount-service-account-token', raw.get('sync-automount-service-account-token') as string)
      : undefined,
    proxy: syncProxy(raw),
    env: json('sync-env', envSchema, undefined),
    envFrom: json('sync-env-from', envFromSchema, undefined),
    volumes: json('sync-volumes', volumesSchema, undefined),
    volumeMounts: json('sync-volume-mounts', volumeMountsSchema, undefined),
  };
  // Only what is set: the config reads like the flags given.
  return Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined)) as unknown as SyncPodDefaults;
}

/** Reads flags (`--name=value`, `--name value`, `--flag`, `--no-flag`) and env into a raw map. */
function readRaw(argv: readonly string[], env: Record<string, string | undefined>): Map<string, string> {
  const raw = new Map<string, string>();
  for (const [name, spec] of Object.entries(flagSpecs)) {
    const value = spec.env ? env[spec.env] : undefined;
    if (value !== undefined && value !== '') raw.set(name, value);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--(no-)?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument "${arg}"; flags look like --name=value`);
    const [, negated, name = '', inline] = m;
    const spec = flagSpecs[name];
    if (spec === undefined) throw new ConfigError(`unknown flag ${arg.split('=')[0]}`);
    if (spec.kind === 'boolean') {
      if (negated && inline !== undefined) throw new ConfigError(`--no-${name} takes no value`);
      raw.set(name, negated ? 'false' : (inline ?? 'true'));
      continue;
    }
    if (negated) throw new ConfigError(`--no-${name} is not a flag; --${name} takes a value`);
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name} needs a value`);
      i++;
    }
    raw.set(name, value);
  }
  return raw;
}

function defaultLeaseNamespace(env: Record<string, string | undefined>, readNamespaceFile: () => string | undefined): string {
  return env.POD_NAMESPACE || readNamespaceFile() || 'default';
}

function readInClusterNamespace(): string | undefined {
  try {
    return readFileSync(inClusterNamespacePath, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Parses the operator's configuration; throws ConfigError with a message naming the flag. */
export function parseConfig(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  readNamespaceFile: () => string | undefined = readInClusterNamespace,
): OperatorConfig {
  const raw = readRaw(argv, env);
  const str = (name: string) => raw.get(name);
  const int = (name: string, fallback: number, min = 1) => {
    const v = raw.get(name);
    return v === undefined ? fallback : parseInteger(name, v, min);
  };
  const health = str('health-addr');
  const metrics = str('metrics-addr');
  if (health !== undefined && metrics !== undefined && health !== metrics) {
    throw new ConfigError(`--health-addr (${health}) and --metrics-addr (${metrics}) differ, but one server serves /healthz, /readyz and /metrics; give one address`);
  }
  const healthAddress = health ?? metrics ?? defaultHealthAddress;
  if (!/^(\[[^\]]+\]|[^:]*):[0-9]+$/.test(healthAddress)) throw new ConfigError(`--health-addr: "${healthAddress}" is not host:port or :port`);
  const logLevel = str('log-level') ?? 'info';
  if (!(logLevels as readonly string[]).includes(logLevel)) throw new ConfigError(`--log-level: "${logLevel}" is not one of ${logLevels.join(', ')}`);
  const namespacesText = str('namespaces');
  const namespaces = namespacesText
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const n of namespaces ?? []) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 63) throw new ConfigError(`--namespaces: "${n}" is not a namespace name`);
  }
  const config: OperatorConfig = {
    kubeconfig: str('kubeconfig'),
    namespaces: namespaces === undefined || namespaces.length === 0 ? undefined : namespaces,
    syncImage: str('sync-image') ?? defaultSyncImage,
    syncPod: parseSyncPodDefaults(raw),
    healthAddress,
    leaderElect: raw.has('leader-elect') ? parseBoolean('leader-elect', raw.get('leader-elect') as string) : true,
    leaseNamespace: str('lease-namespace') ?? defaultLeaseNamespace(env, readNamespaceFile),
    leaseName: str('lease-name') ?? defaultLeaseName,
    leaseDurationSeconds: int('lease-duration', 15),
    renewDeadlineSeconds: int('renew-deadline', 10),
    retryPeriodSeconds: int('retry-period', 2),
    workers: int('workers', 4),
    logLevel: logLevel as OperatorConfig['logLevel'],
    resyncPeriodSeconds: int('resync-period', 600, 0),
    kubeApiQps: raw.has('kube-api-qps') ? parsePositiveNumber('kube-api-qps', raw.get('kube-api-qps') as string) : defaultKubeApiQps,
    kubeApiBurst: int('kube-api-burst', defaultKubeApiBurst),
    help: raw.has('help') ? parseBoolean('help', raw.get('help') as string) : false,
  };
  if (config.leaderElect && !(config.leaseDurationSeconds > config.renewDeadlineSeconds && config.renewDeadlineSeconds > config.retryPeriodSeconds)) {
    throw new ConfigError(
      `leader election needs --lease-duration > --renew-deadline > --retry-period, got ${config.leaseDurationSeconds}/${config.renewDeadlineSeconds}/${config.retryPeriodSeconds}`,
    );
  }
  return config;
}
