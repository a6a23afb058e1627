// The status of a TenantSync, rebuilt on every pass from what the reconcile found (never accumulated),
// and the test that decides whether it must be written at all: an idle cluster sees no status writes.
import { conditionTypes, tenantSyncStatusSchema, type Condition, type TenantSyncStatus } from '../api/tenantsync.js';
import { canonicalJson } from '../../sync-job/canonical-json.js';
import { reasons, removeCondition, setCondition, sortConditions } from './conditions.js';

/** How the reconcile ended, in the terms status cares about. */
export type ReconcileOutcome =
  /** Everything applied; the CronJob runs (or is suspended by the user). */
  | { readonly kind: 'ready'; readonly suspended: boolean; readonly message: string }
  /** A person must act (bad spec, missing Secret, name taken): Stalled=True, Ready=False. */
  | { readonly kind: 'stalled'; readonly reason: string; readonly message: string }
  /** A step failed in a way that may pass (API error): Reconciling=True, Ready=False, retried with backoff. */
  | { readonly kind: 'retrying'; readonly reason: string; readonly message: string }
  /** A transient API error not yet repeated: conditions stay as they are (no flapping), retried with backoff. */
  | { readonly kind: 'unchanged' };

export interface StatusInputs {
  readonly old: TenantSyncStatus | undefined;
  readonly generation: number | undefined;
  readonly outcome: ReconcileOutcome;
  /** Name of the CronJob when it exists. */
  readonly cronJobName: string | undefined;
  /** The effective cron expression; undefined when the spec has none (invalid). */
  readonly schedule: string | undefined;
  readonly nextRunTime: Date | undefined;
  /** From the CronJob's status. */
  readonly lastScheduleTime: string | Date | undefined;
  readonly lastHandledRunRequest: string | undefined;
  readonly now: Date;
}

/**
 * The stored status as the operator's type. A field the schema rejects (written by a person, an older
 * release, or anything else) is dropped on its own and named, so it is rewritten on the next status
 * write; every other field (lastRun, lastSuccessfulRunTime, consecutiveFailures, …) is kept. Parsing
 * the whole object at once would turn one bad field into an empty status, and the next write would
 * erase the run history.
 */
export function parseStoredStatus(raw: unknown): { readonly status: TenantSyncStatus; readonly invalidFields: readonly string[] } {
  const whole = tenantSyncStatusSchema.safeParse(raw ?? {});
  if (whole.success) return { status: whole.data, invalidFields: [] };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { status: {}, invalidFields: ['status'] };
  const shape = tenantSyncStatusSchema.shape;
  const status: Record<string, unknown> = {};
  const invalidFields: string[] = [];
  for (const [field, value] of Object.entries(raw)) {
    const schema = (shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } } | undefined>)[field];
    const parsed = schema?.safeParse(value);
    if (parsed?.success) status[field] = parsed.data;
    else invalidFields.push(field);
  }
  return { status: status as TenantSyncStatus, invalidFields };
}

/** RFC 3339 with second precision, like every timestamp the API server writes. */
export function formatTime(time: string | Date): string {
  const date = typeof time === 'string' ? new Date(time) : time;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function outcomeConditions(old: readonly Condition[], outcome: ReconcileOutcome, generation: number | undefined, now: Date): Condition[] {
  let conditions = [...old];
  switch (outcome.kind) {
    case 'unchanged':
      break;
    case 'ready':
      conditions = setCondition(
        conditions,
        { type: conditionTypes.ready, status: 'True', reason: outcome.suspended ? reasons.suspended : reasons.reconciled, message: outcome.message },
        generation,
        now,
      );
      conditions = removeCondition(removeCondition(conditions, conditionTypes.reconciling), conditionTypes.stalled);
      break;
    case 'stalled':
      conditions = setCondition(conditions, { type: conditionTypes.ready, status: 'False', reason: outcome.reason, message: outcome.message }, generation, now);
      conditions = setCondition(conditions, { type: conditionTypes.stalled, status: 'True', reason: outcome.reason, message: outcome.message }, generation, now);
      conditions = removeCondition(conditions, conditionTypes.reconciling);
      break;
    case 'retrying':
      conditions = setCondition(conditions, { type: conditionTypes.ready, status: 'False', reason: outcome.reason, message: outcome.message }, generation, now);
      conditions = setCondition(
        conditions,
        { type: conditionTypes.reconciling, status: 'True', reason: reasons.progressingWithRetry, message: `retrying after: ${outcome.message}` },
        generation,
        now,
      );
      conditions = removeCondition(conditions, conditionTypes.stalled);
      break;
  }
  return sortConditions(conditions);
}

/**
 * The new status. Fields written from run results (lastRun, streams, SyncHealthy, …) are carried over
 * unchanged; the rest is rebuilt from this pass.
 */
export function computeStatus(inputs: StatusInputs): TenantSyncStatus {
  const old = inputs.old ?? {};
  const next: TenantSyncStatus = { ...old };
  if (inputs.generation !== undefined) next.observedGeneration = inputs.generation;
  next.conditions = outcomeConditions(old.conditions ?? [], inputs.outcome, inputs.generation, inputs.now);
  assign(next, 'cronJobName', inputs.cronJobName);
  assign(next, 'schedule', inputs.schedule);
  assign(next, 'nextRunTime', inputs.nextRunTime === undefined ? undefined : formatTime(inputs.nextRunTime));
  assign(next, 'lastScheduleTime', inputs.lastScheduleTime === undefined ? undefined : formatTime(inputs.lastScheduleTime));
  assign(next, 'lastHandledRunRequest', inputs.lastHandledRunRequest);
  return next;
}

function assign<K extends keyof TenantSyncStatus>(status: TenantSyncStatus, key: K, value: TenantSyncStatus[K] | undefined): void {
  if (value === undefined) delete status[key];
  else status[key] = value;
}

/**
 * The canonical JSON of `next` when writing it would change what is stored (the only case in which status is
 * written), else undefined. The writer hashes that JSON to remember what it wrote: serialized once per pass.
 */
export function changedStatusJson(old: TenantSyncStatus | undefined, next: TenantSyncStatus): string | undefined {
  const json = canonicalJson(next);
  return canonicalJson(old ?? {}) === json ? undefined : json;
}

export interface StatusEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

/**
 * The Event a status change deserves: one when Ready changes status or reason (not on every pass), so
 * a TenantSync stuck on a missing Secret emits SecretNotFound once, not once per retry.
 */
export function readyTransitionEvent(old: TenantSyncStatus | undefined, next: TenantSyncStatus): StatusEvent | undefined {
  const before = old?.conditions?.find((c) => c.type === conditionTypes.ready);
  const after = next.conditions?.find((c) => c.type === conditionTypes.ready);
  if (after === undefined) return undefined;
  if (before !== undefined && before.status === after.status && before.reason === after.reason) return undefined;
  return { type: after.status === 'True' ? 'Normal' : 'Warning', reason: after.reason, message: after.message };
}
