// The HTTP sink of the sink protocol: POST each batch with Idempotency-Key and Bearer token; retry
// 408/429/5xx/network errors with backoff + jitter honouring Retry-After; any other 4xx fails the stream.
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { abortedError } from '../core/clock.js';
import { SyncError } from '../core/errors.js';
import { createRedactor, type Redactor } from '../core/redact.js';
import { describeTransportError, isRetryableTransportError } from '../core/http-agent.js';
import { parseRetryAfterMs, retryDelayMs, sinkRetryDefaults, type RetryPolicy } from '../core/retry.js';
import type { SinkBatch } from './batch.js';
import type { Sink } from './sink.js';

export type SinkResponseAction = 'ack' | 'retry' | 'credentials' | 'reject';

/** The sink protocol's decision table (pure). */
export function classifySinkStatus(status: number): SinkResponseAction {
  if (status >= 200 && status < 300) return 'ack';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  if (status === 401) return 'credentials';
  return 'reject';
}

/**
 * The batch as the protocol's JSON body, in parts: built from the records' JSON when the caller already has it
 * (no second encoding, and no one string of the whole batch).
 */
export function encodeBody(batch: SinkBatch, encodedRecords?: readonly string[]): string[] {
  if (!encodedRecords) return [JSON.stringify(batch)];
  const head = JSON.stringify({ tenantId: batch.tenantId, stream: batch.stream, batchId: batch.batchId, snapshot: batch.snapshot, records: [] });
  return [head.slice(0, -2), ...encodedRecords.flatMap((json, index) => (index === 0 ? [json] : [',', json])), ']}'];
}

/** Bytes per piece of a request body: below glibc's mmap threshold, so a large batch never needs one large buffer. */
export const bodyPieceChars = 32 * 1024;

/**
 * The body as UTF-8 in small pieces (never splitting a surrogate pair). One Buffer of a whole multi-MiB batch
 * would come from malloc's main arena and raise its mmap threshold, and the process would keep that memory.
 */
export function* utf8Pieces(parts: readonly string[]): Generator<Buffer> {
  for (const text of parts) yield* utf8PiecesOf(text);
}

function* utf8PiecesOf(text: string): Generator<Buffer> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + bodyPieceChars);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield Buffer.from(text.slice(start, end), 'utf8');
    start = end;
  }
}

export interface HttpSinkOptions {
  url: string;
  token?: string;
  dispatcher: Dispatcher;
  clock: Clock;
  logger: Logger;
  retry?: RetryPolicy;
  random?: () => number;
}

export class HttpSink implements Sink {
  private readonly origin: string;
  private readonly path: string;
  private readonly retry: RetryPolicy;
  /** Scrubs the token, in every form the job's redactor knows, from a quoted error body. */
  private readonly redactToken: Redactor;

  constructor(private readonly options: HttpSinkOptions) {
    const url = new URL(options.url);
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
    this.retry = options.retry ?? sinkRetryDefaults;
    this.redactToken = createRedactor([options.token]);
  }

  async send(batch: SinkBatch, signal?: AbortSignal, encodedRecords?: readonly string[]): Promise<void> {
    const { clock, logger } = this.options;
    const body = encodeBody(batch, encodedRecords);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(body.reduce((sum, part) => sum + Buffer.byteLength(part), 0)),
      'idempotency-key': batch.batchId,
    };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let retryAfter: string | string[] | undefined;
      let problem: string;
      try {
        const response = await this.options.dispatcher.request({ origin: this.origin, path: this.path, method: 'POST', headers, body: Readable.from(utf8Pieces(body), { objectMode: false }), signal });
        status = response.statusCode;
        retryAfter = response.headers['retry-after'];
        const text = await response.body.text();
        // The token comes out before the body is cut short, so no piece of it survives the cut.
        const quoted = this.redactToken(text);
        problem = `HTTP ${status}${quoted ? `: ${quoted.slice(0, 200)}` : ''}`;
      } catch (error) {
        if (signal?.aborted) throw abortedError(signal);
        if (!isRetryableTransportError(error)) {
          throw new SyncError('SINK_UNAVAILABLE', `POST to the sink failed: ${describeTransportError(error)}`, { cause: error });
        }
        status = 0;
        problem = describeTransportError(error);
      }
      const action = status === 0 ? 'retry' : classifySinkStatus(status);
      if (action === 'ack') return;
      if (action === 'credentials') {
        throw new SyncError('SINK_CREDENTIALS_INVALID', `the sink rejected the token (HTTP 401): check the sink's auth Secret (env TENANTSYNC_SINK_TOKEN)`);
      }
      if (action === 'reject') {
        throw new SyncError('SINK_REJECTED', `the sink rejected batch ${batch.batchId} of ${batch.stream} (${problem}); the stream's cursor did not move`);
      }
      if (attempt >= this.retry.maxAttempts) {
        throw new SyncError(
          'SINK_UNAVAILABLE',
          `the sink did not acknowledge batch ${batch.batchId} of ${batch.stream} after ${attempt} tries (last: ${problem}); the cursor stays at the last acknowledged batch`,
        );
      }
      const waitMs = retryDelayMs(attempt, parseRetryAfterMs(retryAfter, clock.nowMs()), this.retry, this.options.random);
      logger.warn({ stream: batch.stream, batchId: batch.batchId, attempt, waitMs, problem }, 'sink did not acknowledge, retrying');
      await clock.sleep(waitMs, signal);
    }
  }
}
