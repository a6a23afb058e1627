// The next status of a TenantSync as one pure function of what a pass gathered (stored status, how the
// operator's work ended, the CronJob, the tenant's Jobs, the runs applied, the cursors, the time): the
// controller does the I/O, calls desiredStatus once, and writes the result only when it differs.
import type { V1CronJob, V1Job, V1Pod } from '@kubernetes/client-node';
import type { JobState } from '../../sync-job/contract.js';
import { conditionTypes, type TenantSyncStatus } from '../api/tenantsync.js';
import { reasons } from '../api/reasons.js';
import { blockedRun } from './run-blocked.js';
import { runQueue, waitingRuns } from './run-gate.js';
import { jobTrigger, latestMs, toTime, type RunRecord } from './run-result.js';
import { foldRuns, withRunHealth } from './run-status.js';
import { nextScheduledRun, type EffectiveSchedule } from './schedule.js';
import { computeStatus, formatTime, type ReconcileOutcome } from './status.js';

/** How the operator's own work in a pass failed (the controller's error policy decided it). */
export interface PassFailure {
  readonly kind: 'stalled' | 'wait' | 'retry';
  readonly reason: string;
  readonly message: string;
}

export interface DesiredStatusInputs {
  /** The stored status as far as it is valid (parseStoredStatus). */
  readonly old: TenantSyncStatus;
  readonly name: string;
  readonly generation: number | undefined;
  /** The TenantSync's creationTimestamp (RFC 3339): a tenant that never succeeded turns stale from it. */
  readonly createdAt: string | undefined;
  /** The valid spec's part status needs; undefined while the spec is invalid (or the pass ended before validating it). */
  readonly spec:
    | {
        readonly suspended: boolean;
        readonly schedule: EffectiveSchedule;
        /** Seconds between runs (schedulePeriodSeconds); undefined when the schedule has none. */
        readonly periodSeconds: number | undefined;
      }
    | undefined;
  /** Undefined when the pass's work succeeded. */
  readonly failure: PassFailure | undefined;
  /** A transient API error that has not repeated enough to be reported: conditions stay as they are. */
  readonly quietRetry: boolean;
  /** The CronJob as applied by the pass, else as cached; undefined when there is none. */
  readonly cronJob: V1CronJob | undefined;
  /** The tenant's Jobs as the pass left them (status.activeRun and waitingRuns). */
  readonly jobs: readonly V1Job[];
  /** The tenant's run pods as cached: the active run's tell whether it cannot start (RunBlocked). */
  readonly pods?: readonly V1Pod[] | undefined;
  /** Run requests the pass handled (started, or taken as inherited), when any. */
  readonly handledRunRequest: string | undefined;
  readonly handledResyncRequest: string | undefined;
  /** The pass let the CronJob run again (it was suspended) or changed its schedule. */
  readonly rearmed?: boolean;
  /** Finished runs whose results the pass applied (any order). */
  readonly runs: readonly RunRecord[];
  /** Runs whose Job vanished before their result was read, in the order they were noticed. */
  readonly lost: readonly { readonly jobName: string; readonly detectedAt: string }[];
  /** The state ConfigMap's cursors after the pass; undefined when unreadable or not read. */
  readonly state: JobState | undefined;
  /** The spec's stream names in spec order, once the pass got that far; else status keeps the streams it shows. */
  readonly streamNames: readonly string[] | undefined;
  readonly now: Date;
}

export interface DesiredStatus {
  readonly status: TenantSyncStatus;
  /** When the tenant turns stale, if it can and has not yet: the controller looks again then. */
  readonly staleAt: Date | undefined;
  /** When a run pod's grace ends (unschedulable, or an error the kubelet retries; then RunBlocked): look again then. */
  readonly recheckAt?: Date | undefined;
}

/** The status this pass should leave, or undefined when it must leave status alone (a quiet retry with nothing to record). */
export function desiredStatus(inputs: DesiredStatusInputs): DesiredStatus | undefined {
  const { old, spec, now } = inputs;
  // A transient error not yet repeated writes nothing, unless runs must be recorded (then conditions stay).
  if (inputs.quietRetry && inputs.runs.length === 0 && inputs.lost.length === 0) return undefined;
  const suspended = spec?.suspended === true;
  const outcome: ReconcileOutcome = inputs.quietRetry ? { kind: 'unchanged' } : outcomeOf(inputs, suspended);
  const schedules = outcome.kind === 'ready' && !suspended && spec !== undefined;
  // Resumed, a Secret that was missing arrived, or a new schedule: runs are due from now, so staleness counts from now
  // (not from a success of a week ago). Seen on the CronJob the pass un-suspended or moved, or, when that pass could
  // not write status, on the status it left.
  const rearmed = inputs.rearmed === true || (schedules && (wasHeld(old) || (old.schedule !== undefined && old.schedule !== spec.schedule.cron)));
  const scheduleStartTime = rearmed && !suspended && spec !== undefined ? formatTime(now) : old.scheduleStartTime;
  const lastScheduleTime = toTime(inputs.cronJob?.status?.lastScheduleTime as string | Date | undefined);
  let next = computeStatus({
    old,
    generation: inputs.generation,
    outcome,
    cronJobName: inputs.cronJob?.metadata?.name,
    schedule: spec?.schedule.cron,
    nextRunTime: schedules ? nextScheduledRun(spec.schedule, scheduleBase(inputs, lastScheduleTime, scheduleStartTime)) : undefined,
    lastScheduleTime,
    lastHandledRunRequest: inputs.handledRunRequest ?? old.lastHandledRunRequest,
    now,
  });
  if (inputs.handledResyncRequest !== undefined) next.lastHandledResyncRequest = inputs.handledResyncRequest;
  if (scheduleStartTime !== undefined) next.scheduleStartTime = scheduleStartTime;
  if (outcome.kind === 'unchanged') {
    // Only run results are recorded: what the failed pass would have changed is left as it was.
    for (const field of ['observedGeneration', 'cronJobName', 'schedule', 'nextRunTime'] as const) {
      if (old[field] === undefined) delete next[field];
      else (next as Record<string, unknown>)[field] = old[field];
    }
  }
  // The active run: shown in status.activeRun, and its pods tell whether it cannot start (RunBlocked below).
  const active = runQueue(inputs.jobs).active[0];
  next = withRunQueue(next, active, inputs.jobs);
  const latestLost = inputs.lost.at(-1);
  if (latestLost !== undefined) {
    next.lostRuns = (old.lostRuns ?? 0) + inputs.lost.length;
    next.lastLostRun = { jobName: latestLost.jobName, detectedAt: latestLost.detectedAt };
  }
  if (spec !== undefined || inputs.runs.length > 0) {
    // Run results: lastRun, counters and streams[] (the spec's streams; while it is invalid, those status shows).
    const streamNames = inputs.streamNames ?? (old.streams ?? []).map((s) => s.name);
    next = foldRuns({ status: next, runs: inputs.runs, state: inputs.state, streamNames });
  }
  if (spec === undefined) return { status: next, staleAt: undefined };
  const check = blockedRun(active, inputs.pods ?? [], now);
  // SyncHealthy and how it shows in Ready.
  const health = withRunHealth({
    status: next,
    name: inputs.name,
    cronJobName: next.cronJobName,
    periodSeconds: spec.periodSeconds,
    createdAt: inputs.createdAt,
    scheduleStartTime: next.scheduleStartTime,
    suspended,
    now,
    outcome,
    generation: inputs.generation,
    storedConditions: old.conditions ?? [],
    blocked: check.blocked,
  });
  return { ...health, recheckAt: check.recheckAt };
}

/**
 * The time the next scheduled run comes after: the newest of the CronJob's last start (lastScheduleTime), the time
 * its schedule began to count (scheduleStartTime: resumed, Secret arrived, schedule changed) and, before it ever
 * started a run, its creation, as the CronJob controller counts. So status.nextRunTime moves when the CronJob starts
 * a run, never merely because the clock passed it: a time in the past is a run that has not started (the previous
 * one still active, no CronJob controller, or skipped as more than startingDeadlineSeconds late), and an idle
 * operator writes nothing.
 */
function scheduleBase(inputs: DesiredStatusInputs, lastScheduleTime: string | undefined, scheduleStartTime: string | undefined): Date {
  const created = toTime(inputs.cronJob?.metadata?.creationTimestamp as string | Date | undefined) ?? inputs.createdAt;
  return new Date(latestMs([lastScheduleTime ?? created, scheduleStartTime]) ?? inputs.now.getTime());
}

/** The last pass left the CronJob held (Ready's reason says why: spec.suspend, or a Secret it could not start without). */
function wasHeld(old: TenantSyncStatus): boolean {
  const reason = old.conditions?.find((c) => c.type === conditionTypes.ready)?.reason;
  return reason === reasons.suspended || reason === reasons.secretNotFound;
}

/** What the pass came to, in the terms conditions care about. */
function outcomeOf(inputs: DesiredStatusInputs, suspended: boolean): ReconcileOutcome {
  const failure = inputs.failure;
  if (failure === undefined) {
    const cron = inputs.spec?.schedule.cron ?? '';
    const zone = inputs.spec?.schedule.timeZone ?? "the controller manager's time zone";
    const cronJob = inputs.cronJob?.metadata?.name ?? '';
    return suspended
      ? { kind: 'ready', suspended: true, message: `suspended: CronJob ${cronJob} starts no runs until spec.suspend is false` }
      : { kind: 'ready', suspended: false, message: `CronJob ${cronJob} runs on "${cron}" (${zone})` };
  }
  if (failure.kind === 'stalled') return { kind: 'stalled', reason: failure.reason, message: failure.message };
  return { kind: 'retrying', reason: failure.reason, message: failure.message };
}

/** status.activeRun (the active Job, runQueue's first) and status.waitingRuns, rebuilt from the tenant's Jobs. */
function withRunQueue(status: TenantSyncStatus, active: V1Job | undefined, jobs: readonly V1Job[]): TenantSyncStatus {
  const next = { ...status };
  if (active === undefined) delete next.activeRun;
  else {
    const startTime = toTime(active.status?.startTime as string | Date | undefined);
    next.activeRun = { jobName: active.metadata?.name ?? '', trigger: jobTrigger(active), ...(startTime !== undefined ? { startTime } : {}) };
  }
  const waiting = waitingRuns(jobs).map((w) => ({ jobName: w.jobName, trigger: w.trigger, ...(w.since !== undefined ? { since: w.since } : {}) }));
  if (waiting.length === 0) delete next.waitingRuns;
  else next.waitingRuns = waiting;
  return next;
}
