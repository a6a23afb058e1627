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
 * CronJob's template puts on every Job (scheduled, run-now and `kubectl create job --from`).
 */
export function ownerKeyOfJob(job: V1Job): string | undefined {
  const name = job.metadata?.annotations?.[nameAnnotation];
  return name ? objectKey(job.metadata?.namespace, name) : undefined;
}
