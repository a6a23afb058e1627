// Every TenantSync in examples/*.yaml passes the operator's own validation (the integration test
// applies the same files to a real API server).
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { describeSchemaError } from '../../../operator/api/schema-issues.js';
import { tenantSyncSchema } from '../../../operator/api/tenantsync.js';

const examplesDir = new URL('../../../examples/', import.meta.url);
const files = (await readdir(examplesDir)).filter((name) => /^tenantsync-.*\.yaml$/.test(name)).sort();

describe('examples', () => {
  it.each(files)('%s holds TenantSyncs the schema accepts', async (file) => {
    const docs = parseAllDocuments(await readFile(new URL(file, examplesDir), 'utf8')).map((d) => d.toJSON() as { kind?: string } | null);
    const tenantSyncs = docs.filter((d) => d?.kind === 'TenantSync');
    expect(tenantSyncs.length).toBeGreaterThan(0);
    for (const t of tenantSyncs) {
      const result = tenantSyncSchema.safeParse(t);
      expect(result.success, result.success ? '' : describeSchemaError(result.error)).toBe(true);
    }
  });
});
