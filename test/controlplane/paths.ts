// Where the control plane keeps things: the binary cache keyed by Kubernetes version (outside the
// repo), the per-run directories of test control planes, and the directory of `npm run cluster:up`.
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const controlPlaneSourceDir = dirname(fileURLToPath(import.meta.url));
export const goModulePath = join(controlPlaneSourceDir, 'go', 'go.mod');
export const buildScriptPath = join(controlPlaneSourceDir, 'build.sh');
export const repoRoot = join(controlPlaneSourceDir, '..', '..');

/** Same rule as build.sh and .ci/node24.sh: TENANTSYNC_CACHE_DIR, else $XDG_CACHE_HOME/tenant-sync. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.TENANTSYNC_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tenant-sync');
}

/** Test control planes live here, one `run-*` directory each, so a later start can reap dead ones. */
export function testRunsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.TENANTSYNC_CONTROLPLANE_RUNS_DIR ?? join(tmpdir(), 'tenant-sync-controlplane');
}

/** The long-lived control plane of `npm run cluster:up`. */
export function clusterDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TENANTSYNC_CLUSTER_DIR ?? join(cacheRoot(env), 'run', 'cluster');
}

/** The k8s.io/kubernetes version the wrapper module pins, read from its go.mod text. */
export function kubernetesVersionFromGoMod(goModText: string): string {
  const match = /^\s*(?:require\s+)?k8s\.io\/kubernetes\s+(v\d+\.\d+\.\d+\S*)/m.exec(goModText);
  if (!match?.[1]) throw new Error('test/controlplane/go/go.mod does not require k8s.io/kubernetes');
  return match[1];
}

export function binDirFor(kubernetesVersion: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), `k8s-${kubernetesVersion}`, 'bin');
}
