// `npm run chaos`: the reliability suite of issue 15 at chaos sizes, apart from `npm test`. Flags set the
// TENANTSYNC_CHAOS_* sizes the scenario files read, run them through vitest (test/chaos/vitest.config.ts)
// one file at a time, stop everything at --time-limit, and print the results as the table of
// docs/reliability.md with the exact command. Everything runs on loopback.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDist } from '../support/build-output.js';
import { chaosEnv, type ScenarioReport } from './settings.js';
import { chaosProjects } from './vitest.config.js';

const usage = `Usage: npm run chaos -- [options]

Runs the reliability scenarios (all by default) and prints a results table.

  --only <list>             scenarios, comma-separated: ${Object.keys(chaosProjects).join(', ')}
  --seed <n>                seed of every random choice (default: random; printed, so a run can be replayed)
  --specs <n>               fuzzed TenantSync specs (default 2000)
  --results <n>             bad result messages (default 100)
  --job-runs <n>            consecutive sync-job runs under source and sink faults (default 100)
  --tenants <n>             cluster chaos: tenants on a one-minute schedule (default 6)
  --minutes <n>             cluster chaos: minutes of chaos before the quiet run (default 8)
  --operator-kills <n>      cluster chaos: SIGKILLs of the leading operator (default 4)
  --apiserver-restarts <n>  cluster chaos: kube-apiserver restarts (default 2)
  --etcd-restarts <n>       cluster chaos: etcd restarts (default 1)
  --node-deaths <n>         cluster chaos: SIGKILLs of the kubelet with its pods (default 1)
  --evictions <n>           cluster chaos: evictions of running sync pods (default 2)
  --full                    the issue's counts: 50 tenants, 20 minutes, 20 operator kills, 5 kube-apiserver and
                            2 etcd restarts, 3 node deaths, 10 evictions (about 22 minutes on 2 cores)
  --time-limit <seconds>    stop everything and fail after this long (default 1800; 5400 with --full)
  -h, --help                this text

Each flag sets the environment variable the scenario reads (TENANTSYNC_CHAOS_SPECS, …); those variables work
without the flags too. The defaults finish in about 20 minutes on 2 cores.`;

const flagEnv = {
  specs: chaosEnv.specs,
  results: chaosEnv.results,
  'job-runs': chaosEnv.jobRuns,
  tenants: chaosEnv.tenants,
  minutes: chaosEnv.minutes,
  'operator-kills': chaosEnv.operatorKills,
  'apiserver-restarts': chaosEnv.apiserverRestarts,
  'etcd-restarts': chaosEnv.etcdRestarts,
  'node-deaths': chaosEnv.nodeDeaths,
  evictions: chaosEnv.evictions,
} as const;
type SizeFlag = keyof typeof flagEnv;
const defaults: Record<SizeFlag, number> = {
  specs: 2000,
  results: 100,
  'job-runs': 100,
  tenants: 6,
  minutes: 8,
  'operator-kills': 4,
  'apiserver-restarts': 2,
  'etcd-restarts': 1,
  'node-deaths': 1,
  evictions: 2,
};
const full: Partial<Record<SizeFlag, number>> = { tenants: 50, minutes: 20, 'operator-kills': 20, 'apiserver-restarts': 5, 'etcd-restarts': 2, 'node-deaths': 3, evictions: 10 };

function fail(message: string): never {
  process.stderr.write(`npm run chaos: ${message}\n\n${usage}\n`);
  process.exit(2);
}

function wholeNumber(flag: string, raw: string, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) fail(`--${flag} must be a whole number of at least ${min}, got "${raw}"`);
  return value;
}

function parse() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        only: { type: 'string' },
        seed: { type: 'string' },
        full: { type: 'boolean' },
        'time-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.keys(flagEnv).map((f) => [f, { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const only = typeof values.only === 'string' ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(chaosProjects);
  const unknown = only.filter((s) => !(s in chaosProjects));
  if (unknown.length > 0 || only.length === 0) fail(`--only: unknown scenario ${unknown.join(', ') || '(none given)'}; known: ${Object.keys(chaosProjects).join(', ')}`);
  const seed = typeof values.seed === 'string' ? wholeNumber('seed', values.seed, 0) : Math.floor(Math.random() * 2 ** 31);
  const timeLimitSeconds = typeof values['time-limit'] === 'string' ? wholeNumber('time-limit', values['time-limit'], 1) : values.full ? 5400 : 1800;
  const sizes = {} as Record<SizeFlag, number>;
  for (const flag of Object.keys(flagEnv) as SizeFlag[]) {
    const raw = values[flag];
    const fromEnv = process.env[flagEnv[flag]];
    const min = ['specs', 'results', 'job-runs', 'tenants', 'minutes'].includes(flag) ? 1 : 0;
    sizes[flag] =
      typeof raw === 'string' ? wholeNumber(flag, raw, min) : fromEnv ? wholeNumber(flagEnv[flag], fromEnv, min) : (values.full ? full[flag] : undefined) ?? defaults[flag];
  }
  return { only, seed, timeLimitSeconds, sizes };
}

function table(rows: ScenarioReport[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| Scenario | Rounds | What was checked | What was lost | Seed |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${cell(r.scenario)} | ${cell(r.rounds)} | ${cell(r.checked)} | ${cell(r.lost)} | ${r.seed} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { only, seed, timeLimitSeconds, sizes } = parse();
  const reportFile = join(mkdtempSync(join(tmpdir(), 'tenant-sync-chaos-report-')), 'report.jsonl');
  const env: NodeJS.ProcessEnv = { ...process.env, [chaosEnv.seed]: String(seed), [chaosEnv.report]: reportFile };
  for (const flag of Object.keys(flagEnv) as SizeFlag[]) env[flagEnv[flag]] = String(sizes[flag]);
  const command = `npm run chaos -- --seed ${seed} ${only.length < Object.keys(chaosProjects).length ? `--only ${only.join(',')} ` : ''}${(Object.keys(flagEnv) as SizeFlag[]).map((f) => `--${f} ${sizes[f]}`).join(' ')}`;
  process.stderr.write(`[chaos] ${command}\n[chaos] time limit ${timeLimitSeconds} s; report rows go to ${reportFile}\n`);

  // The operators and sync pods run the compiled programs, as the image does: build them from this checkout.
  try {
    buildDist();
  } catch {
    process.stderr.write('[chaos] FAILED: npm run build failed\n');
    process.exit(1);
  }

  const vitest = join(import.meta.dirname, '..', '..', 'node_modules', 'vitest', 'vitest.mjs');
  const args = [vitest, 'run', '--config', join(import.meta.dirname, 'vitest.config.ts'), ...only.flatMap((p) => ['--project', p])];
  const child = spawn(process.execPath, args, { env, stdio: 'inherit', detached: true });
  let timedOut = false;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    process.stderr.write(`[chaos] time limit of ${timeLimitSeconds} s reached: stopping the scenarios\n`);
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 15_000).unref();
  }, timeLimitSeconds * 1000);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => killGroup(signal));
  const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  clearTimeout(timer);

  const rows = existsSync(reportFile) ? readFileSync(reportFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ScenarioReport) : [];
  process.stdout.write(`\n${command}\n\n${table(rows)}\n`);
  if (timedOut) {
    process.stderr.write(`[chaos] FAILED: the time limit (--time-limit ${timeLimitSeconds}) ended the run; scenarios without a row did not finish\n`);
    process.exit(1);
  }
  if (code !== 0) process.stderr.write(`[chaos] FAILED: vitest exited with ${code}; see its output above\n`);
  process.exit(code);
}

await main();
