// Leader election on a coordination.k8s.io/v1 Lease (client-go's algorithm): pure decisions from
// (lease, identity, now), an elector loop that acquires, renews, steps down and releases on shutdown.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import { isAlreadyExists, isConflict } from '../kube/errors.js';
import { microTime, realClock, type Clock } from '../kube/clock.js';
import { errorFields, type Logger } from './logger.js';
import { jittered, sleep } from './sleep.js';

export const defaultLeaseDurationSeconds = 15;
export const defaultRenewDeadlineSeconds = 10;
export const defaultRetryPeriodSeconds = 2;

/** The Lease spec fields the algorithm reads and writes. Times are RFC 3339 MicroTime strings. */
export interface LeaseSpec {
  holderIdentity?: string | null | undefined;
  leaseDurationSeconds?: number | undefined;
  acquireTime?: string | null | undefined;
  renewTime?: string | null | undefined;
  leaseTransitions?: number | undefined;
}

export interface LeaseObject {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; [k: string]: unknown };
  spec?: LeaseSpec;
}

/** What to do after reading the Lease. `observedAtMs` explains expiry (see decideLease). */
export type LeaseDecision =
  | { action: 'create'; spec: LeaseSpec }
  | { action: 'renew'; spec: LeaseSpec }
  | { action: 'acquire'; spec: LeaseSpec; previousHolder: string | undefined }
  | { action: 'wait'; holder: string; expiresAtMs: number };

export { microTime } from '../kube/clock.js';

export const leaseIsFree = (spec: LeaseSpec | undefined): boolean => !spec?.holderIdentity;

/**
 * Decides between create / renew / acquire (take over) / wait. Pure.
 * Expiry is judged against `observedAtMs` — the local time at which this elector first saw the
 * current version of the Lease — not the holder's renewTime, so clock skew between machines
 * cannot make a live leader look dead (client-go does the same).
 */
export function decideLease(input: {
  lease: LeaseSpec | undefined;
  exists: boolean;
  identity: string;
  /** Monotonic ms, the same clock as observedAtMs: expiry is a duration, never a wall-clock instant. */
  nowMs: number;
  observedAtMs: number;
  leaseDurationSeconds: number;
  /** Wall-clock ms for the times written into the Lease (default nowMs). */
  wallNowMs?: number;
}): LeaseDecision {
  const { lease, identity, nowMs, leaseDurationSeconds } = input;
  const now = microTime(new Date(input.wallNowMs ?? nowMs));
  const fresh: LeaseSpec = {
    holderIdentity: identity,
    leaseDurationSeconds,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: 0,
  };
  if (!input.exists) return { action: 'create', spec: fresh };
  if (lease?.holderIdentity === identity) {
    return { action: 'renew', spec: { ...lease, holderIdentity: identity, leaseDurationSeconds, renewTime: now } };
  }
  const transitions = (lease?.leaseTransitions ?? 0) + 1;
  if (leaseIsFree(lease)) {
    return { action: 'acquire', spec: { ...fresh, leaseTransitions: transitions }, previousHolder: undefined };
  }
  const holder = lease!.holderIdentity!;
  const expiresAtMs = input.observedAtMs + (lease?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  if (nowMs < expiresAtMs) return { action: 'wait', holder, expiresAtMs };
  return { action: 'acquire', spec: { ...fresh, leaseTransitions: transitions }, previousHolder: holder };
}

/** The spec written on a clean shutdown: no holder, so a standby takes over at its next retry. */
export function releasedLeaseSpec(current: LeaseSpec, nowMs: number): LeaseSpec {
  const now = microTime(new Date(nowMs));
  return { ...current, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: now, renewTime: now };
}

/** Should a leader step down? Pure: yes when another holder won, or renewals failed for renewDeadline. */
export function shouldStepDown(input: {
  lastRenewMs: number;
  nowMs: number;
  renewDeadlineSeconds: number;
  heldByOther: boolean;
}): boolean {
  return input.heldByOther || input.nowMs - input.lastRenewMs >= input.renewDeadlineSeconds * 1000;
}

/** `<hostname>_<uuid>`: unique per process, readable in `kubectl get lease -o yaml`. */
export const defaultIdentity = (): string => `${hostname()}_${randomUUID()}`;

export interface LeaderElectionConfig {
  client: KubeClient;
  /** Where the Lease lives (usually the operator's namespace). */
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
  logger: Logger;
  /** Wall clock: only for the times written into the Lease. */
  clock?: Clock;
  /**
   * Monotonic milliseconds (default performance.now) for every duration: lease expiry, the renew
   * deadline. A wall clock that jumps (NTP step, VM resume) must neither steal a live Lease nor keep a
   * leader that stopped renewing.
   */
  monotonicMs?: () => number;
}

export interface LeaderCallbacks {
  /**
   * This process became leader. `leading` aborts when leadership ends (lost or shutdown); the
   * returned promise must settle once the leader's work has stopped writing. `lost` aborts only when
   * the Lease is lost (not on shutdown, where the Lease is kept while the work drains): writes still
   * in flight then must stop at once, since another replica may already lead.
   */
  onStartedLeading: (leading: AbortSignal, lost: AbortSignal) => Promise<void>;
  /** Leadership ended (lost or shutdown); called right after `leading` aborts. */
  onStoppedLeading?: () => void;
  /** Another (or this) identity was seen holding the Lease. */
  onNewLeader?: (identity: string) => void;
}

type AttemptOutcome = 'leading' | 'held-by-other' | 'failed';

/**
 * Campaigns for the Lease until `signal` aborts: acquire → lead (renew every retryPeriod) → on
 * loss, stop the leader's work and campaign again. On abort it stops the work, keeps renewing
 * while that drains, then releases the Lease. `run` never throws.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly name: string;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineSeconds: number;
  private readonly retryPeriodSeconds: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly monotonicMs: () => number;
  private leading = false;
  /** The Lease as we last read or wrote it, and when (local ms) we first saw that version. */
  private observed: LeaseObject | undefined;
  private observedAtMs = 0;
  private lastReportedLeader: string | undefined;

  constructor(cfg: LeaderElectionConfig) {
    this.client = cfg.client;
    this.namespace = cfg.namespace;
    this.name = cfg.name;
    this.identity = cfg.identity ?? defaultIdentity();
    this.leaseDurationSeconds = cfg.leaseDurationSeconds ?? defaultLeaseDurationSeconds;
    this.renewDeadlineSeconds = cfg.renewDeadlineSeconds ?? defaultRenewDeadlineSeconds;
    this.retryPeriodSeconds = cfg.retryPeriodSeconds ?? defaultRetryPeriodSeconds;
    if (!(this.leaseDurationSeconds > this.renewDeadlineSeconds && this.renewDeadlineSeconds > this.retryPeriodSeconds)) {
      throw new Error(
        `leader election needs leaseDuration > renewDeadline > retryPeriod, got ${this.leaseDurationSeconds}s/${this.renewDeadlineSeconds}s/${this.retryPeriodSeconds}s`,
      );
    }
    this.logger = cfg.logger.child({ lease: `${cfg.namespace}/${cfg.name}`, identity: this.identity });
    this.clock = cfg.clock ?? realClock;
    this.monotonicMs = cfg.monotonicMs ?? (() => performance.now());
  }

  isLeader(): boolean {
    return this.leading;
  }

  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    while (!signal.aborted) {
      await this.acquire(signal, callbacks);
      if (signal.aborted) break;
      await this.lead(signal, callbacks);
    }
  }

  private async acquire(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    this.logger.info('waiting to acquire the leader lease');
    while (!signal.aborted) {
      if ((await this.tryAcquireOrRenew(signal, callbacks, this.renewDeadlineSeconds * 1000)) === 'leading') return;
      await sleep(jittered(this.retryPeriodSeconds * 1000), signal);
    }
  }

  private async lead(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    this.leading = true;
    this.logger.info('became leader');
    const leadership = new AbortController();
    const lostLease = new AbortController();
    let workDone = false;
    const work = Promise.resolve()
      .then(() => callbacks.onStartedLeading(leadership.signal, lostLease.signal))
      .catch((err: unknown) => this.logger.error({ err }, 'leader work failed'))
      .finally(() => {
        workDone = true;
      });
    let lastRenewMs = this.nowMs();
    let lost = false;
    // Renew until shutdown or loss.
    while (!signal.aborted) {
      await sleep(this.retryPeriodSeconds * 1000, signal);
      if (signal.aborted) break;
      const remainingMs = this.renewDeadlineSeconds * 1000 - (this.nowMs() - lastRenewMs);
      const outcome = await this.tryAcquireOrRenew(signal, callbacks, Math.max(remainingMs, 1000));
      if (outcome === 'leading') {
        lastRenewMs = this.nowMs();
        continue;
      }
      if (signal.aborted) break;
      if (shouldStepDown({ lastRenewMs, nowMs: this.nowMs(), renewDeadlineSeconds: this.renewDeadlineSeconds, heldByOther: outcome === 'held-by-other' })) {
        lost = true;
        break;
      }
    }
    this.leading = false;
    if (lost) lostLease.abort(new Error(`lost the leader lease ${this.namespace}/${this.name}; writes stopped`));
    leadership.abort();
    callbacks.onStoppedLeading?.();
    if (lost) {
      this.logger.warn({ renewDeadlineSeconds: this.renewDeadlineSeconds }, 'lost the leader lease; stopped leading');
      await work;
      return;
    }
    // Shutdown: keep the lease while the leader's work drains, so no one else starts writing yet.
    while (!workDone) {
      await Promise.race([work, sleep(this.retryPeriodSeconds * 1000)]);
      if (!workDone) await this.tryAcquireOrRenew(new AbortController().signal, callbacks, this.renewDeadlineSeconds * 1000);
    }
    await this.release();
  }

  /** One read-decide-write round. Never throws. */
  private async tryAcquireOrRenew(signal: AbortSignal, callbacks: LeaderCallbacks, timeoutMs: number): Promise<AttemptOutcome> {
    const attemptSignal = AbortSignal.any([signal, AbortSignal.timeout(Math.ceil(timeoutMs))]);
    try {
      // Fast path: we hold it and know its resourceVersion — write without reading first.
      if (this.leading && this.observed?.spec?.holderIdentity === this.identity) {
        try {
          const spec = { ...this.observed.spec, renewTime: microTime(this.clock.now()) };
          await this.write('update', { ...this.observed, spec }, attemptSignal);
          return 'leading';
        } catch (err) {
          if (!isConflict(err)) throw err;
          // Someone else wrote the Lease: fall through to a full read.
        }
      }
      const current = await this.client.get<LeaseObject>(this.ref(), { signal: attemptSignal });
      this.observe(current);
      const decision = decideLease({
        lease: current?.spec,
        exists: current !== undefined,
        identity: this.identity,
        nowMs: this.nowMs(),
        observedAtMs: this.observedAtMs,
        leaseDurationSeconds: this.leaseDurationSeconds,
        wallNowMs: this.clock.now().getTime(),
      });
      if (decision.action === 'wait') {
        this.reportLeader(decision.holder, callbacks);
        return 'held-by-other';
      }
      const desired: LeaseObject = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: current?.metadata ?? { name: this.name, namespace: this.namespace },
        spec: decision.spec,
      };
      await this.write(decision.action === 'create' ? 'create' : 'update', desired, attemptSignal);
      if (decision.action === 'acquire') {
        this.logger.info({ previousHolder: decision.previousHolder, leaseTransitions: decision.spec.leaseTransitions }, 'acquired the leader lease');
      }
      this.reportLeader(this.identity, callbacks);
      return 'leading';
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        this.logger.debug('lease changed under us; another candidate won this round');
        return 'failed';
      }
      if (!signal.aborted) this.logger.warn({ error: errorFields(err) }, 'lease request failed');
      return 'failed';
    }
  }

  private async write(verb: 'create' | 'update', lease: LeaseObject, signal: AbortSignal): Promise<void> {
    const written =
      verb === 'create'
        ? await this.client.create(lease, { signal })
        : await this.client.replace(lease, { signal });
    this.observed = written;
    this.observedAtMs = this.nowMs();
  }

  private observe(current: LeaseObject | undefined): void {
    const version = current?.metadata.resourceVersion;
    if (version === undefined || version !== this.observed?.metadata.resourceVersion) {
      this.observed = current;
      this.observedAtMs = this.nowMs();
    }
  }

  /**
   * Clears holderIdentity (optimistic on resourceVersion) so a standby takes over at once. A 409 means the
   * stored Lease is newer than the one we know — a renewal that the shutdown cancelled after the API server
   * had applied it: read it, and release it if it still names us.
   */
  private async release(): Promise<void> {
    const timeout = AbortSignal.timeout(this.renewDeadlineSeconds * 1000);
    let lease = this.observed;
    for (let attempt = 1; ; attempt++) {
      if (!lease?.spec || lease.spec.holderIdentity !== this.identity) return;
      try {
        this.observed = await this.client.replace({ ...lease, spec: releasedLeaseSpec(lease.spec, this.clock.now().getTime()) }, { signal: timeout });
        this.logger.info('released the leader lease');
        return;
      } catch (err) {
        if (attempt === 1 && isConflict(err)) {
          lease = await this.client.get<LeaseObject>(this.ref(), { signal: timeout }).catch(() => undefined);
          continue;
        }
        this.logger.warn({ error: errorFields(err) }, 'could not release the leader lease; a standby takes over when it expires');
        return;
      }
    }
  }

  private reportLeader(holder: string, callbacks: LeaderCallbacks): void {
    if (holder === this.lastReportedLeader) return;
    this.lastReportedLeader = holder;
    if (holder !== this.identity) this.logger.info({ leader: holder }, 'another instance leads');
    callbacks.onNewLeader?.(holder);
  }

  private ref() {
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.namespace, name: this.name };
  }

  /** Monotonic now, for durations only. */
  private nowMs(): number {
    return this.monotonicMs();
  }
}

