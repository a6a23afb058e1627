// Re-sync requests: the annotation's format, once per value, and the one backwards move of a cursor that a
// run started before it cannot undo.
import { describe, expect, it } from 'vitest';
import { resyncAnnotation, resyncRequestedAtAnnotation } from '../../../operator/api/tenantsync.js';
import { mergeState } from '../../../operator/reconcile/cursor-merge.js';
import { manualJobName } from '../../../operator/reconcile/names.js';
import { decideResync, parseResync, resetCursors, stateForSource, stateSource } from '../../../operator/reconcile/resync.js';
import type { JobResult, JobState } from '../../../sync-job/contract.js';

const at = (s: string) => `2025-05-01T${s}Z`;
const streams = ['tickets', 'contacts', 'agents'];

describe('parseResync', () => {
  it('reads streams and an optional RFC 3339 time; * is every stream', () => {
    expect(parseResync('tickets,contacts@2024-01-01T00:00:00Z', streams)).toEqual({ ok: true, streams: ['tickets', 'contacts'], from: '2024-01-01T00:00:00Z' });
    expect(parseResync(' tickets ', streams)).toEqual({ ok: true, streams: ['tickets'], from: undefined });
    expect(parseResync('*@2024-01-01T00:00:00+02:00', streams)).toEqual({ ok: true, streams, from: '2024-01-01T00:00:00+02:00' });
  });

  it.each([
    [undefined, `${resyncAnnotation} is missing`],
    ['calls@2024-01-01T00:00:00Z', 'names "calls", not a stream of this TenantSync'],
    ['tickets@yesterday', '"yesterday" is not an RFC 3339 time'],
    ['tickets@2024-01-01', '"2024-01-01" is not an RFC 3339 time'],
    ['tickets@2024-01-01T00:00:00Z@x', 'more than one @'],
    ['@2024-01-01T00:00:00Z', 'names "", not a stream'],
  ])('rejects %j, naming the annotation and what is allowed', (text, problem) => {
    const parsed = parseResync(text, streams);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problem).toContain(problem);
    expect(parsed.problem).toContain('e.g. "tickets,contacts@2024-01-01T00:00:00Z"; streams: tickets, contacts, agents');
  });
});

describe('decideResync', () => {
  const annotations = { [resyncRequestedAtAnnotation]: 'r1', [resyncAnnotation]: 'tickets@2024-01-01T00:00:00Z' };
  const inputs = { name: 'acme', annotations, lastHandledResyncRequest: undefined, streamNames: streams, canRun: true };

  it('a new value resets and starts a Job named apart from the run-now Job of the same value', () => {
    const decision = decideResync(inputs);
    expect(decision).toEqual({ action: 'resync', request: { value: 'r1', streams: ['tickets'], from: '2024-01-01T00:00:00Z' }, jobName: manualJobName('acme', 'resync r1') });
    expect(decision.action === 'resync' && decision.jobName).not.toBe(manualJobName('acme', 'r1'));
  });

  it('the handled value does nothing again; a missing Secret makes it wait; a bad one is rejected', () => {
    expect(decideResync({ ...inputs, lastHandledResyncRequest: 'r1' })).toEqual({ action: 'none' });
    expect(decideResync({ ...inputs, annotations: { [resyncAnnotation]: 'tickets' } })).toEqual({ action: 'none' });
    expect(decideResync({ ...inputs, canRun: false })).toEqual({ action: 'wait', value: 'r1' });
    expect(decideResync({ ...inputs, annotations: { ...annotations, [resyncAnnotation]: 'calls' } })).toMatchObject({ action: 'reject', value: 'r1' });
  });
});

describe('resetCursors', () => {
  const state: JobState = {
    version: 1,
    streams: {
      tickets: { cursor: { updatedAt: at('10:00:00'), ids: ['7'] }, lastSuccessAt: at('10:00:05') },
      contacts: { cursor: { updatedAt: at('09:00:00') }, lastSuccessAt: at('10:00:05') },
    },
  };
  const now = new Date(at('12:00:00'));

  it('sets only the named streams back (to the time, or to the start), marked with the time and the request', () => {
    const reset = resetCursors(state, { value: 'r1', streams: ['tickets', 'agents'], from: at('08:00:00') }, now);
    expect(reset.changed).toBe(true);
    expect(reset.state.streams.contacts).toEqual(state.streams.contacts);
    expect(reset.state.streams.tickets).toEqual({ cursor: { updatedAt: at('08:00:00') }, lastSuccessAt: at('10:00:05'), resetAt: now.toISOString(), resetBy: 'r1' });
    expect(reset.state.streams.agents).toEqual({ cursor: { updatedAt: at('08:00:00') }, resetAt: now.toISOString(), resetBy: 'r1' });
    expect(reset.described).toEqual([`tickets: ${at('10:00:00')} → ${at('08:00:00')}`, `agents: the start → ${at('08:00:00')}`]);
    expect(resetCursors(state, { value: 'r2', streams: ['contacts'], from: undefined }, now).state.streams.contacts?.cursor).toEqual({});
  });

  it('the same request never resets twice (a retried pass after the Job started)', () => {
    const once = resetCursors(state, { value: 'r1', streams: ['tickets'], from: at('08:00:00') }, now).state;
    expect(resetCursors(once, { value: 'r1', streams: ['tickets'], from: at('08:00:00') }, new Date(at('12:05:00')))).toMatchObject({ changed: false, state: once });
  });

  it('a run that started before the reset cannot move the cursor forward again; a run started after it can', () => {
    const reset = resetCursors(state, { value: 'r1', streams: ['tickets'], from: at('08:00:00') }, now).state;
    const result = (startedAt: string): JobResult => ({
      version: 1,
      outcome: 'Succeeded',
      startedAt,
      finishedAt: startedAt,
      streams: {
        tickets: { outcome: 'Succeeded', records: 5, cursor: { updatedAt: at('11:00:00') } },
        contacts: { outcome: 'Succeeded', records: 1, cursor: { updatedAt: at('11:30:00') } },
      },
    });
    const stale = mergeState(reset, result(at('11:59:00')));
    expect(stale.state.streams.tickets).toEqual(reset.streams.tickets);
    expect(stale.state.streams.contacts?.cursor).toEqual({ updatedAt: at('11:30:00') });
    const fresh = mergeState(reset, result(at('12:01:00')));
    expect(fresh.state.streams.tickets).toEqual({ ...reset.streams.tickets, cursor: { updatedAt: at('11:00:00') }, lastSuccessAt: at('12:01:00') });
  });
});

describe('stateForSource (cursors are only good for the source they were read from)', () => {
  const now = new Date(at('12:00:00'));
  const a = 'https://acme.freshdesk.com/api/v2 tenant acme';
  const b = 'https://acme-eu.freshdesk.com/api/v2 tenant acme';
  const kept: JobState = { version: 1, source: a, streams: { tickets: { cursor: { updatedAt: at('11:00:00') }, lastSuccessAt: at('11:05:00') } } };
  const result = (startedAt: string): JobResult => ({
    version: 1,
    outcome: 'Succeeded',
    startedAt,
    finishedAt: startedAt,
    streams: { tickets: { outcome: 'Succeeded', records: 5, cursor: { updatedAt: at('11:00:00') } }, contacts: { outcome: 'Succeeded', records: 2, cursor: { updatedAt: at('11:10:00') } } },
  });

  it('leaves a state of the same source alone, and only names the source in one made before it was recorded', () => {
    expect(stateForSource(kept, a, now, ['tickets'])).toEqual({ state: kept, changed: false });
    const { source: _source, ...legacy } = kept;
    expect(stateForSource(legacy, a, now, ['tickets'])).toEqual({ state: kept, changed: true });
  });

  it('starts every stream of another source over, marked reset now — also one with no cursor yet: a run that started before cannot move them', () => {
    const check = stateForSource(kept, b, now, ['tickets', 'contacts']);
    const reset = { cursor: {}, resetAt: now.toISOString(), resetBy: `source ${b}` };
    expect(check).toEqual({
      state: { version: 1, source: b, streams: { tickets: reset, contacts: reset } },
      changed: true,
      reset: { from: a, described: [`tickets: ${at('11:00:00')} → the start`] },
    });
    // The old account's first run, started before the change, finishes after it: none of its cursors is merged.
    const late = mergeState(check.state, result(at('11:59:00')));
    expect(late.state).toEqual(check.state);
    const next = mergeState(check.state, result(at('12:01:00')));
    expect(next.state.source).toBe(b);
    expect(next.state.streams.tickets?.cursor).toEqual({ updatedAt: at('11:00:00') });
  });

  it('names one source however its address is spelled, as the job addresses it; another host, path or tenant id is another', () => {
    const of = (baseUrl: string, tenantId = 'acme') => stateSource({ tenantId, source: { baseUrl } });
    const same = ['https://acme.freshdesk.com', 'https://acme.freshdesk.com/', 'https://ACME.freshdesk.com/api/v2', 'https://acme.freshdesk.com:443/api/v2/'];
    expect(new Set(same.map((u) => of(u)))).toEqual(new Set(['https://acme.freshdesk.com/api/v2 tenant acme']));
    expect(of('https://acme-eu.freshdesk.com')).not.toBe(of('https://acme.freshdesk.com'));
    expect(of('http://proxy.tools.svc/acme')).toBe('http://proxy.tools.svc/acme/api/v2 tenant acme');
    expect(of('https://acme.freshdesk.com', 'acme-eu')).not.toBe(of('https://acme.freshdesk.com'));
  });
});
