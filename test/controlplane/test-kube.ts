// Helpers for tests of the `cluster` vitest project (test/integration, test/e2e), which all share
// the one control plane started by global-setup.ts. Usage:
//
//   import { CoreV1Api } from '@kubernetes/client-node';
//   import { createTestNamespace, kubectl, testKubeConfig } from '../controlplane/test-kube.js';
//
//   const core = testKubeConfig().makeApiClient(CoreV1Api);       // admin (system:masters) client
//   let ns: TestNamespace;
//   beforeAll(async () => { ns = await createTestNamespace('reconcile'); });  // e.g. reconcile-k3x9q
//   afterAll(() => ns.cleanup());
//   const { code, stdout, stderr } = await kubectl(['-n', ns.name, 'apply', '-f', '-'], { input: yaml });
//
// Where the values come from: inject('kubeconfigPath') etc. (vitest provide/inject, set by the
// global setup), falling back to the env variables KUBECONFIG_TENANTSYNC_TEST / TENANTSYNC_TEST_KUBECTL,
// which the global setup also sets; pass the env variable on to child processes (e.g. the operator).
// Least-privilege checks: kubectl(['--as=system:serviceaccount:ns:name', 'auth', 'can-i', ...]).
import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { runKubectl, type KubectlOptions, type KubectlResult } from './kubectl.js';
import { kubeconfigEnv, kubectlEnv } from './provided-context.js';

export type { KubectlOptions, KubectlResult } from './kubectl.js';

function provided(key: 'kubeconfigPath' | 'kubectlPath', envName: string): string {
  let value: string | undefined;
  try {
    value = inject(key);
  } catch {
    // Not inside a vitest worker: fall back to the environment.
  }
  value ||= process.env[envName];
  if (!value) {
    throw new Error(`${key} is not set: run this test in the vitest "cluster" project (its global setup starts the control plane) or set ${envName}`);
  }
  return value;
}

/** Path of the admin kubeconfig of the test control plane. */
export function testKubeconfigPath(): string {
  return provided('kubeconfigPath', kubeconfigEnv);
}

/** Path of the kubectl binary built with the control plane (same version as the API server). */
export function testKubectlPath(): string {
  return provided('kubectlPath', kubectlEnv);
}

/** A client-node KubeConfig for the test control plane, authenticated as cluster admin. */
export function testKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(testKubeconfigPath());
  return kubeConfig;
}

/**
 * Runs `kubectl --kubeconfig=<test kubeconfig> ...args`. Resolves with {code, stdout, stderr} for
 * any exit code (assert on them); `input` goes to stdin; killed after `timeoutMs` (default 60 s, code 124).
 */
export function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  return runKubectl(testKubectlPath(), testKubeconfigPath(), args, options);
}

export interface TestNamespace {
  name: string;
  /** Deletes the namespace (and so everything in it); does not wait for it to be gone unless `wait`. */
  cleanup(options?: { wait?: boolean }): Promise<void>;
}

const maxNamespaceLength = 63;
const serviceAccountWaitMs = 30_000;
const namespaceGoneWaitMs = 120_000;
const pollIntervalMs = 100;

/** A DNS-label name `<prefix>-<5 random chars>`; the prefix is lower-cased and cut to fit. */
export function testNamespaceName(prefix: string): string {
  const suffix = randomBytes(8).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 5).padEnd(5, '0');
  const cleaned = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'test';
  return `${cleaned.slice(0, maxNamespaceLength - suffix.length - 1).replace(/-+$/, '')}-${suffix}`;
}

/**
 * Creates a fresh namespace labelled tenantsync.io/test=true and waits until its `default`
 * ServiceAccount exists (kube-controller-manager creates it; pods cannot be created before).
 */
export async function createTestNamespace(prefix: string): Promise<TestNamespace> {
  const core = testKubeConfig().makeApiClient(CoreV1Api);
  const name = testNamespaceName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels: { 'tenantsync.io/test': 'true' } } } });
  await waitFor(`ServiceAccount ${name}/default`, serviceAccountWaitMs, () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true, (error: unknown) => (isNotFound(error) ? false : Promise.reject(error))),
  );
  return {
    name,
    async cleanup(options = {}) {
      await core.deleteNamespace({ name }).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
      if (options.wait) {
        await waitFor(`namespace ${name} to be deleted`, namespaceGoneWaitMs, () =>
          core.readNamespace({ name }).then(() => false, (error: unknown) => (isNotFound(error) ? true : Promise.reject(error))),
        );
      }
    },
  };
}

function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}
