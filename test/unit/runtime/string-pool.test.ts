// The informer caches' string pool: objects keep every value, repeated short strings are held once (the pool
// holds one entry per distinct string), long strings are left alone, and the pool stays bounded.
import { describe, expect, it } from 'vitest';
import { pooledStringMaxLength, StringPool } from '../../../operator/runtime/string-pool.js';

/** A run's pod as the watch delivers it (parsed from JSON text, so every value is its own string). */
const podText = (i: number) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `acme-${i}-29012345-abcde`,
      namespace: 'tenants',
      labels: { 'app.kubernetes.io/managed-by': 'tenant-sync', 'tenantsync.io/tenant': `acme-${i}` },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: `acme-${i}-29012345`, controller: true, blockOwnerDeletion: true }],
      creationTimestamp: '2026-12-05T18:48:24Z',
      finalizers: ['tenantsync.io/result'],
    },
    spec: { nodeName: 'node-a' },
    status: {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'sync', state: { terminated: { exitCode: 0, reason: 'Completed', message: `{"version":1,"outcome":"Succeeded","records":${i}}`, finishedAt: '2026-12-05T18:49:00Z' } }, ready: false, restartCount: 0, image: null }],
    },
  }).replace(/}$/, ',"__proto__":{"unusual":"an own key, as JSON.parse makes it"}}');

describe('StringPool', () => {
  it('keeps every value of the objects it goes through, in place, including arrays, numbers, nulls and a __proto__ key', () => {
    const pool = new StringPool();
    const pod = JSON.parse(podText(1)) as Record<string, unknown>;
    const before = structuredClone(pod);
    expect(pool.internAll(pod)).toBe(pod);
    expect(pod).toStrictEqual(before);
    expect(Object.keys(pod)).toContain('__proto__');
    expect(pool.internAll(['a', null, 3, ['a', { b: 'a' }]])).toStrictEqual(['a', null, 3, ['a', { b: 'a' }]]);
  });

  it('holds each repeated string once, however many objects carry it', () => {
    const pool = new StringPool();
    pool.internAll(JSON.parse(podText(1)));
    const afterOne = pool.size;
    for (let n = 0; n < 1_000; n++) pool.internAll(JSON.parse(podText(1)));
    expect(pool.size).toBe(afterOne);
    // Another tenant's pod adds only its own names and result, not the shared values again.
    pool.internAll(JSON.parse(podText(2)));
    expect(pool.size - afterOne).toBe(4); // its name, tenant label, owner Job's name and termination message
  });

  it(`leaves strings longer than ${pooledStringMaxLength} characters out of the pool`, () => {
    const pool = new StringPool();
    const long = 'x'.repeat(pooledStringMaxLength + 1);
    expect(pool.intern(long)).toBe(long);
    expect(pool.internAll({ data: { 'config.json': long } })).toStrictEqual({ data: { 'config.json': long } });
    expect(pool.size).toBe(0);
  });

  it('stays bounded: past its size it starts afresh, and still answers every string', () => {
    const pool = new StringPool(100);
    for (let i = 0; i < 1_000; i++) {
      expect(pool.intern(`uid-${i}`)).toBe(`uid-${i}`);
      expect(pool.size).toBeLessThanOrEqual(100);
    }
  });
});
