// The field reference (docs/reference.md) is read off the CRD schema: every spec field, its type and default.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fieldDocs, renderFieldReference } from '../../../operator/api/field-reference.js';

describe('field reference', () => {
  const docs = fieldDocs('spec');

  it('lists every spec field with its default and whether it is required', () => {
    const byPath = new Map(docs.map((d) => [d.path, d]));
    expect(byPath.get('spec.interval')).toMatchObject({ type: 'string', required: false, default: undefined });
    expect(byPath.get('spec.sink.batchSize')).toMatchObject({ type: 'integer', default: 100 });
    expect(byPath.get('spec.source.credentialsSecretRef.name')).toMatchObject({ required: true });
    expect(byPath.get('spec.source.streams[].name')?.type).toContain('`deleted_tickets`');
    expect(byPath.get('spec.job.resources.limits')?.type).toBe('map[string]quantity');
    expect(docs.every((d) => d.description.length > 0)).toBe(true);
  });

  it('renders one Markdown row per field, pipes escaped', () => {
    const lines = renderFieldReference('spec').trimEnd().split('\n');
    expect(lines).toHaveLength(docs.length + 2);
    for (const line of lines.slice(2)) expect(line.split(/(?<!\\)\|/)).toHaveLength(6);
  });
});

const referenceHeader = '| Field | Type | Default | Description |';

/** The Markdown tables in `markdown` that start with the field reference's header: each its header and following `|` lines. */
function referenceTables(markdown: string): string[] {
  const lines = markdown.split('\n');
  return lines.flatMap((line, i) => {
    if (line.trimEnd() !== referenceHeader) return [];
    const end = lines.findIndex((next, j) => j > i && !next.startsWith('|'));
    return [`${lines.slice(i, end < 0 ? lines.length : end).join('\n')}\n`];
  });
}

describe('the field reference in docs/reference.md', () => {
  const readme = readFileSync(new URL('../../../docs/reference.md', import.meta.url), 'utf8');

  it('is what `npm run generate -- --reference` prints today (paste its output over the table when this fails)', () => {
    const tables = referenceTables(readme);
    expect(tables, `docs/reference.md tables with the header ${referenceHeader}`).toHaveLength(1);
    expect(tables[0]).toBe(renderFieldReference('spec'));
  });

  it('is found by its header and ends at the first line that is not a table row', () => {
    const markdown = ['intro', referenceHeader, '|---|---|---|---|', '| `spec.a` | string | | A. |', '', '| other | table |'].join('\n');
    expect(referenceTables(markdown)).toEqual([`${referenceHeader}\n|---|---|---|---|\n| \`spec.a\` | string | | A. |\n`]);
    // A README whose table lost a row, or has a stale default, is not the rendered one.
    const rendered = renderFieldReference('spec');
    const [header, rule, first, ...rest] = rendered.trimEnd().split('\n');
    expect(referenceTables(['# doc', header, rule, ...rest].join('\n'))[0]).not.toBe(rendered);
    expect(referenceTables(['# doc', header, rule, first, ...rest].join('\n'))[0]).toBe(rendered);
  });
});
