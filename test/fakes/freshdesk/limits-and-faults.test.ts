// The fake Freshdesk's rate limit (headers, 429 + Retry-After, violations), Basic auth and 403s,
// and fault injection (5xx, timeouts, slow bodies, resets, hooks that edit data between pages).

import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startFreshdeskFake, type FreshdeskFake } from './index.js';
import { basicAuth, getJson, ids } from './http-test-helpers.js';

let fake: FreshdeskFake;
afterEach(async () => {
  await fake.close();
});

describe('rate limit', () => {
  it('counts every request (invalid ones too) in a per-minute window and answers 429 with Retry-After', async () => {
    let nowMs = Date.parse('2024-05-01T10:00:00Z');
    fake = await startFreshdeskFake({ rateLimitPerMinute: 3, now: () => new Date(nowMs) });
    const url = `${fake.baseUrl}/api/v2/tickets`;
    const first = await getJson(url);
    expect([first.headers.get('x-ratelimit-total'), first.headers.get('x-ratelimit-remaining'), first.headers.get('x-ratelimit-used-currentrequest')]).toEqual(['3', '2', '1']);
    expect((await getJson(`${url}?per_page=500`)).headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await getJson(url, 'wrong-key')).headers.get('x-ratelimit-remaining')).toBe('0');

    nowMs += 20_500;
    const limited = await getJson(url);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('40');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.body).toEqual({ message: expect.any(String) });
    expect(fake.violations).toEqual([]);

    nowMs += 10_000; // still inside the Retry-After the fake issued
    expect((await getJson(url)).status).toBe(429);
    expect(fake.violations).toHaveLength(1);
    expect(fake.violations[0]).toMatchObject({ path: '/api/v2/tickets', retryAfterUntil: new Date('2024-05-01T10:01:00.500Z') });

    nowMs = Date.parse('2024-05-01T10:01:01Z');
    const after = await getJson(url);
    expect(after.status).toBe(200);
    expect(after.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(fake.violations).toHaveLength(1);
  });

  it('resets the window when fake.clock advances, with real time flowing underneath', async () => {
    fake = await startFreshdeskFake({ rateLimitPerMinute: 1 });
    const url = `${fake.baseUrl}/api/v2/groups`;
    expect((await getJson(url)).status).toBe(200);
    const limited = await getJson(url);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(55);
    fake.clock.advance(Number(limited.headers.get('retry-after')) * 1000);
    expect((await getJson(url)).status).toBe(200);
    expect(fake.violations).toEqual([]);
    fake.clock.set(new Date('2030-01-01T00:00:00Z'));
    fake.data.addGroups(1);
    expect(((await getJson(url)).body as { created_at: string }[])[0]!.created_at.slice(0, 10)).toBe('2030-01-01');
  });

  it('is one budget for the whole account: two clients on their own connections spend it together', async () => {
    fake = await startFreshdeskFake({ rateLimitPerMinute: 5 });
    const url = `${fake.baseUrl}/api/v2/groups`;
    const other = new Agent({ connections: 1 });
    const fromOther = async () => {
      const response = await request(url, { dispatcher: other, headers: { authorization: basicAuth('test-api-key') } });
      await response.body.dump();
      return { status: response.statusCode, remaining: response.headers['x-ratelimit-remaining'] };
    };
    try {
      for (let i = 0; i < 3; i++) expect((await getJson(url)).status).toBe(200);
      expect(await fromOther()).toEqual({ status: 200, remaining: '1' });
      expect(await fromOther()).toEqual({ status: 200, remaining: '0' });
      expect((await getJson(url)).status).toBe(429);
      expect(new Set(fake.requests.map((r) => r.remotePort)).size).toBeGreaterThan(1);
    } finally {
      await other.close();
    }
  });

  it('charges one extra credit per include and follows setRateLimit', async () => {
    fake = await startFreshdeskFake({ rateLimitPerMinute: 10 });
    fake.data.addTickets(1);
    const withIncludes = await getJson(`${fake.baseUrl}/api/v2/tickets?include=requester,stats`);
    expect(withIncludes.headers.get('x-ratelimit-used-currentrequest')).toBe('3');
    expect((withIncludes.body as Record<string, unknown>[])[0]).toHaveProperty('requester');
    expect((withIncludes.body as Record<string, unknown>[])[0]).toHaveProperty('stats');
    fake.faults.setRateLimit(50);
    expect((await getJson(`${fake.baseUrl}/api/v2/groups`)).headers.get('x-ratelimit-total')).toBe('50');
  });
});

describe('auth', () => {
  it('answers 401 with Freshdesk body for a missing or wrong key and accepts any password', async () => {
    fake = await startFreshdeskFake({ apiKey: 'right-key' });
    const body = { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' };
    const none = await getJson(`${fake.baseUrl}/api/v2/tickets`, undefined);
    expect([none.status, none.body]).toEqual([401, body]);
    const wrong = await getJson(`${fake.baseUrl}/api/v2/tickets`, 'test-api-key');
    expect([wrong.status, wrong.body]).toEqual([401, body]);
    const ok = await fetch(`${fake.baseUrl}/api/v2/tickets`, { headers: { authorization: basicAuth('right-key', 'anything') } });
    expect(ok.status).toBe(200);
    expect(fake.requests[0]!.headers.authorization).toBe('Basic [redacted]');
    expect(JSON.stringify(fake.requests)).not.toContain(Buffer.from('right-key:X').toString('base64'));
  });

  it('answers 403 access_denied under a forbidden path prefix', async () => {
    fake = await startFreshdeskFake();
    fake.faults.forbidPath('solutions');
    const denied = await getJson(`${fake.baseUrl}/api/v2/solutions/categories`);
    expect([denied.status, denied.body]).toEqual([403, { code: 'access_denied', message: 'You are not authorized to perform this action.' }]);
    expect((await getJson(`${fake.baseUrl}/api/v2/tickets`)).status).toBe(200);
    fake.faults.allowPath('/api/v2/solutions');
    expect((await getJson(`${fake.baseUrl}/api/v2/solutions/categories`)).status).toBe(200);
  });
});

describe('faults', () => {
  it('fails the next n requests, optionally only under a path', async () => {
    fake = await startFreshdeskFake();
    fake.faults.failNext(2, 503);
    fake.faults.failNext(1, 500, { path: 'contacts' });
    expect((await getJson(`${fake.baseUrl}/api/v2/tickets`)).status).toBe(503);
    expect((await getJson(`${fake.baseUrl}/api/v2/tickets`)).status).toBe(503);
    expect((await getJson(`${fake.baseUrl}/api/v2/tickets`)).status).toBe(200);
    const failed = await getJson(`${fake.baseUrl}/api/v2/contacts`);
    expect(failed.status).toBe(500);
    expect(failed.headers.get('x-ratelimit-total')).toBe('400');
    expect(fake.faults.pending()).toEqual({ reset: 0, timeout: 0, fail: 0, slow: 0 });
    expect(fake.requests.map((r) => r.fault ?? null)).toEqual(['fail', 'fail', null, 'fail']);
  });

  it('holds a request unanswered on timeoutNext and resets a connection on resetNext', async () => {
    fake = await startFreshdeskFake();
    fake.faults.timeoutNext(1);
    const controller = new AbortController();
    const hung = fetch(`${fake.baseUrl}/api/v2/tickets`, { headers: { authorization: basicAuth('test-api-key') }, signal: controller.signal });
    await expect.poll(() => fake.requests.length).toBe(1);
    controller.abort();
    await expect(hung).rejects.toThrow();
    expect(fake.requests[0]).toMatchObject({ fault: 'timeout', status: 0 });

    fake.faults.resetNext(1);
    await expect(fetch(`${fake.baseUrl}/api/v2/tickets`, { headers: { authorization: basicAuth('test-api-key') } })).rejects.toThrow();
    expect((await getJson(`${fake.baseUrl}/api/v2/tickets`)).status).toBe(200);
  });

  it('sends half a body, then the rest after the delay, on slowBody', async () => {
    fake = await startFreshdeskFake();
    fake.data.addTickets(5);
    fake.faults.slowBody(1, 300);
    const response = await fetch(`${fake.baseUrl}/api/v2/tickets`, { headers: { authorization: basicAuth('test-api-key') } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    const total = Number(response.headers.get('content-length'));
    expect(first.value!.length).toBeLessThan(total);
    let received = first.value!.length;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += chunk.value.length;
    expect(received).toBe(total);
    expect(fake.requests[0]!.fault).toBe('slow');
  });

  it('runs onRequest hooks before answering, so data can change between two pages', async () => {
    fake = await startFreshdeskFake();
    fake.data.addTickets(4, (i) => ({ updated_at: new Date(Date.now() - 60_000 + i * 1000) }));
    const stop = fake.faults.onRequest((request) => {
      if (request.query.page === '2') fake.data.deleteTicket(1);
    });
    const url = (page: number) => `${fake.baseUrl}/api/v2/tickets?updated_since=2000-01-01T00:00:00Z&order_by=updated_at&order_type=asc&per_page=2&page=${page}`;
    expect(ids((await getJson(url(1))).body)).toEqual([1, 2]);
    // the hook deleted ticket 1 before page 2 was computed: everything slid up one slot
    expect(ids((await getJson(url(2))).body)).toEqual([4]);
    stop();
    expect(fake.requests.filter((r) => r.query.page === '2')).toHaveLength(1);
  });
});
