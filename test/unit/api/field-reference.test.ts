// The README's field reference is read off the CRD schema: every spec field, its type and default.
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
