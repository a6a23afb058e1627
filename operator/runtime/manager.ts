// Runs the operator's long-lived parts (controller-runtime's Manager): every Runnable starts at
// once unless it needs leadership; those start when this process leads and stop when it stops leading.
import type { OperatorMetrics } from './metrics.js';
import { LeaderElector, type LeaderElectionConfig } from './leader-election.js';
import { errorFields, type Logger } from './logger.js';
import { untilAborted } from './sleep.js';

/**
 * A long-running part. `start` runs until `signal` aborts, then stops its work and resolves.
 * A leader-only runnable is started again each time this process regains leadership.
 */
export interface Runnable {
  name: string;
  /** true: only the leader runs it (its work, and the caches that work reads); false: every replica runs it (servers). */
  needLeaderElection: boolean;
  /** A cache (an informer): it stops only after the runnables that are not caches, so they drain against it. */
  readonly isCache?: boolean;
  start(signal: AbortSignal): Promise<void>;
}

/** A named readiness probe; /readyz is ready when all are. */
export type ReadyCheck = () => boolean;

export interface ManagerOptions {
  logger: Logger;
  metrics?: Pick<OperatorMetrics, 'leader'>;
  /** Leader election settings; undefined = no election, this process always leads. */
  leaderElection?: Omit<LeaderElectionConfig, 'logger'> | undefined;
  /** Called each time leadership ends, after the leader runnables have stopped (e.g. drop per-tenant gauges). */
  onStoppedLeading?: (() => void) | undefined;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
  /** What keeps a check failing, for people (e.g. a namespace RBAC refuses, with the missing rule). */
  problems?: string[];
}

/** A runnable that can say what is wrong with it (an informer: namespaces RBAC refuses). */
interface ProblemSource {
  problems(): { namespace?: string | undefined; message: string; missingRule: string; informer: string }[];
}

/** Thrown by Manager.start when a runnable failed (the manager stopped everything first). */
export class RunnableFailedError extends Error {
  override readonly name = 'RunnableFailedError';
  readonly code = 'RUNNABLE_FAILED' as const;
  constructor(
    readonly runnable: string,
    cause: unknown,
  ) {
    super(`runnable ${runnable} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export class Manager {
  private readonly logger: Logger;
  private readonly metrics: Pick<OperatorMetrics, 'leader'> | undefined;
  private readonly elector: LeaderElector | undefined;
  private readonly runnables: Runnable[] = [];
  private readonly readyChecks = new Map<string, ReadyCheck>();
  private readonly problemSources: ProblemSource[] = [];
  private readonly onStoppedLeading: (() => void) | undefined;
  private started = false;
  private leading = false;
  /** Runnables whose start() has not returned yet (one name per running instance). */
  private readonly active: string[] = [];
  /** Aborts when the current leadership ends; an aborted one while not leading. */
  private leadership: AbortSignal = AbortSignal.abort(notLeading());

  constructor(opts: ManagerOptions) {
    this.logger = opts.logger.child({ component: 'manager' });
    this.metrics = opts.metrics;
    this.onStoppedLeading = opts.onStoppedLeading;
    this.elector = opts.leaderElection ? new LeaderElector({ ...opts.leaderElection, logger: opts.logger }) : undefined;
  }

  /**
   * Adds a runnable; one with `hasSynced()` (an informer) also becomes a readiness check — for a leader-only one,
   * while this process leads (a standby holds no cache and is ready).
   */
  add(runnable: Runnable & { hasSynced?: () => boolean } & Partial<ProblemSource>): void {
    if (this.started) throw new Error(`cannot add runnable ${runnable.name} after the manager started`);
    this.runnables.push(runnable);
    const hasSynced = runnable.hasSynced;
    if (typeof hasSynced === 'function') this.addReadyCheck(`${runnable.name} synced`, () => (runnable.needLeaderElection && !this.leading) || hasSynced.call(runnable));
    if (typeof runnable.problems === 'function') this.problemSources.push(runnable as ProblemSource);
  }

  /**
   * The signal of the current leadership: aborts the moment this process loses the Lease (already
   * aborted while it stands by; on shutdown only once the leader's work has drained). Pass it to
   * every leader write (KubeClient.withSignal does).
   */
  leadershipSignal(): AbortSignal {
    return this.leadership;
  }

  addReadyCheck(name: string, check: ReadyCheck): void {
    this.readyChecks.set(name, check);
  }

  /** Ready when every check passes; a standby (not leader) is still ready. */
  readiness(): Readiness {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of this.readyChecks) {
      try {
        checks[name] = check();
      } catch {
        checks[name] = false;
      }
    }
    const problems = this.problemSources.flatMap((s) =>
      s.problems().map((p) => `${p.informer}: ${p.namespace === undefined ? 'cluster-wide' : `namespace ${p.namespace}`} is not served: ${p.message} (missing RBAC rule: ${p.missingRule})`),
    );
    return { ready: Object.values(checks).every(Boolean), checks, ...(problems.length > 0 ? { problems } : {}) };
  }

  /** The runnables still running, in the order they started (e.g. what a slow shutdown waits for). */
  running(): string[] {
    return [...this.active];
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The identity written into the Lease (undefined without leader election). */
  get identity(): string | undefined {
    return this.elector?.identity;
  }

  /**
   * Runs everything until `signal` aborts (e.g. SIGTERM), then stops leader runnables (they drain),
   * releases the Lease, stops the rest and resolves. If a runnable fails, everything is stopped the
   * same way and the promise rejects with RunnableFailedError.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('Manager.start called twice');
    this.started = true;
    const stopAll = new AbortController();
    let failure: RunnableFailedError | undefined;
    const onAbort = () => stopAll.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stopAll.abort();
    const runOne = async (r: Runnable, s: AbortSignal): Promise<void> => {
      const log = this.logger.child({ runnable: r.name });
      log.debug('starting');
      this.active.push(r.name);
      try {
        await r.start(s);
        if (!s.aborted) log.warn('runnable returned before it was asked to stop');
        log.debug('stopped');
      } catch (err) {
        log.error({ error: errorFields(err) }, 'runnable failed; stopping the manager');
        failure ??= new RunnableFailedError(r.name, err);
        stopAll.abort();
      } finally {
        this.active.splice(this.active.indexOf(r.name), 1);
      }
    };

    const always = this.runnables.filter((r) => !r.needLeaderElection);
    const leaderCaches = this.runnables.filter((r) => r.needLeaderElection && r.isCache === true);
    const leaderWork = this.runnables.filter((r) => r.needLeaderElection && r.isCache !== true);
    // Leader work stops before shared parts (health server, shared caches) so it drains against a live cache.
    const leaderWorkStopped = new AbortController();
    const shared = Promise.all(always.map((r) => runOne(r, leaderWorkStopped.signal)));

    // Writes end the moment the Lease is lost; on shutdown they finish while the work drains. The leader's
    // caches start with its work and stop after it (controller-runtime's order), so the work drains against them.
    const lead = async (leading: AbortSignal, lost: AbortSignal = new AbortController().signal): Promise<void> => {
      this.leadership = lost;
      this.setLeading(true);
      const cachesStopped = new AbortController();
      const caches = Promise.all(leaderCaches.map((r) => runOne(r, cachesStopped.signal)));
      try {
        await Promise.all([...leaderWork.map((r) => runOne(r, leading)), untilAborted(leading)]);
      } finally {
        cachesStopped.abort();
        await caches;
        this.leadership = AbortSignal.abort(notLeading());
        this.setLeading(false);
        this.onStoppedLeading?.();
      }
    };
    if (this.elector) {
      this.setLeading(false);
      await this.elector.run(stopAll.signal, { onStartedLeading: lead });
    } else {
      await lead(stopAll.signal);
      await untilAborted(stopAll.signal);
    }
    leaderWorkStopped.abort();
    await shared;
    signal.removeEventListener('abort', onAbort);
    this.logger.info('manager stopped');
    if (failure) throw failure;
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.metrics?.leader.set(leading ? 1 : 0);
  }
}

/** The abort reason of requests made while this process does not lead. */
function notLeading(): Error {
  return Object.assign(new Error('this operator instance is not the leader (lost or released the Lease); its writes are cancelled'), { code: 'NOT_LEADER' });
}

/** True for what a request made while this process does not lead fails with (see Manager.leadershipSignal). */
export function isNotLeading(err: unknown): boolean {
  return (err as { code?: unknown } | null | undefined)?.code === 'NOT_LEADER';
}
