// The peers' Python virtualenvs: made by the bench once, from the pinned requirements in ./python, cached
// outside the repository (~/.cache/tenant-sync/bench-peers-venv-<hash of the pins>/<peer>). Two of them,
// because airbyte-source-freshdesk pins backoff 1.10.0 and tap-freshdesk backoff 2.2.1. Airbyte's runs on Python
// 3.10 (its wheel allows 3.9–3.11): airbyte-cdk 0.90 fails to import on 3.11 ("ValueError:
// mutable default <class '…JsonDecoder'> for field _decoder is not allowed: use default_factory").
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type PeerName = 'airbyte' | 'singer';

const pythonDir = join(import.meta.dirname, 'python');
const requirementsOf = (peer: PeerName) => join(pythonDir, `requirements-${peer}.txt`);
/** Each peer's program inside its virtualenv. */
const programs: Record<PeerName, string> = { airbyte: 'source-freshdesk', singer: 'tap-freshdesk' };
/** The interpreter each virtualenv is made with: its name on PATH (the brief's Python 3.11 is `python3`). */
const pythons: Record<PeerName, string> = { airbyte: 'python3.10', singer: 'python3' };

/** `name` from PATH, else from pyenv's versions (~/.pyenv/versions/3.10.x/bin), which need no shim set up. */
function interpreter(name: string): string {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return name;
  } catch {
    const versions = join(homedir(), '.pyenv/versions');
    const minor = name.replace(/^python/, '');
    const found = existsSync(versions) ? readdirSync(versions).filter((v) => v.startsWith(`${minor}.`)).sort().at(-1) : undefined;
    if (found) return join(versions, found, 'bin', name);
    throw new Error(`the peers benchmark needs ${name} (on PATH or in ~/.pyenv/versions) to make a virtualenv`);
  }
}

/** The directory holding sitecustomize.py (the name redirect); goes on the peers' PYTHONPATH. */
export const sitecustomizeDir = pythonDir;

/** ~/.cache/tenant-sync/bench-peers-venv-<first 12 hex of sha256 over both pin files and interpreters>. */
export function venvRoot(): string {
  const hash = createHash('sha256');
  for (const peer of ['airbyte', 'singer'] as const) hash.update(pythons[peer]).update(readFileSync(requirementsOf(peer)));
  return join(homedir(), '.cache/tenant-sync', `bench-peers-venv-${hash.digest('hex').slice(0, 12)}`);
}

/**
 * The peer's program, installing its virtualenv first when the cache lacks it (`python3.x -m venv`, then pip with
 * exactly the pinned versions, under `nice -n 10`). A marker written last tells a finished install from an
 * interrupted one, which is removed and made again.
 */
export function peerProgram(peer: PeerName): string {
  const dir = join(venvRoot(), peer);
  const program = join(dir, 'bin', programs[peer]);
  const finished = join(dir, '.installed');
  if (existsSync(finished)) return program;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(venvRoot(), { recursive: true });
  console.log(`making the ${peer} virtualenv in ${dir} (once) …`);
  execFileSync(interpreter(pythons[peer]), ['-m', 'venv', dir], { stdio: 'inherit' });
  execFileSync('nice', ['-n', '10', join(dir, 'bin/pip'), 'install', '--quiet', '--disable-pip-version-check', '-r', requirementsOf(peer)], { stdio: 'inherit' });
  writeFileSync(finished, `${new Date().toISOString()}\n`);
  return program;
}
