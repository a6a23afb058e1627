// The chart's Grafana dashboard (charts/tenant-sync/dashboards/tenant-sync.json): valid JSON that Grafana's
// sidecar loads from the chart's ConfigMap, whose queries name only metrics the operator exports
// (operator/runtime/metrics.ts) with labels those metrics have, that promtool parses as PromQL, and that
// shows tenants by health, staleness, records and failures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createMetrics } from '../../../operator/runtime/metrics.js';
import { chartDir, findObject, renderChart } from '../../helm/helm.js';
import { missingToolMessage, shipTool } from '../../helm/tools.js';

interface Target {
  expr: string;
  legendFormat?: string;
}
interface Panel {
  title: string;
  type: string;
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; query: unknown }[] };
}

const dashboardText = readFileSync(join(chartDir, 'dashboards/tenant-sync.json'), 'utf8');
const dashboard = JSON.parse(dashboardText) as Dashboard;
const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/** The operator's metrics and their labels, from the registry the operator itself creates. */
const exported = new Map<string, string[]>();
for (const metric of createMetrics({ defaultMetrics: false }).registry.getMetricsAsArray()) {
  const m = metric as unknown as { name: string; labelNames?: string[] };
  exported.set(m.name, m.labelNames ?? []);
}
/** Labels every scraped series has. */
const targetLabels = ['job', 'instance'];

/** Metric selectors of a query: `metric{matchers}`, with the label names the matchers use. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)].map((m) => ({
    metric: m[1]!,
    labels: [...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!),
  }));
}
/** Labels of `by (...)` clauses and of the legend's `{{label}}`. */
const groupingLabels = (t: Target) => [
  ...[...t.expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())),
  ...[...(t.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!),
];
/** Every tenantsync_* name anywhere in a query (so none hides outside a selector). */
const namesIn = (expr: string) => [...expr.matchAll(/\btenantsync_[a-z0-9_]+/g)].map((m) => m[0]);

describe('the Grafana dashboard', () => {
  it('is valid JSON with panels and queries', () => {
    expect(dashboard.uid).toBe('tenant-sync');
    expect(dashboard.panels.length).toBeGreaterThan(0);
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(t.expr.trim(), t.panel).not.toBe('');
  });

  it('names only metrics the operator exports, with labels they have', () => {
    expect(exported.size).toBeGreaterThan(5);
    for (const t of targets) {
      const found = selectors(t.expr);
      expect(found.length, `${t.panel}: ${t.expr}`).toBeGreaterThan(0);
      for (const name of namesIn(t.expr)) expect([...exported.keys()], `${t.panel}: ${name}`).toContain(name);
      for (const s of found) {
        expect([...exported.keys()], `${t.panel}: ${s.metric}`).toContain(s.metric);
        for (const label of s.labels) expect([...targetLabels, ...exported.get(s.metric)!], `${t.panel}: ${s.metric}{${label}}`).toContain(label);
      }
      const available = new Set([...targetLabels, ...found.flatMap((s) => exported.get(s.metric) ?? [])]);
      for (const label of groupingLabels(t)) expect([...available], `${t.panel}: by/legend ${label} in ${t.expr}`).toContain(label);
    }
    // The variables' queries too.
    for (const v of dashboard.templating.list) {
      const query = typeof v.query === 'object' && v.query !== null ? (v.query as { query: string }).query : undefined;
      if (query?.startsWith('label_values(')) for (const s of selectors(query.replace(/^label_values\(([a-z_]+)\s*,/, '$1{},'))) expect([...exported.keys()]).toContain(s.metric);
    }
  });

  it('shows tenants by health, staleness, records and failures', () => {
    const uses = (metric: string) => targets.filter((t) => t.expr.includes(metric)).map((t) => t.panel);
    expect(dashboard.panels.map((p) => p.title)).toEqual(expect.arrayContaining(['Tenants', 'Healthy', 'Failing', 'Stale', 'Tenants by health']));
    expect(uses('tenantsync_last_success_timestamp_seconds')).toEqual(expect.arrayContaining(['Staleness (time since last success)', 'Stale']));
    expect(uses('tenantsync_records_synced_total')).toEqual(expect.arrayContaining(['Records synced']));
    expect(uses('tenantsync_consecutive_failures')).toEqual(expect.arrayContaining(['Failing', 'Failures in a row']));
    expect(uses('tenantsync_runs_total')).toEqual(expect.arrayContaining(['Runs by outcome']));
  });

  const promtool = shipTool('promtool');
  const promtoolSkip = missingToolMessage(promtool);
  it.skipIf(promtoolSkip !== undefined)('has queries promtool parses as PromQL (Grafana variables filled in)', () => {
    const fill = (expr: string) =>
      expr.replaceAll('$__rate_interval', '5m').replaceAll('$staleFactor', '2').replaceAll('$namespace', '.+').replaceAll('$job', '.+');
    const rules = { groups: [{ name: 'dashboard', rules: targets.map((t, i) => ({ record: `dashboard:query_${i}`, expr: fill(t.expr) })) }] };
    const dir = mkdtempSync(join(tmpdir(), 'tenantsync-dashboard-'));
    writeFileSync(join(dir, 'rules.yaml'), stringify(rules));
    const check = spawnSync(promtool.path, ['check', 'rules', join(dir, 'rules.yaml')], { encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain(`SUCCESS: ${targets.length} rules found`);
    expect(check.status).toBe(0);
  });

  const helmSkip = missingToolMessage(shipTool('helm'));
  it.skipIf(helmSkip !== undefined)('ships in a ConfigMap with the sidecar label only when enabled', async () => {
    expect(findObject((await renderChart({ release: 'ts', namespace: 'ops' })).objects, 'ConfigMap')).toBeUndefined();
    const { objects } = await renderChart({ release: 'ts', namespace: 'ops', values: { grafana: { dashboard: { enabled: true, namespace: 'grafana', annotations: { grafana_folder: 'Operators' } } } } });
    const configMap = findObject(objects, 'ConfigMap') as unknown as { metadata: { namespace: string; labels: Record<string, string>; annotations: Record<string, string> }; data: Record<string, string> };
    expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
    expect(configMap.metadata.namespace).toBe('grafana');
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Operators' });
    expect(JSON.parse(configMap.data['tenant-sync.json']!)).toEqual(dashboard);
  });
});
