// `npm run local -- --once` as a user runs it: its own control plane (cached binaries), the two example
// tenants' first runs succeed, `kubectl get tsync -A` shows both with a last success, and it exits 0
// leaving no process behind. Without --once it keeps running until Ctrl-C, which stops all of it: the
// test sends SIGINT to the whole process group of `npm run local`, as a terminal does, after using the
// printed kubeconfig with kubectl.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runRequestedAtAnnotation } from '../../operator/api/tenantsync.js';
import { manualJobName } from '../../operator/reconcile/names.js';
import { repoRootDir } from '../kubelet/kubelet.js';
import { leftoverProcesses, signalable } from '../support/leftover-processes.js';
import { parseKubectlTable } from '../support/kubectl-table.js';

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
  const checked = /checked pids ([\d, ]+) and every process mentioning (\S+) or (\S+)\)/.exec(stdout);
  expect(checked, stdout).not.toBeNull();
  const pids = [...(checked?.[1] ?? '').matchAll(/\d+/g)].map((m) => Number(m[0]));
  expect(pids.length, stdout).toBeGreaterThanOrEqual(4);
  expect(checked?.[2], stdout).toBe(workDir);
  const kubeconfig = /\[local\] kubeconfig: (\S+)/.exec(stdout)?.[1];
  if (kubeconfig !== undefined) expect(checked?.[3]).toBe(dirname(kubeconfig));
  return leftoverProcesses([workDir, checked?.[3] ?? ''], pids);
}

interface LocalRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Processes of its process group still alive a while after it exited (none expected). */
  groupLeft: boolean;
}

/** True while any process of process group `pgid` lives. */
const groupAlive = (pgid: number) => signalable(-pgid);

/**
 * Runs `npm run local -- <args>` as the leader of a new process group, as a shell runs a foreground
 * job. Once stdout matches `interruptWhen`, awaits `beforeInterrupt` and then sends SIGINT to the whole
 * group (npm, tsx, the program and whatever it runs in that group), as Ctrl-C in a terminal does.
 */
function runLocal(
  args: string[],
  timeoutMs: number,
  interruptWhen?: RegExp,
  beforeInterrupt?: (stdout: string) => Promise<void>,
): Promise<LocalRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'local', '--', ...args], {
      cwd: repoRootDir,
      env: { ...process.env, TENANTSYNC_LOCAL_ONCE: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pgid = child.pid;
    const interruptGroup = () => {
      if (pgid !== undefined && groupAlive(pgid)) process.kill(-pgid, 'SIGINT');
    };
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (interruptWhen && !interrupted && interruptWhen.test(stdout)) {
        interrupted = true;
        void (beforeInterrupt?.(stdout) ?? Promise.resolve())
          .catch((error: unknown) => (stderr += `\n[test] before Ctrl-C: ${error instanceof Error ? error.message : String(error)}\n`))
          .finally(interruptGroup);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(interruptGroup, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      void (async () => {
        // Every process that held the pipes is gone; give the group's others a moment, then look.
        const deadline = Date.now() + 10_000;
        while (pgid !== undefined && groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        resolve({ code, signal, stdout, stderr, groupLeft: pgid !== undefined && groupAlive(pgid) });
      })();
    });
  });
}

/**
 * The progress lines (one per tenant, printed when they change): each names the run's Job, its phase,
 * records and outcome; the last one of each tenant shows the Job Complete and the run Succeeded with
 * the records the summary line reports.
 */
function expectProgress(stdout: string, context: string): void {
  const requestValue = new RegExp(`${runRequestedAtAnnotation.replace(/\./g, '\\.')}=(\\S+)\\); waiting for the first runs`).exec(stdout)?.[1];
  expect(requestValue, context).toBeDefined();
  const summary = /first runs succeeded: acme (\d+) records, globex (\d+) records/.exec(stdout);
  expect(summary, context).not.toBeNull();
  const progressPart = stdout.slice(stdout.indexOf('waiting for the first runs'), stdout.indexOf('first runs succeeded'));
  const progress = /^(acme|globex) +job (\S+) (NotCreated|Pending|Running|Complete|Failed) +records (\d+|\d+ so far) +outcome (\S+)$/gm;
  const lines = [...progressPart.matchAll(progress)].map((m) => ({ tenant: m[1], job: m[2], phase: m[3], records: m[4], outcome: m[5] }));
  for (const [i, tenant] of ['acme', 'globex'].entries()) {
    const own = lines.filter((l) => l.tenant === tenant);
    expect(own.length, `progress lines of ${tenant}\n${context}`).toBeGreaterThanOrEqual(1);
    expect(new Set(own.map((l) => l.job)), context).toEqual(new Set([manualJobName(tenant, requestValue!)]));
    expect(own.at(-1), context).toEqual({ tenant, job: manualJobName(tenant, requestValue!), phase: 'Complete', records: summary![i + 1], outcome: 'Succeeded' });
  }
}

const execFileAsync = promisify(execFile);

describe('npm run local', () => {
  it('reaches "first runs succeeded", prints the kubectl get tsync table and exits 0 with no process left', { timeout: runTimeoutMs + 60_000 }, async () => {
    const workDir = await newWorkDir();
    const { code, stdout, stderr } = await runLocal(['--once', '--timeout', '300', '--work-dir', workDir], runTimeoutMs);
    const context = `stdout:\n${stdout.slice(-6000)}\nstderr:\n${stderr.slice(-3000)}`;
    expect(code, context).toBe(0);
    expect(stdout, context).toMatch(/first runs succeeded: acme \d+ records, globex \d+ records/);
    expectProgress(stdout, context);

    // The table kubectl printed: both tenants in namespace demo, Ready True, with a last success.
    const table = parseKubectlTable(stdout, (l) => /^NAMESPACE\s+NAME\s+READY\s+REASON\s+SCHEDULE\s+INTERVAL\s+SUSPENDED\s+LAST SUCCESS\s+NEXT RUN\s+AGE/.test(l));
    const rows = table.rows;
    expect(rows.map((r) => [r.NAMESPACE, r.NAME, r.READY, r.REASON, r.SUSPENDED]), context).toEqual([
      ['demo', 'acme', 'True', 'Reconciled', 'false'],
      ['demo', 'globex', 'True', 'Reconciled', 'false'],
    ]);
    for (const row of rows) expect(row['LAST SUCCESS'], `LAST SUCCESS of ${row.NAME}`).toMatch(/^\d+s$/);
    for (const row of rows) expect(row['NEXT RUN'], `NEXT RUN of ${row.NAME}`).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const row of rows) expect(row.SCHEDULE, `SCHEDULE of ${row.NAME}`).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);

    // Records really reached the sink receiver: its delivery log has both tenants (globex's tenantId is globex-eu).
    const deliveries = (await readFile(join(workDir, 'sink-deliveries.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { tenantId: string; records: unknown[] });
    expect(new Set(deliveries.map((d) => d.tenantId))).toEqual(new Set(['acme', 'globex-eu']));

    // Nothing left: no process of its control plane run directory, its work directory, or the pids it reported.
    expect(leftovers(stdout, workDir)).toEqual([]);
  });

  it('keeps running after the first runs, answers kubectl with the printed kubeconfig, and Ctrl-C to its process group stops everything', { timeout: runTimeoutMs + 60_000 }, async () => {
    const workDir = await newWorkDir();
    let kubectlOutput = '';
    const { code, signal, stdout, stderr, groupLeft } = await runLocal(['--work-dir', workDir], runTimeoutMs, /Press Ctrl-C to stop everything/, async (shown) => {
      // What the instructions tell a user: the printed kubeconfig with kubectl (the printed one, built with the control plane).
      const kubeconfig = /\[local\] kubeconfig: (\S+)/.exec(shown)?.[1];
      const kubectl = /alias kubectl=(\S+)/.exec(shown)?.[1];
      if (kubeconfig === undefined || kubectl === undefined) throw new Error('no kubeconfig or kubectl path printed');
      const { stdout: out } = await execFileAsync(kubectl, ['--kubeconfig', kubeconfig, 'get', 'tsync', '-n', 'demo'], { timeout: 30_000 });
      kubectlOutput = out;
    });
    const context = `stdout:\n${stdout.slice(-6000)}\nstderr:\n${stderr.slice(-3000)}`;
    expect(stdout, context).toMatch(/export KUBECONFIG=\S+\/kubeconfig/);
    expect(stdout, context).toMatch(/kubectl get tsync -n demo/);
    expect(stdout, context).toContain(join(workDir, 'sink-deliveries.jsonl'));
    expectProgress(stdout, context);

    // kubectl with the printed kubeconfig, while it ran: a row per tenant in namespace demo, Ready.
    const shown = parseKubectlTable(kubectlOutput);
    expect(shown.columns, `${kubectlOutput}\n${context}`).toEqual(['NAME', 'READY', 'REASON', 'SCHEDULE', 'INTERVAL', 'SUSPENDED', 'LAST SUCCESS', 'NEXT RUN', 'AGE']);
    expect(shown.rows.map((r) => [r.NAME, r.READY]), kubectlOutput).toEqual([
      ['acme', 'True'],
      ['globex', 'True'],
    ]);

    // One Ctrl-C to the group: a clean stop, exit 0, nothing left in the group or anywhere else.
    expect(stdout, context).toMatch(/SIGINT: stopping everything/);
    expect(stdout.match(/SIGINT: stopping everything/g), context).toHaveLength(1);
    expect(stdout, context).not.toMatch(/SIGINT again/);
    expect(stdout, context).toMatch(/stopped; no process left/);
    // As a shell sees a command stopped by Ctrl-C: npm re-raises the SIGINT its script's shell (dash)
    // died of, so the shell reports 130; where nothing in between dies of it, the program's own 0.
    expect(signal === 'SIGINT' || code === 0 || code === 130, `exit code ${code}, signal ${signal}\n${context}`).toBe(true);
    expect(groupLeft, 'a process of the npm run local process group outlived it').toBe(false);
    expect(leftovers(stdout, workDir)).toEqual([]);
  });

  it('--timeout: gives up with exit 1, naming what it waited for and which logs to read, and leaves no process', { timeout: runTimeoutMs + 60_000 }, async () => {
    const workDir = await newWorkDir();
    const { code, stdout, stderr, groupLeft } = await runLocal(['--once', '--timeout', '1', '--work-dir', workDir], runTimeoutMs);
    const context = `stdout:\n${stdout.slice(-6000)}\nstderr:\n${stderr.slice(-3000)}`;
    expect(code, context).toBe(1);
    const said = stdout + stderr;
    expect(said, context).toMatch(/the first runs did not succeed within 1 s \((acme|globex): /);
    expect(said, context).toContain(`the operator log ${join(workDir, 'operator.log')}`);
    expect(groupLeft, 'a process of the npm run local process group outlived it').toBe(false);
    expect(leftovers(stdout, workDir)).toEqual([]);
  });
});
