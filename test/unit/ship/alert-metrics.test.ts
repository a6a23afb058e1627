// The chart's PrometheusRule alerts on series the operator really exports: every tenantsync_* name
// in the rule is registered by the operator's metrics, with the labels the rule groups by.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../operator/runtime/metrics.js';

const rule = readFileSync(fileURLToPath(new URL('../../../charts/tenant-sync/templates/prometheusrule.yaml', import.meta.url)), 'utf8');
const ruleMetricNames = [...new Set(rule.match(/\btenantsync_[a-z_]+/g) ?? [])].sort();

describe('chart alerts and operator metrics', () => {
  it('the rule uses the stale, failing and leader series', () => {
    expect(ruleMetricNames).toEqual(
      expect.arrayContaining(['tenantsync_consecutive_failures', 'tenantsync_interval_seconds', 'tenantsync_last_success_timestamp_seconds', 'tenantsync_leader']),
    );
  });

  it('every series the rule names is exported by the operator', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const exported = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(ruleMetricNames.filter((name) => !exported.includes(name))).toEqual([]);
  });

  it('per-tenant series carry the namespace and tenantsync labels the rule groups by', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.tenantLastSuccessTimestampSeconds.set({ namespace: 'team-a', tenantsync: 'acme' }, 1_700_000_000);
    metrics.tenantIntervalSeconds.set({ namespace: 'team-a', tenantsync: 'acme' }, 7200);
    metrics.tenantConsecutiveFailures.set({ namespace: 'team-a', tenantsync: 'acme' }, 3);
    const text = await metrics.registry.metrics();
    for (const name of ['tenantsync_last_success_timestamp_seconds', 'tenantsync_interval_seconds', 'tenantsync_consecutive_failures']) {
      expect(text).toMatch(new RegExp(`^${name}\\{namespace="team-a",tenantsync="acme"\\} \\d`, 'm'));
    }
  });
});
