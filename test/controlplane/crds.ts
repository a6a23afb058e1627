// Installs the CRDs generated into crds/ (npm run generate) and waits until each is Established with its
// names accepted, so a test can create TenantSyncs right away. An empty crds/ folder installs nothing.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crdNameOf, waitForCrdsEstablished } from './crd-established.js';
import { ControlPlaneError } from './errors.js';
import { runKubectl } from './kubectl.js';
import { repoRoot } from './paths.js';

export const crdsDir = join(repoRoot, 'crds');
const establishedTimeoutMs = 60_000;

/** Returns the names of the installed CRDs (e.g. customresourcedefinition.apiextensions.k8s.io/tenantsyncs.tenantsync.io). */
export async function installCrds(kubectlPath: string, kubeconfigPath: string, dir = crdsDir): Promise<string[]> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((name) => /\.ya?ml$/.test(name)).sort();
  if (files.length === 0) return [];
  const fileArgs = files.flatMap((name) => ['-f', join(dir, name)]);
  const applied = await runKubectl(kubectlPath, kubeconfigPath, ['apply', '--server-side', '--force-conflicts', '--field-manager=tenant-sync-test', '-o', 'name', ...fileArgs]);
  if (applied.code !== 0) {
    throw new ControlPlaneError('CONTROLPLANE_CRD_INSTALL_FAILED', `kubectl apply of ${files.join(', ')} from ${dir} failed:\n${applied.stderr.trim()}`);
  }
  const names = applied.stdout.split('\n').map((line) => line.trim()).filter((line) => line.startsWith('customresourcedefinition'));
  await waitForCrdsEstablished(kubeconfigPath, names.map(crdNameOf), establishedTimeoutMs);
  return names;
}
