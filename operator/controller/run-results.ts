// The I/O of run results: which finished Jobs of a TenantSync still wait to be applied, their pods'
// termination messages, the forward-only write of the state ConfigMap (optimistic concurrency on
// resourceVersion), and the mark on each Job once its result is in status.
//
// Applied once, durably — the order of writes in one pass is:
//   1. state ConfigMap: cursors merged forward (repeating it changes nothing: it is idempotent);
//   2. TenantSync status: runs newer than status.lastRun (ordered by completion time, then name)
//      change lastRun, lastSuccessfulRunTime and consecutiveFailures; older runs only cursors;
//   3. annotation tenantsync.io/result-applied on each Job: it is never looked at again.
// Killed after 1: the next pass applies the same runs again (state unchanged, status written once).
// Killed after 2: the Jobs are not marked, but status.lastRun already is (or is later than) each of
// them, so they count as older runs and nothing is counted twice in status.
import type { V1ConfigMap, V1Job, V1Pod } from '@kubernetes/client-node';
import type { JobResult, JobState } from '../../sync-job/contract.js';
import type { KubeReader, KubeWriter, ObjectRef } from '../kube/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.js';
import { readStateData, mergeState } from '../reconcile/cursor-merge.js';
import { emptyState, initialStateConfigMap, stateData } from '../reconcile/desired-configmaps.js';
import { fieldManager, type OwnerIdentity } from '../reconcile/labels.js';
import { childNames } from '../reconcile/names.js';
import { isResultApplied, jobFinish, resultAppliedAnnotation, runRecord, type JobFinish, type RunRecord } from '../reconcile/run-result.js';
import { compareRuns } from '../reconcile/run-status.js';

export type ResultsClient = KubeReader & Pick<KubeWriter, 'create' | 'mergePatch'>;

/** Label the Job controller puts on every pod of a Job. */
export const jobUidLabel = 'batch.kubernetes.io/controller-uid';
/** Conflicting writes of the state ConfigMap are retried this often (re-read, merge, write). */
const stateWriteAttempts = 5;

export interface FinishedJob {
  readonly job: V1Job;
  readonly finish: JobFinish;
}

/** Jobs that finished and were not applied yet, in completion order (then name). */
export function unappliedFinishedJobs(jobs: readonly V1Job[]): FinishedJob[] {
  return jobs
    .filter((job) => !isResultApplied(job) && !job.metadata?.deletionTimestamp)
    .flatMap((job) => {
      const finish = jobFinish(job);
      return finish === undefined ? [] : [{ job, finish }];
    })
    .sort((a, b) => compareRuns({ jobName: a.job.metadata?.name ?? '', completionTime: a.finish.time }, { jobName: b.job.metadata?.name ?? '', completionTime: b.finish.time }));
}

/** A run of a finished Job, read from its pods (listed by the Job's uid, so a namesake's pods never mix in). */
export async function readRun(client: ResultsClient, finished: FinishedJob): Promise<RunRecord> {
  const { job, finish } = finished;
  const uid = job.metadata?.uid;
  const pods = uid
    ? (await client.list<V1Pod>('v1', 'Pod', { namespace: job.metadata?.namespace, labelSelector: `${jobUidLabel}=${uid}` })).items
    : [];
  return runRecord(job, finish, pods);
}

export interface StateWrite {
  /** The state after the merge (what the next run reads). */
  readonly state: JobState;
  /** True when the ConfigMap was written. */
  readonly written: boolean;
  /** Set when the stored state was unreadable and has been replaced. */
  readonly replacedProblem: string | undefined;
}

/**
 * Merges the results' cursors into the state ConfigMap, forward only, and writes it when anything
 * moved — a merge patch carrying the resourceVersion it was computed from, so a concurrent writer
 * makes it re-read and merge again instead of being overwritten. Creates the ConfigMap when missing.
 */
export async function advanceState(client: ResultsClient, owner: OwnerIdentity, results: readonly JobResult[], retain = false): Promise<StateWrite> {
  return editState(client, owner, retain, (state, unreadable) => {
    let changed = unreadable && results.length > 0;
    for (const result of results) {
      const merged = mergeState(state, result);
      state = merged.state;
      changed ||= merged.changed;
    }
    return { state, changed };
  });
}

/**
 * Reads the state ConfigMap (creating it when missing), applies `edit` and writes the result when it
 * changed, with the resourceVersion it was computed from (a conflict re-reads and edits again).
 */
export async function editState(
  client: ResultsClient,
  owner: OwnerIdentity,
  retain: boolean,
  edit: (state: JobState, unreadable: boolean) => { state: JobState; changed: boolean },
): Promise<StateWrite> {
  const ref: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: owner.namespace, name: childNames(owner.name).stateConfigMap };
  for (let attempt = 1; ; attempt++) {
    const live = await client.get<V1ConfigMap>(ref);
    if (live === undefined) {
      try {
        await client.create(initialStateConfigMap(owner, retain), { fieldManager });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      continue;
    }
    const read = readStateData(live.data);
    const { state, changed } = edit(read.ok ? read.state : emptyState, !read.ok);
    const replacedProblem = read.ok ? undefined : read.problem;
    if (!changed) return { state: read.ok ? state : emptyState, written: false, replacedProblem: undefined };
    try {
      await client.mergePatch(ref, { metadata: { resourceVersion: live.metadata?.resourceVersion }, data: stateData(state) }, { fieldManager });
      return { state, written: true, replacedProblem };
    } catch (err) {
      if ((isConflict(err) || isNotFound(err)) && attempt < stateWriteAttempts) continue;
      throw err;
    }
  }
}

/** Marks a Job as applied. A Job deleted meanwhile (history limit) needs no mark. */
export async function markApplied(client: ResultsClient, job: V1Job, outcome: string): Promise<void> {
  const ref: ObjectRef = { apiVersion: 'batch/v1', kind: 'Job', namespace: job.metadata?.namespace, name: job.metadata?.name ?? '' };
  try {
    await client.mergePatch(
      ref,
      { metadata: { uid: job.metadata?.uid, annotations: { [resultAppliedAnnotation]: outcome } } },
      { fieldManager },
    );
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}
