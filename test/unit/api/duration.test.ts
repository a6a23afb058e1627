// Duration parsing and which intervals a fixed cron can express: the arithmetic the CEL rules mirror.
import { describe, expect, it } from 'vitest';
import { expressibleIntervalsText, formatDuration, isCronExpressible, parseDurationSeconds } from '../../../operator/api/duration.js';

describe('parseDurationSeconds', () => {
  it.each([
    ['2h', 7200],
    ['90m', 5400],
    ['1h30m', 5400],
    ['0.5h', 1800],
    ['1.1h', 3960],
    ['60000ms', 60],
    ['60500ms', 60.5],
    ['0s', 0],
  ])('%s is %d s', (text, seconds) => expect(parseDurationSeconds(text)).toBe(seconds));

  it.each(['2 hours', '-1h', '1d', 'h', '', '2H', '1h 30m'])('%j is not a duration', (text) => expect(parseDurationSeconds(text)).toBeUndefined());
});

describe('isCronExpressible', () => {
  it('accepts exactly the intervals the message lists', () => {
    const accepted: string[] = [];
    for (let minutes = 1; minutes <= 48 * 60; minutes++) if (isCronExpressible(minutes * 60)) accepted.push(formatDuration(minutes * 60));
    expect(accepted.map((d) => d.replace(/^(\d+)h0m$/, '$1h')).join(', ')).toBe(expressibleIntervalsText);
  });

  it.each([0, -3600, 30, 90, 5400, 18000, 172800, 60.5])('rejects %d s', (s) => expect(isCronExpressible(s)).toBe(false));
});
