// Shared pieces of the benchmark scripts: the compiled sync job, and a child process's peak RSS.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..');
const pollIntervalMs = 50;

/** Compiles sync-job into .tmp/bench-dist (as shipped: no node flags) and returns its main. */
export function buildSyncJob(): string {
  console.log('building sync-job into .tmp/bench-dist …');
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(repoRoot, 'bench/tsconfig.sync-job.json')], { stdio: 'inherit' });
  return join(repoRoot, '.tmp/bench-dist/sync-job/main.js');
}

/** Peak RSS (VmHWM) of a child process, polled from /proc until it exits. */
export async function peakRssOf(command: string[], env: NodeJS.ProcessEnv): Promise<{ peakKiB: number; code: number | null; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, command, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let peakKiB = 0;
  const poll = () => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
    } catch {
      // exited between polls
    }
  };
  const timer = setInterval(poll, pollIntervalMs);
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  clearInterval(timer);
  return { peakKiB, code, ms: Date.now() - started };
}
