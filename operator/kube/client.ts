// The operator's one path to the Kubernetes API: kubeconfig loading and a small typed REST client
// (get/list/create/replace/apply/merge-patch/delete/watch) that counts every write it sends.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
// Deep imports: the operator's process leaves client-node's generated API clients out (lean-client-node.ts).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { STATUS_CODES } from 'node:http';
import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import { expBackoffMs, jittered, sleep } from '../runtime/sleep.js';
import { isGone, KubeApiError, KubeConfigError, kubeErrorCodeFor, type KubeStatus } from './errors.js';
import { defaultKubeApiBurst, defaultKubeApiQps, TokenBucket } from './rate-limiter.js';
import {
  apiPrefix,
  resourceLabel,
  resourcePath,
  isNamedPath,
  resourceOfPath,
  resourceTypeKey,
  wellKnownResourceTypes,
  type ResourceType,
} from './resources.js';

const inClusterTokenPath = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Loads the kubeconfig the way kubectl does, except that no config at all is an error (the client
 * library silently falls back to http://localhost:8080): explicit path → $KUBECONFIG (merged list)
 * → ~/.kube/config → in-cluster service account.
 */
export function loadKubeConfig(opts: { kubeconfigPath?: string; context?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  const defaultPath = join(homedir(), '.kube', 'config');
  if (opts.kubeconfigPath) {
    if (!existsSync(opts.kubeconfigPath)) {
      throw new KubeConfigError(`kubeconfig ${opts.kubeconfigPath} does not exist; pass an existing file or unset the flag`);
    }
    kc.loadFromFile(opts.kubeconfigPath);
  } else if (process.env.KUBECONFIG) {
    kc.loadFromDefault();
  } else if (existsSync(defaultPath)) {
    kc.loadFromFile(defaultPath);
  } else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(inClusterTokenPath)) {
    kc.loadFromCluster();
  } else {
    throw new KubeConfigError(
      'no Kubernetes configuration found: set KUBECONFIG, pass --kubeconfig, create ~/.kube/config, or run in a pod with a service account',
    );
  }
  if (opts.context) kc.setCurrentContext(opts.context);
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError(`kubeconfig has no cluster for context "${kc.getCurrentContext()}"; check current-context`);
  }
  return kc;
}

/** An object with the fields every request needs. */
export type KubeObject = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
};

/** Names one object. `namespace` is ignored for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** The verbs the write counter knows; `apply` is a server-side-apply PATCH. */
export type WriteVerb = 'create' | 'update' | 'patch' | 'apply' | 'delete';
/** Every verb, for the request counter. */
export type RequestVerb = 'get' | 'list' | 'watch' | WriteVerb;

/** One request as sent (counted once per attempt, retries included). */
export interface RequestRecord {
  verb: RequestVerb;
  /** `configmaps`, `tenantsyncs/status`, … */
  resource: string;
  /** HTTP status, or `error` when no answer came. */
  code: string;
}

export interface KubeClientOptions {
  kubeConfig: KubeConfig;
  /** Sent as User-Agent, so API server logs and audit show who wrote. */
  userAgent?: string;
  /** Deadline of one non-watch request. */
  requestTimeoutMs?: number;
  /** Called once for every write request sent (before the answer), e.g. to count it. */
  onWrite?: (write: { verb: WriteVerb; resource: string }) => void;
  /** Called once for every request attempt with its answer (reads, watches and writes). */
  onRequest?: (request: RequestRecord) => void;
  /** Called with the object a successful create, update, patch or apply returned (e.g. read-your-writes caches). */
  onWritten?: (obj: KubernetesObject) => void;
  /** Client-side rate limit shared by every request of this client (default defaultKubeApiQps/defaultKubeApiBurst). */
  qps?: number;
  burst?: number;
  /** Retries of idempotent reads and of 429s (default defaultRetryPolicy). */
  retry?: Partial<RetryPolicy>;
}

/**
 * When a request is sent again. 429 means the server did not process it, so any verb is retried
 * after Retry-After; 5xx, timeouts and broken connections are retried only for reads (GET, LIST),
 * which cannot have done anything twice. Watches are never retried here (the informer resumes them).
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff of retried reads: initial doubling to max (+≤20 % jitter). */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A 429 without Retry-After waits this long; a longer Retry-After is cut to maxRetryAfterMs. */
  defaultRetryAfterMs: number;
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  defaultRetryAfterMs: 1_000,
  maxRetryAfterMs: 30_000,
};

export const defaultRequestTimeoutMs = 30_000;
/** A watch gets this much longer than its server-side timeoutSeconds before we give up on it. */
export const watchClientSlackMs = 30_000;
/**
 * A watch that receives nothing (not even a bookmark, which the API server's watch cache sends
 * about once a minute) for this long is assumed dead — e.g. a peer that vanished without a FIN —
 * and ends; the informer resumes from its resourceVersion. Without the watch cache (no bookmarks)
 * this only costs a cheap reconnect of a quiet watch.
 */
export const watchIdleTimeoutMs = 150_000;

interface RawRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
  write?: { verb: WriteVerb; resource: string };
  /** A watch: never retried by the client. */
  watch?: boolean;
}

/** What every view of one client shares: the connection pool, the rate limiter and the kinds it knows. */
interface SharedState {
  readonly types: Map<string, ResourceType>;
  readonly limiter: TokenBucket;
  /** Shared by every view, also one with its own rate limit: close() ends all their connections. */
  readonly pool: ConnectionPool;
}

interface ConnectionPool {
  dispatcher: Dispatcher | undefined;
  resolved: boolean;
  /** Requests under way (a watch too), for a shutdown that takes long to say what it waits for. */
  readonly underWay: Set<{ readonly method: string; readonly path: string; readonly startedMs: number }>;
}

/** How long close() lets the requests under way finish before it cuts them off. */
export const closeWaitMs = 2_000;

/**
 * A small REST client over undici, using the kubeconfig's credentials. Every method that writes
 * reports itself through `onWrite`; reads never do. Errors are `KubeApiError` with stable codes.
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  private readonly opts: KubeClientOptions;
  private readonly userAgent: string;
  private readonly requestTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly shared: SharedState;
  /** A view's signal (see withSignal): every request of the view ends when it aborts. */
  private readonly scopeSignal: (() => AbortSignal | undefined) | undefined;

  constructor(opts: KubeClientOptions, shared?: SharedState, scopeSignal?: () => AbortSignal | undefined) {
    this.opts = opts;
    this.kubeConfig = opts.kubeConfig;
    this.userAgent = opts.userAgent ?? 'tenant-sync';
    this.requestTimeoutMs = opts.requestTimeoutMs ?? defaultRequestTimeoutMs;
    this.retry = { ...defaultRetryPolicy, ...opts.retry };
    this.scopeSignal = scopeSignal;
    this.shared = shared ?? {
      types: new Map(wellKnownResourceTypes.map((t) => [resourceTypeKey(t.apiVersion, t.kind), t])),
      limiter: new TokenBucket(opts.qps ?? defaultKubeApiQps, opts.burst ?? defaultKubeApiBurst),
      pool: { dispatcher: undefined, resolved: false, underWay: new Set() },
    };
  }

  /** The kinds known without discovery (shared by every view). */
  private get types(): Map<string, ResourceType> {
    return this.shared.types;
  }

  /**
   * A view of this client (same connections, same rate limit) whose every request also ends when
   * `signal()` aborts, and is never sent once it has: e.g. the leader's writes end the moment it
   * loses the Lease, without passing a signal into each call.
   */
  withSignal(signal: () => AbortSignal | undefined): KubeClient {
    return new KubeClient(this.opts, this.shared, signal);
  }

  /**
   * A view with a token bucket of its own (same qps and burst; same kinds, same signal): for Events, which are
   * best effort and must not spend the reconciles' tokens (client-go's event broadcaster has its own client too).
   */
  withOwnRateLimit(): KubeClient {
    const { limiter } = this.shared;
    return new KubeClient(this.opts, { ...this.shared, limiter: new TokenBucket(limiter.qps, limiter.burst) }, this.scopeSignal);
  }

  /** Teaches the client a kind (e.g. a CRD) so it never needs discovery for it. */
  registerResourceType(type: ResourceType): void {
    this.types.set(resourceTypeKey(type.apiVersion, type.kind), type);
  }

  /** plural + scope of a kind: from the table, else from discovery (cached). */
  async resourceType(apiVersion: string, kind: string): Promise<ResourceType> {
    const key = resourceTypeKey(apiVersion, kind);
    const known = this.types.get(key);
    if (known) return known;
    const list = await this.request<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>({
      method: 'GET',
      path: apiPrefix(apiVersion),
    });
    for (const r of list.resources ?? []) {
      if (!r.name.includes('/')) this.types.set(resourceTypeKey(apiVersion, r.kind), { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced });
    }
    const found = this.types.get(key);
    if (!found) {
      throw new KubeApiError({
        code: 'KUBE_NOT_FOUND',
        message: `the API server does not serve kind ${kind} in ${apiVersion}; is its CRD installed?`,
        method: 'GET',
        path: apiPrefix(apiVersion),
        statusCode: 404,
      });
    }
    return found;
  }

  /** Reads one object; undefined when it does not exist. */
  async get<T = KubernetesObject>(ref: ObjectRef, opts: { subresource?: string; signal?: AbortSignal } = {}): Promise<T | undefined> {
    const type = await this.resourceType(ref.apiVersion, ref.kind);
    try {
      return await this.request<T>({
        method: 'GET',
        path: resourcePath(type, { namespace: ref.namespace, name: ref.name, subresource: opts.subresource }),
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 'KUBE_NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** Lists one page (or, with `all: true`, every page) of a kind, in a namespace or in all. */
  async list<T = KubernetesObject>(
    apiVersion: string,
    kind: string,
    opts: {
      namespace?: string | undefined;
      labelSelector?: string | undefined;
      fieldSelector?: string | undefined;
      limit?: number;
      continue?: string;
      all?: boolean;
      signal?: AbortSignal | undefined;
    } = {},
  ): Promise<KubeList<T>> {
    const type = await this.resourceType(apiVersion, kind);
    return this.listPath<T>(resourcePath(type, { namespace: opts.namespace }), opts);
  }

  /** Lists a collection path; with `all`, follows `continue` tokens and returns one merged list. */
  async listPath<T>(
    path: string,
    opts: {
      labelSelector?: string | undefined;
      fieldSelector?: string | undefined;
      limit?: number | undefined;
      continue?: string | undefined;
      all?: boolean | undefined;
      signal?: AbortSignal | undefined;
    } = {},
  ): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont = opts.continue;
    let limit = opts.limit;
    for (;;) {
      let page: KubeList<T>;
      try {
        page = await this.request<KubeList<T>>({
          method: 'GET',
          path,
          query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit, continue: cont },
          signal: opts.signal,
        });
      } catch (err) {
        // The continue token expired (410) mid-walk: the pages read so far are from an older snapshot
        // that can no longer be continued. Start over once, unpaged, as client-go's pager does;
        // paging again could expire again and loop for ever.
        if (!(opts.all && cont !== undefined && opts.continue === undefined && isGone(err) && limit !== undefined)) throw err;
        items.length = 0;
        cont = undefined;
        limit = undefined;
        continue;
      }
      items.push(...(page.items ?? []));
      cont = page.metadata?.continue || undefined;
      if (!opts.all || !cont) return { ...page, metadata: { ...page.metadata }, items };
    }
  }

  /** POST: creates the object; fails with KUBE_ALREADY_EXISTS when the name is taken. */
  async create<T extends KubeObject>(obj: T, opts: { fieldManager?: string; signal?: AbortSignal } = {}): Promise<T> {
    const type = await this.resourceType(obj.apiVersion, obj.kind);
    return this.request<T>({
      method: 'POST',
      path: resourcePath(type, { namespace: obj.metadata.namespace }),
      query: { fieldManager: opts.fieldManager },
      body: obj,
      signal: opts.signal,
      write: { verb: 'create', resource: resourceLabel(type.plural) },
    });
  }

  /** PUT: replaces the object; with metadata.resourceVersion set this is optimistic concurrency (KUBE_CONFLICT). */
  async replace<T extends KubeObject>(
    obj: T,
    opts: { fieldManager?: string; subresource?: 'status'; signal?: AbortSignal } = {},
  ): Promise<T> {
    const type = await this.resourceType(obj.apiVersion, obj.kind);
    return this.request<T>({
      method: 'PUT',
      path: resourcePath(type, { namespace: obj.metadata.namespace, name: obj.metadata.name, subresource: opts.subresource }),
      query: { fieldManager: opts.fieldManager },
      body: obj,
      signal: opts.signal,
      write: { verb: 'update', resource: resourceLabel(type.plural, opts.subresource) },
    });
  }

  /**
   * Server-side apply (PATCH application/apply-patch+yaml) under `fieldManager`. `force` (default
   * true) takes over fields another manager owns, as a controller should for what it declares.
   */
  async apply<T extends KubeObject>(
    obj: T,
    opts: { fieldManager: string; force?: boolean; subresource?: 'status'; signal?: AbortSignal },
  ): Promise<T> {
    const type = await this.resourceType(obj.apiVersion, obj.kind);
    return this.request<T>({
      method: 'PATCH',
      path: resourcePath(type, { namespace: obj.metadata.namespace, name: obj.metadata.name, subresource: opts.subresource }),
      query: { fieldManager: opts.fieldManager, force: opts.force ?? true },
      body: obj,
      contentType: 'application/apply-patch+yaml',
      signal: opts.signal,
      write: { verb: 'apply', resource: resourceLabel(type.plural, opts.subresource) },
    });
  }

  /** JSON merge patch (RFC 7386) of an object or its status. */
  /** JSON-merge-patches the status subresource only (controller-runtime's StatusWriter). */
  async patchStatus<T = KubernetesObject>(ref: ObjectRef, patch: unknown, opts: { fieldManager?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.mergePatch<T>(ref, patch, { ...opts, subresource: 'status' });
  }

  async mergePatch<T = KubernetesObject>(
    ref: ObjectRef,
    patch: unknown,
    opts: { fieldManager?: string; subresource?: 'status'; signal?: AbortSignal } = {},
  ): Promise<T> {
    const type = await this.resourceType(ref.apiVersion, ref.kind);
    return this.request<T>({
      method: 'PATCH',
      path: resourcePath(type, { namespace: ref.namespace, name: ref.name, subresource: opts.subresource }),
      query: { fieldManager: opts.fieldManager },
      body: patch,
      contentType: 'application/merge-patch+json',
      signal: opts.signal,
      write: { verb: 'patch', resource: resourceLabel(type.plural, opts.subresource) },
    });
  }

  /** Deletes an object; false when it was already gone. Preconditions guard against deleting a successor. */
  async delete(
    ref: ObjectRef,
    opts: {
      propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
      gracePeriodSeconds?: number;
      preconditions?: { uid?: string; resourceVersion?: string };
      signal?: AbortSignal;
    } = {},
  ): Promise<boolean> {
    const type = await this.resourceType(ref.apiVersion, ref.kind);
    try {
      await this.request({
        method: 'DELETE',
        path: resourcePath(type, { namespace: ref.namespace, name: ref.name }),
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: opts.propagationPolicy,
          gracePeriodSeconds: opts.gracePeriodSeconds,
          preconditions: opts.preconditions,
        },
        signal: opts.signal,
        write: { verb: 'delete', resource: resourceLabel(type.plural) },
      });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 'KUBE_NOT_FOUND') return false;
      throw err;
    }
  }

  /**
   * Watches a collection path from `resourceVersion` with bookmarks. Yields events until the server
   * closes the stream (normal end, e.g. after timeoutSeconds) or the signal aborts; throws
   * KubeApiError on an ERROR event (410 → KUBE_GONE) or a broken connection (KUBE_UNAVAILABLE).
   */
  async *watch<T>(
    path: string,
    opts: {
      resourceVersion?: string | undefined;
      labelSelector?: string | undefined;
      fieldSelector?: string | undefined;
      timeoutSeconds: number;
      signal: AbortSignal;
      /** Default watchIdleTimeoutMs. */
      idleTimeoutMs?: number;
    },
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const query = {
      watch: true,
      allowWatchBookmarks: true,
      resourceVersion: opts.resourceVersion,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      timeoutSeconds: opts.timeoutSeconds,
    };
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), opts.timeoutSeconds * 1000 + watchClientSlackMs);
    timer.unref?.();
    const signal = AbortSignal.any([opts.signal, deadline.signal]);
    const idleMs = opts.idleTimeoutMs ?? watchIdleTimeoutMs;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => deadline.abort(), idleMs);
      idleTimer.unref?.();
    };
    const untrack = this.track('WATCH', path);
    try {
      touch();
      const response = await this.send({ method: 'GET', path, query, signal, timeoutMs: 0, watch: true });
      const decoder = new TextDecoder();
      let buffered = '';
      try {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          touch();
          buffered += decoder.decode(chunk, { stream: true });
          // One event per line; the rest of the chunk is cut off once, not after every line (a chunk can hold many).
          let start = 0;
          let newline: number;
          while ((newline = buffered.indexOf('\n', start)) >= 0) {
            const line = buffered.slice(start, newline).trim();
            start = newline + 1;
            if (!line) continue;
            const event = JSON.parse(line) as { type: string; object: unknown };
            if (event.type === 'ERROR') throw statusError('GET', path, event.object as KubeStatus);
            yield event as WatchEvent<T>;
          }
          buffered = buffered.slice(start);
        }
      } catch (err) {
        if (err instanceof KubeApiError) throw err;
        if (signal.aborted) return; // our deadline or the caller: a normal end
        throw new KubeApiError({ code: 'KUBE_UNAVAILABLE', message: `watch ${path} broke: ${describe(err)}`, method: 'GET', path, cause: err });
      }
    } catch (err) {
      // Our deadline or the caller's abort ends a watch normally; HTTP errors always surface.
      if (signal.aborted && !(err instanceof KubeApiError && err.statusCode !== undefined)) return;
      throw err;
    } finally {
      untrack();
      clearTimeout(timer);
      clearTimeout(idleTimer);
      deadline.abort(); // closes the connection if the consumer stopped early
    }
  }

  /** Sends one request and decodes the JSON answer; non-2xx → KubeApiError. */
  async request<T>(req: RawRequest): Promise<T> {
    const untrack = this.track(req.method, req.path);
    let text: string;
    try {
      text = await (await this.send(req)).body.text();
    } finally {
      untrack();
    }
    const body = (text ? JSON.parse(text) : undefined) as T;
    if (req.write && req.write.verb !== 'delete' && isObject(body)) this.opts.onWritten?.(body);
    return body;
  }

  /**
   * Releases pooled connections (of every view): requests under way get `waitMs` to finish, then they are cut off.
   * (undici's Agent.close() alone waits for a hung request as long as it hangs, and a destroy() after it no longer
   * reaches the connections.) A later request opens a new pool.
   */
  async close(waitMs: number = closeWaitMs): Promise<void> {
    const pool = this.shared.pool;
    const d = pool.dispatcher;
    pool.dispatcher = undefined;
    pool.resolved = false;
    if (!d) return;
    const deadline = performance.now() + waitMs;
    while (pool.underWay.size > 0 && performance.now() < deadline) await sleep(Math.min(20, deadline - performance.now()));
    if (pool.underWay.size === 0) await d.close().catch(() => undefined);
    else await d.destroy(new Error('the client was closed while this request was under way')).catch(() => undefined);
  }

  /** The requests under way now, oldest first, as "METHOD path (N s)" (e.g. what a slow shutdown waits for). */
  requestsUnderWay(nowMs: number = performance.now()): string[] {
    return [...this.shared.pool.underWay]
      .sort((a, b) => a.startedMs - b.startedMs)
      .map((r) => `${r.method} ${r.path} (${Math.round((nowMs - r.startedMs) / 1000)} s)`);
  }

  /** Lists a request (body included; a watch for as long as it runs) in requestsUnderWay() until the returned call. */
  private track(method: string, path: string): () => void {
    const entry = { method, path, startedMs: performance.now() };
    this.shared.pool.underWay.add(entry);
    return () => this.shared.pool.underWay.delete(entry);
  }

  /** Sends a request through the rate limiter, retrying what the retry policy allows (see RetryPolicy). */
  private async send(req: RawRequest): Promise<Dispatcher.ResponseData> {
    const read = req.method === 'GET' && !req.watch;
    for (let attempt = 1; ; attempt++) {
      // The view's signal is read for each attempt: a retry is not sent once it has aborted, even if it is a new one.
      const scope = this.scopeSignal?.();
      const signal = scope === undefined ? req.signal : req.signal === undefined ? scope : AbortSignal.any([req.signal, scope]);
      try {
        if (signal?.aborted) throw signal.reason;
        await this.shared.limiter.take(signal);
        return await this.sendOnce({ ...req, signal });
      } catch (err) {
        if (signal?.aborted || attempt >= this.retry.maxAttempts || !(err instanceof KubeApiError) || req.watch) throw err;
        const waitMs = this.retryDelayMs(err, read, attempt);
        if (waitMs === undefined) throw err;
        await sleep(waitMs, signal);
      }
    }
  }

  /** How long to wait before sending again, or undefined when the request must not be repeated. */
  private retryDelayMs(err: KubeApiError, read: boolean, attempt: number): number | undefined {
    if (err.code === 'KUBE_TOO_MANY_REQUESTS') {
      const seconds = err.retryAfterSeconds;
      const ms = seconds === undefined ? this.retry.defaultRetryAfterMs : seconds * 1000;
      return Math.min(ms, this.retry.maxRetryAfterMs);
    }
    if (!read || !['KUBE_SERVER_ERROR', 'KUBE_TIMEOUT', 'KUBE_UNAVAILABLE'].includes(err.code)) return undefined;
    if (err.retryAfterSeconds !== undefined) return Math.min(err.retryAfterSeconds * 1000, this.retry.maxRetryAfterMs);
    return jittered(expBackoffMs(attempt - 1, this.retry.initialDelayMs, this.retry.maxDelayMs));
  }

  private async sendOnce(req: RawRequest): Promise<Dispatcher.ResponseData> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new KubeConfigError('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), req.method);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    const pool = this.shared.pool;
    if (!pool.resolved) {
      // The kubeconfig's TLS settings make an Agent; a plain-HTTP server (tests) gets one of ours, never undici's
      // global one, so close() ends this client's connections and nobody else's.
      pool.dispatcher = ctx.getDispatcher() ?? new Agent();
      pool.resolved = true;
    }
    const headers: Record<string, string> = { ...ctx.getHeaders(), Accept: 'application/json', 'User-Agent': this.userAgent };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['Content-Type'] = req.contentType ?? 'application/json';
    }
    const timeoutMs = req.timeoutMs ?? this.requestTimeoutMs;
    const signals = [req.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => !!s);
    const signal = signals.length ? AbortSignal.any(signals) : undefined;
    if (req.write) this.opts.onWrite?.(req.write);
    const record = (code: string) => this.opts.onRequest?.({ verb: req.write?.verb ?? readVerb(req), resource: resourceOfPath(req.path), code });
    let response: Dispatcher.ResponseData;
    try {
      // undici's request(), not fetch(): no WHATWG streams and Response objects per call (the operator's CPU
      // during a burst of reconciles went half to fetch's machinery and the garbage it left).
      response = await undiciRequest(url, { method: req.method, headers, body, dispatcher: pool.dispatcher, signal });
    } catch (err) {
      record('error');
      if (req.signal?.aborted) throw req.signal.reason ?? err;
      const timedOut = signal?.aborted === true;
      throw new KubeApiError({
        code: timedOut ? 'KUBE_TIMEOUT' : 'KUBE_UNAVAILABLE',
        message: timedOut
          ? `${req.method} ${req.path}: no answer from the API server within ${timeoutMs} ms`
          : `${req.method} ${req.path}: cannot reach the API server at ${cluster.server}: ${describe(err)}`,
        method: req.method,
        path: req.path,
        cause: err,
      });
    }
    const code = response.statusCode;
    record(String(code));
    if (code >= 200 && code < 300) return response;
    const text = await response.body.text().catch(() => '');
    let status: KubeStatus | undefined;
    try {
      status = JSON.parse(text) as KubeStatus;
    } catch {
      status = { message: text.slice(0, 500) || STATUS_CODES[code], code };
    }
    const error = statusError(req.method, req.path, { ...status, code });
    error.retryAfterSeconds = retryAfterSeconds(headerValue(response.headers['retry-after'])) ?? status.details?.retryAfterSeconds;
    throw error;
  }
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

const readVerb = (req: RawRequest): RequestVerb => (req.watch ? 'watch' : isNamedPath(req.path) ? 'get' : 'list');

const isObject = (v: unknown): v is KubernetesObject => v !== null && typeof v === 'object' && 'metadata' in v;

/** Retry-After as seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
/** What a reconciler reads (controller-runtime's client.Reader). */
export type KubeReader = Pick<KubeClient, 'get' | 'list'>;
/** What a reconciler writes to objects (client.Writer): server-side apply, create, merge patches of metadata and spec. */
export type KubeWriter = Pick<KubeClient, 'apply' | 'create' | 'mergePatch' | 'delete'>;
/** Writes of the status subresource only (client.StatusWriter). */
export type StatusWriter = Pick<KubeClient, 'patchStatus'>;

export function retryAfterSeconds(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function statusError(method: string, path: string, status: KubeStatus): KubeApiError {
  const code = status.code ?? 500;
  return new KubeApiError({
    code: kubeErrorCodeFor(code, status.reason),
    message: `${method} ${path}: ${code} ${status.reason ?? ''} ${status.message ?? ''}`.replace(/\s+/g, ' ').trim(),
    method,
    path,
    statusCode: code,
    status,
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/** Convenience: a client for a kubeconfig with the defaults. */
export function createKubeClient(opts: KubeClientOptions): KubeClient {
  return new KubeClient(opts);
}
