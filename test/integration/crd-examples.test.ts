// Every top-level example manifest applies to the real API server as it is (examples/*.yaml;
// sub-folders such as examples/gitops/ have their own tests).
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createTestNamespace, kubectl, type TestNamespace } from '../controlplane/test-kube.js';

const examplesDir = new URL('../../examples/', import.meta.url);
const exampleFiles = (await readdir(examplesDir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => e.name).sort();

describe('examples/*.yaml', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('crd-examples');
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it('exist', () => {
    expect(exampleFiles).toEqual(expect.arrayContaining(['tenantsync-basic.yaml', 'tenantsync-schedule.yaml', 'tenantsync-sink-token.yaml', 'tenantsync-streams.yaml']));
  });

  it.each(exampleFiles)('%s applies', async (file) => {
    const text = await readFile(new URL(file, examplesDir), 'utf8');
    const objects = parseAllDocuments(text).map((d) => d.toJSON() as { kind: string; metadata: { name: string } } | null).filter((o) => o !== null);
    const applied = await kubectl(['apply', '-n', ns.name, '-f', '-'], { input: text });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    for (const o of objects) {
      const got = await kubectl(['get', '-n', ns.name, o.kind, o.metadata.name, '-o', 'name']);
      expect(got.code, `${o.kind}/${o.metadata.name}: ${got.stderr}`).toBe(0);
    }
    expect(objects.some((o) => o.kind === 'TenantSync')).toBe(true);
  });
});
