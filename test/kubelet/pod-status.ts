// Pod status as the kubelet writes it, a pure function of what the test kubelet knows about the pod's
// containers: phase, conditions (with stable transition times) and container statuses.
import type { V1PodCondition } from '@kubernetes/client-node';

export type TerminatedState = {
  kind: 'terminated';
  exitCode: number;
  /** The signal that ended the process, when one did. */
  signal?: number;
  reason: string;
  message?: string;
  startedAt?: Date;
  finishedAt?: Date;
};
export type ContainerState = { kind: 'waiting'; reason: string; message?: string } | { kind: 'running'; startedAt: Date } | TerminatedState;

export interface ContainerRecord {
  name: string;
  image: string;
  state: ContainerState;
  /** The previous run's end, after a restart (restartPolicy OnFailure/Always). */
  lastTerminated?: TerminatedState;
  restartCount: number;
  containerID?: string;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** A pod-level failure: the whole pod is Failed with this reason (DeadlineExceeded, ErrImagePull…). */
export interface PodFailure {
  reason: string;
  message: string;
}

/** The kubelet's reason and message for a container that never ran or vanished with its pod. */
export const containerStatusUnknown: TerminatedState = {
  kind: 'terminated',
  exitCode: 137,
  reason: 'ContainerStatusUnknown',
  message: 'The container could not be located when the pod was terminated',
};

/** Kubernetes timestamps: RFC 3339 in UTC with whole seconds. */
export function k8sTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The kubelet's getPhase, for pods without init containers. */
export function podPhase(restartPolicy: string, containers: readonly ContainerRecord[], failure?: PodFailure): PodPhase {
  // A failed pod (deadline, unknown image) is reported Failed once its containers have been killed.
  if (failure !== undefined) return containers.some((c) => c.state.kind === 'running') ? 'Running' : 'Failed';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    if (c.state.kind === 'running') running++;
    else if (c.state.kind === 'terminated') {
      stopped++;
      if (c.state.exitCode === 0) succeeded++;
    } else if (c.lastTerminated !== undefined) stopped++; // waiting to restart
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function isTerminal(phase: PodPhase): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

function condition(
  type: string,
  ok: boolean,
  previous: readonly V1PodCondition[] | undefined,
  now: Date,
  reason?: string,
  message?: string,
): Record<string, unknown> {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: typeof lastTransitionTime === 'string' ? lastTransitionTime : k8sTime(new Date(lastTransitionTime)),
    reason: reason ?? null,
    message: message ?? null,
  };
}

function stateJson(state: ContainerState): Record<string, unknown> {
  switch (state.kind) {
    case 'waiting':
      return { waiting: { reason: state.reason, ...(state.message ? { message: state.message } : {}) }, running: null, terminated: null };
    case 'running':
      return { waiting: null, running: { startedAt: k8sTime(state.startedAt) }, terminated: null };
    case 'terminated':
      return { waiting: null, running: null, terminated: terminatedJson(state) };
  }
}

function terminatedJson(state: TerminatedState): Record<string, unknown> {
  return {
    exitCode: state.exitCode,
    ...(state.signal !== undefined ? { signal: state.signal } : {}),
    reason: state.reason,
    ...(state.message ? { message: state.message } : {}),
    startedAt: state.startedAt ? k8sTime(state.startedAt) : null,
    finishedAt: state.finishedAt ? k8sTime(state.finishedAt) : null,
  };
}

export interface PodStatusInputs {
  restartPolicy: string;
  containers: readonly ContainerRecord[];
  /** The conditions the pod has now, so unchanged conditions keep their lastTransitionTime. */
  previousConditions: readonly V1PodCondition[] | undefined;
  podIP: string;
  hostIP: string;
  startTime: Date;
  failure?: PodFailure;
  now: Date;
}

/**
 * The body of a strategic merge patch of `pods/<name>/status`. Conditions merge by type and container
 * statuses by name; a container's state carries explicit nulls so the states it left are removed.
 */
export function buildPodStatus(inputs: PodStatusInputs): { status: Record<string, unknown> } {
  const { containers, previousConditions: prev, now } = inputs;
  const phase = podPhase(inputs.restartPolicy, containers, inputs.failure);
  const terminal = isTerminal(phase);
  const unready = containers.filter((c) => c.state.kind !== 'running').map((c) => c.name);
  const ready = !terminal && unready.length === 0;
  const notReadyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = terminal ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const conditions = [
    condition('PodReadyToStartContainers', !terminal, prev, now),
    condition('Initialized', true, prev, now),
    condition('Ready', ready, prev, now, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
    condition('ContainersReady', ready, prev, now, ready ? undefined : notReadyReason, ready ? undefined : notReadyMessage),
    condition('PodScheduled', true, prev, now),
  ];
  const containerStatuses = containers.map((c) => ({
    name: c.name,
    image: c.image,
    imageID: c.containerID !== undefined ? `test-kubelet://${c.image}` : '',
    ...(c.containerID !== undefined ? { containerID: c.containerID } : {}),
    ready: c.state.kind === 'running',
    started: c.state.kind === 'running',
    restartCount: c.restartCount,
    state: stateJson(c.state),
    ...(c.lastTerminated !== undefined ? { lastState: { terminated: terminatedJson(c.lastTerminated) } } : {}),
  }));
  return {
    status: {
      phase,
      conditions,
      hostIP: inputs.hostIP,
      hostIPs: [{ ip: inputs.hostIP }],
      podIP: inputs.podIP,
      podIPs: [{ ip: inputs.podIP }],
      startTime: k8sTime(inputs.startTime),
      containerStatuses,
      reason: inputs.failure?.reason ?? null,
      message: inputs.failure?.message ?? null,
    },
  };
}
