// The operator's Prometheus metrics: one prom-client Registry per operator instance (no module
// globals, so tests can create several) with default process metrics and the tenantsync_* series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WriteVerb } from '../kube/client.js';

export type ReconcileResult = 'success' | 'requeue' | 'error' | 'stalled';

export interface OperatorMetrics {
  registry: Registry;
  /** Reconciles by outcome: success | requeue | error | stalled. */
  reconcileTotal: Counter<'result'>;
  reconcileErrorsTotal: Counter;
  reconcileDurationSeconds: Histogram;
  workqueueDepth: Gauge;
  /** 1 while this process holds the Lease (or leader election is off), else 0. */
  leader: Gauge;
  /** Every write request sent to the API server, by verb and resource (`tenantsyncs/status`). */
  kubeWriteRequestsTotal: Counter<'verb' | 'resource'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    reconcileTotal: new Counter({
      name: 'tenantsync_reconcile_total',
      help: 'Reconciles of TenantSync objects by result (success, requeue, error, stalled).',
      labelNames: ['result'],
      registers,
    }),
    reconcileErrorsTotal: new Counter({
      name: 'tenantsync_reconcile_errors_total',
      help: 'Reconciles that ended in an error (retried with backoff or reported as stalled).',
      registers,
    }),
    reconcileDurationSeconds: new Histogram({
      name: 'tenantsync_reconcile_duration_seconds',
      help: 'Time one reconcile took, in seconds.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    workqueueDepth: new Gauge({
      name: 'tenantsync_workqueue_depth',
      help: 'Keys waiting in the work queue (not counting delayed requeues or keys being processed).',
      registers,
    }),
    leader: new Gauge({
      name: 'tenantsync_leader',
      help: '1 while this operator instance is the leader (writes), 0 while it stands by.',
      registers,
    }),
    kubeWriteRequestsTotal: new Counter({
      name: 'tenantsync_kube_write_requests_total',
      help: 'Write requests (create, update, patch, apply, delete) the operator sent to the API server.',
      labelNames: ['verb', 'resource'],
      registers,
    }),
  };
}

/** The KubeClient `onWrite` hook that counts writes into these metrics. */
export function countKubeWrites(metrics: Pick<OperatorMetrics, 'kubeWriteRequestsTotal'>) {
  return (write: { verb: WriteVerb; resource: string }): void => {
    metrics.kubeWriteRequestsTotal.inc({ verb: write.verb, resource: write.resource });
  };
}
