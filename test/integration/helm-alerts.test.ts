// The chart's PrometheusRule, evaluated by a real Prometheus rule engine: promtool checks the rendered
// rules and runs test/helm/alerts/*.promtest.yaml (stale tenant, failing tenant, no leader, operator down).
// Also the ServiceMonitor: it scrapes the metrics Service's named port, keeping the tenants' labels. Both are
// accepted (server-side dry-run) by the API server with the Prometheus Operator's own CRDs installed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTestNamespace, kubectl, type TestNamespace } from '../controlplane/test-kube.js';
import { findObject, renderChart, type K8sObject } from '../helm/helm.js';
import { installThirdPartyCrds, thirdPartyCrds } from '../helm/third-party-crds.js';
import { missingToolMessage, shipTool } from '../helm/tools.js';

const promtool = shipTool('promtool');
const skipReason = missingToolMessage(shipTool('helm')) ?? missingToolMessage(promtool);
if (skipReason !== undefined) console.warn(`[helm-alerts.test] skipped: ${skipReason}`);

const alertTestsDir = fileURLToPath(new URL('../helm/alerts/', import.meta.url));
const monitoring = { metrics: { prometheusRule: { enabled: true }, serviceMonitor: { enabled: true } } };

describe.skipIf(skipReason !== undefined)('chart alerts and scraping', () => {
  it('renders no monitoring.coreos.com objects unless asked (their CRDs may be absent)', async () => {
    const { objects } = await renderChart({ release: 'ts', namespace: 'ops' });
    expect(objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toEqual([]);
  });

  it('has rules promtool accepts and whose unit tests pass', async () => {
    const { objects } = await renderChart({ release: 'ts', namespace: 'ops', values: monitoring });
    const rule = findObject(objects, 'PrometheusRule') as unknown as { spec: { groups: { rules: { alert: string }[] }[] } };
    expect(rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort()).toEqual(['TenantSyncFailing', 'TenantSyncNoLeader', 'TenantSyncOperatorDown', 'TenantSyncStale']);

    const dir = mkdtempSync(join(tmpdir(), 'tenantsync-alerts-'));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: rule.spec.groups }));
    const check = spawnSync(promtool.path, ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('SUCCESS: 4 rules found');
    expect(check.status).toBe(0);

    const tests = readdirSync(alertTestsDir).filter((f) => f.endsWith('.promtest.yaml'));
    expect(tests.length).toBeGreaterThan(0);
    for (const file of tests) {
      copyFileSync(join(alertTestsDir, file), join(dir, file));
      const run = spawnSync(promtool.path, ['test', 'rules', join(dir, file)], { encoding: 'utf8' });
      expect(run.stdout + run.stderr, file).toMatch(/SUCCESS/);
      expect(run.status, run.stdout + run.stderr).toBe(0);
    }
  });

  it('follows its values: staleFactor, consecutiveFailures, operatorDownFor and severities', async () => {
    const values = { metrics: { prometheusRule: { enabled: true, staleFactor: 3, consecutiveFailures: 5, operatorDownFor: '10m', severity: 'page-low', criticalSeverity: 'page' } } };
    const { yaml } = await renderChart({ release: 'ts', namespace: 'ops', values });
    expect(yaml).toContain('> 3 * max by (namespace, tenantsync) (tenantsync_interval_seconds{job="ts-tenant-sync-metrics"})');
    expect(yaml).toContain('>= 5');
    expect(yaml).toMatch(/for: 10m/);
    expect(yaml).toMatch(/severity: page-low/);
    expect(yaml).toMatch(/severity: page\n/);
  });

  it('scrapes the metrics Service by its port name, in the release namespace, keeping tenant labels', async () => {
    const { objects } = await renderChart({ release: 'ts', namespace: 'ops', values: monitoring });
    const monitor = findObject(objects, 'ServiceMonitor') as unknown as {
      spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; honorLabels: boolean }[] };
    };
    const service = findObject(objects, 'Service') as unknown as { metadata: { labels: Record<string, string> }; spec: { ports: { name: string }[] } };
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.namespaceSelector.matchNames).toEqual(['ops']);
    expect(service.spec.ports.map((p) => p.name)).toContain(monitor.spec.endpoints[0]!.port);
    expect(monitor.spec.endpoints[0]!.honorLabels).toBe(true);
  });
});

// With TENANTSYNC_REQUIRE_SHIP_TOOLS=1 (CI) a missing tool throws here: the file fails, never skips.
const crdSkipReason = missingToolMessage(shipTool('helm')) ?? missingToolMessage(shipTool('gitops-check'));
if (crdSkipReason !== undefined) console.warn(`[helm-alerts.test] Prometheus Operator CRD dry-runs skipped: ${crdSkipReason}`);

describe.skipIf(crdSkipReason !== undefined)("chart monitoring objects against the Prometheus Operator's CRDs", () => {
  const crdNames = ['prometheusrules.monitoring.coreos.com', 'servicemonitors.monitoring.coreos.com'];
  let ns: TestNamespace | undefined;
  let uninstall: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const crds = thirdPartyCrds().filter((c) => crdNames.includes(c.name));
    expect(crds.map((c) => c.name).sort()).toEqual(crdNames);
    uninstall = await installThirdPartyCrds(crds);
    ns = await createTestNamespace('alerts-crds');
  });
  afterAll(async () => {
    await ns?.cleanup();
    await uninstall?.();
  });

  const monitoringObjects = async (values: Record<string, unknown>) =>
    (await renderChart({ release: 'ts', namespace: ns!.name, values })).objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'));
  const dryRun = (objects: readonly K8sObject[]) =>
    kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: objects.map((o) => stringify(o)).join('---\n') });

  it.each([
    ['the defaults', monitoring],
    [
      'every monitoring value set',
      {
        metrics: {
          serviceMonitor: { enabled: true, interval: '1m', scrapeTimeout: '20s', labels: { release: 'kube-prometheus-stack' } },
          prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' }, staleFactor: 3, consecutiveFailures: 5, operatorDownFor: '10m', severity: 'page-low', criticalSeverity: 'page' },
        },
      },
    ],
    [
      'the scrape and alert conventions (relabelings, metricRelabelings, honorLabels, job, operatorSelector, runbooks, a switched-off alert)',
      {
        metrics: {
          serviceMonitor: {
            enabled: true,
            honorLabels: false,
            relabelings: [{ action: 'replace', targetLabel: 'cluster', replacement: 'eu-1' }],
            metricRelabelings: [{ action: 'drop', sourceLabels: ['__name__'], regex: 'nodejs_.*' }],
          },
          prometheusRule: {
            enabled: true,
            job: 'tenant-sync',
            operatorSelector: 'cluster="eu-1"',
            runbookBaseUrl: 'https://runbooks.example/tenant-sync',
            alerts: { TenantSyncNoLeader: { enabled: false }, TenantSyncStale: { runbookUrl: 'https://wiki.example/stale' } },
          },
        },
      },
    ],
  ])('the ServiceMonitor and PrometheusRule with %s are accepted (server-side dry-run)', async (_name, values) => {
    const objects = await monitoringObjects(values);
    expect(objects.map((o) => o.kind).sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
    const result = await dryRun(objects);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.match(/serverside-applied \(server dry run\)/g)).toHaveLength(2);
  });

  it('the API server does reject what the CRDs forbid (so the dry-runs above can fail)', async () => {
    const objects = await monitoringObjects(monitoring);
    const rule = findObject(objects, 'PrometheusRule') as unknown as K8sObject & { spec: { groups: { rules: Record<string, unknown>[] }[] } };
    rule.spec.groups[0]!.rules[0]!.for = '10 minutes';
    const badRule = await dryRun([rule]);
    expect(badRule.code).not.toBe(0);
    expect(badRule.stderr).toMatch(/spec\.groups\[0\]\.rules\[0\]\.for/);
    const monitor = findObject(objects, 'ServiceMonitor') as unknown as K8sObject & { spec: { endpoints: Record<string, unknown>[] } };
    monitor.spec.endpoints[0]!.honorLabel = true; // misspelt honorLabels
    const badMonitor = await dryRun([monitor]);
    expect(badMonitor.code).not.toBe(0);
    expect(badMonitor.stderr).toMatch(/\.spec\.endpoints\[0\]\.honorLabel: field not declared in schema/);
  });
});
