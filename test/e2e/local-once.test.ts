// `npm run local -- --once` as a user runs it: its own control plane (cached binaries), the two example
// tenants' first runs succeed, `kubectl get tsync -A` shows both with a last success, and it exits 0
// leaving no process behind.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRootDir } from '../kubelet/kubelet.js';
import { leftoverProcesses } from '../support/leftover-processes.js';

const runTimeoutMs = 420_000;
let workDir: string | undefined;

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function runLocal(args: string[], timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // `npm run local` is `tsx test/local/main.ts`; run the same without npm in between.
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRootDir, 'test', 'local', 'main.ts'), ...args], {
      cwd: repoRootDir,
      env: { ...process.env, TENANTSYNC_LOCAL_ONCE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('npm run local -- --once', () => {
  it('reaches "first runs succeeded", prints the kubectl get tsync table and exits 0 with no process left', { timeout: runTimeoutMs + 60_000 }, async () => {
    workDir = await mkdtemp(join(tmpdir(), 'tenant-sync-local-test-'));
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
    const kubeconfig = /\[local\] kubeconfig: (\S+)/.exec(stdout)?.[1];
    expect(kubeconfig, context).toBeDefined();
    const pids = [...(/checked pids ([\d, ]+) and/.exec(stdout)?.[1] ?? '').matchAll(/\d+/g)].map((m) => Number(m[0]));
    expect(pids.length, context).toBeGreaterThanOrEqual(4);
    expect(leftoverProcesses([workDir, dirname(kubeconfig!)], pids)).toEqual([]);
  });
});
