// The chart's defaults agree with the rest of the repository: its appVersion is the package version (the
// default image tags), and the default sync image and sync pod resources are the ones the operator itself falls back to.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultSyncImage } from '../../../operator/config.js';
import { builtinSyncPodDefaults } from '../../../operator/reconcile/sync-pod.js';
import { operatorChartMemoryLimitMiB } from '../../support/operator-process.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${repoRoot}${path}`, 'utf8');
const chart = parse(read('charts/tenant-sync/Chart.yaml')) as { appVersion: string; version: string };
const values = parse(read('charts/tenant-sync/values.yaml')) as { syncImage: { repository: string; tag: string }; syncPod: Record<string, unknown>; resources: { limits: { memory: string } } };
const pkg = JSON.parse(read('package.json')) as { version: string };

describe('chart defaults', () => {
  it('appVersion is the package version', () => {
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('defaults to the sync image the operator uses when started without --sync-image', () => {
    expect(`${values.syncImage.repository}:${values.syncImage.tag || chart.appVersion}`).toBe(defaultSyncImage);
  });

  it('gives sync pods the resources the operator gives them when started without --sync-resources', () => {
    expect(values.syncPod.resources).toEqual(builtinSyncPodDefaults.resources);
  });

  it("limits the operator's memory to what the operator-scale benchmark runs it with", () => {
    expect(values.resources.limits.memory).toBe(`${operatorChartMemoryLimitMiB}Mi`);
  });
});
