// The two ConfigMaps of a TenantSync: the job config (from the spec, no secrets, applied on every
// change) and the job state (created once, empty; afterwards only its cursors move, never reset).
import type { V1ConfigMap } from '@kubernetes/client-node';
import { defaultStreamNames, jobConfigSchema, type JobConfig, type JobState } from '../../sync-job/contract.js';
import { parseDurationSeconds } from '../api/duration.js';
import type { TenantSyncSpec } from '../api/tenantsync.js';
import { childMetadata, type OwnerIdentity } from './labels.js';
import { childNames } from './names.js';
import type { Built } from './objects.js';
import type { EffectiveSchedule } from './schedule.js';

export const configFileName = 'config.json';
export const stateFileName = 'state.json';
/**
 * A stream without its own interval under a cron `schedule` is due on every run the schedule starts: the
 * job contract's intervalSeconds 0. (A 60 s interval would skip a run that starts a few seconds earlier
 * in its minute than the previous one did.)
 */
export const everyRunIntervalSeconds = 0;

/** The job config of the contract (docs/sync-job.md "The job contract"): everything the job needs except secrets. */
export function jobConfig(spec: TenantSyncSpec, name: string, schedule: EffectiveSchedule): JobConfig {
  const baseIntervalSeconds = schedule.intervalSeconds ?? everyRunIntervalSeconds;
  const streams = spec.source.streams ?? defaultStreamNames.map((n) => ({ name: n, interval: undefined }));
  const source: JobConfig['source'] = {
    type: 'freshdesk',
    baseUrl: spec.source.baseUrl ?? `https://${spec.source.domain}`,
    streams: streams.map((s) => {
      const own = s.interval === undefined ? undefined : parseDurationSeconds(s.interval);
      return { name: s.name, intervalSeconds: own === undefined ? baseIntervalSeconds : Math.max(1, Math.round(own)) };
    }),
  };
  if (spec.source.rateLimitPerMinute !== undefined) source.rateLimitPerMinute = spec.source.rateLimitPerMinute;
  if (spec.source.startDate !== undefined) source.startDate = spec.source.startDate;
  if (spec.source.lookback !== undefined) source.lookbackSeconds = Math.floor(parseDurationSeconds(spec.source.lookback) ?? 0);
  if (spec.source.rateLimitSharePercent !== undefined) source.rateLimitSharePercent = spec.source.rateLimitSharePercent;
  if (spec.source.listRateLimitsPerMinute !== undefined) source.listRateLimitsPerMinute = spec.source.listRateLimitsPerMinute;
  const sink: JobConfig['sink'] = { type: spec.sink.type, url: spec.sink.url };
  if (spec.sink.batchSize !== undefined) sink.batchSize = spec.sink.batchSize;
  if (spec.sink.maxBatchBytes !== undefined) sink.maxBatchBytes = spec.sink.maxBatchBytes;
  // Parsing checks the operator against the contract the job reads; a mismatch is a bug, so it throws.
  return jobConfigSchema.parse({ tenantId: spec.tenantId ?? name, source, sink });
}

/** The config ConfigMap, applied with server-side apply on every reconcile that finds it different. */
export function desiredConfigMap(owner: OwnerIdentity, config: JobConfig): Built<V1ConfigMap> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(owner, childNames(owner.name).configMap, 'config'),
    data: { [configFileName]: `${JSON.stringify(config, null, 2)}\n` },
  };
}

export const emptyState: JobState = { version: 1, streams: {} };

/** Renders a job state as the state ConfigMap's data. */
export function stateData(state: JobState): Record<string, string> {
  return { [stateFileName]: `${JSON.stringify(state, null, 2)}\n` };
}

/**
 * The state ConfigMap as it is created when absent (empty state). It is never applied again: the
 * operator owns its data and moves cursors forward with its own writes, so re-applying the config can
 * never reset a cursor. With `retain` (spec.stateRetention: Retain) it has no owner reference, so it
 * outlives the TenantSync and a TenantSync created again with the same name adopts its cursors.
 */
export function initialStateConfigMap(owner: OwnerIdentity, retain = false, source?: string): Built<V1ConfigMap> {
  const { ownerReferences, ...metadata } = childMetadata(owner, childNames(owner.name).stateConfigMap, 'state');
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: retain ? metadata : { ...metadata, ownerReferences },
    data: stateData(source === undefined ? emptyState : { ...emptyState, source }),
  };
}
