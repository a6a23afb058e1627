// The built programs (`npm run build` output) that some tests run the way users and the image do. Without
// the build those tests skip with a warning; under CI (`CI` set, as .ci/run does, after building) they run
// and fail on the missing file instead, so CI can never pass by skipping them.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../controlplane/paths.js';

/** dist/sync-job/main.js: the package's `sync-job` bin and the image's sync entrypoint. */
export const builtSyncJob = join(repoRoot, 'dist', 'sync-job', 'main.js');

/** dist/operator/main.js: the image's operator entrypoint. */
export const builtOperator = join(repoRoot, 'dist', 'operator', 'main.js');

/** Why a test that runs `path` must skip (warned once here), or undefined when it runs: the file is there, or CI. */
export function skipWithoutBuild(path: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (existsSync(path) || env.CI) return undefined;
  const reason = `${relative(repoRoot, path)} is missing: run \`npm run build\` first`;
  console.warn(`skipped: ${reason}`);
  return reason;
}

/**
 * `npm run build` of this checkout, for runs that start the built programs and must not run a stale dist/
 * (the chaos suite, the operator benchmark). Throws when the build fails.
 */
export function buildDist(): void {
  console.error('[build] npm run build (the operator and the sync job run from dist/)');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'inherit' });
}
