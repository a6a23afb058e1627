// The bench's reads of an operator's /metrics, and what it adds up from them. A read that fails (a connection reset by a replica busy
// taking over, say) is tried again, up to 5 times a second apart, instead of ending the whole benchmark.
import type { OperatorProcess } from '../../test/support/operator-process.js';

export async function scrape(operator: OperatorProcess, attempts = 5): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operator.metrics();
    } catch (error) {
      if (attempt >= attempts) throw new Error(`/metrics of operator pid ${operator.pid} failed ${attempts} times: ${String(error)}`, { cause: error });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** tenantsync_kube_requests_total summed by verb and resource (every status code). */
export function requestsByVerb(metrics: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics.matchAll(/^tenantsync_kube_requests_total\{([^}]*)\}\s+(\S+)/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const key = `${labels.verb} ${labels.resource}`;
    out[key] = (out[key] ?? 0) + Number(m[2]);
  }
  return out;
}

/** The requests by verb and resource sent since `before` (an earlier `requestsByVerb`), those that grew only. */
export function requestsSince(before: Record<string, number>, metrics: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(requestsByVerb(metrics))
      .map(([k, n]) => [k, n - (before[k] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}
