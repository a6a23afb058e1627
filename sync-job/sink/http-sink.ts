// The HTTP sink of the sink protocol: POST each batch with Idempotency-Key and Bearer token; retry
// 408/429/5xx/network errors with backoff + jitter honouring Retry-After; any other 4xx fails the stream.
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

  async send(batch: SinkBatch, signal?: AbortSignal): Promise<void> {
    const { clock, logger } = this.options;
    const body = JSON.stringify(batch);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': batch.batchId };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let retryAfter: string | string[] | undefined;
      let problem: string;
      try {
        const response = await this.options.dispatcher.request({ origin: this.origin, path: this.path, method: 'POST', headers, body, signal });
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
