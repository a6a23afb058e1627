// Which TenantSync an event on a child concerns: owned CronJobs, the Jobs they start and the run pods map
// back to their TenantSync, so a deleted or hand-edited child reconciles its owner at once.
import type { V1ConfigMap, V1CronJob, V1Job, V1Pod } from '@kubernetes/client-node';
import { group, kind } from '../api/tenantsync.js';
import { hasResultFinalizer } from '../reconcile/kept-pod-results.js';
import { controllerOf, nameAnnotation } from '../reconcile/labels.js';
import type { Controller, ObjectCache } from '../runtime/controller.js';
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

/** The queue key of the TenantSync a run pod belongs to (the tenantsync.io/name annotation of its Job's template). */
export function ownerKeyOfPod(pod: V1Pod): string | undefined {
  const name = pod.metadata?.annotations?.[nameAnnotation];
  return name ? objectKey(pod.metadata?.namespace, name) : undefined;
}

/** The informer caches of the TenantSync controller. */
export interface TenantSyncCaches {
  tenantSyncs: ObjectCache<unknown>;
  cronJobs: ObjectCache<V1CronJob>;
  /** Jobs of managed CronJobs; events on them reconcile the owner (run results). */
  jobs?: ObjectCache<V1Job> | undefined;
  /** The operator's ConfigMaps (config and state), so a steady-state pass reads them without a request. */
  configMaps?: ObjectCache<V1ConfigMap> | undefined;
  /** Pods of runs (stripped to their results): their result finalizer is removed once the result is applied. */
  pods?: ObjectCache<V1Pod> | undefined;
}

/**
 * What the TenantSync controller watches (controller-runtime's For/Owns/Watches): every TenantSync event
 * enqueues it; CronJob, Job and run-pod events enqueue their TenantSync (level-based: only keys travel).
 * The ConfigMaps are only read, but work starts once their cache has synced too.
 */
export function watchTenantSyncs(controller: Controller, caches: TenantSyncCaches): Controller {
  const cronJobOf = (namespace: string, name: string) => caches.cronJobs.get(namespace, name);
  controller.for(caches.tenantSyncs).watches(caches.cronJobs, (_type, cronJob) => ownerKeyOfCronJob(cronJob));
  if (caches.jobs) controller.watches(caches.jobs, (_type, job) => ownerKeyOfJob(job, cronJobOf));
  if (caches.configMaps) controller.reads(caches.configMaps);
  // Only a pod whose result may wait for us matters (a finished or deleted one still carrying the finalizer).
  if (caches.pods) controller.watches(caches.pods, (type, pod) => (type !== 'DELETED' && hasResultFinalizer(pod) ? ownerKeyOfPod(pod) : undefined));
  return controller;
}
