// Proves the test control plane is a real, correctly built Kubernetes: ready, the pinned version,
// RBAC enforced, ServiceAccount tokens signed, and kube-controller-manager's controllers at work.
import { readFile } from 'node:fs/promises';
import {
  ApiException,
  AuthenticationV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  VersionApi,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { goModulePath, kubernetesVersionFromGoMod } from '../controlplane/paths.js';
import { createTestNamespace, kubectl, testKubeConfig, type TestNamespace } from '../controlplane/test-kube.js';

const pollIntervalMs = 200;
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
}
const notFoundAs = <T>(fallback: T) => (error: unknown) => {
  if (error instanceof ApiException && error.code === 404) return fallback;
  throw error;
};

describe('test control plane', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('controlplane');
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it('hands the kubeconfig to tests through inject() and the environment', () => {
    expect(inject('kubeconfigPath')).toMatch(/kubeconfig$/);
    expect(process.env.KUBECONFIG_TENANTSYNC_TEST).toBe(inject('kubeconfigPath'));
    expect(process.env.TENANTSYNC_TEST_KUBECTL).toBe(inject('kubectlPath'));
  });

  it('answers /readyz with ok', async () => {
    const result = await kubectl(['get', '--raw', '/readyz']);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });

  it('reports the Kubernetes version pinned in the Go wrapper module', async () => {
    const pinned = kubernetesVersionFromGoMod(await readFile(goModulePath, 'utf8'));
    const version = await testKubeConfig().makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(pinned);
    expect(inject('kubernetesVersion')).toBe(pinned);
    const client = await kubectl(['version', '--client', '-o', 'json']);
    expect(JSON.parse(client.stdout).clientVersion.gitVersion).toBe(pinned);
  });

  it('enforces RBAC: an unprivileged user may not list secrets, the admin may', async () => {
    const denied = await kubectl(['--as=jane', 'get', 'secrets', '-n', ns.name]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/forbidden: User "jane" cannot list resource "secrets"/);
    const canI = await kubectl(['--as=jane', 'auth', 'can-i', 'list', 'secrets', '-n', ns.name]);
    expect(canI.stdout.trim()).toBe('no');
    const allowed = await kubectl(['get', 'secrets', '-n', ns.name]);
    expect(allowed.code).toBe(0);
  });

  it('issues ServiceAccount tokens (TokenRequest) that authenticate as the ServiceAccount', async () => {
    expect((await kubectl(['-n', ns.name, 'create', 'serviceaccount', 'probe'])).code).toBe(0);
    const token = (await kubectl(['-n', ns.name, 'create', 'token', 'probe', '--duration=10m'])).stdout.trim();
    expect(token.split('.')).toHaveLength(3);

    const admin = testKubeConfig();
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error('test kubeconfig has no cluster');
    const asServiceAccount = new KubeConfig();
    asServiceAccount.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'probe', token }],
      contexts: [{ name: 'probe', cluster: cluster.name, user: 'probe' }],
      currentContext: 'probe',
    });
    const review = await asServiceAccount.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${ns.name}:probe`);
    const listing = asServiceAccount.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: ns.name });
    await expect(listing).rejects.toMatchObject({ code: 403 });
  });

  it('runs kube-controller-manager: new namespaces get a default ServiceAccount', async () => {
    const core = testKubeConfig().makeApiClient(CoreV1Api);
    const created = await createTestNamespace('sa-check');
    try {
      const account = await eventually('the default ServiceAccount', 30_000, () =>
        core.readNamespacedServiceAccount({ name: 'default', namespace: created.name }).catch(notFoundAs(undefined)),
      );
      expect(account.metadata?.namespace).toBe(created.name);
    } finally {
      await created.cleanup({ wait: true });
    }
    const gone = await core.readNamespace({ name: created.name }).catch(notFoundAs('gone'));
    expect(gone).toBe('gone');
  });

  it('runs the job and garbage-collector controllers: a Job gets a pod, deleting the Job deletes it', async () => {
    const kubeConfig = testKubeConfig();
    const batch = kubeConfig.makeApiClient(BatchV1Api);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'probe' },
        spec: {
          backoffLimit: 0,
          template: { spec: { restartPolicy: 'Never', automountServiceAccountToken: false, containers: [{ name: 'main', image: 'example.invalid/probe:1' }] } },
        },
      },
    });
    const pod = await eventually('a pod of Job probe', 30_000, async () => {
      const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=probe' });
      return pods.items[0];
    });
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'probe', controller: true });

    await batch.deleteNamespacedJob({ name: 'probe', namespace: ns.name, propagationPolicy: 'Background' });
    await eventually('the garbage collector to delete the pod', 60_000, async () => {
      const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=probe' });
      // Unscheduled pods are deleted at once; the Job controller drops its tracking finalizer.
      return pods.items.length === 0 ? true : undefined;
    });
  });
});
