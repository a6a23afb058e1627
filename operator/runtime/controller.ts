// The generic controller (controller-runtime's Controller): watches turn informer events into keys of a
// work queue; workers hand each key to a Reconciler and turn its result into requeue-after or backoff,
// counting reconciles, errors, durations and the queue depth. It knows nothing of TenantSyncs.
import type { InformerEventOrigin } from './informer.js';
import type { OperatorMetrics } from './metrics.js';
import { errorFields, type Logger } from './logger.js';
import type { Runnable } from './manager.js';
import { objectKey, parseObjectKey, WorkQueue, type WorkResult } from './work-queue.js';

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** The read side of an informer cache (what a controller and its reconciler need of it). */
export interface ObjectCache<T> {
  get(namespace: string, name: string): T | undefined;
  keys(): string[];
  hasSynced(): boolean;
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  /** `origin`: whether a change prompted the event, or the first list or a resync told every object. */
  on(handler: (type: CacheEventType, obj: T, origin: InformerEventOrigin) => void): void;
}

/**
 * What a reconcile returns: nothing = done until the next event; `requeueAfterMs` = look again then
 * (backoff reset); `stalled` = it ended needing a person (counted apart from successes and errors).
 */
export type ReconcileResult = void | undefined | { readonly requeueAfterMs?: number | undefined; readonly stalled?: boolean | undefined };

/** The business half (controller-runtime's Reconciler): gets only a key, never the event, so it is level-based. */
export interface Reconciler {
  /** Brings the object `namespace/name` to what it asks for. Throws to be retried with per-key backoff. */
  reconcile(key: string, signal: AbortSignal): Promise<ReconcileResult>;
}

/** Maps an event on a watched object to the keys to reconcile (its owner, for instance); none to ignore it. */
export type KeysOf<T> = (type: CacheEventType, obj: T) => string | readonly string[] | undefined;

export type ControllerMetrics = Pick<OperatorMetrics, 'reconcileTotal' | 'reconcileErrorsTotal' | 'reconcileDurationSeconds' | 'workqueueDepth' | 'workqueueQueueDurationSeconds' | 'workqueueRetriesTotal'>;

export interface ControllerOptions {
  /** Runnable name and the `controller` field of its log lines. */
  name: string;
  reconciler: Reconciler;
  logger: Logger;
  metrics?: ControllerMetrics | undefined;
  /** Keys reconciled in parallel (never one key twice at once). Default 1. */
  workers?: number | undefined;
  /** Default true: only the leader reconciles (it writes). */
  needLeaderElection?: boolean;
  queue?: WorkQueue;
}

export class Controller implements Runnable {
  readonly name: string;
  readonly needLeaderElection: boolean;
  readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly log: Logger;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly workers: number;
  private readonly caches: ObjectCache<unknown>[] = [];
  private primary: ObjectCache<unknown> | undefined;

  constructor(opts: ControllerOptions) {
    this.name = opts.name;
    this.needLeaderElection = opts.needLeaderElection ?? true;
    this.reconciler = opts.reconciler;
    this.log = opts.logger.child({ controller: opts.name });
    this.metrics = opts.metrics;
    this.workers = Math.max(1, opts.workers ?? 1);
    this.queue =
      opts.queue ??
      new WorkQueue({
        onDepthChange: (depth) => opts.metrics?.workqueueDepth.set(depth),
        onDequeue: (waitedMs) => opts.metrics?.workqueueQueueDurationSeconds.observe(waitedMs / 1000),
        onRetry: () => opts.metrics?.workqueueRetriesTotal.inc(),
      });
  }

  /** The kind reconciled: each event enqueues the object's own key, and every cached object is reconciled at start. */
  for<T>(cache: ObjectCache<T>): this {
    if (this.primary !== undefined) throw new Error(`controller ${this.name} already reconciles a kind; call for() once`);
    this.primary = cache as ObjectCache<unknown>;
    return this.watches(cache, (_type, obj) => {
      const meta = (obj as { metadata?: { namespace?: string; name?: string } }).metadata;
      return meta?.name ? objectKey(meta.namespace, meta.name) : undefined;
    });
  }

  /**
   * Another kind: each event enqueues the keys `keysOf` maps the object to. Its cache must sync before work starts.
   * What a first list or a resync tells is queued at low priority: a change made meanwhile goes first.
   */
  watches<T>(cache: ObjectCache<T>, keysOf: KeysOf<T>): this {
    this.caches.push(cache as ObjectCache<unknown>);
    cache.on((type, obj, origin) => {
      const keys = keysOf(type, obj);
      const priority = origin === 'change' ? 'normal' : 'low';
      for (const key of typeof keys === 'string' ? [keys] : (keys ?? [])) this.queue.add(key, priority);
    });
    return this;
  }

  /** A cache the reconciler reads without watching it: work starts once it has synced too. */
  reads<T>(cache: ObjectCache<T>): this {
    this.caches.push(cache as ObjectCache<unknown>);
    return this;
  }

  /** Runnable: once every watched cache has synced, reconciles every object and then whatever changes, until aborted. */
  async start(signal: AbortSignal): Promise<void> {
    for (const cache of this.caches) if (!(await cache.waitForSync(signal))) return;
    const keys = this.primary?.keys() ?? [];
    // Every object is looked at once (the first list already queued them; a key queued by a change stays normal).
    for (const key of keys) this.queue.add(key, 'low');
    this.log.info({ workers: this.workers, objects: keys.length }, 'controller started');
    await this.queue.run((key, s) => this.reconcileKey(key, s), {
      workers: this.workers,
      signal,
      onError: (key, err, retryInMs) => this.log.warn({ ...parseObjectKey(key), error: errorFields(err), retryInMs }, 'reconcile failed; retrying'),
    });
    this.log.info('controller stopped');
  }

  /** One reconcile with its metrics (result: success, requeue, stalled or error); a throw goes on to the queue's backoff. */
  async reconcileKey(key: string, signal: AbortSignal = new AbortController().signal): Promise<WorkResult> {
    const started = performance.now();
    try {
      const result = (await this.reconciler.reconcile(key, signal)) ?? undefined;
      const requeueAfterMs = result?.requeueAfterMs;
      this.metrics?.reconcileTotal.inc({ result: result?.stalled ? 'stalled' : requeueAfterMs !== undefined ? 'requeue' : 'success' });
      return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
    } catch (err) {
      this.metrics?.reconcileTotal.inc({ result: 'error' });
      this.metrics?.reconcileErrorsTotal.inc();
      throw err;
    } finally {
      this.metrics?.reconcileDurationSeconds.observe((performance.now() - started) / 1000);
    }
  }
}
