// The test kubelet: plays one Ready node of a real control plane, binds pending pods to it and runs
// their containers as local processes (see pod-worker.ts), reporting status like the kubelet does.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiException, CoordinationV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { describeError, isApiStatus } from './api-errors.js';
import { defaultImageTable, type ImageTable, type SyncJobFrom } from './images.js';
import { heartbeat, nodeAllocatable, nodeHeartbeatIntervalMs, nodeLabels, registerNode } from './node.js';
import { watchPods } from './pod-watch.js';
import { PodWorker, podDirName } from './pod-worker.js';

export const defaultNodeName = 'test-kubelet';
export const loopbackIP = '127.0.0.1';
const resyncIntervalMs = 5_000;
const bindRetryMs = 5_000;
/** How long the first registration waits for an API server that does not answer (the kubelet itself tries for ever). */
const defaultRegisterTimeoutMs = 300_000;

export interface TestKubeletOptions {
  kubeConfig: KubeConfig;
  /** Name of the Node (default `test-kubelet`). Several kubelets need different names. */
  nodeName?: string;
  /** Pod directories (`pods/<namespace>_<name>_<uid>/`) and, by default, `kubelet.log` go here. */
  workDir: string;
  /** Image → local command; merged over the default table (our sync image → the built sync job). */
  images?: ImageTable;
  /** Include the default table (default true). */
  includeDefaultImages?: boolean;
  /** More image references (or `*` patterns) that run the sync job, e.g. the operator's --sync-image. */
  syncImages?: string[];
  /** Where `dist/sync-job/main.js` is looked for (default: this checkout). */
  repoRoot?: string;
  /** `dist` (default): the built sync job; `source`: sync-job/main.ts through tsx (no build needed). */
  syncJobFrom?: SyncJobFrom;
  /** Extra Node labels (hostname, os, arch are always set). */
  nodeLabels?: Record<string, string>;
  /** Only bind and run pods in these namespaces (default: all). */
  namespaces?: string[];
  /** Keep pod directories after their pods are gone (default false). */
  keepPodDirs?: boolean;
  /** Retry of containers waiting on a missing Secret/ConfigMap (default 2 s). */
  configRetryMs?: number;
  /** First restart back-off for restartPolicy OnFailure/Always (default 10 s, doubling up to 5 min). */
  restartBackoffMs?: number;
  /** Log lines (default: appended to `<workDir>/kubelet.log`). */
  log?: (line: string) => void;
  /** How long to keep trying to register while the API server is unreachable or answers 429/5xx (default 5 min). */
  registerTimeoutMs?: number;
}

export interface TestKubelet {
  readonly nodeName: string;
  readonly workDir: string;
  /** The directory of a pod: `volumes/<volume>/`, `containers/<container>/{<restart>.log,termination-log}`. */
  podDir(pod: V1Pod): string;
  /** Kills every process (SIGKILL), stops watching and heartbeats. Leaves the Node and pods as they are. */
  stop(): Promise<void>;
}

export const repoRootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Binds only what the scheduler would give this node; nodeSelector is honoured loosely (one node). */
export function wantsBinding(pod: V1Pod, nodeName: string, namespaces: readonly string[] | undefined): boolean {
  const spec = pod.spec;
  if (spec === undefined || spec.nodeName) return false;
  if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false;
  if ((spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return false;
  if ((spec.schedulingGates ?? []).length > 0) return false;
  if (namespaces !== undefined && !namespaces.includes(pod.metadata?.namespace ?? '')) return false;
  // Other selector keys are ignored: this is the only node. A pod aimed at another host is not ours.
  const host = spec.nodeSelector?.['kubernetes.io/hostname'];
  return host === undefined || host === nodeName;
}

/**
 * Registers the node as the kubelet does after a node restart: an API server that is down or restarting (no
 * connection, 429, 5xx) is tried again, 0.2 s doubling to 5 s, until `timeoutMs`; any other answer is final.
 */
async function whenServed(register: () => Promise<void>, log: (line: string) => void, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await register();
    } catch (error) {
      const passing = !(error instanceof ApiException) || error.code === 429 || error.code >= 500;
      if (!passing || Date.now() > deadline) throw error;
      const delayMs = Math.min(200 * 2 ** attempt, 5_000);
      log(`registering the node failed (${describeError(error)}); trying again in ${delayMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

export async function startTestKubelet(options: TestKubeletOptions): Promise<TestKubelet> {
  const nodeName = options.nodeName ?? defaultNodeName;
  const workDir = resolve(options.workDir);
  const podsDir = join(workDir, 'pods');
  mkdirSync(podsDir, { recursive: true });
  const logFile = join(workDir, 'kubelet.log');
  const log =
    options.log ?? ((line: string) => appendFileSync(logFile, `${new Date().toISOString()} [${nodeName}] ${line}\n`));
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const coordination = options.kubeConfig.makeApiClient(CoordinationV1Api);
  const repoRoot = options.repoRoot ?? repoRootDir;
  const images: ImageTable = {
    ...(options.includeDefaultImages === false ? {} : defaultImageTable(repoRoot, options.syncImages ?? [], options.syncJobFrom ?? 'dist')),
    ...options.images,
  };
  const identity = { name: nodeName, hostIP: loopbackIP, labels: options.nodeLabels ?? {} };
  const namespaces = options.namespaces;
  const allocatable = nodeAllocatable();

  await whenServed(
    async () => {
      await registerNode(core, identity);
      await heartbeat(core, coordination, identity);
    },
    log,
    options.registerTimeoutMs ?? defaultRegisterTimeoutMs,
  );
  log(`node ${nodeName} registered Ready (labels ${JSON.stringify(nodeLabels(identity))})`);

  const workers = new Map<string, PodWorker>();
  const unbound = new Map<string, V1Pod>();
  const bindAttempts = new Map<string, number>();
  let stopping = false;

  const bind = (pod: V1Pod): void => {
    const uid = pod.metadata?.uid ?? '';
    const last = bindAttempts.get(uid);
    if (last !== undefined && Date.now() - last < bindRetryMs) return;
    bindAttempts.set(uid, Date.now());
    const { name = '', namespace = '' } = pod.metadata ?? {};
    core
      .createNamespacedPodBinding({
        name,
        namespace,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } },
      })
      .then(() => log(`bound pod ${namespace}/${name}`))
      .catch((error: unknown) => {
        // 409: bound meanwhile (by us or another kubelet); 404: already gone.
        if (!isApiStatus(error, 404, 409)) log(`binding ${namespace}/${name} failed: ${describeError(error)}`);
      });
  };

  const upsert = (pod: V1Pod): void => {
    if (stopping) return;
    const uid = pod.metadata?.uid ?? '';
    const podNode = pod.spec?.nodeName;
    if (!podNode) {
      if (wantsBinding(pod, nodeName, namespaces)) {
        unbound.set(uid, pod);
        bind(pod);
      } else unbound.delete(uid);
      return;
    }
    unbound.delete(uid);
    bindAttempts.delete(uid);
    if (podNode !== nodeName) return;
    if (namespaces !== undefined && !namespaces.includes(pod.metadata?.namespace ?? '')) return;
    const existing = workers.get(uid);
    if (existing !== undefined) {
      existing.update(pod);
      return;
    }
    const worker = new PodWorker(
      pod,
      {
        core,
        addresses: { podIP: loopbackIP, hostIP: loopbackIP, nodeName },
        allocatable,
        images,
        podsDir,
        configRetryMs: options.configRetryMs ?? 2_000,
        restartBackoffMs: options.restartBackoffMs ?? 10_000,
        maxRestartBackoffMs: 300_000,
        keepPodDirs: options.keepPodDirs ?? false,
        log,
      },
      () => workers.delete(uid),
    );
    workers.set(uid, worker);
    worker.update();
  };

  const remove = (pod: V1Pod): void => {
    const uid = pod.metadata?.uid ?? '';
    unbound.delete(uid);
    bindAttempts.delete(uid);
    workers.get(uid)?.remove();
  };

  const watch = watchPods({
    kubeConfig: options.kubeConfig,
    core,
    log,
    events: {
      upsert,
      remove,
      relisted(pods) {
        const seen = new Set(pods.map((p) => p.metadata?.uid ?? ''));
        for (const [uid, worker] of workers) if (!seen.has(uid)) worker.remove();
        for (const uid of unbound.keys()) if (!seen.has(uid)) unbound.delete(uid);
        pods.forEach(upsert);
      },
    },
  });
  await watch.synced;

  const heartbeats = setInterval(() => {
    heartbeat(core, coordination, identity).catch((error: unknown) => log(`heartbeat failed: ${describeError(error)}`));
  }, nodeHeartbeatIntervalMs);
  // Level-based safety net: retry bindings, failed patches and deletes even when no event arrives.
  const resync = setInterval(() => {
    for (const pod of unbound.values()) bind(pod);
    for (const worker of workers.values()) worker.update();
  }, resyncIntervalMs);

  return {
    nodeName,
    workDir,
    podDir: (pod) => join(podsDir, podDirName(pod)),
    async stop() {
      stopping = true;
      clearInterval(heartbeats);
      clearInterval(resync);
      watch.stop();
      await Promise.all([...workers.values()].map((worker) => worker.stop()));
      log(`stopped; ${workers.size} pod(s) left as they were`);
    },
  };
}
