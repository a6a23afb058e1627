// The run-result half of a TenantSync's status, as pure functions: folding finished runs into lastRun,
// lastSuccessfulRunTime, consecutiveFailures and streams[]; the SyncHealthy condition (failed or stale)
// and when staleness will set in; and how sync health shows in the Ready summary.
import type { JobResult, JobState } from '../../sync-job/contract.js';
import { syncReasons } from '../api/reasons.js';
import { conditionTypes, type Condition, type TenantSyncStatus } from '../api/tenantsync.js';
import { nextRunTime } from './cron.js';
import { cursorDisplay } from './cursor-merge.js';
import { setCondition, sortConditions, type ConditionInput } from './conditions.js';
import type { BlockedRun } from './run-blocked.js';
import { latestMs, type RunRecord } from './run-result.js';
import type { EffectiveSchedule } from './schedule.js';
import type { ReconcileOutcome } from './status.js';

export { syncReasons } from '../api/reasons.js';

/** A tenant is stale when no run succeeded for this many periods. */
export const staleFactor = 2;

type LastRun = NonNullable<TenantSyncStatus['lastRun']>;
type RunKey = { readonly jobName: string; readonly completionTime?: string | undefined };

/** Runs are ordered by completion time, then Job name (so ties order the same way in every process). */
export function compareRuns(a: RunKey, b: RunKey): number {
  const ta = Date.parse(a.completionTime ?? '') || 0;
  const tb = Date.parse(b.completionTime ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return a.jobName < b.jobName ? -1 : a.jobName > b.jobName ? 1 : 0;
}

/**
 * True when `run` comes after the run status already shows. Only such runs change lastRun and the
 * counters; an older run (finished earlier, seen late — or already counted before a crash) can only
 * move cursors forward. This is what keeps consecutiveFailures exact when the operator dies between
 * writing status and marking the Job applied.
 */
export function isNewerRun(run: RunKey, lastRun: LastRun | undefined): boolean {
  return lastRun === undefined || compareRuns(run, lastRun) > 0;
}

type StreamOutcome = JobResult['streams'][string]['outcome'];

function streamRan(outcome: StreamOutcome): boolean {
  return outcome !== 'NotDue';
}

export interface RunFoldInputs {
  readonly status: TenantSyncStatus;
  /** Runs applied in this pass (any order). */
  readonly runs: readonly RunRecord[];
  /** The state after this pass's merges (the cursors the next run reads); undefined when unreadable. */
  readonly state: JobState | undefined;
  /** The TenantSync's streams, in spec order. */
  readonly streamNames: readonly string[];
}

/** Status with the runs folded in, in completion order, and streams[] rebuilt from the state. */
export function foldRuns(inputs: RunFoldInputs): TenantSyncStatus {
  const next: TenantSyncStatus = { ...inputs.status };
  const latestOutcomes = new Map<string, { outcome: StreamOutcome; records: number | undefined }>();
  for (const run of [...inputs.runs].sort(compareRuns)) {
    if (!isNewerRun(run, next.lastRun)) continue;
    next.lastRun = {
      jobName: run.jobName,
      trigger: run.trigger,
      ...(run.startTime !== undefined ? { startTime: run.startTime } : {}),
      completionTime: run.completionTime,
      outcome: run.outcome,
      records: run.records,
      message: run.message,
    };
    if (run.outcome === 'Succeeded') {
      next.lastSuccessfulRunTime = run.completionTime;
      next.consecutiveFailures = 0;
    } else {
      next.consecutiveFailures = (next.consecutiveFailures ?? 0) + 1;
    }
    for (const [name, s] of Object.entries(run.result?.streams ?? {})) {
      latestOutcomes.set(name, { outcome: s.outcome, records: streamRan(s.outcome) ? s.records : undefined });
    }
  }
  const streams = streamStatus(inputs.status.streams ?? [], latestOutcomes, inputs.state, inputs.streamNames);
  if (streams.length > 0) next.streams = streams;
  else delete next.streams;
  return next;
}

type StreamStatus = NonNullable<TenantSyncStatus['streams']>[number];

function streamStatus(
  old: readonly StreamStatus[],
  latest: ReadonlyMap<string, { outcome: StreamOutcome; records: number | undefined }>,
  state: JobState | undefined,
  names: readonly string[],
): StreamStatus[] {
  return names.map((name) => {
    const before = old.find((s) => s.name === name);
    const saved = state?.streams[name];
    const run = latest.get(name);
    const out: StreamStatus = { name };
    const cursor = state === undefined ? before?.cursor : cursorDisplay(saved?.cursor);
    if (cursor !== undefined) out.cursor = cursor;
    const lastSuccess = state === undefined ? before?.lastSuccessTime : saved?.lastSuccessAt === undefined ? undefined : secondPrecision(saved.lastSuccessAt);
    if (lastSuccess !== undefined) out.lastSuccessTime = lastSuccess;
    const records = run?.records ?? before?.lastRecords;
    if (records !== undefined) out.lastRecords = records;
    const outcome = run?.outcome ?? before?.lastOutcome;
    if (outcome !== undefined) out.lastOutcome = outcome;
    return out;
  });
}

function secondPrecision(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How many runs are looked at to find a cron schedule's period. */
const periodSampleRuns = 32;

/**
 * Seconds between runs: the interval, or for a cron schedule the longest gap between consecutive
 * runs after `from` (so "weekdays at 9" has a 3-day period and a weekend is not stale).
 */
export function schedulePeriodSeconds(schedule: EffectiveSchedule, from: Date): number | undefined {
  if (schedule.intervalSeconds !== undefined) return schedule.intervalSeconds;
  let t = nextRunTime(schedule.cron, from, schedule.timeZone ?? 'UTC');
  let longest = 0;
  for (let i = 0; t !== undefined && i < periodSampleRuns; i++) {
    const n = nextRunTime(schedule.cron, t, schedule.timeZone ?? 'UTC');
    if (n === undefined) break;
    longest = Math.max(longest, (n.getTime() - t.getTime()) / 1000);
    t = n;
  }
  return longest > 0 ? longest : undefined;
}

/** "90s", "15m", "2h", "3d", "1d12h": a period as people write it. */
export function formatPeriod(seconds: number): string {
  const units: [number, string][] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [size, unit] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join('') || '0s';
}

/**
 * When a tenant turns stale: staleFactor periods after its last success (after its creation when it never
 * succeeded), or after its runs were re-armed (resumed, schedule changed) when that is later.
 */
export function staleDeadline(lastSuccess: string | undefined, createdAt: string | undefined, periodSeconds: number | undefined, scheduleStartTime?: string): Date | undefined {
  const anchorMs = staleAnchorMs(lastSuccess, createdAt, scheduleStartTime);
  if (anchorMs === undefined || periodSeconds === undefined) return undefined;
  return new Date(anchorMs + staleFactor * periodSeconds * 1000);
}

/** What staleness counts from (ms): the last success, else the creation, or the re-arming (scheduleStartTime) when later. */
export function staleAnchorMs(lastSuccess: string | undefined, createdAt: string | undefined, scheduleStartTime?: string): number | undefined {
  return latestMs([lastSuccess ?? createdAt, scheduleStartTime]);
}

export interface HealthInputs {
  readonly status: TenantSyncStatus;
  readonly name: string;
  readonly cronJobName: string | undefined;
  readonly periodSeconds: number | undefined;
  /** The TenantSync's creationTimestamp (RFC 3339). */
  readonly createdAt: string | undefined;
  /** status.scheduleStartTime: when its runs were last re-armed (resumed, schedule changed). */
  readonly scheduleStartTime?: string | undefined;
  /** A suspended tenant runs nothing on purpose: it is never stale. */
  readonly suspended: boolean;
  /** The active run cannot start (its pod says why): reported before anything else. */
  readonly blocked?: BlockedRun | undefined;
  readonly now: Date;
}

export interface SyncHealth {
  readonly condition: ConditionInput;
  /** When staleness will set in, if it has not yet and could: the controller looks again then. */
  readonly staleAt: Date | undefined;
}

/**
 * SyncHealthy: False (RunBlocked) while the active run's pod cannot start; False (SyncFailed / SyncPartiallyFailed)
 * when the last run did not fully succeed;
 * False (Stale) when no run succeeded within staleFactor periods; True after a success; Unknown
 * before the first run finished.
 */
export function syncHealth(inputs: HealthInputs): SyncHealth {
  const { status, periodSeconds, suspended, now } = inputs;
  const deadline = suspended ? undefined : staleDeadline(status.lastSuccessfulRunTime, inputs.createdAt, periodSeconds, inputs.scheduleStartTime);
  const stale = deadline !== undefined && now.getTime() >= deadline.getTime();
  const period = periodSeconds === undefined ? 'the schedule' : `every ${formatPeriod(periodSeconds)}`;
  const staleText = status.lastSuccessfulRunTime
    ? `no run has succeeded since ${status.lastSuccessfulRunTime}, though runs are due ${period}`
    : `no run has succeeded since the TenantSync was created at ${inputs.createdAt}, though runs are due ${period}`;
  const lastRun = status.lastRun;
  const staleAt = deadline !== undefined && !stale ? deadline : undefined;
  const type = conditionTypes.syncHealthy;
  if (inputs.blocked !== undefined) {
    const message = `run ${inputs.blocked.jobName} cannot start: ${inputs.blocked.message}. Pods: kubectl describe pods -l job-name=${inputs.blocked.jobName}`;
    return { condition: { type, status: 'False', reason: syncReasons.runBlocked, message }, staleAt };
  }
  if (lastRun !== undefined && lastRun.outcome !== 'Succeeded') {
    const partial = lastRun.outcome === 'PartiallySucceeded';
    const count = status.consecutiveFailures ?? 1;
    const message =
      `run ${lastRun.jobName} ${partial ? 'partially failed' : 'failed'} at ${lastRun.completionTime}` +
      `${count > 1 ? ` (${count} runs in a row have not succeeded)` : ''}: ${lastRun.message ?? 'no message'}` +
      `${stale ? `; ${staleText}` : ''}. Logs: kubectl logs job/${lastRun.jobName}`;
    return { condition: { type, status: 'False', reason: partial ? syncReasons.partiallyFailed : syncReasons.failed, message }, staleAt };
  }
  if (stale) {
    const where = inputs.cronJobName ? `; check the CronJob ${inputs.cronJobName} and its Jobs (kubectl get jobs -l tenantsync.io/name=${inputs.name})` : '';
    return { condition: { type, status: 'False', reason: syncReasons.stale, message: `${staleText}${where}` }, staleAt };
  }
  if (lastRun !== undefined) {
    return {
      condition: { type, status: 'True', reason: syncReasons.succeeded, message: `run ${lastRun.jobName} succeeded at ${lastRun.completionTime}: ${lastRun.message ?? ''}`.trim() },
      staleAt,
    };
  }
  return {
    condition: { type, status: 'Unknown', reason: syncReasons.awaitingFirstRun, message: 'no run has finished yet; the first starts on the schedule (status.nextRunTime) or on a run request' },
    staleAt,
  };
}

/**
 * The Ready summary, decided here: Ready says whether the tenant is being synced as asked. When the
 * operator's own work succeeded (outcome ready) and the tenant is not suspended, a False SyncHealthy
 * makes Ready False with the same reason and message, so `kubectl get tsync` shows a failing or stale
 * tenant at a glance. Reconciling/Stalled are NOT set for it (the operator has nothing left to do and a
 * retry cannot help), so kstatus reads the object as InProgress, not Failed: a Flux Kustomization with
 * `wait: true` reports the tenant as not ready until it recovers, as Flux's own objects do.
 */
export function withSyncHealth(
  conditions: readonly Condition[],
  health: ConditionInput,
  outcome: ReconcileOutcome,
  suspended: boolean,
  generation: number | undefined,
  now: Date,
  stored: readonly Condition[] = conditions,
): Condition[] {
  let next = setCondition(conditions, health, generation, now);
  if (outcome.kind === 'ready' && !suspended && health.status === 'False') {
    // Ready's transition time is judged against the stored Ready, not against the True the pass's own
    // outcome set a moment ago: else it would be "now" on every pass, and so would every status write.
    const ready = setCondition(stored, { type: conditionTypes.ready, status: 'False', reason: health.reason, message: health.message }, generation, now);
    next = sortConditions([...next.filter((c) => c.type !== conditionTypes.ready), ...ready.filter((c) => c.type === conditionTypes.ready)]);
  }
  return next;
}

export interface RunHealthInputs extends HealthInputs {
  readonly outcome: ReconcileOutcome;
  readonly generation: number | undefined;
  /** The conditions as stored before this pass (Ready's transition time is judged against them); default status's. */
  readonly storedConditions?: readonly Condition[] | undefined;
}

/**
 * The status with SyncHealthy computed from its runs and shown in Ready (syncHealth, then withSyncHealth),
 * and when staleness sets in if it has not yet: the last step of a controller pass.
 */
export function withRunHealth(inputs: RunHealthInputs): { status: TenantSyncStatus; staleAt: Date | undefined } {
  const { status, outcome, suspended, generation, now } = inputs;
  const health = syncHealth(inputs);
  const conditions = withSyncHealth(status.conditions ?? [], health.condition, outcome, suspended, generation, now, inputs.storedConditions ?? status.conditions ?? []);
  return { status: { ...status, conditions }, staleAt: health.staleAt };
}
