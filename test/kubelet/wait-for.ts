// Polling helpers for tests that drive pods through the test kubelet: wait until a pod or Job
// reaches a state, with a timeout message that shows the last thing seen.
import type { BatchV1Api, CoreV1Api, V1Job, V1Pod } from '@kubernetes/client-node';
import { isApiStatus } from './api-errors.js';

const pollIntervalMs = 200;

/** Polls `probe` until it returns a value other than undefined; fails after timeoutMs with `what` and the last observation. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, describe?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${describe ? `; last seen: ${describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}

/** Waits until the pod satisfies `predicate`; returns the pod. */
export async function waitForPod(core: CoreV1Api, namespace: string, name: string, what: string, predicate: (pod: V1Pod) => boolean, timeoutMs = 60_000): Promise<V1Pod> {
  let last: V1Pod | undefined;
  return waitFor(
    `pod ${namespace}/${name} ${what}`,
    timeoutMs,
    async () => {
      try {
        last = await core.readNamespacedPod({ name, namespace });
      } catch (error) {
        if (isApiStatus(error, 404)) return undefined;
        throw error;
      }
      return predicate(last) ? last : undefined;
    },
    () => JSON.stringify(last?.status ?? 'not found'),
  );
}

/** Waits until the pod no longer exists. */
export async function waitForPodGone(core: CoreV1Api, namespace: string, name: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`pod ${namespace}/${name} to be gone`, timeoutMs, () =>
    core.readNamespacedPod({ name, namespace }).then(
      () => undefined,
      (error: unknown) => (isApiStatus(error, 404) ? true : Promise.reject(error)),
    ),
  );
}

export function jobCondition(job: V1Job, type: string): { reason?: string; message?: string } | undefined {
  const condition = job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
  return condition && { ...(condition.reason ? { reason: condition.reason } : {}), ...(condition.message ? { message: condition.message } : {}) };
}

const messageExcerptChars = 600;

/** One line per pod of a Job: phase, reason, and each container's state (exit code, reason, message). */
export async function describeJobPods(core: CoreV1Api, namespace: string, jobName: string): Promise<string> {
  const pods = (await core.listNamespacedPod({ namespace, labelSelector: `job-name=${jobName}` })).items;
  if (pods.length === 0) return 'no pods';
  return pods
    .map((pod) => {
      const containers = (pod.status?.containerStatuses ?? []).map((c) => {
        const { terminated, waiting, running } = c.state ?? {};
        if (terminated) {
          const message = (terminated.message ?? '').slice(-messageExcerptChars);
          return `${c.name} terminated exitCode=${terminated.exitCode} reason=${terminated.reason ?? ''}${message ? ` message=${JSON.stringify(message)}` : ''}`;
        }
        if (waiting) return `${c.name} waiting reason=${waiting.reason ?? ''}${waiting.message ? ` message=${JSON.stringify(waiting.message)}` : ''}`;
        return `${c.name} ${running ? 'running' : 'no state'}`;
      });
      const podReason = pod.status?.reason ? ` reason=${pod.status.reason}` : '';
      return `pod ${pod.metadata?.name} ${pod.status?.phase ?? 'no phase'}${podReason}${pod.metadata?.deletionTimestamp ? ' (deleting)' : ''}: ${containers.join('; ') || 'no container statuses'}`;
    })
    .join('\n');
}

/**
 * Waits until the Job has condition `type` (Complete or Failed) True; returns the Job. Fails at once when
 * the Job ends the other way, with its condition and, given `core`, what each of its pods reported.
 */
export async function waitForJobCondition(
  batch: BatchV1Api,
  namespace: string,
  name: string,
  type: 'Complete' | 'Failed',
  timeoutMs = 60_000,
  core?: CoreV1Api,
): Promise<V1Job> {
  let last: V1Job | undefined;
  const other = type === 'Complete' ? 'Failed' : 'Complete';
  return waitFor(
    `Job ${namespace}/${name} to be ${type}`,
    timeoutMs,
    async () => {
      last = await batch.readNamespacedJob({ name, namespace });
      if (jobCondition(last, type)) return last;
      const ended = jobCondition(last, other);
      if (ended) {
        const pods = core ? `\n${await describeJobPods(core, namespace, name)}` : '';
        throw new Error(`Job ${namespace}/${name} is ${other} (${ended.reason ?? 'no reason'}: ${ended.message ?? ''}), not ${type}${pods}`);
      }
      return undefined;
    },
    () => JSON.stringify(last?.status ?? 'not found'),
  );
}
