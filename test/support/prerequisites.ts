// vitest globalSetup of every project: what tests need besides npm packages is built on first use and
// cached, as the control plane is, so `npm test` on a fresh clone runs every test and skips none —
// the ship tools (helm, promtool, gitops-check with gopher-lua, actionlint: test/helm/build.sh, from
// Go modules into ~/.cache/tenant-sync) and the build output (`npm run build`: dist/). Projects may
// set up at once: each build runs under a flock lock (build.sh's per tool, one here for dist/).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, repoRoot } from '../controlplane/paths.js';
import { shipTool, type ShipTool } from '../helm/tools.js';
import { builtSyncJob } from './build-output.js';

const shipToolNames: readonly ShipTool['name'][] = ['helm', 'promtool', 'gitops-check', 'actionlint'];

export default function setup(): void {
  const missing = shipToolNames.filter((name) => !shipTool(name).available);
  if (missing.length > 0) {
    console.error(`[prerequisites] building ${missing.join(', ')} from Go modules (once; cached in ${cacheRoot()}) — the first build takes minutes`);
    // build.sh takes a lock per tool, so projects setting up at once build each tool once.
    for (const name of missing) run('bash', [join(repoRoot, 'test/helm/build.sh'), name]);
  }
  if (!existsSync(builtSyncJob)) {
    console.error('[prerequisites] dist/ is missing: npm run build');
    // Under a lock (util-linux flock, as the build scripts use), and only if no other setup built it meanwhile.
    mkdirSync(cacheRoot(), { recursive: true });
    run('flock', [join(cacheRoot(), 'dist-build.lock'), 'sh', '-c', `test -f '${builtSyncJob}' || npm run build`]);
  }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`[prerequisites] \`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal}): see the output above`);
}
