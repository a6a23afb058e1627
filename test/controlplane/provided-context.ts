// What the cluster project's global setup hands to tests: vitest `inject(key)` values and the
// environment variables with the same content (for child processes such as the operator).
declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig of the test control plane (env KUBECONFIG_TENANTSYNC_TEST). */
    kubeconfigPath: string;
    /** The kubectl built with the control plane (env TENANTSYNC_TEST_KUBECTL). */
    kubectlPath: string;
    /** Directory of etcd, kube-apiserver, kube-controller-manager, kubectl (env TENANTSYNC_TEST_BIN_DIR). */
    controlPlaneBinDir: string;
    /** e.g. https://127.0.0.1:41649 */
    kubeApiServer: string;
    /** gitVersion of the API server, e.g. v1.37.2 */
    kubernetesVersion: string;
  }
}

export const kubeconfigEnv = 'KUBECONFIG_TENANTSYNC_TEST';
export const kubectlEnv = 'TENANTSYNC_TEST_KUBECTL';
export const binDirEnv = 'TENANTSYNC_TEST_BIN_DIR';
