// A rate-limited work queue keyed by "namespace/name" (client-go's workqueue, trimmed): duplicate
// adds merge, one key never runs twice at once, failures back off per key, requeue-after is a timer.
import { expBackoffMs } from './sleep.js';

/** Per-key failure backoff: 1 s, 2 s, 4 s, … capped at 5 min (controller-runtime's cap is ~16 min; 5 min keeps a fixed Secret noticed soon). */
export const defaultBaseDelayMs = 1_000;
export const defaultMaxDelayMs = 300_000;

/** What a handler returns: nothing = done; `requeueAfterMs` = run again after that long (backoff reset). */
export type WorkResult = void | undefined | { requeueAfterMs?: number | undefined };
export type WorkHandler = (key: string, signal: AbortSignal) => Promise<WorkResult>;

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called whenever the number of ready keys changes (wire it to the depth gauge). */
  onDepthChange?: (depth: number) => void;
  /** Called when a worker takes a key, with how long it waited ready in the queue (the queue-latency histogram). */
  onDequeue?: (waitedMs: number) => void;
  /** Called when a failed key is queued again after its backoff (the retries counter). */
  onRetry?: () => void;
}

export interface RunOptions {
  /** Keys processed in parallel (different keys only). Default 1. */
  workers?: number;
  /** Abort stops taking keys; run() resolves once in-flight handlers have finished. */
  signal: AbortSignal;
  /** A handler threw: the key was re-added after `retryInMs`. Log it here. */
  onError?: (key: string, err: unknown, retryInMs: number) => void;
}

/** The failure backoff for the n-th consecutive failure (n from 0). Pure. */
export function backoffDelayMs(failures: number, baseDelayMs = defaultBaseDelayMs, maxDelayMs = defaultMaxDelayMs): number {
  return expBackoffMs(failures, baseDelayMs, maxDelayMs);
}

/** Builds the queue key of an object. */
export const objectKey = (namespace: string | undefined, name: string): string => (namespace ? `${namespace}/${name}` : name);

/** Splits a queue key back into namespace (may be '') and name. */
export function parseObjectKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * How soon a key is wanted. `low`: nothing asked for it (every object at start or after a failover, a periodic
 * resync); such keys wait behind every `normal` one, so a change made meanwhile is reconciled next, not after
 * thousands of look-agains (controller-runtime's priority queue). A `normal` add of a `low` key promotes it.
 */
export type Priority = 'normal' | 'low';

export class WorkQueue {
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly onDepthChange: ((depth: number) => void) | undefined;
  private readonly onDequeue: ((waitedMs: number) => void) | undefined;
  private readonly onRetry: (() => void) | undefined;
  /** Keys ready to run, in arrival order, with when they became ready (a Map keeps insertion order and merges duplicates). */
  private readonly ready = new Map<string, number>();
  /** The same for `low` keys: taken only while `ready` is empty. */
  private readonly readyLow = new Map<string, number>();
  private readonly processing = new Set<string>();
  /** Keys added while they were processing: re-run right after, at the higher priority they were added with. */
  private readonly rerun = new Map<string, Priority>();
  private readonly delayed = new Map<string, { atMs: number; timer: ReturnType<typeof setTimeout> }>();
  private readonly failures = new Map<string, number>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private running = false;
  private lastDepth = -1;

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? defaultBaseDelayMs;
    this.maxDelayMs = opts.maxDelayMs ?? defaultMaxDelayMs;
    this.onDepthChange = opts.onDepthChange;
    this.onDequeue = opts.onDequeue;
    this.onRetry = opts.onRetry;
  }

  /** Keys waiting to run now (not delayed, not in flight). */
  get depth(): number {
    return this.ready.size + this.readyLow.size;
  }

  /** Keys currently being processed. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** Keys waiting on a timer (requeue-after or backoff). */
  get delayedCount(): number {
    return this.delayed.size;
  }

  /** Consecutive failures recorded for a key. */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Queues a key to run as soon as a worker is free (`low`: after every `normal` one); merges with a queued or running one. */
  add(key: string, priority: Priority = 'normal'): void {
    if (this.processing.has(key)) {
      if (this.rerun.get(key) !== 'normal') this.rerun.set(key, priority);
      return;
    }
    if (this.ready.has(key)) return;
    const lowSince = this.readyLow.get(key);
    if (lowSince !== undefined) {
      if (priority === 'low') return;
      this.readyLow.delete(key);
      this.ready.set(key, lowSince);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key); // hand over directly: never queued, never visible as depth
      this.onDequeue?.(0);
      waiter(key);
      return;
    }
    (priority === 'low' ? this.readyLow : this.ready).set(key, Date.now());
    this.reportDepth();
  }

  /** Queues a key after `delayMs`. An earlier pending timer for the key wins; a later one is replaced. */
  addAfter(key: string, delayMs: number): void {
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const atMs = Date.now() + delayMs;
    const pending = this.delayed.get(key);
    if (pending && pending.atMs <= atMs) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    // A pending requeue must not keep a shutting-down process alive.
    timer.unref?.();
    this.delayed.set(key, { atMs, timer });
  }

  /** Records a failure and queues the key after its backoff; returns that delay. */
  addRateLimited(key: string): number {
    const n = this.failureCount(key);
    this.failures.set(key, n + 1);
    const delay = backoffDelayMs(n, this.baseDelayMs, this.maxDelayMs);
    this.onRetry?.();
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets a key's failure backoff (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Drops every queued and delayed key (the queue stays usable). */
  clear(): void {
    this.ready.clear();
    this.readyLow.clear();
    this.rerun.clear();
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.reportDepth();
  }

  /**
   * Runs `handler` for queued keys with `workers` parallel workers until `signal` aborts, then
   * waits for in-flight handlers to finish (keys still queued stay queued for the next run).
   * A thrown error re-queues the key with backoff; a result with requeueAfterMs re-queues it after
   * that delay; otherwise the key's backoff is forgotten.
   */
  async run(handler: WorkHandler, opts: RunOptions): Promise<void> {
    if (this.running) throw new Error('WorkQueue.run is already running; one run at a time');
    if (opts.signal.aborted) return;
    this.running = true;
    const stop = () => {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w(undefined);
    };
    opts.signal.addEventListener('abort', stop, { once: true });
    const worker = async () => {
      for (;;) {
        const key = await this.next(opts.signal);
        if (key === undefined) return;
        await this.process(key, handler, opts);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 1) }, worker));
    } finally {
      opts.signal.removeEventListener('abort', stop);
      this.running = false;
    }
  }

  private async process(key: string, handler: WorkHandler, opts: RunOptions): Promise<void> {
    try {
      const result = await handler(key, opts.signal);
      this.forget(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const delay = this.addRateLimited(key);
      opts.onError?.(key, err, delay);
    } finally {
      this.processing.delete(key);
      const rerun = this.rerun.get(key);
      if (rerun !== undefined) {
        this.rerun.delete(key);
        this.add(key, rerun);
      }
    }
  }

  /** The next ready key (marked processing), or undefined once the signal aborts. */
  private next(signal: AbortSignal): Promise<string | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    for (const queue of [this.ready, this.readyLow]) {
      for (const [key, readySince] of queue) {
        queue.delete(key);
        this.processing.add(key);
        this.reportDepth();
        this.onDequeue?.(Math.max(0, Date.now() - readySince));
        return Promise.resolve(key);
      }
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private reportDepth(): void {
    const depth = this.depth;
    if (depth === this.lastDepth) return;
    this.lastDepth = depth;
    this.onDepthChange?.(depth);
  }
}
