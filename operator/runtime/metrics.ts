// The operator's Prometheus metrics: one prom-client Registry per operator instance (no module
// globals, so tests can create several) with default process metrics and the tenantsync_* series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestRecord, WriteVerb } from '../kube/client.js';
import { readBuildInfo, type BuildInfo } from './build-info.js';
import type { ScopeProblem } from './informer.js';

export type ReconcileResult = 'success' | 'requeue' | 'error' | 'stalled';

export interface OperatorMetrics {
  registry: Registry;
  /** Always 1; the labels say which build runs (version, Node.js version). */
  buildInfo: Gauge<'version' | 'nodejs_version'>;
  /** Reconciles by outcome: success | requeue | error | stalled. */
  reconcileTotal: Counter<'result'>;
  reconcileErrorsTotal: Counter;
  reconcileDurationSeconds: Histogram;
  workqueueDepth: Gauge;
  /** Seconds a key waited ready in the work queue before a worker took it (controller-runtime's workqueue_queue_duration_seconds). */
  workqueueQueueDurationSeconds: Histogram;
  /** Keys queued again after a failed reconcile, with backoff (controller-runtime's workqueue_retries_total). */
  workqueueRetriesTotal: Counter;
  /** 1 while this process holds the Lease (or leader election is off), else 0. */
  leader: Gauge;
  /** Every write request sent to the API server, by verb and resource (`tenantsyncs/status`). */
  kubeWriteRequestsTotal: Counter<'verb' | 'resource'>;
  /** Every request attempt (reads, watches and writes, retries included), by verb, resource and HTTP code. */
  kubeRequestsTotal: Counter<'verb' | 'resource' | 'code'>;
  /** 1 per informer and namespace whose list/watch RBAC refuses (the namespace is not served). */
  informerForbidden: Gauge<'informer' | 'namespace'>;
  /** Per tenant {namespace, tenantsync}: the series the chart's PrometheusRule alerts on. */
  tenantLastSuccessTimestampSeconds: Gauge<TenantLabel>;
  tenantIntervalSeconds: Gauge<TenantLabel>;
  tenantConsecutiveFailures: Gauge<TenantLabel>;
  tenantRunsTotal: Counter<TenantLabel | 'outcome'>;
  tenantRecordsSyncedTotal: Counter<TenantLabel>;
  /** Runs whose Job vanished before the operator read their result (issue 12 item 3). */
  tenantRunResultsLostTotal: Counter<TenantLabel>;
}

/** Per-tenant series carry the TenantSync's namespace and name (`tenantsync`, not the generic `name`). */
export type TenantLabel = 'namespace' | 'tenantsync';
const tenantLabelNames = ['namespace', 'tenantsync'] as const;

/** The labels of one tenant's series. */
export function tenantLabels(tenant: { namespace: string; name: string }): Record<TenantLabel, string> {
  return { namespace: tenant.namespace, tenantsync: tenant.name };
}

/** Run outcomes counted by tenantsync_runs_total (the sync job's run outcomes). */
export const runOutcomeLabels = ['Succeeded', 'PartiallySucceeded', 'Failed'] as const;

export function createMetrics(opts: { defaultMetrics?: boolean; build?: BuildInfo } = {}): OperatorMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const build = opts.build ?? readBuildInfo();
  const buildInfo = new Gauge({
    name: 'tenantsync_build_info',
    help: 'Always 1: the version of the operator and of Node.js it runs on, as labels.',
    labelNames: ['version', 'nodejs_version'],
    registers,
  });
  buildInfo.set({ version: build.version, nodejs_version: build.nodeVersion }, 1);
  return {
    registry,
    buildInfo,
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
    workqueueQueueDurationSeconds: new Histogram({
      name: 'tenantsync_workqueue_queue_duration_seconds',
      help: 'How long a key waited ready in the work queue before a worker took it, in seconds.',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    workqueueRetriesTotal: new Counter({
      name: 'tenantsync_workqueue_retries_total',
      help: 'Keys queued again with backoff after a failed reconcile.',
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
    kubeRequestsTotal: new Counter({
      name: 'tenantsync_kube_requests_total',
      help: 'Requests the operator sent to the API server (every attempt; reads, watches and writes), by verb, resource and HTTP status code.',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    }),
    informerForbidden: new Gauge({
      name: 'tenantsync_informer_forbidden',
      help: 'Set to 1 while RBAC refuses an informer\'s list/watch in a namespace (nothing of that kind is served there); see /readyz for the missing rule.',
      labelNames: ['informer', 'namespace'],
      registers,
    }),
    tenantLastSuccessTimestampSeconds: new Gauge({
      name: 'tenantsync_last_success_timestamp_seconds',
      help:
        'Unix time the last fully successful run of the TenantSync finished; before its first success, when the TenantSync ' +
        'was created (so a tenant that never synced turns stale too); when it was resumed or its schedule changed, if that is later ' +
        '(status.scheduleStartTime: what staleness counts from).',
      labelNames: tenantLabelNames,
      registers,
    }),
    tenantIntervalSeconds: new Gauge({
      name: 'tenantsync_interval_seconds',
      help: 'Seconds between runs of the TenantSync (for a cron schedule its longest gap between runs); absent while suspended.',
      labelNames: tenantLabelNames,
      registers,
    }),
    tenantConsecutiveFailures: new Gauge({
      name: 'tenantsync_consecutive_failures',
      help: 'Runs of the TenantSync since its last fully successful run that failed or partially failed.',
      labelNames: tenantLabelNames,
      registers,
    }),
    tenantRunsTotal: new Counter({
      name: 'tenantsync_runs_total',
      help: 'Finished runs (Jobs) of the TenantSync whose result the operator applied, by outcome (Succeeded, PartiallySucceeded, Failed).',
      labelNames: [...tenantLabelNames, 'outcome'],
      registers,
    }),
    tenantRecordsSyncedTotal: new Counter({
      name: 'tenantsync_records_synced_total',
      help: 'Records the sink acknowledged in runs of the TenantSync, as reported by the applied runs.',
      labelNames: tenantLabelNames,
      registers,
    }),
    tenantRunResultsLostTotal: new Counter({
      name: 'tenantsync_run_results_lost_total',
      help: 'Runs of the TenantSync whose Job disappeared before the operator read its result (their progress is redone by the next run).',
      labelNames: tenantLabelNames,
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
  const labels = tenantLabels(tenant);
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
  const labels = tenantLabels(tenant);
  metrics.tenantRunsTotal.inc({ ...labels, outcome });
  if (records > 0) metrics.tenantRecordsSyncedTotal.inc(labels, records);
}

/** Drops every series of a deleted tenant. */
export function removeTenantSeries(metrics: TenantMetrics, tenant: { namespace: string; name: string }): void {
  const labels = tenantLabels(tenant);
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

/** The KubeClient `onRequest` hook that counts every request attempt. */
export function countKubeRequests(metrics: Pick<OperatorMetrics, 'kubeRequestsTotal'>) {
  return (request: RequestRecord): void => {
    metrics.kubeRequestsTotal.inc({ verb: request.verb, resource: request.resource, code: request.code });
  };
}

/**
 * Drops every tenant's gauges (not the counters): called when this replica stops leading, so its
 * frozen values (a last success long ago, failures) cannot fire alerts while the new leader reports.
 */
export function dropTenantGauges(metrics: Pick<OperatorMetrics, 'tenantLastSuccessTimestampSeconds' | 'tenantIntervalSeconds' | 'tenantConsecutiveFailures'>): void {
  metrics.tenantLastSuccessTimestampSeconds.reset();
  metrics.tenantIntervalSeconds.reset();
  metrics.tenantConsecutiveFailures.reset();
}

/** The Informer `onScopeProblem` hook: tenantsync_informer_forbidden follows the namespaces RBAC refuses. */
export function setInformerProblem(metrics: Pick<OperatorMetrics, 'informerForbidden'>) {
  return (problem: ScopeProblem | undefined, where: { informer: string; namespace: string | undefined }): void => {
    metrics.informerForbidden.set({ informer: where.informer, namespace: where.namespace ?? '' }, problem ? 1 : 0);
  };
}
