// What the informer keeps and when it counts as synced, against a stub client: cached objects lose
// managedFields (and a Job its pod template), our own writes are read back before the watch delivers
// them, a leader-only cache is emptied when leadership ends, a namespace RBAC refuses is reported (and does not keep the others waiting for ever), and
// repeated 410s back off instead of relisting in a loop.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { V1ConfigMap, V1Job } from '@kubernetes/client-node';
import type { WatchEvent } from '../../../operator/kube/client.js';
import { KubeApiError } from '../../../operator/kube/errors.js';
import { withoutUnreadFields } from '../../../operator/runtime/cache-transform.js';
import { Informer, type ScopeProblem } from '../../../operator/runtime/informer.js';
import { silentLogger } from '../../../operator/runtime/logger.js';

const managedFields = [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': { 'f:x': {} } } }];
const cm = (name: string, resourceVersion: string, namespace = 'a'): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, resourceVersion, managedFields, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}', keep: 'me' } },
  data: { x: '1' },
});
const forbidden = (namespace: string) =>
  new KubeApiError({
    code: 'KUBE_FORBIDDEN',
    message: 'forbidden',
    method: 'GET',
    path: `/api/v1/namespaces/${namespace}/configmaps`,
    statusCode: 403,
    status: { code: 403, reason: 'Forbidden', message: `configmaps is forbidden: User "system:serviceaccount:ops:op" cannot list resource "configmaps" in API group "" in the namespace "${namespace}"` },
  });
const gone = () => new KubeApiError({ code: 'KUBE_GONE', message: 'too old', method: 'GET', path: '/', statusCode: 410 });

/** A client whose list answers per namespace and whose watches block until aborted (or fail as told). */
function stubClient(opts: { listOf: (namespace: string) => V1ConfigMap[] | Error; watchFails?: () => Error | undefined }) {
  const calls = { lists: 0, watches: 0 };
  return {
    calls,
    client: {
      async listPath(path: string) {
        calls.lists++;
        const namespace = /namespaces\/([^/]+)/.exec(path)?.[1] ?? '';
        const items = opts.listOf(namespace);
        if (items instanceof Error) throw items;
        return { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: '10' }, items };
      },
      // eslint-disable-next-line require-yield -- a watch that never delivers an event
      async *watch(_path: string, w: { signal: AbortSignal }): AsyncGenerator<WatchEvent<V1ConfigMap>> {
        calls.watches++;
        const failure = opts.watchFails?.();
        if (failure) throw failure;
        await new Promise<void>((resolve) => w.signal.addEventListener('abort', () => resolve(), { once: true }));
      },
    },
  };
}

let abort: AbortController;
let running: Promise<void> | undefined;
beforeEach(() => {
  abort = new AbortController();
});
afterEach(async () => {
  abort.abort();
  await vi.runOnlyPendingTimersAsync().catch(() => undefined);
  await running;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function start(client: unknown, namespaces: string[], extra: Partial<ConstructorParameters<typeof Informer<V1ConfigMap>>[0]> = {}) {
  const informer = new Informer<V1ConfigMap>({ client: client as never, apiVersion: 'v1', plural: 'configmaps', namespaces, logger: silentLogger(), ...extra });
  running = informer.start(abort.signal);
  return informer;
}

describe('cache transform', () => {
  it('drops managedFields and the last-applied annotation, and a Job its pod template, keeping what the operator reads', () => {
    expect(withoutUnreadFields(cm('x', '1'))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'a', resourceVersion: '1', annotations: { keep: 'me' } },
      data: { x: '1' },
    });
    const job: V1Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', managedFields },
      spec: { suspend: false, activeDeadlineSeconds: 60, template: { spec: { containers: [{ name: 'sync', image: 'i' }] } } },
      status: { succeeded: 1 },
    };
    expect(withoutUnreadFields(job)).toEqual({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { suspend: false, activeDeadlineSeconds: 60 }, status: { succeeded: 1 } });
  });

  it("keeps of a run's Pod its node, phase, container states and PodScheduled condition (a run that cannot start), nothing else", () => {
    const scheduled = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes', lastTransitionTime: '2025-05-01T10:00:00Z' };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', managedFields },
      spec: { containers: [{ name: 'sync', image: 'i' }] },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Initialized', status: 'True' }, scheduled],
        containerStatuses: [{ name: 'sync', image: 'i', ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'm' } } }],
      },
    };
    expect(withoutUnreadFields(pod as never)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {},
      status: { phase: 'Pending', conditions: [scheduled], containerStatuses: [{ name: 'sync', state: { waiting: { reason: 'ImagePullBackOff', message: 'm' } } }] },
    });
  });

  it('is applied to every cached object', async () => {
    const stub = stubClient({ listOf: () => [cm('x', '5')] });
    const informer = start(stub.client, ['a'], { transform: withoutUnreadFields });
    await informer.waitForSync();
    expect(informer.get('a', 'x')?.metadata?.managedFields).toBeUndefined();
    expect(informer.get('a', 'x')?.data).toEqual({ x: '1' });
  });
});

describe('read-your-writes', () => {
  it('serves our newer write until the watch delivers that version, never an older one', async () => {
    const stub = stubClient({ listOf: () => [cm('x', '5')] });
    const informer = start(stub.client, ['a']);
    await informer.waitForSync();
    informer.noteWritten({ ...cm('x', '7'), data: { x: 'written' } });
    expect(informer.get('a', 'x')?.data).toEqual({ x: 'written' });
    informer.noteWritten({ ...cm('x', '6'), data: { x: 'stale' } }); // older than what we already hold: ignored
    expect(informer.get('a', 'x')?.data).toEqual({ x: 'written' });
  });
});

describe('a leader-only cache', () => {
  it('is emptied when leadership ends, without events, and the next start waits for a fresh list', async () => {
    let items = [cm('x', '5')];
    const stub = stubClient({ listOf: () => items });
    const events: string[] = [];
    const informer = new Informer<V1ConfigMap>({ client: stub.client as never, apiVersion: 'v1', plural: 'configmaps', namespaces: ['a'], logger: silentLogger(), needLeaderElection: true });
    informer.on((type, obj) => events.push(`${type} ${obj.metadata?.name}`));
    expect(informer).toMatchObject({ needLeaderElection: true, isCache: true });
    const lead = new AbortController();
    let run = informer.start(lead.signal);
    await informer.waitForSync();
    expect(informer.get('a', 'x')?.data).toEqual({ x: '1' });
    lead.abort(); // leadership ends
    await run;
    expect(informer.get('a', 'x')).toBeUndefined();
    expect(informer.keys()).toEqual([]);
    expect(informer.hasSynced()).toBe(false);
    expect(events).toEqual(['ADDED x']); // nothing was deleted: no DELETED for the handlers
    // Leading again: what changed meanwhile is listed before anyone is told the cache has synced.
    items = [cm('y', '8')];
    const again = new AbortController();
    run = informer.start(again.signal);
    await informer.waitForSync();
    expect(informer.keys()).toEqual(['a/y']);
    expect(stub.calls.lists).toBe(2);
    expect(events).toEqual(['ADDED x', 'ADDED y']);
    again.abort();
    await run;
  });

  it('a cache every replica runs keeps its objects when stopped', async () => {
    const stub = stubClient({ listOf: () => [cm('x', '5')] });
    const informer = new Informer<V1ConfigMap>({ client: stub.client as never, apiVersion: 'v1', plural: 'configmaps', namespaces: ['a'], logger: silentLogger() });
    const stop = new AbortController();
    const run = informer.start(stop.signal);
    await informer.waitForSync();
    stop.abort();
    await run;
    expect(informer.needLeaderElection).toBe(false);
    expect(informer.keys()).toEqual(['a/x']);
  });
});

describe('a namespace RBAC refuses', () => {
  it('is reported with the missing rule while the other namespaces are served', async () => {
    const problems: (ScopeProblem | undefined)[] = [];
    let denied = true;
    const stub = stubClient({ listOf: (ns) => (ns === 'b' && denied ? forbidden('b') : [cm(`in-${ns}`, '3', ns)]) });
    const informer = start(stub.client, ['a', 'b'], { onScopeProblem: (p) => problems.push(p), initialBackoffMs: 5, maxBackoffMs: 5 });
    // Without this, waitForSync would never resolve and no namespace would be reconciled.
    await expect(informer.waitForSync()).resolves.toBe(true);
    expect(informer.keys()).toEqual(['a/in-a']);
    expect(informer.hasSynced()).toBe(false); // readiness stays false while a namespace is not served
    expect(informer.problems()).toEqual([
      expect.objectContaining({ namespace: 'b', resource: 'configmaps', missingRule: expect.stringMatching(/resources: \["configmaps"\], verbs: \["get", "list", "watch"\] in namespace b/) }),
    ]);
    expect(informer.problems()[0]?.message).toContain('cannot list resource "configmaps"');
    // Fixed RBAC: the namespace is served at the next retry and the problem clears.
    denied = false;
    await vi.waitFor(() => expect(informer.hasSynced()).toBe(true));
    expect(informer.problems()).toEqual([]);
    expect(problems.map((p) => p?.namespace)).toEqual(['b', undefined]);
  });
});

describe('429 on a list', () => {
  it('waits the Retry-After the server asked for, not just its own backoff', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    let calls = 0;
    const tooMany = Object.assign(new KubeApiError({ code: 'KUBE_TOO_MANY_REQUESTS', message: 'slow down', method: 'GET', path: '/', statusCode: 429 }), { retryAfterSeconds: 7 });
    const stub = stubClient({ listOf: () => (++calls === 1 ? tooMany : [cm('x', '5')]) });
    const informer = start(stub.client, ['a']);
    await vi.advanceTimersByTimeAsync(6_999);
    expect(stub.calls.lists).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(stub.calls.lists).toBe(2);
    expect(informer.hasSynced()).toBe(true);
  });
});

describe('410 Gone', () => {
  it('relists at once the first time, then backs off while every watch is gone', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const stub = stubClient({ listOf: () => [cm('x', '5')], watchFails: gone });
    start(stub.client, ['a']);
    await vi.advanceTimersByTimeAsync(0);
    // list, watch (410), list at once, watch (410), then 0.5 s, 1 s, 2 s between relists.
    expect(stub.calls.lists).toBe(2);
    for (const [delay, lists] of [[500, 3], [1000, 4], [2000, 5]] as const) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(stub.calls.lists).toBe(lists - 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(stub.calls.lists).toBe(lists);
    }
  });
});

describe('event origins', () => {
  it('tells the first list as initial-list, what a relist finds changed as change, and a resync as resync', async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(0);
    let items = [cm('x', '5'), cm('y', '5')];
    let watches = 0;
    const stub = stubClient({
      listOf: () => items,
      // The first watch finds its resourceVersion too old: meanwhile x changed and y was deleted.
      watchFails: () => {
        if (++watches > 1) return undefined;
        items = [cm('x', '6')];
        return gone();
      },
    });
    const informer = new Informer<V1ConfigMap>({ client: stub.client as never, apiVersion: 'v1', plural: 'configmaps', namespaces: ['a'], logger: silentLogger(), resyncPeriodMs: 60_000 });
    const events: string[] = [];
    informer.on((type, obj, origin) => events.push(`${type} ${obj.metadata?.name} ${origin}`));
    running = informer.start(abort.signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['ADDED x initial-list', 'ADDED y initial-list', 'MODIFIED x change', 'DELETED y change']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(events.slice(4)).toEqual(['MODIFIED x resync']);
  });
});
