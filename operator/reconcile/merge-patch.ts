// JSON merge patches (RFC 7386) computed from two documents: the smallest patch that turns `from`
// into `to`, with null for removed keys. Arrays are replaced whole, as merge patch defines.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The merge patch from `from` to `to`; an empty object when they are equal. */
export function mergePatch(from: unknown, to: unknown): Record<string, Json> {
  const patch: Record<string, Json> = {};
  const a = isObject(from) ? from : {};
  const b = isObject(to) ? to : {};
  for (const key of Object.keys(a)) {
    if (a[key] !== undefined && b[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(b)) {
    if (value === undefined) continue;
    const old = a[key];
    if (isObject(value) && isObject(old)) {
      const nested = mergePatch(old, value);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    } else if (JSON.stringify(old) !== JSON.stringify(value)) {
      patch[key] = value as Json;
    }
  }
  return patch;
}
