// The README's commands on a machine whose node is older than 24: the package scripts run through
// .ci/with-node24.sh, which puts Node 24 first on PATH (installing it once from npm) instead of letting an
// old node fail deep inside a dependency with a stack trace that never mentions Node.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const wrapper = join(repoRoot, '.ci', 'with-node24.sh');
const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

// A node 20 as far as the wrapper can tell: it answers the version probe with 20 and fails anything else.
const oldNodeDir = mkdtempSync(join(tmpdir(), 'old-node-'));
writeFileSync(join(oldNodeDir, 'node'), '#!/bin/sh\nif [ "$1" = "-p" ]; then echo 20; exit 0; fi\necho "this is node 20" >&2\nexit 1\n');
chmodSync(join(oldNodeDir, 'node'), 0o755);
afterAll(() => rmSync(oldNodeDir, { recursive: true, force: true }));

describe('Node 24 for the README commands', () => {
  it.each(['test', 'local'])('npm run %s goes through .ci/with-node24.sh', (name) => {
    expect(scripts[name]).toMatch(/^bash \.ci\/with-node24\.sh /);
  });

  it('runs the command with Node 24 when the node on PATH is older', () => {
    // The machine's own npm stays reachable, for the first install of Node 24 into the cache.
    const env = { ...process.env, PATH: `${oldNodeDir}:/usr/local/bin:/usr/bin:/bin` };
    const run = spawnSync('bash', [wrapper, 'node', '-e', 'console.log(process.versions.node)'], { env, encoding: 'utf8', timeout: 300_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(Number(run.stdout.trim().split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('runs the command as it is when node is already 24 or newer, saying nothing', () => {
    const run = spawnSync('bash', [wrapper, 'node', '-e', 'console.log(process.versions.node)'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(process.versions.node);
    expect(run.stderr).toBe('');
  });
});
