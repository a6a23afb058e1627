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
  report: 'TENANTSYNC_CHAOS_REPORT',
} as const;

/** A positive integer from the environment variable `name`, else `fallback`; anything else is an error naming it. */
export function chaosCount(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, got "${raw}"`);
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
