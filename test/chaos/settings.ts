// Sizes of the reliability scenarios and where they report. `npm test` runs them small (the defaults
// here); `npm run chaos` (test/chaos/main.ts) sets the environment variables to its flags' sizes and
// collects one report row per scenario into TENANTSYNC_CHAOS_REPORT for docs/reliability.md.
import { appendFileSync } from 'node:fs';
import { seedFromEnv } from './random.js';

/** The environment variables `npm run chaos` sets; each scenario reads only its own. */
export const chaosEnv = {
  seed: 'TENANTSYNC_CHAOS_SEED',
  specs: 'TENANTSYNC_CHAOS_SPECS',
  results: 'TENANTSYNC_CHAOS_RESULTS',
  jobRuns: 'TENANTSYNC_CHAOS_JOB_RUNS',
  tenants: 'TENANTSYNC_CHAOS_TENANTS',
  minutes: 'TENANTSYNC_CHAOS_MINUTES',
  operatorKills: 'TENANTSYNC_CHAOS_OPERATOR_KILLS',
  apiserverRestarts: 'TENANTSYNC_CHAOS_APISERVER_RESTARTS',
  etcdRestarts: 'TENANTSYNC_CHAOS_ETCD_RESTARTS',
  nodeDeaths: 'TENANTSYNC_CHAOS_NODE_DEATHS',
  evictions: 'TENANTSYNC_CHAOS_EVICTIONS',
  report: 'TENANTSYNC_CHAOS_REPORT',
} as const;

/** A whole number (at least `min`, default 1) from the environment variable `name`, else `fallback`; anything else is an error naming it. */
export function chaosCount(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${raw}"`);
  return value;
}

/** The suite's seed: TENANTSYNC_CHAOS_SEED, else a fixed one (npm test replays the same inputs every time). */
export function chaosSeed(): number {
  return seedFromEnv(chaosEnv.seed, 15);
}

/** One row of docs/reliability.md's table. */
export interface ScenarioReport {
  scenario: string;
  rounds: string;
  checked: string;
  lost: string;
  seed: number;
}

/** Appends the row to TENANTSYNC_CHAOS_REPORT (JSON lines) when set; npm test sets none. */
export function reportScenario(row: ScenarioReport): void {
  const file = process.env[chaosEnv.report];
  if (file) appendFileSync(file, `${JSON.stringify(row)}\n`);
}
