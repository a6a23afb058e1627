// The job contract (docs/sync-job.md "The job contract"): config, state and result files.
// The ONE module of sync-job that the operator imports; it holds zod schemas and nothing else.
import { z } from 'zod';

/**
 * The streams a TenantSync without spec.source.streams syncs: the original set, which any agent's API key
 * may read. The newer streams are opt-in, so an upgrade changes nothing for existing tenants, and streams
 * that need an admin key (ticket_fields, roles, business_hours, sla_policies) or a plan feature never turn a
 * default tenant's runs PartiallySucceeded.
 */
export const defaultStreamNames = ['tickets', 'conversations', 'contacts', 'companies', 'agents', 'groups', 'articles', 'deleted_tickets'] as const;

/**
 * Freshdesk streams the job knows. `deleted_tickets` carries deleted and spam tickets as deletes. Reference
 * streams (companies, agents, groups, articles, ticket_fields, solution_categories, solution_folders, products,
 * roles, business_hours, sla_policies, surveys) are delivered whole on every run, as a snapshot the sink can replace.
 */
export const freshdeskStreamNames = [
  ...defaultStreamNames,
  'satisfaction_ratings',
  'time_entries',
  'ticket_fields',
  'solution_categories',
  'solution_folders',
  'products',
  'roles',
  'business_hours',
  'sla_policies',
  'surveys',
] as const;
export type StreamName = (typeof freshdeskStreamNames)[number];

/** Result files are read from a container's termination message, which the kubelet caps at 4096 bytes. */
export const maxResultBytes = 4096;

/** The lookback of a stream when the config names none: 5 minutes. */
export const defaultLookbackSeconds = 300;
/** The longest lookback accepted: 7 days (each run re-delivers what the window holds). */
export const maxLookbackSeconds = 7 * 24 * 3600;
/** Records per POST at most (sink.batchSize). */
export const maxSinkBatchSize = 10_000;

export const jobConfigSchema = z.object({
  tenantId: z.string().min(1),
  source: z.object({
    type: z.literal('freshdesk'),
    baseUrl: z.url(),
    streams: z.array(z.object({ name: z.enum(freshdeskStreamNames), intervalSeconds: z.number().int().nonnegative() })).min(1),
    rateLimitPerMinute: z.number().int().positive().optional(),
    /** Share of the account's Freshdesk budget (and of each list cap) this job may use, in percent. Default 80. */
    rateLimitSharePercent: z.number().int().min(1).max(100).optional(),
    /** The plan's own per-minute caps on the tickets and contacts lists; learned from headers or a 429 when absent. */
    listRateLimitsPerMinute: z.strictObject({ tickets: z.number().int().positive().optional(), contacts: z.number().int().positive().optional() }).optional(),
    startDate: z.iso.datetime({ offset: true }).optional(),
    /**
     * How far behind its cursor each run re-reads a stream (same-second rewrites, writes that become visible
     * late). Default defaultLookbackSeconds; 0 trusts the cursor exactly (boundary ids de-duplicated).
     */
    lookbackSeconds: z.number().int().nonnegative().max(maxLookbackSeconds).optional(),
  }),
  sink: z.object({
    type: z.enum(['http', 'stdout']),
    url: z.url().optional(),
    batchSize: z.number().int().positive().max(maxSinkBatchSize).optional(),
    /** Bytes of records per POST; a batch is sent before it would pass this. Default and ceiling: sized from the heap. */
    maxBatchBytes: z.number().int().min(1024).optional(),
  }),
});
export type JobConfig = z.infer<typeof jobConfigSchema>;

/**
 * A stream's cursor: the high-water `updatedAt` (UTC, one-second granularity) of acknowledged records
 * plus the ids already delivered at exactly that second. Absent fields mean "from the start".
 */
export const cursorSchema = z.object({
  updatedAt: z.iso.datetime({ offset: true }).optional(),
  ids: z.array(z.string()).optional(),
});
export type Cursor = z.infer<typeof cursorSchema>;

export const stateSchema = z.object({
  version: z.literal(1),
  /**
   * Whose cursors these are: "<Freshdesk API root> tenant <tenantId>" (see freshdeskApiRoot), set by the operator. A TenantSync pointed at
   * another Freshdesk account or tenant id must not continue from them (it would skip that source's older records).
   */
  source: z.string().optional(),
  streams: z.record(
    z.string(),
    z.object({
      cursor: cursorSchema,
      lastSuccessAt: z.iso.datetime({ offset: true }).optional(),
      /** Set by the operator when a re-sync set this cursor back: results of runs that started before it are not merged. */
      resetAt: z.iso.datetime({ offset: true }).optional(),
      /** The re-sync request (tenantsync.io/resync-requested-at value) that set it back: the same request never resets twice. */
      resetBy: z.string().optional(),
    }),
  ),
});
export type JobState = z.infer<typeof stateSchema>;

export const runOutcomes = ['Succeeded', 'PartiallySucceeded', 'Failed'] as const;
export const streamOutcomes = ['Succeeded', 'Failed', 'Skipped', 'NotDue'] as const;

export const resultSchema = z.object({
  version: z.literal(1),
  outcome: z.enum(runOutcomes),
  startedAt: z.iso.datetime({ offset: true }),
  finishedAt: z.iso.datetime({ offset: true }),
  /** Set when the whole run failed before or outside any stream (bad config, credentials). */
  error: z.string().optional(),
  streams: z.record(
    z.string(),
    z.object({
      outcome: z.enum(streamOutcomes),
      records: z.number().int().nonnegative(),
      cursor: cursorSchema,
      /** Of `records`, how many lay at or behind the cursor the run started from (re-read by the lookback). */
      redelivered: z.number().int().nonnegative().optional(),
      /**
       * Parents whose children Freshdesk refused (403/404), e.g. the tickets whose conversations could not be
       * read: how many, and the first ids (the list may be emptied to fit the result's size).
       */
      skipped: z.object({ count: z.number().int().nonnegative(), ids: z.array(z.string()) }).optional(),
      error: z.string().optional(),
    }),
  ),
});
export type JobResult = z.infer<typeof resultSchema>;

/**
 * Exit codes of the job: 2 and 3 make the Job's podFailurePolicy fail the Job at once (3: the run stopped
 * itself before its deadline; another attempt in the same Job would have no time left, the next run
 * continues from the cursors in the result).
 */
export const exitCodes = { ok: 0, streamFailed: 1, configOrCredentials: 2, deadline: 3 } as const;

/** Environment variables of the contract. */
export const envNames = {
  config: 'TENANTSYNC_CONFIG',
  state: 'TENANTSYNC_STATE',
  result: 'TENANTSYNC_RESULT',
  sourceApiKey: 'TENANTSYNC_SOURCE_API_KEY',
  sinkToken: 'TENANTSYNC_SINK_TOKEN',
  /** When the run must be over (RFC 3339; the operator sets it when it lets the Job start). */
  deadline: 'TENANTSYNC_DEADLINE',
  /** How long a run may take (seconds, spec.job.timeout): counted from the process start when no deadline is set. */
  deadlineSeconds: 'TENANTSYNC_DEADLINE_SECONDS',
} as const;

// Where a Freshdesk account's API v2 is, from config.source.baseUrl: one rule for the job (where it sends) and the
// operator (whose cursors a state holds), so spellings of one address are one source.

/** The origin (scheme, lower-case host, no default port) and the path prefix ending in /api/v2. */
export function freshdeskApiBase(baseUrl: string): { readonly origin: string; readonly pathPrefix: string } {
  const url = new URL(baseUrl);
  const base = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin, pathPrefix: /\/api\/v2$/.test(base) ? base : `${base}/api/v2` };
}

/** The API v2 root as one string, e.g. https://acme.freshdesk.com/api/v2. */
export function freshdeskApiRoot(baseUrl: string): string {
  const { origin, pathPrefix } = freshdeskApiBase(baseUrl);
  return `${origin}${pathPrefix}`;
}
