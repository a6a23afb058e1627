// Failover: SIGKILL the leading replica and measure, on the other one, the time until it leads and has
// reconciled every tenant (its work queue drained after taking over), and the API request rate it caused.
import { sumMetric, type OperatorProcess } from '../../test/support/operator-process.js';
import { requestsByVerb, requestsSince, scrape } from './scrape.js';

export interface FailoverMeasured {
  /** From the SIGKILL until the standby's tenantsync_leader gauge is 1. */
  leadingAfterMs: number;
  /** From the SIGKILL until it has reconciled every tenant (reconciles ≥ tenants and an empty queue). */
  reconciledAfterMs: number;
  /** Its requests (Lease included) from taking over until done, and their mean rate. */
  requests: number;
  requestsPerSecond: number;
  /** The highest count of requests sent in one second while it caught up. */
  peakPerSecond: number;
  /** Those requests by "verb resource" (e.g. "get secrets"). */
  byVerb: Record<string, number>;
  /** A spec change made 2 s after it leads (while it works through every tenant): ms until Ready at its generation. */
  changeReadyMs?: number;
}

/** How long after the standby leads the bench changes one tenant's spec (the backlog of every tenant is queued by then). */
const changeAfterLeadMs = 2_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function leaderOf(replicas: OperatorProcess[]): Promise<OperatorProcess | undefined> {
  for (const r of replicas) if (sumMetric(await r.metrics().catch(() => ''), 'tenantsync_leader') === 1) return r;
  return undefined;
}

/** `change` makes one spec change and resolves with the ms until that tenant was Ready at its new generation. */
export async function killLeader(leader: OperatorProcess, standby: OperatorProcess, tenants: number, timeoutMs = 1_800_000, change?: () => Promise<number>): Promise<FailoverMeasured> {
  const reconciles = (m: string) => sumMetric(m, 'tenantsync_reconcile_total');
  const requests = (m: string) => sumMetric(m, 'tenantsync_kube_requests_total');
  const startReconciles = reconciles(await scrape(standby));
  const start = performance.now();
  await leader.kill('SIGKILL');
  let leadingAt: number | undefined;
  let requestsAtLead = 0;
  let verbsAtLead: Record<string, number> = {};
  let last = { at: start, requests: requests(await scrape(standby)) };
  let peakPerSecond = 0;
  let changed: Promise<number> | undefined;
  while (performance.now() - start < timeoutMs) {
    await sleep(1000); // /metrics of 5,000 tenants is megabytes: polled faster, the bench would load the replica it measures
    const m = await scrape(standby);
    const now = performance.now();
    const sent = requests(m);
    if (leadingAt !== undefined && now - last.at >= 1000) {
      peakPerSecond = Math.max(peakPerSecond, ((sent - last.requests) * 1000) / (now - last.at));
      last = { at: now, requests: sent };
    }
    if (leadingAt === undefined && sumMetric(m, 'tenantsync_leader') === 1) {
      leadingAt = now;
      requestsAtLead = sent;
      verbsAtLead = requestsByVerb(m);
      last = { at: now, requests: sent };
      if (change) {
        changed = sleep(changeAfterLeadMs).then(change);
        changed.catch(() => undefined); // awaited (and thrown) once the standby has caught up
      }
    }
    if (leadingAt !== undefined && reconciles(m) - startReconciles >= tenants && sumMetric(m, 'tenantsync_workqueue_depth') === 0) {
      const caughtUpS = Math.max((now - leadingAt) / 1000, 0.001);
      const byVerb = requestsSince(verbsAtLead, m);
      const changeReadyMs = await changed;
      return { leadingAfterMs: leadingAt - start, reconciledAfterMs: now - start, requests: sent - requestsAtLead, requestsPerSecond: (sent - requestsAtLead) / caughtUpS, peakPerSecond, byVerb, ...(changeReadyMs !== undefined ? { changeReadyMs } : {}) };
    }
  }
  throw new Error(`failover: the standby had not reconciled all ${tenants} tenants ${timeoutMs / 1000} s after the leader was killed`);
}
