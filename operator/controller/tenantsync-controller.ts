// The TenantSync reconciler: a level-based reconcile that reads as a numbered story (load → run results →
// validate → Secrets → children → run-now → run gate → one status patch → mark applied Jobs → requeue).
// The queue, watches, requeue handling and reconcile metrics are the generic runtime/controller.ts.
import type { V1ConfigMap, V1CronJob, V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { JobState } from '../../sync-job/contract.js';
import { apiVersion, kind, type TenantSync, type TenantSyncStatus } from '../api/tenantsync.js';
import type { KubeObject, KubeReader, KubeWriter, ObjectRef, StatusWriter } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.js';
import type { EventRecorderLike, EventType } from '../kube/events.js';
import { eventReasons, reasons } from '../api/reasons.js';
import { desiredCronJob } from '../reconcile/desired-cronjob.js';
import { desiredConfigMap, initialStateConfigMap, jobConfig } from '../reconcile/desired-configmaps.js';
import { readStateData } from '../reconcile/cursor-merge.js';
import { fieldManager, nameLabel, resultFinalizer, type OwnerIdentity } from '../reconcile/labels.js';
import { mergePatch } from '../reconcile/merge-patch.js';
import { childNames, nameLabelValue } from '../reconcile/names.js';
import { nextRunToStart, runQueue, startPatch, waitingRuns } from '../reconcile/run-gate.js';
import { conflictMessage, ownershipOf } from '../reconcile/ownership.js';
import { decideRunNow, isInheritedRunRequest, manualJob } from '../reconcile/run-now.js';
import { decideResync, resetCursors } from '../reconcile/resync.js';
import { isResultApplied, jobFinish, jobTrigger, parseTerminationMessage, runRecord, toTime, type JobFinish, type RunRecord } from '../reconcile/run-result.js';
import { foldRuns, schedulePeriodSeconds, withRunHealth } from '../reconcile/run-status.js';
import { nextScheduledRun, type EffectiveSchedule } from '../reconcile/schedule.js';
import { missingSecretsMessage, secretReferences, type SecretLookup } from '../reconcile/secrets.js';
import { canonicalJson, computeStatus, parseStoredStatus, readyTransitionEvent, statusChanged, type ReconcileOutcome } from '../reconcile/status.js';
import type { SyncPodDefaults } from '../reconcile/sync-pod.js';
import { validateTenantSync } from '../reconcile/validate.js';
import { errorFields, objectLogger, type Logger } from '../runtime/logger.js';
import type { Reconciler, ReconcileResult } from '../runtime/controller.js';
import { countTenantRun, removeTenantSeries, setTenantGauges, tenantLabels, type OperatorMetrics } from '../runtime/metrics.js';
import { OwnerIndex } from '../runtime/owner-index.js';
import { expBackoffMs } from '../runtime/sleep.js';
import { objectKey, parseObjectKey } from '../runtime/work-queue.js';
import { ChildApplier, type EnsureResult } from './child-applier.js';
import { advanceState, editState, markApplied, readRun, unappliedFinishedJobs, type FinishedJob } from './run-results.js';
import { errorPolicy, StalledError, transientFailuresBeforeReport, WaitingError, type ErrorAction } from './errors.js';
import { hasResultFinalizer, isJobOf, ownerKeyOfJob, ownerKeyOfPod, type TenantSyncCaches } from './watches.js';

/** Event reasons of the children the controller applies. */
const childEventReasons = {
  ConfigMap: { created: eventReasons.configMapCreated, updated: eventReasons.configMapUpdated },
  CronJob: { created: eventReasons.cronJobCreated, updated: eventReasons.cronJobUpdated },
} as const;

/** A status patch refused for a newer resourceVersion (409) is computed again after this long. */
export const statusConflictRetryMs = 500;
/** A Job that changed while the gate started it is looked at again after this long. */
export const gateRetryMs = 1_000;
/** A missing Secret is not watched (that would cache every Secret): poll for it, 5 s doubling to 5 min. */
export const secretRetryInitialMs = 5_000;
export const secretRetryMaxMs = 300_000;
/** A terminating child is waited out this long before it is created again. */
export const childTerminatingRetryMs = 2_000;
/** Requeue-after never exceeds this (timers overflow past 24.8 days; a daily look is cheap). */
export const maxRequeueAfterMs = 24 * 3600_000;
/** The next run time in status moves once the old one has passed; wake up just after it. */
const afterNextRunSlackMs = 1_000;

/** The requests the controller sends: reads of Secrets and ConfigMaps, applies, creates, status patches. */
export type ControllerClient = KubeReader & KubeWriter & StatusWriter;

/** The caches (watched by watchTenantSyncs) and what a pass needs besides: the client, Events, a clock. */
export interface TenantSyncControllerOptions extends TenantSyncCaches {
  client: ControllerClient;
  recorder: EventRecorderLike;
  clock: Clock;
  logger: Logger;
  /** Per-tenant series (the reconcile and queue metrics are the generic controller's). */
  metrics?: (Partial<TenantMetricFields> & Partial<Pick<OperatorMetrics, 'tenantRunResultsLostTotal'>>) | undefined;
  /** Image of the sync container when spec.job.image is not set. */
  defaultSyncImage: string;
  /** The operator's settings for every sync pod (--sync-* flags); default: those of an operator without flags. */
  syncPodDefaults?: SyncPodDefaults | undefined;
}

type TenantMetricFields = Pick<
  OperatorMetrics,
  'tenantLastSuccessTimestampSeconds' | 'tenantIntervalSeconds' | 'tenantConsecutiveFailures' | 'tenantRunsTotal' | 'tenantRecordsSyncedTotal'
>;

/** What one pass found, collected for the single status write at its end. */
interface PassFindings {
  tenantSync?: TenantSync;
  schedule?: EffectiveSchedule;
  cronJob?: V1CronJob;
  handledRunRequest?: string;
  handledResyncRequest?: string;
  secretsMissing?: string;
  /** Stream names of the job config, in spec order (status.streams[]). */
  streamNames?: readonly string[];
  /** The state ConfigMap's state after this pass (undefined when unreadable or not read). */
  state?: JobState;
  /** Finished Jobs whose results this pass applies, with their runs (same order). */
  finished?: FinishedJob[];
  runs?: RunRecord[];
  /** When the tenant turns stale, if it can and has not yet. */
  staleAt?: Date;
  /** The tenant's Jobs as this pass left them (the run gate's view). */
  jobs?: V1Job[];
  /** Look again this soon (e.g. a Job changed while the gate started it). */
  requeueSoonMs?: number;
  /** Runs whose Job vanished before their result was read, reported by this pass. */
  lost?: LostRun[];
  /** A transient API error that has not repeated enough to be reported: conditions stay as they are. */
  quietRetry?: boolean;
  /** Pods whose result is applied by this pass: their result finalizer is removed in step 13. */
  releasePods?: V1Pod[];
}

/** A run whose Job was deleted before the operator read its result. */
interface LostRun {
  readonly uid: string;
  readonly jobName: string;
  readonly detectedAt: string;
  /** The Job as it was last seen: a pod it left behind (result finalizer) still makes its run. */
  readonly job?: V1Job;
}

type RawTenantSync = KubeObject & { metadata: KubeObject['metadata'] & { uid?: string; generation?: number }; status?: unknown; spec?: unknown };

/** Remembers our last status write, so a cache that has not caught up yet does not cause a second one. */
interface WrittenStatus {
  readonly canonical: string;
  readonly resourceVersionBefore: string | undefined;
}

export class TenantSyncController implements Reconciler {
  private readonly opts: TenantSyncControllerOptions;
  private readonly applier: ChildApplier;
  private readonly secretRetries = new Map<string, number>();
  private readonly writtenStatus = new Map<string, WrittenStatus>();
  /** TenantSync key → its Jobs in the Job cache. */
  private readonly jobIndex: OwnerIndex<V1Job> | undefined;
  /** TenantSync key → its run pods in the Pod cache. */
  private readonly podIndex: OwnerIndex<V1Pod> | undefined;
  /** Uids of Jobs whose result this process applied (their deletion loses nothing, even if the cache lags our mark). */
  private readonly appliedJobUids = new Set<string>();
  /** TenantSync key → runs lost since the last status write, by Job uid (a repeated delete counts once). */
  private readonly lostRuns = new Map<string, Map<string, LostRun>>();
  /** TenantSync key → transient API errors in a row (reported only from transientFailuresBeforeReport on). */
  private readonly transientFailures = new Map<string, number>();
  /** Period of a cron schedule (cron|zone → seconds): finding it walks a few dozen runs. */
  private readonly periods = new Map<string, number | undefined>();

  constructor(opts: TenantSyncControllerOptions) {
    this.opts = opts;
    this.applier = new ChildApplier(opts.client);
    const cronJobOf = (namespace: string, name: string) => opts.cronJobs.get(namespace, name);
    this.jobIndex = opts.jobs && new OwnerIndex(opts.jobs, (job) => ownerKeyOfJob(job, cronJobOf));
    this.podIndex = opts.pods && new OwnerIndex(opts.pods, ownerKeyOfPod);
    // A deleted Job is an edge a level-based pass cannot see afterwards: remembered here, reported by the next pass.
    opts.jobs?.on((type, job) => {
      const key = type === 'DELETED' ? ownerKeyOfJob(job, cronJobOf) : undefined;
      if (key !== undefined) this.noteDeletedJob(key, job);
    });
  }

  /**
   * A Job of the tenant was deleted (history limit, a person, the garbage collector). If it had started
   * and its result was never applied, that run's result is lost: reported by the next pass (issue 12 item 3).
   */
  private noteDeletedJob(key: string, job: V1Job): void {
    const uid = job.metadata?.uid ?? '';
    if (this.appliedJobUids.delete(uid) || isResultApplied(job)) return;
    const neverStarted = job.spec?.suspend === true && jobFinish(job) === undefined;
    if (neverStarted || uid === '') return;
    const lost = this.lostRuns.get(key) ?? new Map<string, LostRun>();
    if (!lost.has(uid)) lost.set(uid, { uid, jobName: job.metadata?.name ?? '', detectedAt: toTime(this.opts.clock.now()) ?? '', job });
    this.lostRuns.set(key, lost);
  }

  /**
   * Reconciles the TenantSync `namespace/name`. Returns when to look again (and whether it stalled);
   * throws (→ per-key exponential backoff) only for errors worth retrying.
   */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { result, stalled } = await this.reconcileWithOutcome(key);
    return stalled ? { ...result, stalled } : result;
  }

  private async reconcileWithOutcome(key: string): Promise<{ result: { requeueAfterMs: number } | undefined; stalled: boolean }> {
    const { namespace, name } = parseObjectKey(key);
    const log = objectLogger(this.opts.logger, { namespace, name });

    // 1. Load from the informer cache. Gone: its children go with it through owner references.
    const raw = this.opts.tenantSyncs.get(namespace, name) as RawTenantSync | undefined;
    if (raw === undefined) {
      // Its pods keep nothing for anyone any more: their result finalizer goes, so none stays Terminating.
      await this.releasePods(this.tenantPods(key));
      this.forget(key, namespace, name);
      return { result: undefined, stalled: false };
    }
    // Being deleted: the garbage collector removes the children; re-creating them would fight it.
    if (raw.metadata.deletionTimestamp) {
      await this.releasePods(this.tenantPods(key));
      return { result: undefined, stalled: false };
    }

    // A deleted Job whose pod the result finalizer still keeps is not lost: its run is made once the pod is over.
    const found: PassFindings = { lost: [...(this.lostRuns.get(key)?.values() ?? [])].filter((l) => !this.keepsPodOf(key, l.uid)) };
    // 2. Run results first, and whatever else fails: finished runs are applied even while the tenant is
    //    stalled (invalid spec, child conflict, a rejected apply), since its CronJob may still run them.
    //    Finished Jobs not applied yet (also those that finished while the operator was down), in
    //    completion order; their cursors go into the state ConfigMap, forward only. Status follows in
    //    step 12 and the Jobs are marked in step 13 (see run-results.ts for why this order).
    let resultsError: unknown;
    try {
      await this.collectRuns({ name, namespace, uid: raw.metadata.uid ?? '' }, raw, found, log);
    } catch (err) {
      resultsError = err;
    }
    let failure: ErrorAction | undefined;
    try {
      await this.reconcileChildren(raw, found, log);
      // 10. A missing Secret is reported (and polled for) only after the CronJob was applied suspended.
      if (found.secretsMissing !== undefined) throw new StalledError(reasons.secretNotFound, found.secretsMissing, this.nextSecretRetryMs(key));
      this.secretRetries.delete(key);
      // Results that could not be read are retried with backoff even when the children are fine.
      if (resultsError !== undefined) throw resultsError;
      this.transientFailures.delete(key);
    } catch (err) {
      // 11. The error policy decides how a failure is reported and retried (stalled / wait / retry).
      failure = errorPolicy(err);
      if (failure.kind !== 'stalled' || failure.reason !== reasons.secretNotFound) this.secretRetries.delete(key);
      if (failure.kind === 'retry' && failure.transient) {
        // One 429/5xx/timeout leaves Ready alone (no flapping, no Event); repeated ones are reported.
        const inARow = (this.transientFailures.get(key) ?? 0) + 1;
        this.transientFailures.set(key, inARow);
        found.quietRetry = inARow < transientFailuresBeforeReport;
      } else this.transientFailures.delete(key);
      if (failure.kind === 'retry') {
        // Summarize first (best effort) so the user sees why, with the runs applied in step 2 (then marked),
        // and let the queue back off.
        const written = await this.summarizeAndPatch(raw, found, failure, log).then(
          () => true,
          (e: unknown) => {
            log.warn({ error: errorFields(e) }, 'could not write status after a failed reconcile');
            return false;
          },
        );
        if (written) await this.finishRuns(raw, found, log).catch((e: unknown) => log.warn({ error: errorFields(e) }, 'could not mark applied runs'));
        throw err;
      }
      log.info({ reason: failure.reason, message: failure.message }, failure.kind === 'stalled' ? 'stalled' : 'waiting');
    }

    // 12. Summarize and patch: the one place status is written, only when it changed.
    let status: TenantSyncStatus;
    try {
      status = await this.summarizeAndPatch(raw, found, failure, log);
    } catch (err) {
      if (!isConflict(err)) throw err;
      // Status was computed from an older object: look again once the cache has the newer one (nothing marked or counted).
      log.debug('status changed meanwhile; looking again');
      return { result: { requeueAfterMs: statusConflictRetryMs }, stalled: false };
    }

    // 13. The applied runs are in status now: mark their Jobs (never applied again), tell people, count them.
    await this.finishRuns(raw, found, log);
    if (resultsError !== undefined && failure?.kind !== 'retry') throw resultsError;

    // 14. Requeue: after a delay the error policy chose, or when the next run time or the stale deadline has passed.
    const stalled = failure?.kind === 'stalled';
    if (failure !== undefined) {
      return { result: failure.kind !== 'retry' && failure.requeueAfterMs !== undefined ? { requeueAfterMs: failure.requeueAfterMs } : undefined, stalled };
    }
    const soon = found.requeueSoonMs === undefined ? undefined : this.opts.clock.now().getTime() + found.requeueSoonMs - afterNextRunSlackMs;
    const wakeTimes = [status.nextRunTime === undefined ? undefined : Date.parse(status.nextRunTime), found.staleAt?.getTime(), soon].filter(
      (t): t is number => t !== undefined && !Number.isNaN(t),
    );
    if (wakeTimes.length === 0) return { result: undefined, stalled };
    const untilNextMs = Math.min(...wakeTimes) - this.opts.clock.now().getTime() + afterNextRunSlackMs;
    return { result: { requeueAfterMs: Math.min(Math.max(untilNextMs, afterNextRunSlackMs), maxRequeueAfterMs) }, stalled };
  }

  /** Steps 3–9: everything that writes children. Throws typed errors; records what it found in `found`. */
  private async reconcileChildren(raw: RawTenantSync, found: PassFindings, log: Logger): Promise<void> {
    // 3. Validate with the same zod schema the CRD came from; an object that got past an older CRD
    //    is reported, not retried (nothing changes until the object does).
    const validation = validateTenantSync(raw);
    if (!validation.ok) throw new StalledError(reasons.invalidSpec, `spec is invalid: ${validation.message}`);
    const ts = validation.tenantSync;
    found.tenantSync = ts;
    found.schedule = validation.schedule;
    const owner: OwnerIdentity = { name: ts.metadata.name, namespace: ts.metadata.namespace ?? '', uid: raw.metadata.uid ?? '' };
    const names = childNames(owner.name);

    // 4. The Secrets exist with their keys? Read by name (never cached, never copied); a missing one
    //    keeps the CronJob suspended so no pod starts that cannot read its credentials.
    found.secretsMissing = await this.checkSecrets(ts);

    // 5. Config ConfigMap: the job config, applied whenever it differs.
    const config = jobConfig(ts.spec, owner.name, validation.schedule);
    found.streamNames = config.source.streams.map((s) => s.name);
    const configMap = desiredConfigMap(owner, config);
    const liveConfig = await this.liveChild<V1ConfigMap>(configMap, owner, this.opts.configMaps?.get(owner.namespace, names.configMap));
    await this.report(raw, await this.applier.ensure(configMap, liveConfig), 'ConfigMap');

    // 6. State ConfigMap: created empty once; its cursors are the operator's, reset only by a re-sync request (8b). Owned by
    //    the TenantSync (deleted with it) unless spec.stateRetention is Retain: then it has no owner, outlives
    //    a delete, and a TenantSync created again with the same name adopts its cursors.
    const retain = ts.spec.stateRetention === 'Retain';
    const state = initialStateConfigMap(owner, retain);
    const liveState = await this.liveChild<V1ConfigMap>(state, owner, this.opts.configMaps?.get(owner.namespace, names.stateConfigMap));
    const firstPass = parseStatus(raw.status).observedGeneration === undefined;
    if (liveState === undefined) {
      if (await this.createIfAbsent(state)) {
        await this.event(raw, 'Normal', eventReasons.configMapCreated, `Created ConfigMap ${names.stateConfigMap} with an empty sync state: the first run syncs from spec.source.startDate (or from the beginning)`);
      }
    } else {
      const ownership = ownershipOf(liveState.metadata ?? {}, owner);
      if (ownership === 'adoptable' && !retain) {
        await this.opts.client.mergePatch(refOf(state), { metadata: { ownerReferences: state.metadata?.ownerReferences } }, { fieldManager });
      } else if (ownership === 'ours' && retain) {
        await this.opts.client.mergePatch(refOf(state), { metadata: { ownerReferences: null } }, { fieldManager });
      }
      if (firstPass && ownership === 'adoptable') {
        const kept = readStateData(liveState.data);
        const streams = kept.ok ? Object.keys(kept.state.streams) : [];
        await this.event(raw, 'Normal', eventReasons.stateAdopted, `Continuing from the cursors kept in ConfigMap ${names.stateConfigMap} (${streams.length} streams: ${streams.join(', ') || 'none yet'})`);
      }
    }
    const storedState = readStateData(liveState?.data);
    // Step 2 may have just written newer cursors: those are what status shows.
    if (storedState.ok && found.state === undefined) found.state = storedState.state;

    // 7. CronJob: applied whenever it differs, so a hand-edited schedule or image is put back and a
    //    deleted CronJob comes back.
    const cronJob = desiredCronJob({
      owner,
      spec: ts.spec,
      schedule: validation.schedule,
      defaultSyncImage: this.opts.defaultSyncImage,
      syncPodDefaults: this.opts.syncPodDefaults,
      secretsMissing: found.secretsMissing !== undefined,
    });
    const liveCronJob = await this.liveChild<V1CronJob>(cronJob, owner, this.opts.cronJobs.get(owner.namespace, names.cronJob));
    const applied = await this.applier.ensure(cronJob, liveCronJob);
    found.cronJob = applied.object;
    await this.report(raw, applied, 'CronJob');

    // 8. Run now: a new run-requested-at value starts one Job (named after the value, so a retry
    //    finds it instead of starting another) and is echoed to status.
    const old = parseStatus(raw.status);
    const requested = decideRunNow({
      name: owner.name,
      annotations: ts.metadata.annotations,
      lastHandledRunRequest: old.lastHandledRunRequest,
      canRun: found.secretsMissing === undefined,
    });
    // A request already set when the TenantSync is first seen (re-created from Git with the annotation
    // still on it) is taken as handled: it asked for a run of the object that was deleted, not of this one.
    const decision =
      firstPass && requested.action !== 'none' && isInheritedRunRequest(requested.value, toRfc3339(raw.metadata.creationTimestamp))
        ? { action: 'inherited' as const, value: requested.value }
        : requested;
    if (decision.action === 'inherited') {
      found.handledRunRequest = decision.value;
      await this.event(
        raw,
        'Normal',
        eventReasons.runRequestInherited,
        `Run request "${decision.value}" was already set when this TenantSync was created (e.g. applied again from Git): no run started; set a new value to run now`,
      );
    } else if (decision.action === 'create') {
      const job = manualJob(applied.object, decision.jobName, decision.value);
      const created = await this.createIfAbsent(job);
      found.handledRunRequest = decision.value;
      if (created) {
        log.info({ job: decision.jobName, runRequest: decision.value }, 'started a manual run');
        await this.event(raw, 'Normal', eventReasons.runStarted, `Created Job ${decision.jobName} for run request "${decision.value}"; it starts when no other run of the tenant is active`);
      }
    } else if (decision.action === 'wait') {
      log.info({ runRequest: decision.value }, 'run request waits until the Secret exists');
    }

    // 8b. Re-sync: a new resync-requested-at value resets the named streams' cursors, then starts one Job (resync.ts).
    await this.resync(raw, owner, ts, applied.object, found, firstPass, log);

    // 9. The run gate: every Job starts suspended; the oldest waiting one starts once no run is active.
    await this.gateRuns(owner, ts, found, log);
  }

  /** Handles a new re-sync request: rejects a bad one with a Warning, else resets the cursors, then creates the Job. */
  private async resync(raw: RawTenantSync, owner: OwnerIdentity, ts: TenantSync, cronJob: V1CronJob, found: PassFindings, firstPass: boolean, log: Logger): Promise<void> {
    const decision = decideResync({
      name: owner.name,
      annotations: ts.metadata.annotations,
      lastHandledResyncRequest: parseStatus(raw.status).lastHandledResyncRequest,
      streamNames: found.streamNames ?? [],
      canRun: found.secretsMissing === undefined,
    });
    if (decision.action === 'none' || decision.action === 'wait') return;
    const value = decision.action === 'reject' ? decision.value : decision.request.value;
    found.handledResyncRequest = value;
    if (firstPass && isInheritedRunRequest(value, toRfc3339(raw.metadata.creationTimestamp))) {
      await this.event(raw, 'Normal', eventReasons.runRequestInherited, `Re-sync request "${value}" was already set when this TenantSync was created: no cursor reset; set a new value to re-sync`);
    } else if (decision.action === 'reject') {
      await this.event(raw, 'Warning', eventReasons.resyncRejected, `Re-sync request "${value}" ignored: ${decision.problem}`);
    } else {
      let described: string[] = [];
      const reset = await editState(this.opts.client, owner, retainsState(raw), (state) => {
        const r = resetCursors(state, decision.request, this.opts.clock.now());
        described = r.described;
        return r;
      });
      found.state = reset.state;
      const { streams, from } = decision.request;
      const what = described.length > 0 ? described.join('; ') : `${streams.join(', ')} to ${from ?? 'the start'} (already reset)`;
      await this.createIfAbsent(manualJob(cronJob, decision.jobName, value));
      log.info({ job: decision.jobName, resyncRequest: value, reset: what }, 'reset cursors for a re-sync and started a run');
      await this.event(raw, 'Normal', eventReasons.resyncStarted, `Re-sync "${value}": reset ${what}; created Job ${decision.jobName}, it starts when no other run of the tenant is active`);
    }
  }

  /** The tenant's Jobs in the Job cache (every run, whoever started it). */
  private tenantJobs(key: string): V1Job[] {
    return this.jobIndex?.of(key) ?? [];
  }

  /**
   * Step 9. Starts the oldest waiting Job when no run of the tenant is active. The cache may lag behind
   * our own last start, so before starting one a fresh list from the API server confirms that nothing runs,
   * and the start carries the Job's resourceVersion (a Job changed meanwhile makes it fail and we look again).
   */
  private async gateRuns(owner: OwnerIdentity, ts: TenantSync, found: PassFindings, log: Logger): Promise<void> {
    const cronJobName = childNames(owner.name).cronJob;
    const runs = (jobs: V1Job[]) => jobs.filter((job) => ownerKeyOfJob(job) === objectKey(owner.namespace, owner.name) || isJobOf(job, owner.name, cronJobName));
    // Only Jobs of our CronJob are started; any other Job of the tenant that runs still counts as active.
    const startable = (jobs: V1Job[]) => runs(jobs).filter((job) => job.spec?.suspend !== true || isJobOf(job, owner.name, cronJobName));
    const cached = this.tenantJobs(objectKey(owner.namespace, owner.name));
    found.jobs = cached;
    if (found.secretsMissing !== undefined) return;
    const tenantSuspended = ts.spec.suspend === true;
    if (nextRunToStart({ jobs: startable(cached), tenantSuspended }) === undefined) return;
    const live = runs(
      (await this.opts.client.list<V1Job>('batch/v1', 'Job', { namespace: owner.namespace, labelSelector: `${nameLabel}=${nameLabelValue(owner.name)}` })).items,
    );
    found.jobs = live;
    const next = nextRunToStart({ jobs: startable(live), tenantSuspended });
    if (next === undefined) return;
    const jobName = next.metadata?.name ?? '';
    try {
      const started = await this.opts.client.mergePatch<V1Job>(
        { apiVersion: 'batch/v1', kind: 'Job', namespace: owner.namespace, name: jobName },
        startPatch(next, this.opts.clock.now()),
        { fieldManager },
      );
      found.jobs = live.map((job) => (job.metadata?.name === jobName ? started : job));
      log.info({ job: jobName, trigger: jobTrigger(next) }, 'started a waiting run');
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
      log.debug({ job: jobName }, 'a waiting Job changed while it was started; looking again');
      found.requeueSoonMs = gateRetryMs;
    }
  }

  /** Step 2. */
  private async collectRuns(owner: OwnerIdentity, raw: RawTenantSync, found: PassFindings, log: Logger): Promise<void> {
    const key = objectKey(owner.namespace, owner.name);
    const cronJobName = childNames(owner.name).cronJob;
    const jobs = this.tenantJobs(key)
      .filter((job) => isJobOf(job, owner.name, cronJobName))
      // Applied by this process already, though the cache may not show the mark yet: never counted twice.
      .filter((job) => !this.appliedJobUids.has(job.metadata?.uid ?? ''));
    const finished = unappliedFinishedJobs(jobs);
    const runs: RunRecord[] = [];
    for (const f of finished) runs.push(await readRun(this.opts.client, f));
    // Pods kept by the result finalizer (evicted, deleted, or of a deleted Job): their results too.
    const kept = this.keptPodResults(key, finished);
    finished.push(...kept.finished);
    runs.push(...kept.runs);
    if (runs.length === 0 && kept.cursorResults.length === 0) {
      found.releasePods = kept.release;
      return;
    }
    const written = await advanceState(this.opts.client, owner, [...runs.flatMap((r) => r.cursorResults), ...kept.cursorResults], retainsState(raw));
    found.state = written.state;
    found.finished = finished;
    found.runs = runs;
    found.releasePods = kept.release;
    if (kept.lostUids.length > 0) {
      // Their Jobs were deleted, but the pods kept the results: not lost after all.
      const pending = this.lostRuns.get(key);
      for (const uid of kept.lostUids) pending?.delete(uid);
      found.lost = (found.lost ?? []).filter((l) => !kept.lostUids.includes(l.uid));
    }
    if (written.replacedProblem !== undefined) {
      log.warn({ problem: written.replacedProblem }, 'state ConfigMap was unreadable; replaced it with the cursors of the latest results');
      await this.opts.recorder.record(
        { apiVersion, kind, metadata: { name: owner.name, namespace: owner.namespace, uid: owner.uid } },
        'Warning',
        eventReasons.stateReplaced,
        `ConfigMap ${childNames(owner.name).stateConfigMap} held no readable state (${written.replacedProblem}); replaced it with the cursors of the latest run results`,
      );
    }
    log.info(
      { jobs: runs.map((r) => ({ job: r.jobName, outcome: r.outcome, records: r.records })), keptPods: kept.release.length, stateWritten: written.written },
      'run results read',
    );
  }

  /** A pod of Job `uid` still held by the result finalizer. */
  private keepsPodOf(key: string, uid: string): boolean {
    return this.tenantPods(key).some((pod) => hasResultFinalizer(pod) && jobRefOf(pod)?.uid === uid);
  }

  /** The tenant's run pods in the Pod cache. */
  private tenantPods(key: string): V1Pod[] {
    return this.podIndex?.of(key) ?? [];
  }

  /**
   * Step 2, for pods held by the result finalizer once their container is over. Each is released (step 13)
   * after its result is applied:
   * - of a finished Job not applied yet: the Job's run reads it (readRun); released with it;
   * - of a Job still running (an evicted or deleted attempt; the Job may start another): its cursors go into
   *   the state ConfigMap now, the run is recorded when the Job finishes;
   * - of a Job applied already: nothing new (merging its cursors again changes nothing);
   * - of a Job deleted (or being deleted) before its result was applied: its run is made from the pods kept,
   *   applied once like any other (the Job is then never reported lost).
   */
  private keptPodResults(
    key: string,
    finished: readonly FinishedJob[],
  ): { finished: FinishedJob[]; runs: RunRecord[]; cursorResults: RunRecord['cursorResults'][number][]; release: V1Pod[]; lostUids: string[] } {
    const out = { finished: [] as FinishedJob[], runs: [] as RunRecord[], cursorResults: [] as RunRecord['cursorResults'][number][], release: [] as V1Pod[], lostUids: [] as string[] };
    const byGoneJob = new Map<string, { job: V1Job; pods: V1Pod[] }>();
    const finishedUids = new Set(finished.map((f) => f.job.metadata?.uid));
    for (const pod of this.tenantPods(key)) {
      if (!hasResultFinalizer(pod) || !podOver(pod)) continue;
      const ref = jobRefOf(pod);
      const cached = ref === undefined ? undefined : this.opts.jobs?.get(pod.metadata?.namespace ?? '', ref.name);
      const job = cached !== undefined && cached.metadata?.uid === ref?.uid ? cached : undefined;
      const uid = ref?.uid ?? '';
      const applied = this.appliedJobUids.has(uid) || (job !== undefined && isResultApplied(job));
      out.release.push(pod);
      if (finishedUids.has(uid)) continue;
      const deleted = job === undefined || job.metadata?.deletionTimestamp !== undefined;
      const lostJob = job ?? this.lostRuns.get(key)?.get(uid)?.job;
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
      const finish = jobFinish(job) ?? deletedJobFinish(pods, this.opts.clock.now());
      out.finished.push({ job, finish });
      out.runs.push(runRecord(job, finish, pods));
      out.lostUids.push(uid);
    }
    return out;
  }

  /** Removes the result finalizer (a pod changed meanwhile is looked at again: its event requeues the tenant). */
  private async releasePods(pods: readonly V1Pod[]): Promise<void> {
    for (const pod of pods) {
      const finalizers = pod.metadata?.finalizers ?? [];
      if (!finalizers.includes(resultFinalizer)) continue;
      try {
        await this.opts.client.mergePatch(
          { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name ?? '' },
          { metadata: { resourceVersion: pod.metadata?.resourceVersion, finalizers: finalizers.filter((f) => f !== resultFinalizer) } },
          { fieldManager },
        );
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
  }

  /** Step 13: after status holds the runs (and the lost ones). */
  private async finishRuns(raw: RawTenantSync, found: PassFindings, log: Logger): Promise<void> {
    const tenant = { namespace: raw.metadata.namespace ?? '', name: raw.metadata.name };
    const pendingLost = this.lostRuns.get(objectKey(tenant.namespace, tenant.name));
    for (const lost of found.lost ?? []) {
      pendingLost?.delete(lost.uid);
      this.opts.metrics?.tenantRunResultsLostTotal?.inc(tenantLabels(tenant));
      log.warn({ job: lost.jobName }, 'a run ended without its result being read');
      await this.event(
        raw,
        'Warning',
        eventReasons.runResultLost,
        `Job ${lost.jobName} was deleted before its result was read: its progress is not saved and the next run re-reads from the last saved cursor ` +
          '(keep the operator running; history limits must keep finished Jobs until their result is read)',
      );
    }
    if (pendingLost?.size === 0) this.lostRuns.delete(objectKey(tenant.namespace, tenant.name));
    const runs = found.runs ?? [];
    for (const [i, run] of runs.entries()) {
      const finished = found.finished?.[i];
      if (finished === undefined) continue;
      await markApplied(this.opts.client, finished.job, run.outcome);
      if (finished.job.metadata?.uid) this.appliedJobUids.add(finished.job.metadata.uid);
      if (this.opts.metrics?.tenantRunsTotal && this.opts.metrics.tenantRecordsSyncedTotal) {
        countTenantRun(this.opts.metrics as TenantMetricFields, tenant, run.outcome, run.records);
      }
      const ok = run.outcome === 'Succeeded';
      const message = `Job ${run.jobName} (${run.trigger}) ${ok ? 'succeeded' : run.outcome === 'PartiallySucceeded' ? 'partially failed' : 'failed'}: ${run.message}`;
      await this.event(raw, ok ? 'Normal' : 'Warning', ok ? eventReasons.syncSucceeded : eventReasons.syncFailed, message);
      log.info({ job: run.jobName, trigger: run.trigger, outcome: run.outcome, records: run.records }, 'run result applied');
    }
    // The results of the kept pods are in the state ConfigMap and status now: let them go.
    await this.releasePods(found.releasePods ?? []);
  }

  /** The live child: from the cache when given, else read; checked to be ours (or our orphan). */
  private async liveChild<T extends { metadata?: { deletionTimestamp?: unknown } }>(
    desired: KubeObject,
    owner: OwnerIdentity,
    cached?: T,
  ): Promise<(T & KubeObject) | undefined> {
    // The cache may lag behind our own create; a read confirms absence before we apply over a stranger's object.
    const live = (cached ?? (await this.opts.client.get<T & KubeObject>(refOf(desired)))) as (T & KubeObject) | undefined;
    if (live === undefined) return undefined;
    if (ownershipOf(live.metadata, owner) === 'conflict') {
      throw new StalledError(reasons.childConflict, conflictMessage(desired.kind, live.metadata, owner.namespace));
    }
    if (live.metadata.deletionTimestamp) {
      throw new WaitingError(reasons.childTerminating, `${desired.kind} ${desired.metadata.name} is being deleted; it is created again once gone`, childTerminatingRetryMs);
    }
    return live;
  }

  private async checkSecrets(ts: TenantSync): Promise<string | undefined> {
    const namespace = ts.metadata.namespace ?? '';
    const keysByName = new Map<string, readonly string[] | undefined>();
    const lookups: SecretLookup[] = [];
    for (const ref of secretReferences(ts.spec)) {
      if (!keysByName.has(ref.name)) {
        const secret = await this.opts.client.get<V1Secret>({ apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name });
        keysByName.set(ref.name, secret === undefined ? undefined : Object.keys({ ...secret.data, ...secret.stringData }));
      }
      lookups.push({ ref, keys: keysByName.get(ref.name) });
    }
    return missingSecretsMessage(namespace, lookups);
  }

  /** Creates an object; true when created, false when it already existed (an earlier pass made it). */
  private async createIfAbsent(obj: KubeObject): Promise<boolean> {
    try {
      await this.opts.client.create(obj, { fieldManager });
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw err;
    }
  }

  /**
   * Step 12. Rebuilds status from what this pass found, writes it with one merge patch only when it
   * differs from the stored one, and emits an Event when Ready changes.
   */
  private async summarizeAndPatch(raw: RawTenantSync, found: PassFindings, failure: ErrorAction | undefined, log: Logger): Promise<TenantSyncStatus> {
    const key = objectKey(raw.metadata.namespace, raw.metadata.name);
    const now = this.opts.clock.now();
    const stored = parseStoredStatus(raw.status);
    if (stored.invalidFields.length > 0) log.warn({ fields: stored.invalidFields }, 'status fields the schema rejects are dropped and rewritten');
    const old = stored.status;
    const suspended = found.tenantSync?.spec.suspend === true;
    // A transient error not yet repeated writes nothing, unless runs must be recorded (then conditions stay).
    if (found.quietRetry && (found.runs?.length ?? 0) === 0 && (found.lost?.length ?? 0) === 0) return old;
    const outcome: ReconcileOutcome = found.quietRetry ? { kind: 'unchanged' } : outcomeOf(failure, found, suspended);
    const cronJob = found.cronJob ?? this.opts.cronJobs.get(raw.metadata.namespace ?? '', childNames(raw.metadata.name).cronJob);
    const runs = outcome.kind === 'ready' && !suspended && found.schedule !== undefined;
    let next = computeStatus({
      old,
      generation: raw.metadata.generation,
      outcome,
      cronJobName: cronJob?.metadata?.name,
      schedule: found.schedule?.cron,
      nextRunTime: runs ? nextScheduledRun(found.schedule as EffectiveSchedule, now) : undefined,
      lastScheduleTime: cronJob?.status?.lastScheduleTime as string | Date | undefined,
      lastHandledRunRequest: found.handledRunRequest ?? old.lastHandledRunRequest,
      now,
    });
    if (found.handledResyncRequest !== undefined) next.lastHandledResyncRequest = found.handledResyncRequest;
    if (outcome.kind === 'unchanged') {
      // Only run results are recorded: what the failed pass would have changed is left as it was.
      for (const field of ['observedGeneration', 'cronJobName', 'schedule', 'nextRunTime'] as const) {
        if (old[field] === undefined) delete next[field];
        else (next as Record<string, unknown>)[field] = old[field];
      }
    }
    next = withRunQueue(next, found.jobs ?? this.tenantJobs(key));
    const lost = found.lost ?? [];
    if (lost.length > 0) {
      next.lostRuns = (old.lostRuns ?? 0) + lost.length;
      const latest = lost.at(-1)!;
      next.lastLostRun = { jobName: latest.jobName, detectedAt: latest.detectedAt };
    }
    if (found.tenantSync !== undefined || (found.runs?.length ?? 0) > 0) {
      // Run results: lastRun, counters and streams[] (the spec's streams; while it is invalid, those status shows).
      const streamNames = found.streamNames ?? (old.streams ?? []).map((s) => s.name);
      next = foldRuns({ status: next, runs: found.runs ?? [], state: found.state, streamNames });
    }
    if (found.tenantSync !== undefined && found.schedule !== undefined) {
      // SyncHealthy and how it shows in Ready.
      const periodSeconds = this.periodOf(found.schedule, now);
      const health = withRunHealth({
        status: next,
        name: raw.metadata.name,
        cronJobName: next.cronJobName,
        periodSeconds,
        createdAt: toRfc3339(raw.metadata.creationTimestamp),
        suspended,
        now,
        outcome,
        generation: raw.metadata.generation,
      });
      next = health.status;
      found.staleAt = health.staleAt;
      this.setGauges(raw, next, suspended ? undefined : periodSeconds);
    }
    if (!statusChanged(raw.status as TenantSyncStatus | undefined, next)) return next;
    // Our previous write is not in the cache yet (same resourceVersion as before it): do not write it twice.
    const written = this.writtenStatus.get(key);
    if (written?.canonical === canonicalJson(next) && written.resourceVersionBefore === raw.metadata.resourceVersion) return next;
    const ref: ObjectRef = { apiVersion, kind, namespace: raw.metadata.namespace, name: raw.metadata.name };
    // The resourceVersion we computed from is a precondition: a newer object (a lagging cache, another writer)
    // makes the API server answer 409 instead of our patch undoing what it does not know.
    await this.opts.client.patchStatus(ref, { metadata: { resourceVersion: raw.metadata.resourceVersion }, status: mergePatch(raw.status, next) }, { fieldManager });
    this.writtenStatus.set(key, { canonical: canonicalJson(next), resourceVersionBefore: raw.metadata.resourceVersion });
    log.debug({ outcome: outcome.kind }, 'status written');
    // A pass that applied runs reports them with SyncSucceeded/SyncFailed (step 13), not a second Ready event.
    const event = (found.runs?.length ?? 0) > 0 ? undefined : readyTransitionEvent(old, next);
    if (event !== undefined) await this.event(raw, event.type, event.reason, event.message);
    return next;
  }

  /** Events for children that were created or changed (not for unchanged ones: no Event per pass). */
  private async report(raw: RawTenantSync, result: EnsureResult<KubeObject>, kindName: keyof typeof childEventReasons): Promise<void> {
    const name = result.object.metadata.name;
    const eventReason = childEventReasons[kindName];
    if (result.action === 'created') await this.event(raw, 'Normal', eventReason.created, `Created ${kindName} ${name}`);
    if (result.action === 'updated') {
      const fields = result.changed.slice(0, 5).join(', ') + (result.changed.length > 5 ? ', …' : '');
      await this.event(raw, 'Normal', eventReason.updated, `Updated ${kindName} ${name} (${fields})`);
    }
  }

  private async event(raw: RawTenantSync, type: EventType, reason: string, message: string): Promise<void> {
    await this.opts.recorder.record(raw, type, reason, message);
  }

  private nextSecretRetryMs(key: string): number {
    const attempt = this.secretRetries.get(key) ?? 0;
    this.secretRetries.set(key, attempt + 1);
    return expBackoffMs(attempt, secretRetryInitialMs, secretRetryMaxMs);
  }

  /** Seconds between runs (memoized for cron schedules). */
  private periodOf(schedule: EffectiveSchedule, now: Date): number | undefined {
    if (schedule.intervalSeconds !== undefined) return schedule.intervalSeconds;
    const memo = `${schedule.cron}|${schedule.timeZone ?? ''}`;
    if (!this.periods.has(memo)) this.periods.set(memo, schedulePeriodSeconds(schedule, now));
    return this.periods.get(memo);
  }

  /** The tenant's gauges, from the status just computed (so they hold after a restart too). */
  private setGauges(raw: RawTenantSync, status: TenantSyncStatus, intervalSeconds: number | undefined): void {
    const m = this.opts.metrics;
    if (!m?.tenantLastSuccessTimestampSeconds || !m.tenantIntervalSeconds || !m.tenantConsecutiveFailures || !m.tenantRunsTotal || !m.tenantRecordsSyncedTotal) return;
    const lastSuccess = status.lastSuccessfulRunTime ?? toRfc3339(raw.metadata.creationTimestamp);
    const lastSuccessMs = lastSuccess === undefined ? Number.NaN : Date.parse(lastSuccess);
    setTenantGauges(m as TenantMetricFields, { namespace: raw.metadata.namespace ?? '', name: raw.metadata.name }, {
      lastSuccessSeconds: Number.isNaN(lastSuccessMs) ? undefined : lastSuccessMs / 1000,
      intervalSeconds,
      consecutiveFailures: status.consecutiveFailures ?? 0,
    });
  }

  private forget(key: string, namespace: string, name: string): void {
    this.secretRetries.delete(key);
    this.transientFailures.delete(key);
    this.lostRuns.delete(key);
    this.opts.metrics?.tenantRunResultsLostTotal?.remove(tenantLabels({ namespace, name }));
    this.writtenStatus.delete(key);
    const m = this.opts.metrics;
    if (m?.tenantLastSuccessTimestampSeconds && m.tenantIntervalSeconds && m.tenantConsecutiveFailures && m.tenantRunsTotal && m.tenantRecordsSyncedTotal) {
      removeTenantSeries(m as TenantMetricFields, { namespace, name });
    }
    const names = childNames(name);
    this.applier.forget(namespace, [names.cronJob, names.configMap, names.stateConfigMap]);
  }
}

function outcomeOf(failure: ErrorAction | undefined, found: PassFindings, suspended: boolean): ReconcileOutcome {
  if (failure === undefined) {
    const cron = found.schedule?.cron ?? '';
    const zone = found.schedule?.timeZone ?? "the controller manager's time zone";
    const cronJob = found.cronJob?.metadata?.name ?? '';
    return suspended
      ? { kind: 'ready', suspended: true, message: `suspended: CronJob ${cronJob} starts no runs until spec.suspend is false` }
      : { kind: 'ready', suspended: false, message: `CronJob ${cronJob} runs on "${cron}" (${zone})` };
  }
  if (failure.kind === 'stalled') return { kind: 'stalled', reason: failure.reason, message: failure.message };
  return { kind: 'retrying', reason: failure.reason, message: failure.message };
}

/** spec.stateRetention is Retain (read from the raw object: results are applied even while the spec is invalid). */
function retainsState(raw: RawTenantSync): boolean {
  return (raw.spec as { stateRetention?: unknown } | undefined)?.stateRetention === 'Retain';
}

/** The termination message of the pod's container that terminated. */
function terminatedMessage(pod: V1Pod): string | undefined {
  return pod.status?.containerStatuses?.find((c) => c.state?.terminated !== undefined)?.state?.terminated?.message;
}

/** The Job a pod belongs to. */
function jobRefOf(pod: V1Pod): { name: string; uid: string } | undefined {
  return pod.metadata?.ownerReferences?.find((r) => r.controller === true && r.kind === 'Job');
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

/** status.activeRun and status.waitingRuns, rebuilt from the tenant's Jobs. */
function withRunQueue(status: TenantSyncStatus, jobs: readonly V1Job[]): TenantSyncStatus {
  const next = { ...status };
  const active = runQueue(jobs).active[0];
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

/** The stored status as far as it is valid; garbage (from a hand edit) is treated as empty and overwritten. */
function parseStatus(raw: unknown): TenantSyncStatus {
  return parseStoredStatus(raw).status;
}

function toRfc3339(time: unknown): string | undefined {
  if (time instanceof Date) return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return typeof time === 'string' && time !== '' ? time : undefined;
}

const refOf = (obj: KubeObject): ObjectRef => ({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });

