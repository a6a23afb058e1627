// The kube client against a real local HTTP server standing in for the API server: the shared
// client-side rate limit, Retry-After on 429 (any verb: the server did not process it), retried reads
// on 5xx (writes are not repeated), an expired continue token restarting the list once, unpaged, and a
// view whose signal (the leader's) cancels requests in flight and refuses new ones.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultRequestTimeoutMs, defaultRetryPolicy, KubeClient, retryAfterSeconds, watchIdleTimeoutMs, type KubeClientOptions, type RequestRecord } from '../../../operator/kube/client.js';
import { defaultInformerInitialBackoffMs, defaultInformerMaxBackoffMs } from '../../../operator/runtime/informer.js';
import { TokenBucket } from '../../../operator/kube/rate-limiter.js';
import { countKubeRequests, createMetrics } from '../../../operator/runtime/metrics.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server | undefined;
const clients: KubeClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** Starts a server answering with `handler`; returns a client for it and the log of requests ("METHOD url"). */
async function serve(handler: Handler, opts: Partial<KubeClientOptions> = {}) {
  const seen: string[] = [];
  const arrivals: number[] = [];
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => handler(req, res, seen.length));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  const requests: RequestRecord[] = [];
  const client = new KubeClient({ kubeConfig, onRequest: (r) => requests.push(r), retry: { initialDelayMs: 10, maxDelayMs: 20 }, ...opts });
  clients.push(client);
  return { client, seen, arrivals, requests };
}

const json = (res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const status = (code: number, reason: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: `${reason} (test)` });
const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' } });
const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'a' };
/** Polls (real timers) until `done()` holds. */
const waitUntil = async (done: () => boolean, everyMs = 5) => {
  while (!done()) await new Promise((r) => setTimeout(r, everyMs));
};

describe('TokenBucket', () => {
  it('lets a burst through, then one request every 1/qps seconds, and refills while idle', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([1, 2, 3, 4, 5].map(() => bucket.reserve())).toEqual([0, 0, 0, 500, 1000]);
    now += 10_000; // idle: back to a full burst, never more
    expect([1, 2, 3, 4].map(() => bucket.reserve())).toEqual([0, 0, 0, 500]);
  });
  it('rejects a rate that would let nothing through', () => {
    expect(() => new TokenBucket(0, 10)).toThrow(/qps > 0/);
  });
});

describe('KubeClient rate limit', () => {
  it('a view with its own rate limit (Events) neither waits for the tokens the client spent nor spends them', async () => {
    // 1 token, then one per 1,000 s: a shared bucket would hold the second request past the test's timeout.
    const { client, seen } = await serve((_req, res) => json(res, 200, cm('a')), { qps: 0.001, burst: 1 });
    const events = client.withOwnRateLimit();
    await client.get(cmRef);
    await events.create(cm('e'));
    expect(seen).toEqual(['GET /api/v1/namespaces/ns/configmaps/a', 'POST /api/v1/namespaces/ns/configmaps']);
  });

  it('spaces requests beyond the burst at 1/qps, across every view of the client', async () => {
    const { client, arrivals } = await serve((_req, res) => json(res, 200, cm('a')), { qps: 10, burst: 2 });
    const leader = client.withSignal(() => undefined);
    const t0 = performance.now();
    await Promise.all([client.get(cmRef), leader.get(cmRef), client.get(cmRef), leader.get(cmRef), client.get(cmRef)]);
    expect(arrivals).toHaveLength(5);
    // The first two share the burst; each later one waited ≥ 100 ms for its token (a lower bound only).
    const sorted = [...arrivals].sort((a, b) => a - b);
    for (let i = 2; i < 5; i++) expect(sorted[i]! - t0, `request ${i + 1}`).toBeGreaterThanOrEqual((i - 1) * 100 - 5);
  });
});

describe('KubeClient retries', () => {
  it('waits Retry-After seconds after a 429 and sends again, even a write', async () => {
    const { client, arrivals, seen, requests } = await serve((req, res, n) =>
      n === 1 ? json(res, 429, status(429, 'TooManyRequests'), { 'Retry-After': '1' }) : json(res, 201, cm('a')),
    );
    await expect(client.create(cm('a'))).resolves.toMatchObject({ metadata: { name: 'a' } });
    expect(seen).toEqual(['POST /api/v1/namespaces/ns/configmaps', 'POST /api/v1/namespaces/ns/configmaps']);
    expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(990);
    expect(requests.map((r) => `${r.verb} ${r.resource} ${r.code}`)).toEqual(['create configmaps 429', 'create configmaps 201']);
  });

  it('retries a read on 5xx with backoff, but never repeats a write', async () => {
    const { client, seen } = await serve((req, res, n) => (req.method === 'GET' && n >= 3 ? json(res, 200, cm('a')) : json(res, 503, status(503, 'ServiceUnavailable'))));
    await expect(client.get(cmRef)).resolves.toMatchObject({ metadata: { name: 'a' } });
    expect(seen).toHaveLength(3);
    seen.length = 0;
    await expect(client.mergePatch(cmRef, { data: { x: '1' } })).rejects.toMatchObject({ code: 'KUBE_SERVER_ERROR', statusCode: 503 });
    expect(seen).toEqual(['PATCH /api/v1/namespaces/ns/configmaps/a']);
  });

  it('gives up on a read after maxAttempts', async () => {
    const { client, seen } = await serve((_req, res) => json(res, 500, status(500, 'InternalError')), { retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 } });
    await expect(client.get(cmRef)).rejects.toMatchObject({ code: 'KUBE_SERVER_ERROR' });
    expect(seen).toHaveLength(3);
  });

  it('waits 1 s after a 429 without Retry-After, and at most 30 s whatever it says', async () => {
    // Only setTimeout is faked (the client's waits); the HTTP round trips run in real time, watched by polling on
    // setImmediate, so no helper moves the fake clock behind the test's back.
    const until = async (what: string, cond: () => boolean) => {
      const end = performance.now() + 5_000;
      while (!cond()) {
        if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setImmediate(r));
      }
    };
    const pause = async (ms: number) => {
      const end = performance.now() + ms;
      while (performance.now() < end) await new Promise((r) => setImmediate(r));
    };
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { client, seen, requests } = await serve((_req, res, n) =>
        n === 1 ? json(res, 429, status(429, 'TooManyRequests')) : n === 2 ? json(res, 429, status(429, 'TooManyRequests'), { 'Retry-After': '3600' }) : json(res, 200, cm('a')),
      );
      const got = client.get(cmRef);
      await until('the first 429', () => requests.length === 1);
      await pause(100);
      await vi.advanceTimersByTimeAsync(999);
      await pause(200);
      expect(seen).toHaveLength(1); // not before 1 s
      await vi.advanceTimersByTimeAsync(1);
      await until('the second request', () => requests.length === 2);
      await pause(100);
      await vi.advanceTimersByTimeAsync(29_999);
      await pause(200);
      expect(seen).toHaveLength(2); // Retry-After 3600 waits the cap, 30 s, not less…
      await vi.advanceTimersByTimeAsync(1);
      await until('the third request', () => seen.length === 3); // …and not more
      await expect(got).resolves.toMatchObject({ metadata: { name: 'a' } });
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterSeconds('3', now)).toBe(3);
    expect(retryAfterSeconds('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
  });
});

describe('KubeClient request counter (tenantsync_kube_requests_total)', () => {
  it('counts every attempt by verb, resource and code: 200, 404, 409 and "error" when no answer came', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { client } = await serve(
      (req, res) => {
        if (req.method === 'POST') return json(res, 409, status(409, 'AlreadyExists'));
        if (req.url?.endsWith('/missing')) return json(res, 404, status(404, 'NotFound'));
        if (req.url?.endsWith('/broken')) return req.socket.destroy();
        json(res, 200, cm('a'));
      },
      { onRequest: countKubeRequests(metrics), retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } },
    );
    await expect(client.get(cmRef)).resolves.toMatchObject({ metadata: { name: 'a' } });
    await expect(client.get({ ...cmRef, name: 'missing' })).resolves.toBeUndefined();
    await expect(client.create(cm('a'))).rejects.toMatchObject({ statusCode: 409 });
    await expect(client.get({ ...cmRef, name: 'broken' })).rejects.toMatchObject({ code: 'KUBE_UNAVAILABLE' });
    const counted = (await metrics.kubeRequestsTotal.get()).values.map((v) => `${v.labels.verb} ${v.labels.resource} ${v.labels.code} ${v.value}`);
    // The read that got no answer was sent twice (a read is retried), and each attempt is counted.
    expect(counted.sort()).toEqual(['create configmaps 409 1', 'get configmaps 200 1', 'get configmaps 404 1', 'get configmaps error 2']);
    expect(await metrics.registry.metrics()).toContain('tenantsync_kube_requests_total{verb="get",resource="configmaps",code="error"} 2');
  });
});

describe('KubeClient paged list', () => {
  it('restarts once, unpaged, when the continue token expired (410) mid-walk instead of looping', async () => {
    const { client, seen } = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.searchParams.has('continue')) return json(res, 410, status(410, 'Expired'));
      if (url.searchParams.has('limit')) return json(res, 200, { kind: 'ConfigMapList', metadata: { resourceVersion: '5', continue: 'tok' }, items: [cm('a')] });
      return json(res, 200, { kind: 'ConfigMapList', metadata: { resourceVersion: '9' }, items: [cm('a'), cm('b'), cm('c')] });
    });
    const list = await client.list('v1', 'ConfigMap', { namespace: 'ns', limit: 1, all: true });
    expect(list.items.map((i) => (i as { metadata: { name: string } }).metadata.name)).toEqual(['a', 'b', 'c']);
    expect(list.metadata.resourceVersion).toBe('9');
    expect(seen).toEqual([
      '/api/v1/namespaces/ns/configmaps?limit=1',
      '/api/v1/namespaces/ns/configmaps?limit=1&continue=tok',
      '/api/v1/namespaces/ns/configmaps',
    ].map((u) => `GET ${u}`));
  });
});

describe('KubeClient.withSignal (the leader view)', () => {
  it('cancels a request in flight the moment the signal aborts, and sends nothing after', async () => {
    const { client, seen } = await serve(() => undefined /* never answers */);
    const leadership = new AbortController();
    const leader = client.withSignal(() => leadership.signal);
    const pending = leader.mergePatch(cmRef, { data: { x: '1' } });
    await waitUntil(() => seen.length > 0);
    leadership.abort(new Error('lost the lease'));
    await expect(pending).rejects.toThrow('lost the lease');
    await expect(leader.create(cm('b'))).rejects.toThrow('lost the lease');
    expect(seen).toHaveLength(1);
  });

  it('reads the signal again before a retry: a read is not sent again once the view has a new, aborted signal', async () => {
    const { client, seen } = await serve((_req, res) => json(res, 503, status(503, 'ServiceUnavailable')));
    let current = new AbortController().signal;
    const view = client.withSignal(() => current);
    const read = view.get(cmRef);
    await waitUntil(() => seen.length > 0, 1); // before the retry, 10–20 ms after the 503
    current = AbortSignal.abort(new Error('stopping: requests cut off'));
    await expect(read).rejects.toThrow('stopping: requests cut off');
    expect(seen).toHaveLength(1);
  });
});

describe('the shipped client limits (docs/operator.md)', () => {
  it('reads retried 5 tries, 0.2 s doubling to 5 s; 429 waits 1 s without Retry-After, 30 s at most; 30 s per request; a watch silent 150 s is dead; informers restart 0.5 s → 15 s', () => {
    expect(defaultRetryPolicy).toEqual({ maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5_000, defaultRetryAfterMs: 1_000, maxRetryAfterMs: 30_000 });
    expect(defaultRequestTimeoutMs).toBe(30_000);
    expect(watchIdleTimeoutMs).toBe(150_000);
    expect([defaultInformerInitialBackoffMs, defaultInformerMaxBackoffMs]).toEqual([500, 15_000]);
  });
});

describe('KubeClient.close', () => {
  it('cuts off requests that hang once the wait is over, in every view, after saying what was under way', async () => {
    const { client, seen } = await serve(() => undefined /* never answers */);
    const events = client.withOwnRateLimit(); // the Events' view: its own token bucket, the same connections
    const patch = client.mergePatch(cmRef, { data: { x: '1' } });
    const event = events.create(cm('e'));
    const settled = Promise.allSettled([patch, event]); // both reject during close(): handled from the start
    await waitUntil(() => seen.length === 2);
    expect(client.requestsUnderWay()).toEqual(['PATCH /api/v1/namespaces/ns/configmaps/a (0 s)', 'POST /api/v1/namespaces/ns/configmaps (0 s)']);
    expect(events.requestsUnderWay()).toEqual(client.requestsUnderWay());
    const started = performance.now();
    await client.close(200);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(5_000);
    expect(await settled).toEqual([
      { status: 'rejected', reason: expect.objectContaining({ code: 'KUBE_UNAVAILABLE' }) },
      { status: 'rejected', reason: expect.objectContaining({ code: 'KUBE_UNAVAILABLE' }) },
    ]);
    expect(client.requestsUnderWay()).toEqual([]);
  });

  it('lets a request under way finish within the wait, and a later request opens new connections', async () => {
    const { client } = await serve((_req, res) => setTimeout(() => json(res, 200, cm('a')), 100));
    const read = client.get(cmRef);
    await waitUntil(() => client.requestsUnderWay().length === 1);
    await client.close(5_000);
    await expect(read).resolves.toMatchObject({ metadata: { name: 'a' } });
    await expect(client.get(cmRef)).resolves.toMatchObject({ metadata: { name: 'a' } });
  });

  it('lists a watch as under way until it ends', async () => {
    const { client } = await serve((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders());
    const stop = new AbortController();
    const watch = client.watch('/api/v1/configmaps', { timeoutSeconds: 60, signal: stop.signal });
    const next = watch.next();
    await waitUntil(() => client.requestsUnderWay().length === 1);
    expect(client.requestsUnderWay()).toEqual(['WATCH /api/v1/configmaps (0 s)']);
    stop.abort();
    await expect(next).resolves.toMatchObject({ done: true });
    expect(client.requestsUnderWay()).toEqual([]);
  });
});

describe('KubeClient.watch', () => {
  it('yields one event per line however the stream is cut: many in one chunk, one across chunks, a character split between them', async () => {
    const events = ['a', 'b', 'ü-ö', 'd'].map((name) => JSON.stringify({ type: 'ADDED', object: cm(name) }) + '\n');
    const bytes = Buffer.from(events.join(''));
    const split = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two bytes of "ü"
    const { client } = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(bytes.subarray(0, split)); // "a" and "b" whole, then half of the third event
      setTimeout(() => {
        res.write(bytes.subarray(split, split + 5));
        setTimeout(() => res.end(bytes.subarray(split + 5)), 20);
      }, 20);
    });
    const names: string[] = [];
    for await (const event of client.watch<{ metadata: { name: string } }>('/api/v1/configmaps', { timeoutSeconds: 5, signal: new AbortController().signal })) {
      names.push(`${event.type} ${event.object.metadata.name}`);
    }
    expect(names).toEqual(['ADDED a', 'ADDED b', 'ADDED ü-ö', 'ADDED d']);
  });

  it('ends a watch that goes silent (headers sent, then nothing) after the idle timeout, as a normal end the informer resumes from', async () => {
    const { client } = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify({ type: 'ADDED', object: cm('a') }) + '\n');
      // …and then nothing, the connection left open (a half-dead TCP path, an API server that stopped sending).
    });
    const started = performance.now();
    const names: string[] = [];
    for await (const event of client.watch<{ metadata: { name: string } }>('/api/v1/configmaps', { timeoutSeconds: 60, idleTimeoutMs: 300, signal: new AbortController().signal })) {
      names.push(event.object.metadata.name);
    }
    expect(names).toEqual(['a']);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5_000);
  });
});
