// What the informer caches keep of each object: the operator's reads only. managedFields alone are
// often half of an object; a Job's pod template is most of the rest (a cached Job shrinks from ~14 KB).
import type { KubernetesObject } from '@kubernetes/client-node';

/** kubectl apply's copy of the whole object in an annotation: never read by the operator. */
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

type Loose = KubernetesObject & { spec?: Record<string, unknown> };

/**
 * A copy of `obj` without what the operator never reads: metadata.managedFields and kubectl's
 * last-applied annotation on every kind, and a Job's spec.template (runs are read from the Job's
 * status and annotations and from its pods; manual runs are made from the CronJob's template).
 * CronJobs, ConfigMaps and TenantSyncs keep their spec/data: the operator compares and reads them.
 */
export function withoutUnreadFields<T extends KubernetesObject>(obj: T): T {
  const { managedFields: _managed, annotations, ...metadata } = obj.metadata ?? {};
  const out = { ...obj, metadata } as Loose;
  if (annotations !== undefined) {
    const { [lastAppliedAnnotation]: _lastApplied, ...kept } = annotations;
    out.metadata = { ...metadata, annotations: kept };
  }
  if (obj.kind === 'Job' && out.spec !== undefined) {
    const { template: _template, ...spec } = out.spec;
    out.spec = spec;
  }
  return out as T;
}
