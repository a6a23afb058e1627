// Finds the control plane binaries in the version-keyed cache, building them with build.sh first
// when one is missing (the first build takes many minutes; its progress is streamed to stderr).
import { spawn } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ControlPlaneError } from './errors.js';
import { binDirFor, buildScriptPath, goModulePath, kubernetesVersionFromGoMod } from './paths.js';

export const binaryNames = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'] as const;
export type BinaryName = (typeof binaryNames)[number];

export interface Binaries {
  kubernetesVersion: string;
  binDir: string;
  paths: Record<BinaryName, string>;
}

function pathsIn(binDir: string): Record<BinaryName, string> {
  return Object.fromEntries(binaryNames.map((name) => [name, join(binDir, name)])) as Record<BinaryName, string>;
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(() => true, () => false);
}

/** The binaries of the pinned version if all are cached already; no Go needed on this path. */
export async function cachedBinaries(): Promise<Binaries | undefined> {
  const kubernetesVersion = kubernetesVersionFromGoMod(await readFile(goModulePath, 'utf8'));
  const binDir = binDirFor(kubernetesVersion);
  const paths = pathsIn(binDir);
  const present = await Promise.all(Object.values(paths).map(isExecutable));
  return present.every(Boolean) ? { kubernetesVersion, binDir, paths } : undefined;
}

/**
 * Returns the cached binaries, running build.sh when any is missing. build.sh takes a lock, so
 * concurrent callers (a test run and `npm run cluster:up`) wait for one build instead of racing.
 */
export async function ensureBinaries(progress: NodeJS.WritableStream = process.stderr): Promise<Binaries> {
  const cached = await cachedBinaries();
  if (cached) return cached;
  progress.write('[controlplane] binaries missing: building them with test/controlplane/build.sh\n');
  const stdout = await runBuildScript(progress);
  const lastLine = stdout.trim().split('\n').at(-1) ?? '';
  const built = await cachedBinaries();
  if (!built) {
    throw new ControlPlaneError(
      'CONTROLPLANE_BUILD_FAILED',
      `build.sh finished but the binaries are not all in the cache (it printed "${lastLine}"); run bash test/controlplane/build.sh and read its output`,
    );
  }
  return built;
}

function runBuildScript(progress: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [buildScriptPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => progress.write(chunk));
    child.on('error', (error) =>
      reject(new ControlPlaneError('CONTROLPLANE_BUILD_FAILED', `could not run build.sh: ${error.message}`, { cause: error })),
    );
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new ControlPlaneError(
        'CONTROLPLANE_BUILD_FAILED',
        `test/controlplane/build.sh failed (${signal ?? `exit ${code}`}); its output is above — a Go toolchain (go >= the go.mod line) and access to the Go module proxy are needed`,
      ));
    });
  });
}
