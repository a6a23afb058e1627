// The chart's syncPod.* values, read the way the operator reads them: `helm template`, then the operator's
// own parseConfig over the Deployment's args, so a value reaches every sync pod exactly as the operator
// would apply it (operator/reconcile/sync-pod.ts decides how it combines with a TenantSync's spec.job).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../operator/config.js';
import { builtinSyncPodDefaults } from '../../../operator/reconcile/sync-pod.js';
import { chartDir, operatorArgs, renderChart, runHelm, valuesFile } from '../../helm/helm.js';
import { missingToolMessage, shipTool } from '../../helm/tools.js';

const skipReason = missingToolMessage(shipTool('helm'));
if (skipReason !== undefined) console.warn(`[chart-sync-pod.test] skipped: ${skipReason}`);

/** The operator's sync pod defaults as the rendered Deployment configures them. */
async function syncPodDefaults(values?: Record<string, unknown>) {
  const { objects } = await renderChart({ release: 'ts', namespace: 'tenant-sync-system', values });
  return parseConfig(operatorArgs(objects), { POD_NAMESPACE: 'tenant-sync-system' }, () => undefined).syncPod;
}

describe.skipIf(skipReason !== undefined)('the chart syncPod values (helm template → operator flags)', () => {
  it('by default gives the operator exactly its built-in sync pod defaults', async () => {
    expect(await syncPodDefaults()).toEqual(builtinSyncPodDefaults);
  });

  it('passes syncPod.resources as --sync-resources, merged by Helm into the defaults; null drops a key, or all (BestEffort)', async () => {
    const merged = await syncPodDefaults({ syncPod: { resources: { requests: { cpu: '50m' }, limits: { memory: '1Gi' } } } });
    expect(merged.resources).toEqual({ requests: { cpu: '50m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    const noCpuLimit = await syncPodDefaults({ syncPod: { resources: { limits: { cpu: null } } } });
    expect(noCpuLimit.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect((await syncPodDefaults({ syncPod: { resources: null } })).resources).toEqual({});
  });

  it('passes every other syncPod value as its --sync-* flag, the pull secrets after global.imagePullSecrets', async () => {
    // Each value, except the pull secrets, reaches the operator as it is written.
    const asWritten = {
      imagePullPolicy: 'Always',
      podLabels: { team: 'platform' },
      podAnnotations: { 'sidecar.istio.io/inject': 'false', 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8,172.16.0.0/12' },
      priorityClassName: 'batch-low',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['batch'] }] }] } } },
      serviceAccountName: 'tenant-sync-job',
      automountServiceAccountToken: true,
      proxy: { httpsProxy: 'http://proxy.example:3128', httpProxy: 'http://proxy.example:3128', noProxy: '.svc,.cluster.local,sink.internal:8443' },
      env: [{ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/extra/ca.crt' }, { name: 'TZ', value: 'UTC' }],
      envFrom: [{ configMapRef: { name: 'sync-common' } }],
      volumes: [{ name: 'extra-ca', configMap: { name: 'corp-ca-bundle' } }],
      volumeMounts: [{ name: 'extra-ca', mountPath: '/etc/ssl/extra', readOnly: true }],
    };
    const defaults = await syncPodDefaults({
      syncPod: { ...asWritten, imagePullSecrets: ['registry-b', { name: 'registry-c' }] },
      global: { imagePullSecrets: ['registry-a', 'registry-b'] },
    });
    expect(defaults).toEqual({ ...asWritten, resources: builtinSyncPodDefaults.resources, imagePullSecrets: ['registry-a', 'registry-b', 'registry-c'] });
  });

  it.each([
    ['an unknown pull policy', { imagePullPolicy: 'Sometimes' }, /syncPod\/imagePullPolicy/],
    ['a proxy that is not a URL', { proxy: { httpsProxy: 'proxy:3128' } }, /syncPod\/proxy\/httpsProxy/],
    ['a reserved variable', { env: [{ name: 'TENANTSYNC_CONFIG', value: 'x' }] }, /syncPod\/env\/0\/name/],
    ['a misspelt affinity', { affinity: { nodeAfinity: {} } }, /syncPod\/affinity/],
  ])('refuses %s before anything renders', async (_what, syncPod, message) => {
    const bad = await runHelm(['template', 'ts', chartDir, '-f', valuesFile({ syncPod })]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(message);
  });

  it('refuses a resources value that is not a quantity before anything renders', async () => {
    const bad = await runHelm(['template', 'ts', chartDir, '-f', valuesFile({ syncPod: { resources: { limits: { memory: 'lots' } } } })]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/syncPod\/resources\/limits\/memory/);
  });
});
