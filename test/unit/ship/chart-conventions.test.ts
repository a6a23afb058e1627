// The chart conventions users of cert-manager, external-secrets and Flux charts expect (`helm template`):
// name/namespace overrides and common labels, a global registry and pull secrets, digests, extraObjects,
// Deployment annotations/strategy/history, PDB maxUnavailable, ServiceAccount labels, the NetworkPolicy,
// ServiceMonitor and PrometheusRule values, and a schema that stays strict but lets umbrella charts set
// `global` (any keys) and `enabled`. test/integration/helm-chart.test.ts dry-runs them on the API server.
import type { V1Deployment, V1NetworkPolicy } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { chartDir, findDeployment, findObject, operatorArgs, renderChart, runHelm, type K8sObject } from '../../helm/helm.js';
import { missingToolMessage, shipTool } from '../../helm/tools.js';

const skipReason = missingToolMessage(shipTool('helm'));
if (skipReason !== undefined) console.warn(`[chart-conventions.test] skipped: ${skipReason}`);

const digest = `sha256:${'ab'.repeat(32)}`;
const render = (values?: Record<string, unknown>) => renderChart({ release: 'ts', namespace: 'ops', values });
const namespaced = (objects: readonly K8sObject[]) => objects.filter((o) => !['ClusterRole', 'ClusterRoleBinding'].includes(o.kind));

interface Rule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}
const rulesOf = (objects: readonly K8sObject[]) =>
  (findObject(objects, 'PrometheusRule') as unknown as { spec: { groups: { name: string; rules: Rule[] }[] } }).spec.groups;

describe.skipIf(skipReason !== undefined)('chart conventions (helm template)', () => {
  it('fullnameOverride names every object and nameOverride the app label; namespaceOverride places every namespaced object', async () => {
    const { objects } = await render({ fullnameOverride: 'syncer', namespaceOverride: 'platform' });
    for (const o of objects) expect(o.metadata.name, o.kind).toMatch(/^syncer(-|$)/);
    for (const o of namespaced(objects)) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('platform');
    expect(operatorArgs(objects)).toEqual(expect.arrayContaining(['--lease-namespace=platform', '--lease-name=syncer-leader']));
    const binding = findObject(objects, 'ClusterRoleBinding') as unknown as { subjects: { namespace: string }[] };
    expect(binding.subjects[0]!.namespace).toBe('platform');

    const renamed = await render({ nameOverride: 'tsync' });
    expect(findDeployment(renamed.objects).metadata!.name).toBe('ts-tsync');
    expect(findDeployment(renamed.objects).spec!.selector.matchLabels!['app.kubernetes.io/name']).toBe('tsync');
  });

  it('commonLabels go on every object and on the operator pods, not into the selector', async () => {
    const { objects } = await render({ commonLabels: { team: 'platform', 'cost-center': 'c42' } });
    for (const o of objects) expect(o.metadata.labels, `${o.kind} ${o.metadata.name}`).toMatchObject({ team: 'platform', 'cost-center': 'c42' });
    const deployment = findDeployment(objects);
    expect(deployment.spec!.template.metadata!.labels).toMatchObject({ team: 'platform' });
    expect(deployment.spec!.selector.matchLabels).not.toHaveProperty('team');
  });

  it('global.imageRegistry replaces the registry of both images (so tenants get the mirrored sync image), digests win over tags', async () => {
    const { objects } = await render({ global: { imageRegistry: 'mirror.example:5000' }, image: { repository: 'ghcr.io/tenant-sync/operator', digest } });
    expect(findDeployment(objects).spec!.template.spec!.containers[0]!.image).toBe(`mirror.example:5000/tenant-sync/operator@${digest}`);
    expect(operatorArgs(objects)).toContain('--sync-image=mirror.example:5000/tenant-sync/sync-job:0.1.0');
    const bare = await render({ global: { imageRegistry: 'mirror.example' }, syncImage: { repository: 'acme/sync', digest } });
    expect(operatorArgs(bare.objects)).toContain(`--sync-image=mirror.example/acme/sync@${digest}`);
  });

  it('global.imagePullSecrets (names or objects) come before imagePullSecrets, without repeats', async () => {
    const { objects } = await render({ global: { imagePullSecrets: ['mirror', { name: 'shared' }] }, imagePullSecrets: [{ name: 'shared' }, { name: 'own' }] });
    expect(findDeployment(objects).spec!.template.spec!.imagePullSecrets).toEqual([{ name: 'mirror' }, { name: 'shared' }, { name: 'own' }]);
    const none = await render();
    expect(findDeployment(none.objects).spec!.template.spec).not.toHaveProperty('imagePullSecrets');
  });

  it('deploymentAnnotations, strategy and revisionHistoryLimit reach the Deployment (not its pods)', async () => {
    const { objects } = await render({
      deploymentAnnotations: { 'reloader.stakater.com/auto': 'true' },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      revisionHistoryLimit: 2,
    });
    const deployment: V1Deployment = findDeployment(objects);
    expect(deployment.metadata!.annotations).toEqual({ 'reloader.stakater.com/auto': 'true' });
    expect(deployment.spec!.template.metadata!.annotations).toBeUndefined();
    expect(deployment.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect(deployment.spec!.revisionHistoryLimit).toBe(2);
  });

  it('podDisruptionBudget.maxUnavailable replaces minAvailable', async () => {
    const pdbSpec = async (values?: Record<string, unknown>) => (findObject((await render(values)).objects, 'PodDisruptionBudget') as unknown as { spec: Record<string, unknown> }).spec;
    expect(await pdbSpec()).toMatchObject({ minAvailable: 1 });
    const spec = await pdbSpec({ podDisruptionBudget: { maxUnavailable: '50%' } });
    expect(spec.maxUnavailable).toBe('50%');
    expect(spec).not.toHaveProperty('minAvailable');
  });

  it('serviceAccount.labels label the ServiceAccount', async () => {
    const { objects } = await render({ serviceAccount: { labels: { 'azure.workload.identity/use': 'true' } } });
    expect(findObject(objects, 'ServiceAccount')!.metadata.labels).toMatchObject({ 'azure.workload.identity/use': 'true' });
  });

  it('extraObjects renders objects and strings through tpl', async () => {
    const { objects } = await render({
      extraObjects: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '{{ include "tenant-sync.fullname" . }}-extra' }, data: { release: '{{ .Release.Name }}' } },
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-token\nstringData:\n  token: x\n',
      ],
    });
    expect(findObject(objects, 'ConfigMap', 'ts-tenant-sync-extra')).toMatchObject({ data: { release: 'ts' } });
    expect(findObject(objects, 'Secret', 'ts-token')).toBeDefined();
  });

  it('networkPolicy: ingress only to the operator port, egress only to the API server (given CIDRs and ports) and DNS', async () => {
    expect(findObject((await render()).objects, 'NetworkPolicy')).toBeUndefined();
    const from = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];
    const { objects } = await render({ networkPolicy: { enabled: true, metrics: { from }, apiServer: { cidrs: ['10.0.0.10/32'], ports: [6443] } } });
    const policy = findObject(objects, 'NetworkPolicy') as unknown as V1NetworkPolicy;
    expect(policy.spec!.podSelector?.matchLabels).toEqual(findDeployment(objects).spec!.selector.matchLabels);
    expect(policy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec!.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }], from }]);
    expect(policy.spec!.egress![0]).toEqual({ ports: [{ port: 6443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.0.0.10/32' } }] });
    expect(policy.spec!.egress![1]?.ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    expect(policy.spec!.egress).toHaveLength(2);
  });

  it('serviceMonitor: namespace, relabelings, metricRelabelings and honorLabels are values; it still scrapes the release namespace', async () => {
    const relabelings = [{ action: 'replace', targetLabel: 'cluster', replacement: 'eu-1' }];
    const metricRelabelings = [{ action: 'drop', sourceLabels: ['__name__'], regex: 'nodejs_.*' }];
    const { objects } = await render({ metrics: { serviceMonitor: { enabled: true, namespace: 'monitoring', honorLabels: false, relabelings, metricRelabelings } } });
    const monitor = findObject(objects, 'ServiceMonitor') as unknown as { metadata: { namespace: string }; spec: { namespaceSelector: { matchNames: string[] }; endpoints: Record<string, unknown>[] } };
    expect(monitor.metadata.namespace).toBe('monitoring');
    expect(monitor.spec.namespaceSelector.matchNames).toEqual(['ops']);
    expect(monitor.spec.endpoints[0]).toMatchObject({ honorLabels: false, relabelings, metricRelabelings });
  });

  it('every alert has a runbook_url into the chart README and can be switched off; the job selector is a value', async () => {
    const { objects } = await render({ metrics: { prometheusRule: { enabled: true } } });
    const rules = rulesOf(objects).flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(['TenantSyncStale', 'TenantSyncFailing', 'TenantSyncOperatorDown', 'TenantSyncNoLeader']);
    for (const r of rules) {
      expect(r.annotations.runbook_url).toBe(`https://github.com/tenant-sync/tenant-sync/blob/main/charts/tenant-sync/README.md#${r.alert.toLowerCase()}`);
    }

    const tuned = await render({
      metrics: {
        prometheusRule: {
          enabled: true,
          job: 'kubernetes-pods',
          operatorSelector: 'cluster="eu-1"',
          alerts: { TenantSyncFailing: { enabled: false }, TenantSyncNoLeader: { enabled: false }, TenantSyncOperatorDown: { enabled: false, runbookUrl: 'https://wiki.example/x' }, TenantSyncStale: { runbookUrl: 'https://wiki.example/stale' } },
        },
      },
    });
    const groups = rulesOf(tuned.objects);
    expect(groups.map((g) => g.name)).toEqual(['tenant-sync.tenants']); // a group without alerts is left out
    const [stale] = groups[0]!.rules;
    expect(groups[0]!.rules).toHaveLength(1);
    expect(stale!.annotations.runbook_url).toBe('https://wiki.example/stale');
    expect(stale!.expr).toContain('tenantsync_last_success_timestamp_seconds{job="kubernetes-pods"}');
    expect(stale!.expr).not.toContain('ts-tenant-sync-metrics');

    const operator = await render({ metrics: { prometheusRule: { enabled: true, job: 'tenant-sync', operatorSelector: 'cluster="eu-1"' } } });
    const down = rulesOf(operator.objects).flatMap((g) => g.rules).find((r) => r.alert === 'TenantSyncOperatorDown')!;
    expect(down.expr).toContain('up{job="tenant-sync", cluster="eu-1"}');
  });

  describe('values.schema.json', () => {
    it('accepts what umbrella charts set everywhere: global with any keys, and enabled', async () => {
      const result = await runHelm(['template', 'ts', chartDir, '--set', 'global.storageClass=fast', '--set', 'global.postgresql.auth.username=x', '--set', 'enabled=true']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    });

    const cases: [string, string[], RegExp][] = [
      ['a misspelt networkPolicy key', ['--set', 'networkPolicy.enable=true'], /additional properties 'enable' not allowed/],
      ['an API server address that is not a CIDR', ['--set', 'networkPolicy.apiServer.cidrs[0]=10.0.0.1'], /at '\/networkPolicy\/apiServer\/cidrs\/0'/],
      ['an unknown alert', ['--set', 'metrics.prometheusRule.alerts.TenantSyncSlow.enabled=false'], /additional properties 'TenantSyncSlow' not allowed/],
      ['an unknown strategy type', ['--set', 'strategy.type=BlueGreen'], /at '\/strategy\/type'/],
      ['a commonLabels value that is no label value', ['--set', 'commonLabels.team=a b'], /at '\/commonLabels\/team'/],
      ['a PDB maxUnavailable that is neither a number nor a percentage', ['--set', 'podDisruptionBudget.maxUnavailable=half'], /at '\/podDisruptionBudget\/maxUnavailable'/],
    ];
    for (const [what, args, message] of cases) {
      it(`rejects ${what}`, async () => {
        const result = await runHelm(['template', 'bad', chartDir, ...args]);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(message);
      });
    }
  });
});
