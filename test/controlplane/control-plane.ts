// Starts and stops one local Kubernetes control plane (etcd, kube-apiserver, and by default
// kube-controller-manager) on free loopback ports, with an admin kubeconfig. Used by tests and the CLI.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startApiserver } from './apiserver.js';
import { ensureBinaries, type Binaries } from './binaries.js';
import { adminTls, generatePki, type Pki } from './certs.js';
import { defaultControllers, startControllerManager } from './controller-manager.js';
import { ControlPlaneError } from './errors.js';
import { startEtcd } from './etcd.js';
import { writeAdminKubeconfig } from './kubeconfig.js';
import { testRunsRoot } from './paths.js';
import { freeLoopbackPorts } from './ports.js';
import { httpGet } from './probe.js';
import { signalComponent, stopProcess, type Component, type Lifetime } from './processes.js';
import { currentProcessIdentity, reapStaleRuns, writeRunState, type RecordedProcess, type RunState } from './run-state.js';

export interface StartControlPlaneOptions {
  /** Start kube-controller-manager too (default true). */
  controllerManager?: boolean;
  /** kube-controller-manager --controllers (default: defaultControllers). */
  controllers?: readonly string[];
  /** `owned` (default): everything dies with this process. `detached`: outlives it (cluster:up). */
  lifetime?: Lifetime;
  /** Run directory (certs, kubeconfig, data, logs/). Default: a fresh run-* dir under testRunsRoot(). */
  dir?: string;
  /** Where build progress goes when the binaries must be built first (default stderr). */
  progress?: NodeJS.WritableStream;
}

export interface ControlPlane {
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** gitVersion reported by the API server's /version, e.g. v1.37.2. */
  version: string;
  dir: string;
  binaries: Binaries;
  kubectlPath: string;
  processes: RecordedProcess[];
  /** Wall time of the start, binaries already built. */
  startupMs: number;
  /** Stops every process (kcm, apiserver, etcd) and deletes the run directory. Idempotent. */
  stop(): Promise<void>;
}

const maxPortClashAttempts = 3;

export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = await ensureBinaries(options.progress);
  const startedAt = Date.now();
  const lifetime = options.lifetime ?? 'owned';
  const root = testRunsRoot();
  await mkdir(root, { recursive: true });
  if (!options.dir) await reapStaleRuns(root);
  const dir = options.dir ?? (await mkdtemp(join(root, 'run-')));
  await mkdir(join(dir, 'logs'), { recursive: true });
  const state: RunState = { version: 1, lifetime, owner: currentProcessIdentity(), dir, processes: [] };
  await writeRunState(state);

  const components: Component[] = [];
  const killOnExit = () => components.forEach((c) => signalComponent(c, 'SIGKILL'));
  if (lifetime === 'owned') process.on('exit', killOnExit);
  const onSpawn = async (component: Component) => {
    components.push(component);
    state.processes.push({ name: component.name, pid: component.pid, startTime: component.startTime });
    await writeRunState(state);
  };
  const stopComponents = async () => {
    for (const component of [...components].reverse()) await stopProcess(component);
    components.length = 0;
  };

  const pki = await generatePki(join(dir, 'pki'));
  for (let attempt = 1; ; attempt++) {
    try {
      const started = await startProcesses({ binaries, dir, pki, lifetime, onSpawn, options });
      Object.assign(state, { kubernetesVersion: started.version, server: started.server, kubeconfigPath: started.kubeconfigPath });
      await writeRunState(state);
      let stopping: Promise<void> | undefined;
      const stop = () => {
        stopping ??= (async () => {
          await stopComponents();
          process.off('exit', killOnExit);
          await rm(dir, { recursive: true, force: true });
        })();
        return stopping;
      };
      return {
        ...started,
        dir,
        binaries,
        kubectlPath: binaries.paths.kubectl,
        processes: state.processes,
        startupMs: Date.now() - startedAt,
        stop,
      };
    } catch (error) {
      await stopComponents();
      state.processes = [];
      await writeRunState(state);
      if (!(error instanceof ControlPlaneError && error.code === 'CONTROLPLANE_PORT_IN_USE' && attempt < maxPortClashAttempts)) {
        process.off('exit', killOnExit);
        throw error;
      }
      await rm(join(dir, 'etcd-data'), { recursive: true, force: true });
    }
  }
}

async function startProcesses(args: {
  binaries: Binaries;
  dir: string;
  pki: Pki;
  lifetime: Lifetime;
  onSpawn: (component: Component) => Promise<void>;
  options: StartControlPlaneOptions;
}): Promise<{ server: string; version: string; kubeconfigPath: string }> {
  const { binaries, dir, pki, lifetime, onSpawn, options } = args;
  const [etcdClientPort, etcdPeerPort, apiserverPort, controllerManagerPort] = (await freeLoopbackPorts(4)) as [number, number, number, number];
  const etcd = await startEtcd({ binary: binaries.paths.etcd, runDir: dir, ports: { clientPort: etcdClientPort, peerPort: etcdPeerPort }, lifetime, onSpawn });
  const { server } = await startApiserver({ binary: binaries.paths['kube-apiserver'], runDir: dir, etcdUrl: etcd.url, securePort: apiserverPort, pki, lifetime, onSpawn });
  const kubeconfigPath = await writeAdminKubeconfig(join(dir, 'kubeconfig'), server, pki);
  if (options.controllerManager ?? true) {
    await startControllerManager({
      binary: binaries.paths['kube-controller-manager'],
      runDir: dir,
      kubeconfigPath,
      securePort: controllerManagerPort,
      pki,
      controllers: options.controllers ?? defaultControllers,
      lifetime,
      onSpawn,
    });
  }
  const version = await serverVersion(server, pki);
  return { server, version, kubeconfigPath };
}

async function serverVersion(server: string, pki: Pki): Promise<string> {
  return gitVersionOf(server, await httpGet(`${server}/version`, await adminTls(pki)));
}

/**
 * Pure: the gitVersion (e.g. v1.37.2) in the API server's answer to GET /version — what the test banner
 * and ControlPlane.version report. Throws naming the answer when it is not a 200 with a gitVersion.
 */
export function gitVersionOf(server: string, answer: { status: number; body: string }): string {
  let gitVersion: unknown;
  try {
    gitVersion = (JSON.parse(answer.body) as { gitVersion?: unknown } | null)?.gitVersion;
  } catch {
    gitVersion = undefined;
  }
  if (answer.status !== 200 || typeof gitVersion !== 'string' || gitVersion === '') {
    throw new ControlPlaneError('CONTROLPLANE_COMPONENT_EXITED', `GET ${server}/version answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  }
  return gitVersion;
}
