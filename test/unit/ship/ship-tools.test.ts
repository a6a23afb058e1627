// The ship tests' tools (helm, promtool, gitops-check, actionlint, built by test/helm/build.sh on first use):
// every one must be built for today's sources and run; with TENANTSYNC_REQUIRE_SHIP_TOOLS=1 (CI) a missing
// one fails the tests that need it instead of letting them skip.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { missingToolMessage, requireShipToolsVariable, shipTool, ShipToolMissingError, type ShipTool } from '../../helm/tools.js';

const helmDir = fileURLToPath(new URL('../../helm/', import.meta.url));
const names: ShipTool['name'][] = ['helm', 'promtool', 'gitops-check', 'actionlint'];

describe('a missing ship tool', () => {
  const missing: ShipTool = { name: 'helm', version: 'v0.0.0', path: '/nonexistent/helm', available: false, buildCommand: 'bash test/helm/build.sh helm' };

  it('is a skip reason that names the build command, without the variable', () => {
    expect(missingToolMessage(missing, {})).toBe('helm v0.0.0 is not built (/nonexistent/helm): run `bash test/helm/build.sh helm`');
    expect(missingToolMessage(missing, { [requireShipToolsVariable]: '0' })).toBeDefined();
  });

  it(`fails (throws) with ${requireShipToolsVariable}=1`, () => {
    expect(() => missingToolMessage(missing, { [requireShipToolsVariable]: '1' })).toThrow(ShipToolMissingError);
    expect(() => missingToolMessage(missing, { [requireShipToolsVariable]: '1' })).toThrow(/helm v0\.0\.0 is not built .*TENANTSYNC_REQUIRE_SHIP_TOOLS=1/);
  });

  it('an available tool is never a skip reason', () => {
    expect(missingToolMessage({ ...missing, available: true }, { [requireShipToolsVariable]: '1' })).toBeUndefined();
  });
});

describe('the gitops-check version', () => {
  it('is the hash build.sh names its cache folder by (so a built tool is found, and a stale one is not)', () => {
    const shell = spawnSync('bash', ['-c', 'cat go.mod go.sum *.go | sha256sum | cut -c1-12'], { cwd: `${helmDir}gitops-check`, encoding: 'utf8' });
    expect(shell.status, shell.stderr).toBe(0);
    expect(shipTool('gitops-check').version).toBe(shell.stdout.trim());
  });
});

// The global setup (test/support/prerequisites.ts) builds every tool before the tests run, so these always run.
describe('every ship tool, as the global setup built it', () => {
  const probes: Record<ShipTool['name'], { args: string[]; output: (tool: ShipTool) => RegExp }> = {
    helm: { args: ['version', '--short'], output: (t) => new RegExp(`^${t.version.replaceAll('.', '\\.')}\\b`) },
    // Prometheus module v0.X.Y is Prometheus 3.X.Y (build.sh).
    promtool: { args: ['--version'], output: (t) => new RegExp(`^promtool, version 3\\.${t.version.slice('v0.3'.length).replaceAll('.', '\\.')} `) },
    'gitops-check': { args: [], output: () => /^$/ },
    actionlint: { args: ['--version'], output: (t) => new RegExp(`^${t.version.replaceAll('.', '\\.')}\\n`) },
  };
  for (const name of names) {
    it(`${name} is built for today's sources and runs`, () => {
      const tool = shipTool(name);
      expect(missingToolMessage(tool, {}), `${name}: ${tool.buildCommand}`).toBeUndefined();
      const run = spawnSync(tool.path, probes[name].args, { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(probes[name].output(tool));
    });
  }
});
