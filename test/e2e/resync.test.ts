// Re-sync (backfill) end to end: after a run, `tenantsync.io/resync: tickets@<time>` with a new
// `tenantsync.io/resync-requested-at` value sets the tickets cursor back to that time in the state ConfigMap,
// starts one run (through the run gate) that re-delivers the tickets updated since then, says so in an Event,
// echoes the value in status, and leaves the contacts cursor alone.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiVersion, kind, resyncAnnotation, resyncRequestedAtAnnotation } from '../../operator/api/tenantsync.js';
import { manualJobName } from '../../operator/reconcile/names.js';
import { stateSchema, type JobState } from '../../sync-job/contract.js';
import { createCredentials, createTenant, deliveredSince, idsOf, requestRun, startE2e, tenant, tenantEvents, waitFor, waitForRunRecorded, type E2e } from './e2e-support.js';

const name = 'resync';
let e2e: E2e;

async function savedState(): Promise<JobState> {
  const cm = await e2e.client.get<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: e2e.ns.name, name: `${name}-state` });
  return stateSchema.parse(JSON.parse(cm?.data?.['state.json'] ?? '{"version":1,"streams":{}}'));
}

function requestResync(what: string, value: string): Promise<unknown> {
  return e2e.client.mergePatch({ apiVersion, kind, namespace: e2e.ns.name, name }, { metadata: { annotations: { [resyncAnnotation]: what, [resyncRequestedAtAnnotation]: value } } });
}

beforeAll(async () => {
  e2e = await startE2e('e2e-resync');
  await createCredentials(e2e, e2e.system.freshdesk.apiKey);
  // 24h: no scheduled run during the test. Lookback 0s: a run reads exactly from its cursor, so what it
  // delivers shows where the cursor was.
  await createTenant(e2e, name, { interval: '24h', streams: [{ name: 'tickets' }, { name: 'contacts' }], lookback: '0s' });
});

afterAll(async () => {
  await e2e?.cleanup();
});

describe('re-sync', () => {
  it('after a run, a re-sync of one stream re-delivers that stream from the given time and leaves the others\' cursors alone', { timeout: 300_000 }, async () => {
    await requestRun(e2e, name, 'run-1');
    const first = await waitForRunRecorded(e2e, name, manualJobName(name, 'run-1'));
    expect(first.status?.lastRun).toMatchObject({ outcome: 'Succeeded' });
    const before = await savedState();
    expect(before.streams.contacts?.cursor.updatedAt).toBeDefined();
    const afterFirst = e2e.system.sink.deliveries.length;

    // Back to the middle of the tickets' history: the newer half is delivered again.
    const tickets = deliveredSince(e2e.system, 0, name, 'tickets');
    const times = [...new Set(tickets.map((t) => t.updatedAt))].sort((a, b) => Date.parse(a) - Date.parse(b));
    const from = new Date(Date.parse(times[Math.floor(times.length / 2)]!)).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const expected = idsOf(tickets.filter((t) => Date.parse(t.updatedAt) >= Date.parse(from)));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(idsOf(tickets).length);

    await requestResync(`tickets@${from}`, 'backfill-1');
    const jobName = manualJobName(name, 'resync backfill-1');
    await waitFor('the re-sync request echoed in status', async () => (await tenant(e2e, name))?.status?.lastHandledResyncRequest === 'backfill-1');
    const events = await waitFor('a ResyncStarted Event', async () => {
      const found = await tenantEvents(e2e, name, 'ResyncStarted');
      return found.length > 0 ? found : false;
    });
    expect(events[0]?.note).toContain(`tickets: ${before.streams.tickets?.cursor.updatedAt}`);
    expect(events[0]?.note).toContain(`→ ${from}`);
    expect(events[0]?.note).toContain(jobName);
    expect(events[0]?.note).not.toContain('contacts');

    const second = await waitForRunRecorded(e2e, name, jobName);
    expect(second.status?.lastRun).toMatchObject({ outcome: 'Succeeded', trigger: 'manual' });
    expect(idsOf(deliveredSince(e2e.system, afterFirst, name, 'tickets'))).toEqual(expected);
    expect(deliveredSince(e2e.system, afterFirst, name, 'contacts')).toEqual([]);

    const after = await savedState();
    expect(after.streams.contacts?.cursor).toEqual(before.streams.contacts?.cursor);
    expect(after.streams.tickets?.cursor).toEqual(before.streams.tickets?.cursor);
    expect(after.streams.tickets?.resetBy).toBe('backfill-1');
  });

  it('rejects a re-sync naming an unknown stream with a Warning naming the annotation, once, and resets nothing', { timeout: 60_000 }, async () => {
    const before = await savedState();
    await requestResync('tickets,calls@2024-01-01T00:00:00Z', 'backfill-2');
    await waitFor('the bad request handled', async () => (await tenant(e2e, name))?.status?.lastHandledResyncRequest === 'backfill-2');
    // Events are written in the background, right after the pass that records them.
    const rejected = await waitFor('the ResyncRejected Event', async () => {
      const found = await tenantEvents(e2e, name, 'ResyncRejected');
      return found.length > 0 ? found : false;
    });
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.type).toBe('Warning');
    expect(rejected[0]?.note).toContain(`${resyncAnnotation} "tickets,calls@2024-01-01T00:00:00Z" names "calls"`);
    expect(await savedState()).toEqual(before);
  });
});
