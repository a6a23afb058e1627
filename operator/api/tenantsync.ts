// The TenantSync resource (tenantsync.io/v1alpha1): the ONE schema that gives the TypeScript types,
// the operator's runtime validation and the CRD's openAPIV3Schema (npm run generate).
// Every rule a structural schema cannot say is written twice, side by side: as a CEL rule for the
// API server (x-kubernetes-validations) and as a zod refinement for the operator (field-rules.ts).
import { z } from 'zod';
import { defaultStreamNames, freshdeskStreamNames, runOutcomes, streamOutcomes } from '../../sync-job/contract.js';
import { expressibleIntervalsText, parseDurationSeconds } from './duration.js';
import {
  celDurationMs,
  celIsDuration,
  intervalRule,
  lookbackRule,
  patternRule,
  streamIntervalRule,
  timeoutRule,
  timeZoneRule,
  urlRule,
  urlWithoutCredentialsRule,
  type TwinRule,
} from './field-rules.js';
import {
  affinitySchema,
  envFromSchema,
  envSchema,
  imagePullPolicySchema,
  imagePullSecretsSchema,
  podAnnotationsSchema,
  podLabelsSchema,
  priorityClassNameSchema,
  resourcesSchema,
  serviceAccountNameSchema,
  volumeMountsSchema,
  volumesSchema,
} from './pod-fields.js';

export { isAllowedUrl, isKnownTimeZone } from './field-rules.js';

export const group = 'tenantsync.io';
export const version = 'v1alpha1';
export const kind = 'TenantSync';
export const plural = 'tenantsyncs';
export const singular = 'tenantsync';
export const shortName = 'tsync';
export const apiVersion = `${group}/${version}`;
export const defaultIntervalSeconds = 7200;
export const defaultInterval = '2h';
export const runRequestedAtAnnotation = 'tenantsync.io/run-requested-at';
/** Re-sync: a new value resets the cursors named by `tenantsync.io/resync` and starts a run (docs/reference.md "Re-sync (backfill)"). */
export const resyncRequestedAtAnnotation = 'tenantsync.io/resync-requested-at';
/** What a re-sync resets: `<stream>[,<stream>…][@<RFC 3339 time>]`, `*` for every stream; no time: from the start. */
export const resyncAnnotation = 'tenantsync.io/resync';

type CelRule = { rule: string; message?: string; messageExpression?: string; fieldPath?: string; reason?: string };
const cel = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });

/** A string field checked by twin rules: zod refinements for the operator, CEL for the API server. */
function twinChecked<T extends z.ZodType<string>>(base: T, description: string, ...rules: TwinRule[]): T {
  let schema = base;
  for (const r of rules) schema = schema.refine(r.check, r.message);
  return schema.meta({ description, ...cel(...rules.map(({ rule, message }) => ({ rule, message }))) });
}

// ---- field schemas --------------------------------------------------------------------------
const intervalField = twinChecked(
  z.string().max(32),
  `How often the tenant is synced, as a duration such as 30m or 2h. The operator turns it into a cron schedule ` +
    `with a per-tenant minute offset, so tenants with the same interval do not all start at once. ` +
    `Allowed: ${expressibleIntervalsText} (the intervals a fixed cron schedule repeats evenly). ` +
    `Set at most one of interval and schedule; when neither is set the tenant is synced every ${defaultInterval}.`,
  intervalRule,
);

// Five whitespace-separated fields of the characters cron uses; the CronJob's own parser checks ranges.
const scheduleRule = patternRule(
  '^\\s*([0-9A-Za-z*?/,-]+\\s+){4}[0-9A-Za-z*?/,-]+\\s*$',
  'must be a 5-field cron expression (minute hour day-of-month month day-of-week) such as "15 */2 * * *"',
);
const scheduleField = twinChecked(
  z.string().max(128),
  'When the tenant is synced, as a 5-field cron expression (minute hour day-of-month month day-of-week), ' +
    'e.g. "15 */2 * * *", interpreted in timeZone. Use it instead of interval when syncs must run at fixed ' +
    'wall-clock times. Set at most one of interval and schedule.',
  scheduleRule,
);

const timeZoneField = twinChecked(
  z.string().max(64),
  'IANA time zone in which schedule is interpreted, e.g. Europe/Berlin. Only together with schedule. ' +
    'Default: the time zone of kube-controller-manager (usually UTC).',
  timeZoneRule,
);

const secretKeyRef = (what: string, defaultKey: string) =>
  z
    .object({
      name: z
        .string()
        .min(1)
        .max(253)
        .meta({ description: `Name of the Secret, in the TenantSync's namespace, that holds the ${what}.` }),
      key: z
        .string()
        .min(1)
        .max(253)
        .default(defaultKey)
        .meta({ description: `Key in the Secret's data that holds the ${what}. Default: ${defaultKey}.` }),
    })
    .meta({
      description:
        `Secret key holding the ${what}. Only the tenant's sync pod reads it (as an environment variable); ` +
        'it never appears in status, logs, events or ConfigMaps.',
    });

const urlField = (description: string) => twinChecked(z.string().max(2048), description, urlRule, urlWithoutCredentialsRule);

const streamSchema = z
  .object({
    name: z.enum(freshdeskStreamNames).meta({ description: `Stream to sync. One of: ${freshdeskStreamNames.join(', ')}.` }),
    interval: twinChecked(
      z.string().max(32),
      'How often this stream is synced, when less often than the tenant, e.g. 24h. Must be a multiple of the ' +
        "tenant's interval; a run skips the stream (reporting it NotDue) until this much time has passed since " +
        "its last success. Default: the tenant's interval.",
      streamIntervalRule,
    ).optional(),
  })
  .meta({ description: 'One stream of the source and its optional own interval.' });

const hostNameRule = patternRule(
  '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$',
  'must be a lower-case host name such as acme.freshdesk.com (no scheme, no path)',
);
const tenantIdRule = patternRule('^[A-Za-z0-9][A-Za-z0-9._:-]*$', 'must start with a letter or digit and contain only letters, digits and . _ : -');
const exactlyOneSourceHostMessage = 'set exactly one of domain and baseUrl';

export const sourceSchema = z
  .object({
    type: z.literal('freshdesk').default('freshdesk').meta({ description: 'Kind of source. Only freshdesk today. Default: freshdesk.' }),
    domain: twinChecked(
      z.string().max(253),
      'Freshdesk host of the tenant, e.g. acme.freshdesk.com; the API is then https://<domain>/api/v2. ' +
        'Set exactly one of domain and baseUrl.',
      hostNameRule,
    ).optional(),
    baseUrl: urlField(
      'Base URL of the Freshdesk API host, without /api/v2, e.g. https://acme.freshdesk.com. For proxies and tests; ' +
        'https, or http only to loopback (localhost, 127.0.0.0/8, [::1]) or in-cluster service hosts (*.svc, ' +
        '*.svc.cluster.local). Set exactly one of domain and baseUrl.',
    ).optional(),
    credentialsSecretRef: secretKeyRef('Freshdesk API key', 'apiKey'),
    streams: z
      .array(streamSchema)
      // An empty list would sync nothing (and the job refuses a config without streams): say so at apply time.
      .min(1, 'must list at least one stream; leave streams out for the default set')
      .max(freshdeskStreamNames.length)
      .optional()
      .meta({
        description: `Streams to sync, each at most once. Default: ${defaultStreamNames.join(', ')} at the tenant's interval (the other streams are opt-in).`,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    startDate: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({
        description:
          'How far back history goes, an RFC 3339 time such as 2024-01-01T00:00:00Z: records of the time-based ' +
          'streams (tickets, deleted_tickets, conversations, contacts, satisfaction_ratings, time_entries) last updated ' +
          'before it are not synced. ' +
          'Only affects streams that have no cursor yet. Reference data (agents, groups, companies, articles) is ' +
          'always delivered in full on the first sync. Default: everything the API returns.',
      }),
    lookback: twinChecked(
      z.string().max(32),
      'How far behind its cursor each run re-reads a stream, as a duration such as 5m or 1h (0s to 168h). ' +
        'Freshdesk stamps updated_at to the second and a write can reach its lists after newer ones; re-reading ' +
        'this window delivers a record rewritten within the second already synced and a write that became ' +
        'visible late. Records in the window are delivered again (the run result counts them as redelivered); ' +
        '0s trusts the cursor exactly and can miss both. Default: 5m.',
      lookbackRule,
    ).optional(),
    rateLimitPerMinute: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .optional()
      .meta({
        description:
          "Ceiling on this tenant's Freshdesk API credits per minute (a request costs 1, more with include=), below the " +
          "account's plan limit. Default: rateLimitSharePercent of the limit the rate-limit headers report.",
      }),
    rateLimitSharePercent: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .meta({
        description:
          "Share of the Freshdesk account's per-minute credit budget (and of the tickets and contacts lists' own caps) this " +
          "tenant's sync may use, 1 to 100; the rest stays free for the customer's other integrations on the same account. Default: 80.",
      }),
    listRateLimitsPerMinute: z
      .object({
        tickets: z.number().int().min(1).max(100000).optional().meta({ description: "The plan's own per-minute cap on the tickets list." }),
        contacts: z.number().int().min(1).max(100000).optional().meta({ description: "The plan's own per-minute cap on the contacts list." }),
      })
      .optional()
      .meta({
        description:
          "Per-minute caps of the tickets and contacts lists on the tenant's Freshdesk plan, below the account budget " +
          '(Growth 20, Pro 100, Enterprise 200). Default: learned from the plan the rate-limit headers reveal, or from a 429.',
      }),
  })
  .superRefine((s, ctx) => {
    if ((s.domain === undefined) === (s.baseUrl === undefined)) {
      ctx.addIssue({ code: 'custom', message: exactlyOneSourceHostMessage, path: [] });
    }
    // The API server checks this through the list's map keys (x-kubernetes-list-map-keys).
    const seen = new Set<string>();
    s.streams?.forEach((stream, i) => {
      if (seen.has(stream.name)) ctx.addIssue({ code: 'custom', message: `duplicate stream ${stream.name}`, path: ['streams', i] });
      seen.add(stream.name);
    });
  })
  .meta({
    description: "Where the tenant's data comes from.",
    ...cel({ rule: 'has(self.domain) != has(self.baseUrl)', message: exactlyOneSourceHostMessage }),
  });

export const sinkSchema = z
  .object({
    type: z.literal('http').default('http').meta({ description: 'Kind of sink. Only http today (the sink protocol: docs/sync-job.md). Default: http.' }),
    url: urlField(
      'URL that receives the records as JSON batches by POST. https, or http only to loopback (localhost, ' +
        '127.0.0.0/8, [::1]) or in-cluster service hosts (*.svc, *.svc.cluster.local).',
    ),
    authSecretRef: secretKeyRef('bearer token sent to the sink', 'token').optional(),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(100)
      .meta({ description: 'Records per POST, 1 to 10000. The cursor is checkpointed after every acknowledged batch. Default: 100.' }),
    maxBatchBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .optional()
      .meta({
        description:
          'Bytes of records per POST, 1024 to 67108864: a batch is sent before it would pass this (a single larger record is sent alone). ' +
          "Default and ceiling: sized from the sync container's memory (1/96 of its heap, 128 KiB to 8 MiB: one batch is with the sink while the next fills).",
      }),
  })
  .meta({ description: 'Where records are delivered.' });

const tolerationSchema = z
  .object({
    key: z.string().max(317).optional().meta({ description: 'Taint key the toleration applies to; empty with operator Exists matches all taints.' }),
    operator: z.enum(['Exists', 'Equal']).optional().meta({ description: 'Exists or Equal (default).' }),
    value: z.string().max(63).optional().meta({ description: 'Taint value the toleration matches (with operator Equal).' }),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
      .optional()
      .meta({ description: 'Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all.' }),
    tolerationSeconds: z.number().int().optional().meta({ description: 'For NoExecute: how long the pod stays bound after the taint appears.' }),
  })
  .meta({ description: 'A core/v1 Toleration.' });

export const jobSchema = z
  .object({
    image: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .meta({ description: 'Image of the sync container. Default: the sync image the operator is configured with.' }),
    imagePullPolicy: imagePullPolicySchema.optional().meta({
      description:
        "Pull policy of the sync container: Always, IfNotPresent or Never. Default: the operator's --sync-image-pull-policy " +
        "(chart value syncPod.imagePullPolicy), else Kubernetes' own (Always for a :latest tag, otherwise IfNotPresent).",
    }),
    imagePullSecrets: imagePullSecretsSchema.optional().meta({
      description:
        "Pull secrets of the sync pod (Secrets in the tenant's namespace); replaces the operator's --sync-image-pull-secrets " +
        '(chart values global.imagePullSecrets and syncPod.imagePullSecrets) as a whole, [] for none. Default: those.',
    }),
    resources: resourcesSchema.optional(),
    podLabels: podLabelsSchema.optional().meta({
      description:
        "Labels of the sync pod, over the operator's --sync-pod-labels (chart value syncPod.podLabels; on the same key the tenant's " +
        "wins). The operator's own labels (app.kubernetes.io/*, tenantsync.io/name, tenantsync.io/trigger) win over both.",
    }),
    podAnnotations: podAnnotationsSchema.optional().meta({
      description:
        "Annotations of the sync pod, e.g. sidecar.istio.io/inject: \"false\" to keep a mesh sidecar (which never exits) out of " +
        "it, over the operator's --sync-pod-annotations (chart value syncPod.podAnnotations; on the same key the tenant's wins). " +
        'The operator\'s own annotations (tenantsync.io/*) win over both.',
    }),
    priorityClassName: priorityClassNameSchema.optional().meta({
      description: "PriorityClass of the sync pod. Default: the operator's --sync-priority-class-name (chart value syncPod.priorityClassName), else none.",
    }),
    affinity: affinitySchema.optional().meta({
      description: "Affinity of the sync pod, as in a pod spec; replaces the operator's --sync-affinity (chart value syncPod.affinity) as a whole. Default: that, else none.",
    }),
    serviceAccountName: serviceAccountNameSchema.optional().meta({
      description:
        "ServiceAccount the sync pod runs as; it must exist in the tenant's namespace, or the Job cannot create its pod. Its token " +
        "is still not mounted unless automountServiceAccountToken is true. Default: the operator's --sync-service-account-name " +
        "(chart value syncPod.serviceAccountName), else the namespace's default ServiceAccount.",
    }),
    automountServiceAccountToken: z.boolean().optional().meta({
      description:
        'Mount the ServiceAccount\'s API token into the sync pod. The sync job never calls the Kubernetes API: set true only for ' +
        "something in the pod that needs the token (e.g. a workload identity). Default: the operator's " +
        '--sync-automount-service-account-token (chart value syncPod.automountServiceAccountToken), false.',
    }),
    env: envSchema.optional().meta({
      description:
        "More environment variables of the sync container, e.g. NODE_EXTRA_CA_CERTS or HTTPS_PROXY, after the operator's " +
        "(chart values syncPod.proxy and syncPod.env; on the same name the tenant's wins). Names starting with TENANTSYNC_ are reserved.",
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
    envFrom: envFromSchema.optional().meta({
      description:
        "Variables from every key of ConfigMaps or Secrets in the tenant's namespace, after the operator's --sync-env-from " +
        '(chart value syncPod.envFrom). A variable in env wins over these.',
    }),
    volumes: volumesSchema.optional().meta({
      description:
        "ConfigMaps or Secrets of the tenant's namespace as volumes of the sync pod (e.g. a CA bundle), after the operator's " +
        "--sync-volumes (chart value syncPod.volumes; on the same name the tenant's wins). Mount them with volumeMounts.",
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
    volumeMounts: volumeMountsSchema.optional().meta({
      description:
        "Where the sync container mounts volumes (the tenant's or the operator's), after the operator's --sync-volume-mounts " +
        '(chart value syncPod.volumeMounts; on the same mountPath the tenant\'s wins). E.g. a CA bundle at /etc/ssl/extra with ' +
        'env NODE_EXTRA_CA_CERTS=/etc/ssl/extra/ca.crt.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['mountPath'],
    }),
    timeout: twinChecked(
      z.string().max(32).default('1h'),
      "Longest a run may take, as a duration such as 30m or 2h (the Job's activeDeadlineSeconds); at least 1m. " +
        'A stopped run still saves the cursor the sink acknowledged. Default: 1h.',
      timeoutRule,
    ),
    backoffLimit: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .meta({ description: "Retries of a failed run, 0 to 10 (the Job's backoffLimit). Configuration and credentials errors are never retried. Default: 2." }),
    successfulJobsHistoryLimit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .meta({
        description:
          'Successful Jobs (and their pods and logs) to keep, 1 to 100: at least 1, so a finished run is still there when the operator reads its result. Default: 3.',
      }),
    failedJobsHistoryLimit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .meta({
        description:
          'Failed Jobs (and their pods and logs) to keep, 1 to 100: at least 1, so a finished run is still there when the operator reads its result. Default: 3.',
      }),
    nodeSelector: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: 'Node labels the sync pod must be scheduled on, as in a pod spec.' }),
    tolerations: z.array(tolerationSchema).max(64).optional().meta({ description: 'Tolerations of the sync pod, as in a pod spec.' }),
  })
  .meta({ description: 'How the sync Job runs. Every field has a default.' });

// ---- rules that relate several spec fields ---------------------------------------------------
const bothIntervalAndScheduleMessage = 'set either interval or schedule, not both';
const timeZoneWithoutScheduleMessage = 'timeZone applies only to schedule; set schedule or remove timeZone';
const streamMultipleMessage = `every stream's interval must be a multiple of the tenant's interval (default ${defaultInterval})`;

// Skipped when the tenant's interval is itself invalid or zero: the interval's own rule reports that.
const celBaseMs = `(has(self.interval) ? ${celDurationMs('self.interval')} : ${defaultIntervalSeconds * 1000})`;
const celStreamMultiples =
  `has(self.schedule) || !has(self.source.streams) || ` +
  `(has(self.interval) && (!${celIsDuration('self.interval')} || ${celDurationMs('self.interval')} <= 0)) || ` +
  `self.source.streams.all(s, !has(s.interval) || !${celIsDuration('s.interval')} || ` +
  `${celDurationMs('s.interval')} % ${celBaseMs} == 0)`;

/**
 * The tenant's base interval in seconds: spec.interval, else the 2h default (neither set means every 2h).
 * Undefined when a cron schedule is set instead, or when the interval does not parse.
 */
export function effectiveIntervalSeconds(spec: { interval?: string | undefined; schedule?: string | undefined }): number | undefined {
  if (spec.schedule !== undefined) return undefined;
  return spec.interval === undefined ? defaultIntervalSeconds : parseDurationSeconds(spec.interval);
}

export const tenantSyncSpecSchema = z
  .object({
    tenantId: twinChecked(
      z.string().min(1).max(253),
      'Tenant id written on every delivered record (letters, digits, . _ : -). Default: metadata.name.',
      tenantIdRule,
    ).optional(),
    interval: intervalField.optional(),
    schedule: scheduleField.optional(),
    timeZone: timeZoneField.optional(),
    suspend: z
      .boolean()
      .default(false)
      .meta({ description: 'Stop starting scheduled runs (the CronJob is suspended); a run in progress finishes. Default: false.' }),
    stateRetention: z
      .enum(['Delete', 'Retain'])
      .default('Delete')
      .meta({
        description:
          'What happens to the cursors (the <name>-state ConfigMap) when the TenantSync is deleted: Delete removes them with it, so a ' +
          're-created TenantSync syncs again from startDate; Retain keeps the ConfigMap (no owner reference), and a TenantSync created ' +
          'again with the same name continues from its cursors. Default: Delete.',
      }),
    source: sourceSchema,
    sink: sinkSchema,
    job: jobSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.interval !== undefined && spec.schedule !== undefined) {
      ctx.addIssue({ code: 'custom', message: bothIntervalAndScheduleMessage, path: ['interval'] });
    }
    if (spec.timeZone !== undefined && spec.schedule === undefined) {
      ctx.addIssue({ code: 'custom', message: timeZoneWithoutScheduleMessage, path: ['timeZone'] });
    }
    const base = effectiveIntervalSeconds(spec);
    if (base === undefined || base <= 0) return;
    spec.source.streams?.forEach((s, i) => {
      const own = s.interval === undefined ? undefined : parseDurationSeconds(s.interval);
      if (own !== undefined && own % base !== 0) {
        ctx.addIssue({ code: 'custom', message: streamMultipleMessage, path: ['source', 'streams', i, 'interval'] });
      }
    });
  })
  .meta({
    description: 'What to sync for one tenant, how often, and where to deliver it.',
    ...cel(
      { rule: '!(has(self.interval) && has(self.schedule))', message: bothIntervalAndScheduleMessage, fieldPath: '.interval' },
      { rule: '!has(self.timeZone) || has(self.schedule)', message: timeZoneWithoutScheduleMessage, fieldPath: '.timeZone' },
      { rule: celStreamMultiples, message: streamMultipleMessage, fieldPath: '.source.streams' },
    ),
  });
export type TenantSyncSpec = z.output<typeof tenantSyncSpecSchema>;
export type TenantSyncSpecInput = z.input<typeof tenantSyncSpecSchema>;

// ---- status ---------------------------------------------------------------------------------
/** A time in status: RFC 3339 (`format: date-time` in the CRD), as the operator writes it. */
const statusTime = () => z.iso.datetime({ offset: true });

export const conditionSchema = z
  .object({
    type: z.string().max(316).meta({ description: 'Ready, Reconciling, Stalled or SyncHealthy.' }),
    status: z.enum(['True', 'False', 'Unknown']).meta({ description: 'True, False or Unknown.' }),
    observedGeneration: z.number().int().nonnegative().optional().meta({ description: 'metadata.generation the condition was computed from.' }),
    lastTransitionTime: statusTime().meta({ description: 'When status last changed.' }),
    reason: z.string().max(1024).meta({ description: 'Why, as one CamelCase word that programs can match on.' }),
    message: z.string().max(32768).meta({ description: 'Why, for people.' }),
  })
  .meta({ description: 'One aspect of the current state (kstatus conventions).' });
export type Condition = z.infer<typeof conditionSchema>;

export const tenantSyncStatusSchema = z
  .object({
    observedGeneration: z.number().int().optional().meta({ description: 'metadata.generation the operator last acted on.' }),
    conditions: z
      .array(conditionSchema)
      .optional()
      .meta({
        description:
          'Ready summarises the rest; Reconciling while changes are applied; Stalled when a person must act (bad spec, ' +
          'missing Secret); SyncHealthy False when the last run failed or no run succeeded within twice the interval.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    cronJobName: z.string().optional().meta({ description: 'Name of the CronJob that runs the syncs.' }),
    schedule: z.string().optional().meta({ description: 'The effective cron schedule of the CronJob, derived from interval or taken from schedule.' }),
    nextRunTime: statusTime().optional().meta({ description: 'The first scheduled time after the CronJob last started a run (or after scheduleStartTime). It moves when the CronJob starts that run, so a time in the past is a run that has not started: the previous run is still active, no CronJob controller is running, or it was more than 10 minutes late and skipped.' }),
    scheduleStartTime: statusTime()
      .optional()
      .meta({ description: 'When runs were last re-armed: the CronJob ran again after spec.suspend or a missing Secret, or its schedule changed. Stale counts from this when it is later than the last success.' }),
    lastScheduleTime: statusTime().optional().meta({ description: 'When the CronJob last started a run.' }),
    lastRun: z
      .object({
        jobName: z.string().meta({ description: 'Name of the Job.' }),
        trigger: z.enum(['scheduled', 'manual']).meta({ description: 'scheduled (by the CronJob) or manual (run-now annotation or kubectl create job).' }),
        startTime: statusTime().optional().meta({ description: 'When the run started.' }),
        completionTime: statusTime().optional().meta({ description: 'When the run finished.' }),
        outcome: z.enum(runOutcomes).meta({ description: `${runOutcomes.join(', ')}.` }),
        records: z.number().int().nonnegative().optional().meta({ description: 'Records delivered to the sink, all streams together.' }),
        message: z.string().optional().meta({ description: 'What happened, for people.' }),
      })
      .optional()
      .meta({ description: 'The most recent run.' }),
    lastSuccessfulRunTime: statusTime().optional().meta({ description: 'When the last fully successful run finished.' }),
    consecutiveFailures: z.number().int().nonnegative().optional().meta({ description: 'Failed runs since the last success.' }),
    streams: z
      .array(
        z
          .object({
            name: z.string().meta({ description: 'Stream name.' }),
            cursor: z.string().optional().meta({ description: "The stream's cursor for people: the newest acknowledged updatedAt." }),
            lastSuccessTime: statusTime().optional().meta({ description: 'When the stream last synced successfully.' }),
            lastRecords: z.number().int().nonnegative().optional().meta({ description: 'Records delivered by the last run of the stream.' }),
            lastOutcome: z.enum(streamOutcomes).optional().meta({ description: `${streamOutcomes.join(', ')} (NotDue: the stream was not due in that run).` }),
          })
          .meta({ description: 'Progress of one stream.' }),
      )
      .optional()
      .meta({ description: 'Per-stream progress.', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
    lastHandledRunRequest: z
      .string()
      .optional()
      .meta({ description: `Last value of the ${runRequestedAtAnnotation} annotation that started a manual run.` }),
    lastHandledResyncRequest: z
      .string()
      .optional()
      .meta({ description: `Last value of the ${resyncRequestedAtAnnotation} annotation the operator handled (reset the cursors and started a run, or rejected).` }),
    activeRun: z
      .object({
        jobName: z.string().meta({ description: 'Name of the Job.' }),
        trigger: z.enum(['scheduled', 'manual']).meta({ description: 'scheduled (by the CronJob) or manual (run-now annotation or kubectl create job).' }),
        startTime: statusTime().optional().meta({ description: 'When the run started.' }),
      })
      .optional()
      .meta({ description: 'The run in progress, if any. Runs of one tenant never overlap.' }),
    waitingRuns: z
      .array(
        z
          .object({
            jobName: z.string().meta({ description: 'Name of the Job (created suspended).' }),
            trigger: z.enum(['scheduled', 'manual']).meta({ description: 'scheduled or manual.' }),
            since: statusTime().optional().meta({ description: 'When the Job was created.' }),
          })
          .meta({ description: 'A run that waits for its turn.' }),
      )
      .optional()
      .meta({
        description: 'Runs waiting for the active run to finish, oldest first (a run request made during a run shows here); each starts when no other run of the tenant is active.',
        'x-kubernetes-list-type': 'atomic',
      }),
    lostRuns: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .meta({ description: 'Runs whose Job disappeared before the operator read its result (their work is redone by the next run).' }),
    lastLostRun: z
      .object({
        jobName: z.string().meta({ description: 'Name of the Job.' }),
        detectedAt: statusTime().meta({ description: 'When the operator noticed.' }),
      })
      .optional()
      .meta({ description: 'The latest run whose result was lost.' }),
  })
  .meta({ description: 'Observed state of the TenantSync, written only by the operator.' });
export type TenantSyncStatus = z.infer<typeof tenantSyncStatusSchema>;

// ---- the object -----------------------------------------------------------------------------
export const objectMetaSchema = z
  .object({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    generation: z.number().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    creationTimestamp: z.union([z.string(), z.date()]).optional(),
    deletionTimestamp: z.union([z.string(), z.date()]).optional(),
  })
  .loose();

export const tenantSyncDescription =
  "TenantSync runs one tenant's incremental helpdesk ingestion (Freshdesk) on a durable schedule: the operator " +
  'keeps a CronJob whose runs pull changed records from the source and push them to the sink, and records ' +
  'cursors and run results in status. Run now: set the annotation ' +
  `${runRequestedAtAnnotation} to a new value.`;

export const tenantSyncSchema = z
  .object({
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    metadata: objectMetaSchema,
    spec: tenantSyncSpecSchema,
    status: tenantSyncStatusSchema.optional(),
  })
  .meta({ description: tenantSyncDescription });
export type TenantSync = z.output<typeof tenantSyncSchema>;

/** Condition types and reasons (CamelCase words; messages are for people). */
export const conditionTypes = { ready: 'Ready', reconciling: 'Reconciling', stalled: 'Stalled', syncHealthy: 'SyncHealthy' } as const;
