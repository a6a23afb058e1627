// A self-healing informer: list + watch (with bookmarks) from a resourceVersion into an in-memory
// cache, calling handlers on changes. Any error restarts it with capped backoff; it never exits.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { KubeClient, type KubeList } from '../kube/client.js';
import { isGone, isKubeError } from '../kube/errors.js';
import { resourcePath } from '../kube/resources.js';
import { errorFields, type Logger } from './logger.js';
import { expBackoffMs, jittered, sleep } from './sleep.js';
import { objectKey } from './work-queue.js';

export type InformerEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
/**
 * Why an event is told: `change` (the watch saw it, or a relist found it changed), `initial-list` (the first list
 * after a start tells every object), `resync` (the periodic resync tells every object again).
 */
export type InformerEventOrigin = 'change' | 'initial-list' | 'resync';
export type InformerHandler<T> = (type: InformerEventType, obj: T, origin: InformerEventOrigin) => void;

/** Restart backoff after an error: 0.5 s doubling to 15 s (+≤20 % jitter); reset by any watch event. */
export const defaultInformerInitialBackoffMs = 500;
export const defaultInformerMaxBackoffMs = 15_000;
/** Server-side watch timeout; each watch asks for a random value in [t, 2t) like client-go's reflector. */
export const defaultWatchTimeoutSeconds = 300;
export const defaultListPageSize = 500;

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
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
  /**
   * Applied to every object before it is cached (and handed to handlers): drop what the operator
   * never reads (managedFields, …) so thousands of cached objects fit the memory limit.
   */
  transform?: ((obj: T) => T) | undefined;
  /**
   * Only the leader runs this informer (controller-runtime's default: its caches start with the controllers):
   * a standby holds no objects and sends no list or watch; when leadership ends the cache is emptied, and the
   * next start lists afresh. Default false: every replica keeps the cache.
   */
  needLeaderElection?: boolean | undefined;
  /** Told when a namespace's list/watch is refused (403) and when it works again (see `problems()`). */
  onScopeProblem?: ((problem: ScopeProblem | undefined, where: { informer: string; namespace: string | undefined }) => void) | undefined;
}

/** Why a watched namespace has no cache: RBAC refused the list/watch there. */
export interface ScopeProblem {
  readonly informer: string;
  readonly namespace: string | undefined;
  readonly resource: string;
  /** The API server's answer, e.g. `jobs.batch is forbidden: User "…" cannot list resource "jobs" …`. */
  readonly message: string;
  /** The RBAC rule that would let the list/watch through, for people to add. */
  readonly missingRule: string;
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
  /** Set while RBAC refuses this namespace; cleared once a list succeeds. */
  problem: ScopeProblem | undefined;
}

/**
 * Watches one kind and keeps a cache of it. Implements Runnable: a cache (it stops after the work that reads it),
 * run by every replica or, with `needLeaderElection`, by the leader only.
 */
export class Informer<T extends KubernetesObject> {
  readonly name: string;
  readonly needLeaderElection: boolean;
  readonly isCache = true;
  private readonly client: KubeClient;
  private readonly opts: InformerOptions<T>;
  private readonly logger: Logger;
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly store = new Map<string, T>();
  /** Our own writes the watch has not delivered yet (read-your-writes; see noteWritten). */
  private readonly written = new Map<string, T>();
  private readonly scopes: Scope[];
  private syncWaiters: (() => void)[] = [];
  private readonly counters: InformerStats = { lists: 0, watches: 0, goneRelists: 0, errors: 0 };

  constructor(opts: InformerOptions<T>) {
    if (!opts.client && !opts.kubeConfig) throw new Error('Informer needs a client or a kubeConfig');
    this.opts = opts;
    this.client = opts.client ?? new KubeClient({ kubeConfig: opts.kubeConfig! });
    this.name = opts.name ?? `informer/${opts.plural}`;
    this.needLeaderElection = opts.needLeaderElection ?? false;
    this.logger = opts.logger.child({ informer: this.name });
    const namespaces = opts.namespaces && opts.namespaces.length > 0 ? [...new Set(opts.namespaces)] : [undefined];
    this.scopes = namespaces.map((namespace) => ({ namespace, synced: false, problem: undefined }));
  }

  /** Registers a change handler. Handlers run synchronously, in order; a throwing handler is logged and skipped. */
  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  /** True once every watched namespace has been listed (stays true through later outages: the cache is kept). */
  hasSynced(): boolean {
    return this.scopes.every((s) => s.synced);
  }

  /** Namespaces RBAC refuses (403), each with the rule that is missing; empty when all work. */
  problems(): ScopeProblem[] {
    return this.scopes.flatMap((s) => (s.problem && !s.synced ? [s.problem] : []));
  }

  /** Every namespace is listed or refused by RBAC: waiting longer would not help the others. */
  private settled(): boolean {
    return this.scopes.every((s) => s.synced || s.problem !== undefined);
  }

  /**
   * Resolves true once every namespace is listed — or refused by RBAC (see `problems()`), so that one
   * broken namespace does not keep the healthy ones from being served — or false when `signal` aborts first.
   */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.settled()) return Promise.resolve(true);
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

  /** The cached object, or our own newer write of it that the watch has not delivered yet. */
  get(namespace: string, name: string): T | undefined {
    const key = objectKey(namespace, name);
    const stored = this.store.get(key);
    const written = this.written.get(key);
    return written !== undefined && isNewer(written, stored) ? written : stored;
  }

  /**
   * Read-your-writes (client-go's mutation cache): the object a write of ours returned is served by
   * `get` until the watch delivers that version or a newer one, so the next reconcile does not act on
   * the version from before the write (e.g. cursors going back in status for a moment).
   * Only objects this informer would cache (same kind, matching labels) should be passed.
   */
  noteWritten(obj: T): void {
    const current = this.get(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
    if (isNewer(obj, current)) this.written.set(keyOf(obj), this.transform(obj));
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
    if (this.needLeaderElection) this.forgetAll();
    this.logger.debug('informer stopped');
  }

  /**
   * Empties the cache without telling the handlers (nothing was deleted: this process stopped leading), so a
   * standby holds no objects and the next start waits for a fresh list before work reads the cache.
   */
  private forgetAll(): void {
    this.store.clear();
    this.written.clear();
    for (const scope of this.scopes) {
      scope.synced = false;
      if (scope.problem !== undefined) this.opts.onScopeProblem?.(undefined, { informer: this.name, namespace: scope.namespace });
      scope.problem = undefined;
    }
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
    /** 410s in a row with no watch event between: the second and later relists back off. */
    let goneRelists = 0;
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
          goneRelists = 0;
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
          // The first relist is immediate (a watch resumed after a long outage); repeated ones back off,
          // so an API server that answers 410 to every watch does not get a relist storm.
          const delayMs = goneRelists++ === 0 ? 0 : jittered(expBackoffMs(goneRelists - 2, initialMs, maxMs));
          log.info({ resourceVersion, relistInMs: delayMs }, 'resourceVersion too old (410 Gone); relisting');
          this.counters.goneRelists++;
          resourceVersion = undefined;
          await sleep(delayMs, signal);
          continue;
        }
        const forbidden = forbiddenProblem(err, this.name, this.opts.plural, this.opts.apiVersion, scope.namespace);
        if (forbidden !== undefined && (scope.problem === undefined || scope.problem.message !== forbidden.message)) {
          scope.problem = forbidden;
          log.error({ namespace: scope.namespace, missingRule: forbidden.missingRule, error: errorFields(err) }, 'RBAC refuses list/watch in this namespace; serving the others');
          this.opts.onScopeProblem?.(forbidden, { informer: this.name, namespace: scope.namespace });
          this.wakeWaitersIfSettled();
        }
        this.counters.errors++;
        // A server that said how long to wait (429/503 with Retry-After) is not asked again sooner.
        const retryAfterMs = isKubeError(err) && err.retryAfterSeconds !== undefined ? err.retryAfterSeconds * 1000 : 0;
        const delayMs = Math.max(jittered(expBackoffMs(failures++, initialMs, maxMs)), retryAfterMs);
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
    if (scope.problem !== undefined) {
      this.logger.info({ namespace: scope.namespace }, 'list/watch allowed again in this namespace');
      scope.problem = undefined;
      this.opts.onScopeProblem?.(undefined, { informer: this.name, namespace: scope.namespace });
    }
    const origin: InformerEventOrigin = scope.synced ? 'change' : 'initial-list';
    const seen = new Set<string>();
    for (const obj of list.items) {
      // List items carry no apiVersion/kind; handlers expect whole objects.
      const full = this.transform(this.withTypeMeta(obj, list));
      seen.add(keyOf(full));
      this.upsert(full, origin);
    }
    for (const [key, old] of this.store) {
      const inScope = scope.namespace === undefined || (old.metadata?.namespace ?? '') === scope.namespace;
      if (inScope && !seen.has(key)) {
        this.store.delete(key);
        this.written.delete(key);
        this.emit('DELETED', old, origin);
      }
    }
    if (!scope.synced) {
      scope.synced = true;
      this.wakeWaitersIfSettled();
    }
    return list.metadata.resourceVersion ?? '';
  }

  private wakeWaitersIfSettled(): void {
    if (!this.settled()) return;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w();
  }

  private transform(obj: T): T {
    return this.opts.transform ? this.opts.transform(obj) : obj;
  }

  private applyEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    if (type === 'DELETED') {
      const key = keyOf(obj);
      this.store.delete(key);
      this.written.delete(key);
      this.emit('DELETED', this.transform(obj), 'change');
      return;
    }
    this.upsert(this.transform(obj), 'change');
  }

  private upsert(obj: T, origin: InformerEventOrigin): void {
    const key = keyOf(obj);
    const old = this.store.get(key);
    const written = this.written.get(key);
    if (written !== undefined && !isNewer(written, obj)) this.written.delete(key);
    if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    this.store.set(key, obj);
    this.emit(old ? 'MODIFIED' : 'ADDED', obj, origin);
  }

  private withTypeMeta(obj: T, list: KubeList<T>): T {
    if (obj.apiVersion && obj.kind) return obj;
    const kind = list.kind?.endsWith('List') ? list.kind.slice(0, -4) : undefined;
    return { ...obj, apiVersion: obj.apiVersion ?? list.apiVersion ?? this.opts.apiVersion, kind: obj.kind ?? kind };
  }

  private emit(type: InformerEventType, obj: T, origin: InformerEventOrigin): void {
    for (const handler of this.handlers) {
      try {
        handler(type, obj, origin);
      } catch (err) {
        this.logger.error({ err, type, key: keyOf(obj) }, 'informer handler threw; continuing');
      }
    }
  }

  private async runResync(periodMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(periodMs, signal);
      if (signal.aborted || !this.hasSynced()) continue;
      for (const obj of [...this.store.values()]) this.emit('MODIFIED', obj, 'resync');
    }
  }
}

const keyOf = (obj: KubernetesObject): string => objectKey(obj.metadata?.namespace, obj.metadata?.name ?? '');


/**
 * True when `a` is a later version than `b` (or `b` is absent). resourceVersions are opaque, but the
 * API server's are etcd revisions (integers), which client-go's mutation cache relies on too; anything
 * else never counts as newer, so the watch's version wins.
 */
function isNewer(a: KubernetesObject, b: KubernetesObject | undefined): boolean {
  if (b === undefined) return true;
  const va = a.metadata?.resourceVersion;
  const vb = b.metadata?.resourceVersion;
  if (!va || !vb || !/^[0-9]+$/.test(va) || !/^[0-9]+$/.test(vb)) return false;
  return BigInt(va) > BigInt(vb);
}

/** A 403 on a namespace's list/watch as a problem people can act on: which rule is missing where. */
function forbiddenProblem(err: unknown, informer: string, plural: string, apiVersion: string, namespace: string | undefined): ScopeProblem | undefined {
  if (!isKubeError(err, 'KUBE_FORBIDDEN')) return undefined;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const where = namespace === undefined ? 'cluster-wide (ClusterRole + ClusterRoleBinding)' : `in namespace ${namespace} (Role + RoleBinding, or a ClusterRole bound there)`;
  return {
    informer,
    namespace,
    resource: group ? `${plural}.${group}` : plural,
    message: err.status?.message ?? err.message,
    missingRule: `apiGroups: ["${group}"], resources: ["${plural}"], verbs: ["get", "list", "watch"] ${where}`,
  };
}
