// vitest globalSetup of the `cluster` project: one real control plane (etcd, kube-apiserver,
// kube-controller-manager) for the whole run, with crds/ installed; torn down when the run ends.
import type { TestProject } from 'vitest/node';
import { controlPlaneBanner } from './banner.js';
import { startControlPlane } from './control-plane.js';
import { installCrds } from './crds.js';
import { binDirEnv, kubeconfigEnv, kubectlEnv } from './provided-context.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const controlPlane = await startControlPlane({ lifetime: 'owned' });
  let crds: string[];
  try {
    crds = await installCrds(controlPlane.kubectlPath, controlPlane.kubeconfigPath);
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  // controlPlane.version is what the running API server's /version answered, not the version we built.
  console.log(controlPlaneBanner({ version: controlPlane.version, server: controlPlane.server, startupMs: controlPlane.startupMs, crds }));

  project.provide('kubeconfigPath', controlPlane.kubeconfigPath);
  project.provide('kubectlPath', controlPlane.kubectlPath);
  project.provide('controlPlaneBinDir', controlPlane.binaries.binDir);
  project.provide('kubeApiServer', controlPlane.server);
  project.provide('kubernetesVersion', controlPlane.version);
  process.env[kubeconfigEnv] = controlPlane.kubeconfigPath;
  process.env[kubectlEnv] = controlPlane.kubectlPath;
  process.env[binDirEnv] = controlPlane.binaries.binDir;

  return async () => {
    await controlPlane.stop();
  };
}
