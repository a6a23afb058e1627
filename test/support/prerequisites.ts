// vitest globalSetup of every project: what tests need besides npm packages is built on first use and
// cached, as the control plane is, so `npm test` on a fresh clone runs every test and skips none —
// the ship tools (helm, promtool, gitops-check with gopher-lua, actionlint: test/helm/build.sh, from
// Go modules into ~/.cache/tenant-sync) and the build output (`npm run build`: dist/). Projects may
// set up at once, so one build runs at a time under a lock directory in the cache.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, repoRoot } from '../controlplane/paths.js';
import { shipTool, type ShipTool } from '../helm/tools.js';
import { builtSyncJob } from './build-output.js';
import { signalable } from './leftover-processes.js';

const shipToolNames: readonly ShipTool['name'][] = ['helm', 'promtool', 'gitops-check', 'actionlint'];

export default async function setup(): Promise<void> {
  await withLock(join(cacheRoot(), 'prerequisites.lock'), () => {
    const missing = shipToolNames.filter((name) => !shipTool(name).available);
    if (missing.length > 0) {
      console.error(`[prerequisites] building ${missing.join(', ')} from Go modules (once; cached in ${cacheRoot()}) — the first build takes minutes`);
      for (const name of missing) run('bash', [join(repoRoot, 'test/helm/build.sh'), name]);
    }
    if (!existsSync(builtSyncJob)) {
      console.error('[prerequisites] dist/ is missing: npm run build');
      run('npm', ['run', 'build']);
    }
  });
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`[prerequisites] \`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}): see the output above`);
}

/** True when the lock's holder is gone: its pid is not running, or it never wrote one within a minute. */
function staleLock(lockDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    return pid > 0 && !signalable(pid);
  } catch {
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 60_000;
    } catch {
      return false; // gone already: try again
    }
  }
}

/** Runs `fn` while holding a lock directory (a holder that died leaves a stale lock, which is taken over). */
async function withLock(lockDir: string, fn: () => void): Promise<void> {
  mkdirSync(cacheRoot(), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      if (staleLock(lockDir)) rmSync(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    writeFileSync(join(lockDir, 'pid'), String(process.pid));
    fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
