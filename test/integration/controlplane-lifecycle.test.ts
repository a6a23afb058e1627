// Proves the control plane leaves no process behind: `npm run cluster:up` / `cluster:down` for
// people, and an owned control plane whose starting process is SIGKILLed (a killed test run).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { controlPlaneSourceDir, repoRoot } from '../controlplane/paths.js';
import { isAlive } from '../controlplane/processes.js';
import { reapStaleRuns, type RecordedProcess, type RunState } from '../controlplane/run-state.js';
import { runKubectl } from '../controlplane/kubectl.js';
import { testKubectlPath } from '../controlplane/test-kube.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function untilAllGone(processes: RecordedProcess[], timeoutMs: number): Promise<RecordedProcess[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = processes.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    alive = processes.filter(isAlive);
  }
  return alive;
}

const scratch: string[] = [];
afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm run cluster:up / cluster:down', () => {
  it('starts a control plane that outlives the command, answers /readyz, and stops without leftovers', async () => {
    const clusterDir = await mkdtemp(join(tmpdir(), 'tenant-sync-cluster-cli-'));
    scratch.push(clusterDir);
    const env = { TENANTSYNC_CLUSTER_DIR: clusterDir };

    const up = await run('npm', ['run', '--silent', 'cluster:up'], env);
    expect(up.code, up.stderr).toBe(0);
    const kubeconfigPath = up.stdout.trim().split('\n').at(-1) ?? '';
    expect(kubeconfigPath).toBe(join(clusterDir, 'kubeconfig'));
    expect(up.stderr).toMatch(/Kubernetes v1\.\d+\.\d+ at https:\/\/127\.0\.0\.1:\d+/);

    const state = JSON.parse(await readFile(join(clusterDir, 'state.json'), 'utf8')) as RunState;
    expect(state.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager']);
    expect(state.processes.every(isAlive)).toBe(true);

    const readyz = await runKubectl(testKubectlPath(), kubeconfigPath, ['get', '--raw', '/readyz']);
    expect(readyz.stdout.trim()).toBe('ok');

    const again = await run('npm', ['run', '--silent', 'cluster:up'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(kubeconfigPath);
    expect(again.stderr).toMatch(/already running/);

    const down = await run('npm', ['run', '--silent', 'cluster:down'], env);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/stopped 3 process/);
    expect(state.processes.filter(isAlive)).toEqual([]);
    expect(existsSync(clusterDir)).toBe(false);

    const downAgain = await run('npm', ['run', '--silent', 'cluster:down'], env);
    expect(downAgain.code).toBe(0);
    expect(downAgain.stderr).toMatch(/nothing to stop/);
  });
});

describe('an owned control plane', () => {
  it('dies with the process that started it, even on SIGKILL, and its run directory is reaped', async () => {
    const runsRoot = await mkdtemp(join(tmpdir(), 'tenant-sync-runs-'));
    scratch.push(runsRoot);
    // node --import tsx directly: the tsx CLI would put a second process between us and the owner.
    const owner = spawn(process.execPath, ['--import', 'tsx', join(controlPlaneSourceDir, 'fixtures', 'hold-control-plane.ts')], {
      cwd: repoRoot,
      env: { ...process.env, TENANTSYNC_CONTROLPLANE_RUNS_DIR: runsRoot },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    owner.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const firstLine = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      owner.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        if (buffered.includes('\n')) resolve(buffered.split('\n')[0] ?? '');
      });
      owner.on('exit', (code) => reject(new Error(`fixture exited with ${code} before starting: ${stderr}`)));
    });
    const started = JSON.parse(firstLine) as { dir: string; processes: RecordedProcess[] };
    expect(started.processes).toHaveLength(3);
    expect(started.processes.every(isAlive)).toBe(true);

    owner.kill('SIGKILL');
    expect(await untilAllGone(started.processes, 30_000)).toEqual([]);

    expect(existsSync(started.dir)).toBe(true);
    await reapStaleRuns(runsRoot);
    expect(existsSync(started.dir)).toBe(false);
  });
});
