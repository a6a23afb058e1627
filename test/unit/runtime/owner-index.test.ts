// OwnerIndex: an owner's children as the cache holds them now, kept from the cache's events.
import { describe, expect, it } from 'vitest';
import { OwnerIndex } from '../../../operator/runtime/owner-index.js';
import { FakeCache, FakeClient } from '../controller/fakes.js';

type Child = { kind: string; metadata: { name: string; namespace: string; annotations?: Record<string, string> } };

describe('OwnerIndex', () => {
  it('lists an owner’s children from the cache, follows adds and deletes, and ignores unowned objects', () => {
    const client = new FakeClient();
    const cache = new FakeCache<Child>(client, 'Child');
    const index = new OwnerIndex(cache, (c) => (c.metadata.annotations?.owner ? `ns/${c.metadata.annotations.owner}` : undefined));
    const child = (name: string, owner?: string): Child => ({ kind: 'Child', metadata: { name, namespace: 'ns', ...(owner ? { annotations: { owner } } : {}) } });
    for (const c of [child('a1', 'a'), child('a2', 'a'), child('b1', 'b'), child('x')]) cache.emit('ADDED', client.seed(c));
    expect(index.of('ns/a').map((c) => c.metadata.name).sort()).toEqual(['a1', 'a2']);
    expect(index.of('ns/b').map((c) => c.metadata.name)).toEqual(['b1']);
    client.remove('Child', 'ns', 'a1');
    cache.emit('DELETED', child('a1', 'a'));
    expect(index.of('ns/a').map((c) => c.metadata.name)).toEqual(['a2']);
    // What the cache holds now: a child gone from the cache before its event is not returned.
    client.remove('Child', 'ns', 'b1');
    expect(index.of('ns/b')).toEqual([]);
    expect(index.of('ns/none')).toEqual([]);
  });

  it('forgets a child the cache no longer holds, or holds under another owner, though no event said so', () => {
    const client = new FakeClient();
    const cache = new FakeCache<Child>(client, 'Child');
    const index = new OwnerIndex(cache, (c) => (c.metadata.annotations?.owner ? `ns/${c.metadata.annotations.owner}` : undefined));
    const child = (name: string, owner: string): Child => ({ kind: 'Child', metadata: { name, namespace: 'ns', annotations: { owner } } });
    cache.emit('ADDED', client.seed(child('c1', 'a')));
    // The cache is emptied without events (leadership ended) and lists again: c1 now belongs to b.
    client.remove('Child', 'ns', 'c1');
    cache.emit('ADDED', client.seed(child('c1', 'b')));
    expect(index.of('ns/a')).toEqual([]);
    expect(index.of('ns/b').map((c) => c.metadata.name)).toEqual(['c1']);
  });
});
