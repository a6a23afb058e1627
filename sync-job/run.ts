// One run of the job for one tenant: due streams → pages → batches → sink → checkpoint after every
// acknowledged batch. Records flow one page and one batch at a time; nothing holds a whole stream.
import { getHeapStatistics } from 'node:v8';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Cursor, JobConfig, JobResult, JobState, StreamName } from './contract.js';
import { systemClock, throwIfAborted, type Clock } from './core/clock.js';
import { CursorTracker, normalizeCursor } from './core/cursor.js';
import { isStreamDue } from './core/due.js';
import { describeError, isFatal, stopsRun, SyncError, toSyncError } from './core/errors.js';
import { createHttpAgent, httpTimeoutDefaults, type HttpTimeouts } from './core/http-agent.js';
import { inFlightCapsFor, type InFlightCaps } from './core/memory-budget.js';
import { exitCodeOf, runOutcomeOf } from './core/outcome.js';
import type { StreamItem, SyncRecord } from './core/record.js';
import type { Redactor } from './core/redact.js';
import type { RetryPolicy } from './core/retry.js';
import { randomUUID } from 'node:crypto';
import { canonicalRecordJson, defaultBatchSize, makeBatch, type SnapshotMark } from './sink/batch.js';
import { HttpSink } from './sink/http-sink.js';
import type { Sink } from './sink/sink.js';
import { RateBudget } from './source/freshdesk/rate-budget.js';
import { FreshdeskRequester } from './source/freshdesk/requester.js';
import { freshdeskStreams, isSnapshotStream, readStream } from './source/freshdesk/streams.js';

/** Ids of skipped parents named in a stream's result (the count covers them all). */
export const maxSkippedIdsReported = 10;

/** A batch is sent early when this many cursor steps wait on it (many parents without children). */
const maxPendingStepsPerRecord = 4;

export interface RunOptions {
  config: JobConfig;
  state: JobState;
  apiKey: string;
  sinkToken?: string;
  logger: Logger;
  clock?: Clock;
  /** Aborting it (SIGTERM) stops the run at once; the result keeps the acknowledged cursors. */
  signal?: AbortSignal;
  /** Overrides the sink built from config (the CLI passes the stdout sink here). */
  sink?: Sink;
  dispatcher?: Dispatcher;
  httpTimeouts?: Partial<HttpTimeouts>;
  sourceRetry?: RetryPolicy;
  sinkRetry?: RetryPolicy;
  random?: () => number;
  /** Sync every configured stream, due or not (`--force`). */
  ignoreIntervals?: boolean;
  /** Scrubs secrets from error messages that go into the result. */
  redact?: Redactor;
  /** After every acknowledged batch (and at each stream's end): the stream's acknowledged cursor. */
  onCheckpoint?: (stream: string, cursor: Cursor) => void | Promise<void>;
  /**
   * When the run must be over (epoch ms or Date; e.g. the Job's start + activeDeadlineSeconds): a rate-limit
   * wait reaching past it ends the run at once with the acknowledged cursors instead of sleeping into the kill.
   */
  deadline?: number | Date;
  /** Byte caps on one source response and one sink batch. Default: sized from the V8 heap limit. */
  inFlight?: Partial<InFlightCaps>;
}

interface StreamProgress {
  outcome: JobResult['streams'][string]['outcome'] | 'Pending' | 'Running';
  records: number;
  /** Of `records`, those at or behind the cursor the run started from (re-read by the lookback). */
  redelivered: number;
  /** Parents whose children Freshdesk refused: the count and the first maxSkippedIdsReported ids. */
  skipped?: { count: number; ids: string[] };
  acked: CursorTracker;
  error?: string;
}

export interface RunReport {
  result: JobResult;
  exitCode: number;
  /** The state after the run: acknowledged cursors, lastSuccessAt = this run's start for streams that succeeded. */
  state: JobState;
}

export class SyncRun {
  private readonly options: RunOptions;
  private readonly clock: Clock;
  private readonly startedAtMs: number;
  private readonly progress = new Map<string, StreamProgress>();
  private readonly inFlight: InFlightCaps;
  /** Set when an error ends the whole run: fatal ones (exit 2), the sink being unreachable, or a stop signal. */
  private stopReason: SyncError | undefined;

  constructor(options: RunOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.startedAtMs = this.clock.nowMs();
    this.inFlight = { ...inFlightCapsFor(getHeapStatistics().heap_size_limit), ...options.inFlight };
    for (const stream of options.config.source.streams) {
      const saved = options.state.streams[stream.name];
      this.progress.set(stream.name, { outcome: 'Pending', records: 0, redelivered: 0, acked: new CursorTracker(normalizeCursor(saved?.cursor ?? {})) });
    }
  }

  /** Runs every due stream, one after the other, and reports. Never throws. */
  async execute(): Promise<RunReport> {
    const { logger } = this.options;
    const dispatcher = this.options.dispatcher ?? createHttpAgent({ ...httpTimeoutDefaults, ...this.options.httpTimeouts });
    try {
      await this.runStreams(dispatcher);
    } catch (thrown) {
      // Setup failures (e.g. an unusable sink URL) end the run like a fatal stream error would.
      this.stopReason = toSyncError(thrown);
      logger.error({ code: this.stopReason.code, err: this.redact(this.stopReason.message) }, 'run failed');
    } finally {
      if (!this.options.dispatcher) await dispatcher.close().catch(() => undefined);
    }
    return this.report();
  }

  private async runStreams(dispatcher: Dispatcher): Promise<void> {
    const { config, logger } = this.options;
    const deadline = this.options.deadline;
    const budget = new RateBudget({
      clock: this.clock,
      configuredPerMinute: config.source.rateLimitPerMinute,
      sharePercent: config.source.rateLimitSharePercent,
      listCapsPerMinute: config.source.listRateLimitsPerMinute,
      deadlineMs: deadline === undefined ? undefined : new Date(deadline).getTime(),
      onWait: (ms, reason) => logger.debug({ waitMs: ms, reason }, 'waiting for the rate budget'),
      onLearn: (endpoint, capPerMinute, from) =>
        logger.info({ endpoint, capPerMinute, from }, `learned the ${endpoint} list's own per-minute cap (from ${from === 'plan' ? "the plan's X-Ratelimit-Total" : 'a 429 while the account had credits left'})`),
    });
    const requester = new FreshdeskRequester({
      baseUrl: config.source.baseUrl,
      apiKey: this.options.apiKey,
      dispatcher,
      budget,
      clock: this.clock,
      logger,
      retry: this.options.sourceRetry,
      random: this.options.random,
      maxResponseBytes: this.inFlight.maxResponseBytes,
    });
    const sink = this.options.sink ?? this.httpSink(dispatcher);
    for (const stream of config.source.streams) {
      const progress = this.progress.get(stream.name)!;
      if (this.stopReason || this.options.signal?.aborted) {
        const reason = this.stopReason ?? new SyncError('RUN_ABORTED', 'the run was stopped');
        progress.outcome = 'Failed';
        progress.error = this.redact(`${reason.code}: not started, ${reason.message}`);
        continue;
      }
      const saved = this.options.state.streams[stream.name];
      if (!this.options.ignoreIntervals && !isStreamDue(stream.intervalSeconds, saved?.lastSuccessAt, this.startedAtMs)) {
        progress.outcome = 'NotDue';
        logger.info({ stream: stream.name, lastSuccessAt: saved?.lastSuccessAt }, 'stream not due');
        continue;
      }
      await this.runStream(stream.name, progress, requester, sink);
    }
  }

  /** The result as of now: what SIGTERM writes if the run cannot finish in time. */
  snapshot(): JobResult {
    return this.report().result;
  }

  private async runStream(name: StreamName, progress: StreamProgress, requester: FreshdeskRequester, sink: Sink): Promise<void> {
    const { config, signal } = this.options;
    const logger = this.options.logger.child({ stream: name });
    const batchSize = config.sink.batchSize ?? defaultBatchSize;
    // Two batches are held at once (one being acknowledged while the next fills): each gets half the cap.
    const maxBatchBytes = Math.min(config.sink.maxBatchBytes ?? Infinity, Math.floor(this.inFlight.maxBatchBytes / 2));
    progress.outcome = 'Running';
    logger.info({ cursor: describeCursor(progress.acked.snapshot()) }, 'stream started');

    // A reference stream's run is one snapshot: its batches are numbered, and a marker completes it.
    const snapshot: Omit<SnapshotMark, 'complete'> | undefined = isSnapshotStream(name) ? { id: randomUUID(), sequence: 0 } : undefined;
    let records: SyncRecord[] = [];
    let redelivered = 0;
    let encoded: string[] = [];
    let recordBytes = 0;
    let steps: StreamItem[] = [];
    const checkpoint = async () => {
      await this.options.onCheckpoint?.(name, progress.acked.snapshot());
    };
    // Pipelining: one batch is with the sink while the next page is read and the next batch fills. Its cursor
    // steps apply only once it is acknowledged, and the next batch is sent only after that: the cursor still
    // moves over acknowledged batches in order, never past an unacknowledged record.
    let sending: Promise<void> | undefined;
    let sendFailure: { error: unknown } | undefined;
    const acknowledged = async () => {
      await sending;
      sending = undefined;
      if (sendFailure) throw sendFailure.error;
    };
    const flush = async () => {
      await acknowledged();
      if (records.length === 0) {
        // Cursor steps that waited on the batch just acknowledged (parents without children) take effect now.
        for (const step of steps) applyStep(progress.acked, step);
        if (steps.length > 0) await checkpoint();
        steps = [];
        return;
      }
      const batch = makeBatch(config.tenantId, name, records, snapshot && { id: snapshot.id, sequence: snapshot.sequence++, complete: false }, encoded);
      const sent = { records: records.length, redelivered, steps, encoded };
      records = [];
      redelivered = 0;
      encoded = [];
      recordBytes = 0;
      steps = [];
      sending = (async () => {
        await sink.send(batch, signal, sent.encoded);
        for (const step of sent.steps) applyStep(progress.acked, step);
        progress.records += sent.records;
        progress.redelivered += sent.redelivered;
        logger.debug({ batchId: batch.batchId, records: sent.records, redelivered: sent.redelivered, cursor: progress.acked.updatedAt }, 'batch acknowledged');
        await checkpoint();
      })().catch((error: unknown) => {
        sendFailure = { error };
      });
    };

    try {
      const items = readStream(freshdeskStreams[name], progress.acked.snapshot(), {
        requester,
        clock: this.clock,
        signal,
        startDate: config.source.startDate,
        lookbackSeconds: config.source.lookbackSeconds,
        maxResponseBytes: this.inFlight.maxResponseBytes,
        logger,
      });
      for await (const item of items) {
        throwIfAborted(signal);
        if (item.record) {
          // A batch is sent before it passes the byte cap; a record larger than the cap alone goes alone. The record
          // is serialized once, canonically: that JSON goes into the body and into the batch's id.
          const json = canonicalRecordJson(item.record);
          const bytes = Buffer.byteLength(json) + 1;
          if (records.length > 0 && recordBytes + bytes > maxBatchBytes) await flush();
          records.push(item.record);
          encoded.push(json);
          recordBytes += bytes;
          if (item.redelivered) redelivered++;
        }
        if (item.skipped) {
          const skipped = (progress.skipped ??= { count: 0, ids: [] });
          skipped.count++;
          if (skipped.ids.length < maxSkippedIdsReported) skipped.ids.push(item.skipped.id);
        }
        if (sendFailure) await acknowledged();
        if (item.advance || item.settle) {
          // With nothing unacknowledged before it, a cursor step takes effect at once.
          if (records.length === 0 && sending === undefined) applyStep(progress.acked, item);
          else steps.push(item);
        }
        if (records.length >= batchSize || recordBytes >= maxBatchBytes || steps.length >= batchSize * maxPendingStepsPerRecord) await flush();
      }
      await flush();
      await acknowledged();
      if (snapshot) {
        // Every record of the set is acknowledged: the completion marker lets the sink replace the stream's set.
        await sink.send(makeBatch(config.tenantId, name, [], { ...snapshot, complete: true }), signal, []);
      }
      await checkpoint();
      progress.outcome = 'Succeeded';
      logger.info({ records: progress.records, redelivered: progress.redelivered, cursor: describeCursor(progress.acked.snapshot()) }, 'stream succeeded');
    } catch (thrown) {
      // The source failed (or a record cannot be held): what was read before it still goes to the sink, so the
      // acknowledged cursor is as far as it can be. A sink failure or a stop ends the stream as it stands.
      if (!signal?.aborted && thrown instanceof SyncError && thrown.code.startsWith('SOURCE_') && (records.length > 0 || sending)) {
        await flush()
          .then(acknowledged)
          .catch((flushError: unknown) => logger.warn({ err: this.redact(describeError(toSyncError(flushError))) }, 'could not deliver the records read before the failure'));
      } else {
        // The batch with the sink settles before the stream reports (its cursor counts only if acknowledged).
        await acknowledged().catch(() => undefined);
      }
      const error = signal?.aborted && !(thrown instanceof SyncError && thrown.code === 'RUN_ABORTED')
        ? new SyncError('RUN_ABORTED', 'run stopped before finishing')
        : toSyncError(thrown);
      progress.outcome = error.code === 'SOURCE_FORBIDDEN' ? 'Skipped' : 'Failed';
      progress.error = this.redact(describeError(error));
      if (stopsRun(error.code)) this.stopReason = error;
      const log = progress.outcome === 'Skipped' ? logger.warn.bind(logger) : logger.error.bind(logger);
      log({ code: error.code, err: progress.error, records: progress.records, cursor: describeCursor(progress.acked.snapshot()) },
        progress.outcome === 'Skipped' ? 'stream skipped' : 'stream failed');
    }
  }

  private httpSink(dispatcher: Dispatcher): Sink {
    const { config } = this.options;
    if (config.sink.type !== 'http' || !config.sink.url) {
      throw new SyncError('CONFIG_INVALID', 'sink.url is required for an http sink');
    }
    return new HttpSink({
      url: config.sink.url,
      token: this.options.sinkToken,
      dispatcher,
      clock: this.clock,
      logger: this.options.logger,
      retry: this.options.sinkRetry,
      random: this.options.random,
    });
  }

  private redact(text: string): string {
    return this.options.redact ? this.options.redact(text) : text;
  }

  private report(): RunReport {
    const startedAt = toIso(this.startedAtMs);
    const streams: JobResult['streams'] = {};
    const state: JobState = { ...this.options.state, version: 1, streams: { ...this.options.state.streams } };
    for (const [name, progress] of this.progress) {
      const outcome = progress.outcome === 'Pending' || progress.outcome === 'Running' ? 'Failed' : progress.outcome;
      const cursor = progress.acked.snapshot();
      const error = progress.outcome === 'Running' ? 'RUN_ABORTED: run stopped before the stream finished' : progress.error;
      streams[name] = {
        outcome,
        records: progress.records,
        cursor,
        ...(progress.redelivered > 0 ? { redelivered: progress.redelivered } : {}),
        ...(progress.skipped ? { skipped: { count: progress.skipped.count, ids: [...progress.skipped.ids] } } : {}),
        ...(error ? { error } : {}),
      };
      const previous = this.options.state.streams[name];
      const lastSuccessAt = outcome === 'Succeeded' ? startedAt : previous?.lastSuccessAt;
      if (cursor.updatedAt !== undefined || previous) state.streams[name] = { cursor, ...(lastSuccessAt ? { lastSuccessAt } : {}) };
    }
    const outcomes = Object.values(streams).map((s) => s.outcome);
    const fatal = this.stopReason !== undefined && isFatal(this.stopReason.code);
    const outcome = runOutcomeOf(outcomes, fatal);
    const result: JobResult = {
      version: 1,
      outcome,
      startedAt,
      finishedAt: toIso(this.clock.nowMs()),
      ...(this.stopReason && this.stopReason.code !== 'RUN_ABORTED' ? { error: this.redact(describeError(this.stopReason)) } : {}),
      streams,
    };
    return { result, exitCode: exitCodeOf(outcome, outcomes, fatal), state };
  }
}

function applyStep(tracker: CursorTracker, step: StreamItem): void {
  if (step.advance) tracker.advance(step.advance);
  if (step.settle) tracker.settle(step.settle);
}

function describeCursor(cursor: Cursor): string {
  return cursor.updatedAt ? `${cursor.updatedAt} (+${cursor.ids?.length ?? 0} ids)` : 'start';
}

function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Convenience: one run, start to finish. */
export async function runJob(options: RunOptions): Promise<RunReport> {
  return new SyncRun(options).execute();
}

