// Cursor rules: forward-only, boundary ids de-duplicate the re-read second and skip nothing else.
import { describe, expect, it } from 'vitest';
import { CursorTracker, compareCursors, mergeCursorsForward, normalizeCursor } from '../../../sync-job/core/cursor.js';

const at = (updatedAt: string, id: string) => ({ updatedAt, id });

describe('CursorTracker', () => {
  it('treats an empty cursor as "nothing delivered"', () => {
    const cursor = new CursorTracker();
    expect(cursor.has(at('2000-01-01T00:00:00Z', '1'))).toBe(false);
    expect(cursor.snapshot()).toEqual({});
  });

  it('skips older seconds and boundary ids, but not other ids at the boundary second', () => {
    const cursor = new CursorTracker({ updatedAt: '2024-05-01T10:00:00Z', ids: ['7', '9'] });
    expect(cursor.has(at('2024-05-01T09:59:59Z', '1'))).toBe(true);
    expect(cursor.has(at('2024-05-01T10:00:00Z', '7'))).toBe(true);
    expect(cursor.has(at('2024-05-01T10:00:00Z', '8'))).toBe(false);
    expect(cursor.has(at('2024-05-01T10:00:01Z', '7'))).toBe(false);
  });

  it('advances forward only: a later second resets the ids, the same second adds, an older one is ignored', () => {
    const cursor = new CursorTracker({ updatedAt: '2024-05-01T10:00:00Z', ids: ['1'] });
    cursor.advance(at('2024-05-01T10:00:00Z', '2'));
    expect(cursor.snapshot()).toEqual({ updatedAt: '2024-05-01T10:00:00Z', ids: ['1', '2'] });
    cursor.advance(at('2024-05-01T09:00:00Z', '3'));
    expect(cursor.snapshot()).toEqual({ updatedAt: '2024-05-01T10:00:00Z', ids: ['1', '2'] });
    cursor.advance(at('2024-05-01T10:00:05Z', '4'));
    expect(cursor.snapshot()).toEqual({ updatedAt: '2024-05-01T10:00:05Z', ids: ['4'] });
  });

  it('settles a whole cursor forward and never back', () => {
    const cursor = new CursorTracker({ updatedAt: '2024-05-01T10:00:00Z', ids: ['1'] });
    cursor.settle({ updatedAt: '2024-04-01T00:00:00Z', ids: [] });
    expect(cursor.updatedAt).toBe('2024-05-01T10:00:00Z');
    cursor.settle({ updatedAt: '2024-05-01T10:00:00Z', ids: ['2'] });
    expect(cursor.snapshot().ids).toEqual(['1', '2']);
    cursor.settle({});
    expect(cursor.snapshot().ids).toEqual(['1', '2']);
  });

  it('normalizes offsets and sub-seconds to the canonical second', () => {
    expect(normalizeCursor({ updatedAt: '2024-05-01T12:00:00.900+02:00', ids: ['1', '1'] })).toEqual({
      updatedAt: '2024-05-01T10:00:00Z',
      ids: ['1'],
    });
  });
});

describe('mergeCursorsForward / compareCursors', () => {
  it('keeps the later cursor, unites ids at the same second', () => {
    expect(mergeCursorsForward({ updatedAt: '2024-05-01T10:00:00Z', ids: ['1'] }, { updatedAt: '2024-05-01T09:00:00Z', ids: ['2'] })).toEqual({
      updatedAt: '2024-05-01T10:00:00Z',
      ids: ['1'],
    });
    expect(mergeCursorsForward({ updatedAt: '2024-05-01T10:00:00Z', ids: ['1'] }, { updatedAt: '2024-05-01T10:00:00Z', ids: ['2'] })).toEqual({
      updatedAt: '2024-05-01T10:00:00Z',
      ids: ['1', '2'],
    });
    expect(compareCursors({}, { updatedAt: '2024-05-01T10:00:00Z' })).toBeLessThan(0);
    expect(compareCursors({ updatedAt: '2024-05-02T00:00:00Z' }, { updatedAt: '2024-05-01T10:00:00Z' })).toBeGreaterThan(0);
  });
});
