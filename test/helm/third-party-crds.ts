// The CRDs Argo CD, Flux and the Prometheus Operator ship (Application, Kustomization, GitRepository,
// ServiceMonitor, PrometheusRule), as `gitops-check crds` exports them from the projects' Go modules into its
// cache folder, installed into the test control plane for server-side dry-runs of our objects of those kinds.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { crdNameOf, waitForCrdsEstablished } from '../controlplane/crd-established.js';
import { kubectl, testKubeconfigPath } from '../controlplane/test-kube.js';
import { shipTool } from './tools.js';

export interface ThirdPartyCrd {
  /** The Go module the CRD file comes from, at version. */
  module: string;
  version: string;
  /** Its path in the module (the project's repository). */
  source: string;
  /** Where gitops-check exported it. */
  path: string;
  /** metadata.name, e.g. applications.argoproj.io. */
  name: string;
}

/** Every CRD gitops-check exports (fetching them with the go command if build.sh has not yet). Throws when it is not built. */
export function thirdPartyCrds(): ThirdPartyCrd[] {
  const tool = shipTool('gitops-check');
  const run = spawnSync(tool.path, ['crds'], { encoding: 'utf8' });
  if (run.error !== undefined || run.status !== 0) throw new Error(`${tool.path} crds failed (${run.error?.message ?? `exit ${run.status}`}): ${run.stderr}`);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const crd = JSON.parse(line) as Omit<ThirdPartyCrd, 'name'>;
      const doc = parse(readFileSync(crd.path, 'utf8')) as { kind: string; metadata: { name: string } };
      if (doc.kind !== 'CustomResourceDefinition') throw new Error(`${crd.path} (${crd.module}@${crd.version}/${crd.source}) is a ${doc.kind}`);
      return { ...crd, name: doc.metadata.name };
    });
}

/**
 * Installs the CRDs (server-side apply: Argo CD's Application CRD is too big for the last-applied
 * annotation) and waits until they are served. Returns the uninstall for afterAll, which deletes only the
 * CRDs that were not there before, so a CRD someone else installed stays.
 */
export async function installThirdPartyCrds(crds: readonly ThirdPartyCrd[]): Promise<() => Promise<void>> {
  const existing = await kubectl(['get', 'crd', '-o', 'name']);
  if (existing.code !== 0) throw new Error(`kubectl get crd: ${existing.stderr}`);
  const before = new Set(existing.stdout.split('\n').map((l) => crdNameOf(l.trim())));
  const ours = crds.filter((c) => !before.has(c.name)).map((c) => c.name);
  const uninstall = async () => {
    if (ours.length === 0) return;
    const result = await kubectl(['delete', 'crd', ...ours, '--ignore-not-found', '--timeout=60s'], { timeoutMs: 90_000 });
    if (result.code !== 0) throw new Error(`kubectl delete crd ${ours.join(' ')}: ${result.stderr}`);
  };
  try {
    for (const crd of crds) {
      const result = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=tenantsync-tests', '-f', crd.path]);
      if (result.code !== 0) throw new Error(`installing CRD ${crd.name} (${crd.module}@${crd.version}/${crd.source}): ${result.stderr}`);
    }
    await waitForCrdsEstablished(testKubeconfigPath(), crds.map((c) => c.name), 60_000);
  } catch (error) {
    await uninstall().catch(() => undefined);
    throw error;
  }
  return uninstall;
}
