// The TenantSync resource (tenantsync.io/v1alpha1): the ONE schema that gives the TypeScript types,
// the operator's runtime validation and the CRD's openAPIV3Schema (npm run generate).
// Every rule a structural schema cannot say is written twice, side by side: as a CEL rule for the
// API server (x-kubernetes-validations) and as a zod refinement for the operator.
import { z } from 'zod';
import { freshdeskStreamNames } from '../../sync-job/contract.js';
import { durationPattern, expressibleIntervalsText, isCronExpressible, parseDurationSeconds } from './duration.js';

export const group = 'tenantsync.io';
export const version = 'v1alpha1';
export const kind = 'TenantSync';
export const plural = 'tenantsyncs';
export const apiVersion = `${group}/${version}`;
export const defaultIntervalSeconds = 7200;
export const defaultInterval = '2h';
export const runRequestedAtAnnotation = 'tenantsync.io/run-requested-at';

type Rule = { rule: string; message?: string; messageExpression?: string; fieldPath?: string; reason?: string };
const cel = (...rules: Rule[]) => ({ 'x-kubernetes-validations': rules });

// ---- shared CEL fragments -------------------------------------------------------------------
const celDurationOk = (expr: string) => `${expr}.matches('${durationPattern}')`;
const celSeconds = (expr: string) => `duration(${expr}).getSeconds()`;
const celExpressible = (s: string) =>
  `(${s} > 0 && ${s} % 60 == 0 && ((${s} < 3600 && 3600 % ${s} == 0) || (${s} % 3600 == 0 && 86400 % ${s} == 0)))`;
const loopbackHosts = ['localhost', '127.0.0.1', '::1'];
const celUrlAllowed =
  `isURL(self) && (url(self).getScheme() == 'https' || (url(self).getScheme() == 'http' && ` +
  `(url(self).getHostname() in ${JSON.stringify(loopbackHosts).replaceAll('"', "'")} || url(self).getHostname().startsWith('127.') || ` +
  `url(self).getHostname().endsWith('.svc') || url(self).getHostname().endsWith('.svc.cluster.local'))))`;
const urlRuleMessage =
  'must be an https:// URL; plain http:// is allowed only to loopback (localhost, 127.0.0.0/8, ::1) or in-cluster service hosts (*.svc, *.svc.cluster.local)';

/** Twin of celUrlAllowed. */
export function isAllowedUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return (
    loopbackHosts.includes(host) || host.startsWith('127.') || host.endsWith('.svc') || host.endsWith('.svc.cluster.local')
  );
}

/** Twin of the time-zone check: Intl knows the same IANA database names Go's time package does. */
export function isKnownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// ---- field schemas --------------------------------------------------------------------------
const intervalMessage = `must be a duration such as 15m or 2h that a fixed cron schedule repeats evenly: one of ${expressibleIntervalsText}`;

const intervalField = z
  .string()
  .max(32)
  .refine((v) => {
    const s = parseDurationSeconds(v);
    return s !== undefined && isCronExpressible(s);
  }, intervalMessage)
  .meta({
    description:
      `How often the tenant is synced, as a Flux-style duration (e.g. 30m, 2h). Becomes a cron schedule with a ` +
      `per-tenant minute offset so tenants do not all start at once. Allowed: ${expressibleIntervalsText}. ` +
      `Exactly one of interval and schedule may be set; when neither is set the tenant is synced every ${defaultInterval}.`,
    ...cel({
      rule: `${celDurationOk('self')} && ${celExpressible(celSeconds('self'))}`,
      message: intervalMessage,
    }),
  });

const cronPattern = '^\\s*([0-9A-Za-z*?/,-]+\\s+){4}[0-9A-Za-z*?/,-]+\\s*$';
const scheduleMessage = 'must be a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "15 */2 * * *"';
const scheduleField = z
  .string()
  .max(128)
  .regex(new RegExp(cronPattern), scheduleMessage)
  .meta({
    description:
      'A 5-field cron expression (minute hour day-of-month month day-of-week) for when the tenant is synced, ' +
      'interpreted in timeZone. Use instead of interval when syncs must run at fixed wall-clock times.',
    ...cel({ rule: `self.matches('${cronPattern}')`, message: scheduleMessage }),
  });

const timeZoneMessage = 'must be an IANA time zone name such as Europe/Berlin or America/New_York';
const timeZoneField = z
  .string()
  .max(64)
  .refine(isKnownTimeZone, timeZoneMessage)
  .meta({
    description: 'IANA time zone of schedule (e.g. Europe/Berlin). Defaults to the kube-controller-manager\'s time zone (usually UTC). Only with schedule.',
    // CEL's timestamp accessors reject unknown zones with an evaluation error, which the API server reports.
    ...cel({ rule: `timestamp('2000-01-01T00:00:00Z').getHours(self) >= 0`, message: timeZoneMessage }),
  });

const secretKeyRef = (what: string, defaultKey: string) =>
  z
    .object({
      name: z
        .string()
        .min(1)
        .max(253)
        .meta({ description: `Name of the Secret in the TenantSync's namespace that holds the ${what}.` }),
      key: z
        .string()
        .min(1)
        .max(253)
        .default(defaultKey)
        .meta({ description: `Key in the Secret's data that holds the ${what}.` }),
    })
    .meta({ description: `Reference to the Secret key holding the ${what}. Never copied into status, logs or ConfigMaps.` });

const urlField = (what: string) =>
  z
    .string()
    .max(2048)
    .refine(isAllowedUrl, urlRuleMessage)
    .meta({ description: `${what} ${urlRuleMessage}.`, ...cel({ rule: celUrlAllowed, message: urlRuleMessage }) });

const streamIntervalMessage = 'must be a duration such as 6h or 24h';
const streamSchema = z
  .object({
    name: z.enum(freshdeskStreamNames).meta({ description: 'Stream to sync. One of: ' + freshdeskStreamNames.join(', ') + '.' }),
    interval: z
      .string()
      .max(32)
      .refine((v) => (parseDurationSeconds(v) ?? 0) >= 1, streamIntervalMessage)
      .optional()
      .meta({
        description:
          'How often this stream is synced, when less often than the tenant. Must be a multiple of the tenant\'s interval; ' +
          'a run skips the stream (reporting it NotDue) until this much time has passed since its last success.',
        ...cel({ rule: `${celDurationOk('self')} && ${celSeconds('self')} >= 1`, message: streamIntervalMessage }),
      }),
  })
  .meta({ description: 'One stream of the source and its optional own interval.' });

export const sourceSchema = z
  .object({
    type: z.literal('freshdesk').default('freshdesk').meta({ description: 'Kind of source. Only freshdesk today.' }),
    domain: z
      .string()
      .max(253)
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, 'must be a host name such as acme.freshdesk.com')
      .optional()
      .meta({ description: 'Freshdesk host of the tenant, e.g. acme.freshdesk.com (the API is then https://<domain>/api/v2). Exactly one of domain and baseUrl.' }),
    baseUrl: urlField('Base URL of the Freshdesk API host, without /api/v2 (e.g. https://acme.freshdesk.com). Exactly one of domain and baseUrl.').optional(),
    credentialsSecretRef: secretKeyRef('Freshdesk API key', 'apiKey'),
    streams: z
      .array(streamSchema)
      .max(freshdeskStreamNames.length)
      .optional()
      .meta({
        description: 'Streams to sync, each at most once. Default: all streams at the tenant\'s interval.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    startDate: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: 'Initial cursor: records updated before this time are not synced. Default: everything the API returns.' }),
    rateLimitPerMinute: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .optional()
      .meta({ description: 'Ceiling on API requests per minute for this tenant, below the account\'s Freshdesk plan limit, so other apps keep a share.' }),
  })
  .superRefine((s, ctx) => {
    if ((s.domain === undefined) === (s.baseUrl === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of domain and baseUrl must be set' });
    }
  })
  .meta({
    description: 'Where the tenant\'s data comes from.',
    ...cel({ rule: 'has(self.domain) != has(self.baseUrl)', message: 'exactly one of domain and baseUrl must be set' }),
  });

export const sinkSchema = z
  .object({
    type: z.literal('http').default('http').meta({ description: 'Kind of sink. Only http today (see the sink protocol in the README).' }),
    url: urlField('URL that receives batches by POST.'),
    authSecretRef: secretKeyRef('bearer token for the sink', 'token').optional(),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(10000)
      .default(100)
      .meta({ description: 'Records per POST. The cursor is checkpointed after every acknowledged batch.' }),
  })
  .meta({ description: 'Where records are delivered.' });

const timeoutMessage = 'must be a duration of at least 1m, such as 30m or 2h';
export const jobSchema = z
  .object({
    image: z.string().min(1).max(512).optional().meta({ description: 'Sync image; default: the image the operator was started with.' }),
    resources: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'Compute resources of the sync container (core/v1 ResourceRequirements).', 'x-kubernetes-preserve-unknown-fields': true, type: 'object' }),
    timeout: z
      .string()
      .max(32)
      .default('1h')
      .refine((v) => (parseDurationSeconds(v) ?? 0) >= 60, timeoutMessage)
      .meta({
        description: 'Longest a run may take (the Job\'s activeDeadlineSeconds). The job saves its acknowledged cursor when stopped.',
        ...cel({ rule: `${celDurationOk('self')} && ${celSeconds('self')} >= 60`, message: timeoutMessage }),
      }),
    backoffLimit: z.number().int().min(0).max(10).default(2).meta({ description: 'Retries of a failed run (the Job\'s backoffLimit). Credentials errors are never retried.' }),
    successfulJobsHistoryLimit: z.number().int().min(0).max(100).default(3).meta({ description: 'Finished Jobs to keep.' }),
    failedJobsHistoryLimit: z.number().int().min(0).max(100).default(3).meta({ description: 'Failed Jobs to keep.' }),
    nodeSelector: z.record(z.string(), z.string()).optional().meta({ description: 'Node selector of the sync pod.' }),
    tolerations: z
      .array(z.record(z.string(), z.unknown()))
      .optional()
      .meta({ description: 'Tolerations of the sync pod (core/v1 Toleration).', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }),
  })
  .meta({ description: 'How the sync Job runs.' });

// Rules that relate several spec fields.
const celStreamMultiples =
  `has(self.schedule) || !has(self.source.streams) || self.source.streams.all(s, !has(s.interval) || ` +
  `!${celDurationOk('s.interval')} || (has(self.interval) && !${celDurationOk('self.interval')}) || ` +
  `${celSeconds('s.interval')} % (has(self.interval) ? ${celSeconds('self.interval')} : ${defaultIntervalSeconds}) == 0)`;
const streamMultipleMessage = 'every stream interval must be a multiple of the tenant\'s interval (default 2h)';

export const tenantSyncSpecSchema = z
  .object({
    tenantId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must start with a letter or digit and contain only letters, digits, . _ : -')
      .optional()
      .meta({ description: 'Tenant id written on every delivered record. Default: metadata.name.' }),
    interval: intervalField.optional(),
    schedule: scheduleField.optional(),
    timeZone: timeZoneField.optional(),
    suspend: z.boolean().default(false).meta({ description: 'Stop starting new runs. A running run finishes.' }),
    source: sourceSchema,
    sink: sinkSchema,
    job: jobSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.interval !== undefined && spec.schedule !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'set either interval or schedule, not both', path: ['interval'] });
    }
    if (spec.timeZone !== undefined && spec.schedule === undefined) {
      ctx.addIssue({ code: 'custom', message: 'timeZone applies only to schedule', path: ['timeZone'] });
    }
    if (spec.schedule === undefined) {
      const base = spec.interval === undefined ? defaultIntervalSeconds : parseDurationSeconds(spec.interval);
      spec.source.streams?.forEach((s, i) => {
        const own = s.interval === undefined ? undefined : parseDurationSeconds(s.interval);
        if (own !== undefined && base !== undefined && base > 0 && own % base !== 0) {
          ctx.addIssue({ code: 'custom', message: streamMultipleMessage, path: ['source', 'streams', i, 'interval'] });
        }
      });
    }
  })
  .meta({
    description: 'What to sync for one tenant, how often, and where to deliver it.',
    ...cel(
      { rule: '!(has(self.interval) && has(self.schedule))', message: 'set either interval or schedule, not both', fieldPath: '.interval' },
      { rule: '!has(self.timeZone) || has(self.schedule)', message: 'timeZone applies only to schedule', fieldPath: '.timeZone' },
      { rule: celStreamMultiples, message: streamMultipleMessage, fieldPath: '.source.streams' },
    ),
  });
export type TenantSyncSpec = z.output<typeof tenantSyncSpecSchema>;
export type TenantSyncSpecInput = z.input<typeof tenantSyncSpecSchema>;

// ---- status ---------------------------------------------------------------------------------
export const conditionSchema = z.object({
  type: z.string().max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().nonnegative().optional(),
  lastTransitionTime: z.string(),
  reason: z.string().max(1024),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof conditionSchema>;

const cursorDisplay = z.string().meta({ description: 'The stream\'s cursor for people: the newest acknowledged updatedAt.' });
export const tenantSyncStatusSchema = z
  .object({
    observedGeneration: z.number().int().optional(),
    conditions: z
      .array(conditionSchema)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
    cronJobName: z.string().optional(),
    schedule: z.string().optional().meta({ description: 'The effective cron schedule of the CronJob.' }),
    nextRunTime: z.string().optional(),
    lastScheduleTime: z.string().optional(),
    lastRun: z
      .object({
        jobName: z.string(),
        trigger: z.enum(['scheduled', 'manual']),
        startTime: z.string().optional(),
        completionTime: z.string().optional(),
        outcome: z.string(),
        records: z.number().int().nonnegative().optional(),
        message: z.string().optional(),
      })
      .optional(),
    lastSuccessfulRunTime: z.string().optional(),
    consecutiveFailures: z.number().int().nonnegative().optional(),
    streams: z
      .array(
        z.object({
          name: z.string(),
          cursor: cursorDisplay.optional(),
          lastSuccessTime: z.string().optional(),
          lastRecords: z.number().int().nonnegative().optional(),
          lastOutcome: z.string().optional(),
        }),
      )
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
    lastHandledRunRequest: z.string().optional(),
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

export const tenantSyncSchema = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal(kind),
  metadata: objectMetaSchema,
  spec: tenantSyncSpecSchema,
  status: tenantSyncStatusSchema.optional(),
});
export type TenantSync = z.output<typeof tenantSyncSchema>;

/** Condition types and reasons (CamelCase words; messages are for people). */
export const conditionTypes = { ready: 'Ready', reconciling: 'Reconciling', stalled: 'Stalled', syncHealthy: 'SyncHealthy' } as const;
