// The ONE table of TenantSync validation cases: each manifest, the verdict, and the field the error
// must name. Drives the zod test (unit) and the real API server test (integration) alike.
import { apiVersion, kind } from '../../operator/api/tenantsync.js';
import { expressibleIntervalsText } from '../../operator/api/duration.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

interface CaseBase {
  /** Also the object's metadata.name (unless `name` is given): short, kebab-case, unique. */
  id: string;
  /** What the case shows, for people reading a failure. */
  why: string;
  /** JSON merge patch (RFC 7386: null removes) onto validSpec. */
  spec: JsonObject;
  name?: string;
}

export interface RejectedCase extends CaseBase {
  verdict: 'rejected';
  /** Field path the error must name, as the API server writes it (e.g. spec.source.streams[1]). */
  field: string;
  /**
   * Text the error about `field` must contain: one fragment when the operator's zod schema and the API
   * server word it alike, else each side's own (`kubectl apply` says `Required value` where zod says
   * `expected string, received undefined`). Never empty: naming the field alone proves little.
   */
  message: string | { apiserver: string; zod: string };
}

export interface AcceptedCase extends CaseBase {
  verdict: 'accepted';
  /** What the API server must have stored: fields that must be absent, and fields with their values. */
  stored?: { absent?: string[]; values?: Record<string, Json> };
  /** The tenant's base interval the operator derives from the stored spec (undefined for a cron schedule). */
  effectiveIntervalSeconds?: number;
}

export type ValidationCase = RejectedCase | AcceptedCase;

/** A complete, valid spec every case starts from. */
export const validSpec: JsonObject = {
  source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'acme-freshdesk' } },
  sink: { url: 'https://ingest.example.com/v1/records' },
};

const longName = (length: number) => `tenant-${'x'.repeat(length - 'tenant-'.length - 2)}-1`;

const rejected = (id: string, field: string, message: RejectedCase['message'], spec: JsonObject, why: string): RejectedCase => ({
  id, why, spec, verdict: 'rejected', field, message,
});
const accepted = (id: string, spec: JsonObject, why: string, more: Partial<AcceptedCase> = {}): AcceptedCase => ({
  id, why, spec, verdict: 'accepted', ...more,
});

/** Each side's wording of the same error. */
const says = (apiserver: string, zod: string) => ({ apiserver, zod });

const notExpressible = expressibleIntervalsText;
const badUrl = 'must be an https:// URL';

export const validationCases: ValidationCase[] = [
  // ---- interval -------------------------------------------------------------------------------
  rejected('interval-in-words', 'spec.interval', notExpressible, { interval: '2 hours' }, 'an interval must be a duration like 2h'),
  rejected('interval-zero', 'spec.interval', notExpressible, { interval: '0s' }, 'zero never repeats'),
  rejected('interval-negative', 'spec.interval', notExpressible, { interval: '-1h' }, 'negative durations are not intervals'),
  rejected('interval-5h', 'spec.interval', notExpressible, { interval: '5h' }, '5h does not divide a day: no fixed cron repeats it; the message lists what works'),
  rejected('interval-90m', 'spec.interval', notExpressible, { interval: '90m' }, '90m does not divide a day'),
  rejected('interval-1h30m', 'spec.interval', notExpressible, { interval: '1h30m' }, 'compound durations are parsed, 1h30m is 90m'),
  rejected('interval-45m', 'spec.interval', notExpressible, { interval: '45m' }, '45m does not divide an hour'),
  rejected('interval-seconds', 'spec.interval', notExpressible, { interval: '30s' }, 'cron has no seconds'),
  rejected('interval-48h', 'spec.interval', notExpressible, { interval: '48h' }, 'longer than a day is not a fixed cron'),
  rejected('interval-days-unit', 'spec.interval', notExpressible, { interval: '1d' }, 'Go durations have no day unit'),
  rejected('interval-and-schedule', 'spec.interval', 'not both', { interval: '2h', schedule: '0 */2 * * *' }, 'exactly one of interval and schedule'),
  accepted('interval-30m', { interval: '30m' }, 'divides an hour', { effectiveIntervalSeconds: 1800, stored: { values: { 'spec.interval': '30m' } } }),
  accepted('interval-24h', { interval: '24h' }, 'once a day', { effectiveIntervalSeconds: 86400 }),
  accepted('interval-60m', { interval: '60m' }, 'any spelling of an allowed interval', { effectiveIntervalSeconds: 3600 }),
  accepted('interval-fraction', { interval: '0.5h' }, 'fractions are Go durations too', { effectiveIntervalSeconds: 1800 }),
  accepted('interval-default', {}, 'neither interval nor schedule means every 2h, and no interval is written into the object', {
    effectiveIntervalSeconds: 7200,
    stored: {
      absent: ['spec.interval', 'spec.schedule', 'spec.timeZone', 'spec.job'],
      values: { 'spec.suspend': false, 'spec.source.type': 'freshdesk', 'spec.source.credentialsSecretRef.key': 'apiKey', 'spec.sink.type': 'http', 'spec.sink.batchSize': 100 },
    },
  }),

  // ---- schedule and time zone -------------------------------------------------------------------
  rejected('schedule-6-fields', 'spec.schedule', '5-field cron', { schedule: '0 0 */2 * * *' }, 'seconds fields are not cron as a CronJob reads it'),
  rejected('schedule-4-fields', 'spec.schedule', '5-field cron', { schedule: '0 */2 * *' }, 'a field missing'),
  rejected('schedule-macro', 'spec.schedule', '5-field cron', { schedule: '@hourly' }, 'macros are not 5-field expressions'),
  rejected('timezone-unknown', 'spec.timeZone', 'IANA time zone', { schedule: '0 3 * * *', timeZone: 'Mars/Olympus_Mons' }, 'a zone neither Go nor Intl knows'),
  rejected('timezone-offset', 'spec.timeZone', 'IANA time zone', { schedule: '0 3 * * *', timeZone: '+01:00' }, 'a CronJob takes zone names, not offsets'),
  rejected('timezone-local', 'spec.timeZone', 'IANA time zone', { schedule: '0 3 * * *', timeZone: 'Local' }, 'Local would be the controller host\'s zone'),
  rejected('timezone-wrong-case', 'spec.timeZone', 'IANA time zone', { schedule: '0 3 * * *', timeZone: 'europe/berlin' }, 'zone files are case-sensitive'),
  rejected('timezone-without-schedule', 'spec.timeZone', 'applies only to schedule', { interval: '2h', timeZone: 'Europe/Berlin' }, 'an interval has no wall-clock time'),
  accepted('schedule-with-timezone', { schedule: '15 3 * * *', timeZone: 'Europe/Berlin' }, 'only schedule: no interval default is injected to conflict with it', {
    stored: { absent: ['spec.interval'], values: { 'spec.schedule': '15 3 * * *', 'spec.timeZone': 'Europe/Berlin' } },
  }),
  accepted('schedule-only', { schedule: '*/20 8-18 * * MON-FRI' }, 'office hours', { stored: { absent: ['spec.interval', 'spec.timeZone'] } }),
  accepted('schedule-utc', { schedule: '0 0 * * *', timeZone: 'UTC' }, 'UTC is a zone name'),

  // ---- URLs -------------------------------------------------------------------------------------
  rejected('sink-http-public', 'spec.sink.url', badUrl, { sink: { url: 'http://ingest.example.com/v1' } }, 'plain http to a public host'),
  rejected('sink-http-fake-loopback', 'spec.sink.url', badUrl, { sink: { url: 'http://127.0.0.1.nip.io/x' } }, 'a public name that starts like a loopback address'),
  rejected('sink-http-fake-svc', 'spec.sink.url', badUrl, { sink: { url: 'http://sink.svc.example.com/x' } }, 'a public name that contains .svc'),
  rejected('sink-ftp', 'spec.sink.url', badUrl, { sink: { url: 'ftp://files.example.com/drop' } }, 'only http(s)'),
  rejected('sink-no-scheme', 'spec.sink.url', badUrl, { sink: { url: 'ingest.example.com/v1' } }, 'not a URL'),
  rejected('sink-credentials-in-url', 'spec.sink.url', 'must not carry credentials', { sink: { url: 'https://user:secret@ingest.example.com/v1' } }, 'secrets belong in a Secret'),
  rejected('source-baseurl-http-public', 'spec.source.baseUrl', badUrl, { source: { domain: null, baseUrl: 'http://acme.freshdesk.com' } }, 'plain http to a public host'),
  accepted('sink-https', { sink: { url: 'https://ingest.example.com:8443/v1?tenant=acme' } }, 'https anywhere'),
  accepted('sink-http-loopback', { sink: { url: 'http://127.0.0.1:8080/x' } }, 'loopback'),
  accepted('sink-http-localhost', { sink: { url: 'http://localhost:9000/ingest' } }, 'loopback by name'),
  accepted('sink-http-ipv6-loopback', { sink: { url: 'http://[::1]:8080/' } }, 'IPv6 loopback'),
  accepted('sink-http-svc', { sink: { url: 'http://sink.ns.svc:8080' } }, 'in-cluster service'),
  accepted('sink-http-svc-cluster-local', { sink: { url: 'http://sink.ns.svc.cluster.local' } }, 'in-cluster service, fully qualified'),
  accepted('source-baseurl-svc', { source: { domain: null, baseUrl: 'http://freshdesk-fake.test.svc:8080' } }, 'a fake Freshdesk inside the cluster'),

  // ---- source -----------------------------------------------------------------------------------
  rejected('source-domain-and-baseurl', 'spec.source', 'exactly one of domain and baseUrl', { source: { baseUrl: 'https://acme.freshdesk.com' } }, 'two hosts'),
  rejected('source-no-host', 'spec.source', 'exactly one of domain and baseUrl', { source: { domain: null } }, 'no host'),
  rejected('source-domain-url', 'spec.source.domain', 'host name', { source: { domain: 'https://acme.freshdesk.com' } }, 'domain is a host, not a URL'),
  rejected('source-type-unknown', 'spec.source.type', 'freshdesk', { source: { type: 'zendesk' } }, 'only freshdesk today'),
  rejected('credentials-ref-without-name', 'spec.source.credentialsSecretRef.name', says('Required value', 'expected string, received undefined'), { source: { credentialsSecretRef: { name: null, key: 'apiKey' } } }, 'which Secret?'),
  rejected('credentials-ref-empty-name', 'spec.source.credentialsSecretRef.name', says('should be at least 1 chars long', 'expected string to have >=1 characters'), { source: { credentialsSecretRef: { name: '' } } }, 'an empty name is no name'),
  rejected('start-date-not-a-time', 'spec.source.startDate', says('must be of type date-time', 'Invalid ISO datetime'), { source: { startDate: 'yesterday' } }, 'RFC 3339 only'),
  rejected('lookback-not-a-duration', 'spec.source.lookback', 'must be a duration from 0s to 168h', { source: { lookback: 'five minutes' } }, 'a Flux duration string'),
  rejected('lookback-too-long', 'spec.source.lookback', 'must be a duration from 0s to 168h', { source: { lookback: '200h' } }, 'every run re-delivers the window: at most 7 days'),
  rejected('rate-limit-zero', 'spec.source.rateLimitPerMinute', says('should be greater than or equal to 1', 'expected number to be >=1'), { source: { rateLimitPerMinute: 0 } }, 'zero requests never syncs'),
  accepted('source-everything', {
    tenantId: 'acme:eu-1',
    source: { startDate: '2024-01-01T00:00:00+02:00', lookback: '10m', rateLimitPerMinute: 40, credentialsSecretRef: { name: 'acme-freshdesk', key: 'api-key' } },
    sink: { authSecretRef: { name: 'acme-sink' }, batchSize: 500 },
  }, 'every optional source and sink field', { stored: { values: { 'spec.sink.authSecretRef.key': 'token', 'spec.source.credentialsSecretRef.key': 'api-key' } } }),

  // ---- streams ----------------------------------------------------------------------------------
  rejected('stream-list-empty', 'spec.source.streams', says('should have at least 1 items', 'must list at least one stream'), { source: { streams: [] } }, 'an empty list syncs nothing (found by the spec fuzzer: it was stored and the operator failed on it); leaving streams out means the default set'),
  rejected('stream-unknown', 'spec.source.streams[0].name', 'tickets', { source: { streams: [{ name: 'tikets' }] } }, 'a typo in a stream name; the message lists the streams'),
  rejected('stream-duplicate', 'spec.source.streams[1]', says('Duplicate value', 'duplicate stream tickets'), { source: { streams: [{ name: 'tickets' }, { name: 'tickets', interval: '24h' }] } }, 'each stream at most once'),
  rejected('stream-not-multiple', 'spec.source.streams', 'multiple', { interval: '2h', source: { streams: [{ name: 'contacts', interval: '3h' }] } }, '3h is not a multiple of 2h'),
  rejected('stream-not-multiple-of-default', 'spec.source.streams', 'multiple', { source: { streams: [{ name: 'agents', interval: '1h' }] } }, 'the default interval is 2h'),
  rejected('stream-interval-in-words', 'spec.source.streams[0].interval', 'duration', { source: { streams: [{ name: 'agents', interval: 'daily' }] } }, 'a stream interval is a duration'),
  accepted('stream-multiples', {
    interval: '1h',
    source: { streams: [{ name: 'tickets' }, { name: 'conversations' }, { name: 'contacts', interval: '6h' }, { name: 'articles', interval: '24h' }] },
  }, 'stream intervals that are multiples of the tenant interval', { effectiveIntervalSeconds: 3600 }),
  accepted('stream-multiples-of-default', { source: { streams: [{ name: 'agents', interval: '24h' }, { name: 'groups', interval: '168h' }] } }, 'a week is a multiple of the default 2h'),
  accepted('stream-intervals-with-schedule', { schedule: '0 3 * * *', source: { streams: [{ name: 'agents', interval: '168h' }] } }, 'with a cron schedule a stream interval is just a minimum gap'),

  // ---- sink -------------------------------------------------------------------------------------
  rejected('batch-size-negative', 'spec.sink.batchSize', says('should be greater than or equal to 1', 'expected number to be >=1'), { sink: { batchSize: -5 } }, 'a negative batch'),
  rejected('batch-size-fraction', 'spec.sink.batchSize', says('must be of type integer', 'expected int, received number'), { sink: { batchSize: 2.5 } }, 'records come whole'),
  rejected('batch-size-huge', 'spec.sink.batchSize', says('should be less than or equal to 10000', 'expected number to be <=10000'), { sink: { batchSize: 1_000_000 } }, 'bounded so a batch fits a request'),
  rejected('sink-missing', 'spec.sink', says('Required value', 'expected object, received undefined'), { sink: null }, 'a sink is required'),
  rejected('sink-token-ref-without-name', 'spec.sink.authSecretRef.name', says('Required value', 'expected string, received undefined'), { sink: { authSecretRef: { key: 'token' } } }, 'which Secret?'),

  // ---- job and tenant ---------------------------------------------------------------------------
  rejected('job-history-zero', 'spec.job.failedJobsHistoryLimit', says('should be greater than or equal to 1', 'expected number to be >=1'), { job: { failedJobsHistoryLimit: 0 } }, 'a Job deleted as it finishes takes its result (the cursors) with it'),
  rejected('job-timeout-too-short', 'spec.job.timeout', 'at least 1m', { job: { timeout: '30s' } }, 'a run needs time'),
  rejected('job-bad-quantity', 'spec.job.resources.limits.cpu', says("should match '^(\\+|-)?", 'must be a quantity such as 500m, 1 or 256Mi'), { job: { resources: { limits: { cpu: 'lots' } } } }, 'quantities are checked, not stored as typos'),
  rejected('job-bad-toleration-effect', 'spec.job.tolerations[0].effect', says('supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"', 'expected one of "NoSchedule"|"PreferNoSchedule"|"NoExecute"'), { job: { tolerations: [{ key: 'dedicated', effect: 'Sometimes' }] } }, 'tolerations are checked'),
  rejected('tenant-id-with-space', 'spec.tenantId', 'must start with a letter or digit and contain only letters, digits and . _ : -', { tenantId: 'acme corp' }, 'ids travel in every record'),
  accepted('job-everything', {
    job: {
      image: 'registry.example.com/tenant-sync:1.0.0',
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: 1, memory: '256Mi' } },
      timeout: '45m',
      backoffLimit: 0,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'sync', effect: 'NoSchedule' }],
    },
  }, 'every job field', { stored: { values: { 'spec.job.timeout': '45m', 'spec.job.successfulJobsHistoryLimit': 3, 'spec.job.resources.limits.cpu': 1 } } }),
  rejected('job-pull-policy-unknown', 'spec.job.imagePullPolicy', says('supported values: "Always", "IfNotPresent", "Never"', 'expected one of "Always"|"IfNotPresent"|"Never"'), { job: { imagePullPolicy: 'Sometimes' } }, 'a pull policy Kubernetes knows'),
  rejected('job-pull-secret-without-name', 'spec.job.imagePullSecrets[0].name', says('Required value', 'expected string, received undefined'), { job: { imagePullSecrets: [{}] } }, 'which Secret?'),
  rejected('job-pod-label-value', 'spec.job.podLabels.team', says("should match '^(([A-Za-z0-9]", 'must be a label value'), { job: { podLabels: { team: 'two words' } } }, 'a label value Kubernetes would refuse on the pod'),
  rejected('job-service-account-name', 'spec.job.serviceAccountName', says("should match '^[a-z0-9]", 'must be a ServiceAccount name'), { job: { serviceAccountName: 'Sync_Account' } }, 'a ServiceAccount name is a DNS subdomain'),
  rejected('job-priority-class-name', 'spec.job.priorityClassName', says("should match '^[a-z0-9]", 'must be a PriorityClass name'), { job: { priorityClassName: 'High Priority' } }, 'a PriorityClass name is a DNS subdomain'),
  rejected('job-env-reserved', 'spec.job.env[0].name', 'names starting with TENANTSYNC_ are reserved for the operator', { job: { env: [{ name: 'TENANTSYNC_CONFIG', value: '/tmp/other.json' }] } }, 'the job contract\'s variables are the operator\'s'),
  rejected('job-env-duplicate', 'spec.job.env[1]', says('Duplicate value', 'duplicate variable TZ'), { job: { env: [{ name: 'TZ', value: 'UTC' }, { name: 'TZ', value: 'CET' }] } }, 'one value per variable'),
  rejected('job-env-from-two-sources', 'spec.job.envFrom[0]', 'set exactly one of configMapRef and secretRef', { job: { envFrom: [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }] } }, 'one source per entry'),
  rejected('job-volume-reserved-name', 'spec.job.volumes[0].name', "names config, state, tmp are the operator's own", { job: { volumes: [{ name: 'state', configMap: { name: 'mine' } }] } }, "the operator's volumes keep their names"),
  rejected('job-volume-two-sources', 'spec.job.volumes[0]', 'set exactly one of configMap and secret', { job: { volumes: [{ name: 'ca', configMap: { name: 'a' }, secret: { secretName: 'b' } }] } }, 'one source per volume'),
  rejected('job-volume-mount-over-config', 'spec.job.volumeMounts[0].mountPath', 'must be an absolute path outside /tmp, /etc/tenantsync and /var/lib/tenantsync', { job: { volumeMounts: [{ name: 'ca', mountPath: '/etc/tenantsync/config' }] } }, "a mount must not hide the job's config"),
  accepted('job-pod-settings', {
    job: {
      imagePullPolicy: 'IfNotPresent',
      imagePullSecrets: [{ name: 'registry' }],
      podLabels: { team: 'billing', 'example.com/tier': 'gold' },
      podAnnotations: { 'sidecar.istio.io/inject': 'false' },
      priorityClassName: 'batch-low',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['batch'] }] }] } } },
      serviceAccountName: 'acme-sync',
      automountServiceAccountToken: false,
      env: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/extra/ca.crt' }, { name: 'HTTPS_PROXY', valueFrom: { configMapKeyRef: { name: 'proxy', key: 'url' } } }],
      envFrom: [{ configMapRef: { name: 'sync-extra' }, prefix: 'EXTRA_' }],
      volumes: [{ name: 'extra-ca', configMap: { name: 'corp-ca-bundle', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }],
      volumeMounts: [{ name: 'extra-ca', mountPath: '/etc/ssl/extra', readOnly: true }],
    },
  }, 'every pod setting of the sync pod', {
    // The affinity's parts are kept as written (x-kubernetes-preserve-unknown-fields), not pruned.
    stored: {
      values: {
        'spec.job.automountServiceAccountToken': false,
        'spec.job.priorityClassName': 'batch-low',
        'spec.job.affinity.nodeAffinity': { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['batch'] }] }] } },
      },
    },
  }),
  accepted('job-defaults', { job: {} }, 'an empty job gets every default', {
    stored: { values: { 'spec.job.timeout': '1h', 'spec.job.backoffLimit': 2, 'spec.job.successfulJobsHistoryLimit': 3, 'spec.job.failedJobsHistoryLimit': 3 } },
  }),
  accepted('long-name', {}, 'a 100-character name: the operator derives short child names itself', { name: longName(100) }),
  accepted('longest-name', {}, 'a 253-character name, the most Kubernetes allows', { name: longName(253) }),
];

/** The fragment the API server's error about the case's field must contain. */
export const apiserverMessage = (c: RejectedCase): string => (typeof c.message === 'string' ? c.message : c.message.apiserver);

/** The fragment the zod schema's issue about the case's field must contain. */
export const zodMessage = (c: RejectedCase): string => (typeof c.message === 'string' ? c.message : c.message.zod);

/**
 * What a failed `kubectl apply` says about `field`: the text after `<field>: ` on each line naming it
 * (one line for a single error, one `* ` bullet each for several). A fragment must be found here, not
 * anywhere in stderr, so a message about another field cannot pass for this one's.
 */
export function apiserverErrorsAbout(stderr: string, field: string): string[] {
  const marker = `${field}: `;
  return stderr.split('\n').flatMap((line) => {
    const at = line.indexOf(marker);
    return at < 0 ? [] : [line.slice(at + marker.length)];
  });
}

/** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: JsonObject = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key] ?? null, value);
  }
  return out;
}

/** The TenantSync manifest of a case. */
export function manifestOf(c: ValidationCase, namespace?: string): JsonObject {
  return {
    apiVersion,
    kind,
    metadata: { name: c.name ?? c.id, ...(namespace ? { namespace } : {}) },
    spec: mergePatch(validSpec, c.spec),
  };
}

/** Reads a dotted path ("spec.sink.batchSize") out of an object; undefined when any step is missing. */
export function valueAt(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), object);
}
