// The chart ships the same TenantSync CRD as crds/: both are generated from operator/api/tenantsync.ts,
// so a schema change that is not regenerated into the chart (npm run generate:chart) fails here.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crdFile, renderCrdYaml } from '../../../operator/api/crd.js';
import { chartCrdFile } from '../../helm/generate-chart-crd.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${repoRoot}${path}`, 'utf8');

describe('the chart CRD', () => {
  it('is what the zod schema generates today (run `npm run generate:chart` when this fails)', () => {
    expect(read(chartCrdFile)).toBe(renderCrdYaml());
  });

  it('is byte for byte the CRD in crds/', () => {
    expect(read(chartCrdFile)).toBe(read(crdFile));
  });
});
