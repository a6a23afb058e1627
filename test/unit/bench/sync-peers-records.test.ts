// The peers benchmark's pure helpers: reading Singer and Airbyte messages into distinct record versions and
// STATE, and the loss check (records whose newest version a client never emitted).
import { describe, expect, it } from 'vitest';
import { lostRecords } from '../../../bench/sync-peers/loss-check.js';
import { emptyEmitted, epochSecondsOf, readMessageLine, versionKey } from '../../../bench/sync-peers/record-messages.js';

const singerRecord = (id: number, updatedAt: string, stream = 'tickets') => JSON.stringify({ type: 'RECORD', stream, record: { id, updated_at: updatedAt } });
const airbyteRecord = (id: number, updatedAt: string, stream = 'tickets') =>
  JSON.stringify({ type: 'RECORD', record: { stream, data: { id, updated_at: updatedAt }, emitted_at: 1 } });

describe('readMessageLine', () => {
  it('counts Singer RECORD messages of the stream and keeps one version per id and updated_at second', () => {
    const emitted = emptyEmitted();
    for (const line of [
      singerRecord(1, '2026-12-05T10:00:00.000000Z'),
      singerRecord(1, '2026-12-05T10:00:00.000000Z'),
      singerRecord(1, '2026-12-05T10:00:05.000000Z'),
      singerRecord(2, '2026-12-05T10:00:00.000000Z', 'conversations'),
      'INFO not a message',
      '{"broken',
    ]) readMessageLine(line, 'tickets', emitted);
    expect(emitted.recordMessages).toBe(3);
    expect([...emitted.versions]).toEqual([versionKey(1, '2026-12-05T10:00:00Z'), versionKey(1, '2026-12-05T10:00:05Z')]);
  });

  it('reads Airbyte RECORD, the last STATE and TRACE errors', () => {
    const emitted = emptyEmitted();
    const state = { type: 'STREAM', stream: { stream_descriptor: { name: 'tickets' }, stream_state: { updated_at: '2026-12-05T10:00:00Z' } } };
    for (const line of [
      airbyteRecord(7, '2026-12-05T10:00:00Z'),
      JSON.stringify({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 'tickets' }, stream_state: {} } } }),
      JSON.stringify({ type: 'STATE', state }),
      JSON.stringify({ type: 'TRACE', trace: { type: 'ERROR', error: { message: 'page 301 refused' } } }),
      JSON.stringify({ type: 'LOG', log: { level: 'INFO', message: 'hello' } }),
    ]) readMessageLine(line, 'tickets', emitted);
    expect([...emitted.versions]).toEqual([versionKey(7, '2026-12-05T10:00:00Z')]);
    expect(emitted.lastState).toEqual(state);
    expect(emitted.errors).toEqual(['page 301 refused']);
  });

  it('keeps the value of the last Singer STATE', () => {
    const emitted = emptyEmitted();
    readMessageLine(JSON.stringify({ type: 'STATE', value: { bookmarks: { tickets: { updated_at: 'x' } } } }), 'tickets', emitted);
    expect(emitted.lastState).toEqual({ bookmarks: { tickets: { updated_at: 'x' } } });
  });
});

describe('epochSecondsOf', () => {
  it('reads the formats the clients write, and nothing else', () => {
    const seconds = Date.parse('2026-12-05T10:00:01Z') / 1000;
    expect(epochSecondsOf('2026-12-05T10:00:01Z')).toBe(seconds);
    expect(epochSecondsOf('2026-12-05T10:00:01.000000Z')).toBe(seconds);
    expect(epochSecondsOf('2026-12-05T11:00:01+01:00')).toBe(seconds);
    expect(epochSecondsOf('yesterday')).toBeUndefined();
    expect(epochSecondsOf(12)).toBeUndefined();
  });
});

describe('lostRecords', () => {
  it('names the records whose newest version was never emitted, even when an older one was', () => {
    const emitted = new Set([versionKey(1, '2026-12-05T10:00:00Z'), versionKey(2, '2026-12-05T10:00:00Z'), versionKey(2, '2026-12-05T10:09:00.000000Z')]);
    const source = [
      { id: 1, updatedAt: '2026-12-05T10:05:00Z' },
      { id: 2, updatedAt: '2026-12-05T10:09:00Z' },
      { id: 3, updatedAt: '2026-12-05T10:00:00Z' },
    ];
    expect(lostRecords(source, emitted)).toEqual([1, 3]);
  });
});
