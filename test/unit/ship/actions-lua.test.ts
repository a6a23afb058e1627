// The Argo CD resource actions of TenantSync: every case of health/.../actions/action_test.yaml (Argo CD's format)
// run by real Lua interpreters (gopher-lua as in Argo CD, plus any system Lua); the argocd-cm example's copies stay identical to the scripts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { runRequestedAtAnnotation } from '../../../operator/api/tenantsync.js';
import { availableLuas, gopherLua, runActionLua } from './lua.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const actionsDir = join(repoRoot, 'health/tenantsync.io/TenantSync/actions');
const discoveryLua = join(actionsDir, 'discovery.lua');
const actionLua = (action: string) => join(actionsDir, action, 'action.lua');
const read = (path: string): unknown => parse(readFileSync(join(actionsDir, path), 'utf8'));

interface ActionTests {
  discoveryTests: { inputPath: string; result: { name: string; disabled: boolean }[] }[];
  actionTests: { action: string; inputPath: string; expectedOutputPath: string }[];
}
const tests = read('action_test.yaml') as ActionTests;
const actionNames = readdirSync(actionsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'testdata')
  .map((d) => d.name)
  .sort();
/** The test clock of action_test.yaml. */
const testClock = Date.parse('2026-01-05T12:00:00Z') / 1000;
const luas = availableLuas();

describe('Argo CD actions of TenantSync (actions/ folder)', () => {
  it('offers exactly the actions that have an action.lua, each with a test, and every testdata file is used', () => {
    expect(actionNames).toEqual(['resume', 'resync', 'run-now', 'suspend']);
    expect(new Set(tests.actionTests.map((t) => t.action))).toEqual(new Set(actionNames));
    for (const d of tests.discoveryTests) expect(d.result.map((r) => r.name).sort()).toEqual(actionNames);
    const used = new Set([...tests.discoveryTests.map((t) => t.inputPath), ...tests.actionTests.flatMap((t) => [t.inputPath, t.expectedOutputPath])]);
    expect([...used].sort()).toEqual(readdirSync(join(actionsDir, 'testdata')).map((f) => `testdata/${f}`).sort());
  });

  it('runs under gopher-lua, the Lua inside Argo CD (no system package needed)', () => {
    const gopher = gopherLua();
    expect(gopher.available, `gitops-check is not built at ${gopher.command}: run \`bash test/helm/build.sh gitops-check\``).toBe(true);
    expect(luas.map((l) => l.name)).toContain(gopher.name);
  });

  for (const lua of luas) {
    describe(lua.name, () => {
      for (const d of tests.discoveryTests) {
        it(`discovery on ${d.inputPath}: ${d.result.map((r) => `${r.name}${r.disabled ? ' (disabled)' : ''}`).join(', ')}`, () => {
          const got = runActionLua(lua, discoveryLua, read(d.inputPath)) as Record<string, { disabled: boolean }>;
          expect(Object.fromEntries(Object.entries(got).map(([name, a]) => [name, a.disabled]))).toEqual(
            Object.fromEntries(d.result.map((r) => [r.name, r.disabled])),
          );
        });
      }
      for (const t of tests.actionTests) {
        it(`${t.action} turns ${t.inputPath} into ${t.expectedOutputPath}`, () => {
          expect(runActionLua(lua, actionLua(t.action), read(t.inputPath), testClock)).toEqual(read(t.expectedOutputPath));
        });
      }
      it('run-now stamps the current UTC time, as `date -u +%FT%TZ` does', () => {
        const before = Math.floor(Date.now() / 1000) * 1000;
        const out = runActionLua(lua, actionLua('run-now'), read('testdata/active.yaml')) as { metadata: { annotations: Record<string, string> } };
        const value = out.metadata.annotations[runRequestedAtAnnotation]!;
        expect(value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(Date.parse(value)).toBeGreaterThanOrEqual(before);
        expect(Date.parse(value)).toBeLessThanOrEqual(Date.now());
      });
    });
  }
});

describe('examples/argocd/argocd-cm-actions.yaml', () => {
  it('embeds exactly discovery.lua and each action.lua, under the key Argo CD reads for tenantsync.io/TenantSync', () => {
    const docs = parseAllDocuments(readFileSync(join(repoRoot, 'examples/argocd/argocd-cm-actions.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    const cm = docs.find((d) => d.kind === 'ConfigMap') as { metadata: { name: string }; data: Record<string, string> };
    expect(cm.metadata.name).toBe('argocd-cm');
    const customization = parse(cm.data['resource.customizations.actions.tenantsync.io_TenantSync']!) as {
      'discovery.lua': string;
      definitions: { name: string; 'action.lua': string }[];
    };
    expect(customization['discovery.lua']).toBe(readFileSync(discoveryLua, 'utf8'));
    expect(customization.definitions.map((d) => d.name).sort()).toEqual(actionNames);
    for (const d of customization.definitions) expect(d['action.lua']).toBe(readFileSync(actionLua(d.name), 'utf8'));
  });
});
