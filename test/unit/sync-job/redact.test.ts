// The redactor: every form in which the API key or the sink token can reach a log line, an error or the result.
import { describe, expect, it } from 'vitest';
import { createRedactor, redactedMark } from '../../../sync-job/core/redact.js';

const key = 'fd-key-9f8e7d6c5b4a';
const odd = 'tok/en+"quo\\ted=';
const redact = createRedactor([key, odd, undefined]);
const once = (text: string) => JSON.stringify(text).slice(1, -1);

describe('createRedactor', () => {
  it.each([
    ['plain', key],
    ['Basic-auth value', Buffer.from(`${key}:X`).toString('base64')],
    ['URL-encoded', encodeURIComponent(odd)],
    ['plain with quotes and backslashes', odd],
    ['JSON-escaped (a response body quoting it)', once(odd)],
    ['JSON-escaped twice (that body inside a JSON log line)', once(once(odd))],
    ['JSON-escaped with \\/ (PHP-style)', once(odd).replaceAll('/', '\\/')],
    ['Basic-auth value inside JSON', once(Buffer.from(`${odd}:X`).toString('base64'))],
  ])('replaces the %s form', (_name, form) => {
    const out = redact(`before ${form} after`);
    expect(out).toBe(`before ${redactedMark} after`);
  });

  it('replaces every occurrence and keeps the text around it', () => {
    const text = JSON.stringify({ message: `had Authorization: Bearer ${odd}`, authorization: `Bearer ${odd}`, key });
    const out = redact(text);
    expect(out).toBe(JSON.stringify({ message: `had Authorization: Bearer ${redactedMark}`, authorization: `Bearer ${redactedMark}`, key: redactedMark }));
  });

  it('redacts what is left of a secret cut off after 8 or more characters, and no more than that', () => {
    expect(redact(`body: {"auth":"${key.slice(0, 12)}`)).toBe(`body: {"auth":"${redactedMark}`);
    expect(redact(`${key.slice(0, 8)}; next`)).toBe(`${redactedMark}; next`);
    // A cut-off JSON-escaped quote of the odd secret loses all of what is left, not just the common beginning.
    expect(redact(`"${once(odd).slice(0, 12)}…`)).toBe(`"${redactedMark}…`);
    expect(redact(`x ${key.slice(0, 7)} y`)).toBe(`x ${key.slice(0, 7)} y`);
  });

  it('leaves text without secrets alone, and ignores absent or too-short secrets', () => {
    expect(createRedactor([undefined, 'abc'])('abc def')).toBe('abc def');
    expect(redact('HTTP 422: {"error":"unprocessable"}')).toBe('HTTP 422: {"error":"unprocessable"}');
  });
});
