// Why the active run cannot start, as Kubernetes tells it on the run's pod: a container waiting for its image or
// for the Secrets/ConfigMaps it refers to, or a pod no node takes. Shown in SyncHealthy and Ready (RunBlocked), so
// a wrong image is named while it happens, not when the run's deadline fails it an hour later. Reasons that can be
// a blip (a registry timeout, a runtime hiccup, a node being added) are reported once they have lasted a while.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { jobRefOf } from './kept-pod-results.js';
import { jobFinish, timeMs, toTime } from './run-result.js';

export interface BlockedRun {
  readonly jobName: string;
  /** What blocks it and what to check, in words. */
  readonly message: string;
}

/** A pod unschedulable this long is reported (a cluster autoscaler usually adds a node within it). */
export const unschedulableGraceSeconds = 120;
/** A pull or create error that may pass (the kubelet retries) is reported once the pod has been on its node this long. */
export const retriedErrorGraceSeconds = 60;

const imageCheck = 'check spec.job.image (default: the operator\'s --sync-image) and, for a private registry, spec.job.imagePullSecrets';
const configCheck = 'check the Secrets and ConfigMaps spec.job refers to (env, envFrom, volumes)';
const laterRunsOnly = 'a fix to spec.job reaches the next runs, not this one';

/** Container waiting reasons that name a run that cannot start: what to check, and whether the kubelet's retries may still get past it. */
const waitingReasons: ReadonlyMap<string, { what: string; check: string; retried: boolean }> = new Map([
  ['InvalidImageName', { what: 'cannot pull its image', check: imageCheck, retried: false }],
  ['ErrImageNeverPull', { what: 'cannot pull its image', check: `${imageCheck}; imagePullPolicy Never needs the image on the node`, retried: false }],
  ['ErrImagePull', { what: 'cannot pull its image', check: imageCheck, retried: true }],
  ['ImagePullBackOff', { what: 'cannot pull its image', check: imageCheck, retried: true }],
  ['CreateContainerConfigError', { what: 'cannot create its container', check: configCheck, retried: false }],
  ['CreateContainerError', { what: 'cannot create its container', check: configCheck, retried: true }],
]);

export interface BlockedRunCheck {
  readonly blocked: BlockedRun | undefined;
  /** When a grace ends (an unschedulable pod, a retried error), if one is running: the controller looks again then. */
  readonly recheckAt: Date | undefined;
}

const podsOf = (job: V1Job, pods: readonly V1Pod[]) => pods.filter((pod) => job.metadata?.uid !== undefined && jobRefOf(pod)?.uid === job.metadata.uid);

/** The active run's pods (by the Job's uid), as cached; a run blocked when one of them says it cannot start. */
export function blockedRun(active: V1Job | undefined, pods: readonly V1Pod[], now: Date): BlockedRunCheck {
  if (active === undefined) return { blocked: undefined, recheckAt: undefined };
  const jobName = active.metadata?.name ?? '';
  let recheckAt: number | undefined;
  const later = (ms: number) => (recheckAt = recheckAt === undefined ? ms : Math.min(recheckAt, ms));
  for (const pod of podsOf(active, pods)) {
    if (pod.metadata?.deletionTimestamp || (pod.status?.phase !== undefined && pod.status.phase !== 'Pending')) continue;
    const podName = pod.metadata?.name ?? '';
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const scheduledSince = timeMs(scheduled?.lastTransitionTime as string | Date | undefined);
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      const known = waitingReasons.get(waiting?.reason ?? '');
      if (known === undefined) continue;
      // On its node since (else since it was created): the kubelet has been trying that long.
      const since = scheduledSince ?? timeMs(pod.metadata?.creationTimestamp as string | Date | undefined);
      const reportAt = known.retried && since !== undefined ? since + retriedErrorGraceSeconds * 1000 : now.getTime();
      if (now.getTime() < reportAt) {
        later(reportAt);
        continue;
      }
      const why = [waiting?.reason, waiting?.message?.trim()].filter(Boolean).join(': ');
      return { blocked: { jobName, message: `pod ${podName} ${known.what} (${why}); ${known.check}; ${laterRunsOnly}` }, recheckAt: undefined };
    }
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      const since = scheduledSince ?? now.getTime();
      const reportAt = since + unschedulableGraceSeconds * 1000;
      if (now.getTime() < reportAt) {
        later(reportAt);
        continue;
      }
      const when = toTime(new Date(since)) ?? '';
      return {
        blocked: {
          jobName,
          message: `pod ${podName} has not been scheduled since ${when} (${scheduled.message?.trim() || 'Unschedulable'}); check spec.job.resources, nodeSelector, tolerations and affinity, or the cluster's capacity`,
        },
        recheckAt: undefined,
      };
    }
  }
  return { blocked: undefined, recheckAt: recheckAt === undefined ? undefined : new Date(recheckAt) };
}

/**
 * The run never ran its container: the Job is unfinished and counts no ready, succeeded or failed pod, and each of
 * its cached pods still waits (or it has none). Deleting such a Job (a blocked run) loses no result.
 */
export function runNeverRan(job: V1Job, pods: readonly V1Pod[]): boolean {
  const status = job.status;
  if (jobFinish(job) !== undefined || (status?.ready ?? 0) > 0 || (status?.succeeded ?? 0) > 0 || (status?.failed ?? 0) > 0) return false;
  return podsOf(job, pods).every((pod) => (pod.status?.containerStatuses ?? []).every((c) => c.state?.waiting !== undefined && c.state.terminated === undefined));
}
