// What one reconcile pass of a TenantSync finds, step by step, as values the steps return (never an object
// they mutate): gathered once into PassResults for the status (desiredStatus) and the bookkeeping after it.
import type { V1CronJob, V1Job, V1Pod } from '@kubernetes/client-node';
import type { JobState } from '../../sync-job/contract.js';
import type { TenantSync } from '../api/tenantsync.js';
import type { ChildrenEvent } from '../reconcile/child-events.js';
import type { RunRecord } from '../reconcile/run-result.js';
import type { EffectiveSchedule } from '../reconcile/schedule.js';
import type { ErrorAction } from './errors.js';
import type { FinishedJob } from './run-results.js';

/** What step 2 applied: finished runs with their records (same order), the cursors written, pods to release. */
export interface AppliedRuns {
  readonly finished: readonly FinishedJob[];
  readonly runs: readonly RunRecord[];
  /** The state ConfigMap's state after the merge (undefined when nothing was merged). */
  readonly state: JobState | undefined;
  /** Pods whose result is applied by this pass: their result finalizer is removed in step 13. */
  readonly releasePods: readonly V1Pod[];
  /** Uids of deleted Jobs whose kept pods made their run after all (not lost). */
  readonly madeFromKeptPods: readonly string[];
}

export const noRunsApplied: AppliedRuns = { finished: [], runs: [], state: undefined, releasePods: [], madeFromKeptPods: [] };

/** What steps 3–9 found, as far as they got. */
export interface ChildrenFound {
  /** The valid spec and its schedule (step 3). */
  readonly spec: { readonly tenantSync: TenantSync; readonly schedule: EffectiveSchedule } | undefined;
  /** Stream names of the job config, in spec order (status.streams[]). */
  readonly streamNames: readonly string[] | undefined;
  readonly secretsMissing: string | undefined;
  /** The state ConfigMap's state after this pass (undefined when unreadable or not read). */
  readonly state: JobState | undefined;
  readonly cronJob: V1CronJob | undefined;
  readonly handledRunRequest: string | undefined;
  readonly handledResyncRequest: string | undefined;
  /** This pass let the CronJob run again or changed its schedule (it was suspended — spec.suspend, a missing Secret). */
  readonly rearmed?: boolean;
  /** The tenant's Jobs as the run gate left them. */
  readonly jobs: readonly V1Job[] | undefined;
  /** Look again this soon (a Job changed while the gate started it). */
  readonly requeueSoonMs: number | undefined;
  /** The error that ended the steps early. */
  readonly error?: unknown;
  /** The Event for the children created or changed (told with the status write, or when the pass ends). */
  readonly childrenEvent?: ChildrenEvent | undefined;
}

/** An Event not told yet: the status write takes it (and clears it), else it is told when the pass ends. */
export interface PendingEvent {
  event: ChildrenEvent | undefined;
}

/** The run gate's view of the tenant's Jobs after it acted. */
export interface GateResult {
  readonly jobs: readonly V1Job[];
  readonly requeueSoonMs?: number;
  /** Starting the next run failed (other than a 409/404, which only means look again). */
  readonly error?: unknown;
}

/** Everything a pass found, gathered once for the status (step 12) and the bookkeeping after it (step 13). */
export interface PassResults {
  readonly applied: AppliedRuns;
  readonly children: ChildrenFound;
  /** Runs whose Job vanished before their result was read, reported by this pass. */
  readonly lost: readonly LostRun[];
  readonly failure: ErrorAction | undefined;
  /** A transient API error that has not repeated enough to be reported: conditions stay as they are. */
  readonly quietRetry: boolean;
  /** The children's Event, until the status write (or the end of the pass) tells it. */
  readonly childrenNote: PendingEvent;
}

/** A run whose Job was deleted before the operator read its result. */
export interface LostRun {
  readonly uid: string;
  readonly jobName: string;
  readonly detectedAt: string;
  /** The Job as it was last seen: a pod it left behind (result finalizer) still makes its run. */
  readonly job?: V1Job;
}
