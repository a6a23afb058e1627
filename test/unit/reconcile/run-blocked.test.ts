// blockedRun: the active run's pod says it cannot start (image, configuration, no node) → RunBlocked, at once for
// a container, after a grace for an unschedulable pod; nothing for a pod that runs, another Job's pod, or a deleted one.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { blockedRun, unschedulableGraceSeconds } from '../../../operator/reconcile/run-blocked.js';

const now = new Date('2025-05-01T10:00:00Z');
const job: V1Job = { metadata: { name: 'acme-29100000', uid: 'job-uid' }, spec: { template: {} } };
const owner = { apiVersion: 'batch/v1', kind: 'Job', name: 'acme-29100000', uid: 'job-uid', controller: true };

function pod(status: V1Pod['status'], over: Partial<V1Pod['metadata']> = {}): V1Pod {
  return { metadata: { name: 'acme-29100000-x7k2p', ownerReferences: [owner], ...over }, spec: { containers: [] }, status };
}
const waiting = (reason: string, message?: string): V1Pod['status'] => ({
  phase: 'Pending',
  containerStatuses: [{ name: 'sync', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, ...(message ? { message } : {}) } } }],
});
const unschedulable = (sinceMs: number): V1Pod['status'] => ({
  phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.', lastTransitionTime: new Date(now.getTime() - sinceMs) }],
});

describe('blockedRun', () => {
  it('names an image that cannot be pulled, with what to check', () => {
    const { blocked } = blockedRun(job, [pod(waiting('ImagePullBackOff', 'Back-off pulling image "ghcr.io/acme/sync:nope"'))], now);
    expect(blocked).toEqual({
      jobName: 'acme-29100000',
      message: 'pod acme-29100000-x7k2p cannot pull its image (ImagePullBackOff: Back-off pulling image "ghcr.io/acme/sync:nope"); check spec.job.image, and spec.job.imagePullSecrets for a private registry',
    });
    for (const reason of ['ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']) expect(blockedRun(job, [pod(waiting(reason))], now).blocked?.message).toContain(`(${reason})`);
  });

  it('names a container that cannot be created from its configuration', () => {
    const { blocked } = blockedRun(job, [pod(waiting('CreateContainerConfigError', 'secret "fd" not found'))], now);
    expect(blocked?.message).toBe(
      'pod acme-29100000-x7k2p cannot create container sync (CreateContainerConfigError: secret "fd" not found); check the Secrets and ConfigMaps spec.job refers to (env, envFrom, volumes)',
    );
  });

  it('reports an unschedulable pod only after the grace, and says when to look again before', () => {
    const early = blockedRun(job, [pod(unschedulable(30_000))], now);
    expect(early.blocked).toBeUndefined();
    expect(early.recheckAt).toEqual(new Date(now.getTime() - 30_000 + unschedulableGraceSeconds * 1000));
    const late = blockedRun(job, [pod(unschedulable(5 * 60_000))], now);
    expect(late.blocked?.message).toBe(
      "pod acme-29100000-x7k2p has not been scheduled for 5 min (0/3 nodes are available: 3 Insufficient memory.); check spec.job.resources, nodeSelector, tolerations and affinity, or the cluster's capacity",
    );
    expect(late.recheckAt).toBeUndefined();
  });

  it('is quiet for a pod that is pulling or running, for another Job\'s pod, a deleted pod, and without an active run', () => {
    expect(blockedRun(job, [pod(waiting('ContainerCreating'))], now)).toEqual({ blocked: undefined, recheckAt: undefined });
    expect(blockedRun(job, [pod({ phase: 'Running', containerStatuses: [] })], now).blocked).toBeUndefined();
    const other = pod(waiting('ImagePullBackOff'), { ownerReferences: [{ ...owner, uid: 'other-job' }] });
    expect(blockedRun(job, [other], now).blocked).toBeUndefined();
    expect(blockedRun(job, [pod(waiting('ImagePullBackOff'), { deletionTimestamp: now })], now).blocked).toBeUndefined();
    expect(blockedRun(undefined, [pod(waiting('ImagePullBackOff'))], now).blocked).toBeUndefined();
  });
});
