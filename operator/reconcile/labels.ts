// Labels, annotations and the owner reference every child of a TenantSync carries: they let people
// select a tenant's objects and let the operator map a CronJob, Job or Pod back to its TenantSync.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { apiVersion, kind } from '../api/tenantsync.js';
import { nameLabelValue } from './names.js';

export const fieldManager = 'tenantsync-operator';
/** Label with the TenantSync's name (cut to 63 characters with a hash when longer). */
export const nameLabel = 'tenantsync.io/name';
/** Annotation with the TenantSync's full name: exact even when the label had to be shortened. */
export const nameAnnotation = 'tenantsync.io/name';
/** Label on Jobs and Pods: `scheduled` (CronJob template) or `manual` (run-now). */
export const triggerLabel = 'tenantsync.io/trigger';
/** Annotation on manual Jobs with the run-requested-at value that created them. */
export const runRequestAnnotation = 'tenantsync.io/run-request';
/**
 * Annotation the operator sets on a Job's pod template when it lets the Job start (run-gate.ts): the time
 * (RFC 3339) by which the run must be over. The pod reads it through the downward API (TENANTSYNC_DEADLINE)
 * and stops itself a margin before it, writing its result, instead of being deleted by the Job controller.
 */
export const deadlineAnnotation = 'tenantsync.io/deadline';
/**
 * Annotation on the CronJob and config ConfigMap: a hash of the whole object the operator last applied, so
 * a field removed from the spec (which "desired ⊆ live" cannot see) still makes it apply again.
 */
export const appliedHashAnnotation = 'tenantsync.io/applied-hash';
/**
 * Finalizer on every pod of a run (set in the Job's pod template): a pod deleted mid-run (evicted, deleted
 * by a person, or with its Job) stays until the operator has read its termination message, so what the
 * sink acknowledged is kept. The operator removes it once the result is applied, or when there is none.
 */
export const resultFinalizer = 'tenantsync.io/result';
/** What kubectl create job --from=cronjob/… sets; the CronJob controller's own Jobs never carry it. */
export const instantiateAnnotation = 'cronjob.kubernetes.io/instantiate';

export const appName = 'tenant-sync';
export const managedBy = 'tenantsync-operator';

export type Component = 'sync-job' | 'config' | 'state';

/** The identity of a TenantSync that children need. */
export interface OwnerIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
}

/**
 * Labels of a child: the recommended app.kubernetes.io set plus tenantsync.io/name for selection. Not
 * app.kubernetes.io/instance: Argo CD's label tracking reads it as "belongs to the Application of that name", and
 * with an Application named like the tenant it would take a retained state ConfigMap (which has no owner) for
 * part of the app and prune it — the tenant's cursors.
 */
export function childLabels(owner: OwnerIdentity, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': appName,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': appName,
    'app.kubernetes.io/managed-by': managedBy,
    [nameLabel]: nameLabelValue(owner.name),
  };
}

/** Controller owner reference: garbage collection deletes the child with the TenantSync, children first. */
export function ownerReference(owner: OwnerIdentity): V1OwnerReference {
  return { apiVersion, kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true };
}

/** Metadata of a child object: its name, the owner's namespace, labels, the name annotation and the owner reference. */
export function childMetadata(owner: OwnerIdentity, name: string, component: Component): V1ObjectMeta & { name: string; namespace: string } {
  return {
    name,
    namespace: owner.namespace,
    labels: childLabels(owner, component),
    annotations: { [nameAnnotation]: owner.name },
    ownerReferences: [ownerReference(owner)],
  };
}

/** The controller owner reference of an object, if any. */
export function controllerOf<R extends Pick<V1OwnerReference, 'controller'>>(meta: { ownerReferences?: R[] | undefined } | undefined): R | undefined {
  return meta?.ownerReferences?.find((r) => r.controller === true);
}
