// Kubernetes Events (events.k8s.io/v1) about an object, deduplicated: the same object + type +
// reason + message within the dedupe window joins one Event's series instead of creating another.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeClient } from './client.js';
import { microTime, realClock, type Clock } from './clock.js';
import { isNotFound } from './errors.js';

/** An identical event within this long of the last one joins its series (sliding window). */
export const defaultEventDedupeWindowMs = 10 * 60_000;
/** A series' count is written to the API server at most this often (repeats in between are counted locally). */
export const defaultEventSeriesUpdateIntervalMs = 60_000;
/** Remembered distinct events; the oldest is forgotten beyond this. */
export const defaultEventCacheSize = 4096;
/**
 * Event writes that may wait in the recorder's queue (client-go drops beyond 1,000). 5,000 TenantSyncs applied at
 * once queue 10,000 (a Created and a Ready Event each), which drain at the Events' own rate limit.
 */
export const defaultEventMaxPending = 20_000;
/** An Event yields to a reconcile backlog at most this long after it was recorded (then it is written regardless). */
export const defaultEventMaxYieldMs = 120_000;
/** How often a yielding write looks again whether the backlog is gone. */
export const eventYieldPollMs = 100;
/** events.k8s.io/v1 rejects notes over 1 kB. */
export const eventNoteMaxBytes = 1024;

export type EventType = 'Normal' | 'Warning';

/** What the recorder remembers of one distinct event. */
export interface EventSeriesState {
  namespace: string;
  name: string;
  /** Occurrences seen (1 = the create). */
  count: number;
  /** Count last written to the API server. */
  writtenCount: number;
  lastSeenMs: number;
  lastWrittenMs: number;
}

export type EventDecision = 'create' | 'update-series' | 'count-only';

/**
 * Decides what one more occurrence of an event does. Pure.
 * No recent twin → a new Event; a twin whose series was written long enough ago → write the
 * series; otherwise only count it (written with the next update).
 */
export function decideEvent(
  state: EventSeriesState | undefined,
  nowMs: number,
  cfg: { dedupeWindowMs: number; seriesUpdateIntervalMs: number },
): EventDecision {
  if (!state || nowMs - state.lastSeenMs > cfg.dedupeWindowMs) return 'create';
  if (nowMs - state.lastWrittenMs >= cfg.seriesUpdateIntervalMs) return 'update-series';
  return 'count-only';
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. Pure. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes - 3) break;
    out += ch;
    bytes += n;
  }
  return out + '...';
}


export interface EventRecorderOptions {
  /** Only create and mergePatch are used, so a test fake is two functions. */
  client: Pick<KubeClient, 'create' | 'mergePatch'>;
  /** `reportingController`, e.g. `tenantsync.io/operator`. */
  controller: string;
  /** `reportingInstance`, e.g. the pod name or leader identity (≤ 128 chars). */
  instance: string;
  clock?: Clock;
  dedupeWindowMs?: number;
  seriesUpdateIntervalMs?: number;
  cacheSize?: number;
  /** Writes that may wait in the queue; an Event beyond them is dropped (and reported through onError). */
  maxPending?: number;
  /** Called when writing an Event fails (events are best effort; never thrown). */
  onError?: (err: unknown) => void;
  /**
   * Events yield to the work they describe: while this says reconciles are waiting, a queued write waits too (at
   * most `maxYieldMs` after its Event was recorded; its `eventTime` stays the time it was recorded). Unset: never.
   */
  yieldWhile?: () => boolean;
  maxYieldMs?: number;
}

export interface EventRecorderLike {
  record(obj: KubernetesObject, type: EventType, reason: string, message: string, opts?: { action?: string }): Promise<void>;
}

/** Records Events about objects, written in the background in order. `record` never rejects: a lost Event must not fail a reconcile. */
export class EventRecorder implements EventRecorderLike {
  private readonly opts: Required<Omit<EventRecorderOptions, 'onError' | 'clock' | 'yieldWhile'>> & Pick<EventRecorderOptions, 'onError' | 'yieldWhile'>;
  private readonly clock: Clock;
  private readonly cache = new Map<string, EventSeriesState>();
  private sequence = 0;
  /** The last queued write (each write starts when the one before it settled). */
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  /** drain() calls under way: while one is, writes stop yielding. */
  private draining = 0;

  constructor(opts: EventRecorderOptions) {
    this.opts = {
      client: opts.client,
      controller: opts.controller,
      instance: opts.instance.slice(0, 128),
      dedupeWindowMs: opts.dedupeWindowMs ?? defaultEventDedupeWindowMs,
      seriesUpdateIntervalMs: opts.seriesUpdateIntervalMs ?? defaultEventSeriesUpdateIntervalMs,
      cacheSize: opts.cacheSize ?? defaultEventCacheSize,
      maxPending: opts.maxPending ?? defaultEventMaxPending,
      onError: opts.onError,
      yieldWhile: opts.yieldWhile,
      maxYieldMs: opts.maxYieldMs ?? defaultEventMaxYieldMs,
    };
    this.clock = opts.clock ?? realClock;
  }

  /**
   * Records one occurrence. Whether it creates an Event, updates a series or is only counted is decided at once;
   * the write joins a queue that one writer works through in order (a series' create before its updates), like
   * client-go's broadcaster, so callers need not wait (with `yieldWhile`, it also waits out a reconcile backlog).
   * The promise settles when this occurrence was written (or failed, or was dropped because `maxPending` writes
   * were waiting); it never rejects.
   */
  record(obj: KubernetesObject, type: EventType, reason: string, message: string, opts: { action?: string } = {}): Promise<void> {
    const note = truncateUtf8(message, eventNoteMaxBytes);
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const key = JSON.stringify([obj.apiVersion, obj.kind, namespace, meta.name, meta.uid, type, reason, note]);
    const nowMs = this.clock.now().getTime();
    const state = this.cache.get(key);
    const decision = decideEvent(state, nowMs, this.opts);
    if (decision === 'create' || !state) {
      const fresh: EventSeriesState = {
        namespace,
        name: eventName(meta.name ?? 'object', nowMs, this.sequence++),
        count: 1,
        writtenCount: 1,
        lastSeenMs: nowMs,
        lastWrittenMs: nowMs,
      };
      this.remember(key, fresh); // before the write: a twin recorded meanwhile joins this series
      return this.enqueue(() => this.create(fresh, obj, type, reason, note, opts.action ?? reason, nowMs));
    }
    state.count++;
    state.lastSeenMs = nowMs;
    this.remember(key, state);
    if (decision === 'count-only') return Promise.resolve();
    state.lastWrittenMs = nowMs;
    const count = state.count;
    return this.enqueue(async () => {
      try {
        await this.opts.client.mergePatch(
          { apiVersion: 'events.k8s.io/v1', kind: 'Event', namespace: state.namespace, name: state.name },
          { series: { count, lastObservedTime: microTime(nowMs) } },
        );
        state.writtenCount = Math.max(state.writtenCount, count);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The Event expired (API server --event-ttl, 1 h by default): start a new one.
        const fresh = { ...state, name: eventName(meta.name ?? 'object', nowMs, this.sequence++), count: 1, writtenCount: 1 };
        this.remember(key, fresh);
        await this.create(fresh, obj, type, reason, note, opts.action ?? reason, nowMs);
      }
    });
  }

  /**
   * Waits until no write is queued, at most `ms` (a leader that stops gets its last Events out before it lets go of
   * the Lease). Tells how many writes were queued when it began and how many still were when it ended.
   */
  async drain(ms: number): Promise<{ queued: number; left: number }> {
    const deadline = performance.now() + ms;
    const queued = this.pending;
    this.draining++;
    try {
      while (this.pending > 0 && performance.now() < deadline) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([this.tail, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - performance.now()))))]);
        clearTimeout(timer);
      }
    } finally {
      this.draining--;
    }
    return { queued, left: this.pending };
  }

  /** Waits while reconciles are waiting (see `yieldWhile`), until `maxYieldMs` after `recordedAt` (performance.now()). */
  private async yieldTurn(recordedAt: number): Promise<void> {
    const busy = this.opts.yieldWhile;
    if (!busy) return;
    const until = recordedAt + this.opts.maxYieldMs;
    while (this.draining === 0 && busy()) {
      const left = until - performance.now();
      if (left <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(eventYieldPollMs, left)));
    }
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    if (this.pending >= this.opts.maxPending) {
      this.opts.onError?.(new Error(`${this.pending} Events are waiting to be written: this one is dropped`));
      return Promise.resolve();
    }
    this.pending++;
    const recordedAt = performance.now();
    const done = this.tail
      .then(() => this.yieldTurn(recordedAt))
      .then(write)
      .catch((err: unknown) => {
        this.opts.onError?.(err);
      })
      .finally(() => this.pending--);
    this.tail = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  private async create(
    state: EventSeriesState,
    obj: KubernetesObject,
    type: EventType,
    reason: string,
    note: string,
    action: string,
    nowMs: number,
  ): Promise<void> {
    const meta = obj.metadata ?? {};
    await this.opts.client.create({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: state.name, namespace: state.namespace },
      eventTime: microTime(nowMs),
      reportingController: this.opts.controller,
      reportingInstance: this.opts.instance,
      action: action.slice(0, 128),
      reason: reason.slice(0, 128),
      note,
      type,
      regarding: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        namespace: meta.namespace,
        name: meta.name,
        uid: meta.uid,
        resourceVersion: meta.resourceVersion,
      },
    });
  }

  private remember(key: string, state: EventSeriesState): void {
    this.cache.delete(key); // re-insert: Map order doubles as least-recently-used order
    this.cache.set(key, state);
    while (this.cache.size > this.opts.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}

/** `<object name>.<hex time+sequence>` like client-go, cut so the whole name stays ≤ 253 chars. */
function eventName(objectName: string, nowMs: number, sequence: number): string {
  const suffix = (BigInt(nowMs) * 1_000_000n + BigInt(sequence % 1_000_000)).toString(16);
  return `${objectName.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}
