// The controller-runtime peer (bench/operator-scale/peer, Go): built once into ~/.cache/tenant-sync by its
// build.sh, run as a process with the same client rate limit and worker count as the operator.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export function buildPeer(): string {
  const out = execFileSync('bash', [join(import.meta.dirname, 'peer', 'build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1) ?? '';
}

export interface PeerProcess {
  readonly process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the peer; resolves once its controller's workers run (its caches have synced). */
export async function startPeer(args: { binary: string; kubeconfig: string; childrenFile: string; qps: number; burst: number; workers: number }): Promise<PeerProcess> {
  const child = spawn(
    args.binary,
    [`--kubeconfig-file=${args.kubeconfig}`, `--children=${args.childrenFile}`, `--kube-api-qps=${args.qps >= 1e9 ? -1 : args.qps}`, `--kube-api-burst=${Math.min(args.burst, 1e6)}`, `--workers=${args.workers}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  while (!/Starting workers/.test(output)) {
    if (child.exitCode !== null) throw new Error(`the peer exited during start-up:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the peer did not start its workers within 120 s:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
