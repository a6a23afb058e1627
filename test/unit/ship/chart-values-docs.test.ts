// The chart README's values table is generated from values.yaml's `# --` comments (test/helm/values-docs.ts):
// it must be the generated one (run `npx tsx test/helm/values-docs.ts --write` after changing values.yaml),
// every value must be documented (by itself or a documented parent), and every alert's runbook_url
// anchor must be a heading of the chart README.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { documentedValues, tableEnd, tableStart, undocumentedValues, valuesTable, withValuesTable } from '../../helm/values-docs.js';
import { chartDir } from '../../helm/helm.js';

const valuesYaml = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');

describe('the chart README values table', () => {
  it('is the one generated from values.yaml (npx tsx test/helm/values-docs.ts --write)', () => {
    expect(readme).toContain(tableStart);
    expect(readme).toContain(tableEnd);
    expect(readme, 'the chart README values table is stale: run `npx tsx test/helm/values-docs.ts --write`').toBe(withValuesTable(readme, valuesTable(valuesYaml)));
  });

  it('documents every value of values.yaml', () => {
    expect(undocumentedValues(valuesYaml)).toEqual([]);
  });

  it('reads `# --` comments as helm-docs does: the key below, nested paths, continuation lines, list contents left out', () => {
    const yaml = [
      '# plain comment, not documentation',
      'a:',
      '  # -- The b value,',
      '  # continued.',
      '  b: 1',
      '  c:',
      '    - name: x',
      '      # -- not a row: inside a list',
      '      value: y',
      '# -- Top d.',
      'd: {"e": 2}',
      '',
    ].join('\n');
    expect(documentedValues(yaml)).toEqual([
      { key: 'a.b', description: 'The b value, continued.', default: 1 },
      { key: 'd', description: 'Top d.', default: { e: 2 } },
    ]);
    expect(undocumentedValues(yaml)).toEqual(['a.c']);
    expect(valuesTable(yaml).split('\n')[2]).toBe('| `a.b` | int | `1` | The b value, continued. |');
  });

  it('a changed default makes the table stale', () => {
    const changed = valuesYaml.replace(/^replicas: 2$/m, 'replicas: 3');
    expect(changed).not.toBe(valuesYaml);
    expect(withValuesTable(readme, valuesTable(changed))).not.toBe(readme);
  });

  it("every alert's runbook anchor is a heading of the chart README", () => {
    const values = parse(valuesYaml) as { metrics: { prometheusRule: { runbookBaseUrl: string; alerts: Record<string, unknown> } } };
    expect(values.metrics.prometheusRule.runbookBaseUrl).toMatch(/\/charts\/tenant-sync\/README\.md$/);
    const anchors = [...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replaceAll(' ', '-'));
    for (const alert of Object.keys(values.metrics.prometheusRule.alerts)) expect(anchors).toContain(alert.toLowerCase());
  });
});
