// Waits until CRDs are served: polls each CRD's status.conditions through the API until Established and
// NamesAccepted are True. (`kubectl wait --for=condition=Established` races a CRD whose status is not set yet.)
import { ApiextensionsV1Api, KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { ControlPlaneError } from './errors.js';
import { sleep } from './processes.js';

/** The conditions a CRD needs before its resources can be created. */
export const requiredCrdConditions = ['NamesAccepted', 'Established'] as const;

const notFound = 'the CRD is not found';

export type CrdEstablishment = { ready: true } | { ready: false; why: string };

/** Pure: is this CRD (as read from the API, possibly without status yet) ready to serve its resources? */
export function crdEstablishment(crd: V1CustomResourceDefinition | undefined): CrdEstablishment {
  if (crd === undefined) return { ready: false, why: notFound };
  const conditions = crd.status?.conditions ?? [];
  if (conditions.length === 0) return { ready: false, why: 'status.conditions is not set yet' };
  const notTrue = requiredCrdConditions.flatMap((type) => {
    const condition = conditions.find((c) => c.type === type);
    if (condition === undefined) return [`${type} is not reported yet`];
    if (condition.status === 'True') return [];
    const detail = [condition.reason, condition.message].filter(Boolean).join(': ');
    return [`${type}=${condition.status}${detail ? ` (${detail})` : ''}`];
  });
  return notTrue.length === 0 ? { ready: true } : { ready: false, why: notTrue.join(', ') };
}

/** `customresourcedefinition.apiextensions.k8s.io/tenantsyncs.tenantsync.io` (kubectl -o name) → `tenantsyncs.tenantsync.io`. */
export function crdNameOf(kubectlName: string): string {
  return kubectlName.split('/').at(-1) ?? kubectlName;
}

const pollIntervalMs = 200;

function readFailure(error: unknown): string {
  if ((error as { code?: unknown }).code === 404) return notFound;
  const message = error instanceof Error ? error.message : String(error);
  return `reading it failed: ${message.split('\n')[0]}`;
}

/** Polls every CRD until ready; on timeout throws naming each CRD still not ready and why. */
export async function waitForCrdsEstablished(kubeconfigPath: string, crdNames: readonly string[], timeoutMs: number): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const pending = new Map(crdNames.map((name) => [name, 'not read yet']));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const name of [...pending.keys()]) {
      try {
        const state = crdEstablishment(await api.readCustomResourceDefinition({ name }));
        if (state.ready) pending.delete(name);
        else pending.set(name, state.why);
      } catch (error) {
        // Not found yet, or the API server briefly unreachable: keep polling, report the last error on timeout.
        pending.set(name, readFailure(error));
      }
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline) {
      const lines = [...pending].map(([name, why]) => `  CRD ${name}: ${why}`);
      throw new ControlPlaneError(
        'CONTROLPLANE_CRD_INSTALL_FAILED',
        `CRDs did not become Established with NamesAccepted within ${Math.round(timeoutMs / 1000)} s:\n${lines.join('\n')}`,
      );
    }
    await sleep(pollIntervalMs);
  }
}
