// kstatus as Flux computes it: the real sigs.k8s.io/cli-utils kstatus (status.Compute, run by
// `gitops-check kstatus`, built by test/helm/build.sh gitops-check) over the health testdata TenantSyncs and
// over the statuses the reconciler writes, each checked against the expected InProgress/Current/Failed and
// against our reading of the rules (kstatusOf, which status.test.ts uses), so neither can drift unseen.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Condition, TenantSyncStatus } from '../../../operator/api/tenantsync.js';
import { computeStatus, type ReconcileOutcome, type StatusInputs } from '../../../operator/reconcile/status.js';
import { withRunHealth } from '../../../operator/reconcile/run-status.js';
import { missingToolMessage, shipTool } from '../../helm/tools.js';
import { kstatusOf, type KStatus } from './kstatus.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const testdataDir = join(repoRoot, 'health/tenantsync.io/TenantSync/testdata');

const gitopsCheck = shipTool('gitops-check');
// With TENANTSYNC_REQUIRE_SHIP_TOOLS=1 (CI) a missing gitops-check throws here: the file fails, never skips.
const missing = missingToolMessage(gitopsCheck);
if (missing !== undefined) console.warn(`[kstatus-cli-utils.test] skipped: ${missing}`);

interface KStatusReport {
  file: string;
  kind: string;
  name: string;
  status: string;
  message: string;
  error?: string;
}

/** Runs the real kstatus over the files; one report per object. */
function realKstatus(files: readonly string[]): KStatusReport[] {
  const run = spawnSync(gitopsCheck.path, ['kstatus', ...files], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`gitops-check kstatus exited ${run.status}: ${run.stderr}${run.stdout}`);
  return run.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as KStatusReport);
}

interface TenantSyncDoc {
  metadata: { name: string; generation: number };
  status?: TenantSyncStatus;
}

/** What each health testdata object must be to Flux (and kubectl-style waits). */
const testdataExpected: Record<string, KStatus> = {
  'new.yaml': 'Current', // no status yet: kstatus cannot tell a CR without conditions from a reconciled one
  'generation-not-observed.yaml': 'InProgress',
  'healthy.yaml': 'Current',
  'healthy-no-run-yet.yaml': 'Current',
  'stalled-secret-missing.yaml': 'Failed',
  'stalled-while-suspended.yaml': 'Failed',
  'reconciling-retry.yaml': 'InProgress',
  'degraded-run-failed.yaml': 'InProgress', // Ready=False (SyncFailed) without Stalled: kstatus reads Ready
  'degraded-stale.yaml': 'InProgress',
  'suspended.yaml': 'Current',
  'ready-unknown.yaml': 'InProgress',
  'degraded-not-ready.yaml': 'InProgress', // Ready=False without Stalled: kstatus reads Ready
};

describe.skipIf(missing !== undefined)('kstatus (sigs.k8s.io/cli-utils status.Compute) of TenantSync', () => {
  describe('health testdata', () => {
    const files = readdirSync(testdataDir).filter((f) => f.endsWith('.yaml')).sort();

    it('has an expected kstatus for every testdata file', () => {
      expect(Object.keys(testdataExpected).sort()).toEqual(files);
    });

    it('gives each the expected status, and kstatusOf agrees', () => {
      const reports = realKstatus(files.map((f) => join(testdataDir, f)));
      expect(reports.map((r) => r.file)).toEqual(files.map((f) => join(testdataDir, f)));
      const real = Object.fromEntries(reports.map((r) => [r.file.slice(testdataDir.length + 1), r.error ?? r.status]));
      expect(real).toEqual(testdataExpected);
      const ours = Object.fromEntries(
        files.map((f) => {
          const doc = parse(readFileSync(join(testdataDir, f), 'utf8')) as TenantSyncDoc;
          return [f, kstatusOf(doc.metadata.generation, doc.status)];
        }),
      );
      expect(ours).toEqual(testdataExpected);
    });
  });

  describe('statuses the reconciler writes', () => {
    const now = new Date('2026-01-05T12:00:00Z');
    const inputs = (outcome: ReconcileOutcome, over: Partial<StatusInputs> = {}): StatusInputs => ({
      old: undefined,
      generation: 3,
      outcome,
      cronJobName: 'acme-sync',
      schedule: '17 */2 * * *',
      nextRunTime: new Date('2026-01-05T12:17:00Z'),
      lastScheduleTime: undefined,
      lastHandledRunRequest: undefined,
      now,
      ...over,
    });
    const ready: ReconcileOutcome = { kind: 'ready', suspended: false, message: 'CronJob acme-sync runs at 17 */2 * * *' };
    const suspended: ReconcileOutcome = { kind: 'ready', suspended: true, message: 'CronJob acme-sync is suspended' };
    const stalled: ReconcileOutcome = { kind: 'stalled', reason: 'SecretNotFound', message: 'Secret tenants/acme-freshdesk not found' };
    const invalid: ReconcileOutcome = { kind: 'stalled', reason: 'InvalidSpec', message: 'spec.interval: bad' };
    const retrying: ReconcileOutcome = { kind: 'retrying', reason: 'KubeApiError', message: 'apply CronJob: 500' };

    /** The controller's pass: computeStatus, then SyncHealthy and how it shows in Ready (withRunHealth). */
    function withRuns(outcome: ReconcileOutcome, runs: Partial<TenantSyncStatus>, createdAt = '2026-01-05T06:00:00Z'): TenantSyncStatus {
      return withRunHealth({
        status: { ...computeStatus(inputs(outcome)), ...runs },
        name: 'acme',
        cronJobName: 'acme-sync',
        periodSeconds: 7200,
        createdAt,
        suspended: outcome.kind === 'ready' && outcome.suspended,
        now,
        outcome,
        generation: 3,
      }).status;
    }
    const failedRun: Partial<TenantSyncStatus> = {
      lastRun: { jobName: 'acme-sync-1', trigger: 'scheduled', outcome: 'Failed', completionTime: '2026-01-05T11:17:40Z', message: 'Freshdesk answered 401' },
      consecutiveFailures: 3,
      lastSuccessfulRunTime: '2026-01-05T10:17:40Z',
    };
    const staleRuns: Partial<TenantSyncStatus> = {
      // More than two periods (2h) before now.
      lastRun: { jobName: 'acme-sync-0', trigger: 'scheduled', outcome: 'Succeeded', completionTime: '2026-01-05T07:17:40Z' },
      lastSuccessfulRunTime: '2026-01-05T07:17:40Z',
    };
    const condition = (type: string, status: Condition['status']): Condition => ({ type, status, reason: 'Test', message: type, lastTransitionTime: '2026-01-05T12:00:00Z' });

    const cases: { name: string; generation: number; status: TenantSyncStatus | undefined; expected: KStatus }[] = [
      { name: 'created', generation: 1, status: undefined, expected: 'Current' },
      { name: 'ready', generation: 3, status: computeStatus(inputs(ready)), expected: 'Current' },
      { name: 'suspended', generation: 3, status: computeStatus(inputs(suspended)), expected: 'Current' },
      { name: 'stalled-secret', generation: 3, status: computeStatus(inputs(stalled)), expected: 'Failed' },
      { name: 'stalled-invalid-spec', generation: 3, status: computeStatus(inputs(invalid)), expected: 'Failed' },
      { name: 'retrying', generation: 3, status: computeStatus(inputs(retrying)), expected: 'InProgress' },
      { name: 'retrying-after-stalled', generation: 3, status: computeStatus(inputs(retrying, { old: computeStatus(inputs(stalled)) })), expected: 'InProgress' },
      { name: 'ready-after-stalled', generation: 3, status: computeStatus(inputs(ready, { old: computeStatus(inputs(stalled)) })), expected: 'Current' },
      { name: 'spec-changed-since', generation: 4, status: computeStatus(inputs(ready)), expected: 'InProgress' },
      { name: 'awaiting-first-run', generation: 3, status: withRuns(ready, {}, '2026-01-05T11:00:00Z'), expected: 'Current' },
      { name: 'run-succeeded', generation: 3, status: withRuns(ready, { ...staleRuns, lastSuccessfulRunTime: '2026-01-05T11:17:40Z' }), expected: 'Current' },
      // withSyncHealth pulls Ready to False for a failing or stale tenant without Stalled/Reconciling; kstatus
      // then falls back to Ready (checkReadyCondition): InProgress, as its doc comment says.
      { name: 'run-failed', generation: 3, status: withRuns(ready, failedRun), expected: 'InProgress' },
      { name: 'stale', generation: 3, status: withRuns(ready, staleRuns), expected: 'InProgress' },
      { name: 'suspended-run-failed', generation: 3, status: withRuns(suspended, failedRun), expected: 'Current' },
      { name: 'stalled-run-failed', generation: 3, status: withRuns(stalled, failedRun), expected: 'Failed' },
      // Orders and values the reconciler does not write, to pin kstatusOf to Compute's rules.
      { name: 'stalled-listed-first', generation: 3, status: { observedGeneration: 3, conditions: [condition('Stalled', 'True'), condition('Reconciling', 'True')] }, expected: 'Failed' },
      { name: 'reconciling-listed-first', generation: 3, status: { observedGeneration: 3, conditions: [condition('Reconciling', 'True'), condition('Stalled', 'True')] }, expected: 'InProgress' },
      { name: 'stalled-false-ready-true', generation: 3, status: { observedGeneration: 3, conditions: [condition('Stalled', 'False'), condition('Ready', 'True')] }, expected: 'Current' },
      { name: 'no-observed-generation-ready-false', generation: 3, status: { conditions: [condition('Ready', 'False')] }, expected: 'InProgress' },
      { name: 'only-sync-healthy-false', generation: 3, status: { observedGeneration: 3, conditions: [condition('SyncHealthy', 'False')] }, expected: 'Current' },
    ];

    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'tenantsync-kstatus-'));
    });
    afterAll(() => {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it('gives each the expected status, and kstatusOf agrees', () => {
      const file = join(dir, 'statuses.yaml');
      const objects = cases.map((c) => ({
        apiVersion: 'tenantsync.io/v1alpha1',
        kind: 'TenantSync',
        metadata: { name: c.name, namespace: 'tenants', generation: c.generation },
        ...(c.status === undefined ? {} : { status: c.status }),
      }));
      writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
      const reports = realKstatus([file]);
      const expected = Object.fromEntries(cases.map((c) => [c.name, c.expected]));
      expect(Object.fromEntries(reports.map((r) => [r.name, r.error ?? r.status]))).toEqual(expected);
      expect(Object.fromEntries(cases.map((c) => [c.name, kstatusOf(c.generation, c.status)]))).toEqual(expected);
    });

    it('builds the run scenarios it means to (SyncHealthy as named)', () => {
      const syncHealthy = (status: TenantSyncStatus | undefined) => status?.conditions?.find((c) => c.type === 'SyncHealthy');
      const byName = Object.fromEntries(cases.map((c) => [c.name, syncHealthy(c.status)?.reason]));
      expect(byName).toMatchObject({ 'awaiting-first-run': 'AwaitingFirstRun', 'run-succeeded': 'SyncSucceeded', 'run-failed': 'SyncFailed', stale: 'Stale' });
    });

    it('Ready=False from a failed run is the run\'s reason, which kstatus reports as its message', () => {
      const status = withRuns(ready, failedRun);
      expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
        ['Ready', 'False', 'SyncFailed'],
        ['SyncHealthy', 'False', 'SyncFailed'],
      ]);
      const file = join(dir, 'run-failed.yaml');
      writeFileSync(file, stringify({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', metadata: { name: 'acme', generation: 3 }, status }));
      const [report] = realKstatus([file]);
      expect(report).toMatchObject({ status: 'InProgress', message: status.conditions?.[0]?.message });
    });
  });

  it('tells a Terminating object (deletionTimestamp set) apart: the tool runs the real rules, not a copy of ours', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenantsync-kstatus-'));
    try {
      const file = join(dir, 'deleting.yaml');
      writeFileSync(file, stringify({ apiVersion: 'tenantsync.io/v1alpha1', kind: 'TenantSync', metadata: { name: 'acme', generation: 1, deletionTimestamp: '2026-01-05T12:00:00Z' } }));
      expect(realKstatus([file]).map((r) => r.status)).toEqual(['Terminating']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
