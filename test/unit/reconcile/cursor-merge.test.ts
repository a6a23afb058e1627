import { describe, expect, it } from 'vitest';
import { stateSchema, type JobResult, type JobState } from '../../../sync-job/contract.js';
import { cursorDisplay, mergeCursor, mergeState, readStateData } from '../../../operator/reconcile/cursor-merge.js';
import { stateData } from '../../../operator/reconcile/desired-configmaps.js';

const at = (s: string) => `2025-05-01T${s}Z`;

describe('mergeCursor (forward only)', () => {
  it('takes the later high-water mark', () => {
    expect(mergeCursor({ updatedAt: at('10:00:00'), ids: ['1'] }, { updatedAt: at('10:00:01'), ids: ['2'] })).toEqual({
      cursor: { updatedAt: at('10:00:01'), ids: ['2'] },
      advanced: true,
    });
  });

  it('never moves back to an older high-water mark', () => {
    expect(mergeCursor({ updatedAt: at('10:00:01'), ids: ['2'] }, { updatedAt: at('10:00:00'), ids: ['1', '3'] })).toEqual({
      cursor: { updatedAt: at('10:00:01'), ids: ['2'] },
      advanced: false,
    });
  });

  it('compares instants, not strings (offsets and fractions)', () => {
    const current = { updatedAt: '2025-05-01T12:00:00+02:00' };
    expect(mergeCursor(current, { updatedAt: at('09:59:59') }).advanced).toBe(false);
    expect(mergeCursor(current, { updatedAt: at('10:00:00.500') }).advanced).toBe(true);
  });

  it('at the same second unites the delivered ids (both sets were acknowledged)', () => {
    expect(mergeCursor({ updatedAt: at('10:00:00'), ids: ['1', '2'] }, { updatedAt: at('10:00:00'), ids: ['2', '3'] })).toEqual({
      cursor: { updatedAt: at('10:00:00'), ids: ['1', '2', '3'] },
      advanced: true,
    });
    expect(mergeCursor({ updatedAt: at('10:00:00'), ids: ['1', '2'] }, { updatedAt: at('10:00:00'), ids: ['2'] }).advanced).toBe(false);
  });

  it('a cursor "from the start" never replaces a real one, and anything beats none', () => {
    expect(mergeCursor({ updatedAt: at('10:00:00') }, {})).toEqual({ cursor: { updatedAt: at('10:00:00') }, advanced: false });
    expect(mergeCursor(undefined, {})).toEqual({ cursor: {}, advanced: false });
    expect(mergeCursor(undefined, { updatedAt: at('10:00:00') })).toEqual({ cursor: { updatedAt: at('10:00:00') }, advanced: true });
  });
});

function result(startedAt: string, streams: JobResult['streams']): JobResult {
  return { version: 1, outcome: 'Succeeded', startedAt, finishedAt: startedAt, streams };
}

describe('mergeState', () => {
  const state: JobState = {
    version: 1,
    streams: { tickets: { cursor: { updatedAt: at('10:00:00'), ids: ['7'] }, lastSuccessAt: at('09:00:00') } },
  };

  it('advances cursors and sets lastSuccessAt to the run start for streams that succeeded', () => {
    const merged = mergeState(
      state,
      result(at('11:00:00.250'), {
        tickets: { outcome: 'Succeeded', records: 3, cursor: { updatedAt: at('10:30:00'), ids: ['8'] } },
        contacts: { outcome: 'Succeeded', records: 0, cursor: {} },
      }),
    );
    expect(merged.changed).toBe(true);
    expect(merged.state).toEqual({
      version: 1,
      streams: {
        tickets: { cursor: { updatedAt: at('10:30:00'), ids: ['8'] }, lastSuccessAt: at('11:00:00.250') },
        contacts: { cursor: {}, lastSuccessAt: at('11:00:00.250') },
      },
    });
    // The sync job reads exactly this.
    expect(stateSchema.parse(JSON.parse(stateData(merged.state)['state.json'] ?? ''))).toEqual(merged.state);
  });

  it('an older result changes nothing: neither the cursor nor lastSuccessAt', () => {
    const merged = mergeState(state, result(at('08:00:00'), { tickets: { outcome: 'Succeeded', records: 9, cursor: { updatedAt: at('09:00:00') } } }));
    expect(merged).toEqual({ state, changed: false });
  });

  it('a failed stream keeps its acknowledged progress but not a new lastSuccessAt; NotDue streams are untouched', () => {
    const merged = mergeState(
      state,
      result(at('11:00:00'), {
        tickets: { outcome: 'Failed', records: 2, cursor: { updatedAt: at('10:10:00') }, error: 'SINK_REJECTED' },
        agents: { outcome: 'NotDue', records: 0, cursor: { updatedAt: at('10:10:00') } },
      }),
    );
    expect(merged.state.streams).toEqual({ tickets: { cursor: { updatedAt: at('10:10:00') }, lastSuccessAt: at('09:00:00') } });
  });

  it('applying the same result twice changes nothing the second time', () => {
    const r = result(at('11:00:00'), { tickets: { outcome: 'Succeeded', records: 1, cursor: { updatedAt: at('10:20:00') } } });
    const once = mergeState(state, r);
    expect(mergeState(once.state, r)).toEqual({ state: once.state, changed: false });
  });
});

describe('readStateData', () => {
  it('reads the state file, treats a missing one as empty and reports garbage', () => {
    expect(readStateData(stateData({ version: 1, streams: {} }))).toEqual({ ok: true, state: { version: 1, streams: {} } });
    expect(readStateData(undefined)).toEqual({ ok: true, state: { version: 1, streams: {} } });
    expect(readStateData({ 'state.json': '{not json' })).toMatchObject({ ok: false, problem: expect.stringMatching(/^state\.json is not JSON/) });
    expect(readStateData({ 'state.json': '{"version":2,"streams":{}}' })).toMatchObject({ ok: false, problem: expect.stringMatching(/state format: version/) });
  });
});

describe('cursorDisplay', () => {
  it('shows the high-water time and how many ids share it', () => {
    expect(cursorDisplay({ updatedAt: at('10:00:00'), ids: ['1', '2', '3'] })).toBe(`${at('10:00:00')} (+3 ids at that second)`);
    expect(cursorDisplay({ updatedAt: at('10:00:00'), ids: ['1'] })).toBe(at('10:00:00'));
    expect(cursorDisplay({})).toBeUndefined();
  });
});
