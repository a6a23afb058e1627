// Which TenantSync an event on a child concerns: owned CronJobs and the Jobs they start map back to
// their TenantSync, so a deleted or hand-edited child reconciles its owner at once.
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import { group, kind } from '../api/tenantsync.js';
import { controllerOf, nameAnnotation } from '../reconcile/labels.js';
import { objectKey } from '../runtime/work-queue.js';

/** Label selector of every child the operator creates (CronJobs, Jobs and their Pods). */
export const managedChildSelector = 'app.kubernetes.io/managed-by=tenantsync-operator';

/** The queue key of the TenantSync that controls a CronJob. */
export function ownerKeyOfCronJob(cronJob: V1CronJob): string | undefined {
  const ref = controllerOf(cronJob.metadata);
  if (ref?.kind === kind && ref.apiVersion.startsWith(`${group}/`)) return objectKey(cronJob.metadata?.namespace, ref.name);
  return undefined;
}

/**
 * The queue key of the TenantSync a Job ran for: from the tenantsync.io/name annotation that the
 * CronJob's template puts on every Job (scheduled, run-now and `kubectl create job --from`), else
 * through the CronJob that controls the Job (when `cronJobOf` can look it up).
 */
export function ownerKeyOfJob(job: V1Job, cronJobOf?: (namespace: string, name: string) => V1CronJob | undefined): string | undefined {
  const name = job.metadata?.annotations?.[nameAnnotation];
  if (name) return objectKey(job.metadata?.namespace, name);
  const ref = controllerOf(job.metadata);
  if (ref?.kind !== 'CronJob' || cronJobOf === undefined) return undefined;
  const cronJob = cronJobOf(job.metadata?.namespace ?? '', ref.name);
  return cronJob === undefined ? undefined : ownerKeyOfCronJob(cronJob);
}

/**
 * True when the Job is a run of the TenantSync `name`: controlled by its CronJob (the CronJob
 * controller's Jobs, run-now Jobs and `kubectl create job --from` all are). A Job someone made by hand
 * with a copied annotation but no such owner is not a run and never touches cursors.
 */
export function isJobOf(job: V1Job, name: string, cronJobName: string): boolean {
  const ref = controllerOf(job.metadata);
  const annotated = job.metadata?.annotations?.[nameAnnotation];
  return ref?.kind === 'CronJob' && ref.name === cronJobName && (annotated === undefined || annotated === name);
}
