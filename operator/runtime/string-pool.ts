// One copy of each repeated short string in the informer caches. JSON.parse gives every value its own string,
// so 5,000 tenants' cached objects held 70,000 copies of "tenant-sync", 40,000 of one creation timestamp and
// 10,000 of "freshdesk-credentials": a heap snapshot of a leader at 5,000 tenants found 27 of its 118 MB of
// live objects to be duplicate strings. Replacing a string by an equal one is invisible to every reader.

/** Strings longer than this are left alone: long values (config.json, results) are rarely repeated. */
export const pooledStringMaxLength = 256;

/** Past this many entries the pool starts afresh, so names of deleted objects are not held for ever. */
export const stringPoolMaxEntries = 50_000;

export class StringPool {
  private readonly table = new Map<string, string>();

  constructor(private readonly maxEntries = stringPoolMaxEntries) {}

  /** Distinct strings held now (at most maxEntries). */
  get size(): number {
    return this.table.size;
  }

  /** The pool's copy of `text` (it becomes that copy when it is new). */
  intern(text: string): string {
    if (text.length > pooledStringMaxLength) return text;
    const pooled = this.table.get(text);
    if (pooled !== undefined) return pooled;
    if (this.table.size >= this.maxEntries) this.table.clear();
    this.table.set(text, text);
    return text;
  }

  /**
   * Replaces, in place, every string value inside `value` (a JSON value: objects, arrays) by the pool's copy,
   * and returns `value`. Object keys are left as they are: JSON.parse already shares them.
   */
  internAll<T>(value: T): T {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'string') value[i] = this.intern(item);
        else if (item !== null && typeof item === 'object') this.internAll(item);
      }
    } else if (value !== null && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      for (const key of Object.keys(object)) {
        const member = object[key];
        if (typeof member === 'string') object[key] = this.intern(member);
        else if (member !== null && typeof member === 'object') this.internAll(member);
      }
    }
    return value;
  }
}
