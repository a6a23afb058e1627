// The effective schedule of a TenantSync: an interval becomes a cron expression with a deterministic
// per-tenant offset (so a thousand `2h` tenants do not all start at :00), or the user's own cron + zone.
import { defaultIntervalSeconds, type TenantSyncSpec } from '../api/tenantsync.js';
import { isCronExpressible, parseDurationSeconds } from '../api/duration.js';
import { CronError, nextRunTime, parseCron } from './cron.js';
import { uint32Hash } from './hash.js';

/** Interval-derived schedules are written in UTC so they mean the same on every cluster. */
export const intervalTimeZone = 'Etc/UTC';

export interface EffectiveSchedule {
  /** The 5-field cron expression given to the CronJob. */
  readonly cron: string;
  /** IANA zone the CronJob reads `cron` in; undefined = the kube-controller-manager's zone (usually UTC). */
  readonly timeZone: string | undefined;
  /** Seconds between runs when the schedule came from an interval (or the default). */
  readonly intervalSeconds: number | undefined;
  readonly source: 'interval' | 'default' | 'schedule';
}

/** Error with a stable code: the spec describes a schedule the CronJob controller would not run. */
export class ScheduleError extends Error {
  readonly code = 'InvalidSchedule';
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

/**
 * The cron of an interval for the tenant `namespace/name`. The offset comes from a SHA-256 of the
 * key, so it is the same in every operator process and after every restart:
 * - minute steps (m divides 60): `o-59/m * * * *` with o = hash mod m;
 * - hour steps (h divides 24): `M o-23/h * * *` with M = hash mod 60 and o = (hash div 60) mod h.
 */
export function intervalCron(intervalSeconds: number, namespace: string, name: string): string {
  if (!isCronExpressible(intervalSeconds)) {
    throw new ScheduleError(`interval of ${intervalSeconds}s cannot be written as a fixed cron schedule`);
  }
  const hash = uint32Hash(`${namespace}/${name}`);
  if (intervalSeconds < 3600) {
    const step = intervalSeconds / 60;
    if (step === 1) return '* * * * *';
    return `${hash % step}-59/${step} * * * *`;
  }
  const minute = hash % 60;
  const step = intervalSeconds / 3600;
  if (step === 1) return `${minute} * * * *`;
  const hourOffset = Math.floor(hash / 60) % step;
  if (step === 24) return `${minute} ${hourOffset} * * *`;
  return `${minute} ${hourOffset}-23/${step} * * *`;
}

/** The schedule the CronJob of this TenantSync runs on; throws ScheduleError for one it could not run. */
export function effectiveSchedule(spec: Pick<TenantSyncSpec, 'interval' | 'schedule' | 'timeZone'>, namespace: string, name: string): EffectiveSchedule {
  if (spec.schedule !== undefined) {
    const cron = spec.schedule.trim().split(/\s+/).join(' ');
    try {
      parseCron(cron);
      if (spec.timeZone !== undefined) nextRunTime(cron, new Date(0), spec.timeZone);
    } catch (err) {
      if (err instanceof CronError) throw new ScheduleError(`spec.schedule: ${err.message}`);
      throw err;
    }
    return { cron, timeZone: spec.timeZone, intervalSeconds: undefined, source: 'schedule' };
  }
  const intervalSeconds = spec.interval === undefined ? defaultIntervalSeconds : parseDurationSeconds(spec.interval);
  if (intervalSeconds === undefined || !isCronExpressible(intervalSeconds)) {
    throw new ScheduleError(`spec.interval: "${spec.interval}" cannot be written as a fixed cron schedule`);
  }
  return {
    cron: intervalCron(intervalSeconds, namespace, name),
    timeZone: intervalTimeZone,
    intervalSeconds,
    source: spec.interval === undefined ? 'default' : 'interval',
  };
}

/** When the effective schedule fires next after `now`; undefined when it never does. */
export function nextScheduledRun(schedule: EffectiveSchedule, now: Date): Date | undefined {
  return nextRunTime(schedule.cron, now, schedule.timeZone ?? 'UTC');
}
