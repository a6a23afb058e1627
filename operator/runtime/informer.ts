// A self-healing informer: list + watch (with bookmarks) from a resourceVersion into an in-memory
// cache, calling handlers on changes. Any error restarts it with capped backoff; it never exits.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { KubeClient, type KubeList } from '../kube/client.js';
import { isGone } from '../kube/errors.js';
import { resourcePath } from '../kube/resources.js';
import { errorFields, type Logger } from './logger.js';
import { expBackoffMs, jittered, sleep } from './sleep.js';
import { objectKey } from './work-queue.js';

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type InformerHandler<T> = (type: InformerEventType, obj: T) => void;

/** Restart backoff after an error: 0.5 s doubling to 15 s (+≤20 % jitter); reset by any watch event. */
export const defaultInformerInitialBackoffMs = 500;
export const defaultInformerMaxBackoffMs = 15_000;
/** Server-side watch timeout; each watch asks for a random value in [t, 2t) like client-go's reflector. */
export const defaultWatchTimeoutSeconds = 300;
export const defaultListPageSize = 500;

export interface InformerOptions {
  /** Preferred: the shared client (its user agent, timeouts). */
  client?: KubeClient;
  /** Alternative to `client`: a client is made for it. */
  kubeConfig?: KubeConfig;
  /** 'v1', 'batch/v1', 'tenantsync.io/v1alpha1'. */
  apiVersion: string;
  /** Lower-case plural as in the URL: 'configmaps', 'cronjobs', 'tenantsyncs'. */
  plural: string;
  /** Namespaces to watch (one list+watch each); undefined = all namespaces (one cluster-wide watch). */
  namespaces?: string[] | undefined;
  /** Set false for cluster-scoped kinds (default true). */
  namespaced?: boolean;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  logger: Logger;
  /** Runnable name (default `informer/<plural>`). */
  name?: string;
  /** Re-deliver every cached object as MODIFIED this often (0/undefined = never). */
  resyncPeriodMs?: number | undefined;
  watchTimeoutSeconds?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  pageSize?: number;
}

/** Counters for logs, tests and debugging. */
export interface InformerStats {
  /** Full lists (the first one included). */
  lists: number;
  /** Watches opened. */
  watches: number;
  /** Relists forced by 410 Gone (resourceVersion too old). */
  goneRelists: number;
  /** Errors that made the informer back off. */
  errors: number;
}

interface Scope {
  namespace: string | undefined;
  synced: boolean;
}

/**
 * Watches one kind and keeps a cache of it. Implements Runnable (needLeaderElection: false):
 * standbys keep their caches warm so a new leader starts at once.
 */
export class Informer<T extends KubernetesObject> {
  readonly name: string;
  readonly needLeaderElection = false;
  private readonly client: KubeClient;
  private readonly opts: InformerOptions;
  private readonly logger: Logger;
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly store = new Map<string, T>();
  private readonly scopes: Scope[];
  private syncWaiters: (() => void)[] = [];
  private readonly counters: InformerStats = { lists: 0, watches: 0, goneRelists: 0, errors: 0 };

  constructor(opts: InformerOptions) {
    if (!opts.client && !opts.kubeConfig) throw new Error('Informer needs a client or a kubeConfig');
    this.opts = opts;
    this.client = opts.client ?? new KubeClient({ kubeConfig: opts.kubeConfig! });
    this.name = opts.name ?? `informer/${opts.plural}`;
    this.logger = opts.logger.child({ informer: this.name });
    const namespaces = opts.namespaces && opts.namespaces.length > 0 ? [...new Set(opts.namespaces)] : [undefined];
    this.scopes = namespaces.map((namespace) => ({ namespace, synced: false }));
  }

  /** Registers a change handler. Handlers run synchronously, in order; a throwing handler is logged and skipped. */
  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  /** True once every watched namespace has been listed (stays true through later outages: the cache is kept). */
  hasSynced(): boolean {
    return this.scopes.every((s) => s.synced);
  }

  /** Resolves true once synced, or false when `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.hasSynced()) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  get(namespace: string, name: string): T | undefined {
    return this.store.get(objectKey(namespace, name));
  }

  /** Cached objects, in one namespace or all. */
  list(namespace?: string): T[] {
    const all = [...this.store.values()];
    return namespace === undefined ? all : all.filter((o) => (o.metadata?.namespace ?? '') === namespace);
  }

  /** Keys ("namespace/name") of all cached objects. */
  keys(): string[] {
    return [...this.store.keys()];
  }

  stats(): InformerStats {
    return { ...this.counters };
  }

  /** Runs until `signal` aborts. Never throws. */
  async start(signal: AbortSignal): Promise<void> {
    const loops = this.scopes.map((scope) => this.runScope(scope, signal));
    if (this.opts.resyncPeriodMs) loops.push(this.runResync(this.opts.resyncPeriodMs, signal));
    await Promise.all(loops);
    this.logger.debug('informer stopped');
  }

  private async runScope(scope: Scope, signal: AbortSignal): Promise<void> {
    const path = resourcePath(
      { apiVersion: this.opts.apiVersion, plural: this.opts.plural, namespaced: this.opts.namespaced ?? true },
      { namespace: scope.namespace },
    );
    const log = scope.namespace ? this.logger.child({ watchNamespace: scope.namespace }) : this.logger;
    const initialMs = this.opts.initialBackoffMs ?? defaultInformerInitialBackoffMs;
    const maxMs = this.opts.maxBackoffMs ?? defaultInformerMaxBackoffMs;
    const timeoutBase = this.opts.watchTimeoutSeconds ?? defaultWatchTimeoutSeconds;
    let resourceVersion: string | undefined;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await this.relist(scope, path, signal);
          if (signal.aborted) break;
          log.debug({ resourceVersion, objects: this.store.size }, 'listed');
          failures = 0;
        }
        const startedMs = Date.now();
        let events = 0;
        this.counters.watches++;
        const watch = this.client.watch<T>(path, {
          resourceVersion,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          timeoutSeconds: Math.round(timeoutBase * (1 + Math.random())),
          signal,
        });
        for await (const event of watch) {
          events++;
          failures = 0;
          const rv = event.object.metadata?.resourceVersion;
          if (event.type !== 'BOOKMARK') this.applyEvent(event.type, event.object);
          if (rv) resourceVersion = rv;
        }
        if (signal.aborted) break;
        // A server that closes watches at once would make this a hot loop; treat that as an error.
        if (events === 0 && Date.now() - startedMs < 1000) throw new Error('watch closed immediately by the server');
        log.debug({ resourceVersion, events }, 'watch ended; resuming from the last resourceVersion');
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          log.info({ resourceVersion }, 'resourceVersion too old (410 Gone); relisting');
          this.counters.goneRelists++;
          resourceVersion = undefined;
          continue;
        }
        this.counters.errors++;
        const delayMs = jittered(expBackoffMs(failures++, initialMs, maxMs));
        log.warn({ error: errorFields(err), retryInMs: delayMs, failures }, 'list/watch failed; retrying');
        await sleep(delayMs, signal);
      }
    }
  }

  /** Lists a scope page by page, replaces its part of the cache, emits the differences; returns the list's resourceVersion. */
  private async relist(scope: Scope, path: string, signal: AbortSignal): Promise<string> {
    const list: KubeList<T> = await this.client.listPath<T>(path, {
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      limit: this.opts.pageSize ?? defaultListPageSize,
      all: true,
      signal,
    });
    this.counters.lists++;
    const seen = new Set<string>();
    for (const obj of list.items) {
      // List items carry no apiVersion/kind; handlers expect whole objects.
      const full = this.withTypeMeta(obj, list);
      seen.add(keyOf(full));
      this.upsert(full);
    }
    for (const [key, old] of this.store) {
      const inScope = scope.namespace === undefined || (old.metadata?.namespace ?? '') === scope.namespace;
      if (inScope && !seen.has(key)) {
        this.store.delete(key);
        this.emit('DELETED', old);
      }
    }
    if (!scope.synced) {
      scope.synced = true;
      if (this.hasSynced()) {
        const waiters = this.syncWaiters;
        this.syncWaiters = [];
        for (const w of waiters) w();
      }
    }
    return list.metadata.resourceVersion ?? '';
  }

  private applyEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    if (type === 'DELETED') {
      const key = keyOf(obj);
      this.store.delete(key);
      this.emit('DELETED', obj);
      return;
    }
    this.upsert(obj);
  }

  private upsert(obj: T): void {
    const key = keyOf(obj);
    const old = this.store.get(key);
    if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    this.store.set(key, obj);
    this.emit(old ? 'MODIFIED' : 'ADDED', obj);
  }

  private withTypeMeta(obj: T, list: KubeList<T>): T {
    if (obj.apiVersion && obj.kind) return obj;
    const kind = list.kind?.endsWith('List') ? list.kind.slice(0, -4) : undefined;
    return { ...obj, apiVersion: obj.apiVersion ?? list.apiVersion ?? this.opts.apiVersion, kind: obj.kind ?? kind };
  }

  private emit(type: InformerEventType, obj: T): void {
    for (const handler of this.handlers) {
      try {
        handler(type, obj);
      } catch (err) {
        this.logger.error({ err, type, key: keyOf(obj) }, 'informer handler threw; continuing');
      }
    }
  }

  private async runResync(periodMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(periodMs, signal);
      if (signal.aborted || !this.hasSynced()) continue;
      for (const obj of [...this.store.values()]) this.emit('MODIFIED', obj);
    }
  }
}

const keyOf = (obj: KubernetesObject): string => objectKey(obj.metadata?.namespace, obj.metadata?.name ?? '');

