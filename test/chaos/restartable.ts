// Processes of the reliability suite that get killed and started again: a control-plane component
// (kube-apiserver, etcd) restarted with exactly its old command line (read from /proc, as
// operator-apiserver-restart.test.ts does) and the test kubelet's CLI as its own process, so that
// SIGKILL takes the node and its sync pods (they die with it: setpriv --pdeathsig).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalComponent, startComponent, stopProcess, type Component } from '../controlplane/processes.js';
import type { ControlPlane } from '../controlplane/control-plane.js';
import { operatorTestSyncImage } from '../support/system.js';

const repoRoot = join(import.meta.dirname, '..', '..');

export interface Restartable {
  readonly name: string;
  /** SIGKILL, wait for the exit, then start it again with the same command line. */
  restart(downMs?: number): Promise<void>;
  kill(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

function restartable(name: string, spawnOnce: (generation: number) => Component, first: Component): Restartable {
  let current: Component | undefined = first;
  let generation = 0;
  const kill = async () => {
    if (current === undefined) return;
    signalComponent(current, 'SIGKILL');
    await current.exited;
    current = undefined;
  };
  const start = () => {
    if (current !== undefined) throw new Error(`${name} already runs (pid ${current.pid})`);
    current = spawnOnce(++generation);
  };
  return {
    name,
    kill,
    start,
    async restart(downMs = 0) {
      await kill();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      start();
    },
    async stop() {
      if (current !== undefined) await stopProcess(current).catch(() => undefined);
      current = undefined;
    },
  };
}

/**
 * A component of `cp` (kube-apiserver or etcd) as a Restartable. The first kill ends the control plane's own
 * process; the restarted ones are this module's to stop (stop() before cp.stop()).
 */
export function controlPlaneComponent(cp: ControlPlane, name: 'kube-apiserver' | 'etcd'): Restartable {
  const recorded = cp.processes.find((p) => p.name === name);
  if (!recorded) throw new Error(`control plane has no ${name} process`);
  const cmdline = readFileSync(`/proc/${recorded.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const [command, ...args] = cmdline as [string, ...string[]];
  const first: Component = { ...recorded, name, logPath: '', exited: waitForExit(recorded.pid), hasExited: () => false };
  return restartable(name, (generation) => startComponent({ name: `${name}-${generation}`, command, args, logPath: join(cp.dir, 'logs', `${name}-${generation}.log`), lifetime: 'owned' }), first);
}

/** Resolves once a process this process did not spawn is gone. */
async function waitForExit(pid: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return { code: null, signal: 'SIGKILL' };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The test kubelet CLI playing `nodeName` for `namespace`, as a process of its own; its sync pods run the built dist/sync-job. */
export function kubeletProcess(options: { kubeconfigPath: string; nodeName: string; namespace: string; workDir: string }): Restartable {
  const spawnOnce = (generation: number) =>
    startComponent({
      name: `kubelet-${generation}`,
      command: process.execPath,
      args: [
        '--import',
        'tsx',
        join(repoRoot, 'test', 'kubelet', 'main.ts'),
        `--kubeconfig=${options.kubeconfigPath}`,
        `--node-name=${options.nodeName}`,
        `--namespace=${options.namespace}`,
        `--work-dir=${options.workDir}`,
        `--sync-image=${operatorTestSyncImage}`,
        '--sync-job-from=dist',
      ],
      logPath: join(options.workDir, `kubelet-process-${generation}.log`),
      lifetime: 'owned',
    });
  return restartable('kubelet', spawnOnce, spawnOnce(0));
}
