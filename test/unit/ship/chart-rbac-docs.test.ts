// The chart README's RBAC table says what the operator's ServiceAccount may do in a watched namespace: it must be
// exactly the rules of the chart (templates/_helpers.tpl, tenant-sync.watchRules), so a security review reading
// the README sees every right that is granted, and no more.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartDir } from '../../helm/helm.js';

/** "group resource: verbs" lines, sorted. */
function grants(rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]): string[] {
  return rules
    .flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g || 'core'} ${res}: ${[...r.verbs].sort().join(', ')}`)))
    .sort();
}

function chartRules(): string[] {
  const helpers = readFileSync(join(chartDir, 'templates', '_helpers.tpl'), 'utf8');
  const block = /\{\{-? define "tenant-sync\.watchRules" -?\}\}\n([\s\S]*?)\{\{-? end -?\}\}/.exec(helpers)?.[1];
  if (block === undefined) throw new Error('no tenant-sync.watchRules in _helpers.tpl');
  return grants(parse(block) as { apiGroups: string[]; resources: string[]; verbs: string[] }[]);
}

function readmeRules(): string[] {
  const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## What the operator may do (RBAC)'));
  const rows = section
    .split('\n')
    .filter((line) => /^\| (`[^`]+`|core) \|/.test(line))
    .map((line) => line.split('|').slice(1, 4).map((cell) => cell.trim()));
  const strip = (cell: string) => cell.replaceAll('`', '');
  return grants(
    rows.map(([group, resources, verbs]) => ({
      apiGroups: [strip(group!) === 'core' ? '' : strip(group!)],
      resources: strip(resources!).split(/,\s*/),
      verbs: verbs!.split(/,\s*/),
    })),
  );
}

describe('the chart README RBAC table', () => {
  it('lists exactly the rights the chart grants in a watched namespace', () => {
    const chart = chartRules();
    expect(chart.length).toBeGreaterThan(5);
    expect(readmeRules()).toEqual(chart);
  });
});
