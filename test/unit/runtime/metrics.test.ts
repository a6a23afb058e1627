import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBuildInfo } from '../../../operator/runtime/build-info.js';
import { countTenantRun, createMetrics, setTenantGauges } from '../../../operator/runtime/metrics.js';

describe('operator metrics', () => {
  it('per-tenant series are labelled namespace and tenantsync (not the generic name)', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const tenant = { namespace: 'team-a', name: 'acme' };
    setTenantGauges(metrics, tenant, { lastSuccessSeconds: 1_700_000_000, intervalSeconds: 7200, consecutiveFailures: 1 });
    countTenantRun(metrics, tenant, 'Failed', 0);
    const text = await metrics.registry.metrics();
    expect(text).toContain('tenantsync_interval_seconds{namespace="team-a",tenantsync="acme"} 7200');
    expect(text).toContain('tenantsync_runs_total{namespace="team-a",tenantsync="acme",outcome="Failed"} 1');
    expect(text).not.toMatch(/^tenantsync_\w+\{[^}]*\bname="/m);
  });

  it('exports the work-queue latency and retries, as controller-runtime does', async () => {
    const names = (await createMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['tenantsync_workqueue_depth', 'tenantsync_workqueue_queue_duration_seconds', 'tenantsync_workqueue_retries_total', 'tenantsync_kube_requests_total']));
  });

  it('tenantsync_build_info is 1 with the version and Node.js version as labels', async () => {
    const metrics = createMetrics({ defaultMetrics: false, build: { version: '1.2.3', nodeVersion: 'v24.1.0' } });
    expect(await metrics.registry.metrics()).toContain('tenantsync_build_info{version="1.2.3",nodejs_version="v24.1.0"} 1');
  });

  it('the build version is the nearest tenant-sync package.json above the code, else unknown', () => {
    const root = mkdtempSync(join(tmpdir(), 'build-info-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'tenant-sync', version: '9.8.7' }));
    const deep = join(root, 'dist', 'operator', 'runtime');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ name: 'something-else', version: '0.0.1' }));
    expect(readBuildInfo(deep)).toEqual({ version: '9.8.7', nodeVersion: process.version });
    expect(readBuildInfo(mkdtempSync(join(tmpdir(), 'no-pkg-'))).version).toBe('unknown');
    expect(readBuildInfo().version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
