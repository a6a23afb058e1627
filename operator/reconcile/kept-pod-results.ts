// Results of run pods the operator's result finalizer keeps (evicted, deleted, or of a deleted Job), as a
// pure decision over the pods and Jobs the caches hold: which cursors to merge, which runs to make, which
// pods to let go. The controller reads the caches, writes the state, and releases the pods.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { JobResult } from '../../sync-job/contract.js';
import { resultFinalizer } from './labels.js';
import { isResultApplied, jobFinish, parseTerminationMessage, runRecord, toTime, type JobFinish, type RunRecord } from './run-result.js';

/** A pod still held by the operator's result finalizer. */
export function hasResultFinalizer(pod: V1Pod): boolean {
  return pod.metadata?.finalizers?.includes(resultFinalizer) === true;
}

/** The Job a pod belongs to. */
export function jobRefOf(pod: V1Pod): { name: string; uid: string } | undefined {
  return pod.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === 'Job');
}

export interface KeptPodInputs {
  /** The tenant's run pods. */
  readonly pods: readonly V1Pod[];
  /** Uids of the Jobs whose runs this pass makes from the Jobs themselves (their pods go with them). */
  readonly finishedUids: ReadonlySet<string | undefined>;
  /** The cached Job of that name, if any. */
  readonly jobNamed: (namespace: string, name: string) => V1Job | undefined;
  /** True when the operator applied the Job's result already (though the cache may not show its mark yet). */
  readonly appliedUid: (uid: string) => boolean;
  /** A deleted Job as it was last seen, when its run was not applied. */
  readonly lostJob: (uid: string) => V1Job | undefined;
  readonly now: Date;
}

export interface KeptPodResults {
  /** Runs made from the kept pods of deleted Jobs (same order as `runs`). */
  readonly finished: { readonly job: V1Job; readonly finish: JobFinish }[];
  readonly runs: RunRecord[];
  /** Results of attempts whose Job still runs (or was applied): their cursors only. */
  readonly cursorResults: JobResult[];
  /** Pods whose results are taken in by this pass: their finalizer goes once status holds them. */
  readonly release: V1Pod[];
  /** Uids of the deleted Jobs whose runs were made here (not lost after all). */
  readonly lostUids: string[];
}

/**
 * Pods held by the result finalizer once their container is over. Each is released after its result is applied:
 * - of a finished Job not applied yet: the Job's run reads it; released with it;
 * - of a Job still running (an evicted or deleted attempt; the Job may start another): its cursors are merged now,
 *   the run is recorded when the Job finishes;
 * - of a Job applied already: nothing new (merging its cursors again changes nothing);
 * - of a Job deleted (or being deleted) before its result was applied: its run is made from the pods kept,
 *   applied once like any other (the Job is then never reported lost).
 */
export function keptPodResults(inputs: KeptPodInputs): KeptPodResults {
  const out: KeptPodResults = { finished: [], runs: [], cursorResults: [], release: [], lostUids: [] };
  const byGoneJob = new Map<string, { job: V1Job; pods: V1Pod[] }>();
  for (const pod of inputs.pods) {
    if (!hasResultFinalizer(pod) || !podOver(pod)) continue;
    const ref = jobRefOf(pod);
    const cached = ref === undefined ? undefined : inputs.jobNamed(pod.metadata?.namespace ?? '', ref.name);
    const job = cached !== undefined && cached.metadata?.uid === ref?.uid ? cached : undefined;
    const uid = ref?.uid ?? '';
    const applied = inputs.appliedUid(uid) || (job !== undefined && isResultApplied(job));
    out.release.push(pod);
    if (inputs.finishedUids.has(uid)) continue;
    const deleted = job === undefined || job.metadata?.deletionTimestamp !== undefined;
    const lostJob = job ?? inputs.lostJob(uid);
    if (!applied && deleted && lostJob !== undefined) {
      const entry = byGoneJob.get(uid) ?? { job: lostJob, pods: [] };
      entry.pods.push(pod);
      byGoneJob.set(uid, entry);
      continue;
    }
    const parsed = parseTerminationMessage(terminatedMessage(pod));
    if (parsed.kind === 'result') out.cursorResults.push(parsed.result);
  }
  for (const [uid, { job, pods }] of byGoneJob) {
    // Pods that never reported a result (e.g. never scheduled) make no run: the Job is reported lost as before.
    if (!pods.some((pod) => parseTerminationMessage(terminatedMessage(pod)).kind === 'result')) continue;
    const finish = jobFinish(job) ?? deletedJobFinish(pods, inputs.now);
    out.finished.push({ job, finish });
    out.runs.push(runRecord(job, finish, pods));
    out.lostUids.push(uid);
  }
  return out;
}

/** The termination message of the pod's container that terminated. */
function terminatedMessage(pod: V1Pod): string | undefined {
  return pod.status?.containerStatuses?.find((c) => c.state?.terminated !== undefined)?.state?.terminated?.message;
}

/** Its container will not run (again): its termination message, if any, is final. */
function podOver(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  // Deleted before a node took it: no kubelet will ever report on it.
  return pod.metadata?.deletionTimestamp !== undefined && !pod.spec?.nodeName;
}

/** How a run whose Job was deleted before it finished ended: when its last kept pod did. */
function deletedJobFinish(pods: readonly V1Pod[], now: Date): JobFinish {
  const times = pods.flatMap((p) => (p.status?.containerStatuses ?? []).map((c) => toTime(c.state?.terminated?.finishedAt as string | Date | undefined)));
  const time = times.filter((t): t is string => t !== undefined).sort().at(-1) ?? toTime(now) ?? '';
  return { state: 'Failed', time, reason: 'JobDeleted', message: 'the Job was deleted while it ran' };
}
