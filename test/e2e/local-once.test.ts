// `npm run local -- --once` as a user runs it: its own control plane (cached binaries), the two example
// tenants' first runs succeed, `kubectl get tsync -A` shows both with a last success, and it exits 0
// leaving no process behind. Without --once it keeps running until Ctrl-C, which stops all of it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRootDir } from '../kubelet/kubelet.js';
import { leftoverProcesses } from '../support/leftover-processes.js';

const runTimeoutMs = 420_000;
const workDirs: string[] = [];

afterAll(async () => {
  for (const dir of workDirs) await rm(dir, { recursive: true, force: true });
});

async function newWorkDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenant-sync-local-test-'));
  workDirs.push(dir);
  return dir;
}

/** The run's processes: the pids it reported and every process mentioning its work or control plane directory. */
function leftovers(stdout: string, workDir: string) {
  const kubeconfig = /\[local\] kubeconfig: (\S+)/.exec(stdout)?.[1];
  expect(kubeconfig, stdout).toBeDefined();
  const pids = [...(/checked pids ([\d, ]+) and/.exec(stdout)?.[1] ?? '').matchAll(/\d+/g)].map((m) => Number(m[0]));
  expect(pids.length, stdout).toBeGreaterThanOrEqual(4);
  return leftoverProcesses([workDir, dirname(kubeconfig!)], pids);
}

/** Runs the program; `interruptWhen` sends SIGINT (Ctrl-C) once stdout matches it. */
function runLocal(
  args: string[],
  timeoutMs: number,
  interruptWhen?: RegExp,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // `npm run local` is `tsx test/local/main.ts`; run the same without npm in between.
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRootDir, 'test', 'local', 'main.ts'), ...args], {
      cwd: repoRootDir,
      env: { ...process.env, TENANTSYNC_LOCAL_ONCE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (interruptWhen && !interrupted && interruptWhen.test(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('npm run local', () => {
  it('reaches "first runs succeeded", prints the kubectl get tsync table and exits 0 with no process left', { timeout: runTimeoutMs + 60_000 }, async () => {
    const workDir = await newWorkDir();
    const { code, stdout, stderr } = await runLocal(['--once', '--timeout', '300', '--work-dir', workDir], runTimeoutMs);
    const context = `stdout:\n${stdout.slice(-6000)}\nstderr:\n${stderr.slice(-3000)}`;
    expect(code, context).toBe(0);
    expect(stdout, context).toMatch(/first runs succeeded: acme \d+ records, globex \d+ records/);

    // The table kubectl printed: both tenants in namespace demo, Ready True, with a last success.
    const lines = stdout.split('\n');
    const header = lines.findIndex((l) => /^NAMESPACE\s+NAME\s+INTERVAL\s+SCHEDULE\s+SUSPENDED\s+READY\s+LAST SUCCESS\s+AGE/.test(l));
    expect(header, context).toBeGreaterThanOrEqual(0);
    const rows = lines.slice(header + 1, header + 3).map((l) => l.split(/\s{2,}/));
    expect(rows.map((r) => r.slice(0, 6)), context).toEqual([
      ['demo', 'acme', '2h', expect.stringMatching(/^\d+ \S+ \* \* \*$/), 'false', 'True'],
      ['demo', 'globex', '1h', expect.stringMatching(/^\d+ \* \* \* \*$/), 'false', 'True'],
    ]);
    for (const row of rows) expect(row[6], `LAST SUCCESS of ${row[1]}`).toMatch(/^\d+s$/);

    // Records really reached the sink receiver: its delivery log has both tenants (globex's tenantId is globex-eu).
    const deliveries = (await readFile(join(workDir, 'sink-deliveries.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { tenantId: string; records: unknown[] });
    expect(new Set(deliveries.map((d) => d.tenantId))).toEqual(new Set(['acme', 'globex-eu']));

    // Nothing left: no process of its control plane run directory, its work directory, or the pids it reported.
    expect(leftovers(stdout, workDir)).toEqual([]);
  });

  it('keeps running after the first runs until Ctrl-C, which stops everything cleanly', { timeout: runTimeoutMs + 60_000 }, async () => {
    const workDir = await newWorkDir();
    const { code, stdout, stderr } = await runLocal(['--work-dir', workDir], runTimeoutMs, /Press Ctrl-C to stop everything/);
    const context = `stdout:\n${stdout.slice(-6000)}\nstderr:\n${stderr.slice(-3000)}`;
    expect(stdout, context).toMatch(/export KUBECONFIG=\S+\/kubeconfig/);
    expect(stdout, context).toMatch(/kubectl get tsync -n demo/);
    expect(stdout, context).toContain(join(workDir, 'sink-deliveries.jsonl'));
    expect(stdout, context).toMatch(/SIGINT: stopping everything/);
    expect(stdout, context).toMatch(/stopped; no process left/);
    expect(code, context).toBe(0);
    expect(leftovers(stdout, workDir)).toEqual([]);
  });
});
