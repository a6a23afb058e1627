// In-memory stand-ins for the controller's dependencies: a client that stores objects (apply =
// replace the applied fields, merge patch per RFC 7386, resourceVersion bumps) and informer-like caches.
import type { KubernetesObject } from '@kubernetes/client-node';
import { KubeApiError } from '../../../operator/kube/errors.js';
import type { KubeObject, KubeReader, KubeWriter, StatusWriter } from '../../../operator/kube/client.js';
import type { ObjectCache } from '../../../operator/runtime/controller.js';
import type { InformerEventOrigin } from '../../../operator/runtime/informer.js';
import type { EventRecorderLike, EventType } from '../../../operator/kube/events.js';

type Obj = KubernetesObject & { metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown }; [k: string]: unknown };
export type Ref = { apiVersion: string; kind: string; namespace?: string | undefined; name: string };

const keyOf = (r: { apiVersion?: string; kind?: string; namespace?: string | undefined; name: string }) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;

function merge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

export interface Write {
  verb: 'apply' | 'create' | 'patch' | 'delete';
  kind: string;
  name: string;
  subresource?: string | undefined;
  body: unknown;
}

export class FakeClient implements KubeReader, KubeWriter, StatusWriter {
  readonly objects = new Map<string, Obj>();
  readonly writes: Write[] = [];
  /** Make the next request of a verb fail. */
  failNext: Partial<Record<'get' | 'apply' | 'create' | 'patch', KubeApiError>> = {};
  /** Fails every merge patch this returns an error for (e.g. one kind only), as if the process died there. */
  failPatch: ((ref: Ref, opts: { subresource?: string }) => KubeApiError | undefined) | undefined;
  private rv = 100;
  private uid = 0;

  /** `now` stamps creationTimestamp on what a create or apply creates, as the API server does. */
  constructor(private readonly now: () => Date = () => new Date()) {}

  /** What a create adds to metadata: the time (RFC 3339, as the API server writes it in JSON). */
  private created<M extends object>(metadata: M): M {
    return { creationTimestamp: this.now().toISOString().replace(/\.\d{3}Z$/, 'Z'), ...metadata } as M;
  }

  seed<T extends object>(obj: T): T {
    const o = structuredClone(obj) as unknown as Obj;
    o.metadata.resourceVersion = String(++this.rv);
    o.metadata.uid ??= `uid-${++this.uid}`;
    this.objects.set(keyOf({ ...o.metadata, kind: o.kind }), o);
    return structuredClone(o) as unknown as T;
  }

  find<T = Obj>(kind: string, namespace: string, name: string): T | undefined {
    const o = this.objects.get(keyOf({ kind, namespace, name }));
    return o === undefined ? undefined : (structuredClone(o) as T);
  }

  remove(kind: string, namespace: string, name: string): void {
    this.objects.delete(keyOf({ kind, namespace, name }));
  }

  async get<T>(ref: Ref): Promise<T | undefined> {
    this.maybeFail('get');
    return this.find<T>(ref.kind, ref.namespace ?? '', ref.name);
  }

  async apply<T extends KubeObject>(obj: T, opts: { subresource?: string }): Promise<T> {
    this.maybeFail('apply');
    this.writes.push({ verb: 'apply', kind: obj.kind ?? '', name: obj.metadata.name, subresource: opts.subresource, body: structuredClone(obj) });
    const key = keyOf({ ...obj.metadata, kind: obj.kind });
    const old = this.objects.get(key);
    // A resourceVersion in the applied object is a precondition on an existing one (absent: it is created).
    if (old !== undefined && obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
      this.writes.pop();
      throw new KubeApiError({ code: 'KUBE_CONFLICT', message: `${obj.kind} ${obj.metadata.name} has been modified`, method: 'PATCH', path: '/', statusCode: 409 });
    }
    const next = structuredClone(obj) as unknown as Obj;
    next.metadata = { ...(old?.metadata ?? this.created(next.metadata)), ...next.metadata, uid: old?.metadata.uid ?? `uid-${++this.uid}`, resourceVersion: String(++this.rv) };
    if (old?.status !== undefined) next.status = old.status;
    this.objects.set(key, next);
    return structuredClone(next) as unknown as T;
  }

  async create<T extends KubeObject>(obj: T): Promise<T> {
    this.maybeFail('create');
    const key = keyOf({ ...obj.metadata, kind: obj.kind });
    if (this.objects.has(key)) {
      throw new KubeApiError({ code: 'KUBE_ALREADY_EXISTS', message: `${obj.kind} ${obj.metadata.name} already exists`, method: 'POST', path: '/', statusCode: 409 });
    }
    this.writes.push({ verb: 'create', kind: obj.kind ?? '', name: obj.metadata.name, body: structuredClone(obj) });
    return this.seed({ ...obj, metadata: this.created(obj.metadata) });
  }

  /** Lists one kind in a namespace; labelSelector supports `k=v[,k=v]`. */
  async list<T>(apiVersion: string, kind: string, opts: { namespace?: string; labelSelector?: string } = {}): Promise<{ metadata: object; items: T[] }> {
    this.maybeFail('get');
    const wanted = (opts.labelSelector ?? '').split(',').filter(Boolean).map((p) => p.split('=') as [string, string]);
    const items = [...this.objects.values()].filter((o) => {
      if (o.kind !== kind || (opts.namespace !== undefined && o.metadata.namespace !== opts.namespace)) return false;
      const labels = (o.metadata.labels ?? {}) as Record<string, string>;
      return wanted.every(([k, v]) => labels[k] === v);
    });
    return { metadata: {}, items: items.map((o) => structuredClone(o) as unknown as T) };
  }

  async mergePatch<T>(ref: Ref, patch: unknown, opts: { subresource?: string } = {}): Promise<T> {
    this.maybeFail('patch');
    const injected = this.failPatch?.(ref, opts);
    if (injected) throw injected;
    this.writes.push({ verb: 'patch', kind: ref.kind, name: ref.name, subresource: opts.subresource, body: structuredClone(patch) });
    const key = keyOf(ref);
    const old = this.objects.get(key);
    if (old === undefined) throw new KubeApiError({ code: 'KUBE_NOT_FOUND', message: 'not found', method: 'PATCH', path: '/', statusCode: 404 });
    const next = merge(old, patch) as Obj;
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key, next);
    return structuredClone(next) as T;
  }

  async delete(ref: Ref): Promise<boolean> {
    this.writes.push({ verb: 'delete', kind: ref.kind, name: ref.name, subresource: undefined, body: undefined });
    const existed = this.objects.delete(keyOf(ref));
    return existed;
  }

  async patchStatus<T>(ref: Ref, patch: unknown, opts: { fieldManager?: string } = {}): Promise<T> {
    return this.mergePatch<T>(ref, patch, { ...opts, subresource: 'status' });
  }

  private maybeFail(verb: 'get' | 'apply' | 'create' | 'patch'): void {
    const err = this.failNext[verb];
    if (err) {
      delete this.failNext[verb];
      throw err;
    }
  }
}

/** A cache that reads straight through to the fake client's store (what a caught-up informer shows). */
export class FakeCache<T> implements ObjectCache<T> {
  private readonly handlers: ((type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T, origin: InformerEventOrigin) => void)[] = [];
  /** When set, get() returns this instead of the store (a cache that lags behind). */
  frozen: Map<string, T> | undefined;

  constructor(
    private readonly client: FakeClient,
    private readonly kind: string,
  ) {}

  get(namespace: string, name: string): T | undefined {
    if (this.frozen) return structuredClone(this.frozen.get(`${namespace}/${name}`));
    return this.client.find<T>(this.kind, namespace, name);
  }

  keys(): string[] {
    return [...this.client.objects.values()].filter((o) => o.kind === this.kind).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
  }

  /** Keeps returning what is stored now, whatever happens later. */
  freeze(): void {
    this.frozen = new Map(this.keys().map((k) => [k, this.get(...(k.split('/') as [string, string])) as T]));
  }

  hasSynced(): boolean {
    return true;
  }

  async waitForSync(): Promise<boolean> {
    return true;
  }

  on(handler: (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T, origin: InformerEventOrigin) => void): void {
    this.handlers.push(handler);
  }

  emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T, origin: InformerEventOrigin = 'change'): void {
    for (const h of this.handlers) h(type, obj, origin);
  }
}

export class FakeRecorder implements EventRecorderLike {
  readonly events: { type: EventType; reason: string; message: string; name: string | undefined }[] = [];
  async record(obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    this.events.push({ type, reason, message, name: obj.metadata?.name });
  }
}

/** The Secret `fd` and a TenantSync `acme` (created 10:00, one tickets stream) in `namespace`, with `schedule` (interval or cron). */
export function seedTenant(client: FakeClient, namespace: string, schedule: { interval: string } | { schedule: string }): void {
  client.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fd', namespace }, data: { apiKey: 'a2V5' } });
  client.seed({
    apiVersion: 'tenantsync.io/v1alpha1',
    kind: 'TenantSync',
    metadata: { name: 'acme', namespace, generation: 1, creationTimestamp: '2025-05-01T10:00:00Z' },
    spec: {
      ...schedule,
      source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'fd', key: 'apiKey' }, streams: [{ name: 'tickets' }] },
      sink: { url: 'https://sink.example.com' },
    },
  });
}
