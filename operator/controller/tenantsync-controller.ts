// The TenantSync controller: a level-based reconcile that reads as a numbered story (load → validate →
// Secrets → children → run-now → one status patch → requeue), plus the watches and the worker loop.
import type { V1ConfigMap, V1CronJob, V1Job, V1Secret } from '@kubernetes/client-node';
import { apiVersion, kind, tenantSyncStatusSchema, type TenantSync, type TenantSyncStatus } from '../api/tenantsync.js';
import type { KubeClient, KubeObject, ObjectRef } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { isAlreadyExists } from '../kube/errors.js';
import type { EventRecorderLike, EventType } from '../kube/events.js';
import { reasons } from '../reconcile/conditions.js';
import { desiredCronJob } from '../reconcile/desired-cronjob.js';
import { desiredConfigMap, initialStateConfigMap, jobConfig } from '../reconcile/desired-configmaps.js';
import { fieldManager, type OwnerIdentity } from '../reconcile/labels.js';
import { mergePatch } from '../reconcile/merge-patch.js';
import { childNames } from '../reconcile/names.js';
import { conflictMessage, ownershipOf } from '../reconcile/ownership.js';
import { decideRunNow, manualJob } from '../reconcile/run-now.js';
import { nextScheduledRun, type EffectiveSchedule } from '../reconcile/schedule.js';
import { missingSecretsMessage, secretReferences, type SecretLookup } from '../reconcile/secrets.js';
import { canonicalJson, computeStatus, readyTransitionEvent, statusChanged, type ReconcileOutcome } from '../reconcile/status.js';
import { validateTenantSync } from '../reconcile/validate.js';
import { errorFields, objectLogger, type Logger } from '../runtime/logger.js';
import type { OperatorMetrics } from '../runtime/metrics.js';
import { expBackoffMs } from '../runtime/sleep.js';
import { objectKey, parseObjectKey, WorkQueue, type WorkResult } from '../runtime/work-queue.js';
import { ChildApplier, type EnsureResult } from './child-applier.js';
import { errorPolicy, StalledError, WaitingError, type ErrorAction } from './errors.js';
import { ownerKeyOfCronJob, ownerKeyOfJob } from './watches.js';

/** A missing Secret is not watched (that would cache every Secret): poll for it, 5 s doubling to 5 min. */
export const secretRetryInitialMs = 5_000;
export const secretRetryMaxMs = 300_000;
/** A terminating child is waited out this long before it is created again. */
export const childTerminatingRetryMs = 2_000;
/** Requeue-after never exceeds this (timers overflow past 24.8 days; a daily look is cheap). */
export const maxRequeueAfterMs = 24 * 3600_000;
/** The next run time in status moves once the old one has passed; wake up just after it. */
const afterNextRunSlackMs = 1_000;

/** The read side of the informer caches. */
export interface ObjectCache<T> {
  get(namespace: string, name: string): T | undefined;
  keys(): string[];
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  on(handler: (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T) => void): void;
}

/** The requests the controller sends: reads of Secrets and ConfigMaps, applies, creates, status patches. */
export type ControllerClient = Pick<KubeClient, 'get' | 'apply' | 'create' | 'mergePatch'>;

export interface TenantSyncControllerOptions {
  client: ControllerClient;
  tenantSyncs: ObjectCache<unknown>;
  cronJobs: ObjectCache<V1CronJob>;
  /** Jobs of managed CronJobs; events on them reconcile the owner (run results, issue 5). */
  jobs?: ObjectCache<V1Job> | undefined;
  recorder: EventRecorderLike;
  clock: Clock;
  logger: Logger;
  metrics?: Pick<OperatorMetrics, 'reconcileTotal' | 'reconcileErrorsTotal' | 'reconcileDurationSeconds' | 'workqueueDepth'> | undefined;
  /** Image of the sync container when spec.job.image is not set. */
  defaultSyncImage: string;
  workers?: number;
  queue?: WorkQueue;
}

/** What one pass found, collected for the single status write at its end. */
interface PassFindings {
  tenantSync?: TenantSync;
  schedule?: EffectiveSchedule;
  cronJob?: V1CronJob;
  handledRunRequest?: string;
  secretsMissing?: string;
}

type RawTenantSync = KubeObject & { metadata: KubeObject['metadata'] & { uid?: string; generation?: number }; status?: unknown; spec?: unknown };

/** Remembers our last status write, so a cache that has not caught up yet does not cause a second one. */
interface WrittenStatus {
  readonly canonical: string;
  readonly resourceVersionBefore: string | undefined;
}

export class TenantSyncController {
  readonly name = 'tenantsync-controller';
  readonly needLeaderElection = true;
  readonly queue: WorkQueue;
  private readonly opts: TenantSyncControllerOptions;
  private readonly log: Logger;
  private readonly applier: ChildApplier;
  private readonly secretRetries = new Map<string, number>();
  private readonly writtenStatus = new Map<string, WrittenStatus>();

  constructor(opts: TenantSyncControllerOptions) {
    this.opts = opts;
    this.log = opts.logger.child({ controller: 'tenantsync' });
    this.applier = new ChildApplier(opts.client);
    this.queue = opts.queue ?? new WorkQueue({ onDepthChange: (d) => opts.metrics?.workqueueDepth.set(d) });
    this.watch();
  }

  /** Every TenantSync event enqueues it; CronJob and Job events enqueue their owner (level-based: only keys travel). */
  private watch(): void {
    this.opts.tenantSyncs.on((_type, obj) => {
      const meta = (obj as { metadata?: { namespace?: string; name?: string } }).metadata;
      if (meta?.name) this.queue.add(objectKey(meta.namespace, meta.name));
    });
    this.opts.cronJobs.on((_type, cronJob) => {
      const key = ownerKeyOfCronJob(cronJob);
      if (key) this.queue.add(key);
    });
    this.opts.jobs?.on((_type, job) => {
      const key = ownerKeyOfJob(job);
      if (key) this.queue.add(key);
    });
  }

  /** Runnable: once the caches are synced, reconcile every TenantSync and then whatever changes, until aborted. */
  async start(signal: AbortSignal): Promise<void> {
    const caches = [this.opts.tenantSyncs, this.opts.cronJobs, ...(this.opts.jobs ? [this.opts.jobs] : [])];
    for (const cache of caches) if (!(await cache.waitForSync(signal))) return;
    for (const key of this.opts.tenantSyncs.keys()) this.queue.add(key);
    this.log.info({ workers: this.opts.workers ?? 1, tenantSyncs: this.opts.tenantSyncs.keys().length }, 'controller started');
    await this.queue.run((key) => this.reconcileKey(key), {
      workers: this.opts.workers ?? 1,
      signal,
      onError: (key, err, retryInMs) => this.log.warn({ ...keyFields(key), err: errorFields(err), retryInMs }, 'reconcile failed; retrying'),
    });
    this.log.info('controller stopped');
  }

  /** One reconcile with its metrics (result: success, requeue, stalled or error). */
  async reconcileKey(key: string): Promise<WorkResult> {
    const started = performance.now();
    try {
      const { result, stalled } = await this.reconcileWithOutcome(key);
      this.opts.metrics?.reconcileTotal.inc({ result: stalled ? 'stalled' : result?.requeueAfterMs !== undefined ? 'requeue' : 'success' });
      return result;
    } catch (err) {
      this.opts.metrics?.reconcileTotal.inc({ result: 'error' });
      this.opts.metrics?.reconcileErrorsTotal.inc();
      throw err;
    } finally {
      this.opts.metrics?.reconcileDurationSeconds.observe((performance.now() - started) / 1000);
    }
  }

  /**
   * Reconciles the TenantSync `namespace/name`. Returns when to look again; throws (→ per-key
   * exponential backoff) only for errors worth retrying.
   */
  async reconcile(key: string): Promise<WorkResult> {
    return (await this.reconcileWithOutcome(key)).result;
  }

  private async reconcileWithOutcome(key: string): Promise<{ result: WorkResult; stalled: boolean }> {
    const { namespace, name } = parseObjectKey(key);
    const log = objectLogger(this.opts.logger, { namespace, name });

    // 1. Load from the informer cache. Gone: its children go with it through owner references.
    const raw = this.opts.tenantSyncs.get(namespace, name) as RawTenantSync | undefined;
    if (raw === undefined) {
      this.forget(key, namespace, name);
      return { result: undefined, stalled: false };
    }
    // Being deleted: the garbage collector removes the children; re-creating them would fight it.
    if (raw.metadata.deletionTimestamp) return { result: undefined, stalled: false };

    const found: PassFindings = {};
    let failure: ErrorAction | undefined;
    try {
      await this.reconcileChildren(raw, found, log);
      // 8. A missing Secret is reported (and polled for) only after the CronJob was applied suspended.
      if (found.secretsMissing !== undefined) throw new StalledError(reasons.secretNotFound, found.secretsMissing, this.nextSecretRetryMs(key));
      this.secretRetries.delete(key);
    } catch (err) {
      // 9. The error policy decides how a failure is reported and retried (stalled / wait / retry).
      failure = errorPolicy(err);
      if (failure.kind !== 'stalled' || failure.reason !== reasons.secretNotFound) this.secretRetries.delete(key);
      if (failure.kind === 'retry') {
        // Summarize first (best effort) so the user sees why, then let the queue back off.
        await this.summarizeAndPatch(raw, found, failure, log).catch((e: unknown) =>
          log.warn({ err: errorFields(e) }, 'could not write status after a failed reconcile'),
        );
        throw err;
      }
      log.info({ reason: failure.reason, message: failure.message }, failure.kind === 'stalled' ? 'stalled' : 'waiting');
    }

    // 10. Summarize and patch: the one place status is written, only when it changed.
    const status = await this.summarizeAndPatch(raw, found, failure, log);

    // 11. Requeue: after a delay the error policy chose, or when the next run time has passed.
    const stalled = failure?.kind === 'stalled';
    if (failure !== undefined) {
      return { result: failure.kind !== 'retry' && failure.requeueAfterMs !== undefined ? { requeueAfterMs: failure.requeueAfterMs } : undefined, stalled };
    }
    if (status.nextRunTime === undefined) return { result: undefined, stalled };
    const untilNextMs = Date.parse(status.nextRunTime) - this.opts.clock.now().getTime() + afterNextRunSlackMs;
    return { result: { requeueAfterMs: Math.min(Math.max(untilNextMs, afterNextRunSlackMs), maxRequeueAfterMs) }, stalled };
  }

  /** Steps 2–7: everything that writes children. Throws typed errors; records what it found in `found`. */
  private async reconcileChildren(raw: RawTenantSync, found: PassFindings, log: Logger): Promise<void> {
    // 2. Validate with the same zod schema the CRD came from; an object that got past an older CRD
    //    is reported, not retried (nothing changes until the object does).
    const validation = validateTenantSync(raw);
    if (!validation.ok) throw new StalledError(reasons.invalidSpec, `spec is invalid: ${validation.message}`);
    const ts = validation.tenantSync;
    found.tenantSync = ts;
    found.schedule = validation.schedule;
    const owner: OwnerIdentity = { name: ts.metadata.name, namespace: ts.metadata.namespace ?? '', uid: raw.metadata.uid ?? '' };
    const names = childNames(owner.name);

    // 3. The Secrets exist with their keys? Read by name (never cached, never copied); a missing one
    //    keeps the CronJob suspended so no pod starts that cannot read its credentials.
    found.secretsMissing = await this.checkSecrets(ts);

    // 4. Config ConfigMap: the job config, applied whenever it differs.
    const configMap = desiredConfigMap(owner, jobConfig(ts.spec, owner.name, validation.schedule));
    const liveConfig = await this.liveChild<V1ConfigMap>(configMap, owner);
    await this.report(raw, await this.applier.ensure(configMap, liveConfig), 'ConfigMap');

    // 5. State ConfigMap: created empty once; its cursors are the operator's and are never reset.
    const state = initialStateConfigMap(owner);
    const liveState = await this.liveChild<V1ConfigMap>(state, owner);
    if (liveState === undefined) {
      if (await this.createIfAbsent(state)) {
        await this.event(raw, 'Normal', 'ConfigMapCreated', `Created ConfigMap ${names.stateConfigMap} with an empty sync state`);
      }
    } else if (ownershipOf(liveState.metadata ?? {}, owner) === 'adoptable') {
      await this.opts.client.mergePatch(refOf(state), { metadata: { ownerReferences: state.metadata?.ownerReferences } }, { fieldManager });
    }

    // 6. CronJob: applied whenever it differs, so a hand-edited schedule or image is put back and a
    //    deleted CronJob comes back.
    const cronJob = desiredCronJob({
      owner,
      spec: ts.spec,
      schedule: validation.schedule,
      defaultSyncImage: this.opts.defaultSyncImage,
      secretsMissing: found.secretsMissing !== undefined,
    });
    const liveCronJob = await this.liveChild<V1CronJob>(cronJob, owner, this.opts.cronJobs.get(owner.namespace, names.cronJob));
    const applied = await this.applier.ensure(cronJob, liveCronJob);
    found.cronJob = applied.object;
    await this.report(raw, applied, 'CronJob');

    // 7. Run now: a new run-requested-at value starts one Job (named after the value, so a retry
    //    finds it instead of starting another) and is echoed to status.
    const old = parseStatus(raw.status);
    const decision = decideRunNow({
      name: owner.name,
      annotations: ts.metadata.annotations,
      lastHandledRunRequest: old.lastHandledRunRequest,
      canRun: found.secretsMissing === undefined,
    });
    if (decision.action === 'create') {
      const job = manualJob(applied.object, decision.jobName, decision.value);
      const created = await this.createIfAbsent(job);
      found.handledRunRequest = decision.value;
      if (created) {
        log.info({ job: decision.jobName, runRequest: decision.value }, 'started a manual run');
        await this.event(raw, 'Normal', 'RunStarted', `Started Job ${decision.jobName} for run request "${decision.value}"`);
      }
    } else if (decision.action === 'wait') {
      log.info({ runRequest: decision.value }, 'run request waits until the Secret exists');
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
   * Step 10. Rebuilds status from what this pass found, writes it with one merge patch only when it
   * differs from the stored one, and emits an Event when Ready changes.
   */
  private async summarizeAndPatch(raw: RawTenantSync, found: PassFindings, failure: ErrorAction | undefined, log: Logger): Promise<TenantSyncStatus> {
    const key = objectKey(raw.metadata.namespace, raw.metadata.name);
    const now = this.opts.clock.now();
    const old = parseStatus(raw.status);
    const suspended = found.tenantSync?.spec.suspend === true;
    const outcome = outcomeOf(failure, found, suspended);
    const cronJob = found.cronJob ?? this.opts.cronJobs.get(raw.metadata.namespace ?? '', childNames(raw.metadata.name).cronJob);
    const runs = outcome.kind === 'ready' && !suspended && found.schedule !== undefined;
    const next = computeStatus({
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
    if (!statusChanged(raw.status as TenantSyncStatus | undefined, next)) return next;
    // Our previous write is not in the cache yet (same resourceVersion as before it): do not write it twice.
    const written = this.writtenStatus.get(key);
    if (written?.canonical === canonicalJson(next) && written.resourceVersionBefore === raw.metadata.resourceVersion) return next;
    const ref: ObjectRef = { apiVersion, kind, namespace: raw.metadata.namespace, name: raw.metadata.name };
    await this.opts.client.mergePatch(ref, { status: mergePatch(raw.status, next) }, { fieldManager, subresource: 'status' });
    this.writtenStatus.set(key, { canonical: canonicalJson(next), resourceVersionBefore: raw.metadata.resourceVersion });
    log.debug({ outcome: outcome.kind }, 'status written');
    const event = readyTransitionEvent(old, next);
    if (event !== undefined) await this.event(raw, event.type, event.reason, event.message);
    return next;
  }

  /** Events for children that were created or changed (not for unchanged ones: no Event per pass). */
  private async report(raw: RawTenantSync, result: EnsureResult<KubeObject>, kindName: string): Promise<void> {
    const name = result.object.metadata.name;
    if (result.action === 'created') await this.event(raw, 'Normal', `${kindName}Created`, `Created ${kindName} ${name}`);
    if (result.action === 'updated') {
      const fields = result.changed.slice(0, 5).join(', ') + (result.changed.length > 5 ? ', …' : '');
      await this.event(raw, 'Normal', `${kindName}Updated`, `Updated ${kindName} ${name} (${fields})`);
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

  private forget(key: string, namespace: string, name: string): void {
    this.secretRetries.delete(key);
    this.writtenStatus.delete(key);
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

/** The stored status as far as it is valid; garbage (from a hand edit) is treated as empty and overwritten. */
function parseStatus(raw: unknown): TenantSyncStatus {
  const parsed = tenantSyncStatusSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : {};
}

const refOf = (obj: KubeObject): ObjectRef => ({ apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name });

const keyFields = (key: string) => {
  const { namespace, name } = parseObjectKey(key);
  return { namespace, name };
};
