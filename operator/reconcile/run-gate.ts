// The run gate: never two active runs of one tenant, whatever started them. Every Job of a TenantSync
// starts suspended (the CronJob's template says so, and `kubectl create job --from` copies it); the
// operator lets one waiting Job start at a time, oldest first, only when no other run is active.
import type { V1Job } from '@kubernetes/client-node';
import { deadlineAnnotation } from './labels.js';
import { jobFinish, jobTrigger, timeMs, toTime, type Trigger } from './run-result.js';

/** A Job that waits for its turn. */
export interface WaitingRun {
  readonly jobName: string;
  readonly trigger: Trigger;
  readonly since: string | undefined;
}

export interface RunQueue {
  /** Jobs that run (not suspended, not finished): at most one, unless someone un-suspended a Job by hand. */
  readonly active: readonly V1Job[];
  /** Suspended, unfinished Jobs, oldest first: the next to start is the first. */
  readonly waiting: readonly V1Job[];
}

const isSuspended = (job: V1Job) => job.spec?.suspend === true;
const createdMs = (job: V1Job) => timeMs(job.metadata?.creationTimestamp as string | Date | undefined) || 0;

/** The tenant's unfinished Jobs, split into the active ones and the waiting queue (creation order, then name). */
export function runQueue(jobs: readonly V1Job[]): RunQueue {
  const unfinished = jobs.filter((job) => jobFinish(job) === undefined);
  const waiting = unfinished
    .filter((job) => isSuspended(job) && !job.metadata?.deletionTimestamp)
    .sort((a, b) => createdMs(a) - createdMs(b) || ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  // A Job being deleted still counts while unfinished and not suspended: its pod may still run.
  return { active: unfinished.filter((job) => !isSuspended(job)), waiting };
}

export interface GateInputs {
  readonly jobs: readonly V1Job[];
  /** spec.suspend: scheduled runs that wait are not started (a run someone asked for is). */
  readonly tenantSuspended: boolean;
}

/** The Job to start now, if any: the oldest waiting one, when nothing is active. */
export function nextRunToStart(inputs: GateInputs): V1Job | undefined {
  const { active, waiting } = runQueue(inputs.jobs);
  if (active.length > 0) return undefined;
  return waiting.find((job) => !inputs.tenantSuspended || jobTrigger(job) === 'manual');
}

/**
 * How long past its deadline a run may still be active before the operator gives it up. activeDeadlineSeconds
 * makes the Job controller fail a run at its deadline; this margin covers a slow controller and the pod's
 * grace period, so only a Job the Job controller stopped looking at (seen after a kube-apiserver restart:
 * its pod evicted, the Job left active with no pod, never failed) is still active after it.
 */
export const overdueGraceSeconds = 120;

/** When the active Job's run must be over: the deadline the operator gave its pods, else startTime + activeDeadlineSeconds. */
export function runDeadline(job: V1Job): number | undefined {
  const annotated = Date.parse(job.spec?.template?.metadata?.annotations?.[deadlineAnnotation] ?? '');
  if (!Number.isNaN(annotated)) return annotated;
  const started = timeMs(job.status?.startTime as string | Date | undefined);
  const seconds = job.spec?.activeDeadlineSeconds;
  return started === undefined || seconds === undefined ? undefined : started + seconds * 1000;
}

/** Active runs (not being deleted) still unfinished `overdueGraceSeconds` after their deadline: Kubernetes will not end them. */
export function overdueRuns(jobs: readonly V1Job[], nowMs: number): V1Job[] {
  return runQueue(jobs).active.filter((job) => {
    const deadline = runDeadline(job);
    return !job.metadata?.deletionTimestamp && deadline !== undefined && nowMs > deadline + overdueGraceSeconds * 1000;
  });
}

/** Milliseconds until the first active run becomes overdue (undefined when none is active with a deadline). */
export function untilOverdueMs(jobs: readonly V1Job[], nowMs: number): number | undefined {
  const times = runQueue(jobs)
    .active.map(runDeadline)
    .filter((t): t is number => t !== undefined)
    .map((t) => t + overdueGraceSeconds * 1000 - nowMs);
  return times.length === 0 ? undefined : Math.max(0, Math.min(...times));
}

/** The merge patch that starts a waiting Job: resume it and tell its pods when the run must be over. */
export function startPatch(job: V1Job, now: Date): object {
  const seconds = job.spec?.activeDeadlineSeconds;
  const deadline = seconds === undefined ? undefined : toTime(new Date(now.getTime() + seconds * 1000));
  return {
    // A precondition: a Job changed since we looked (e.g. started by another pass) makes this fail with 409.
    metadata: { resourceVersion: job.metadata?.resourceVersion },
    spec: {
      suspend: false,
      ...(deadline !== undefined ? { template: { metadata: { annotations: { [deadlineAnnotation]: deadline } } } } : {}),
    },
  };
}

/** The waiting Jobs as status shows them. */
export function waitingRuns(jobs: readonly V1Job[]): WaitingRun[] {
  return runQueue(jobs).waiting.map((job) => ({
    jobName: job.metadata?.name ?? '',
    trigger: jobTrigger(job),
    since: toTime(job.metadata?.creationTimestamp as string | Date | undefined),
  }));
}
