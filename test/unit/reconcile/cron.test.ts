import { describe, expect, it } from 'vitest';
import { CronError, nextRunTime, parseCron } from '../../../operator/reconcile/cron.js';

const next = (cron: string, now: string, tz?: string) => nextRunTime(cron, new Date(now), tz)?.toISOString();

describe('parseCron', () => {
  it.each([
    ['* * * * *', 60, 24],
    ['*/15 * * * *', 4, 24],
    ['7-59/15 * * * *', 4, 24],
    ['5/20 * * * *', 3, 24],
    ['0,30 9-17 * * *', 2, 9],
    ['37 1-23/2 * * *', 1, 12],
  ])('%s has %i minutes and %i hours', (cron, minutes, hours) => {
    const s = parseCron(cron);
    expect(s.minutes.size).toBe(minutes);
    expect(s.hours.size).toBe(hours);
  });

  it('reads month and weekday names in any case', () => {
    const s = parseCron('0 0 * jan,Dec MON-fri');
    expect([...s.months]).toEqual([1, 12]);
    expect([...s.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    ['* * * *', /needs 5/],
    ['60 * * * *', /minute field.*outside 0-59/],
    ['* 24 * * *', /hour field/],
    ['* * 0 * *', /day-of-month field/],
    ['* * * 13 *', /month field/],
    ['* * * * 7', /day-of-week field.*outside 0-6/],
    ['*/0 * * * *', /step/],
    ['5-1 * * * *', /start after its end/],
    ['a * * * *', /not a number/],
    ['1-2-3 * * * *', /not a range/],
  ])('rejects %s with a message naming the field', (cron, message) => {
    expect(() => parseCron(cron)).toThrow(CronError);
    expect(() => parseCron(cron)).toThrow(message);
  });
});

describe('nextRunTime', () => {
  it.each([
    ['* * * * *', '2025-03-10T10:00:00Z', '2025-03-10T10:01:00.000Z'],
    ['* * * * *', '2025-03-10T10:00:30Z', '2025-03-10T10:01:00.000Z'],
    ['7-59/15 * * * *', '2025-03-10T10:07:00Z', '2025-03-10T10:22:00.000Z'],
    ['37 1-23/2 * * *', '2025-03-10T10:00:00Z', '2025-03-10T11:37:00.000Z'],
    ['37 1-23/2 * * *', '2025-03-10T23:40:00Z', '2025-03-11T01:37:00.000Z'],
    ['0 0 1 * *', '2025-12-15T00:00:00Z', '2026-01-01T00:00:00.000Z'],
    ['0 0 29 2 *', '2025-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    // Both day fields restricted: either may match (2025-03-13 is a Thursday, the 15th a Saturday).
    ['0 12 15 * 4', '2025-03-12T13:00:00Z', '2025-03-13T12:00:00.000Z'],
    // Day-of-week starred: only the day of month counts.
    ['0 12 15 * *', '2025-03-12T13:00:00Z', '2025-03-15T12:00:00.000Z'],
    // A step on the star makes it a restriction (robfig/cron): OR again.
    // */2 on weekdays = Sun, Tue, Thu, Sat: Thursday the 13th matches although it is not the 15th.
    ['0 12 15 * */2', '2025-03-12T13:00:00Z', '2025-03-13T12:00:00.000Z'],
  ])('%s after %s is %s (UTC)', (cron, now, expected) => {
    expect(next(cron, now)).toBe(expected);
  });

  it('honours the time zone', () => {
    // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    expect(next('0 9 * * *', '2025-01-10T10:00:00Z', 'Europe/Berlin')).toBe('2025-01-11T08:00:00.000Z');
    expect(next('0 9 * * *', '2025-07-10T10:00:00Z', 'Europe/Berlin')).toBe('2025-07-11T07:00:00.000Z');
    // Half-hour offset zone.
    expect(next('0 9 * * *', '2025-01-10T00:00:00Z', 'Asia/Kolkata')).toBe('2025-01-10T03:30:00.000Z');
  });

  it('skips a wall time that a DST change removes and runs the next day', () => {
    // 2025-03-09 02:30 does not exist in New York.
    expect(next('30 2 * * *', '2025-03-09T05:00:00Z', 'America/New_York')).toBe('2025-03-10T06:30:00.000Z');
  });

  it('does not jump past a run early on a day whose midnight a DST change removes', () => {
    // Chile (America/Santiago) moved its clocks from 00:00 to 01:00 on 2025-09-07.
    expect(next('30 1 7 * *', '2025-09-05T12:00:00Z', 'America/Santiago')).toBe('2025-09-07T04:30:00.000Z');
    const local = (d: Date | undefined) => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Santiago', dateStyle: 'short' }).format(d);
    const first = nextRunTime('30 0 * * *', new Date('2025-09-05T12:00:00Z'), 'America/Santiago');
    const second = nextRunTime('30 0 * * *', first as Date, 'America/Santiago');
    // 00:30 did not exist on the 7th.
    expect([local(first), local(second)]).toEqual(['2025-09-06', '2025-09-08']);
  });

  it('has no next time for a schedule that never fires', () => {
    expect(nextRunTime('0 0 30 2 *', new Date('2025-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('rejects an unknown time zone', () => {
    expect(() => nextRunTime('* * * * *', new Date(), 'Mars/Olympus')).toThrow(/not an IANA time zone/);
  });
});
