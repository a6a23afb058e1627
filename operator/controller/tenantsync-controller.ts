// The TenantSync reconciler: a level-based reconcile that reads as a numbered story (load → run results →
// validate → Secrets → children → run-now → run gate → one status patch → mark applied Jobs → requeue).
// The queue, watches, requeue handling and reconcile metrics are the generic runtime/controller.ts.
import type { V1ConfigMap, V1CronJob, V1Job, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { JobState } from '../../sync-job/contract.js';
import { apiVersion, conditionTypes, kind, type TenantSync, type TenantSyncStatus } from '../api/tenantsync.js';
import type { KubeObject, KubeReader, KubeWriter, ObjectRef, StatusWriter } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.js';
import type { EventRecorderLike, EventType } from '../kube/events.js';
import { eventReasons, reasons } from '../api/reasons.js';
import { childrenEvent, statusWriteEvents, type ChildChange } from '../reconcile/child-events.js';
import { desiredCronJob } from '../reconcile/desired-cronjob.js';
import { desiredConfigMap, initialStateConfigMap, jobConfig, stateData } from '../reconcile/desired-configmaps.js';
import { readStateData } from '../reconcile/cursor-merge.js';
import { desiredStatus, type DesiredStatus } from '../reconcile/desired-status.js';
import { hasResultFinalizer, jobRefOf, keptPodResults } from '../reconcile/kept-pod-results.js';
import { fieldManager, nameLabel, resultFinalizer, type OwnerIdentity } from '../reconcile/labels.js';
import { mergePatch } from '../reconcile/merge-patch.js';
import { childNames, nameLabelValue } from '../reconcile/names.js';
import { runNeverRan } from '../reconcile/run-blocked.js';
import { nextRunToStart, overdueGraceSeconds, overdueRuns, startPatch, untilOverdueMs } from '../reconcile/run-gate.js';
import { conflictMessage, ownershipOf } from '../reconcile/ownership.js';
import { decideRunNow, inheritedRequests, manualJob } from '../reconcile/run-now.js';
import { decideResync, resetCursors, stateForSource, stateSource, type ResyncDecision, type SourceCheck } from '../reconcile/resync.js';
import { isResultApplied, jobFinish, jobTrigger, toTime, type RunRecord } from '../reconcile/run-result.js';
import { schedulePeriodSeconds, staleAnchorMs } from '../reconcile/run-status.js';
import type { EffectiveSchedule } from '../reconcile/schedule.js';
import { missingSecretsMessage, secretReferences, type SecretLookup } from '../reconcile/secrets.js';
import { changedStatusJson, parseStoredStatus, readyTransitionEvent } from '../reconcile/status.js';
import { hexHash } from '../reconcile/hash.js';
import type { SyncPodDefaults } from '../reconcile/sync-pod.js';
import { validateTenantSync } from '../reconcile/validate.js';
import { errorFields, objectLogger, type Logger } from '../runtime/logger.js';
import type { Reconciler, ReconcileResult } from '../runtime/controller.js';
import { countTenantRun, removeTenantSeries, setTenantGauges, tenantLabels, type OperatorMetrics } from '../runtime/metrics.js';
import { OwnerIndex } from '../runtime/owner-index.js';
import { expBackoffMs } from '../runtime/sleep.js';
import { objectKey, parseObjectKey } from '../runtime/work-queue.js';
import { ChildApplier, type EnsureResult } from './child-applier.js';
import { advanceState, editState, markApplied, readRun, unappliedFinishedJobs } from './run-results.js';
import { errorPolicy, StalledError, transientFailuresBeforeReport, WaitingError, type ErrorAction } from './errors.js';
import { noRunsApplied, type AppliedRuns, type ChildrenFound, type GateResult, type LostRun, type PassResults, type PendingEvent } from './pass-results.js';
import { isJobOf, ownerKeyOfJob, ownerKeyOfPod, type TenantSyncCaches } from './watches.js';

/** What an ensure step did to a child, for the pass's Event (nothing when it was unchanged). */
function childChange(result: EnsureResult<KubeObject>): ChildChange[] {
  if (result.action === 'unchanged') return [];
  const { kind, metadata } = result.object;
  return [{ action: result.action, kind, name: metadata.name, ...(result.action === 'updated' ? { fields: result.changed } : {}) }];
}

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
/** The label older operators put on children (see childLabels); removed from the state ConfigMap. */
const instanceLabel = 'app.kubernetes.io/instance';
/** A pass that waits for a time (the stale deadline, the run gate) looks again just after it. */
const wakeSlackMs = 1_000;

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

type RawTenantSync = KubeObject & { metadata: KubeObject['metadata'] & { uid?: string; generation?: number }; status?: unknown; spec?: unknown };

/** Remembers our last status write, so a cache that has not caught up yet does not cause a second one. */
interface WrittenStatus {
  /** The hash of the written status's canonical JSON (not the JSON: one per tenant, thousands of them). */
  readonly digest: string;
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
   * A Job of the tenant was deleted (history limit, a person, the garbage collector). If it had run and its
   * result was never applied, that run's result is lost: reported by the next pass (issue 12 item 3).
   */
  private noteDeletedJob(key: string, job: V1Job): void {
    const uid = job.metadata?.uid ?? '';
    if (this.appliedJobUids.delete(uid) || isResultApplied(job)) return;
    // Never started (still waiting its turn), or started but its container never ran (a blocked run deleted by hand).
    const neverStarted = job.spec?.suspend === true && jobFinish(job) === undefined;
    if (neverStarted || uid === '' || runNeverRan(job, this.tenantPods(key))) return;
    const lost = this.lostRuns.get(key) ?? new Map<string, LostRun>();
    if (!lost.has(uid)) lost.set(uid, { uid, jobName: job.metadata?.name ?? '', detectedAt: toTime(this.opts.clock.now()) ?? '', job });
    this.lostRuns.set(key, lost);
  }

  /**
   * Reconciles the TenantSync `namespace/name`. Returns when to look again (and whether it stalled);
   * throws (→ per-key exponential backoff) only for errors worth retrying.
   */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = parseObjectKey(key);
    const log = objectLogger(this.opts.logger, { namespace, name });

    // 1. Load from the informer cache. Gone: its children go with it through owner references.
    const raw = this.opts.tenantSyncs.get(namespace, name) as RawTenantSync | undefined;
    if (raw === undefined) {
      // Its pods keep nothing for anyone any more: their result finalizer goes, so none stays Terminating.
      await this.releasePods(this.tenantPods(key));
      this.forget(key, namespace, name);
      return undefined;
    }
    // Being deleted: the garbage collector removes the children; re-creating them would fight it.
    if (raw.metadata.deletionTimestamp) {
      await this.releasePods(this.tenantPods(key));
      return undefined;
    }

    // 2. Run results first, and whatever else fails: finished runs are applied even while the tenant is
    //    stalled (invalid spec, child conflict, a rejected apply), since its CronJob may still run them.
    //    Finished Jobs not applied yet (also those that finished while the operator was down), in
    //    completion order; their cursors go into the state ConfigMap, forward only. Status follows in
    //    step 12 and the Jobs are marked in step 13 (see run-results.ts for why this order).
    let applied = noRunsApplied;
    let resultsError: unknown;
    try {
      applied = await this.collectRuns({ name, namespace, uid: raw.metadata.uid ?? '' }, raw, log);
    } catch (err) {
      resultsError = err;
    }
    // Runs whose Job vanished unread; a deleted Job whose pod the result finalizer keeps is not lost (its run is made once the pod is over).
    const lost = [...(this.lostRuns.get(key)?.values() ?? [])].filter((l) => !this.keepsPodOf(key, l.uid) && !applied.madeFromKeptPods.includes(l.uid));

    // 3–9. Validate, Secrets, the children, run now, re-sync, the run gate (as far as they get).
    const children = await this.reconcileChildren(raw, applied.state, log);
    // The children's Event goes out with the status write (a new tenant's first Ready joins it), else when the pass ends.
    const childrenNote: PendingEvent = { event: children.childrenEvent };
    try {
      // 10. A missing Secret is reported (and polled for) only after the CronJob was applied suspended.
      //     Results that could not be read are retried with backoff even when the children are fine.
      const error =
        children.error ??
        (children.secretsMissing !== undefined ? new StalledError(reasons.secretNotFound, children.secretsMissing, this.nextSecretRetryMs(key)) : resultsError);
      // 11. The error policy decides how a failure is reported and retried (stalled / wait / retry).
      const failure = error === undefined ? undefined : errorPolicy(error);
      if (failure?.kind !== 'stalled' || failure.reason !== reasons.secretNotFound) this.secretRetries.delete(key);
      const pass: PassResults = { applied, children, lost, failure, quietRetry: this.isQuietRetry(key, failure), childrenNote };
      if (failure?.kind === 'retry') {
        // Summarize first (best effort) so the user sees why, with the runs applied in step 2 (then marked),
        // and let the queue back off.
        const written = await this.summarizeAndPatch(raw, pass, log).then(
          () => true,
          (e: unknown) => {
            log.warn({ error: errorFields(e) }, 'could not write status after a failed reconcile');
            return false;
          },
        );
        if (written) await this.finishRuns(raw, pass, log).catch((e: unknown) => log.warn({ error: errorFields(e) }, 'could not mark applied runs'));
        throw error;
      }
      if (failure !== undefined) log.info({ reason: failure.reason, message: failure.message }, failure.kind === 'stalled' ? 'stalled' : 'waiting');

      // 12. Summarize and patch: the one place status is written, only when it changed.
      let desired: DesiredStatus | undefined;
      try {
        desired = await this.summarizeAndPatch(raw, pass, log);
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Status was computed from an older object: look again once the cache has the newer one (nothing marked or counted).
        log.debug('status changed meanwhile; looking again');
        return { requeueAfterMs: statusConflictRetryMs };
      }

      // 13. The applied runs are in status now: mark their Jobs (never applied again), tell people, count them.
      await this.finishRuns(raw, pass, log);
      if (resultsError !== undefined) throw resultsError;

      // 14. Requeue: after a delay the error policy chose, when the run gate asked to look again, when the tenant
      // turns stale, or when a run pod's grace ends (RunBlocked). Not at the next run time: the CronJob's new Job
      // and its lastScheduleTime bring the tenant back.
      if (failure !== undefined) {
        const stalled = failure.kind === 'stalled' ? { stalled: true } : undefined;
        return failure.requeueAfterMs !== undefined ? { requeueAfterMs: failure.requeueAfterMs, ...stalled } : stalled;
      }
      const now = this.opts.clock.now().getTime();
      const soon = children.requeueSoonMs === undefined ? undefined : now + children.requeueSoonMs - wakeSlackMs;
      const wakeTimes = [desired?.staleAt?.getTime(), desired?.recheckAt?.getTime(), soon].filter((t): t is number => t !== undefined && !Number.isNaN(t));
      if (wakeTimes.length === 0) return undefined;
      const untilNextMs = Math.min(...wakeTimes) - now + wakeSlackMs;
      return { requeueAfterMs: Math.min(Math.max(untilNextMs, wakeSlackMs), maxRequeueAfterMs) };
    } finally {
      if (childrenNote.event !== undefined) this.event(raw, 'Normal', childrenNote.event.reason, childrenNote.event.message);
    }
  }

  /** Counts transient API errors in a row: true while too few to report (one 429/5xx/timeout leaves Ready alone, no Event). */
  private isQuietRetry(key: string, failure: ErrorAction | undefined): boolean {
    if (failure?.kind !== 'retry' || !failure.transient) {
      this.transientFailures.delete(key);
      return false;
    }
    const inARow = (this.transientFailures.get(key) ?? 0) + 1;
    this.transientFailures.set(key, inARow);
    return inARow < transientFailuresBeforeReport;
  }

  /**
   * Steps 3–9: everything that writes children. Returns what they found as far as they got; a step that
   * fails ends them with its error (the status still shows what the earlier steps found).
   */
  private async reconcileChildren(raw: RawTenantSync, appliedState: JobState | undefined, log: Logger): Promise<ChildrenFound> {
    let spec: ChildrenFound['spec'];
    let streamNames: readonly string[] | undefined;
    let secretsMissing: string | undefined;
    // Step 2 may have just written newer cursors: those are what status shows.
    let state = appliedState;
    let cronJob: V1CronJob | undefined;
    let handledRunRequest: string | undefined;
    let handledResyncRequest: string | undefined;
    let rearmed = false;
    let gate: GateResult | undefined;
    let told: ChildrenFound['childrenEvent'];
    const found = (): ChildrenFound => ({ spec, streamNames, secretsMissing, state, cronJob, handledRunRequest, handledResyncRequest, rearmed, jobs: gate?.jobs, requeueSoonMs: gate?.requeueSoonMs, childrenEvent: told });
    try {
      // 3a. Run and re-sync requests it was created with (re-created from Git with them still set) asked for the
      //     deleted object, not this one: handled on the first pass, even one that ends early (a Secret not there
      //     yet, children still being collected), so no later pass runs or resets cursors for them.
      const storedStatus = parseStatus(raw.status);
      const firstPass = storedStatus.observedGeneration === undefined;
      if (firstPass) {
        const inherited = inheritedRequests({
          annotations: raw.metadata.annotations,
          createdAt: toRfc3339(raw.metadata.creationTimestamp),
          lastHandledRunRequest: storedStatus.lastHandledRunRequest,
          lastHandledResyncRequest: storedStatus.lastHandledResyncRequest,
        });
        if (inherited.run !== undefined) {
          handledRunRequest = inherited.run;
          this.event(raw, 'Normal', eventReasons.runRequestInherited, `Run request "${inherited.run}" was already set when this TenantSync was created (e.g. applied again from Git): no run started; set a new value to run now`);
        }
        if (inherited.resync !== undefined) {
          handledResyncRequest = inherited.resync;
          this.event(raw, 'Normal', eventReasons.runRequestInherited, `Re-sync request "${inherited.resync}" was already set when this TenantSync was created: no cursor reset; set a new value to re-sync`);
        }
      }
      const lastHandledRunRequest = handledRunRequest ?? storedStatus.lastHandledRunRequest;
      const lastHandledResyncRequest = handledResyncRequest ?? storedStatus.lastHandledResyncRequest;

      // 3. Validate with the same zod schema the CRD came from; an object that got past an older CRD
      //    is reported, not retried (nothing changes until the object does).
      const validation = validateTenantSync(raw);
      if (!validation.ok) throw new StalledError(reasons.invalidSpec, `spec is invalid: ${validation.message}`);
      const ts = validation.tenantSync;
      spec = { tenantSync: ts, schedule: validation.schedule };
      const owner: OwnerIdentity = { name: ts.metadata.name, namespace: ts.metadata.namespace ?? '', uid: raw.metadata.uid ?? '' };
      const names = childNames(owner.name);

      const config = jobConfig(ts.spec, owner.name, validation.schedule);
      streamNames = config.source.streams.map((s) => s.name);
      const configMap = desiredConfigMap(owner, config);
      const source = stateSource(config);
      // Steps 5-7 tell what they created or changed in one Event (also when a later one fails).
      const changes: ChildChange[] = [];
      try {
        // 4–6 do not depend on one another, so they are sent together: a pass waits one round trip for them, not
        // three (the rest of a pass is two more: the CronJob, then status). Each ends before another's error counts.
        // 4. The Secrets exist with their keys? Read by name (never cached, never copied); a missing one
        //    keeps the CronJob suspended so no pod starts that cannot read its credentials.
        // 5. Config ConfigMap: the job config, applied whenever it differs.
        // 6. State ConfigMap: created empty once; its cursors are the operator's, reset only by a re-sync request (8b).
        const stateChanges: ChildChange[] = [];
        const [secrets, configApplied, stored] = await Promise.allSettled([
          this.checkSecrets(ts),
          this.ensureChild<V1ConfigMap>(configMap, owner, this.opts.configMaps, names.configMap),
          this.ensureStateConfigMap(raw, owner, ts, source, firstPass, stateChanges),
        ]);
        if (configApplied.status === 'fulfilled') changes.push(...childChange(configApplied.value));
        changes.push(...stateChanges);
        if (secrets.status === 'rejected') throw secrets.reason;
        secretsMissing = secrets.value;
        if (configApplied.status === 'rejected') throw configApplied.reason;
        if (stored.status === 'rejected') throw stored.reason;
        if (stored.value !== undefined && state === undefined) state = stored.value;
        // 6b. Cursors are only good for the source they were read from: another account or tenantId starts over.
        if (stored.value !== undefined && stored.value.source !== source) state = await this.checkStateSource(raw, owner, source, streamNames, log);

        // 7. CronJob: applied whenever it differs, so a hand-edited schedule or image is put back and a
        //    deleted CronJob comes back.
        const desired = desiredCronJob({
          owner,
          spec: ts.spec,
          schedule: validation.schedule,
          defaultSyncImage: this.opts.defaultSyncImage,
          syncPodDefaults: this.opts.syncPodDefaults,
          secretsMissing: secretsMissing !== undefined,
        });
        const before = this.opts.cronJobs.get(owner.namespace, names.cronJob);
        const applied = await this.ensureChild<V1CronJob>(desired, owner, this.opts.cronJobs, names.cronJob);
        cronJob = applied.object;
        // Runs re-armed: the CronJob was suspended (spec.suspend, a Secret that was missing) or ran on another schedule
        // (cron or time zone).
        rearmed =
          before !== undefined &&
          desired.spec?.suspend !== true &&
          (before.spec?.suspend === true || before.spec?.schedule !== desired.spec?.schedule || (before.spec?.timeZone ?? '') !== (desired.spec?.timeZone ?? ''));
        changes.push(...childChange(applied));
      } finally {
        told = childrenEvent(changes);
      }

      // 8. Run now: a new run-requested-at value starts one Job (named after the value, so a retry
      //    finds it instead of starting another) and is echoed to status.
      handledRunRequest = (await this.runNow(raw, owner, ts, cronJob, secretsMissing === undefined, lastHandledRunRequest, log)) ?? handledRunRequest;

      // 8b. Re-sync: a new resync-requested-at value resets the named streams' cursors, then starts one Job (resync.ts).
      //     It counts as handled once done (or rejected): a reset that fails is tried again (a reset never repeats).
      const resync = decideResync({
        name: owner.name,
        annotations: ts.metadata.annotations,
        lastHandledResyncRequest,
        streamNames,
        canRun: secretsMissing === undefined,
      });
      if (resync.action === 'reject' || resync.action === 'resync') {
        state = (await this.resync(raw, owner, cronJob, resync, log)) ?? state;
        handledResyncRequest = resync.action === 'reject' ? resync.value : resync.request.value;
      }

      // 9. The run gate: every Job starts suspended; the oldest waiting one starts once no run is active.
      gate = await this.gateRuns(raw, owner, ts, secretsMissing !== undefined, log);
      if (gate.error !== undefined) throw gate.error;
      return found();
    } catch (error) {
      return { ...found(), error };
    }
  }

  /**
   * Step 6. The state ConfigMap, owned by the TenantSync (deleted with it) unless spec.stateRetention is Retain:
   * then it has no owner, outlives a delete, and a TenantSync created again with the same name adopts its
   * cursors. Returns the state it holds (undefined when new or unreadable).
   */
  private async ensureStateConfigMap(raw: RawTenantSync, owner: OwnerIdentity, ts: TenantSync, source: string, firstPass: boolean, changes: ChildChange[]): Promise<JobState | undefined> {
    const names = childNames(owner.name);
    const retain = ts.spec.stateRetention === 'Retain';
    const state = initialStateConfigMap(owner, retain, source);
    const cached = this.opts.configMaps?.get(owner.namespace, names.stateConfigMap);
    // Not in the cache (when there is one): create it, and read it only if it existed after all.
    let liveState = this.opts.configMaps !== undefined && cached === undefined ? undefined : await this.liveChild<V1ConfigMap>(state, owner, cached);
    if (liveState === undefined) {
      if (await this.createIfAbsent(state)) {
        changes.push({ action: 'created', kind: 'ConfigMap', name: names.stateConfigMap, note: 'an empty sync state: the first run syncs from spec.source.startDate, or from the beginning' });
        return undefined;
      }
      liveState = await this.liveChild<V1ConfigMap>(state, owner);
    }
    if (liveState !== undefined) {
      const ownership = ownershipOf(liveState.metadata ?? {}, owner);
      if (ownership === 'adoptable' && !retain) {
        await this.opts.client.mergePatch(refOf(state), { metadata: { ownerReferences: state.metadata?.ownerReferences } }, { fieldManager });
      } else if (ownership === 'ours' && retain) {
        await this.opts.client.mergePatch(refOf(state), { metadata: { ownerReferences: null } }, { fieldManager });
      }
      if (firstPass && ownership === 'adoptable') {
        const kept = readStateData(liveState.data);
        const streams = kept.ok ? Object.keys(kept.state.streams) : [];
        this.event(raw, 'Normal', eventReasons.stateAdopted, `Continuing from the cursors kept in ConfigMap ${names.stateConfigMap} (${streams.length} streams: ${streams.join(', ') || 'none yet'})`);
      }
      // Made by an older operator: app.kubernetes.io/instance (see childLabels) taken off, and the source its cursors
      // are for written in — one write, once, carrying the resourceVersion the state was read at (a newer state: 409,
      // the pass looks again).
      const stored = readStateData(liveState.data);
      const label = (ownership === 'ours' || ownership === 'adoptable') && liveState.metadata?.labels?.[instanceLabel] !== undefined;
      const stamp = stored.ok && stored.state.source === undefined;
      if (label || stamp) {
        const stamped = stored.ok ? { ...stored.state, source } : undefined;
        const patch = {
          metadata: { resourceVersion: liveState.metadata?.resourceVersion, ...(label ? { labels: { [instanceLabel]: null } } : {}) },
          ...(stamp && stamped ? { data: stateData(stamped) } : {}),
        };
        await this.opts.client.mergePatch(refOf(state), patch, { fieldManager });
        return stamped;
      }
      return stored.ok ? stored.state : undefined;
    }
    return undefined;
  }

  /**
   * Step 6b. Records the source in a state that does not name one yet; resets every cursor of a state kept for
   * another source (spec.source.domain/baseUrl or spec.tenantId changed), which would skip that source's older
   * records, and tells it in a SourceChanged Event. Returns the state written.
   */
  private async checkStateSource(raw: RawTenantSync, owner: OwnerIdentity, source: string, streamNames: readonly string[], log: Logger): Promise<JobState> {
    let reset: SourceCheck['reset'];
    const written = await editState(this.opts.client, owner, retainsState(raw), (state) => {
      const check = stateForSource(state, source, this.opts.clock.now(), streamNames);
      reset = check.reset;
      return check;
    });
    if (reset !== undefined) {
      const what = reset.described.join('; ') || 'no stream had a cursor yet';
      log.info({ previousSource: reset.from, source, reset: what }, 'cursors were for another source: every stream starts over');
      this.event(raw, 'Normal', eventReasons.sourceChanged, `The cursors were for ${reset.from}; this TenantSync now reads ${source}, so every stream starts over from spec.source.startDate (or the beginning): ${what}`);
    }
    return written.state;
  }

  /** Step 8. Starts the Job a new run request asks for; returns the request value it handled, if any. */
  private async runNow(raw: RawTenantSync, owner: OwnerIdentity, ts: TenantSync, cronJob: V1CronJob, canRun: boolean, lastHandledRunRequest: string | undefined, log: Logger): Promise<string | undefined> {
    const decision = decideRunNow({ name: owner.name, annotations: ts.metadata.annotations, lastHandledRunRequest, canRun });
    if (decision.action === 'create') {
      const created = await this.createIfAbsent(manualJob(cronJob, decision.jobName, decision.value));
      if (created) {
        log.info({ job: decision.jobName, runRequest: decision.value }, 'started a manual run');
        this.event(raw, 'Normal', eventReasons.runStarted, `Created Job ${decision.jobName} for run request "${decision.value}"; it starts when no other run of the tenant is active`);
      }
      return decision.value;
    }
    if (decision.action === 'wait') log.info({ runRequest: decision.value }, 'run request waits until the Secret exists');
    return undefined;
  }

  /** Step 8b. Rejects a bad re-sync request with a Warning, else resets the cursors and creates the Job; returns the state it wrote. */
  private async resync(
    raw: RawTenantSync,
    owner: OwnerIdentity,
    cronJob: V1CronJob,
    decision: Extract<ResyncDecision, { action: 'reject' | 'resync' }>,
    log: Logger,
  ): Promise<JobState | undefined> {
    if (decision.action === 'reject') {
      this.event(raw, 'Warning', eventReasons.resyncRejected, `Re-sync request "${decision.value}" ignored: ${decision.problem}`);
      return undefined;
    }
    let described: string[] = [];
    const reset = await editState(this.opts.client, owner, retainsState(raw), (state) => {
      const r = resetCursors(state, decision.request, this.opts.clock.now());
      described = r.described;
      return r;
    });
    const { streams, from, value } = decision.request;
    const what = described.length > 0 ? described.join('; ') : `${streams.join(', ')} to ${from ?? 'the start'} (already reset)`;
    await this.createIfAbsent(manualJob(cronJob, decision.jobName, value));
    log.info({ job: decision.jobName, resyncRequest: value, reset: what }, 'reset cursors for a re-sync and started a run');
    this.event(raw, 'Normal', eventReasons.resyncStarted, `Re-sync "${value}": reset ${what}; created Job ${decision.jobName}, it starts when no other run of the tenant is active`);
    return reset.state;
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
  private async gateRuns(raw: RawTenantSync, owner: OwnerIdentity, ts: TenantSync, secretsMissing: boolean, log: Logger): Promise<GateResult> {
    const cronJobName = childNames(owner.name).cronJob;
    const runs = (jobs: V1Job[]) => jobs.filter((job) => ownerKeyOfJob(job) === objectKey(owner.namespace, owner.name) || isJobOf(job, owner.name, cronJobName));
    // Only Jobs of our CronJob are started; any other Job of the tenant that runs still counts as active.
    const startable = (jobs: V1Job[]) => runs(jobs).filter((job) => job.spec?.suspend !== true || isJobOf(job, owner.name, cronJobName));
    const cached = this.tenantJobs(objectKey(owner.namespace, owner.name));
    if (secretsMissing) return { jobs: cached };
    // A run still active long past its deadline is one Kubernetes stopped ending: with no other run allowed
    // to start, it would hold the tenant forever. Deleting it (its pods go too, their results are read as for
    // any deleted Job) lets the schedule go on.
    const nowMs = this.opts.clock.now().getTime();
    const overdue = overdueRuns(runs(cached), nowMs);
    for (const job of overdue) {
      const jobName = job.metadata?.name ?? '';
      try {
        await this.opts.client.delete(
          { apiVersion: 'batch/v1', kind: 'Job', namespace: owner.namespace, name: jobName },
          { propagationPolicy: 'Background', preconditions: { uid: job.metadata?.uid } },
        );
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) return { jobs: cached, error: err };
      }
      log.warn({ job: jobName }, 'deleted a run still active long after its deadline');
      this.event(raw, 'Warning', eventReasons.runOverdue, `Job ${jobName} was still active ${overdueGraceSeconds} s after its deadline, so Kubernetes was not going to end it: deleted it so that the next runs can start`);
    }
    if (overdue.length > 0) return { jobs: cached, requeueSoonMs: gateRetryMs };
    const tenantSuspended = ts.spec.suspend === true;
    if (nextRunToStart({ jobs: startable(cached), tenantSuspended }) === undefined) return { jobs: cached, requeueSoonMs: untilOverdueMs(runs(cached), nowMs) };
    const live = runs(
      (await this.opts.client.list<V1Job>('batch/v1', 'Job', { namespace: owner.namespace, labelSelector: `${nameLabel}=${nameLabelValue(owner.name)}` })).items,
    );
    const next = nextRunToStart({ jobs: startable(live), tenantSuspended });
    if (next === undefined) return { jobs: live };
    const jobName = next.metadata?.name ?? '';
    try {
      const started = await this.opts.client.mergePatch<V1Job>(
        { apiVersion: 'batch/v1', kind: 'Job', namespace: owner.namespace, name: jobName },
        startPatch(next, this.opts.clock.now()),
        { fieldManager },
      );
      log.info({ job: jobName, trigger: jobTrigger(next) }, 'started a waiting run');
      return { jobs: live.map((job) => (job.metadata?.name === jobName ? started : job)) };
    } catch (err) {
      // Status still shows the live list the gate acted on.
      if (!isConflict(err) && !isNotFound(err)) return { jobs: live, error: err };
      log.debug({ job: jobName }, 'a waiting Job changed while it was started; looking again');
      return { jobs: live, requeueSoonMs: gateRetryMs };
    }
  }

  /** Step 2. */
  private async collectRuns(owner: OwnerIdentity, raw: RawTenantSync, log: Logger): Promise<AppliedRuns> {
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
    const kept = keptPodResults({
      pods: this.tenantPods(key),
      finishedUids: new Set(finished.map((f) => f.job.metadata?.uid)),
      jobNamed: (namespace, name) => this.opts.jobs?.get(namespace, name),
      appliedUid: (uid) => this.appliedJobUids.has(uid),
      lostJob: (uid) => this.lostRuns.get(key)?.get(uid)?.job,
      now: this.opts.clock.now(),
    });
    finished.push(...kept.finished);
    runs.push(...kept.runs);
    if (runs.length === 0 && kept.cursorResults.length === 0) return { ...noRunsApplied, releasePods: kept.release };
    const written = await advanceState(this.opts.client, owner, [...runs.flatMap((r) => r.cursorResults), ...kept.cursorResults], retainsState(raw));
    // Deleted Jobs whose pods kept the results: not lost after all.
    const pending = this.lostRuns.get(key);
    for (const uid of kept.lostUids) pending?.delete(uid);
    const applied: AppliedRuns = { finished, runs, state: written.state, releasePods: kept.release, madeFromKeptPods: kept.lostUids };
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
    return applied;
  }

  /** A pod of Job `uid` still held by the result finalizer. */
  private keepsPodOf(key: string, uid: string): boolean {
    return this.tenantPods(key).some((pod) => hasResultFinalizer(pod) && jobRefOf(pod)?.uid === uid);
  }

  /** The tenant's run pods in the Pod cache. */
  private tenantPods(key: string): V1Pod[] {
    return this.podIndex?.of(key) ?? [];
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
  private async finishRuns(raw: RawTenantSync, pass: PassResults, log: Logger): Promise<void> {
    const tenant = { namespace: raw.metadata.namespace ?? '', name: raw.metadata.name };
    const pendingLost = this.lostRuns.get(objectKey(tenant.namespace, tenant.name));
    for (const lost of pass.lost) {
      pendingLost?.delete(lost.uid);
      this.opts.metrics?.tenantRunResultsLostTotal?.inc(tenantLabels(tenant));
      log.warn({ job: lost.jobName }, 'a run ended without its result being read');
      this.event(
        raw,
        'Warning',
        eventReasons.runResultLost,
        `Job ${lost.jobName} was deleted before its result was read: its progress is not saved and the next run re-reads from the last saved cursor ` +
          '(keep the operator running; history limits must keep finished Jobs until their result is read)',
      );
    }
    if (pendingLost?.size === 0) this.lostRuns.delete(objectKey(tenant.namespace, tenant.name));
    for (const [i, run] of pass.applied.runs.entries()) {
      const finished = pass.applied.finished[i];
      if (finished === undefined) continue;
      await markApplied(this.opts.client, finished.job, run.outcome);
      if (finished.job.metadata?.uid) this.appliedJobUids.add(finished.job.metadata.uid);
      if (this.opts.metrics?.tenantRunsTotal && this.opts.metrics.tenantRecordsSyncedTotal) {
        countTenantRun(this.opts.metrics as TenantMetricFields, tenant, run.outcome, run.records);
      }
      const ok = run.outcome === 'Succeeded';
      const message = `Job ${run.jobName} (${run.trigger}) ${ok ? 'succeeded' : run.outcome === 'PartiallySucceeded' ? 'partially failed' : 'failed'}: ${run.message}`;
      this.event(raw, ok ? 'Normal' : 'Warning', ok ? eventReasons.syncSucceeded : eventReasons.syncFailed, message);
      log.info({ job: run.jobName, trigger: run.trigger, outcome: run.outcome, records: run.records }, 'run result applied');
    }
    // The results of the kept pods are in the state ConfigMap and status now: let them go.
    await this.releasePods(pass.applied.releasePods);
  }

  /**
   * Applies a child. Not in the cache: a create-only apply, no read first (the cache lags only behind our own
   * writes, which the applier remembers, and never shows a stranger's object of the same name, being selected by
   * our label); if it exists after all (409), it is read and checked like a cached one, then applied.
   */
  private async ensureChild<T extends { metadata?: { deletionTimestamp?: unknown } }>(
    desired: KubeObject,
    owner: OwnerIdentity,
    cache: { get(namespace: string, name: string): T | undefined } | undefined,
    name: string,
  ): Promise<EnsureResult<T & KubeObject>> {
    const cached = cache?.get(owner.namespace, name);
    const ensure = async (live: (T & KubeObject) | undefined) => (await this.applier.ensure(desired, live)) as EnsureResult<T & KubeObject>;
    if (cache === undefined || cached !== undefined) return ensure(await this.liveChild<T>(desired, owner, cached));
    try {
      return await ensure(undefined);
    } catch (err) {
      if (!isConflict(err)) throw err;
      return ensure(await this.liveChild<T>(desired, owner));
    }
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
   * Step 12. Gathers what status is made of (the pass's findings, the caches, the clock), computes it with
   * desiredStatus and writes it only when it differs from the stored one; returns it (undefined: left alone).
   */
  private async summarizeAndPatch(raw: RawTenantSync, pass: PassResults, log: Logger): Promise<DesiredStatus | undefined> {
    const key = objectKey(raw.metadata.namespace, raw.metadata.name);
    const now = this.opts.clock.now();
    const stored = parseStoredStatus(raw.status);
    if (stored.invalidFields.length > 0) log.warn({ fields: stored.invalidFields }, 'status fields the schema rejects are dropped and rewritten');
    const { applied, children } = pass;
    const spec = children.spec;
    const suspended = spec?.tenantSync.spec.suspend === true;
    const periodSeconds = spec === undefined ? undefined : this.periodOf(spec.schedule, now);
    const desired = desiredStatus({
      old: stored.status,
      name: raw.metadata.name,
      generation: raw.metadata.generation,
      createdAt: toRfc3339(raw.metadata.creationTimestamp),
      spec: spec === undefined ? undefined : { suspended, schedule: spec.schedule, periodSeconds },
      failure: pass.failure,
      quietRetry: pass.quietRetry,
      cronJob: children.cronJob ?? this.opts.cronJobs.get(raw.metadata.namespace ?? '', childNames(raw.metadata.name).cronJob),
      jobs: children.jobs ?? this.tenantJobs(key),
      pods: this.tenantPods(key),
      handledRunRequest: children.handledRunRequest,
      handledResyncRequest: children.handledResyncRequest,
      rearmed: children.rearmed === true,
      runs: applied.runs,
      lost: pass.lost,
      state: children.state,
      streamNames: children.streamNames,
      now,
    });
    if (desired === undefined) return undefined;
    if (spec !== undefined) this.setGauges(raw, desired.status, suspended ? undefined : periodSeconds);
    await this.writeStatus(raw, stored.status, desired.status, applied.runs.length > 0, pass.childrenNote, log);
    return desired;
  }

  /**
   * Writes `next` with one merge patch when it differs from the stored status (an idle cluster sees no
   * writes), and emits an Event when Ready changes.
   */
  private async writeStatus(raw: RawTenantSync, old: TenantSyncStatus, next: TenantSyncStatus, appliedRuns: boolean, childrenNote: PendingEvent, log: Logger): Promise<void> {
    const key = objectKey(raw.metadata.namespace, raw.metadata.name);
    const nextJson = changedStatusJson(raw.status as TenantSyncStatus | undefined, next);
    if (nextJson === undefined) return;
    // Our previous write is not in the cache yet (same resourceVersion as before it): do not write it twice.
    const written = this.writtenStatus.get(key);
    const digest = hexHash(nextJson, 32);
    if (written?.digest === digest && written.resourceVersionBefore === raw.metadata.resourceVersion) return;
    const ref: ObjectRef = { apiVersion, kind, namespace: raw.metadata.namespace, name: raw.metadata.name };
    // The resourceVersion we computed from is a precondition: a newer object (a lagging cache, another writer)
    // makes the API server answer 409 instead of our patch undoing what it does not know.
    await this.opts.client.patchStatus(ref, { metadata: { resourceVersion: raw.metadata.resourceVersion }, status: mergePatch(raw.status, next) }, { fieldManager });
    this.writtenStatus.set(key, { digest, resourceVersionBefore: raw.metadata.resourceVersion });
    log.debug('status written');
    // A pass that applied runs reports them with SyncSucceeded/SyncFailed (step 13), not a second Ready event.
    const ready = appliedRuns ? undefined : readyTransitionEvent(old, next);
    const firstReady = old.conditions?.some((c) => c.type === conditionTypes.ready) !== true;
    const events = statusWriteEvents(childrenNote.event, ready, firstReady);
    childrenNote.event = undefined;
    for (const e of events) this.event(raw, e.type, e.reason, e.message);
  }

  /**
   * Records an Event without waiting for it to be written (the recorder writes them in order, in the background,
   * as client-go's broadcaster does): a pass's time does not depend on the Event API, and a lost Event fails nothing.
   */
  private event(raw: RawTenantSync, type: EventType, reason: string, message: string): void {
    void this.opts.recorder.record(raw, type, reason, message);
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
    // What staleness counts from, as the Stale condition does (so the alert does not fire at a resume either).
    const anchorMs = staleAnchorMs(status.lastSuccessfulRunTime, toRfc3339(raw.metadata.creationTimestamp), status.scheduleStartTime);
    setTenantGauges(m as TenantMetricFields, { namespace: raw.metadata.namespace ?? '', name: raw.metadata.name }, {
      lastSuccessSeconds: anchorMs === undefined ? undefined : anchorMs / 1000,
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

/** spec.stateRetention is Retain (read from the raw object: results are applied even while the spec is invalid). */
function retainsState(raw: RawTenantSync): boolean {
  return (raw.spec as { stateRetention?: unknown } | undefined)?.stateRetention === 'Retain';
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

