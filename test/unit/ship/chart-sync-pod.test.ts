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

  it('passes syncPod.resources as --sync-resources; {} leaves sync pods BestEffort', async () => {
    const custom = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } };
    expect((await syncPodDefaults({ syncPod: { resources: custom } })).resources).toEqual(custom);
    expect((await syncPodDefaults({ syncPod: { resources: {} } })).resources).toEqual({});
  });

  it('refuses a resources value that is not a quantity before anything renders', async () => {
    const bad = await runHelm(['template', 'ts', chartDir, '-f', valuesFile({ syncPod: { resources: { limits: { memory: 'lots' } } } })]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/syncPod\/resources\/limits\/memory/);
  });
});
