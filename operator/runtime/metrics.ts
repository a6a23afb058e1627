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
  /** Per tenant {namespace, name}: the series the chart's PrometheusRule alerts on. */
  tenantLastSuccessTimestampSeconds: Gauge<TenantLabel>;
  tenantIntervalSeconds: Gauge<TenantLabel>;
  tenantConsecutiveFailures: Gauge<TenantLabel>;
  tenantRunsTotal: Counter<TenantLabel | 'outcome'>;
  tenantRecordsSyncedTotal: Counter<TenantLabel>;
}

export type TenantLabel = 'namespace' | 'name';
/** Run outcomes counted by tenantsync_runs_total (the sync job's run outcomes). */
export const runOutcomeLabels = ['Succeeded', 'PartiallySucceeded', 'Failed'] as const;

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
    tenantLastSuccessTimestampSeconds: new Gauge({
      name: 'tenantsync_last_success_timestamp_seconds',
      help:
        'Unix time the last fully successful run of the TenantSync finished; before its first success, when the TenantSync ' +
        'was created (so a tenant that never synced turns stale too).',
      labelNames: ['namespace', 'name'],
      registers,
    }),
    tenantIntervalSeconds: new Gauge({
      name: 'tenantsync_interval_seconds',
      help: 'Seconds between runs of the TenantSync (for a cron schedule its longest gap between runs); absent while suspended.',
      labelNames: ['namespace', 'name'],
      registers,
    }),
    tenantConsecutiveFailures: new Gauge({
      name: 'tenantsync_consecutive_failures',
      help: 'Runs of the TenantSync since its last fully successful run that failed or partially failed.',
      labelNames: ['namespace', 'name'],
      registers,
    }),
    tenantRunsTotal: new Counter({
      name: 'tenantsync_runs_total',
      help: 'Finished runs (Jobs) of the TenantSync whose result the operator applied, by outcome (Succeeded, PartiallySucceeded, Failed).',
      labelNames: ['namespace', 'name', 'outcome'],
      registers,
    }),
    tenantRecordsSyncedTotal: new Counter({
      name: 'tenantsync_records_synced_total',
      help: 'Records the sink acknowledged in runs of the TenantSync, as reported by the applied runs.',
      labelNames: ['namespace', 'name'],
      registers,
    }),
  };
}

type TenantMetrics = Pick<
  OperatorMetrics,
  'tenantLastSuccessTimestampSeconds' | 'tenantIntervalSeconds' | 'tenantConsecutiveFailures' | 'tenantRunsTotal' | 'tenantRecordsSyncedTotal'
>;

export interface TenantGauges {
  /** Unix seconds of the last success (or creation). */
  readonly lastSuccessSeconds: number | undefined;
  /** Undefined while suspended or when the schedule has no period: the series is removed. */
  readonly intervalSeconds: number | undefined;
  readonly consecutiveFailures: number;
}

/** Sets a tenant's gauges from its status (level-based: the same on every pass and after a restart). */
export function setTenantGauges(metrics: TenantMetrics, tenant: { namespace: string; name: string }, gauges: TenantGauges): void {
  const labels = { namespace: tenant.namespace, name: tenant.name };
  if (gauges.lastSuccessSeconds === undefined) metrics.tenantLastSuccessTimestampSeconds.remove(labels);
  else metrics.tenantLastSuccessTimestampSeconds.set(labels, gauges.lastSuccessSeconds);
  if (gauges.intervalSeconds === undefined) metrics.tenantIntervalSeconds.remove(labels);
  else metrics.tenantIntervalSeconds.set(labels, gauges.intervalSeconds);
  metrics.tenantConsecutiveFailures.set(labels, gauges.consecutiveFailures);
  // Counters start at 0 so increase() sees a tenant's first failure.
  for (const outcome of runOutcomeLabels) metrics.tenantRunsTotal.inc({ ...labels, outcome }, 0);
  metrics.tenantRecordsSyncedTotal.inc(labels, 0);
}

/** Counts one applied run (called once per Job: the Job's applied mark keeps it from being counted again). */
export function countTenantRun(metrics: TenantMetrics, tenant: { namespace: string; name: string }, outcome: string, records: number): void {
  const labels = { namespace: tenant.namespace, name: tenant.name };
  metrics.tenantRunsTotal.inc({ ...labels, outcome });
  if (records > 0) metrics.tenantRecordsSyncedTotal.inc(labels, records);
}

/** Drops every series of a deleted tenant. */
export function removeTenantSeries(metrics: TenantMetrics, tenant: { namespace: string; name: string }): void {
  const labels = { namespace: tenant.namespace, name: tenant.name };
  metrics.tenantLastSuccessTimestampSeconds.remove(labels);
  metrics.tenantIntervalSeconds.remove(labels);
  metrics.tenantConsecutiveFailures.remove(labels);
  metrics.tenantRecordsSyncedTotal.remove(labels);
  for (const outcome of runOutcomeLabels) metrics.tenantRunsTotal.remove({ ...labels, outcome });
}

/** The KubeClient `onWrite` hook that counts writes into these metrics. */
export function countKubeWrites(metrics: Pick<OperatorMetrics, 'kubeWriteRequestsTotal'>) {
  return (write: { verb: WriteVerb; resource: string }): void => {
    metrics.kubeWriteRequestsTotal.inc({ verb: write.verb, resource: write.resource });
  };
}
