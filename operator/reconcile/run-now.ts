// Run now (the Flux requestedAt pattern): a new value of the tenantsync.io/run-requested-at annotation
// starts exactly one manual Job from the CronJob's template; the handled value is echoed into status.
import type { V1Container, V1CronJob, V1Job } from '@kubernetes/client-node';
import { resyncRequestedAtAnnotation, runRequestedAtAnnotation } from '../api/tenantsync.js';
import { syncContainerName } from './desired-cronjob.js';
import { instantiateAnnotation, runRequestAnnotation, triggerLabel } from './labels.js';
import { manualJobName } from './names.js';
import type { Built } from './objects.js';

export type RunNowDecision =
  | { readonly action: 'none' }
  /** A new request that cannot run yet (e.g. its Secret is missing); it stays pending, not echoed. */
  | { readonly action: 'wait'; readonly value: string }
  | { readonly action: 'create'; readonly value: string; readonly jobName: string };

export interface RunNowInputs {
  readonly name: string;
  readonly annotations: Record<string, string> | undefined;
  readonly lastHandledRunRequest: string | undefined;
  /** False while the Job could not start (missing Secret). */
  readonly canRun: boolean;
}

/** Whether this reconcile should start a manual Job. */
export function decideRunNow(inputs: RunNowInputs): RunNowDecision {
  const value = inputs.annotations?.[runRequestedAtAnnotation];
  if (value === undefined || value === '' || value === inputs.lastHandledRunRequest) return { action: 'none' };
  if (!inputs.canRun) return { action: 'wait', value };
  return { action: 'create', value, jobName: manualJobName(inputs.name, value) };
}

/**
 * On the first pass over a TenantSync, is its run request a leftover of an earlier object (re-created from
 * Git with the annotation still set) rather than a request for this one? A value that is a time at or after
 * the object's creation (`date -u +%FT%TZ` right after `kubectl apply`) asked for this object; anything else
 * (an older time, or a value that is not a time) was already there when it was created.
 */
export function isInheritedRunRequest(value: string, createdAt: string | undefined): boolean {
  const requestedMs = Date.parse(value);
  const createdMs = createdAt === undefined ? Number.NaN : Date.parse(createdAt);
  if (Number.isNaN(requestedMs) || Number.isNaN(createdMs)) return true;
  // creationTimestamp has second precision: a request in the same second counts as after it.
  return requestedMs < Math.floor(createdMs / 1000) * 1000;
}

/** Env of the sync job (its --force): every configured stream runs now, due or not. */
export const forceEnvName = 'TENANTSYNC_FORCE';

/** The sync container with TENANTSYNC_FORCE=1: a run someone asked for syncs every stream, not only the due ones. */
function forced(container: V1Container): V1Container {
  if (container.name !== syncContainerName) return container;
  return { ...container, env: [...(container.env ?? []).filter((e) => e.name !== forceEnvName), { name: forceEnvName, value: '1' }] };
}

/**
 * The manual Job, as `kubectl create job --from=cronjob/…` makes it: the CronJob's live template,
 * owned by the CronJob (so its history limits and concurrency see it), marked as manual, and forced
 * (TENANTSYNC_FORCE=1) so every stream runs whether or not its interval has passed.
 */
export function manualJob(cronJob: V1CronJob, jobName: string, requestValue: string): Built<V1Job> {
  const template = cronJob.spec?.jobTemplate;
  const meta = cronJob.metadata;
  if (template?.spec === undefined || meta?.uid === undefined || meta.name === undefined || meta.namespace === undefined) {
    throw new Error(`CronJob ${meta?.namespace}/${meta?.name} has no job template or uid yet`);
  }
  const labels = { ...template.metadata?.labels, [triggerLabel]: 'manual' };
  const annotations = { ...template.metadata?.annotations, [instantiateAnnotation]: 'manual', [runRequestAnnotation]: requestValue };
  const podTemplate = template.spec.template;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName,
      namespace: meta.namespace,
      labels,
      annotations,
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'CronJob', name: meta.name, uid: meta.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      ...template.spec,
      // Waits for its turn like every run (run-gate.ts), also when the live template predates the gate.
      suspend: true,
      template: {
        ...podTemplate,
        metadata: {
          ...podTemplate.metadata,
          labels: { ...podTemplate.metadata?.labels, [triggerLabel]: 'manual' },
          annotations: { ...podTemplate.metadata?.annotations, [runRequestAnnotation]: requestValue },
        },
        ...(podTemplate.spec !== undefined ? { spec: { ...podTemplate.spec, containers: podTemplate.spec.containers.map(forced) } } : {}),
      },
    },
  };
}

/**
 * The run and re-sync requests a TenantSync came with (re-created from Git with the annotations still set): taken
 * as handled on the first pass, whatever else that pass finds — a Secret still missing, a child not yet collected,
 * an invalid spec — so no later pass runs or resets for them. Each: the value, when it is new and inherited.
 */
export function inheritedRequests(inputs: {
  readonly annotations: Record<string, string> | undefined;
  readonly createdAt: string | undefined;
  readonly lastHandledRunRequest: string | undefined;
  readonly lastHandledResyncRequest: string | undefined;
}): { readonly run?: string; readonly resync?: string } {
  const inherited = (value: string | undefined, handled: string | undefined) =>
    value !== undefined && value !== '' && value !== handled && isInheritedRunRequest(value, inputs.createdAt) ? value : undefined;
  const run = inherited(inputs.annotations?.[runRequestedAtAnnotation], inputs.lastHandledRunRequest);
  const resync = inherited(inputs.annotations?.[resyncRequestedAtAnnotation], inputs.lastHandledResyncRequest);
  return { ...(run === undefined ? {} : { run }), ...(resync === undefined ? {} : { resync }) };
}
