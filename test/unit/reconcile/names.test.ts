import { describe, expect, it } from 'vitest';
import { childNames, fitName, isDns1123Label, manualJobName, maxCronJobNameLength, nameLabelValue } from '../../../operator/reconcile/names.js';

const scheduledJobName = (cronJob: string) => `${cronJob}-29012345`; // what the CronJob controller appends

describe('childNames', () => {
  it.each([
    ['acme', 'acme'],
    ['a', 'a'],
    ['x'.repeat(52), 'x'.repeat(52)],
  ])('keeps a short label %s as it is', (name, cronJob) => {
    expect(childNames(name)).toEqual({ cronJob, configMap: `${cronJob}-config`, stateConfigMap: `${cronJob}-state` });
  });

  it.each([
    'x'.repeat(53),
    'tenant.with.dots',
    `${'long-tenant-name-'.repeat(14)}end`.slice(0, 253),
    'a.b',
    'a-b-c.example.com',
  ])('fits %s into a 52-character label with a hash of the full name', (name) => {
    const names = childNames(name);
    expect(names.cronJob.length).toBeLessThanOrEqual(maxCronJobNameLength);
    expect(isDns1123Label(names.cronJob)).toBe(true);
    expect(names.cronJob).toMatch(/-[0-9a-f]{8}$/);
    expect(isDns1123Label(scheduledJobName(names.cronJob))).toBe(true);
    expect(isDns1123Label(names.configMap)).toBe(true);
    expect(isDns1123Label(names.stateConfigMap)).toBe(true);
  });

  it('gives names that differ only where they are cut, or only in a dot, different children', () => {
    const stem = 'y'.repeat(60);
    const names = [`${stem}a`, `${stem}b`, 'a.b', 'a-b', 'a.b.c', 'a-b.c', 'a.b-c', 'x'.repeat(52), 'x'.repeat(53), 'x'.repeat(54)];
    const cronJobs = names.map((n) => childNames(n).cronJob);
    expect(new Set(cronJobs).size).toBe(names.length);
  });

  it('is the same for the same name every time', () => {
    const name = 'z'.repeat(100);
    expect(childNames(name)).toEqual(childNames(name));
  });
});

describe('fitName', () => {
  it('never starts or ends a cut with a dash', () => {
    const name = `${'ab-'.repeat(20)}tail`;
    const fitted = fitName(name, 20);
    expect(fitted.length).toBeLessThanOrEqual(20);
    expect(isDns1123Label(fitted)).toBe(true);
    expect(fitted).not.toContain('--');
  });
});

describe('manualJobName', () => {
  it('is deterministic per value and different for different values', () => {
    expect(manualJobName('acme', '2025-01-01T00:00:00Z')).toBe(manualJobName('acme', '2025-01-01T00:00:00Z'));
    expect(manualJobName('acme', '2025-01-01T00:00:00Z')).not.toBe(manualJobName('acme', '2025-01-01T00:00:01Z'));
    expect(manualJobName('acme', 'now')).toMatch(/^acme-run-[0-9a-f]{6}$/);
  });

  it('fits a 63-character label even for the longest names', () => {
    const name = 'q'.repeat(253);
    const job = manualJobName(name, 'x'.repeat(1000));
    expect(job.length).toBeLessThanOrEqual(63);
    expect(isDns1123Label(job)).toBe(true);
  });

  it('never equals a scheduled Job name of any tenant', () => {
    const tenants = ['acme', 'acme-run', 'a', 'a-run-123456', 'x'.repeat(52), 'x'.repeat(60)];
    const scheduled = new Set(tenants.map((t) => scheduledJobName(childNames(t).cronJob)));
    for (const t of tenants) {
      for (const value of ['1', '2', 'now', '2025-06-01T10:00:00Z']) expect(scheduled.has(manualJobName(t, value))).toBe(false);
    }
  });
});

describe('nameLabelValue', () => {
  it.each([
    ['acme', 'acme'],
    ['a.b.c', 'a.b.c'],
  ])('keeps %s', (name, value) => expect(nameLabelValue(name)).toBe(value));

  it('shortens names over 63 characters', () => {
    const value = nameLabelValue('n'.repeat(100));
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).not.toBe(nameLabelValue(`${'n'.repeat(99)}m`));
  });
});
