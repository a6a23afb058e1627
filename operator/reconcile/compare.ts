// Does a live object already hold everything we would apply? A pure, structural "desired ⊆ live"
// test: fields the API server defaults or other managers own are ignored, so idle passes write nothing.

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const isEmpty = (v: unknown): boolean => v === undefined || (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);

/**
 * Paths (like `spec.schedule` or `spec.jobTemplate.spec.template.spec.containers[0].image`) where
 * `desired` says something `live` does not. Empty when live already matches. Arrays must match
 * element by element (same length); an empty desired object or list matches an absent one.
 */
export function differingPaths(desired: unknown, live: unknown, path = ''): string[] {
  if (isObject(desired)) {
    if (!isObject(live)) return isEmpty(desired) && live === undefined ? [] : [path || '.'];
    const out: string[] = [];
    for (const [key, value] of Object.entries(desired)) {
      if (value === undefined) continue;
      out.push(...differingPaths(value, live[key], path ? `${path}.${key}` : key));
    }
    return out;
  }
  if (Array.isArray(desired)) {
    if (desired.length === 0 && live === undefined) return [];
    if (!Array.isArray(live) || live.length !== desired.length) return [path];
    return desired.flatMap((item, i) => differingPaths(item, live[i], `${path}[${i}]`));
  }
  return desired === live ? [] : [path];
}
