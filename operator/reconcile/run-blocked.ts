// Why the active run cannot start, as Kubernetes tells it on the run's pod: a container waiting for its image or
// for the Secrets/ConfigMaps it refers to, or a pod no node takes. Shown at once in SyncHealthy and Ready
// (RunBlocked), so a wrong image is named while it happens, not when the run's deadline fails it an hour later.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { jobRefOf } from './kept-pod-results.js';
import { imagePullReasons, toTime } from './run-result.js';

export interface BlockedRun {
  readonly jobName: string;
  /** What blocks it and what to check, in words. */
  readonly message: string;
}

/** A pod unschedulable this long is reported (a cluster autoscaler usually adds a node within it). */
export const unschedulableGraceSeconds = 120;

/** Container reasons meaning the container cannot be created from its configuration (a missing Secret or key, …). */
const configReasons: ReadonlySet<string> = new Set(['CreateContainerConfigError', 'CreateContainerError']);

export interface BlockedRunCheck {
  readonly blocked: BlockedRun | undefined;
  /** When an unschedulable pod's grace ends, if it has not: the controller looks again then. */
  readonly recheckAt: Date | undefined;
}

/** The active run's pods (by the Job's uid), as cached; a run blocked when one of them says it cannot start. */
export function blockedRun(active: V1Job | undefined, pods: readonly V1Pod[], now: Date): BlockedRunCheck {
  const uid = active?.metadata?.uid;
  const jobName = active?.metadata?.name ?? '';
  if (uid === undefined) return { blocked: undefined, recheckAt: undefined };
  let recheckAt: Date | undefined;
  for (const pod of pods) {
    if (jobRefOf(pod)?.uid !== uid || pod.metadata?.deletionTimestamp || (pod.status?.phase !== undefined && pod.status.phase !== 'Pending')) continue;
    const podName = pod.metadata?.name ?? '';
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      const what = [waiting?.reason, waiting?.message?.trim()].filter(Boolean).join(': ');
      if (imagePullReasons.has(waiting?.reason ?? '')) {
        return { blocked: { jobName, message: `pod ${podName} cannot pull its image (${what}); check spec.job.image, and spec.job.imagePullSecrets for a private registry` }, recheckAt: undefined };
      }
      if (configReasons.has(waiting?.reason ?? '')) {
        return { blocked: { jobName, message: `pod ${podName} cannot create container ${container.name} (${what}); check the Secrets and ConfigMaps spec.job refers to (env, envFrom, volumes)` }, recheckAt: undefined };
      }
    }
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      const since = Date.parse(toTime(scheduled.lastTransitionTime as string | Date | undefined) ?? '');
      const reportAt = (Number.isNaN(since) ? now.getTime() : since) + unschedulableGraceSeconds * 1000;
      if (now.getTime() >= reportAt) {
        const minutes = Math.floor((now.getTime() - (Number.isNaN(since) ? now.getTime() : since)) / 60_000);
        return {
          blocked: { jobName, message: `pod ${podName} has not been scheduled for ${minutes} min (${scheduled.message?.trim() || 'Unschedulable'}); check spec.job.resources, nodeSelector, tolerations and affinity, or the cluster's capacity` },
          recheckAt: undefined,
        };
      }
      recheckAt = recheckAt === undefined || reportAt < recheckAt.getTime() ? new Date(reportAt) : recheckAt;
    }
  }
  return { blocked: undefined, recheckAt };
}
