// The sink receiver over real HTTP: accepted batches and records, idempotent replays, every protocol
// check (auth, content type, key, body shape, key reuse), injected failures and down/up.

import { afterEach, describe, expect, it } from 'vitest';
import { startSinkReceiver, type SinkReceiver } from './index.js';

let sink: SinkReceiver;
afterEach(async () => {
  await sink.close();
});

function batch(batchId: string, records: { id: string; updatedAt: string; op?: 'upsert' | 'delete' }[], stream = 'tickets') {
  return {
    tenantId: 'acme',
    stream,
    batchId,
    records: records.map((r) => ({ id: r.id, op: r.op ?? 'upsert', updatedAt: r.updatedAt, data: r.op === 'delete' ? null : { id: r.id } })),
  };
}

async function post(body: unknown, headers: Record<string, string> = {}, key?: string, signal?: AbortSignal): Promise<Response> {
  const idempotencyKey = key ?? (body as { batchId?: string }).batchId;
  return fetch(sink.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

describe('sink receiver', () => {
  it('accepts batches, acknowledges a replay without a second delivery, and lists unique records', async () => {
    sink = await startSinkReceiver({ token: 'tok' });
    const auth = { authorization: 'Bearer tok' };
    const b1 = batch('b1', [
      { id: '1', updatedAt: '2024-05-01T10:00:00Z' },
      { id: '2', updatedAt: '2024-05-01T10:00:00Z' },
    ]);
    expect((await post(b1, auth)).status).toBe(200);
    const replay = await post(b1, auth);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ status: 'duplicate' });
    expect((await post(batch('b2', [{ id: '2', updatedAt: '2024-05-01T10:00:00Z' }, { id: '1', updatedAt: '2024-05-01T11:00:00Z', op: 'delete' }]), auth)).status).toBe(200);
    expect((await post(batch('b3', [{ id: '9', updatedAt: '2024-05-01T10:00:00Z' }], 'contacts'), auth)).status).toBe(200);

    expect(sink.deliveries.map((d) => d.idempotencyKey)).toEqual(['b1', 'b2', 'b3']);
    expect(sink.attempts.map((a) => a.outcome)).toEqual(['accepted', 'duplicate', 'accepted', 'accepted']);
    expect(sink.records('acme', 'tickets').map((r) => `${r.id}@${r.updatedAt}/${r.op}`)).toEqual([
      '1@2024-05-01T10:00:00Z/upsert',
      '2@2024-05-01T10:00:00Z/upsert',
      '1@2024-05-01T11:00:00Z/delete',
    ]);
    expect(sink.records().length).toBe(4);
    expect(sink.latest('acme', 'tickets').get('tickets/1')?.op).toBe('delete');
    expect(sink.idempotencyViolations).toEqual([]);
  });

  it('rejects and reports each breach of the protocol', async () => {
    sink = await startSinkReceiver({ token: 'tok' });
    const auth = { authorization: 'Bearer tok' };
    const good = batch('k1', [{ id: '1', updatedAt: '2024-05-01T10:00:00Z' }]);
    expect((await post(good, {})).status).toBe(401);
    expect((await post(good, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post(good, { ...auth, 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({ ...good, batchId: '' }, auth, '')).status).toBe(400);
    expect((await post('{not json', auth, 'k9')).status).toBe(400);
    const badShape = await post({ ...good, records: [{ id: '1', op: 'merge', updatedAt: 'yesterday', data: {} }] }, auth);
    expect(badShape.status).toBe(400);
    const message = ((await badShape.json()) as { message: string }).message;
    expect(message).toContain('records[0].op');
    expect(message).toContain('records[0].updatedAt');
    expect((await post({ ...good, extra: true }, auth)).status).toBe(400);
    expect((await post(good, auth, 'other-key')).status).toBe(400);
    expect((await post(good, auth)).status).toBe(200);
    const reused = await post({ ...good, records: [{ ...good.records[0], data: { changed: true } }] }, auth);
    expect(reused.status).toBe(422);

    expect(sink.idempotencyViolations).toHaveLength(9);
    expect(sink.idempotencyViolations.join('\n')).toMatch(/bad auth[\s\S]*content-type[\s\S]*Idempotency-Key[\s\S]*reused/);
    expect(sink.deliveries).toHaveLength(1);
  });

  it('flags the same records arriving under two different keys', async () => {
    sink = await startSinkReceiver();
    await post(batch('a', [{ id: '1', updatedAt: '2024-05-01T10:00:00Z' }]));
    await post(batch('b', [{ id: '1', updatedAt: '2024-05-01T10:00:00Z' }]));
    expect(sink.idempotencyViolations).toEqual([expect.stringContaining('under two keys')]);
  });

  it('fails on demand with Retry-After, then recovers; down() refuses connections until up()', async () => {
    sink = await startSinkReceiver();
    sink.failNext(2, 503, 1);
    const b = batch('x', [{ id: '1', updatedAt: '2024-05-01T10:00:00Z' }]);
    const failed = await post(b);
    expect([failed.status, failed.headers.get('retry-after')]).toEqual([503, '1']);
    expect((await post(b)).status).toBe(503);
    expect((await post(b)).status).toBe(200);
    sink.failAlways(500);
    expect((await post(batch('y', [{ id: '2', updatedAt: '2024-05-01T10:00:00Z' }]))).status).toBe(500);
    sink.recover();
    expect((await post(batch('y', [{ id: '2', updatedAt: '2024-05-01T10:00:00Z' }]))).status).toBe(200);
    expect(sink.attempts.filter((a) => a.outcome === 'injected-failure')).toHaveLength(3);

    await sink.down();
    await expect(post(b)).rejects.toThrow();
    await sink.up();
    expect((await post(b)).status).toBe(200);
    expect(sink.deliveries.map((d) => d.idempotencyKey)).toEqual(['x', 'y']);
  });

  it('slowAcks: stores the batch at once but answers late; a client that gave up finds it acknowledged on retry', async () => {
    sink = await startSinkReceiver();
    let held = 0;
    sink.slowAcks(1, 500, () => held++);
    const b = batch('slow', [{ id: '1', updatedAt: '2024-05-01T10:00:00Z' }]);
    await expect(post(b, { 'x-test': 'gives up' }, undefined, AbortSignal.timeout(100))).rejects.toThrow();
    expect(held).toBe(1);
    expect(sink.deliveries.map((d) => d.idempotencyKey)).toEqual(['slow']);
    const retry = await post(b);
    expect([retry.status, ((await retry.json()) as { status: string }).status]).toEqual([200, 'duplicate']);
  });

  it('understands snapshots: only a complete one replaces the set, an empty batch only as its marker, a gap is flagged', async () => {
    sink = await startSinkReceiver();
    const at = '2024-05-01T10:00:00Z';
    const snap = (id: string, sequence: number, complete: boolean, ids: string[]) => ({ ...batch(`${id}-${sequence}`, ids.map((r) => ({ id: r, updatedAt: at })), 'agents'), snapshot: { id, sequence, complete } });
    expect((await post(snap('s1', 0, false, ['1', '2', '3']))).status).toBe(200);
    expect((await post(snap('s1', 1, true, []))).status).toBe(200);
    expect([...sink.current('acme', 'agents').keys()]).toEqual(['1', '2', '3']);
    // A second snapshot without agent 2 replaces the set only once complete.
    expect((await post(snap('s2', 0, false, ['1', '3']))).status).toBe(200);
    expect([...sink.current('acme', 'agents').keys()]).toEqual(['1', '2', '3']);
    expect((await post(snap('s2', 1, true, []))).status).toBe(200);
    expect([...sink.current('acme', 'agents').keys()]).toEqual(['1', '3']);
    expect(sink.completedSnapshots('acme', 'agents')).toEqual(['s1', 's2']);
    expect(sink.idempotencyViolations).toEqual([]);
    // An empty batch that is not a completion marker is refused; a marker after a missing batch is flagged.
    expect((await post(snap('s3', 0, false, []))).status).toBe(400);
    expect((await post(snap('s4', 1, true, []))).status).toBe(200);
    expect(sink.idempotencyViolations.some((line) => line.includes('snapshot s4 of agents completed at sequence 1 without batches 0'))).toBe(true);
  });
});
