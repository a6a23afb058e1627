// The job's canonical JSON (what a batchId hashes and how a record is sent) against the sink receiver's own,
// independently written canonicalJson: byte for byte equal on JSON data, whatever shapes and key orders it has.
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../sync-job/canonical-json.js';
import { canonicalRecordJson } from '../../../sync-job/sink/batch.js';
import { canonicalJson as receiverCanonicalJson } from '../../fakes/sink/protocol.js';

/** A small deterministic generator, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const awkwardKeys = ['id', 'a', 'B', '10', '9', '0', '', 'é', 'z\u00e9', '\ud83d\ude00', 'a"b', 'line\nbreak', '__proto__', 'constructor', 'updated_at'];

/** Objects of many shapes: keys drawn (and ordered) at random, nesting, arrays, every JSON value type. */
function randomValue(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 3 ? 5 : 7));
  switch (kind) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return Math.round((next() - 0.5) * 1e6) / 100;
    case 3:
      return awkwardKeys[Math.floor(next() * awkwardKeys.length)]! + String(Math.floor(next() * 100));
    case 4:
      return '';
    case 5:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const keys = awkwardKeys.filter(() => next() < 0.4).sort(() => next() - 0.5);
      // Built as JSON text and parsed, as Freshdesk's records are (`__proto__` becomes an own key).
      return JSON.parse(`{${keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(randomValue(next, depth + 1))}`).join(',')}}`);
    }
  }
}

describe('canonicalJson', () => {
  it('equals the receiver\'s canonical JSON on thousands of objects of random shapes and key orders', () => {
    const next = random(13);
    for (let i = 0; i < 3_000; i++) {
      const value = randomValue(next, 0);
      expect(canonicalJson(value), JSON.stringify(value)).toBe(receiverCanonicalJson(value));
    }
  });

  it('sorts integer-like keys as strings, escapes keys, and gives one answer for one content in any key order', () => {
    const text = '{"9":1,"10":2,"b":{"y":[1,{"d":0,"c":null}],"x":"\\u00e9"},"a\\"q":true,"__proto__":{"p":1}}';
    const expected = '{"10":2,"9":1,"__proto__":{"p":1},"a\\"q":true,"b":{"x":"é","y":[1,{"c":null,"d":0}]}}';
    expect(canonicalJson(JSON.parse(text))).toBe(expected);
    const reordered = JSON.parse('{"b":{"x":"\\u00e9","y":[1,{"c":null,"d":0}]},"__proto__":{"p":1},"a\\"q":true,"10":2,"9":1}');
    expect(canonicalJson(reordered)).toBe(expected);
    // Objects sharing the first key and the key count but not the keys are not confused.
    expect(canonicalJson([{ k: 1, b: 2 }, { k: 1, a: 2 }, { k: 1, b: 2 }])).toBe('[{"b":2,"k":1},{"a":2,"k":1},{"b":2,"k":1}]');
  });

  it('leaves out undefined members and writes undefined array items as null, as JSON.stringify does', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, undefined, { f: 1, e: 2 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[3,null,{"e":2,"f":1}]},"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('writes an object with toJSON (a Date) as JSON.stringify does, so the operator can compare statuses with it', () => {
    const at = new Date('2026-12-05T20:00:00.000Z');
    expect(canonicalJson({ z: at, a: [at] })).toBe('{"a":["2026-12-05T20:00:00.000Z"],"z":"2026-12-05T20:00:00.000Z"}');
    expect(canonicalJson({ b: { toJSON: () => ({ y: 1, x: 2 }) } })).toBe('{"b":{"x":2,"y":1}}');
  });

  it('a record is sent and hashed as the canonical JSON of {id, op, updatedAt, data}', () => {
    const record = { id: '7', op: 'upsert' as const, updatedAt: '2024-05-01T10:00:00Z', data: { subject: 's', id: 7 } };
    const json = canonicalRecordJson(record);
    expect(json).toBe('{"data":{"id":7,"subject":"s"},"id":"7","op":"upsert","updatedAt":"2024-05-01T10:00:00Z"}');
    expect(JSON.parse(json)).toEqual(record);
  });
});
