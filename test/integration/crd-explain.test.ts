// What a person sees with kubectl: `kubectl explain` describes the fields, and `kubectl get tsync`
// shows the printer columns, including the Ready condition's message in words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressibleIntervalsText } from '../../operator/api/duration.js';
import { createTestNamespace, kubectl, type KubectlResult, type TestNamespace } from '../controlplane/test-kube.js';
import { parseKubectlTable } from '../support/kubectl-table.js';

const publishTimeoutMs = 60_000;
const retryDelayMs = 500;

/** The API server publishes a new CRD's OpenAPI a moment after it is Established: retry explain briefly. */
async function explain(field: string): Promise<KubectlResult> {
  const deadline = Date.now() + publishTimeoutMs;
  for (;;) {
    const result = await kubectl(['explain', field]);
    if (result.code === 0 || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
  }
}

describe('kubectl explain', () => {
  it('tenantsync.spec.interval prints a useful description', async () => {
    const result = await explain('tenantsync.spec.interval');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/FIELD:\s+interval\s+<string>/);
    const text = result.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('How often the tenant is synced');
    expect(text).toContain(expressibleIntervalsText);
    expect(text).toContain('every 2h');
  });

  it('works with the short name and lists the fields of spec with their descriptions', async () => {
    const result = await explain('tsync.spec');
    expect(result.stderr).toBe('');
    for (const field of ['interval', 'schedule', 'timeZone', 'suspend', 'source', 'sink', 'job', 'tenantId']) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${field}\\s+<`, 'm'));
    }
    const streams = await explain('tsync.spec.source.streams.name');
    expect(streams.stdout.replace(/\s+/g, ' ')).toContain('One of: tickets, conversations');
  });

  it('explains the lookback and what startDate limits', async () => {
    const lookback = await explain('tsync.spec.source.lookback');
    expect(lookback.stdout).toMatch(/FIELD:\s+lookback\s+<string>/);
    const text = lookback.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('How far behind its cursor each run re-reads a stream');
    expect(text).toContain('Default: 5m');
    const startDate = (await explain('tsync.spec.source.startDate')).stdout.replace(/\s+/g, ' ');
    expect(startDate).toContain('Reference data (agents, groups, companies, articles) is always delivered in full');
  });
});

describe('kubectl get tsync', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('crd-columns');
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it('shows ready, reason, schedule, interval, suspended, last success, next run and age; -o wide adds failures, last outcome and the message', async () => {
    const manifest = {
      apiVersion: 'tenantsync.io/v1alpha1',
      kind: 'TenantSync',
      metadata: { name: 'acme' },
      spec: {
        interval: '4h',
        source: { domain: 'acme.freshdesk.com', credentialsSecretRef: { name: 'acme-freshdesk' } },
        sink: { url: 'https://ingest.example.com/v1' },
      },
    };
    const applied = await kubectl(['apply', '-n', ns.name, '-f', '-'], { input: JSON.stringify(manifest) });
    expect(applied.code, applied.stderr).toBe(0);

    // Write status as the operator would (through the status subresource).
    const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
    const nextRunTime = rfc3339(Date.now() + 3600_000);
    const status = {
      status: {
        schedule: '17 */4 * * *',
        nextRunTime,
        lastSuccessfulRunTime: rfc3339(Date.now() - 3 * 3600_000),
        consecutiveFailures: 2,
        lastRun: { jobName: 'acme-sync-1', trigger: 'scheduled', outcome: 'Failed', startTime: rfc3339(Date.now() - 600_000) },
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'SecretNotFound',
            message: 'Secret acme-freshdesk not found in the namespace',
            lastTransitionTime: rfc3339(Date.now()),
          },
        ],
      },
    };
    const patched = await kubectl(['patch', '-n', ns.name, 'tsync', 'acme', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
    expect(patched.code, patched.stderr).toBe(0);

    const got = await kubectl(['get', '-n', ns.name, 'tsync']);
    expect(got.stderr).toBe('');
    const table = parseKubectlTable(got.stdout);
    expect(table.columns).toEqual(['NAME', 'READY', 'REASON', 'SCHEDULE', 'INTERVAL', 'SUSPENDED', 'LAST SUCCESS', 'NEXT RUN', 'AGE']);
    expect(table.rows).toEqual([
      {
        NAME: 'acme', READY: 'False', REASON: 'SecretNotFound', SCHEDULE: '17 */4 * * *', INTERVAL: '4h', SUSPENDED: 'false',
        'LAST SUCCESS': '3h', 'NEXT RUN': nextRunTime, AGE: expect.stringMatching(/^\d+s$/),
      },
    ]);

    const wide = await kubectl(['get', '-n', ns.name, 'tsync', '-o', 'wide']);
    expect(wide.stderr).toBe('');
    const wideTable = parseKubectlTable(wide.stdout);
    expect(wideTable.columns).toEqual([
      'NAME', 'READY', 'REASON', 'SCHEDULE', 'INTERVAL', 'SUSPENDED', 'LAST SUCCESS', 'NEXT RUN', 'AGE', 'FAILURES', 'LAST OUTCOME', 'MESSAGE',
    ]);
    expect(wideTable.rows[0]).toMatchObject({ FAILURES: '2', 'LAST OUTCOME': 'Failed', MESSAGE: 'Secret acme-freshdesk not found in the namespace' });

    // Suspended shows as such, and a cron-scheduled tenant has an empty INTERVAL.
    const suspended = await kubectl(['patch', '-n', ns.name, 'tsync', 'acme', '--type=merge', '-p', JSON.stringify({ spec: { suspend: true, interval: null, schedule: '17 */4 * * *' } })]);
    expect(suspended.code, suspended.stderr).toBe(0);
    const after = parseKubectlTable((await kubectl(['get', '-n', ns.name, 'tsync'])).stdout);
    expect(after.rows[0]).toMatchObject({ NAME: 'acme', INTERVAL: '', SUSPENDED: 'true' });
  });

  it('rejects a status time that is not RFC 3339 and an outcome that is not one of the outcomes, naming the field', async () => {
    for (const [status, field] of [
      [{ nextRunTime: 'tomorrow' }, 'status.nextRunTime'],
      [{ lastRun: { jobName: 'acme-sync-1', trigger: 'scheduled', outcome: 'Exploded' } }, 'status.lastRun.outcome'],
    ] as const) {
      const patched = await kubectl(['patch', '-n', ns.name, 'tsync', 'acme', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
      expect(patched.code, field).not.toBe(0);
      expect(patched.stderr, field).toContain(field);
    }
  });

  it('lists TenantSyncs under the plural, the singular and the tenant-sync category', async () => {
    for (const name of ['tenantsyncs', 'tenantsync', 'tenantsyncs.tenantsync.io', 'tenant-sync']) {
      const got = await kubectl(['get', '-n', ns.name, name, '-o', 'name']);
      expect(got.stderr, name).toBe('');
      expect(got.stdout.trim(), name).toBe('tenantsync.tenantsync.io/acme');
    }
  });
});
