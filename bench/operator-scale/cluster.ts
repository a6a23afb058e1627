// A fresh control plane for each measured case (etcd + kube-apiserver; no kube-controller-manager: no Job
// may start during a measurement), with the CRDs, the bench namespace, its default ServiceAccount and the
// tenants' Secret.
import { apiVersion, kind, plural } from '../../operator/api/tenantsync.js';
import { KubeClient, loadKubeConfig } from '../../operator/kube/client.js';
import { startControlPlane, type ControlPlane } from '../../test/controlplane/control-plane.js';
import { installCrds } from '../../test/controlplane/crds.js';
import { createSecret } from '../../test/integration/operator-helpers.js';
import { benchNamespace, credentialsSecret } from './tenants.js';

/** A client rate limit so high it never waits (client-go's QPS < 0). */
export const unthrottled = { qps: 1e9, burst: 1e9 };

export interface BenchCluster {
  controlPlane: ControlPlane;
  /** A client of the bench itself (creates, watches), never rate-limited. */
  client(limits?: { qps: number; burst: number }, userAgent?: string): KubeClient;
  stop(): Promise<void>;
}

export async function startBenchCluster(): Promise<BenchCluster> {
  const controlPlane = await startControlPlane({ controllerManager: false });
  const clients: KubeClient[] = [];
  const client = (limits = unthrottled, userAgent = 'tenant-sync-bench') => {
    const c = new KubeClient({ kubeConfig: loadKubeConfig({ kubeconfigPath: controlPlane.kubeconfigPath }), userAgent, ...limits });
    c.registerResourceType({ apiVersion, kind, plural, namespaced: true });
    clients.push(c);
    return c;
  };
  try {
    await installCrds(controlPlane.kubectlPath, controlPlane.kubeconfigPath);
    const admin = client();
    await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: benchNamespace } });
    // What kube-controller-manager (not run here) would make: pods of the Job history need it to be admitted.
    await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: benchNamespace } });
    await createSecret(admin, benchNamespace, credentialsSecret, { apiKey: 'bench' });
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  return {
    controlPlane,
    client,
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      await controlPlane.stop();
    },
  };
}
