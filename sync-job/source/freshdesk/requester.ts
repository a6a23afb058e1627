// Freshdesk API v2 GETs over the job's undici Agent: Basic auth, the shared rate budget, retries with
// backoff + jitter for 5xx/timeouts/resets, a tenant-wide pause on 429, and typed errors for 401/403/4xx.
import type { Dispatcher } from 'undici';
import { envNames, freshdeskApiBase } from '../../contract.js';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.js';
import { abortedError } from '../../core/clock.js';
import { SyncError } from '../../core/errors.js';
import { describeTransportError, isRetryableTransportError } from '../../core/http-agent.js';
import { defaultRateLimitPauseMs, parseRetryAfterMs, retryDelayMs, sourceRetryDefaults, type RetryPolicy } from '../../core/retry.js';
import { classifySourceStatus, hasNextLink } from './classify.js';
import type { CreditTicket, RateBudget } from './rate-budget.js';
import { readRateHeaders } from './rate-budget.js';

/** 429s in a row for one request before the stream fails with RATE_LIMITED (each waits out its Retry-After). */
export const maxRateLimitedTriesPerRequest = 10;
/** Default cap on one response body; run.ts sizes it from the heap (see memory-budget.ts). */
export const defaultMaxResponseBytes = 16 * 1024 * 1024;

export interface SourcePage {
  items: unknown[];
  hasNext: boolean;
}

export interface FreshdeskRequesterOptions {
  baseUrl: string;
  apiKey: string;
  dispatcher: Dispatcher;
  budget: RateBudget;
  clock: Clock;
  logger: Logger;
  retry?: RetryPolicy;
  random?: () => number;
  /** A response body larger than this is not read: SOURCE_RESPONSE_TOO_LARGE (the caller may ask for smaller pages). */
  maxResponseBytes?: number;
}

/** Requests of one kind (path with ids replaced, plus `include`): they cost alike, so the last cost predicts the next. */
function costKeyOf(path: string, query: Record<string, string | number>): string {
  return `${path.replace(/\/\d+(?=\/|$)/g, '/:id')}?${String(query.include ?? '')}`;
}

export class FreshdeskRequester {
  private readonly origin: string;
  private readonly pathPrefix: string;
  private readonly authorization: string;
  private readonly options: FreshdeskRequesterOptions;
  private readonly retry: RetryPolicy;
  /** Credits the last request of each kind cost (X-Ratelimit-Used-CurrentRequest). */
  private readonly creditsByKind = new Map<string, number>();

  constructor(options: FreshdeskRequesterOptions) {
    this.options = options;
    this.retry = options.retry ?? sourceRetryDefaults;
    ({ origin: this.origin, pathPrefix: this.pathPrefix } = freshdeskApiBase(options.baseUrl));
    this.authorization = `Basic ${Buffer.from(`${options.apiKey}:X`).toString('base64')}`;
  }

  /** One page of a list endpoint (`path` like `/tickets`), as the parsed JSON array plus whether a next page exists. */
  /** `logger`: the calling stream's logger, so retries are logged with the stream's name. */
  /** `maxBytes`: a smaller cap than the requester's for this call (a prefetch shares one response's bytes). */
  async getPage(path: string, query: Record<string, string | number>, signal?: AbortSignal, streamLogger?: Logger, maxBytes?: number): Promise<SourcePage> {
    const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    const requestPath = `${this.pathPrefix}${path}${search ? `?${search}` : ''}`;
    const { budget, clock } = this.options;
    const logger = streamLogger ?? this.options.logger;
    let failures = 0;
    let rateLimited = 0;
    const costKey = costKeyOf(path, query);
    for (;;) {
      const ticket: CreditTicket = await budget.acquire(signal, path, this.creditsByKind.get(costKey) ?? 1);
      let response: Dispatcher.ResponseData;
      let text: string;
      try {
        response = await this.options.dispatcher.request({
          origin: this.origin,
          path: requestPath,
          method: 'GET',
          headers: { authorization: this.authorization, accept: 'application/json' },
          signal,
        });
        // Read the whole (≤ 100-record) body inside the try: a body that stalls or resets is retried too.
        text = await readBodyText(response, Math.min(maxBytes ?? Infinity, this.options.maxResponseBytes ?? defaultMaxResponseBytes), path);
      } catch (error) {
        if (signal?.aborted) throw abortedError(signal);
        if (error instanceof SyncError) throw error;
        if (!isRetryableTransportError(error)) {
          throw new SyncError('SOURCE_UNAVAILABLE', `GET ${path} failed: ${describeTransportError(error)}`, { cause: error });
        }
        failures++;
        if (failures >= this.retry.maxAttempts) {
          throw new SyncError(
            'SOURCE_UNAVAILABLE',
            `GET ${path} failed ${failures} times, last: ${describeTransportError(error)}; the run will retry from the last acknowledged cursor`,
          );
        }
        const waitMs = retryDelayMs(failures, undefined, this.retry, this.options.random);
        logger.warn({ path, attempt: failures, waitMs, err: describeTransportError(error) }, 'source request failed, retrying');
        await clock.sleep(waitMs, signal);
        continue;
      }

      const rate = readRateHeaders(response.headers);
      budget.settle(ticket, rate.used);
      if (rate.used !== undefined && response.statusCode !== 429) this.creditsByKind.set(costKey, Math.max(1, rate.used));
      budget.observe(rate, ticket);
      const action = classifySourceStatus(response.statusCode);
      if (action === 'ok') {
        let items: unknown;
        try {
          items = JSON.parse(text);
        } catch {
          throw new SyncError('SOURCE_BAD_RESPONSE', `GET ${path} returned a body that is not JSON`);
        }
        if (!Array.isArray(items)) throw new SyncError('SOURCE_BAD_RESPONSE', `GET ${path} returned JSON that is not an array`);
        return { items, hasNext: hasNextLink(response.headers.link) };
      }

      const body = text;
      const status = response.statusCode;
      switch (action) {
        case 'credentials':
          throw new SyncError(
            'CREDENTIALS_INVALID',
            `Freshdesk rejected the API key (HTTP 401 on GET ${path}): check the credentials Secret (env ${envNames.sourceApiKey}) holds a valid API key for this account`,
          );
        case 'forbidden':
          throw new SyncError(
            'SOURCE_FORBIDDEN',
            `Freshdesk refused GET ${path} (HTTP 403${errorCodeOf(body)}): the API key's agent lacks access, or the plan lacks the feature`,
          );
        case 'rate-limited': {
          rateLimited++;
          const pauseMs = parseRetryAfterMs(response.headers['retry-after'], clock.nowMs()) ?? defaultRateLimitPauseMs;
          budget.rateLimited(ticket, rate.remaining, pauseMs);
          if (rateLimited >= maxRateLimitedTriesPerRequest) {
            throw new SyncError('RATE_LIMITED', `GET ${path} was rate limited ${rateLimited} times in a row; the account's per-minute budget is exhausted by other clients`);
          }
          logger.warn({ path, pauseMs }, 'rate limited (429): pausing the tenant until Retry-After');
          continue;
        }
        case 'retry': {
          failures++;
          if (failures >= this.retry.maxAttempts) {
            throw new SyncError(
              'SOURCE_UNAVAILABLE',
              `GET ${path} answered HTTP ${status} ${failures} times; the run will retry from the last acknowledged cursor`,
            );
          }
          const retryAfterMs = parseRetryAfterMs(response.headers['retry-after'], clock.nowMs());
          const waitMs = retryDelayMs(failures, retryAfterMs, this.retry, this.options.random);
          logger.warn({ path, status, attempt: failures, waitMs }, 'source answered a server error, retrying');
          await clock.sleep(waitMs, signal);
          continue;
        }
        default:
          if (status === 404) throw new SyncError('SOURCE_NOT_FOUND', `GET ${path} answered HTTP 404 (not found)`);
          throw new SyncError('SOURCE_REQUEST_INVALID', `GET ${path} answered HTTP ${status}${describeValidation(body)}`);
      }
    }
  }
}

function errorCodeOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { code?: unknown };
    return typeof parsed.code === 'string' ? `, ${parsed.code}` : '';
  } catch {
    return '';
  }
}

/** Freshdesk's validation body (`{description, errors:[{field, message, code}]}`) as a short suffix. */
function describeValidation(body: string): string {
  try {
    const parsed = JSON.parse(body) as { description?: unknown; errors?: Array<{ field?: unknown; message?: unknown }>; message?: unknown };
    const first = parsed.errors?.[0];
    if (first) return `: ${String(first.field ?? '')} ${String(first.message ?? '')}`.trimEnd();
    if (typeof parsed.message === 'string') return `: ${parsed.message}`;
    if (typeof parsed.description === 'string') return `: ${parsed.description}`;
  } catch {
    // not JSON: the status says enough
  }
  return '';
}

/**
 * The body as text, read chunk by chunk and given up (SOURCE_RESPONSE_TOO_LARGE) as soon as it passes
 * `maxBytes`, so one hostile page (dozens of huge conversation bodies) never has to fit in memory whole.
 */
async function readBodyText(response: Dispatcher.ResponseData, maxBytes: number, path: string): Promise<string> {
  const declared = Number(response.headers['content-length']);
  const tooLarge = (bytes: string) =>
    new SyncError('SOURCE_RESPONSE_TOO_LARGE', `GET ${path} answered with a body of ${bytes} bytes, over the ${maxBytes}-byte cap on one response`);
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body.destroy();
    throw tooLarge(String(declared));
  }
  // Decoded chunk by chunk: no Buffer of the whole body (a large one would come from malloc's arena and stay there).
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      response.body.destroy();
      throw tooLarge(`more than ${maxBytes}`);
    }
    text += decoder.decode(chunk as Buffer, { stream: true });
  }
  return text + decoder.decode();
}
