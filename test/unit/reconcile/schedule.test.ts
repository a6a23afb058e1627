import { describe, expect, it } from 'vitest';
import { cronHourSteps, cronMinuteSteps } from '../../../operator/api/duration.js';
import { nextRunTime, parseCron } from '../../../operator/reconcile/cron.js';
import { effectiveSchedule, intervalCron, ScheduleError } from '../../../operator/reconcile/schedule.js';

const minuteOf = (cron: string) => Number(cron.split(' ')[0]);

describe('intervalCron', () => {
  it.each([
    [60, /^\* \* \* \* \*$/],
    [900, /^([0-9]|1[0-4])-59\/15 \* \* \* \*$/],
    [3600, /^[0-9]{1,2} \* \* \* \*$/],
    [7200, /^[0-9]{1,2} [01]-23\/2 \* \* \*$/],
    [6 * 3600, /^[0-9]{1,2} [0-5]-23\/6 \* \* \*$/],
    [86400, /^[0-9]{1,2} [0-9]{1,2} \* \* \*$/],
  ])('writes an interval of %is as %s', (seconds, shape) => {
    expect(intervalCron(seconds, 'tenants', 'acme')).toMatch(shape);
  });

  it('fires exactly once per interval, for every interval a cron can express', () => {
    const steps = [...cronMinuteSteps.map((m) => m * 60), ...cronHourSteps.map((h) => h * 3600)];
    for (const seconds of steps) {
      for (const name of ['acme', 'globex', 'initech']) {
        const cron = intervalCron(seconds, 'tenants', name);
        const s = parseCron(cron);
        let t = nextRunTime(s, new Date('2025-05-01T00:00:00Z')) as Date;
        for (let i = 0; i < 5; i++) {
          const after = nextRunTime(s, t) as Date;
          expect((after.getTime() - t.getTime()) / 1000, `${cron} (${seconds}s)`).toBe(seconds);
          t = after;
        }
      }
    }
  });

  it('spreads 200 tenants with interval 2h over at least 40 distinct minutes and both hour slots', () => {
    const crons = Array.from({ length: 200 }, (_, i) => intervalCron(7200, `ns-${i % 7}`, `tenant-${i}`));
    expect(new Set(crons.map(minuteOf)).size).toBeGreaterThanOrEqual(40);
    expect(new Set(crons.map((c) => c.split(' ')[1])).size).toBe(2);
  });

  it('gives a tenant the same schedule every time (no process state)', () => {
    expect(intervalCron(7200, 'tenants', 'acme')).toBe(intervalCron(7200, 'tenants', 'acme'));
    // …and depends on the namespace too.
    const inNamespaces = Array.from({ length: 20 }, (_, i) => intervalCron(7200, `ns-${i}`, 'acme'));
    expect(new Set(inNamespaces).size).toBeGreaterThan(1);
  });

  it('refuses an interval no fixed cron can express', () => {
    expect(() => intervalCron(7 * 60, 'tenants', 'acme')).toThrow(ScheduleError);
  });
});

describe('effectiveSchedule', () => {
  it('defaults to every 2h in UTC', () => {
    const s = effectiveSchedule({}, 'tenants', 'acme');
    expect(s).toMatchObject({ intervalSeconds: 7200, timeZone: 'Etc/UTC', source: 'default' });
    expect(s.cron).toBe(intervalCron(7200, 'tenants', 'acme'));
  });

  it('turns an interval into its cron', () => {
    expect(effectiveSchedule({ interval: '30m' }, 'tenants', 'acme')).toMatchObject({
      cron: intervalCron(1800, 'tenants', 'acme'),
      intervalSeconds: 1800,
      source: 'interval',
    });
  });

  it('passes a schedule and time zone through, with whitespace normalised', () => {
    expect(effectiveSchedule({ schedule: ' 0  9 * * 1-5 ', timeZone: 'Europe/Berlin' }, 'tenants', 'acme')).toEqual({
      cron: '0 9 * * 1-5',
      timeZone: 'Europe/Berlin',
      intervalSeconds: undefined,
      source: 'schedule',
    });
  });

  it.each([
    [{ schedule: '61 * * * *' }, /spec.schedule: minute field/],
    [{ schedule: '0 9 * * *', timeZone: 'Nowhere/Land' }, /spec.schedule: time zone "Nowhere\/Land"/],
    [{ interval: '7m' }, /spec.interval: "7m"/],
  ])('reports %o as a schedule error', (spec, message) => {
    expect(() => effectiveSchedule(spec, 'tenants', 'acme')).toThrow(message);
  });
});
