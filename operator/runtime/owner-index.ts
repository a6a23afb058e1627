// An index over an informer cache (client-go's Indexer, one index): owner key → the cached objects it
// owns, kept up to date from the cache's events, so a reconcile finds a parent's children without a scan.
import type { ObjectCache } from './controller.js';
import { objectKey, parseObjectKey } from './work-queue.js';

type Named = { metadata?: { namespace?: string | undefined; name?: string | undefined } | undefined };

export class OwnerIndex<T extends Named> {
  /** Owner key → keys (namespace/name) of its objects in the cache. */
  private readonly byOwner = new Map<string, Set<string>>();

  constructor(
    private readonly cache: ObjectCache<T>,
    /** The owner's key of an object (the same on every event of it), or undefined for objects not indexed. */
    private readonly ownerOf: (obj: T) => string | undefined,
  ) {
    cache.on((type, obj) => {
      const owner = ownerOf(obj);
      if (owner === undefined) return;
      const key = objectKey(obj.metadata?.namespace, obj.metadata?.name ?? '');
      const owned = this.byOwner.get(owner) ?? new Set<string>();
      if (type === 'DELETED') owned.delete(key);
      else owned.add(key);
      if (owned.size > 0) this.byOwner.set(owner, owned);
      else this.byOwner.delete(owner);
    });
  }

  /**
   * The owner's objects as the cache holds them now. A key whose object the cache no longer holds, or holds
   * under another owner, is dropped (a leader-only cache is emptied without events when leadership ends, and
   * lists afresh when it leads again).
   */
  of(owner: string): T[] {
    const owned = this.byOwner.get(owner);
    if (owned === undefined) return [];
    const out: T[] = [];
    for (const key of owned) {
      const { namespace, name } = parseObjectKey(key);
      const obj = this.cache.get(namespace, name);
      if (obj === undefined || this.ownerOf(obj) !== owner) owned.delete(key);
      else out.push(obj);
    }
    if (owned.size === 0) this.byOwner.delete(owner);
    return out;
  }
}
