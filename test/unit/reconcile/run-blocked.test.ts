// blockedRun: the active run's pod says it cannot start (image, configuration, no node) → RunBlocked, at once for a
// reason the kubelet's retries cannot get past, after a grace for one they may (a registry blip) and for an
// unschedulable pod; nothing for a pod that runs, another Job's pod, or a deleted one. runNeverRan: a deleted Job
// whose container never ran lost no result.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { blockedRun, retriedErrorGraceSeconds, runNeverRan, unschedulableGraceSeconds } from '../../../operator/reconcile/run-blocked.js';

const now = new Date('2025-05-01T10:00:00Z');
const job: V1Job = { metadata: { name: 'acme-29100000', uid: 'job-uid' }, spec: { template: {} }, status: { active: 1 } };
const owner = { apiVersion: 'batch/v1', kind: 'Job', name: 'acme-29100000', uid: 'job-uid', controller: true };
const ago = (ms: number) => new Date(now.getTime() - ms);

function pod(status: V1Pod['status'], over: Partial<V1Pod['metadata']> = {}): V1Pod {
  return { metadata: { name: 'acme-29100000-x7k2p', ownerReferences: [owner], creationTimestamp: ago(10 * 60_000), ...over }, spec: { containers: [] }, status };
}
/** A pod on its node since `scheduledAgoMs`, its container waiting with `reason`. */
const waiting = (reason: string, message?: string, scheduledAgoMs = 10 * 60_000): V1Pod['status'] => ({
  phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: ago(scheduledAgoMs) }],
  containerStatuses: [{ name: 'sync', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, ...(message ? { message } : {}) } } }],
});
const unschedulable = (sinceMs: number): V1Pod['status'] => ({
  phase: 'Pending',
  conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.', lastTransitionTime: ago(sinceMs) }],
});
const laterRuns = 'a fix to spec.job reaches the next runs, not this one';

describe('blockedRun', () => {
  it('names an image that cannot be pulled, where it comes from, and that a fix reaches the next runs', () => {
    const { blocked } = blockedRun(job, [pod(waiting('ImagePullBackOff', 'Back-off pulling image "ghcr.io/acme/sync:nope"'))], now);
    expect(blocked).toEqual({
      jobName: 'acme-29100000',
      message: `pod acme-29100000-x7k2p cannot pull its image (ImagePullBackOff: Back-off pulling image "ghcr.io/acme/sync:nope"); check spec.job.image (default: the operator's --sync-image) and, for a private registry, spec.job.imagePullSecrets; ${laterRuns}`,
    });
    for (const reason of ['ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']) expect(blockedRun(job, [pod(waiting(reason))], now).blocked?.message).toContain(`(${reason})`);
  });

  it('names a container that cannot be created from its configuration', () => {
    const { blocked } = blockedRun(job, [pod(waiting('CreateContainerConfigError', 'secret "fd" not found'))], now);
    expect(blocked?.message).toBe(`pod acme-29100000-x7k2p cannot create its container (CreateContainerConfigError: secret "fd" not found); check the Secrets and ConfigMaps spec.job refers to (env, envFrom, volumes); ${laterRuns}`);
  });

  it('waits out a grace for errors the kubelet may get past (a registry blip), counted from when the pod reached its node', () => {
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'CreateContainerError']) {
      const early = blockedRun(job, [pod(waiting(reason, 'timeout', 20_000))], now);
      expect(early, reason).toEqual({ blocked: undefined, recheckAt: new Date(now.getTime() - 20_000 + retriedErrorGraceSeconds * 1000) });
      expect(blockedRun(job, [pod(waiting(reason, 'timeout', (retriedErrorGraceSeconds + 1) * 1000))], now).blocked, reason).toBeDefined();
    }
    // What retries cannot fix is reported at once.
    for (const reason of ['InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError']) expect(blockedRun(job, [pod(waiting(reason, 'x', 1_000))], now).blocked, reason).toBeDefined();
  });

  it('reports an unschedulable pod only after the grace, with the time it has waited since (a message that does not age)', () => {
    const early = blockedRun(job, [pod(unschedulable(30_000))], now);
    expect(early).toEqual({ blocked: undefined, recheckAt: new Date(now.getTime() - 30_000 + unschedulableGraceSeconds * 1000) });
    const late = blockedRun(job, [pod(unschedulable(5 * 60_000))], now);
    expect(late.blocked?.message).toBe(
      "pod acme-29100000-x7k2p has not been scheduled since 2025-05-01T09:55:00Z (0/3 nodes are available: 3 Insufficient memory.); check spec.job.resources, nodeSelector, tolerations and affinity, or the cluster's capacity",
    );
    expect(blockedRun(job, [pod(unschedulable(6 * 60_000))], new Date(now.getTime() + 60_000)).blocked?.message).toBe(late.blocked?.message?.replace('09:55', '09:54'));
  });

  it("is quiet for a pod that is being created or runs, another Job's pod, a deleted pod, and without an active run", () => {
    expect(blockedRun(job, [pod(waiting('ContainerCreating'))], now)).toEqual({ blocked: undefined, recheckAt: undefined });
    expect(blockedRun(job, [pod({ phase: 'Running', containerStatuses: [] })], now).blocked).toBeUndefined();
    const other = pod(waiting('ImagePullBackOff'), { ownerReferences: [{ ...owner, uid: 'other-job' }] });
    expect(blockedRun(job, [other], now).blocked).toBeUndefined();
    expect(blockedRun(job, [pod(waiting('ImagePullBackOff'), { deletionTimestamp: now })], now).blocked).toBeUndefined();
    expect(blockedRun(undefined, [pod(waiting('ImagePullBackOff'))], now).blocked).toBeUndefined();
  });
});

describe('runNeverRan', () => {
  const running: V1Pod['status'] = { phase: 'Running', containerStatuses: [{ name: 'sync', image: 'x', imageID: '', ready: true, restartCount: 0, state: {} }] };
  it('is true while every pod of the Job still waits, or it has none', () => {
    expect(runNeverRan(job, [pod(waiting('ImagePullBackOff'))])).toBe(true);
    expect(runNeverRan(job, [pod(unschedulable(60_000))])).toBe(true);
    expect(runNeverRan(job, [])).toBe(true);
  });
  it('is false once a container ran, the Job counts a ready, succeeded or failed pod, or it finished', () => {
    expect(runNeverRan(job, [pod(running)])).toBe(false);
    expect(runNeverRan(job, [pod(waiting('ImagePullBackOff')), pod({ phase: 'Failed', containerStatuses: [{ name: 'sync', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1 } } }] }, { name: 'p2' })])).toBe(false);
    for (const status of [{ ready: 1 }, { succeeded: 1 }, { failed: 1 }, { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] }]) {
      expect(runNeverRan({ ...job, status } as V1Job, [pod(waiting('ImagePullBackOff'))]), JSON.stringify(status)).toBe(false);
    }
  });
});
