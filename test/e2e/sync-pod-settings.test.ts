// Sync pods that real clusters accept (issue 14 §1), on the real control plane: the Job controller creates
// the run's pod through admission, so what the pod carries is what a cluster would run. A namespace whose
// ResourceQuota requires requests and limits admits the sync pod with the operator's default resources,
// and refuses the same pod without them (BestEffort); the operator's --sync-* settings (as the chart's
// syncPod values set them) and a tenant's spec.job reach the pod the Job controller creates, and its run goes
// through the egress proxy they name.
import type { V1CronJob } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError } from '../../operator/kube/errors.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { createCredentials, createTenant, jobOfRequest, jobs, podsOfJob, requestRun, startE2e, waitFor, waitForRunRecorded, type E2e } from './e2e-support.js';

const name = 'podset';
let e2e: E2e;

/** What quotas in shared clusters typically demand of every pod: cpu and memory, requested and limited. */
const quota = {
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name: 'compute' },
  spec: { hard: { pods: '10', 'requests.cpu': '2', 'requests.memory': '4Gi', 'limits.cpu': '4', 'limits.memory': '8Gi' } },
};

let proxy: ConnectProxy;

/** What the chart renders for syncPod.imagePullSecrets, .podLabels, .podAnnotations and .proxy. */
const operatorSyncPodArgs = (proxyUrl: string) => [
  '--sync-image-pull-secrets=registry-mirror',
  '--sync-pod-annotations={"sidecar.istio.io/inject":"false","example.com/cost-center":"platform"}',
  '--sync-pod-labels={"team":"platform"}',
  // The fakes are http:// on loopback, which this NO_PROXY does not name: the run goes through the proxy.
  `--sync-https-proxy=${proxyUrl}`,
  `--sync-http-proxy=${proxyUrl}`,
  '--sync-no-proxy=.svc,.cluster.local',
];

beforeAll(async () => {
  proxy = await startConnectProxy();
  e2e = await startE2e('e2e-podset', {
    accounts: { default: { apiKey: 'test-api-key', demo: { tickets: 20, days: 3 } } },
    operator: { args: ['--leader-elect=false', ...operatorSyncPodArgs(proxy.url)] },
  });
  await e2e.client.create({ ...quota, metadata: { ...quota.metadata, namespace: e2e.ns.name } } as never);
  // Quota admission refuses every pod until the resourcequota controller has written the quota's status.
  await waitFor('the ResourceQuota status', async () => {
    const stored = await e2e.client.get<{ status?: { hard?: Record<string, string> } }>({ apiVersion: 'v1', kind: 'ResourceQuota', namespace: e2e.ns.name, name: 'compute' });
    return stored?.status?.hard?.['limits.cpu'] !== undefined;
  });
  await createCredentials(e2e, e2e.system.freshdesk.apiKey);
  await createTenant(e2e, name, {
    interval: '24h',
    suspend: true,
    streams: [{ name: 'tickets' }],
    job: { podAnnotations: { 'example.com/cost-center': 'billing' }, env: [{ name: 'TZ', value: 'UTC' }] },
  });
}, 120_000);

afterAll(async () => {
  await e2e?.cleanup();
  await proxy?.close();
});

describe('sync pods in a namespace whose ResourceQuota requires requests and limits', () => {
  it("are admitted with the operator's default resources, and the run succeeds", { timeout: 180_000 }, async () => {
    await requestRun(e2e, name, 'quota');
    const job = await jobOfRequest(e2e, 'quota');
    const ts = await waitForRunRecorded(e2e, name, job.metadata!.name!);
    expect(ts.status?.lastRun).toMatchObject({ outcome: 'Succeeded' });
    expect(ts.status?.lastRun?.records).toBeGreaterThan(0);
    const [pod] = await podsOfJob(e2e, job.metadata!.name!);
    expect(pod?.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
  });
});

describe("the operator's --sync-* settings and the tenant's spec.job on the Job controller's pod", () => {
  it('carry pull secrets, labels, annotations (the tenant winning on a key) and the proxy env, with no token', async () => {
    const [job] = (await jobs(e2e)).filter((j) => j.metadata?.annotations?.['tenantsync.io/run-request'] === 'quota');
    const [pod] = await podsOfJob(e2e, job!.metadata!.name!);
    expect(pod?.spec?.imagePullSecrets).toEqual([{ name: 'registry-mirror' }]);
    expect(pod?.spec?.automountServiceAccountToken).toBe(false);
    expect(pod?.metadata?.labels).toMatchObject({ team: 'platform', 'tenantsync.io/name': name, 'tenantsync.io/trigger': 'manual' });
    expect(pod?.metadata?.annotations).toMatchObject({ 'sidecar.istio.io/inject': 'false', 'example.com/cost-center': 'billing' });
    const env = Object.fromEntries((pod?.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NO_PROXY: '.svc,.cluster.local', TZ: 'UTC' });
  });

  it('the run went through the egress proxy: its Freshdesk requests and its sink batches', () => {
    const freshdesk = e2e.system.freshdesk.baseUrl;
    expect(proxy.forwarded.filter((url) => url.startsWith(`${freshdesk}/api/v2/tickets`)).length).toBeGreaterThan(0);
    expect(proxy.forwarded).toContain(e2e.system.sink.url);
  });

  it('would be refused as BestEffort: the same pod without resources', async () => {
    const cronJob = await e2e.client.get<V1CronJob>({ apiVersion: 'batch/v1', kind: 'CronJob', namespace: e2e.ns.name, name });
    const template = cronJob!.spec!.jobTemplate.spec!.template;
    const spec = { ...template.spec!, containers: template.spec!.containers.map((c) => ({ ...c, resources: {} })) };
    const bestEffort = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'best-effort', namespace: e2e.ns.name }, spec };
    const refused = await e2e.client.create(bestEffort as never).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).code).toBe('KUBE_FORBIDDEN');
    expect((refused as KubeApiError).message).toMatch(/quota: compute.*must specify limits\.cpu/);
    expect((refused as KubeApiError).message).toMatch(/requests\.memory/);
  });
});
