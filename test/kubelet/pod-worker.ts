// One pod on the test kubelet's node, from bound to gone: prepares volumes and env, runs each
// container as a process, reports status like the kubelet, and kills and deletes it when asked.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Container, type V1ContainerStatus, type V1Pod } from '@kubernetes/client-node';
import { describeError, isApiStatus } from './api-errors.js';
import { referencedObjects, type ConfigSources } from './config-sources.js';
import type { PodAddresses } from './downward-api.js';
import { expandVars, resolveContainerEnv } from './env.js';
import { KubeletError } from './errors.js';
import { containerArgv, findImage, unknownImageMessage, type ImageEntry, type ImageTable } from './images.js';
import { rewriteArgument, rewriteEnv, rewritePath, type PathMapping } from './path-rewrite.js';
import {
  buildPodStatus,
  containerStatusUnknown,
  podPhase,
  type ContainerRecord,
  type PodFailure,
  type TerminatedState,
} from './pod-status.js';
import { startContainerProcess, type ContainerProcess } from './process.js';
import { maxTerminationMessageBytes, readFileTail, terminationMessage } from './termination-message.js';
import { planVolume, volumeDir, writeVolume } from './volumes.js';

export const defaultTerminationMessagePath = '/dev/termination-log';
export const defaultTerminationGracePeriodSeconds = 30;
/** The kubelet never kills with less grace than this, even when asked for 0. */
export const minimumGracePeriodSeconds = 2;
/** How long a force-deleted pod's processes get between SIGTERM and SIGKILL. */
export const goneGracePeriodMs = 2_000;
const logTailReadBytes = 8 * 1024;

export interface PodWorkerContext {
  core: CoreV1Api;
  addresses: Omit<PodAddresses, 'nodeName'> & { nodeName: string };
  allocatable: Record<string, string>;
  images: ImageTable;
  podsDir: string;
  /** How soon a container waiting for a missing Secret/ConfigMap tries again. */
  configRetryMs: number;
  /** First restart back-off of restartPolicy OnFailure/Always (doubles per restart, capped). */
  restartBackoffMs: number;
  maxRestartBackoffMs: number;
  keepPodDirs: boolean;
  log(message: string): void;
}

interface ContainerSlot {
  spec: V1Container;
  record: ContainerRecord;
  process?: ContainerProcess;
  /** Set once the current process has exited and its status has not been recorded yet. */
  logPath?: string;
  terminationLogPath?: string;
  /** Not before this time (ms) may the container (re)start. */
  notBefore: number;
  /** When the process got SIGTERM; SIGKILL follows at killAt. */
  killAt?: number;
}

type Stage = 'new' | 'starting' | 'finished';

const strategicMerge = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

export function podDirName(pod: V1Pod): string {
  return `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`;
}

function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** A terminated state read back from the API (a container that ended under an earlier kubelet run). */
function terminatedFromApi(status: V1ContainerStatus | undefined): TerminatedState | undefined {
  const t = status?.state?.terminated;
  if (t === undefined) return undefined;
  return {
    kind: 'terminated',
    exitCode: t.exitCode,
    reason: t.reason ?? 'Error',
    ...(t.message !== undefined ? { message: t.message } : {}),
    ...(t.startedAt !== undefined ? { startedAt: new Date(t.startedAt) } : {}),
    ...(t.finishedAt !== undefined ? { finishedAt: new Date(t.finishedAt) } : {}),
  };
}

export class PodWorker {
  private pod: V1Pod;
  private readonly uid: string;
  readonly dir: string;
  private stage: Stage = 'new';
  private slots: ContainerSlot[] = [];
  private failure: PodFailure | undefined;
  private startTime = new Date();
  private volumesReady = false;
  private lastPatched: string | undefined;
  private deleteIssued = false;
  private gone = false;
  private stopped = false;
  private closed = false;
  private running: Promise<void> | undefined;
  private again = false;
  private wakeTimer: NodeJS.Timeout | undefined;

  constructor(
    pod: V1Pod,
    private readonly context: PodWorkerContext,
    private readonly onClosed: () => void,
  ) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    this.dir = join(context.podsDir, podDirName(pod));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The pod changed (or a periodic resync): sync again, after the current sync if one runs. */
  update(pod?: V1Pod): void {
    if (pod !== undefined) this.pod = pod;
    this.kick();
  }

  /** The pod is gone from the API: kill what still runs, clean up, close. */
  remove(): void {
    this.gone = true;
    this.kick();
  }

  /** The kubelet stops: SIGKILL every process now and wait until they are gone. Status is not touched. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    const killAll = async () => {
      for (const slot of this.slots) slot.process?.signal('SIGKILL');
      await Promise.all(this.slots.map((slot) => slot.process?.exited));
    };
    await killAll();
    // A sync in flight may have been about to start a process; it checks `stopped`, but be sure.
    await this.running;
    await killAll();
  }

  private kick(): void {
    if (this.stopped || this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (error) {
          this.log(`sync failed: ${describeError(error)}; retrying`);
          this.wakeAt(Date.now() + this.context.configRetryMs);
        }
      } while (this.again && !this.stopped && !this.closed);
      this.running = undefined;
    })();
  }

  private log(message: string): void {
    this.context.log(`pod ${this.pod.metadata?.namespace}/${this.pod.metadata?.name}: ${message}`);
  }

  private wakeAt(timeMs: number): void {
    if (this.stopped || this.closed) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), Math.max(0, timeMs - Date.now()) + 10);
  }

  // ---- the sync loop -------------------------------------------------------------------------

  private async sync(): Promise<void> {
    // 1. Gone from the API (deleted with grace 0 and finalizers removed): kill, clean up, close.
    if (this.gone) return this.close();
    // 2. First sight: decide whether this pod is new, already over, or ran under an earlier kubelet.
    if (this.stage === 'new') this.adopt();
    // 3. Every exit becomes a terminated state (with its termination message), maybe a restart.
    await this.collectExits();
    // 4. Deletion requested: stop everything, report the end, then delete with grace 0.
    if (this.pod.metadata?.deletionTimestamp) return this.syncDeleting();
    // 5. The pod's own activeDeadlineSeconds: kill and fail with DeadlineExceeded.
    this.enforcePodDeadline();
    // 6. Start what can start: images, volumes, env; containers waiting on config retry later.
    if (this.stage === 'starting' && this.failure === undefined) await this.startContainers();
    this.escalateKills();
    if (this.stage === 'starting' && this.allDone()) this.stage = 'finished';
    // 7. One status patch with everything learned.
    await this.patchStatus();
    this.scheduleWake();
  }

  private adopt(): void {
    const pod = this.pod;
    const statuses = pod.status?.containerStatuses ?? [];
    if (pod.status?.startTime) this.startTime = new Date(pod.status.startTime);
    this.slots = (pod.spec?.containers ?? []).map((spec) => ({
      spec,
      record: { name: spec.name, image: spec.image ?? '', state: { kind: 'waiting', reason: 'ContainerCreating' }, restartCount: 0 },
      notBefore: 0,
    }));
    if (isTerminalPhase(pod.status?.phase)) {
      // Over before we saw it (or before we restarted): never run it again.
      this.stage = 'finished';
      this.lastPatched = 'terminal-in-api';
      return;
    }
    const ranBefore = statuses.some((s) => s.state?.running !== undefined || s.state?.terminated !== undefined || s.restartCount > 0);
    if (ranBefore) {
      // Its processes died with an earlier kubelet: report them as the kubelet reports lost containers.
      for (const slot of this.slots) {
        const status = statuses.find((s) => s.name === slot.spec.name);
        slot.record.restartCount = status?.restartCount ?? 0;
        slot.record.state = terminatedFromApi(status) ?? { ...containerStatusUnknown };
      }
      this.stage = 'finished';
      this.log('containers ran under an earlier kubelet run and are lost; marking them ContainerStatusUnknown');
      return;
    }
    this.stage = 'starting';
  }

  private allDone(): boolean {
    return this.slots.every((s) => s.record.state.kind === 'terminated' && s.process === undefined);
  }

  private alive(): ContainerSlot[] {
    return this.slots.filter((s) => s.process !== undefined && !s.process.hasExited());
  }

  private restartPolicy(): string {
    return this.pod.spec?.restartPolicy ?? 'Always';
  }

  // ---- exits and restarts --------------------------------------------------------------------

  private async collectExits(): Promise<void> {
    for (const slot of this.slots) {
      const process = slot.process;
      if (process === undefined || !process.hasExited()) continue;
      const exit = await process.exited;
      slot.process = undefined;
      slot.killAt = undefined;
      const message = exit.startError
        ? exit.startError
        : terminationMessage({
            policy: slot.spec.terminationMessagePolicy,
            exitCode: exit.exitCode,
            file: slot.terminationLogPath ? await readFileTail(slot.terminationLogPath, maxTerminationMessageBytes) : undefined,
            log: exit.exitCode !== 0 && slot.logPath ? await readFileTail(slot.logPath, logTailReadBytes) : undefined,
          });
      const startedAt = slot.record.state.kind === 'running' ? slot.record.state.startedAt : process.startedAt;
      const terminated: TerminatedState = {
        kind: 'terminated',
        exitCode: exit.exitCode,
        ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
        reason: exit.startError ? 'StartError' : exit.exitCode === 0 ? 'Completed' : 'Error',
        ...(message !== undefined ? { message } : {}),
        startedAt,
        finishedAt: exit.finishedAt,
      };
      this.log(`container ${slot.spec.name} exited with code ${exit.exitCode}`);
      slot.record.state = terminated;
      this.maybeScheduleRestart(slot, terminated);
    }
  }

  private maybeScheduleRestart(slot: ContainerSlot, terminated: TerminatedState): void {
    const policy = this.restartPolicy();
    const restart = policy === 'Always' || (policy === 'OnFailure' && terminated.exitCode !== 0);
    if (!restart || this.failure !== undefined || this.pod.metadata?.deletionTimestamp) return;
    const { restartBackoffMs, maxRestartBackoffMs } = this.context;
    // Like the kubelet: the first restart is immediate, then the back-off doubles up to its cap.
    const delayMs = slot.record.restartCount === 0 ? 0 : Math.min(restartBackoffMs * 2 ** (slot.record.restartCount - 1), maxRestartBackoffMs);
    slot.record.lastTerminated = terminated;
    slot.record.state = {
      kind: 'waiting',
      reason: 'CrashLoopBackOff',
      message: `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${slot.spec.name} pod=${this.pod.metadata?.name}_${this.pod.metadata?.namespace}(${this.uid})`,
    };
    slot.notBefore = Date.now() + delayMs;
  }

  // ---- killing -------------------------------------------------------------------------------

  /** SIGTERM every live container once; SIGKILL follows after the grace period (escalateKills). */
  private terminateAll(graceSeconds: number): void {
    const killAt = Date.now() + Math.max(graceSeconds, minimumGracePeriodSeconds) * 1000;
    for (const slot of this.alive()) {
      if (slot.killAt !== undefined) continue;
      slot.killAt = killAt;
      slot.process?.signal('SIGTERM');
    }
  }

  private escalateKills(): void {
    for (const slot of this.alive()) {
      if (slot.killAt !== undefined && slot.killAt <= Date.now()) slot.process?.signal('SIGKILL');
    }
  }

  /** Containers that never started (or wait to restart) end as the kubelet reports them: status unknown. */
  private endWaitingContainers(): void {
    for (const slot of this.slots) {
      if (slot.record.state.kind === 'waiting' && slot.process === undefined) {
        slot.record.state = slot.record.lastTerminated ?? { ...containerStatusUnknown };
      }
    }
  }

  private enforcePodDeadline(): void {
    const deadlineSeconds = this.pod.spec?.activeDeadlineSeconds;
    if (deadlineSeconds === undefined || this.stage !== 'starting' || this.failure !== undefined) return;
    if (Date.now() < this.startTime.getTime() + deadlineSeconds * 1000) return;
    this.failure = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
    this.log('activeDeadlineSeconds exceeded; killing its containers');
    this.terminateAll(this.pod.spec?.terminationGracePeriodSeconds ?? defaultTerminationGracePeriodSeconds);
    this.endWaitingContainers();
  }

  private async syncDeleting(): Promise<void> {
    const meta = this.pod.metadata ?? {};
    this.terminateAll(meta.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? defaultTerminationGracePeriodSeconds);
    this.escalateKills();
    if (this.alive().length > 0) {
      this.scheduleWake();
      return;
    }
    // Everything has stopped: report the end first (the Job controller and the operator read it), then delete.
    this.endWaitingContainers();
    this.stage = 'finished';
    await this.patchStatus();
    if (this.deleteIssued) return;
    try {
      await this.context.core.deleteNamespacedPod({
        name: meta.name ?? '',
        namespace: meta.namespace ?? '',
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
      });
      this.deleteIssued = true;
    } catch (error) {
      if (isApiStatus(error, 404, 409)) this.deleteIssued = true;
      else throw error;
    }
  }

  // ---- starting ------------------------------------------------------------------------------

  private failPod(failure: PodFailure, culprit?: { slot: ContainerSlot; state: TerminatedState }): void {
    this.failure = failure;
    if (culprit) culprit.slot.record.state = culprit.state;
    this.terminateAll(this.pod.spec?.terminationGracePeriodSeconds ?? defaultTerminationGracePeriodSeconds);
    this.endWaitingContainers();
    this.stage = 'finished';
    this.log(`failed: ${failure.message}`);
  }

  private async startContainers(): Promise<void> {
    const pending = this.slots.filter((s) => s.record.state.kind === 'waiting' && s.process === undefined);
    if (pending.length === 0) return;
    if ((this.pod.spec?.initContainers ?? []).length > 0) {
      return this.failPod({ reason: 'Unsupported', message: 'init containers are not supported by the test kubelet' });
    }
    // Images first: an image nobody can run fails the pod (a real node would back off forever).
    const entries = new Map<ContainerSlot, ImageEntry>();
    for (const slot of pending) {
      const entry = findImage(this.context.images, slot.record.image);
      if (entry === undefined) {
        const message = unknownImageMessage(slot.record.image);
        // Report the pull error as a waiting state first, as the kubelet does, then fail the pod.
        slot.record.state = { kind: 'waiting', reason: 'ErrImagePull', message };
        await this.patchStatus();
        this.failPod({ reason: 'ErrImagePull', message }, { slot, state: { kind: 'terminated', exitCode: 128, reason: 'ErrImagePull', message } });
        return;
      }
      entries.set(slot, entry);
    }
    const sources = await this.fetchSources();
    const addresses = this.context.addresses;
    const context = { pod: this.pod, sources, addresses, allocatable: this.context.allocatable };
    if (!this.volumesReady) {
      try {
        const plans = (this.pod.spec?.volumes ?? []).map((volume) => planVolume(volume, context));
        await mkdir(this.dir, { recursive: true });
        for (const plan of plans) await writeVolume(this.dir, plan);
        this.volumesReady = true;
      } catch (error) {
        if (!(error instanceof KubeletError)) throw error;
        if (error.code === 'KUBELET_UNSUPPORTED') return this.failPod({ reason: 'UnsupportedVolume', message: error.message });
        for (const slot of pending) slot.record.state = { kind: 'waiting', reason: 'ContainerCreating', message: error.message };
        return;
      }
    }
    const now = Date.now();
    for (const slot of pending) {
      if (slot.notBefore > now) continue;
      let env: Record<string, string>;
      try {
        env = resolveContainerEnv(slot.spec, context);
      } catch (error) {
        if (!(error instanceof KubeletError)) throw error;
        slot.record.state = { kind: 'waiting', reason: 'CreateContainerConfigError', message: error.message };
        continue;
      }
      await this.startContainer(slot, entries.get(slot) as ImageEntry, env);
    }
  }

  private async fetchSources(): Promise<ConfigSources> {
    const { core } = this.context;
    const namespace = this.pod.metadata?.namespace ?? '';
    const refs = referencedObjects(this.pod);
    const sources: ConfigSources = { secrets: new Map(), configMaps: new Map(), serviceAccountTokens: new Map() };
    const orMissing = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await read();
      } catch (error) {
        if (isApiStatus(error, 404)) return undefined;
        throw error;
      }
    };
    await Promise.all([
      ...[...refs.secrets].map(async (name) => sources.secrets.set(name, await orMissing(() => core.readNamespacedSecret({ name, namespace })))),
      ...[...refs.configMaps].map(async (name) =>
        sources.configMaps.set(name, await orMissing(() => core.readNamespacedConfigMap({ name, namespace }))),
      ),
      ...[...refs.tokenAudiences].map(async ([audience, expirationSeconds]) => {
        const request = await orMissing(() =>
          core.createNamespacedServiceAccountToken({
            name: this.pod.spec?.serviceAccountName ?? 'default',
            namespace,
            body: {
              spec: {
                audiences: audience ? [audience] : [],
                expirationSeconds,
                boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: this.pod.metadata?.name ?? '', uid: this.uid },
              },
            },
          }),
        );
        if (request?.status?.token) sources.serviceAccountTokens.set(audience, { token: request.status.token, expirationSeconds });
      }),
    ]);
    return sources;
  }

  private pathMappings(spec: V1Container, terminationLogPath: string): PathMapping[] {
    const mounts = (spec.volumeMounts ?? []).map((m) => ({
      containerPath: m.mountPath,
      hostPath: m.subPath ? join(volumeDir(this.dir, m.name), m.subPath) : volumeDir(this.dir, m.name),
    }));
    return [...mounts, { containerPath: spec.terminationMessagePath ?? defaultTerminationMessagePath, hostPath: terminationLogPath }];
  }

  private async startContainer(slot: ContainerSlot, entry: ImageEntry, podEnv: Record<string, string>): Promise<void> {
    const { spec, record } = slot;
    const restartCount = record.lastTerminated !== undefined ? record.restartCount + 1 : record.restartCount;
    const containerDir = join(this.dir, 'containers', spec.name);
    const terminationLogPath = join(containerDir, 'termination-log');
    const logPath = join(containerDir, `${restartCount}.log`);
    await mkdir(join(containerDir, 'home'), { recursive: true });
    await mkdir(join(containerDir, 'tmp'), { recursive: true });
    await writeFile(terminationLogPath, '');
    const mappings = this.pathMappings(spec, terminationLogPath);
    const env = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOSTNAME: this.pod.spec?.hostname ?? this.pod.metadata?.name ?? '',
      HOME: join(containerDir, 'home'),
      // Programs find their temp dir through TMPDIR: the pod's /tmp volume when it has one.
      TMPDIR: rewritePath('/tmp', mappings) === '/tmp' ? join(containerDir, 'tmp') : rewritePath('/tmp', mappings),
      ...rewriteEnv(podEnv, mappings),
    };
    let argv: string[];
    try {
      // $(VAR) in command and args expands against the container's env, before paths are rewritten.
      const fromPod = (value: string) => rewriteArgument(expandVars(value, (name) => podEnv[name]), mappings);
      argv = containerArgv(entry, record.image, spec.command, spec.args, fromPod);
    } catch (error) {
      if (!(error instanceof KubeletError)) throw error;
      const now = new Date();
      record.state = { kind: 'terminated', exitCode: 128, reason: 'StartError', message: error.message, startedAt: now, finishedAt: now };
      record.restartCount = restartCount;
      this.maybeScheduleRestart(slot, record.state);
      return;
    }
    const workingDir = spec.workingDir ? rewritePath(spec.workingDir, mappings) : undefined;
    const cwd = workingDir !== undefined && workingDir !== spec.workingDir ? workingDir : (entry.workingDir ?? containerDir);
    if (this.stopped) return;
    const child = startContainerProcess({ argv, cwd, env, logPath });
    slot.process = child;
    slot.logPath = logPath;
    slot.terminationLogPath = terminationLogPath;
    record.restartCount = restartCount;
    record.containerID = `test-kubelet://${this.uid}/${spec.name}/${restartCount}`;
    record.state = { kind: 'running', startedAt: child.startedAt };
    this.log(`container ${spec.name} started (pid ${child.pid}): ${argv.join(' ')}`);
    void child.exited.then(() => this.kick());
  }

  // ---- status, wake-ups, close ---------------------------------------------------------------

  private async patchStatus(): Promise<void> {
    if (this.lastPatched === 'terminal-in-api' && this.failure === undefined) return;
    const body = buildPodStatus({
      restartPolicy: this.restartPolicy(),
      containers: this.slots.map((s) => s.record),
      previousConditions: this.pod.status?.conditions,
      podIP: this.context.addresses.podIP,
      hostIP: this.context.addresses.hostIP,
      startTime: this.startTime,
      ...(this.failure !== undefined ? { failure: this.failure } : {}),
      now: new Date(),
    });
    // Conditions carry lastTransitionTime from the pod we last saw; compare without them.
    const key = JSON.stringify({ ...body.status, conditions: (body.status.conditions as { type: string; status: string }[]).map((c) => [c.type, c.status]) });
    if (key === this.lastPatched) return;
    const meta = this.pod.metadata ?? {};
    try {
      const updated = await this.context.core.patchNamespacedPodStatus({ name: meta.name ?? '', namespace: meta.namespace ?? '', body }, strategicMerge);
      this.lastPatched = key;
      if (updated.metadata?.uid === this.uid) this.pod = { ...this.pod, status: updated.status };
      this.log(`status ${podPhase(this.restartPolicy(), this.slots.map((s) => s.record), this.failure)}`);
    } catch (error) {
      if (isApiStatus(error, 404)) return;
      throw error;
    }
  }

  private scheduleWake(): void {
    const times: number[] = [];
    for (const slot of this.slots) {
      if (slot.killAt !== undefined && slot.process !== undefined) times.push(slot.killAt);
      if (slot.record.state.kind === 'waiting' && slot.process === undefined && this.stage === 'starting') {
        times.push(slot.notBefore > Date.now() ? slot.notBefore : Date.now() + this.context.configRetryMs);
      }
    }
    const deadline = this.pod.spec?.activeDeadlineSeconds;
    if (deadline !== undefined && this.stage === 'starting' && this.failure === undefined) times.push(this.startTime.getTime() + deadline * 1000);
    if (times.length > 0) this.wakeAt(Math.min(...times));
  }

  private async close(): Promise<void> {
    clearTimeout(this.wakeTimer);
    const live = this.alive();
    for (const slot of live) slot.process?.signal('SIGTERM');
    const kill = setTimeout(() => live.forEach((slot) => slot.process?.signal('SIGKILL')), goneGracePeriodMs);
    await Promise.all(live.map((slot) => slot.process?.exited));
    clearTimeout(kill);
    if (!this.context.keepPodDirs) await rm(this.dir, { recursive: true, force: true });
    this.closed = true;
    this.onClosed();
  }
}
