// The Argo CD health check of TenantSync: every case of health/.../health_test.yaml (Argo CD's format) run by
// real Lua interpreters (gopher-lua as in Argo CD, plus any system lua5.x); the argocd-cm example's copy stays identical.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { missingToolMessage, shipTool } from '../../helm/tools.js';
import { availableLuas, gopherLua, luaLiteral, runHealthLua } from './lua.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const checkDir = join(repoRoot, 'health/tenantsync.io/TenantSync');
const healthLua = join(checkDir, 'health.lua');

interface HealthTest {
  healthStatus: { status: string; message: string };
  inputPath: string;
}
const cases = (parse(readFileSync(join(checkDir, 'health_test.yaml'), 'utf8')) as { tests: HealthTest[] }).tests;
const luas = availableLuas();

describe('health.lua (Argo CD resource health of TenantSync)', () => {
  it('runs under gopher-lua, the Lua inside Argo CD (no system package needed)', () => {
    const gopher = gopherLua();
    expect(gopher.available, `gitops-check is not built at ${gopher.command}: run \`bash test/helm/build.sh gitops-check\``).toBe(true);
    expect(luas.map((l) => l.name)).toContain(gopher.name);
  });

  it('has a test case for every testdata file and every health status', () => {
    const files = readdirSync(join(checkDir, 'testdata')).map((f) => `testdata/${f}`).sort();
    expect(cases.map((c) => c.inputPath).sort()).toEqual(files);
    expect(new Set(cases.map((c) => c.healthStatus.status))).toEqual(new Set(['Healthy', 'Progressing', 'Degraded', 'Suspended']));
  });

  for (const lua of luas) {
    describe(lua.name, () => {
      for (const c of cases) {
        it(`${c.inputPath} is ${c.healthStatus.status}`, () => {
          const obj: unknown = parse(readFileSync(join(checkDir, c.inputPath), 'utf8'));
          expect(runHealthLua(lua, healthLua, obj)).toEqual(c.healthStatus);
        });
      }
    });
  }
});

// gopher-lua is the Lua inside Argo CD (numbers are float64 there): test/helm/build.sh gitops-check builds it in.
const gitopsCheck = shipTool('gitops-check');
describe.skipIf(missingToolMessage(gitopsCheck) !== undefined)('health.lua under gopher-lua, as Argo CD runs it', () => {
  it('gives every case its expected status and message', () => {
    const run = spawnSync(gitopsCheck.path, ['health', healthLua, ...cases.map((c) => join(checkDir, c.inputPath))], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const got = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; message: string; error?: string })
      .map(({ status, message, error }) => (error === undefined ? { status, message } : { error }));
    expect(got).toEqual(cases.map((c) => c.healthStatus));
  });
});

describe('luaLiteral', () => {
  it('round-trips quotes, backslashes, newlines and non-ASCII text through every Lua', () => {
    const tricky = 'say "hi"\\ \n\ttab — ünïcødé ✓';
    const script = join(dirname(fileURLToPath(import.meta.url)), 'testdata/echo-message.lua');
    expect(luas).not.toEqual([]);
    for (const lua of luas) expect(runHealthLua(lua, script, { message: tricky }), lua.name).toEqual({ status: 'Echo', message: tricky });
  });

  it('writes nested objects and arrays as table constructors', () => {
    expect(luaLiteral({ a: [1, 'x', true], b: null })).toBe('{["a"] = {1, "x", true}, ["b"] = nil}');
  });
});

describe('examples/argocd/argocd-cm-health.yaml', () => {
  it('embeds exactly health.lua, under the key Argo CD reads for tenantsync.io/TenantSync', () => {
    const docs = parseAllDocuments(readFileSync(join(repoRoot, 'examples/argocd/argocd-cm-health.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    const cm = docs.find((d) => d.kind === 'ConfigMap') as { metadata: { name: string }; data: Record<string, string> };
    expect(cm.metadata.name).toBe('argocd-cm');
    expect(cm.data['resource.customizations.health.tenantsync.io_TenantSync']).toBe(readFileSync(healthLua, 'utf8'));
  });
});
