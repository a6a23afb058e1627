// What the informer caches keep of each object: the operator's reads only. managedFields alone are
// often half of an object; a Job's pod template is most of the rest (a cached Job shrinks from ~14 KB).
import type { KubernetesObject } from '@kubernetes/client-node';

/** kubectl apply's copy of the whole object in an annotation: never read by the operator. */
export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

type Loose = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

interface PodStatusLike {
  phase?: unknown;
  conditions?: { type?: unknown }[];
  containerStatuses?: { name?: unknown; state?: { terminated?: unknown; waiting?: unknown } }[];
}

/**
 * A copy of `obj` without what the operator never reads: metadata.managedFields and kubectl's
 * last-applied annotation on every kind, and a Job's spec.template (runs are read from the Job's
 * status and annotations and from its pods; manual runs are made from the CronJob's template).
 * CronJobs, ConfigMaps and TenantSyncs keep their spec/data: the operator compares and reads them.
 * A run's Pod keeps only what its result needs: spec.nodeName, status.phase and each container's
 * terminated (or waiting) state — the termination message is in there — and its PodScheduled condition
 * (with the waiting state, it tells a run that cannot start).
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
  if (obj.kind === 'Pod') {
    const status = (out.status ?? {}) as PodStatusLike;
    const nodeName = out.spec?.nodeName;
    out.spec = nodeName === undefined ? {} : { nodeName };
    const scheduled = (status.conditions ?? []).filter((c) => c.type === 'PodScheduled');
    out.status = {
      ...(status.phase !== undefined ? { phase: status.phase } : {}),
      ...(scheduled.length > 0 ? { conditions: scheduled } : {}),
      containerStatuses: (status.containerStatuses ?? []).map((c) => ({
        name: c.name,
        state: {
          ...(c.state?.terminated !== undefined ? { terminated: c.state.terminated } : {}),
          ...(c.state?.waiting !== undefined ? { waiting: c.state.waiting } : {}),
        },
      })),
    };
  }
  return out as T;
}
